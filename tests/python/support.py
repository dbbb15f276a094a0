"""Shared helpers for the pydo conformance suite: starting the real binary, pydo clients, assertions."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import secrets
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import requests
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.policies import HeadersPolicy
from pydo import Client

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DO_URL = re.compile(r"DigitalOcean API\s+(http://\S+)")
MP_URL = re.compile(r"Megaport API\s+(http://\S+)")
ADMIN_URL = re.compile(r"admin\s+(http://\S+)")

# Datacenter slugs every DigitalOcean account sees in GET /v2/regions.
DATACENTERS = {"ams3", "blr1", "fra1", "lon1", "nyc1", "nyc2", "nyc3", "sfo2", "sfo3", "sgp1", "syd1", "tor1"}

RFC1918 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]

ERROR_IDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    422: "unprocessable_entity",
    429: "too_many_requests",
}


def crosslink_bin() -> Path:
    return Path(os.environ.get("CROSSLINK_BIN", REPO / "target" / "debug" / "crosslink"))


class Server:
    """A real `crosslink serve` on ephemeral ports, with its output kept in `log_path`."""

    def __init__(self, binary: Path, workdir: Path, extra_args: list[str]):
        self.workdir = workdir
        self.log_path = workdir / "crosslink.log"
        data_dir = workdir / "data"
        data_dir.mkdir(parents=True)
        cmd = [
            str(binary), "serve",
            "--data-dir", str(data_dir),
            "--do-listen", "127.0.0.1:0",
            "--megaport-listen", "127.0.0.1:0",
            "--admin-listen", "127.0.0.1:0",
            "--auth", "open",
            *extra_args,
        ]
        self.args = extra_args
        self.admin_token = "test-admin-" + uuid.uuid4().hex
        env = {**os.environ, "CROSSLINK_ADMIN_TOKEN": self.admin_token}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        try:
            self.do_url, self.admin_url = self._wait_for_urls(timeout=30)
            self._wait_healthy(timeout=10)
        except Exception:
            self.stop()
            raise

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _wait_for_urls(self, timeout: float) -> tuple[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = ANSI.sub("", self.log_path.read_text(errors="replace"))
            do, admin, mp = DO_URL.search(text), ADMIN_URL.search(text), MP_URL.search(text)
            if do and admin and mp:
                self.megaport_url = mp.group(1).rstrip("/")
                return do.group(1).rstrip("/"), admin.group(1).rstrip("/")
            if self.proc.poll() is not None:
                raise RuntimeError(f"crosslink serve {self.args} exited with {self.proc.returncode}:\n{self.log_tail()}")
            time.sleep(0.05)
        raise RuntimeError(f"crosslink serve {self.args} printed no listen URLs in {timeout}s:\n{self.log_tail()}")

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = requests.get(f"{self.admin_url}/_crosslink/health", timeout=2)
                if last.status_code == 200:
                    return
            except requests.RequestException as err:
                last = err
            time.sleep(0.05)
        raise RuntimeError(f"health never answered 200 (last: {last}):\n{self.log_tail()}")

    def advance(self, resource_type: str, resource_id: str) -> requests.Response:
        return requests.post(
            f"{self.admin_url}/_crosslink/transitions/advance",
            json={"resource_type": resource_type, "id": resource_id},
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=5,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def new_token() -> str:
    """A fresh token; under `--auth open` every token is its own team, so each test starts empty."""
    return "dop_v1_" + secrets.token_hex(32)


def pydo_client(server: Server, token: str) -> Client:
    # azure-core's bearer policy refuses plain http, so the header is set directly (reference §7.1);
    # retry_total=0 so a 429 or 5xx is seen as it is.
    return Client(
        token,
        endpoint=server.do_url,
        authentication_policy=HeadersPolicy({"Authorization": f"Bearer {token}"}),
        retry_total=0,
        timeout=10,
    )


class Raw:
    """Plain HTTP for what pydo cannot send: broken JSON, wrong types, missing auth."""

    def __init__(self, server: Server, token: str | None):
        self.base = server.do_url
        self.token = token

    def request(self, method: str, path: str, *, auth: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        if auth is not None:
            headers["Authorization"] = auth
        elif self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return requests.request(method, self.base + path, headers=headers, timeout=10, **kwargs)


@dataclass
class Resp:
    status: int
    body: Any
    headers: Any


def call(op: Callable[..., Any], *args: Any, **kwargs: Any) -> Resp:
    """Runs a pydo operation (which raises on any status code its spec does not list) and keeps
    the status code and headers next to the decoded body."""

    def keep(pipeline_response: Any, deserialized: Any, _headers: Any) -> Resp:
        http = pipeline_response.http_response
        return Resp(http.status_code, deserialized, http.headers)

    return op(*args, cls=keep, **kwargs)


def call_any(op: Callable[..., Any], *args: Any, **kwargs: Any) -> Resp:
    """Like `call`, but a status pydo refuses is returned instead of raised."""
    try:
        return call(op, *args, **kwargs)
    except HttpResponseError as err:
        http = err.response
        assert http is not None, err
        text = http.text()
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = text
        return Resp(http.status_code, body, http.headers)


def assert_error(resp: Resp | requests.Response, status: int | tuple[int, ...], message_contains: str | None = None) -> None:
    """The DigitalOcean error envelope: {"id", "message", "request_id"} plus an x-request-id header."""
    if isinstance(resp, requests.Response):
        try:
            body = resp.json()
        except ValueError:
            raise AssertionError(f"{resp.status_code} body is not JSON: {resp.text[:300]!r}")
        resp = Resp(resp.status_code, body, resp.headers)
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status in statuses, f"expected {statuses}, got {resp.status}: {resp.body}"
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers.get("content-type")
    body = resp.body
    assert isinstance(body, dict), body
    assert body.get("id") == ERROR_IDS[resp.status], body
    assert isinstance(body.get("message"), str) and body["message"], body
    request_id = resp.headers.get("x-request-id")
    assert request_id, "error response has no x-request-id header"
    assert body.get("request_id") == request_id, (body, request_id)
    if message_contains is not None:
        assert message_contains.lower() in body["message"].lower(), body["message"]
    if resp.status == 404:
        # doctl's --wait stops polling only on this substring (reference §0.5).
        assert "not found" in body["message"].lower(), body["message"]


def assert_uuid(value: Any) -> None:
    assert isinstance(value, str) and str(uuid.UUID(value)) == value.lower(), value


def assert_timestamp(value: Any) -> dt.datetime:
    assert isinstance(value, str), value
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, f"created_at has no zone: {value}"
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - parsed).total_seconds()) < 600, f"created_at {value} is not now ({now})"
    return parsed


def assert_ratelimit_headers(headers: Any) -> None:
    values = {}
    for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        raw = headers.get(name)
        assert raw is not None and raw.strip().isdigit(), f"{name}: {raw!r}"
        values[name] = int(raw)
    assert 0 <= values["ratelimit-remaining"] <= values["ratelimit-limit"], values
    now = time.time()
    assert now - 5 <= values["ratelimit-reset"] <= now + 3600 + 5, f"ratelimit-reset {values['ratelimit-reset']} is not epoch seconds near {now:.0f}"


def assert_vpc(vpc: Any, **expected: Any) -> None:
    assert isinstance(vpc, dict), vpc
    for field in ("id", "urn", "name", "description", "region", "ip_range", "default", "created_at"):
        assert field in vpc, f"vpc lacks {field}: {vpc}"
    assert_uuid(vpc["id"])
    assert vpc["urn"] == f"do:vpc:{vpc['id']}"
    assert isinstance(vpc["name"], str) and isinstance(vpc["description"], str)
    assert isinstance(vpc["default"], bool)
    assert is_rfc1918(vpc["ip_range"]), vpc["ip_range"]
    assert_timestamp(vpc["created_at"])
    for key, value in expected.items():
        assert vpc[key] == value, f"{key}: {vpc[key]!r} != {value!r}"


def is_rfc1918(cidr: str) -> bool:
    net = ipaddress.ip_network(cidr, strict=True)
    return 16 <= net.prefixlen <= 28 and any(net.version == 4 and net.subnet_of(block) for block in RFC1918)


def assert_peering(peering: Any, **expected: Any) -> None:
    assert isinstance(peering, dict), peering
    for field in ("id", "name", "vpc_ids", "status", "created_at"):
        assert field in peering, f"peering lacks {field}: {peering}"
    assert_uuid(peering["id"])
    assert peering["status"] in ("PROVISIONING", "ACTIVE", "DELETING"), peering
    assert isinstance(peering["vpc_ids"], list) and len(peering["vpc_ids"]) == 2, peering
    for vpc_id in peering["vpc_ids"]:
        assert_uuid(vpc_id)
    assert_timestamp(peering["created_at"])
    for key, value in expected.items():
        got = sorted(peering[key]) if key == "vpc_ids" else peering[key]
        want = sorted(value) if key == "vpc_ids" else value
        assert got == want, f"{key}: {got!r} != {want!r}"


def assert_list_envelope(body: Any, key: str, total: int) -> list:
    assert isinstance(body, dict), body
    assert key in body and "links" in body and "meta" in body, sorted(body)
    assert isinstance(body[key], list)
    assert isinstance(body["links"], dict)
    assert body["meta"].get("total") == total, body["meta"]
    return body[key]


def page_links(body: dict) -> dict[str, int]:
    """`links.pages` as {rel: page number}; every URL must be absolute."""
    pages = body["links"].get("pages") or {}
    out = {}
    for rel, url in pages.items():
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.netloc, f"{rel} link is not absolute: {url}"
        query = parse_qs(parts.query)
        out[rel] = int(query.get("page", ["1"])[0])
        out[f"{rel}.per_page"] = int(query["per_page"][0]) if "per_page" in query else None
        out[f"{rel}.path"] = parts.path
    return out


def create_vpc(client: Client, name: str, region: str = "nyc1", **fields: Any) -> dict:
    resp = call(client.vpcs.create, {"name": name, "region": region, **fields})
    assert resp.status == 201
    assert set(resp.body) == {"vpc"}, sorted(resp.body)
    return resp.body["vpc"]


def create_peering(client: Client, name: str, vpc_ids: list[str]) -> dict:
    resp = call(client.vpc_peerings.create, {"name": name, "vpc_ids": vpc_ids})
    assert resp.status == 202
    assert set(resp.body) == {"vpc_peering"}, sorted(resp.body)
    assert_peering(resp.body["vpc_peering"], name=name, vpc_ids=vpc_ids, status="PROVISIONING")
    return resp.body["vpc_peering"]


def wait_for(fetch: Callable[[], Resp], done: Callable[[Resp], bool], timeout: float = 5.0) -> Resp:
    deadline = time.monotonic() + timeout
    while True:
        resp = fetch()
        if done(resp) or time.monotonic() > deadline:
            return resp
        time.sleep(0.05)


def wait_peering_status(client: Client, peering_id: str, status: str, timeout: float = 5.0) -> Resp:
    resp = wait_for(
        lambda: call(client.vpc_peerings.get, peering_id),
        lambda r: r.status == 200 and r.body["vpc_peering"]["status"] == status,
        timeout,
    )
    assert resp.status == 200 and resp.body["vpc_peering"]["status"] == status, resp
    return resp


def wait_peering_gone(client: Client, peering_id: str, timeout: float = 5.0) -> Resp:
    resp = wait_for(lambda: call(client.vpc_peerings.get, peering_id), lambda r: r.status == 404, timeout)
    assert_error(resp, 404)
    return resp


def snapshot(client: Client) -> tuple[list, list]:
    """Everything a team owns, for "a rejected request changes nothing"."""
    vpcs = call(client.vpcs.list, per_page=200)
    peerings = call(client.vpc_peerings.list, per_page=200)
    assert vpcs.status == 200 and peerings.status == 200
    return (
        sorted(vpcs.body["vpcs"], key=lambda v: v["id"]),
        sorted(peerings.body["vpc_peerings"], key=lambda p: p["id"]),
    )
