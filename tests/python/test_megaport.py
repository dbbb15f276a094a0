"""The Megaport API listener against real clients and the reference's wire shapes:

1. megalib 1.1 (PyPI; the legacy dialect: /v2/login + X-Auth-Token, /v2/networkdesign, megalib's
   own MCR order shape), unchanged but for its base URL;
2. the seed's end-to-end flow: a DigitalOcean partner attachment (pydo) and a Megaport MCR with
   a VXC ordered with the attachment's service key, in megaportgo's exact request shapes (§16);
3. the envelope and wire rules of §0 (errors with string `data` and a Trace-Id, epoch-ms dates,
   junk keys, numbers as strings, the `%3F` key lookup);
4. the seed page's service-key rules between two companies (East owns the port, West consumes);
5. `--auth strict` with API keys minted by the admin API."""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid

import megalib
import pytest
import requests

from megaport_support import (
    GONE,
    MP,
    NY5,
    TERMS,
    buy,
    bought_uid,
    cancel_now,
    company,
    create_key,
    envelope,
    key_body,
    lookup_key,
    mcr_line,
    mp_error,
    new_mcr,
    new_port,
    now_ms,
    oauth_token,
    port_line,
    product_in,
    products,
    start_strict,
    unique,
    validate,
    vrouter_config,
    vxc_line,
    wait_for,
    wait_status,
)
from support import Server, call, call_any, create_vpc, crosslink_bin, new_token, pydo_client

DAY_MS = 86_400_000


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def east(server) -> MP:
    """The company that owns a port and hands out service keys (the seed's B-End)."""
    return company(server, "East")


@pytest.fixture
def west(server) -> MP:
    """The company that consumes the keys and orders (and pays for) the VXCs (the A-End)."""
    return company(server, "West")


@pytest.fixture
def do_client(server):
    return pydo_client(server, new_token())


@pytest.fixture
def legacy(server, monkeypatch):
    """megalib pointed at the twin (its production URL is a module-level list), logged in."""
    monkeypatch.setattr(megalib, "env_url", [server.megaport_url, megalib.env_url[1]])
    user = unique("megalib")
    login = megalib.login(user, "pa55word")
    assert login.status_code == 200, login.json
    assert set(login.header) == {"X-Auth-Token", "Content-Type"}, login.header
    assert login.header["X-Auth-Token"] == login.json["data"]["session"], login.json
    return login.header


def do_attachment(client, bandwidth: int = 1000) -> tuple[dict, str, str]:
    """The DigitalOcean half: a VPC in nyc1, a MEGAPORT attachment in nyc, CREATED; its
    service key (once issued) and its BGP auth key."""
    vpc = create_vpc(client, unique("vpc"), "nyc1")
    body = {"name": unique("pnc"), "connection_bandwidth_in_mbps": bandwidth, "region": "nyc",
            "naas_provider": "MEGAPORT", "vpc_ids": [vpc["id"]]}
    resp = call_any(client.partner_attachments.create, body)
    assert resp.status == 202, (resp.status, resp.body)
    pa_id = resp.body["partner_attachment"]["id"]
    got = wait_for(lambda: call(client.partner_attachments.get, pa_id),
                   lambda r: r.body["partner_attachment"]["state"] == "CREATED")
    assert got.body["partner_attachment"]["state"] == "CREATED", got.body
    key = wait_for(lambda: call(client.partner_attachments.get_service_key, pa_id).body["service_key"],
                   lambda k: k["state"] == "CREATED")
    assert key["state"] == "CREATED" and key["value"], key
    auth = call(client.partner_attachments.get_bgp_auth_key, pa_id).body["bgp_auth_key"]["value"]
    assert isinstance(auth, str) and auth, auth
    return got.body["partner_attachment"], key["value"], auth


def to_do_line(mcr: str, key: str, b_uid: str, auth: str, rate: int = 1000, name: str = "to-digitalocean") -> dict:
    return vxc_line(mcr, name, rate, key=key, b_uid=b_uid, a_end={"partnerConfig": vrouter_config(auth)})


def nested_vxcs(mp: MP, product_uid: str) -> dict:
    return {v["productUid"]: v for v in product_in(mp, product_uid)["associatedVxcs"]}


def assert_epoch_ms(value, within_ms: int = 10 * 60_000) -> None:
    assert isinstance(value, int) and not isinstance(value, bool), f"not an integer epoch: {value!r}"
    assert abs(now_ms() - value) < within_ms, f"{value} is not epoch milliseconds near {now_ms()}"


# --- 1. megalib 1.1 -----------------------------------------------------------------------------


def test_megalib_login_locations_and_empty_products(server, legacy):
    locations = megalib.locations(legacy)
    assert locations.status_code == 200, locations.json
    assert locations.json["message"] == "List all public locations"
    by_id = {l["id"]: l for l in locations.json["data"]}
    assert by_id[NY5]["name"] == "Equinix NY5" and by_id[NY5]["metro"] == "New York", by_id[NY5]
    assert by_id[NY5]["status"] == "Active" and by_id[NY5]["vRouterAvailable"] is True

    listed = megalib.product(legacy)
    assert listed.status_code == 200 and listed.json["data"] == [], listed.json

    # A session token that was never signed is refused.
    bad = megalib.product({"X-Auth-Token": "mpt.not-a-session", "Content-Type": "application/json"})
    assert bad.status_code == 401 and isinstance(bad.json["data"], str), bad.json
    out = megalib.logout(legacy["X-Auth-Token"])
    assert out.status_code == 200 and out.json["terms"] == TERMS, out.json


def test_megalib_orders_an_mcr_as_a_virtual_megaport(server, legacy):
    name = unique("megalib-mcr")
    priced = megalib.mcr(legacy, NY5, name, 1000, asn=65010, validate=True)
    assert priced.status_code == 200, priced.json
    assert priced.currency == "USD" and priced.monthly_rate > 0, priced.json

    ordered = megalib.mcr(legacy, NY5, name, 1000, asn=65010)
    assert ordered.status_code == 200, ordered.json
    assert str(uuid.UUID(ordered.uid)) == ordered.uid
    # productType MEGAPORT + virtual "true" + config.mcrAsn is megalib's MCR.
    mp = MP(server, legacy["X-Auth-Token"], legacy=True)
    mcr = wait_status(mp, ordered.uid, "LIVE")
    assert mcr["productType"] == "MCR2" and mcr["productName"] == name, mcr
    assert mcr["portSpeed"] == 1000 and mcr["locationId"] == NY5 and mcr["virtual"] is True
    assert mcr["resources"]["virtual_router"]["mcrAsn"] == 65010, mcr["resources"]

    listed = megalib.product(legacy)
    assert listed.status_code == 200
    assert [(p["productUid"], p["productType"]) for p in listed.json["data"]] == [(ordered.uid, "MCR2")]


def test_megalib_port_vxc_update_lock_and_cancel(server, legacy):
    mp = MP(server, legacy["X-Auth-Token"], legacy=True)
    port = megalib.port(legacy, NY5, unique("megalib-port"), 10000, term=12)
    assert port.status_code == 200, port.json
    assert wait_status(mp, port.uid, "LIVE")["productType"] == "MEGAPORT"
    mcr = megalib.mcr(legacy, NY5, unique("megalib-mcr"), 2500)
    assert mcr.status_code == 200, mcr.json
    wait_status(mp, mcr.uid, "LIVE")

    vxc = megalib.vxc(legacy, port.uid, mcr.uid, "port-to-mcr", 500, vlan=100)
    assert vxc.status_code == 200, vxc.json
    got = wait_status(mp, vxc.uid, "LIVE")
    assert got["productType"] == "VXC" and got["rateLimit"] == 500
    assert got["aEnd"]["productUid"] == port.uid and got["aEnd"]["vlan"] == 100
    assert got["bEnd"]["productUid"] == mcr.uid and isinstance(got["bEnd"]["vlan"], int)

    listed = megalib.product(legacy).json["data"]
    assert sorted(p["productUid"] for p in listed) == sorted([port.uid, mcr.uid]), "a VXC is never top-level"
    for p in listed:
        assert [v["productUid"] for v in p["associatedVxcs"]] == [vxc.uid], p["productUid"]

    renamed = megalib.update_vxc(legacy, vxc.uid, name="renamed", speed=200, vlan=101)
    assert renamed.status_code == 200, renamed.json
    got = envelope(mp.get(f"/v2/product/{vxc.uid}"))
    assert (got["productName"], got["rateLimit"], got["aEnd"]["vlan"]) == ("renamed", 200, 101), got

    # The port's VLAN 101 is now taken; the port can tell.
    assert envelope(mp.get(f"/v2/product/port/{port.uid}/vlan?vlan=101")) == []
    assert envelope(mp.get(f"/v2/product/port/{port.uid}/vlan?vlan=102")) == [102]

    locked = megalib.product_lock(legacy, port.uid)
    assert locked.status_code == 200, locked.json
    assert envelope(mp.get(f"/v2/product/{port.uid}"))["locked"] is True
    unlocked = megalib.product_lock(legacy, port.uid, lock=False)
    assert unlocked.status_code == 200, unlocked.json
    assert envelope(mp.get(f"/v2/product/{port.uid}"))["locked"] is False

    cancelled = megalib.lifecycle_action(legacy, vxc.uid, "CANCEL_NOW")
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["message"] == f"Action [CANCEL_NOW Service {vxc.uid}] has been done."
    wait_status(mp, vxc.uid, "DECOMMISSIONED")
    assert all(p["associatedVxcs"] == [] for p in megalib.product(legacy).json["data"])


def test_megalib_cancel_later_and_restore(server, legacy):
    mp = MP(server, legacy["X-Auth-Token"], legacy=True)
    port = megalib.port(legacy, NY5, unique("megalib-port"), 1000)
    mcr = megalib.mcr(legacy, NY5, unique("megalib-mcr"), 1000)
    wait_status(mp, port.uid, "LIVE")
    wait_status(mp, mcr.uid, "LIVE")
    vxc = megalib.vxc(legacy, port.uid, mcr.uid, "later", 100)
    assert vxc.status_code == 200, vxc.json
    wait_status(mp, vxc.uid, "LIVE")

    later = megalib.lifecycle_action(legacy, vxc.uid, "CANCEL")
    assert later.status_code == 200, later.json
    assert later.json["message"] == f"Action [CANCEL Service {vxc.uid}] has been done."
    got = envelope(mp.get(f"/v2/product/{vxc.uid}"))
    assert got["provisioningStatus"] == "CANCELLED", got["provisioningStatus"]
    time.sleep(0.5)
    assert envelope(mp.get(f"/v2/product/{vxc.uid}"))["provisioningStatus"] == "CANCELLED", "CANCEL waits for the term's end"

    restored = megalib.lifecycle_action(legacy, vxc.uid, "UN_CANCEL")
    assert restored.status_code == 200, restored.json
    assert envelope(mp.get(f"/v2/product/{vxc.uid}"))["provisioningStatus"] == "LIVE"
    again = megalib.lifecycle_action(legacy, vxc.uid, "UN_CANCEL")
    assert again.status_code in (400, 409) and isinstance(again.json["data"], str), again.json
    bogus = megalib.lifecycle_action(legacy, vxc.uid, "EXPLODE")
    assert bogus.status_code == 400 and isinstance(bogus.json["data"], str), bogus.json


def test_megalib_service_keys(server, legacy):
    mp = MP(server, legacy["X-Auth-Token"], legacy=True)
    port = megalib.port(legacy, NY5, unique("megalib-port"), 10000, term=12)
    wait_status(mp, port.uid, "LIVE")

    # megalib: string booleans, validFor.start in seconds and end as an ISO string.
    made = megalib.service_key(legacy, port.uid, "for a partner", single_use=False, max_speed=500)
    assert made.status_code == 200, made.json
    key = made.json["data"]
    assert made.json["message"] == f"New service key [{key['key']}] generated"
    assert key["productUid"] == port.uid and key["description"] == "for a partner"
    assert key["maxSpeed"] == 500 and key["singleUse"] is False
    assert key["active"] is True and key["preApproved"] is True and key["valid"] is True
    assert key["vlan"] is None, "megalib's vlan 0 means none"
    end = int(dt.datetime(2066, 6, 6, tzinfo=dt.timezone.utc).timestamp() * 1000)
    assert key["validFor"]["end"] == end, key["validFor"]
    assert_epoch_ms(key["validFor"]["start"])

    for listed in (megalib.service_key_lookup(legacy, port.uid), megalib.service_key_lookup(legacy)):
        assert listed.status_code == 200, listed.json
        assert [k["key"] for k in listed.json["data"]] == [key["key"]]

    partners = megalib.partner(legacy)
    assert partners.status_code == 200 and isinstance(partners.json["data"], list), partners.json
    assert partners.json["data"], "DigitalOcean's partner ports are listed"
    assert {p["companyName"] for p in partners.json["data"]} == {"DigitalOcean"}, partners.json["data"]
    assert NY5 in {p["locationId"] for p in partners.json["data"]}
    assert port.uid not in {p["productUid"] for p in partners.json["data"]}, "a customer port is no partner port"


# --- 2. the seed's end-to-end flow --------------------------------------------------------------


def test_digitalocean_attachment_to_megaport_mcr(server, do_client, west):
    pa, key, auth = do_attachment(do_client)

    ny5 = {l["id"]: l for l in envelope(west.get("/v3/locations"))}[NY5]
    assert ny5["status"] == "Active" and 2500 in ny5["diversityZones"]["red"]["mcrSpeedMbps"], ny5

    mcr = bought_uid(buy(west, [mcr_line(unique("mcr"))]))
    got = wait_status(west, mcr, "LIVE")
    assert (got["productType"], got["portSpeed"], got["locationId"]) == ("MCR2", 2500, NY5), got
    assert got["connectType"] == "VROUTER" and got["resources"]["virtual_router"]["mcrAsn"] == 133937

    found = envelope(lookup_key(west, key))
    assert found["key"] == key and found["valid"] is True and found["active"] is True, found
    assert found["singleUse"] is True and found["maxSpeed"] == pa["connection_bandwidth_in_mbps"] == 1000
    assert found["description"] is None, f"the description is the owner's: {found}"
    assert found["companyName"] == "DigitalOcean" and found["productName"] is None, found
    b_uid = found["productUid"]
    assert str(uuid.UUID(b_uid)) == b_uid
    mp_error(west.get(f"/v2/product/{b_uid}"), 404, "Could not find a service with UID")
    partner_ports = {p["productUid"]: p for p in envelope(west.get("/v2/dropdowns/partner/megaports"))}
    assert partner_ports[b_uid]["locationId"] == NY5, partner_ports.get(b_uid)

    line = to_do_line(mcr, key, b_uid, auth)
    priced = envelope(validate(west, [line]))
    assert len(priced) == 1 and priced[0]["price"]["currency"] == "USD" and priced[0]["price"]["monthlyRate"] > 0
    assert envelope(lookup_key(west, key))["valid"] is True, "validating spends no key"

    vxc = bought_uid(buy(west, [line]), "vxcJTechnicalServiceUid")
    v = wait_status(west, vxc, "LIVE")
    assert (v["productType"], v["rateLimit"], v["productName"]) == ("VXC", 1000, "to-digitalocean"), v
    assert v["aEnd"]["productUid"] == mcr and v["bEnd"]["productUid"] == b_uid
    assert isinstance(v["aEnd"]["vlan"], int)
    assert v["bEnd"]["vlan"] is None and v["resources"]["vll"]["b_vlan"] is None, "the B-End's details are DigitalOcean's"
    [csp] = v["resources"]["csp_connection"]
    assert csp["connectType"] == "VROUTER"
    [bgp] = csp["interfaces"][0]["bgpConnections"]
    assert (bgp["peerAsn"], bgp["localIpAddress"], bgp["peerIpAddress"], bgp["password"]) == (64532, "169.254.0.6", "169.254.0.1", auth)
    assert csp["interfaces"][0]["ipAddresses"] == ["169.254.0.6/29"]

    top = [p["productUid"] for p in products(west)]
    assert top == [mcr], f"VXCs are only nested: {top}"
    nested = nested_vxcs(west, mcr)
    assert list(nested) == [vxc] and nested[vxc]["bEnd"]["vlan"] is None

    spent = envelope(lookup_key(west, key))
    assert spent["valid"] is False, spent
    again = vxc_line(mcr, "again", 500, key=key, b_uid=b_uid, a_end={"partnerConfig": vrouter_config(auth)})
    mp_error(buy(west, [again]), 400, ("single-use", "used"))

    cancelled = envelope(cancel_now(west, vxc))
    assert cancelled is None
    wait_status(west, vxc, "DECOMMISSIONED")
    assert nested_vxcs(west, mcr) == {}, "a decommissioned VXC leaves associatedVxcs"


def test_rate_limit_above_the_attachment_bandwidth_is_refused(server, do_client, west):
    pa, key, auth = do_attachment(do_client, bandwidth=1000)
    mcr = new_mcr(west, speed=5000)
    b_uid = envelope(lookup_key(west, key))["productUid"]
    line = to_do_line(mcr, key, b_uid, auth, rate=2000)
    mp_error(validate(west, [line]), 400, "1000")
    mp_error(buy(west, [line]), 400, "1000")
    assert nested_vxcs(west, mcr) == {}
    # The refused order spent nothing: the key still orders 1000.
    bought_uid(buy(west, [to_do_line(mcr, key, b_uid, auth, rate=1000)]), "vxcJTechnicalServiceUid")


def test_a_b_end_the_key_does_not_name_is_refused(server, do_client, west):
    _, key, auth = do_attachment(do_client)
    mcr = new_mcr(west)
    other = new_mcr(west)
    mp_error(buy(west, [to_do_line(mcr, key, other, auth)]), 400, "service key")
    assert envelope(lookup_key(west, key))["valid"] is True


def test_a_regenerated_attachment_key_supersedes_the_old_one(server, do_client, west):
    pa, old_key, auth = do_attachment(do_client)
    mcr = new_mcr(west)
    b_uid = envelope(lookup_key(west, old_key))["productUid"]
    assert call(do_client.partner_attachments.create_service_key, pa["id"]).status == 202
    new = wait_for(lambda: call(do_client.partner_attachments.get_service_key, pa["id"]).body["service_key"],
                   lambda k: k["state"] == "CREATED" and k["value"] != old_key)
    assert new["value"] != old_key and new["state"] == "CREATED", new
    old = envelope(lookup_key(west, old_key))
    assert old["valid"] is False and old["active"] is False, old
    mp_error(buy(west, [to_do_line(mcr, old_key, b_uid, auth)]), 400, "not active")
    fresh = envelope(lookup_key(west, new["value"]))
    assert fresh["valid"] is True and fresh["productUid"] == b_uid and fresh["maxSpeed"] == 1000, fresh
    vxc = bought_uid(buy(west, [to_do_line(mcr, new["value"], b_uid, auth)]), "vxcJTechnicalServiceUid")
    wait_status(west, vxc, "LIVE")


def test_the_key_of_a_deleted_attachment_orders_nothing(server, do_client, west):
    pa, key, auth = do_attachment(do_client)
    mcr = new_mcr(west)
    b_uid = envelope(lookup_key(west, key))["productUid"]
    assert call_any(do_client.partner_attachments.delete, pa["id"]).status == 202
    looked = wait_for(lambda: envelope(lookup_key(west, key)), lambda k: k["valid"] is False)
    assert looked["valid"] is False, looked
    mp_error(buy(west, [to_do_line(mcr, key, b_uid, auth)]), 400, "service key")
    assert nested_vxcs(west, mcr) == {}


def test_deleting_the_attachment_cancels_its_vxc(server, do_client, west):
    pa, key, auth = do_attachment(do_client)
    mcr = new_mcr(west)
    b_uid = envelope(lookup_key(west, key))["productUid"]
    vxc = bought_uid(buy(west, [to_do_line(mcr, key, b_uid, auth)]), "vxcJTechnicalServiceUid")
    wait_status(west, vxc, "LIVE")

    resp = call_any(do_client.partner_attachments.delete, pa["id"])
    assert resp.status == 202, (resp.status, resp.body)
    gone = wait_status(west, vxc, GONE)
    assert gone["provisioningStatus"] in GONE
    notices = envelope(west.get("/v2/notifications"))
    assert any(n.get("serviceUid") == vxc and "cancel" in n["message"].lower() for n in notices), notices
    # The MCR stays; the VXC is no longer a live one of it.
    assert wait_status(west, mcr, "LIVE")
    live = [v for v in nested_vxcs(west, mcr).values() if v["provisioningStatus"] not in GONE]
    assert live == []


# --- 3. envelope and wire rules -----------------------------------------------------------------


def test_locations_are_public_and_products_need_a_token(server):
    anon = MP(server)
    for path in ("/v3/locations", "/v2/locations"):
        data = envelope(anon.get(path))
        assert NY5 in {l["id"] for l in data}, path
    mp_error(anon.get("/v2/products"), 401)
    mp_error(MP(server, "").get("/v2/products"), 401)
    mp_error(anon.post("/v4/networkdesign/buy", {"networkDesign": [mcr_line("x")], "discountCodes": []}), 401)


def test_errors_are_enveloped_with_string_data_and_a_trace_id(server, west):
    missing = str(uuid.uuid4())
    mp_error(west.get(f"/v2/product/{missing}"), 404, f"Could not find a service with UID {missing}")
    mp_error(west.get("/v2/no/such/route"), 404)
    mp_error(west.request("POST", "/v4/networkdesign/buy", raw=b"{not json"), 400)
    mp_error(buy(west, [mcr_line("bad speed", speed=1234)]), 400)
    mp_error(buy(west, []), 400)
    mp_error(west.post("/v2/service/key", {"productUid": missing, "singleUse": False, "maxSpeed": 100}), 404)
    # Trace ids are per response.
    a, b = west.get("/v2/no/such/route"), west.get("/v2/no/such/route")
    assert a.headers["trace-id"] != b.headers["trace-id"]


def test_successes_carry_the_envelope_and_epoch_ms_dates(server, east):
    port = new_port(east)
    p = envelope(east.get(f"/v2/product/{port}"))
    assert_epoch_ms(p["createDate"])
    assert p["productType"] == "MEGAPORT" and p["portSpeed"] == 10000 and p["contractTermMonths"] == 12
    assert p["liveDate"] is None or isinstance(p["liveDate"], int)
    key = create_key(east, port, description="dates")
    assert_epoch_ms(key["createDate"])
    assert_epoch_ms(key["validFor"]["start"])
    for item in products(east):
        assert isinstance(item["createDate"], int)


def test_live_services_have_a_live_date(server, east):
    port = new_port(east)
    mcr = new_mcr(east)
    vxc = bought_uid(buy(east, [vxc_line(mcr, "dated", 100, b_uid=port)]), "vxcJTechnicalServiceUid")
    wait_status(east, vxc, "LIVE")
    for uid in (port, mcr, vxc):
        got = envelope(east.get(f"/v2/product/{uid}"))
        assert got["provisioningStatus"] == "LIVE"
        assert_epoch_ms(got["liveDate"])
        assert got["liveDate"] >= got["createDate"]


def test_cancelled_services_have_a_terminate_date(server, east):
    port = new_port(east)
    mcr = new_mcr(east)
    later = bought_uid(buy(east, [vxc_line(mcr, "later", 100, b_uid=port)]), "vxcJTechnicalServiceUid")
    now = bought_uid(buy(east, [vxc_line(mcr, "now", 100, b_uid=port)]), "vxcJTechnicalServiceUid")
    wait_status(east, later, "LIVE")
    wait_status(east, now, "LIVE")
    envelope(east.request("POST", f"/v3/product/{later}/action/CANCEL", raw=b""))
    envelope(cancel_now(east, now))
    scheduled = envelope(east.get(f"/v2/product/{later}"))
    assert scheduled["provisioningStatus"] == "CANCELLED"
    assert isinstance(scheduled["terminateDate"], int) and scheduled["terminateDate"] > now_ms() + DAY_MS, scheduled["terminateDate"]
    gone = wait_status(east, now, "DECOMMISSIONED")
    assert_epoch_ms(gone["terminateDate"])


def test_oauth_token_endpoint_shapes(server):
    name = unique("oauth")
    resp = oauth_token(server, name, "s")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"], body
    assert "error" not in body or not body["error"]
    # grant_type in a form body (other OAuth clients) works as well.
    form = requests.post(server.megaport_url + "/oauth2/token", auth=(name, "s"),
                         data={"grant_type": "client_credentials"}, timeout=10)
    assert form.status_code == 200 and form.json()["token_type"] == "Bearer", form.text
    # Both tokens are the same company.
    a, b = MP(server, body["access_token"]), MP(server, form.json()["access_token"])
    port = bought_uid(buy(a, [port_line("shared")]))
    assert port in {p["productUid"] for p in products(b)}
    # No grant type / no credentials.
    no_grant = requests.post(server.megaport_url + "/oauth2/token", auth=(name, "s"), data=b"",
                             headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert no_grant.status_code == 400 and no_grant.json().get("error"), no_grant.text
    no_auth = requests.post(server.megaport_url + "/oauth2/token?grant_type=client_credentials", data=b"",
                            headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert no_auth.status_code == 401 and no_auth.json().get("error"), no_auth.text


def test_legacy_login_and_x_auth_token(server):
    name = unique("legacy")
    resp = requests.post(server.megaport_url + "/v2/login", params={"username": name, "password": "pw", "oneTimePassword": "0"}, timeout=10)
    data = envelope(resp)
    assert data["token"] == data["session"] and data["token"], data
    mp = MP(server, data["token"], legacy=True)
    assert envelope(mp.get("/v2/products")) == []
    port = bought_uid(buy(mp, [port_line("legacy-port")], version="v2"))
    assert [p["productUid"] for p in products(mp)] == [port]
    # The same name through OAuth is the same company.
    assert [p["productUid"] for p in products(company_named(server, name))] == [port]


def company_named(server: Server, name: str) -> MP:
    resp = oauth_token(server, name, "pw")
    assert resp.status_code == 200, resp.text
    return MP(server, resp.json()["access_token"])


def test_buy_and_validate_in_every_dialect(server, west):
    for version in ("v2", "v3", "v4"):
        uid = bought_uid(buy(west, [mcr_line(f"mcr-{version}")], version=version))
        assert envelope(west.get(f"/v2/product/{uid}"))["productName"] == f"mcr-{version}"
    for path in ("/v2/networkdesign/validate", "/v3/networkdesign/validate"):
        priced = envelope(west.post(path, [port_line("priced")]))
        assert priced[0]["price"]["currency"] == "USD" and priced[0]["price"]["monthlyRate"] > 0, priced
    names = sorted(p["productName"] for p in products(west))
    assert names == ["mcr-v2", "mcr-v3", "mcr-v4"], "validating orders nothing"


def test_junk_keys_are_ignored_and_numbers_may_be_strings(server, east):
    port = new_port(east)
    start, end = now_ms() - 60_000, now_ms() + 30 * DAY_MS
    body = key_body(port, max_speed="500", description="junk keys")
    body["validFor"] = {"start": start, "end": end}
    # megaportgo's untagged ValidFor, with different values: must not clobber validFor.
    body["ValidFor"] = {"start": "2001-01-01T00:00:00Z", "end": "2002-01-01T00:00:00Z"}
    body["SomethingElse"] = {"x": [1, 2]}
    body["productId"] = 0
    key = envelope(east.post("/v2/service/key", body))
    assert key["maxSpeed"] == 500 and key["description"] == "junk keys", key
    assert key["validFor"] == {"start": start, "end": end}, key["validFor"]
    assert key["expired"] is False and key["valid"] is True

    # Updates carry the same junk key.
    later = now_ms() + 60 * DAY_MS
    updated = envelope(east.put("/v2/service/key", {
        "key": key["key"], "singleUse": False, "active": True, "validFor": {"start": start, "end": later},
        "ValidFor": {"start": "2001-01-01T00:00:00Z", "end": "2002-01-01T00:00:00Z"}}))
    assert updated["validFor"] == {"start": start, "end": later} and updated["valid"] is True, updated

    # Numbers as strings in an order.
    mcr = bought_uid(buy(east, [{"locationId": str(NY5), "productName": "stringly", "term": "1", "productType": "MCR2",
                                 "portSpeed": "2500", "costCentre": "", "config": {"mcrAsn": "65001"}}]))
    got = envelope(east.get(f"/v2/product/{mcr}"))
    assert (got["locationId"], got["portSpeed"], got["contractTermMonths"]) == (NY5, 2500, 1), got
    assert got["resources"]["virtual_router"]["mcrAsn"] == 65001

    # Product modify carries ProductID/ProductType junk (megaportgo ModifyProduct).
    changed = envelope(east.put(f"/v2/product/megaport/{port}", {
        "name": "renamed-port", "costCentre": "cc-1", "marketplaceVisibility": False,
        "ProductID": port, "ProductType": "megaport"}))
    assert changed["productName"] == "renamed-port" and changed["costCentre"] == "cc-1", changed


def test_key_lookup_by_query_and_by_escaped_path_agree(server, east, west):
    port = new_port(east)
    key = create_key(east, port, description="lookup")["key"]
    escaped = envelope(lookup_key(west, key))
    query = envelope(west.get(f"/v2/service/key?key={key}"))
    assert escaped == query and isinstance(escaped, dict), (escaped, query)
    assert escaped["key"] == key and escaped["productUid"] == port
    mp_error(lookup_key(west, str(uuid.uuid4())), 404, "service key")


# --- 4. service key rules (the seed page) -------------------------------------------------------


def order_with_key(west: MP, key: str, rate: int = 100, name: str | None = None, mcr: str | None = None,
                   a_vlan: int | None = None) -> requests.Response:
    mcr = mcr or new_mcr(west)
    a_end = {"vlan": a_vlan} if a_vlan is not None else {}
    return buy(west, [vxc_line(mcr, name or unique("b2b"), rate, key=key, a_end=a_end)])


def test_single_use_key_with_a_vlan_reserves_it(server, east, west):
    port = new_port(east)
    key = create_key(east, port, single_use=True, vlan=200, max_speed=1000, description="vlan 200")
    assert key["vlan"] == 200 and key["singleUse"] is True
    mp_error(east.post("/v2/service/key", key_body(port, single_use=True, vlan=200, max_speed=1000)), 400, "not available")
    assert envelope(east.get(f"/v2/product/port/{port}/vlan?vlan=200")) == []
    assert envelope(east.get(f"/v2/product/port/{port}/vlan?vlan=201")) == [201]

    vxc = bought_uid(order_with_key(west, key["key"], rate=1000), "vxcJTechnicalServiceUid")
    seen_by_east = wait_status(east, vxc, "LIVE")
    assert seen_by_east["bEnd"]["productUid"] == port and seen_by_east["bEnd"]["vlan"] == 200, seen_by_east["bEnd"]
    assert seen_by_east["aEnd"]["vlan"] is None, "East does not see West's A-End VLAN"
    assert vxc in nested_vxcs(east, port), "the VXC shows under the key's port for its owner"

    owner_view = envelope(east.get("/v2/service/key"))
    [k] = [k for k in owner_view if k["key"] == key["key"]]
    assert k["valid"] is False and isinstance(k["lastUsed"], int), k
    mp_error(order_with_key(west, key["key"]), 400, ("single-use", "used"))
    # The VLAN stays taken by the VXC.
    mp_error(east.post("/v2/service/key", key_body(port, single_use=True, vlan=200, max_speed=1000)), 400, "not available")


def test_multi_use_key_serves_several_vxcs(server, east, west):
    port = new_port(east)
    key = create_key(east, port, single_use=False, max_speed=500, description="multi")
    mcr = new_mcr(west)
    first = bought_uid(order_with_key(west, key["key"], rate=500, mcr=mcr), "vxcJTechnicalServiceUid")
    second = bought_uid(order_with_key(west, key["key"], rate=200, mcr=mcr), "vxcJTechnicalServiceUid")
    assert first != second
    b_vlans = {wait_status(east, u, "LIVE")["bEnd"]["vlan"] for u in (first, second)}
    assert len(b_vlans) == 2 and all(isinstance(v, int) for v in b_vlans), b_vlans
    assert set(nested_vxcs(west, mcr)) == {first, second}
    assert envelope(lookup_key(west, key["key"]))["valid"] is True
    mp_error(order_with_key(west, key["key"], rate=501, mcr=mcr), 400, "500")


def test_inactive_key_is_refused_until_activated(server, east, west):
    port = new_port(east)
    key = create_key(east, port, active=False, description="not yet")
    assert key["active"] is False and key["valid"] is False
    mcr = new_mcr(west)
    mp_error(order_with_key(west, key["key"], mcr=mcr), 400, "not active")

    updated = east.put("/v2/service/key", {"key": key["key"], "singleUse": False, "active": True, "ValidFor": None})
    data = envelope(updated)
    assert updated.json()["message"] == f"Service key [{key['key']}] updated"
    assert data["active"] is True and data["valid"] is True
    bought_uid(order_with_key(west, key["key"], mcr=mcr), "vxcJTechnicalServiceUid")

    off = envelope(east.put("/v2/service/key", {"key": key["key"], "singleUse": False, "active": False}))
    assert off["active"] is False and off["valid"] is False
    mp_error(order_with_key(west, key["key"], mcr=mcr), 400, "not active")
    # The consumer cannot change the key.
    mp_error(west.put("/v2/service/key", {"key": key["key"], "singleUse": False, "active": True}), 404)
    assert envelope(lookup_key(west, key["key"]))["active"] is False


def test_expired_key_is_refused(server, east, west):
    port = new_port(east)
    key = create_key(east, port, valid_for=(now_ms() - 2 * DAY_MS, now_ms() - DAY_MS), description="old")
    assert key["expired"] is True and key["valid"] is False, key
    mp_error(order_with_key(west, key["key"]), 400, "expired")
    looked = envelope(lookup_key(west, key["key"]))
    assert looked["expired"] is True and looked["valid"] is False


def test_key_creation_rules(server, east, west):
    port = new_port(east)
    mcr = new_mcr(east)
    mp_error(east.post("/v2/service/key", key_body(port, max_speed=20000)), 400, "maxSpeed")
    mp_error(east.post("/v2/service/key", key_body(port, max_speed=0)), 400, "maxSpeed")
    mp_error(east.post("/v2/service/key", key_body(port, single_use=False, vlan=300)), 400, "single-use")
    mp_error(east.post("/v2/service/key", key_body(port, single_use=True, vlan=4095)), 400)
    mp_error(east.post("/v2/service/key", key_body(mcr, single_use=True, vlan=300)), 400, "MCR")
    mp_error(east.post("/v2/service/key", key_body(port, valid_for=(now_ms(), now_ms() - DAY_MS))), 400, "validFor")
    body = key_body(port)
    body["productId"] = envelope(east.get(f"/v2/product/{port}"))["productId"]
    mp_error(east.post("/v2/service/key", body), 400, "not both")
    # Another company's product does not exist for West.
    mp_error(west.post("/v2/service/key", key_body(port)), 404, "Could not find a service with UID")
    assert envelope(east.get("/v2/service/key")) == [], "refused keys leave nothing behind"
    # By integer productId alone.
    del body["productUid"]
    made = envelope(east.post("/v2/service/key", body))
    assert made["productUid"] == port


def test_a_port_with_an_untagged_vxc_takes_no_keys(server, east):
    port = new_port(east)
    mcr = new_mcr(east)
    vxc = bought_uid(buy(east, [vxc_line(mcr, "untagged", 100, b_uid=port, b_end={"vlan": -1})]), "vxcJTechnicalServiceUid")
    got = wait_status(east, vxc, "LIVE")
    assert got["bEnd"]["vlan"] is None and got["resources"]["vll"]["b_vlan"] is None, got["bEnd"]
    mp_error(east.post("/v2/service/key", key_body(port, max_speed=100)), (400, 409), "untagged")
    mp_error(buy(east, [vxc_line(mcr, "tagged", 100, b_uid=port, b_end={"vlan": 20})]), (400, 409), "untagged")
    assert envelope(east.get(f"/v2/product/port/{port}/vlan?vlan=20")) == []


def test_the_java_validate_route_follows_the_key(server, east, west):
    port = new_port(east)
    key = create_key(east, port, description="java")["key"]
    assert envelope(west.get(f"/v2/service/key/validate?key={key}")) is True
    envelope(east.put("/v2/service/key", {"key": key, "singleUse": False, "active": False}))
    assert envelope(west.get(f"/v2/service/key/validate?key={key}")) is False
    assert envelope(west.get(f"/v2/service/key/validate?key={uuid.uuid4()}")) is False


def test_keys_are_never_deleted(server, east):
    port = new_port(east)
    key = create_key(east, port, description="forever")["key"]
    resp = east.delete("/v2/service/key")
    assert resp.status_code in (404, 405), resp.status_code
    mp_error(resp, resp.status_code)
    resp = east.delete(f"/v2/service/key/{key}")
    assert resp.status_code in (404, 405), resp.status_code
    mp_error(resp, resp.status_code)
    envelope(east.put("/v2/service/key", {"key": key, "singleUse": False, "active": False}))
    for listed in (envelope(east.get("/v2/service/key")), envelope(east.get(f"/v2/service/key?productIdOrUid={port}"))):
        assert [(k["key"], k["active"]) for k in listed] == [(key, False)]


def test_only_the_owner_sees_the_description(server, east, west):
    port = new_port(east)
    key = create_key(east, port, description="East's secret label")["key"]
    owner = envelope(lookup_key(east, key))
    assert owner["description"] == "East's secret label" and owner["productName"], owner
    consumer = envelope(lookup_key(west, key))
    assert consumer["description"] is None and consumer["valid"] is True and consumer["productUid"] == port, consumer
    assert envelope(west.get("/v2/service/key")) == [], "keys are listed for their company only"


def test_each_end_sees_only_its_own_details(server, east, west):
    port = new_port(east)
    key = create_key(east, port, max_speed=1000, description="privacy")["key"]
    mcr = new_mcr(west)
    line = vxc_line(mcr, "private", 100, key=key, a_end={"vlan": 77, "partnerConfig": vrouter_config("west-bgp-secret")})
    vxc = bought_uid(buy(west, [line]), "vxcJTechnicalServiceUid")
    mine = wait_status(west, vxc, "LIVE")
    assert mine["aEnd"]["vlan"] == 77 and "west-bgp-secret" in str(mine["resources"]["csp_connection"])
    assert mine["bEnd"]["vlan"] is None and mine["resources"]["vll"]["b_vlan"] is None
    theirs = envelope(east.get(f"/v2/product/{vxc}"))
    assert "west-bgp-secret" not in str(theirs), "East sees West's BGP password"
    assert theirs["aEnd"]["vlan"] is None and theirs["resources"]["vll"]["a_vlan"] is None
    assert theirs["resources"]["csp_connection"] == []
    assert isinstance(theirs["bEnd"]["vlan"], int) and theirs["resources"]["vll"]["b_vlan"] == theirs["bEnd"]["vlan"]
    assert theirs["aEnd"]["productName"] != envelope(west.get(f"/v2/product/{mcr}"))["productName"]
    # Neither company reaches the other's products.
    mp_error(west.get(f"/v2/product/{port}"), 404)
    mp_error(west.put(f"/v2/product/megaport/{port}", {"name": "hijack"}), 404)
    mp_error(east.get(f"/v2/product/{mcr}"), 404)
    mp_error(east.post(f"/v2/product/{vxc}/lock"), (403, 404))
    assert envelope(east.get(f"/v2/product/{port}"))["productName"] != "hijack"


@pytest.fixture
def partnership(server, east, west):
    """A LIVE VXC from West's MCR to East's port, made with East's multi-use key."""
    port = new_port(east)
    key = create_key(east, port, max_speed=1000, description="partners")["key"]
    mcr = new_mcr(west)
    vxc = bought_uid(order_with_key(west, key, rate=500, name="west-name", mcr=mcr, a_vlan=150), "vxcJTechnicalServiceUid")
    wait_status(west, vxc, "LIVE")
    return {"port": port, "mcr": mcr, "vxc": vxc, "key": key}


def test_only_the_a_end_changes_the_rate_limit(server, east, west, partnership):
    vxc = partnership["vxc"]
    mp_error(east.put(f"/v3/product/vxc/{vxc}", {"rateLimit": 100}), 403)
    mp_error(east.put(f"/v2/product/vxc/{vxc}", {"rateLimit": 100}), 403, "rate limit")
    mp_error(east.put(f"/v2/product/{vxc}", {"rateLimit": 100}), 403, "rate limit")
    assert envelope(west.get(f"/v2/product/{vxc}"))["rateLimit"] == 500
    changed = envelope(west.put(f"/v3/product/vxc/{vxc}", {"rateLimit": 800}))
    assert changed["rateLimit"] == 800
    assert envelope(east.get(f"/v2/product/{vxc}"))["rateLimit"] == 800
    mp_error(west.put(f"/v3/product/vxc/{vxc}", {"rateLimit": 1500}), 400, "1000")
    # Each end's VLAN is its own.
    mp_error(east.put(f"/v3/product/vxc/{vxc}", {"aEndVlan": 160}), 403)
    mp_error(west.put(f"/v3/product/vxc/{vxc}", {"bEndVlan": 160}), 403, "B end owner")


def test_a_vlan_change_waits_for_the_b_end(server, east, west, partnership):
    vxc = partnership["vxc"]
    asked = envelope(west.put(f"/v3/product/vxc/{vxc}", {"aEndVlan": 300}))
    assert asked["aEnd"]["vlan"] == 150, "not applied before the B-End approves"
    assert asked["vxcApproval"]["status"] in ("PENDING_EXTERNAL", "PENDING_INTERNAL"), asked["vxcApproval"]
    assert envelope(west.get(f"/v2/product/{vxc}"))["aEnd"]["vlan"] == 150

    pending = [a for a in envelope(east.get("/v3/order_approvals")) if a["serviceId"] == vxc and a["status"] == "PENDING"]
    assert len(pending) == 1, pending
    approval = pending[0]["uid"]
    mp_error(west.post(f"/v3/order_approvals/{approval}/approve", {"comments": "self"}), 403)
    decided = envelope(east.post(f"/v3/order_approvals/{approval}/approve", {"comments": "fine"}))
    assert decided["status"] == "APPROVED", decided
    after = envelope(west.get(f"/v2/product/{vxc}"))
    assert after["aEnd"]["vlan"] == 300 and after["vxcApproval"]["status"] is None, after

    asked = envelope(west.put(f"/v3/product/vxc/{vxc}", {"aEndVlan": 301}))
    assert asked["aEnd"]["vlan"] == 300
    [pending] = [a for a in envelope(east.get("/v3/order_approvals")) if a["serviceId"] == vxc and a["status"] == "PENDING"]
    decided = envelope(east.post(f"/v3/order_approvals/{pending['uid']}/reject", {"comments": "no"}))
    assert decided["status"] == "REJECTED"
    after = envelope(west.get(f"/v2/product/{vxc}"))
    assert after["aEnd"]["vlan"] == 300 and after["vxcApproval"]["status"] is None, after
    mp_error(east.post(f"/v3/order_approvals/{pending['uid']}/approve", {}), 409)


def test_vlan_change_withdrawn_or_approved_through_the_vxc(server, east, west, partnership):
    vxc = partnership["vxc"]
    envelope(west.put(f"/v3/product/vxc/{vxc}", {"aEndVlan": 310}))
    resp = east.get("/v3/order_approvals")
    approvals = envelope(resp)
    assert int(resp.headers["pagination-total-count"]) == len(approvals) >= 1, dict(resp.headers)
    [pending] = [a for a in approvals if a["serviceId"] == vxc and a["status"] == "PENDING"]
    assert_epoch_ms(pending["createDate"])
    # One change at a time.
    mp_error(west.put(f"/v3/product/vxc/{vxc}", {"aEndVlan": 311}), 409)
    mp_error(east.post(f"/v3/order_approvals/{pending['uid']}/withdraw", {}), 403)
    withdrawn = envelope(west.post(f"/v3/order_approvals/{pending['uid']}/withdraw", {"comments": "never mind"}))
    assert withdrawn["status"] == "WITHDRAWN"
    assert envelope(west.get(f"/v2/product/{vxc}"))["aEnd"]["vlan"] == 150

    # megaportgo's UpdateVXC with isApproved, by the approver.
    envelope(west.put(f"/v3/product/vxc/{vxc}", {"aEndVlan": 312}))
    mp_error(west.put(f"/v3/product/vxc/{vxc}", {"isApproved": True}), 403)
    envelope(east.put(f"/v3/product/vxc/{vxc}", {"isApproved": True}))
    assert envelope(west.get(f"/v2/product/{vxc}"))["aEnd"]["vlan"] == 312
    mp_error(east.put(f"/v3/product/vxc/{vxc}", {"isApproved": True}), 409)


def test_each_end_names_the_vxc_for_itself(server, east, west, partnership):
    vxc = partnership["vxc"]
    assert envelope(west.get(f"/v2/product/{vxc}"))["productName"] == "west-name"
    envelope(east.put(f"/v3/product/vxc/{vxc}", {"name": "east-name"}))
    envelope(west.put(f"/v3/product/vxc/{vxc}", {"name": "west-renamed"}))
    assert envelope(east.get(f"/v2/product/{vxc}"))["productName"] == "east-name"
    assert envelope(west.get(f"/v2/product/{vxc}"))["productName"] == "west-renamed"
    assert nested_vxcs(east, partnership["port"])[vxc]["productName"] == "east-name"
    assert nested_vxcs(west, partnership["mcr"])[vxc]["productName"] == "west-renamed"


def test_the_key_owner_is_notified_of_its_use(server, east, west, partnership):
    east_notes = envelope(east.get("/v2/notifications"))
    used = [n for n in east_notes if n.get("serviceUid") == partnership["vxc"]]
    assert used and any("service key" in n["message"].lower() for n in used), east_notes
    for n in east_notes:
        assert_epoch_ms(n["createDate"])
    west_notes = envelope(west.get("/v2/notifications"))
    assert not any("service key" in n["message"].lower() and "access was granted" in n["message"].lower() for n in west_notes), west_notes


def test_the_b_end_cannot_cancel_and_the_a_end_can(server, east, west, partnership):
    vxc = partnership["vxc"]
    mp_error(cancel_now(east, vxc), 403)
    assert envelope(west.get(f"/v2/product/{vxc}"))["provisioningStatus"] == "LIVE"
    envelope(cancel_now(west, vxc))
    wait_status(west, vxc, "DECOMMISSIONED")
    assert vxc not in nested_vxcs(east, partnership["port"])


# --- 5. --auth strict ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    binary = crosslink_bin()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"crosslink binary not found at {binary}: set CROSSLINK_BIN")
    srv = start_strict(binary, tmp_path_factory.mktemp("strict"))
    yield srv
    srv.stop()


def mint(server: Server, company_name: str, token: str | None = None) -> requests.Response:
    return requests.post(
        server.admin_url + "/_crosslink/megaport/api_keys",
        json={"company": company_name},
        headers={"Authorization": f"Bearer {token or server.admin_token}"},
        timeout=10,
    )


def test_strict_auth_only_minted_keys(strict_server):
    resp = mint(strict_server, "East")
    assert resp.status_code == 201, resp.text
    api_key = resp.json()["api_key"]
    ak, sk, company_uid = api_key["access_key"], api_key["secret_key"], api_key["company_uid"]
    assert ak and sk and str(uuid.UUID(company_uid)) == company_uid, api_key

    token = oauth_token(strict_server, ak, sk)
    assert token.status_code == 200, token.text
    east = MP(strict_server, token.json()["access_token"])
    assert envelope(east.get("/v2/products")) == []
    port = bought_uid(buy(east, [port_line("strict-port")]))
    assert envelope(east.get(f"/v2/product/{port}"))["companyUid"] == company_uid

    assert oauth_token(strict_server, ak, sk + "x").status_code == 401
    assert oauth_token(strict_server, "no-such-access-key", sk).status_code == 401
    assert oauth_token(strict_server, "", "").status_code == 401
    mp_error(MP(strict_server, "made-up-token").get("/v2/products"), 401)
    mp_error(MP(strict_server, "made-up-token", legacy=True).get("/v2/products"), 401)
    forged = token.json()["access_token"][:-4] + "0000"
    mp_error(MP(strict_server, forged).get("/v2/products"), 401)
    # The legacy login takes the same pair.
    login = envelope(requests.post(strict_server.megaport_url + "/v2/login", params={"username": ak, "password": sk}, timeout=10))
    legacy = MP(strict_server, login["token"], legacy=True)
    assert [p["productUid"] for p in envelope(legacy.get("/v2/products"))] == [port]
    assert envelope(MP(strict_server).get("/v3/locations")), "locations stay public"

    # A second company's key sees nothing of East's.
    west_key = mint(strict_server, "West").json()["api_key"]
    west = MP(strict_server, oauth_token(strict_server, west_key["access_key"], west_key["secret_key"]).json()["access_token"])
    assert envelope(west.get("/v2/products")) == []
    mp_error(west.get(f"/v2/product/{port}"), 404)

    # Minting needs the admin token.
    assert mint(strict_server, "Mallory", token="wrong-admin-token").status_code == 401


def test_strict_legacy_login_with_bad_credentials_is_401(strict_server):
    api_key = mint(strict_server, "Legacy").json()["api_key"]
    for username, password in ((api_key["access_key"], "wrong"), ("no-such-user", "pw")):
        resp = requests.post(strict_server.megaport_url + "/v2/login",
                             params={"username": username, "password": password}, timeout=10)
        mp_error(resp, 401)
