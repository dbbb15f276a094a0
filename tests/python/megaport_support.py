"""Helpers for the Megaport API suite: plain HTTP in megaportgo's exact request shapes (the
official clients are Go; megalib, the one Python client, speaks the legacy dialect), the
`{message, terms, data}` envelope and its error form, and the products a test orders."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import requests

import support
from support import Server

TERMS = "This data is subject to the Acceptable Use Policy https://www.megaport.com/legal/acceptable-use-policy"
NY5 = 61  # Equinix NY5: where DigitalOcean's nyc partner ports are.
READY = ("CONFIGURED", "LIVE")
GONE = ("CANCELLED", "DECOMMISSIONED")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def now_ms() -> int:
    return int(time.time() * 1000)


class MP:
    """One Megaport company's HTTP session: a bearer token (or a legacy X-Auth-Token)."""

    def __init__(self, server: Server, token: str | None = None, *, legacy: bool = False, name: str = ""):
        self.server = server
        self.base = server.megaport_url
        self.token = token
        self.legacy = legacy
        self.name = name

    def headers(self, extra: dict | None = None) -> dict:
        h = {"Accept": "application/json", "User-Agent": "Go-Megaport-Library/1.0"}
        if self.token is not None:
            if self.legacy:
                h["X-Auth-Token"] = self.token
            else:
                h["Authorization"] = f"Bearer {self.token}"
        h.update(extra or {})
        return h

    def request(self, method: str, path: str, *, body: Any = None, raw: bytes | None = None,
                headers: dict | None = None, **kwargs: Any) -> requests.Response:
        extra = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if method != "GET" and "Content-Type" not in extra:
            extra["Content-Type"] = "application/json"
        return requests.request(method, self.base + path, headers=self.headers(extra), data=data, timeout=10, **kwargs)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, body=body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("PUT", path, body=body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)


def start_strict(binary: Path, workdir: Path, extra_args: list[str] | None = None) -> Server:
    """`crosslink serve --auth strict`. support.Server always passes `--auth open` ahead of its
    extra arguments (and clap refuses a second `--auth`), so the one spawn it makes has that
    value replaced."""
    real = subprocess.Popen

    def popen(cmd: list[str], *args: Any, **kwargs: Any) -> subprocess.Popen:
        i = cmd.index("--auth")
        assert cmd[i + 1] == "open", cmd
        return real([*cmd[:i], "--auth", "strict", *cmd[i + 2:]], *args, **kwargs)

    with mock.patch.object(support.subprocess, "Popen", popen):
        return Server(binary, workdir, list(extra_args or []))


# --- envelope -----------------------------------------------------------------------------------


def envelope(resp: requests.Response, status: int = 200) -> Any:
    """Checks `{message, terms, data}` and the status; returns `data`."""
    body = _json(resp)
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {body}"
    assert isinstance(body, dict) and {"message", "terms", "data"} <= set(body), body
    assert isinstance(body["message"], str), body
    assert body["terms"] == TERMS, body["terms"]
    assert resp.headers.get("trace-id"), f"no Trace-Id header on {resp.request.method} {resp.request.path_url}"
    return body["data"]


def mp_error(resp: requests.Response, status: int | tuple[int, ...], contains: str | tuple[str, ...] | None = None) -> str:
    """Megaport's error form: the status, the envelope with `data` a string, a Trace-Id
    header (megaportgo copies it into its errors). Returns the message."""
    body = _json(resp)
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in statuses, f"expected {status}, got {resp.status_code}: {body}"
    assert isinstance(body, dict), body
    assert isinstance(body.get("message"), str) and body["message"], body
    assert isinstance(body.get("data"), str), f"error data must be a string (megaportgo): {body}"
    assert body.get("terms") == TERMS, body
    trace = resp.headers.get("trace-id")
    assert trace and str(uuid.UUID(trace)) == trace.lower(), f"Trace-Id: {trace!r}"
    if contains is not None:
        wanted = (contains,) if isinstance(contains, str) else contains
        text = body["message"].lower()
        assert any(w.lower() in text for w in wanted), f"{wanted} not in {body['message']!r}"
    return body["message"]


def _json(resp: requests.Response) -> Any:
    assert resp.headers.get("content-type", "").startswith("application/json"), (
        resp.status_code, resp.headers.get("content-type"), resp.text[:300])
    try:
        return resp.json()
    except ValueError:
        raise AssertionError(f"{resp.status_code} body is not JSON: {resp.text[:300]!r}")


# --- authentication -----------------------------------------------------------------------------


def oauth_token(server: Server, access_key: str, secret: str) -> requests.Response:
    """megaportgo's `Authorize`: grant_type in the query, Basic auth, an empty form body."""
    return requests.post(
        server.megaport_url + "/oauth2/token?grant_type=client_credentials",
        auth=(access_key, secret),
        data=b"",
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "Go-Megaport-Library/1.0"},
        timeout=10,
    )


def company(server: Server, prefix: str = "company", secret: str = "secret") -> MP:
    """A new company (under `--auth open` the access key names it) with an OAuth token."""
    name = unique(prefix)
    resp = oauth_token(server, name, secret)
    assert resp.status_code == 200, (resp.status_code, resp.text)
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600, body
    return MP(server, body["access_token"], name=name)


# --- orders -------------------------------------------------------------------------------------


def buy(mp: MP, lines: list, version: str = "v4") -> requests.Response:
    body: Any = {"networkDesign": lines, "discountCodes": []} if version == "v4" else lines
    return mp.post(f"/{version}/networkdesign/buy", body)


def validate(mp: MP, lines: list) -> requests.Response:
    return mp.post("/v3/networkdesign/validate", lines)


def mcr_line(name: str, location: int = NY5, speed: int = 2500, **extra: Any) -> dict:
    """megaportgo BuyMCR with the default ASN (§16)."""
    return {"locationId": location, "productName": name, "term": 1, "productType": "MCR2",
            "portSpeed": speed, "costCentre": "", "config": {}, **extra}


def port_line(name: str, location: int = NY5, speed: int = 10000, term: int = 12) -> dict:
    """megaportgo BuyPort (`PortOrder`)."""
    return {"productName": name, "term": term, "productType": "MEGAPORT", "portSpeed": speed,
            "locationId": location, "createDate": 0, "virtual": False, "market": "US",
            "marketplaceVisibility": False}


def bought_uid(resp: requests.Response, key: str = "technicalServiceUid") -> str:
    data = envelope(resp)
    assert isinstance(data, list) and len(data) == 1, data
    uid = data[0][key]
    assert str(uuid.UUID(uid)) == uid, uid
    return uid


def wait_status(mp: MP, uid: str, statuses: tuple[str, ...] | str, timeout: float = 10.0) -> dict:
    """Polls GET /v2/product/{uid} until provisioningStatus is one of `statuses`."""
    if isinstance(statuses, str):
        statuses = (statuses,)
    deadline = time.monotonic() + timeout
    while True:
        data = envelope(mp.get(f"/v2/product/{uid}"))
        if data["provisioningStatus"] in statuses or time.monotonic() > deadline:
            assert data["provisioningStatus"] in statuses, f"{uid} stayed {data['provisioningStatus']}, wanted {statuses}"
            return data
        time.sleep(0.1)


def wait_for(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def new_mcr(mp: MP, name: str | None = None, speed: int = 2500) -> str:
    uid = bought_uid(buy(mp, [mcr_line(name or unique("mcr"), speed=speed)]))
    wait_status(mp, uid, "LIVE")
    return uid


def new_port(mp: MP, name: str | None = None, speed: int = 10000) -> str:
    uid = bought_uid(buy(mp, [port_line(name or unique("port"), speed=speed)]))
    wait_status(mp, uid, "LIVE")
    return uid


def vrouter_config(password: str | None, description: str = "to DigitalOcean") -> dict:
    """megaportgo's A-End partner config as §16 captured it."""
    return {"interfaces": [{
        "ipAddresses": ["169.254.0.6/29"],
        "bfd": {},
        "bgpConnections": [{
            "peerAsn": 64532,
            "localIpAddress": "169.254.0.6",
            "peerIpAddress": "169.254.0.1",
            "password": password,
            "shutdown": False,
            "description": description,
            "bfdEnabled": False,
        }],
    }]}


def vxc_line(a_uid: str, name: str, rate: int, *, key: str | None = None, b_uid: str | None = None,
             a_end: dict | None = None, b_end: dict | None = None) -> dict:
    """megaportgo BuyVXC: the A-End is the line's productUid."""
    vxc: dict = {"productName": name, "rateLimit": rate, "term": 1, "shutdown": False,
                 "aEnd": a_end if a_end is not None else {}, "bEnd": dict(b_end or {})}
    if key is not None:
        vxc["serviceKey"] = key
    if b_uid is not None:
        vxc["bEnd"]["productUid"] = b_uid
    return {"productUid": a_uid, "associatedVxcs": [vxc]}


def buy_vxc(mp: MP, line: dict) -> requests.Response:
    return buy(mp, [line])


# --- service keys -------------------------------------------------------------------------------


def key_body(product_uid: str, *, max_speed: Any = 500, single_use: bool = False, active: bool = True,
             description: str = "", vlan: int = 0, pre_approved: bool = False,
             valid_for: tuple[int, int] | None = None) -> dict:
    """megaportgo's CreateServiceKeyRequest as it marshals (§0.6): omitempty fields left out,
    the untagged ValidFor junk key alongside."""
    body: dict = {"productUid": product_uid, "singleUse": single_use, "maxSpeed": max_speed}
    if active:
        body["active"] = True
    if pre_approved:
        body["preApproved"] = True
    if description:
        body["description"] = description
    if vlan:
        body["vlan"] = vlan
    if valid_for is not None:
        body["validFor"] = {"start": valid_for[0], "end": valid_for[1]}
    body["ValidFor"] = None
    return body


def create_key(mp: MP, product_uid: str, **kw: Any) -> dict:
    data = envelope(mp.post("/v2/service/key", key_body(product_uid, **kw)))
    assert isinstance(data, dict) and isinstance(data.get("key"), str), data
    assert str(uuid.UUID(data["key"])) == data["key"], data
    return data


def lookup_key(mp: MP, key: str) -> requests.Response:
    """megaportgo's GetServiceKey: `?` escaped into the path, no query string (§0.1)."""
    resp = mp.get(f"/v2/service/key%3Fkey={key}")
    assert resp.request.path_url == f"/v2/service/key%3Fkey={key}", resp.request.path_url
    return resp


def cancel_now(mp: MP, uid: str) -> requests.Response:
    """megaportgo DeleteVXC/DeleteMCR: POST with Content-Type json and an empty body."""
    return mp.request("POST", f"/v3/product/{uid}/action/CANCEL_NOW", raw=b"",
                      headers={"Content-Type": "application/json"})


def products(mp: MP) -> list:
    data = envelope(mp.get("/v2/products"))
    assert isinstance(data, list), data
    return data


def product_in(mp: MP, uid: str) -> dict:
    found = [p for p in products(mp) if p["productUid"] == uid]
    assert len(found) == 1, f"{uid} in /v2/products {len(found)} times"
    return found[0]
