"""client.partner_attachments (Partner Network Connect) through pydo 0.44.0: the attachment model,
CREATING -> CREATED -> DELETING -> 404, the create and PATCH rules (metro, VPCs, bandwidth,
provider, name, redundancy zone, BGP), HA parent/child pairs, BGP auth key, remote routes, service
keys, pagination and isolation between teams.

pydo quirks (reference §7.1): create accepts [202, 404, 422], patch/delete/create_service_key
[202, 404], the reads [200, 404]; a 404 is *returned*, any other unlisted status raises, so
`call_any` is used wherever a 409 or a 422 may come back."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest
import requests

from support import (
    Raw,
    assert_error,
    assert_list_envelope,
    assert_ratelimit_headers,
    assert_timestamp,
    assert_uuid,
    call,
    call_any,
    create_vpc,
    new_token,
    page_links,
    pydo_client,
)

PATH = "/v2/partner_network_connect/attachments"

DEFAULT_BGP = {
    "local_asn": 64532,
    "local_router_ip": "169.254.0.1/29",
    "peer_asn": 133937,
    "peer_router_ip": "169.254.0.6/29",
}

GOOD_BGP = {
    "local_router_ip": "169.254.10.1/29",
    "peer_router_ip": "169.254.10.6/29",
    "peer_router_asn": 65001,
    "auth_key": "s3cret-bgp-key",
}

# Metro -> the datacenters whose VPCs it may attach.
METROS = {
    "nyc": ["nyc1", "nyc2", "nyc3"],
    "sfo": ["sfo1", "sfo2", "sfo3"],
    "fra": ["fra1"],
    "ams": ["ams2", "ams3"],
    "sgp": ["sgp1"],
}

MODEL_FIELDS = {
    "id",
    "name",
    "state",
    "connection_bandwidth_in_mbps",
    "region",
    "naas_provider",
    "vpc_ids",
    "bgp",
    "created_at",
    "redundancy_zone",
}

MISSING = object()


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def server(default_server):
    """This suite runs against the defaults a new user gets (seeded default VPCs)."""
    return default_server


def make_vpcs(client, region: str, count: int = 1, prefix: str | None = None) -> list[str]:
    """`count` VPCs of the team in `region`. The first VPC of a region is its default (which can
    never be deleted), so tests that delete a VPC use a later one."""
    prefix = prefix or region
    return [create_vpc(client, f"{prefix}-{i}-{uuid.uuid4().hex[:6]}", region)["id"] for i in range(count)]


def pa_body(vpc_ids: Any, name: Any = "pnc", region: Any = "nyc", **fields: Any) -> dict:
    """A valid create body; a field given as MISSING is left out."""
    body = {
        "name": name,
        "connection_bandwidth_in_mbps": 1000,
        "region": region,
        "naas_provider": "MEGAPORT",
        "vpc_ids": vpc_ids if vpc_ids is MISSING else list(vpc_ids),
        **fields,
    }
    return {key: value for key, value in body.items() if value is not MISSING}


def assert_attachment(pa: Any, **expected: Any) -> None:
    assert isinstance(pa, dict), pa
    missing = MODEL_FIELDS - set(pa)
    assert not missing, f"attachment lacks {sorted(missing)}: {pa}"
    assert_uuid(pa["id"])
    assert isinstance(pa["name"], str) and pa["name"]
    assert pa["state"] in ("CREATING", "CREATED", "DELETING"), pa
    assert pa["connection_bandwidth_in_mbps"] in (1000, 2000, 5000, 10000), pa
    assert pa["region"] in ("NYC", "SFO", "FRA", "AMS", "SGP"), pa
    assert isinstance(pa["vpc_ids"], list) and 1 <= len(pa["vpc_ids"]) <= 5, pa
    for vpc_id in pa["vpc_ids"]:
        assert_uuid(vpc_id)
    bgp = pa["bgp"]
    assert isinstance(bgp, dict) and {"local_asn", "local_router_ip", "peer_asn", "peer_router_ip"} <= set(bgp), bgp
    assert isinstance(bgp["local_asn"], int) and isinstance(bgp["peer_asn"], int), bgp
    assert "auth_key" not in bgp or not bgp["auth_key"], f"the auth key has its own route: {bgp}"
    created = assert_timestamp(pa["created_at"])
    assert created.utcoffset() == dt.timedelta(0), f"created_at is not UTC: {pa['created_at']}"
    assert pa["redundancy_zone"] in ("MEGAPORT_RED", "MEGAPORT_BLUE"), pa
    # The spec's `children` has minItems 1: absent when there are none.
    assert "children" not in pa or (isinstance(pa["children"], list) and pa["children"]), pa
    for child in pa.get("children", []):
        assert_uuid(child)
    if "parent_uuid" in pa:
        assert_uuid(pa["parent_uuid"])
    for key, value in expected.items():
        if value is MISSING:
            assert key not in pa, f"{key} should be absent: {pa}"
            continue
        got = sorted(pa.get(key, [])) if key in ("vpc_ids", "children") else pa[key]
        want = sorted(value) if key in ("vpc_ids", "children") else value
        assert got == want, f"{key}: {got!r} != {want!r}"


def create_attachment(client, body: dict, wait: bool = True) -> dict:
    """POST, check the 202 CREATING answer, and (by default) wait until GET says CREATED."""
    resp = call_any(client.partner_attachments.create, body)
    assert resp.status == 202, f"create {body}: {resp.status} {resp.body}"
    assert set(resp.body) == {"partner_attachment"}, sorted(resp.body)
    pa = resp.body["partner_attachment"]
    assert_attachment(pa, name=body["name"], state="CREATING", vpc_ids=body["vpc_ids"])
    if wait:
        return wait_state(client, pa["id"], "CREATED").body["partner_attachment"]
    return pa


def get_pa(client, pa_id: str):
    return call(client.partner_attachments.get, pa_id)


def wait_state(client, pa_id: str, state: str, timeout: float = 5.0):
    resp = _poll(lambda: get_pa(client, pa_id), lambda r: r.status == 200 and r.body["partner_attachment"]["state"] == state, timeout)
    assert resp.status == 200 and resp.body["partner_attachment"]["state"] == state, (resp.status, resp.body)
    return resp


def wait_gone(client, pa_id: str, timeout: float = 5.0):
    resp = _poll(lambda: get_pa(client, pa_id), lambda r: r.status == 404, timeout)
    assert_error(resp, 404)
    return resp


def _poll(fetch, done, timeout: float):
    # Slower than support.wait_for's 50 ms so that waiting never eats the 250/min rate limit.
    deadline = time.monotonic() + timeout
    while True:
        resp = fetch()
        if done(resp) or time.monotonic() > deadline:
            return resp
        time.sleep(0.2)


def delete_and_wait(client, pa_id: str) -> None:
    resp = call_any(client.partner_attachments.delete, pa_id)
    assert resp.status == 202, (resp.status, resp.body)
    wait_gone(client, pa_id)


def auth_key(client, pa_id: str) -> str:
    resp = call(client.partner_attachments.get_bgp_auth_key, pa_id)
    assert resp.status == 200, (resp.status, resp.body)
    assert set(resp.body) == {"bgp_auth_key"}, resp.body
    value = resp.body["bgp_auth_key"].get("value")
    assert isinstance(value, str), resp.body
    return value


def state_of(client) -> tuple:
    """Everything of a team a failed write could touch: its VPCs, its attachments, their auth keys."""
    vpcs = call(client.vpcs.list, per_page=200)
    pas = call(client.partner_attachments.list, per_page=200)
    assert vpcs.status == 200 and pas.status == 200, (vpcs.body, pas.body)
    attachments = sorted(pas.body["partner_attachments"], key=lambda p: p["id"])
    for pa in attachments:
        pa["vpc_ids"] = sorted(pa["vpc_ids"])
        pa["children"] = sorted(pa.get("children") or [])
    keys = {pa["id"]: auth_key(client, pa["id"]) for pa in attachments}
    return sorted(vpcs.body["vpcs"], key=lambda v: v["id"]), attachments, keys


def every_route(client, pa_id: str) -> dict:
    ops = client.partner_attachments
    return {
        "get": call_any(ops.get, pa_id),
        "patch": call_any(ops.patch, pa_id, {"name": "stolen"}),
        "delete": call_any(ops.delete, pa_id),
        "get_bgp_auth_key": call_any(ops.get_bgp_auth_key, pa_id),
        "list_remote_routes": call_any(ops.list_remote_routes, pa_id),
        "get_service_key": call_any(ops.get_service_key, pa_id),
        "create_service_key": call_any(ops.create_service_key, pa_id),
    }


def assert_all_404(responses: dict) -> None:
    failures = []
    for name, resp in responses.items():
        try:
            assert_error(resp, 404)
        except AssertionError as err:
            failures.append(f"{name}: {err}")
    assert not failures, "\n".join(failures)


def _expect_pages(body: dict, path: str, per_page: int, page: int, last: int) -> None:
    links = page_links(body)
    rels = {rel for rel in links if "." not in rel}
    expected = set()
    if page > 1:
        expected |= {"first", "prev"}
    if page < last:
        expected |= {"next", "last"}
    assert rels == expected, f"page {page}/{last}: links {body['links']}"
    numbers = {"first": 1, "prev": page - 1, "next": page + 1, "last": last}
    for rel in rels:
        assert links[rel] == numbers[rel], f"{rel} on page {page}: {body['links']}"
        assert links[f"{rel}.per_page"] in ((per_page, None) if per_page == 20 else (per_page,)), body["links"]
        assert links[f"{rel}.path"] == path, f"{rel} points elsewhere: {body['links']}"


@pytest.fixture
def nyc(client):
    """Four VPCs of the team in the nyc metro: a (nyc1's default), b, c in nyc1, d in nyc3."""
    a, b, c = make_vpcs(client, "nyc1", 3)
    (d,) = make_vpcs(client, "nyc3", 1)
    return {"a": a, "b": b, "c": c, "d": d}


# --- lifecycle -----------------------------------------------------------------------------------


def test_lifecycle_creating_created_deleting_gone(client, nyc):
    body = pa_body([nyc["a"], nyc["d"]], name="env.prod-pnc", region="nyc")
    resp = call(client.partner_attachments.create, body)
    assert resp.status == 202
    assert set(resp.body) == {"partner_attachment"}
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.headers.get("x-request-id")
    assert_ratelimit_headers(resp.headers)
    created = resp.body["partner_attachment"]
    assert_attachment(
        created,
        name="env.prod-pnc",
        state="CREATING",
        connection_bandwidth_in_mbps=1000,
        region="NYC",
        naas_provider="MEGAPORT",
        vpc_ids=[nyc["a"], nyc["d"]],
        bgp=DEFAULT_BGP,
        redundancy_zone="MEGAPORT_RED",
        children=[],
        parent_uuid=MISSING,
    )

    got = wait_state(client, created["id"], "CREATED")
    assert set(got.body) == {"partner_attachment"}
    assert_ratelimit_headers(got.headers)
    live = got.body["partner_attachment"]
    assert {**live, "vpc_ids": sorted(live["vpc_ids"])} == {**created, "state": "CREATED", "vpc_ids": sorted(created["vpc_ids"])}

    listed = call(client.partner_attachments.list)
    assert listed.status == 200 and set(listed.body) == {"partner_attachments", "links", "meta"}
    assert assert_list_envelope(listed.body, "partner_attachments", 1) == [live]

    deleted = call(client.partner_attachments.delete, created["id"])
    assert deleted.status == 202 and set(deleted.body) == {"partner_attachment"}
    assert_ratelimit_headers(deleted.headers)
    gone = deleted.body["partner_attachment"]
    assert_attachment(gone, id=created["id"], state="DELETING", name="env.prod-pnc")
    assert {**gone, "vpc_ids": sorted(gone["vpc_ids"])} == {**live, "state": "DELETING", "vpc_ids": sorted(live["vpc_ids"])}

    wait_gone(client, created["id"])
    assert assert_list_envelope(call(client.partner_attachments.list).body, "partner_attachments", 0) == []
    assert_all_404(every_route(client, created["id"]))


@pytest.mark.parametrize("spelling", ["nyc", "NYC", "Nyc", "nYC"])
def test_region_is_accepted_in_any_case_and_answered_upper_case(client, spelling):
    (vpc,) = make_vpcs(client, "nyc3")
    pa = create_attachment(client, pa_body([vpc], region=spelling))
    assert pa["region"] == "NYC"
    assert get_pa(client, pa["id"]).body["partner_attachment"]["region"] == "NYC"


@pytest.mark.parametrize("provider", ["MEGAPORT", "megaport", "MegaPort"])
def test_naas_provider_is_echoed_exactly_as_sent(client, provider):
    (vpc,) = make_vpcs(client, "fra1")
    pa = create_attachment(client, pa_body([vpc], region="fra", naas_provider=provider))
    assert pa["naas_provider"] == provider
    listed = call(client.partner_attachments.list).body["partner_attachments"]
    assert [p["naas_provider"] for p in listed] == [provider]


@pytest.mark.parametrize("metro", list(METROS))
def test_each_metro_takes_vpcs_from_all_its_datacenters(client, metro):
    vpc_ids = [make_vpcs(client, dc)[0] for dc in METROS[metro]]
    pa = create_attachment(client, pa_body(vpc_ids, name=f"{metro}-pnc", region=metro))
    assert_attachment(pa, region=metro.upper(), vpc_ids=vpc_ids, state="CREATED")


@pytest.mark.parametrize("bandwidth", [1000, 2000, 5000, 10000])
def test_every_listed_bandwidth_is_accepted(client, bandwidth):
    (vpc,) = make_vpcs(client, "sgp1")
    pa = create_attachment(client, pa_body([vpc], region="sgp", connection_bandwidth_in_mbps=bandwidth))
    assert pa["connection_bandwidth_in_mbps"] == bandwidth


@pytest.mark.parametrize("zone", ["MEGAPORT_RED", "MEGAPORT_BLUE"])
def test_redundancy_zone_is_kept(client, zone):
    (vpc,) = make_vpcs(client, "ams3")
    pa = create_attachment(client, pa_body([vpc], region="ams", redundancy_zone=zone))
    assert pa["redundancy_zone"] == zone


def test_five_vpcs_are_the_most_an_attachment_takes(client):
    vpcs = make_vpcs(client, "sfo2", 3) + make_vpcs(client, "sfo3", 2)
    pa = create_attachment(client, pa_body(vpcs, region="sfo"))
    assert sorted(pa["vpc_ids"]) == sorted(vpcs)
    sixth = make_vpcs(client, "sfo3", 1, prefix="sixth")[0]
    before = state_of(client)
    assert_error(call_any(client.partner_attachments.create, pa_body(vpcs + [sixth], name="six", region="sfo")), 422)
    assert_error(call_any(client.partner_attachments.patch, pa["id"], {"vpc_ids": vpcs + [sixth]}), 422)
    assert state_of(client) == before


def test_names_with_letters_digits_dots_and_hyphens_are_valid(client, nyc):
    pa = create_attachment(client, pa_body([nyc["a"]], name="Env.Prod-01.pnc"))
    assert pa["name"] == "Env.Prod-01.pnc"


# --- create validation ---------------------------------------------------------------------------


def _invalid_creates(v: dict) -> dict:
    a, d = v["a"], v["d"]
    good = [a, d]
    return {
        "region lon": pa_body(good, region="lon"),
        "region is a datacenter": pa_body(good, region="nyc1"),
        "region empty": pa_body(good, region=""),
        "region missing": pa_body(good, region=MISSING),
        "vpc_ids empty": pa_body([]),
        "vpc_ids missing": pa_body(MISSING),
        "vpc unknown": pa_body([a, str(uuid.uuid4())]),
        "vpc not a uuid": pa_body([a, "not-a-uuid"]),
        "vpc of another metro": pa_body(good, region="sfo"),
        "vpc mixed with one of another metro": pa_body([a, v["fra"]]),
        "vpc in lon1": pa_body([v["lon"]], region="nyc"),
        "bandwidth missing": pa_body(good, connection_bandwidth_in_mbps=MISSING),
        "naas_provider AWS": pa_body(good, naas_provider="AWS"),
        "naas_provider empty": pa_body(good, naas_provider=""),
        "naas_provider missing": pa_body(good, naas_provider=MISSING),
        "name with space": pa_body(good, name="bad name"),
        "name with underscore": pa_body(good, name="bad_name"),
        "name with slash": pa_body(good, name="bad/name"),
        "name non-ascii": pa_body(good, name="caf\u00e9"),
        "name empty": pa_body(good, name=""),
        "name missing": pa_body(good, name=MISSING),
        "redundancy_zone green": pa_body(good, redundancy_zone="MEGAPORT_GREEN"),
        "redundancy_zone UNSPECIFIED": pa_body(good, redundancy_zone="UNSPECIFIED"),
        "redundancy_zone empty": pa_body(good, redundancy_zone=""),
        "parent_uuid unknown": pa_body(good, parent_uuid=str(uuid.uuid4())),
        "parent_uuid not a uuid": pa_body(good, parent_uuid="nope"),
    }


@pytest.fixture
def create_vpcs(client):
    """nyc VPCs a, d plus one VPC in fra1 and one in lon1 (no metro)."""
    (a,) = make_vpcs(client, "nyc1")
    (d,) = make_vpcs(client, "nyc3")
    (fra,) = make_vpcs(client, "fra1")
    (lon,) = make_vpcs(client, "lon1")
    return {"a": a, "d": d, "fra": fra, "lon": lon}


_CASE_IDS = list(_invalid_creates({k: "" for k in ("a", "d", "fra", "lon")}))


@pytest.mark.parametrize("case", _CASE_IDS)
def test_invalid_create_is_422_and_changes_nothing(client, create_vpcs, case):
    body = _invalid_creates(create_vpcs)[case]
    before = state_of(client)
    assert_error(call_any(client.partner_attachments.create, body), 422)
    assert state_of(client) == before


@pytest.mark.parametrize("bandwidth", [50, 0, -1000, 1500, 3000, 20000, 100000])
def test_unlisted_bandwidth_is_422_with_its_message(client, bandwidth):
    (vpc,) = make_vpcs(client, "nyc1")
    before = state_of(client)
    resp = call_any(client.partner_attachments.create, pa_body([vpc], connection_bandwidth_in_mbps=bandwidth))
    assert_error(resp, 422, "invalid connection bandwidth rate provided")
    assert state_of(client) == before


@pytest.mark.parametrize("metro", list(METROS))
def test_vpc_from_any_other_datacenter_is_422(client, metro):
    # One VPC per creatable datacenter outside the metro (including ones in no metro at all).
    outside = [dc for dc in ("nyc1", "nyc3", "sfo2", "sfo3", "fra1", "ams3", "sgp1", "lon1", "tor1", "blr1", "syd1")
               if dc not in METROS[metro]]
    inside = make_vpcs(client, METROS[metro][-1])[0]
    strangers = {dc: make_vpcs(client, dc)[0] for dc in outside}
    before = state_of(client)
    failures = []
    for dc, vpc in strangers.items():
        for vpc_ids in ([vpc], [inside, vpc]):
            resp = call_any(client.partner_attachments.create, pa_body(vpc_ids, name=f"x-{dc}", region=metro))
            try:
                assert_error(resp, 422)
            except AssertionError as err:
                failures.append(f"{metro} with {dc} VPC {len(vpc_ids)}: {err}")
    assert not failures, "\n".join(failures)
    assert state_of(client) == before


def test_vpc_of_another_team_is_422(client, other_client):
    (mine,) = make_vpcs(client, "nyc1")
    (theirs,) = make_vpcs(other_client, "nyc1")
    mine_before, theirs_before = state_of(client), state_of(other_client)
    assert_error(call_any(client.partner_attachments.create, pa_body([theirs])), 422)
    assert_error(call_any(client.partner_attachments.create, pa_body([mine, theirs])), 422)
    assert state_of(client) == mine_before
    assert state_of(other_client) == theirs_before


def test_failed_create_does_not_keep_the_name(client, nyc):
    assert_error(call_any(client.partner_attachments.create, pa_body([nyc["a"]], name="again", region="sfo")), 422)
    pa = create_attachment(client, pa_body([nyc["a"]], name="again"))
    assert pa["name"] == "again"


def test_name_is_unique_within_the_team(client, other_client, nyc):
    taken = create_attachment(client, pa_body([nyc["a"]], name="taken"))
    free = create_attachment(client, pa_body([nyc["b"]], name="free"))
    before = state_of(client)
    assert_error(call_any(client.partner_attachments.create, pa_body([nyc["c"]], name="taken")), 409)
    assert_error(call_any(client.partner_attachments.patch, free["id"], {"name": "taken"}), 409)
    assert state_of(client) == before
    # Renaming to its own name is no conflict.
    same = call_any(client.partner_attachments.patch, taken["id"], {"name": "taken"})
    assert same.status == 202 and same.body["partner_attachment"]["name"] == "taken", (same.status, same.body)
    # Another team may use the name.
    (theirs,) = make_vpcs(other_client, "nyc1")
    assert create_attachment(other_client, pa_body([theirs], name="taken"))["name"] == "taken"


# --- BGP -----------------------------------------------------------------------------------------


def test_default_bgp_and_a_generated_auth_key(client, nyc):
    pa = create_attachment(client, pa_body([nyc["a"]]))
    assert pa["bgp"] == DEFAULT_BGP
    resp = call(client.partner_attachments.get_bgp_auth_key, pa["id"])
    assert resp.status == 200 and set(resp.body) == {"bgp_auth_key"}
    assert_ratelimit_headers(resp.headers)
    value = resp.body["bgp_auth_key"]["value"]
    assert isinstance(value, str) and value.strip(), resp.body
    # Stable across reads.
    assert auth_key(client, pa["id"]) == value
    # Each attachment gets its own.
    other = create_attachment(client, pa_body([nyc["b"]], name="other"))
    assert auth_key(client, other["id"]) != value


def test_given_bgp_is_used_and_its_auth_key_returned(client, nyc):
    pa = create_attachment(client, pa_body([nyc["a"]], bgp=GOOD_BGP))
    bgp = pa["bgp"]
    assert bgp["local_router_ip"] == GOOD_BGP["local_router_ip"]
    assert bgp["peer_router_ip"] == GOOD_BGP["peer_router_ip"]
    assert bgp["peer_asn"] == GOOD_BGP["peer_router_asn"]
    assert isinstance(bgp["local_asn"], int)
    assert auth_key(client, pa["id"]) == GOOD_BGP["auth_key"]


@pytest.mark.parametrize("asn", [1, 4294967294])
def test_asn_bounds_are_accepted(client, asn):
    (vpc,) = make_vpcs(client, "nyc1")
    pa = create_attachment(client, pa_body([vpc], bgp={**GOOD_BGP, "peer_router_asn": asn}))
    assert pa["bgp"]["peer_asn"] == asn


@pytest.mark.parametrize(
    "local, peer",
    [("169.254.0.1/29", "169.254.0.6/29"), ("169.254.255.250/29", "169.254.255.249/29"), ("169.254.77.10/29", "169.254.77.13/29")],
)
def test_router_ips_anywhere_in_link_local_space_are_accepted(client, local, peer):
    (vpc,) = make_vpcs(client, "nyc1")
    pa = create_attachment(client, pa_body([vpc], bgp={**GOOD_BGP, "local_router_ip": local, "peer_router_ip": peer}))
    assert (pa["bgp"]["local_router_ip"], pa["bgp"]["peer_router_ip"]) == (local, peer)


INVALID_BGP = {
    "empty object": {},
    "no local_router_ip": {k: v for k, v in GOOD_BGP.items() if k != "local_router_ip"},
    "no peer_router_ip": {k: v for k, v in GOOD_BGP.items() if k != "peer_router_ip"},
    "no peer_router_asn": {k: v for k, v in GOOD_BGP.items() if k != "peer_router_asn"},
    "no auth_key": {k: v for k, v in GOOD_BGP.items() if k != "auth_key"},
    "asn 0": {**GOOD_BGP, "peer_router_asn": 0},
    "asn 4294967295": {**GOOD_BGP, "peer_router_asn": 4294967295},
    "asn negative": {**GOOD_BGP, "peer_router_asn": -5},
    "asn too big": {**GOOD_BGP, "peer_router_asn": 2**40},
    "ip without prefix": {**GOOD_BGP, "local_router_ip": "169.254.10.1"},
    "both /30": {**GOOD_BGP, "local_router_ip": "169.254.10.1/30", "peer_router_ip": "169.254.10.2/30"},
    "both /24": {**GOOD_BGP, "local_router_ip": "169.254.10.1/24", "peer_router_ip": "169.254.10.6/24"},
    "mixed prefixes": {**GOOD_BGP, "peer_router_ip": "169.254.10.6/28"},
    "outside link-local": {**GOOD_BGP, "local_router_ip": "10.0.0.1/29", "peer_router_ip": "10.0.0.6/29"},
    "local outside link-local": {**GOOD_BGP, "local_router_ip": "169.255.10.1/29"},
    "different /29s": {**GOOD_BGP, "peer_router_ip": "169.254.10.9/29"},
    "same address": {**GOOD_BGP, "peer_router_ip": GOOD_BGP["local_router_ip"]},
    "network address": {**GOOD_BGP, "local_router_ip": "169.254.10.0/29"},
    "broadcast address": {**GOOD_BGP, "peer_router_ip": "169.254.10.7/29"},
    "ipv6": {**GOOD_BGP, "local_router_ip": "fe80::1/125", "peer_router_ip": "fe80::6/125"},
    "garbage ip": {**GOOD_BGP, "local_router_ip": "not-an-ip/29"},
}


@pytest.mark.parametrize("case", list(INVALID_BGP))
def test_invalid_bgp_on_create_is_422_and_changes_nothing(client, case):
    (vpc,) = make_vpcs(client, "nyc1")
    before = state_of(client)
    assert_error(call_any(client.partner_attachments.create, pa_body([vpc], bgp=INVALID_BGP[case])), 422)
    assert state_of(client) == before


@pytest.mark.parametrize("case", list(INVALID_BGP))
def test_invalid_bgp_on_patch_is_422_and_changes_nothing(client, case):
    (vpc,) = make_vpcs(client, "nyc1")
    pa = create_attachment(client, pa_body([vpc], bgp=GOOD_BGP))
    before = state_of(client)
    assert_error(call_any(client.partner_attachments.patch, pa["id"], {"bgp": INVALID_BGP[case]}), 422)
    assert state_of(client) == before
    assert auth_key(client, pa["id"]) == GOOD_BGP["auth_key"]


def test_patch_bgp_updates_the_session_and_the_auth_key(client, nyc):
    pa = create_attachment(client, pa_body([nyc["a"]]))
    old_key = auth_key(client, pa["id"])
    new = {"local_router_ip": "169.254.20.2/29", "peer_router_ip": "169.254.20.3/29", "peer_router_asn": 4200000000, "auth_key": "rotated-key"}
    resp = call_any(client.partner_attachments.patch, pa["id"], {"bgp": new})
    assert resp.status == 202 and set(resp.body) == {"partner_attachment"}, (resp.status, resp.body)
    patched = resp.body["partner_attachment"]
    assert patched["bgp"]["local_router_ip"] == new["local_router_ip"]
    assert patched["bgp"]["peer_router_ip"] == new["peer_router_ip"]
    assert patched["bgp"]["peer_asn"] == new["peer_router_asn"]
    # Nothing but BGP changed.
    for key in ("id", "name", "region", "naas_provider", "connection_bandwidth_in_mbps", "created_at", "redundancy_zone", "children"):
        assert patched.get(key) == pa.get(key), key
    assert sorted(patched["vpc_ids"]) == sorted(pa["vpc_ids"])
    assert get_pa(client, pa["id"]).body["partner_attachment"]["bgp"] == patched["bgp"]
    key = auth_key(client, pa["id"])
    assert key == "rotated-key" and key != old_key


# --- PATCH ---------------------------------------------------------------------------------------


def test_patch_name_renames_and_returns_202(client, nyc):
    pa = create_attachment(client, pa_body([nyc["a"]], name="before"))
    resp = call(client.partner_attachments.patch, pa["id"], {"name": "after.v2"})
    assert resp.status == 202 and set(resp.body) == {"partner_attachment"}
    assert_ratelimit_headers(resp.headers)
    patched = resp.body["partner_attachment"]
    assert patched["name"] == "after.v2"
    assert {**patched, "vpc_ids": sorted(patched["vpc_ids"])} == {**pa, "name": "after.v2", "vpc_ids": sorted(pa["vpc_ids"])}
    got = get_pa(client, pa["id"]).body["partner_attachment"]
    assert got["name"] == "after.v2"
    # The old name is free again.
    assert create_attachment(client, pa_body([nyc["b"]], name="before"))["name"] == "before"


@pytest.mark.parametrize("name", ["bad name", "bad_name", "", "caf\u00e9", "a/b"])
def test_invalid_rename_is_422_and_changes_nothing(client, nyc, name):
    pa = create_attachment(client, pa_body([nyc["a"]], name="keep"))
    before = state_of(client)
    assert_error(call_any(client.partner_attachments.patch, pa["id"], {"name": name}), 422)
    assert state_of(client) == before


def test_patch_vpc_ids_replaces_the_whole_list(client, nyc):
    a, b, c, d = nyc["a"], nyc["b"], nyc["c"], nyc["d"]
    pa = create_attachment(client, pa_body([a, b]))
    resp = call(client.partner_attachments.patch, pa["id"], {"vpc_ids": [c, d]})
    assert resp.status == 202 and set(resp.body) == {"partner_attachment"}
    patched = resp.body["partner_attachment"]
    assert sorted(patched["vpc_ids"]) == sorted([c, d])
    assert patched["name"] == pa["name"] and patched["bgp"] == pa["bgp"]
    assert sorted(get_pa(client, pa["id"]).body["partner_attachment"]["vpc_ids"]) == sorted([c, d])
    # b left the attachment and may be deleted now; c joined it and may not.
    assert call_any(client.vpcs.delete, b).status == 204
    assert_error(call_any(client.vpcs.delete, c), 409)
    # Down to one.
    resp = call(client.partner_attachments.patch, pa["id"], {"vpc_ids": [d]})
    assert resp.status == 202 and resp.body["partner_attachment"]["vpc_ids"] == [d]


def test_invalid_vpc_ids_patch_is_422_and_changes_nothing(client, other_client, nyc):
    pa = create_attachment(client, pa_body([nyc["a"], nyc["b"]]))
    (fra,) = make_vpcs(client, "fra1")
    (theirs,) = make_vpcs(other_client, "nyc1")
    extra = make_vpcs(client, "nyc3", 2, prefix="extra")
    six = [nyc["a"], nyc["b"], nyc["c"], nyc["d"], *extra]
    before = state_of(client)
    failures = []
    for label, vpc_ids in (
        ("empty", []),
        ("six", six),
        ("other metro", [fra]),
        ("mixed metro", [nyc["a"], fra]),
        ("unknown", [nyc["a"], str(uuid.uuid4())]),
        ("not a uuid", ["nope"]),
        ("another team's", [theirs]),
    ):
        try:
            assert_error(call_any(client.partner_attachments.patch, pa["id"], {"vpc_ids": vpc_ids}), 422)
        except AssertionError as err:
            failures.append(f"{label}: {err}")
    assert not failures, "\n".join(failures)
    assert state_of(client) == before


def test_patch_with_several_fields_and_one_invalid_changes_nothing(client, nyc):
    pa = create_attachment(client, pa_body([nyc["a"]], name="whole", bgp=GOOD_BGP))
    before = state_of(client)
    for body in (
        {"name": "renamed", "vpc_ids": [nyc["b"]], "bgp": {**GOOD_BGP, "peer_router_asn": 0, "auth_key": "new"}},
        {"name": "bad name", "vpc_ids": [nyc["b"]]},
        {"name": "renamed", "vpc_ids": []},
        {"name": "renamed", "bgp": {"auth_key": "only-the-key"}},
    ):
        assert_error(call_any(client.partner_attachments.patch, pa["id"], body), 422)
    assert state_of(client) == before


def test_vpc_in_an_attachment_cannot_be_deleted(client, nyc):
    b = nyc["b"]  # not a default VPC
    pa = create_attachment(client, pa_body([b]))
    before = state_of(client)
    assert_error(call_any(client.vpcs.delete, b), 409)
    assert state_of(client) == before
    delete_and_wait(client, pa["id"])
    assert call_any(client.vpcs.delete, b).status == 204


# --- HA pairs ------------------------------------------------------------------------------------


def test_ha_child_parent_links_and_delete_order(client, nyc):
    parent = create_attachment(client, pa_body([nyc["a"]], name="primary"))
    assert "children" not in parent and "parent_uuid" not in parent

    child = create_attachment(
        client, pa_body([nyc["a"]], name="secondary", parent_uuid=parent["id"], redundancy_zone="MEGAPORT_BLUE")
    )
    assert_attachment(child, parent_uuid=parent["id"], redundancy_zone="MEGAPORT_BLUE", children=[])
    got_parent = get_pa(client, parent["id"]).body["partner_attachment"]
    assert got_parent["children"] == [child["id"]]
    assert "parent_uuid" not in got_parent
    listed = {p["id"]: p for p in call(client.partner_attachments.list).body["partner_attachments"]}
    assert listed[parent["id"]]["children"] == [child["id"]]
    assert listed[child["id"]]["parent_uuid"] == parent["id"]

    # The parent cannot go while it has a child.
    before = state_of(client)
    assert_error(call_any(client.partner_attachments.delete, parent["id"]), 409)
    assert state_of(client) == before
    assert get_pa(client, parent["id"]).body["partner_attachment"]["state"] == "CREATED"

    delete_and_wait(client, child["id"])
    assert get_pa(client, parent["id"]).body["partner_attachment"].get("children", []) == []
    delete_and_wait(client, parent["id"])
    assert call(client.partner_attachments.list).body["partner_attachments"] == []


def test_parent_of_another_team_is_422(client, other_client):
    (theirs_vpc,) = make_vpcs(other_client, "nyc1")
    theirs = create_attachment(other_client, pa_body([theirs_vpc], name="theirs"))
    (mine_vpc,) = make_vpcs(client, "nyc1")
    mine_before, theirs_before = state_of(client), state_of(other_client)
    assert_error(call_any(client.partner_attachments.create, pa_body([mine_vpc], parent_uuid=theirs["id"])), 422)
    assert state_of(client) == mine_before
    assert state_of(other_client) == theirs_before
    assert get_pa(other_client, theirs["id"]).body["partner_attachment"].get("children", []) == []


# --- remote routes, service key ------------------------------------------------------------------


def test_remote_routes_are_empty_without_bgp(client, nyc):
    pa = create_attachment(client, pa_body([nyc["a"]]))
    resp = call(client.partner_attachments.list_remote_routes, pa["id"])
    assert resp.status == 200 and set(resp.body) == {"remote_routes", "links", "meta"}
    assert_ratelimit_headers(resp.headers)
    assert assert_list_envelope(resp.body, "remote_routes", 0) == []
    paged = call(client.partner_attachments.list_remote_routes, pa["id"], per_page=1, page=2)
    assert paged.status == 200
    assert assert_list_envelope(paged.body, "remote_routes", 0) == []


def _service_key(client, pa_id: str) -> dict:
    resp = call(client.partner_attachments.get_service_key, pa_id)
    assert resp.status == 200 and set(resp.body) == {"service_key"}, (resp.status, resp.body)
    key = resp.body["service_key"]
    assert {"value", "state", "created_at"} <= set(key), key
    return key


def _wait_service_key(client, pa_id: str, done) -> dict:
    deadline = time.monotonic() + 5
    while True:
        key = _service_key(client, pa_id)
        if done(key) or time.monotonic() > deadline:
            return key
        time.sleep(0.2)


def test_service_key_is_issued_and_can_be_regenerated(client, nyc):
    pa = create_attachment(client, pa_body([nyc["a"]]))
    first = _wait_service_key(client, pa["id"], lambda k: k["state"] == "CREATED")
    assert first["state"] == "CREATED", first
    assert isinstance(first["value"], str) and first["value"], first
    assert_timestamp(first["created_at"])

    resp = call(client.partner_attachments.create_service_key, pa["id"])
    assert resp.status == 202
    assert resp.body == {}, f"POST service_key must answer a JSON {{}} (godo fails on an empty body): {resp.body!r}"
    assert resp.headers["content-type"].startswith("application/json")
    assert_ratelimit_headers(resp.headers)

    second = _wait_service_key(client, pa["id"], lambda k: k["state"] == "CREATED" and k["value"] != first["value"])
    assert second["state"] == "CREATED", second
    assert second["value"] and second["value"] != first["value"], (first, second)
    assert_timestamp(second["created_at"])
    # Regenerating the service key leaves the attachment alone.
    got = get_pa(client, pa["id"]).body["partner_attachment"]
    assert got["state"] == "CREATED" and got["name"] == pa["name"]


# --- ids, tenancy --------------------------------------------------------------------------------


@pytest.mark.parametrize("pa_id", [str(uuid.uuid4()), "not-a-uuid", "42", uuid.uuid4().hex])
def test_unknown_or_malformed_ids_are_404_on_every_route(client, pa_id):
    assert_all_404(every_route(client, pa_id))


def test_another_team_gets_404_everywhere_and_changes_nothing(client, other_client, nyc):
    pa = create_attachment(client, pa_body([nyc["a"]], name="mine", bgp=GOOD_BGP))
    mine = state_of(client)
    service_key = _wait_service_key(client, pa["id"], lambda k: k["state"] == "CREATED")

    listed = call(other_client.partner_attachments.list)
    assert listed.status == 200
    assert assert_list_envelope(listed.body, "partner_attachments", 0) == []
    assert_all_404(every_route(other_client, pa["id"]))
    patched = call_any(other_client.partner_attachments.patch, pa["id"], {"vpc_ids": [nyc["b"]], "bgp": GOOD_BGP})
    assert_error(patched, 404)

    assert state_of(client) == mine
    assert _service_key(client, pa["id"]) == service_key
    assert call(other_client.partner_attachments.list).body["partner_attachments"] == []


# --- pagination ----------------------------------------------------------------------------------


def test_attachments_paginate(client, server, token):
    vpcs = make_vpcs(client, "ams3", 3) + make_vpcs(client, "ams2", 2)
    ids = {create_attachment(client, pa_body([vpc], name=f"pa-{i}", region="ams"), wait=False)["id"] for i, vpc in enumerate(vpcs)}

    seen: list[str] = []
    for page, size in ((1, 2), (2, 2), (3, 1)):
        resp = call(client.partner_attachments.list, per_page=2, page=page)
        assert resp.status == 200
        items = assert_list_envelope(resp.body, "partner_attachments", 5)
        assert len(items) == size, f"page {page}"
        for item in items:
            assert_attachment(item)
        _expect_pages(resp.body, PATH, 2, page, 3)
        seen += [p["id"] for p in items]
    assert len(seen) == 5 and set(seen) == ids, "pages overlap or miss attachments"

    beyond = call(client.partner_attachments.list, per_page=2, page=4)
    assert beyond.status == 200
    assert assert_list_envelope(beyond.body, "partner_attachments", 5) == []

    everything = call(client.partner_attachments.list, per_page=200)
    assert {p["id"] for p in assert_list_envelope(everything.body, "partner_attachments", 5)} == ids
    assert not page_links(everything.body), everything.body["links"]
    assert len(call(client.partner_attachments.list).body["partner_attachments"]) == 5

    first = call(client.partner_attachments.list, per_page=2)
    pages = first.body["links"]["pages"]
    assert pages["next"].startswith(server.do_url + PATH + "?"), pages
    headers = {"Authorization": f"Bearer {token}"}
    followed = requests.get(pages["next"], headers=headers, timeout=10)
    assert followed.status_code == 200
    assert {p["id"] for p in followed.json()["partner_attachments"]} == {
        p["id"] for p in call(client.partner_attachments.list, per_page=2, page=2).body["partner_attachments"]
    }


@pytest.mark.parametrize("query", ["per_page=0", "per_page=201", "per_page=abc", "page=0", "page=-1", "page=x"])
def test_bad_pagination_parameters_never_crash(raw, query):
    resp = raw.request("GET", f"{PATH}?{query}")
    if resp.status_code == 200:
        assert_list_envelope(resp.json(), "partner_attachments", 0)
    else:
        assert_error(resp, (400, 422))


# --- headers, raw HTTP ---------------------------------------------------------------------------


def test_every_response_carries_rate_limit_headers_and_a_request_id(client, nyc):
    ops = client.partner_attachments
    created = call(ops.create, pa_body([nyc["a"]], name="hdr"))
    pa_id = created.body["partner_attachment"]["id"]
    wait_state(client, pa_id, "CREATED")
    responses = {
        "create": created,
        "create 422": call_any(ops.create, pa_body([nyc["a"]], name="bad name")),
        "create 409": call_any(ops.create, pa_body([nyc["b"]], name="hdr")),
        "list": call(ops.list),
        "get": call(ops.get, pa_id),
        "get 404": call(ops.get, str(uuid.uuid4())),
        "patch": call(ops.patch, pa_id, {"name": "hdr2"}),
        "patch 422": call_any(ops.patch, pa_id, {"name": "bad name"}),
        "bgp_auth_key": call(ops.get_bgp_auth_key, pa_id),
        "remote_routes": call(ops.list_remote_routes, pa_id),
        "get_service_key": call(ops.get_service_key, pa_id),
        "create_service_key": call(ops.create_service_key, pa_id),
        "delete": call(ops.delete, pa_id),
        "delete 404": call(ops.delete, str(uuid.uuid4())),
    }
    statuses = {name: r.status for name, r in responses.items()}
    assert statuses == {
        "create": 202, "create 422": 422, "create 409": 409, "list": 200, "get": 200, "get 404": 404,
        "patch": 202, "patch 422": 422, "bgp_auth_key": 200, "remote_routes": 200, "get_service_key": 200,
        "create_service_key": 202, "delete": 202, "delete 404": 404,
    }, statuses
    request_ids = set()
    for name, resp in responses.items():
        try:
            assert_ratelimit_headers(resp.headers)
        except AssertionError as err:
            raise AssertionError(f"{name}: {err}") from None
        rid = resp.headers.get("x-request-id")
        assert rid, f"{name} has no x-request-id"
        request_ids.add(rid)
    assert len(request_ids) == len(responses), "request ids repeat"


@pytest.mark.parametrize("auth", [None, "Bearer", "Basic dXNlcjpwYXNz"])
@pytest.mark.parametrize("path", [PATH, f"{PATH}/{uuid.uuid4()}", f"{PATH}/{uuid.uuid4()}/service_key"])
def test_missing_or_malformed_authorization_is_401(server, path, auth):
    assert_error(Raw(server, None).request("GET", path, auth=auth), 401)


MALFORMED = ['{"name": ', "not json", '{"name": "x",}', '{"name": "x"} trailing']


def test_malformed_json_is_400_and_changes_nothing(client, raw, nyc):
    pa = create_attachment(client, pa_body([nyc["a"]]))
    before = state_of(client)
    failures = []
    for method, path in (("POST", PATH), ("PATCH", f"{PATH}/{pa['id']}")):
        for payload in MALFORMED:
            resp = raw.request(method, path, data=payload.encode(), headers={"Content-Type": "application/json"})
            try:
                assert_error(resp, 400)
            except AssertionError as err:
                failures.append(f"{method} {payload!r}: {err}")
    assert not failures, "\n".join(failures)
    assert state_of(client) == before


def test_an_absent_body_is_an_empty_object(client, raw, nyc):
    """The spec does not mark these bodies required: no body is `{}`, not broken JSON."""
    pa = create_attachment(client, pa_body([nyc["a"]]))
    before = state_of(client)
    json_type = {"Content-Type": "application/json"}
    assert_error(raw.request("POST", PATH, data=b"", headers=json_type), 422, "name")
    resp = raw.request("PATCH", f"{PATH}/{pa['id']}", data=b"", headers=json_type)
    assert resp.status_code == 202, resp.text
    assert state_of(client) == before


def test_wrong_types_are_4xx_and_change_nothing(client, raw, nyc):
    pa = create_attachment(client, pa_body([nyc["a"]]))
    good = pa_body([nyc["b"]], name="typed")
    before = state_of(client)
    cases = [
        ("POST", PATH, {**good, "connection_bandwidth_in_mbps": "1000"}),
        ("POST", PATH, {**good, "vpc_ids": nyc["b"]}),
        ("POST", PATH, {**good, "vpc_ids": [1, 2]}),
        ("POST", PATH, {**good, "name": ["typed"]}),
        ("POST", PATH, {**good, "region": 1}),
        ("POST", PATH, {**good, "bgp": "169.254.0.1/29"}),
        ("POST", PATH, {**good, "bgp": {**GOOD_BGP, "peer_router_asn": "65001"}}),
        ("POST", PATH, {**good, "bgp": {**GOOD_BGP, "auth_key": 42}}),
        ("POST", PATH, {**good, "redundancy_zone": 1}),
        ("POST", PATH, [good]),
        ("POST", PATH, None),
        ("PATCH", f"{PATH}/{pa['id']}", {"name": 5}),
        ("PATCH", f"{PATH}/{pa['id']}", {"vpc_ids": nyc["b"]}),
        ("PATCH", f"{PATH}/{pa['id']}", {"bgp": {**GOOD_BGP, "peer_router_asn": 1.5}}),
    ]
    failures = []
    for method, path, body in cases:
        resp = raw.request(method, path, data=json.dumps(body), headers={"Content-Type": "application/json"})
        try:
            assert_error(resp, (400, 422))
        except AssertionError as err:
            failures.append(f"{method} {str(body)[:90]}: {err}")
    assert not failures, "\n".join(failures)
    assert state_of(client) == before


def test_teams_are_independent_for_names_and_vpcs(server):
    one, two = pydo_client(server, new_token()), pydo_client(server, new_token())
    pa_one = create_attachment(one, pa_body(make_vpcs(one, "sgp1"), name="same", region="sgp"))
    pa_two = create_attachment(two, pa_body(make_vpcs(two, "sgp1"), name="same", region="SGP"))
    assert pa_one["id"] != pa_two["id"]
    assert [p["id"] for p in call(one.partner_attachments.list).body["partner_attachments"]] == [pa_one["id"]]
    assert [p["id"] for p in call(two.partner_attachments.list).body["partner_attachments"]] == [pa_two["id"]]
