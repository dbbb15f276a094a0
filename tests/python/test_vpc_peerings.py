"""client.vpc_peerings and the per-VPC peering routes through pydo 0.44.0: lifecycle, both root-key
spellings, validation, and the admin-driven (manual) transitions."""

from __future__ import annotations

import time
import uuid

import pytest

from support import (
    assert_error,
    assert_list_envelope,
    assert_peering,
    assert_ratelimit_headers,
    call,
    call_any,
    create_peering,
    create_vpc,
    pydo_client,
    new_token,
    snapshot,
    wait_peering_gone,
    wait_peering_status,
)


@pytest.fixture
def vpcs(client):
    """Three VPCs of one team in nyc1 (a is the region's default)."""
    return {name: create_vpc(client, name, "nyc1")["id"] for name in ("a", "b", "c")}


def test_lifecycle_provisioning_active_deleting_gone(client, vpcs):
    peering = create_peering(client, "a-b", [vpcs["a"], vpcs["b"]])

    resp = wait_peering_status(client, peering["id"], "ACTIVE")
    assert set(resp.body) == {"vpc_peering"}
    assert resp.body["vpc_peering"] == {**peering, "status": "ACTIVE"}

    listed = call(client.vpc_peerings.list)
    assert listed.status == 200 and set(listed.body) == {"vpc_peerings", "links", "meta"}
    assert assert_list_envelope(listed.body, "vpc_peerings", 1) == [resp.body["vpc_peering"]]

    patched = call(client.vpc_peerings.patch, peering["id"], {"name": "renamed"})
    assert patched.status == 200 and set(patched.body) == {"vpc_peering"}
    assert patched.body["vpc_peering"] == {**peering, "status": "ACTIVE", "name": "renamed"}

    deleted = call(client.vpc_peerings.delete, peering["id"])
    assert deleted.status == 202 and set(deleted.body) == {"vpc_peering"}
    assert_peering(deleted.body["vpc_peering"], id=peering["id"], status="DELETING", name="renamed")
    assert_ratelimit_headers(deleted.headers)

    wait_peering_gone(client, peering["id"])
    assert call(client.vpc_peerings.list).body["vpc_peerings"] == []
    assert_error(call(client.vpc_peerings.delete, peering["id"]), 404)
    assert_error(call(client.vpc_peerings.patch, peering["id"], {"name": "x"}), 404)


def test_per_vpc_routes_answer_both_root_keys(client, vpcs):
    a, b, c = vpcs["a"], vpcs["b"], vpcs["c"]
    resp = call(client.vpcs.create_peerings, a, {"name": "a-to-c", "vpc_id": c})
    assert resp.status == 202
    # Spec says `peering`, godo/doctl/terraform read `vpc_peering` (reference §0.1): both, equal.
    assert set(resp.body) == {"peering", "vpc_peering"}
    assert resp.body["peering"] == resp.body["vpc_peering"]
    peering = resp.body["vpc_peering"]
    assert_peering(peering, name="a-to-c", vpc_ids=[a, c], status="PROVISIONING")
    wait_peering_status(client, peering["id"], "ACTIVE")

    for vpc_id, expected in ((a, 1), (c, 1), (b, 0)):
        listed = call(client.vpcs.list_peerings, vpc_id)
        assert listed.status == 200
        assert set(listed.body) == {"peerings", "vpc_peerings", "links", "meta"}
        assert listed.body["peerings"] == listed.body["vpc_peerings"]
        items = assert_list_envelope(listed.body, "vpc_peerings", expected)
        assert [p["id"] for p in items] == [peering["id"]] * expected

    patched = call(client.vpcs.patch_peerings, c, peering["id"], {"name": "renamed"})
    assert patched.status == 200
    assert set(patched.body) == {"peering", "vpc_peering"}
    assert patched.body["peering"] == patched.body["vpc_peering"]
    assert_peering(patched.body["vpc_peering"], id=peering["id"], name="renamed", status="ACTIVE")
    assert call(client.vpc_peerings.get, peering["id"]).body["vpc_peering"]["name"] == "renamed"

    # b is not part of this peering.
    assert_error(call(client.vpcs.patch_peerings, b, peering["id"], {"name": "hijack"}), 404)
    assert_error(call(client.vpcs.patch_peerings, a, str(uuid.uuid4()), {"name": "x"}), 404)
    assert call(client.vpc_peerings.get, peering["id"]).body["vpc_peering"]["name"] == "renamed"


def test_vpc_with_a_peering_cannot_be_deleted(client, vpcs):
    peering = create_peering(client, "a-b", [vpcs["a"], vpcs["b"]])
    wait_peering_status(client, peering["id"], "ACTIVE")
    before = snapshot(client)
    assert_error(call_any(client.vpcs.delete, vpcs["b"]), 409)
    assert snapshot(client) == before
    call(client.vpc_peerings.delete, peering["id"])
    wait_peering_gone(client, peering["id"])
    assert call(client.vpcs.delete, vpcs["b"]).status == 204


def _invalid_peering_bodies(v):
    a, b, c = v["a"], v["b"], v["c"]
    return {
        "peer with itself": {"name": "self", "vpc_ids": [a, a]},
        "one vpc": {"name": "one", "vpc_ids": [a]},
        "three vpcs": {"name": "three", "vpc_ids": [a, b, c]},
        "no vpcs": {"name": "none", "vpc_ids": []},
        "missing vpc_ids": {"name": "missing"},
        "missing name": {"vpc_ids": [a, b]},
        "empty name": {"name": "", "vpc_ids": [a, b]},
        "name with space": {"name": "bad name", "vpc_ids": [a, b]},
        "name with period": {"name": "a.b", "vpc_ids": [a, b]},
    }


@pytest.mark.parametrize("case", list(_invalid_peering_bodies({"a": "", "b": "", "c": ""})))
def test_invalid_peering_is_422_and_changes_nothing(client, vpcs, case):
    body = _invalid_peering_bodies(vpcs)[case]
    before = snapshot(client)
    assert_error(call_any(client.vpc_peerings.create, body), 422)
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "body",
    [{"name": "self", "vpc_id": "A"}, {"name": "bad name", "vpc_id": "B"}, {"vpc_id": "B"}, {"name": "no-peer"}],
    ids=["self", "bad name", "missing name", "missing vpc_id"],
)
def test_invalid_per_vpc_peering_is_422(client, vpcs, body):
    body = {k: vpcs[v.lower()] if k == "vpc_id" else v for k, v in body.items()}
    before = snapshot(client)
    assert_error(call_any(client.vpcs.create_peerings, vpcs["a"], body), 422)
    assert snapshot(client) == before


def test_unknown_vpc_in_peering_is_rejected(client, vpcs):
    before = snapshot(client)
    resp = call_any(client.vpc_peerings.create, {"name": "ghost", "vpc_ids": [vpcs["a"], str(uuid.uuid4())]})
    assert_error(resp, (404, 422))
    resp = call_any(client.vpcs.create_peerings, vpcs["a"], {"name": "ghost", "vpc_id": str(uuid.uuid4())})
    assert_error(resp, (404, 422))
    assert snapshot(client) == before


def test_same_pair_cannot_be_peered_twice(client, vpcs):
    a, b = vpcs["a"], vpcs["b"]
    peering = create_peering(client, "first", [a, b])
    wait_peering_status(client, peering["id"], "ACTIVE")
    before = snapshot(client)
    assert_error(call_any(client.vpc_peerings.create, {"name": "second", "vpc_ids": [b, a]}), 409)
    assert_error(call_any(client.vpcs.create_peerings, a, {"name": "third", "vpc_id": b}), 409)
    assert snapshot(client) == before


def test_peering_name_must_be_unique_in_the_team(client, vpcs):
    a, b, c = vpcs["a"], vpcs["b"], vpcs["c"]
    first = create_peering(client, "taken", [a, b])
    second = create_peering(client, "free", [a, c])
    for p in (first, second):
        wait_peering_status(client, p["id"], "ACTIVE")
    before = snapshot(client)
    assert_error(call_any(client.vpc_peerings.create, {"name": "taken", "vpc_ids": [b, c]}), 409)
    assert_error(call_any(client.vpc_peerings.patch, second["id"], {"name": "taken"}), 409)
    assert snapshot(client) == before


def test_cross_region_peering_works_except_from_blr1(client):
    nyc = create_vpc(client, "nyc", "nyc1")["id"]
    ams = create_vpc(client, "ams", "ams3")["id"]
    blr = create_vpc(client, "blr", "blr1")["id"]
    blr2 = create_vpc(client, "blr-two", "blr1")["id"]
    create_peering(client, "nyc-ams", [nyc, ams])
    create_peering(client, "blr-blr", [blr, blr2])
    before = [p["id"] for p in snapshot(client)[1]]
    assert_error(call_any(client.vpc_peerings.create, {"name": "blr-nyc", "vpc_ids": [blr, nyc]}), 422)
    assert_error(call_any(client.vpcs.create_peerings, nyc, {"name": "nyc-blr", "vpc_id": blr}), 422)
    assert [p["id"] for p in snapshot(client)[1]] == before


def test_list_filters_by_region(client):
    ams = [create_vpc(client, f"ams-{i}", "ams3")["id"] for i in range(2)]
    sfo = [create_vpc(client, f"sfo-{i}", "sfo3")["id"] for i in range(2)]
    in_ams = create_peering(client, "in-ams", ams)
    in_sfo = create_peering(client, "in-sfo", sfo)
    for region, expected in (("ams3", in_ams), ("sfo3", in_sfo)):
        resp = call(client.vpc_peerings.list, region=region)
        assert resp.status == 200
        assert [p["id"] for p in assert_list_envelope(resp.body, "vpc_peerings", 1)] == [expected["id"]]
    resp = call(client.vpc_peerings.list, region="tor1")
    assert assert_list_envelope(resp.body, "vpc_peerings", 0) == []
    assert call(client.vpc_peerings.list).body["meta"]["total"] == 2


def test_unknown_peering_is_404(client):
    unknown = str(uuid.uuid4())
    assert_error(call(client.vpc_peerings.get, unknown), 404)
    assert_error(call(client.vpc_peerings.patch, unknown, {"name": "x"}), 404)
    assert_error(call(client.vpc_peerings.delete, unknown), 404)


def test_invalid_rename_is_422_and_changes_nothing(client, vpcs):
    peering = create_peering(client, "a-b", [vpcs["a"], vpcs["b"]])
    wait_peering_status(client, peering["id"], "ACTIVE")
    before = snapshot(client)
    for body in ({"name": "bad name"}, {"name": ""}, {}):
        assert_error(call_any(client.vpc_peerings.patch, peering["id"], body), 422)
        assert_error(call_any(client.vpcs.patch_peerings, vpcs["a"], peering["id"], body), 422)
    assert snapshot(client) == before


# --- manual transitions (admin API) --------------------------------------------------------------


def test_manual_transitions_wait_for_the_admin_api(manual_server):
    client = pydo_client(manual_server, new_token())
    a = create_vpc(client, "a", "fra1")["id"]
    b = create_vpc(client, "b", "fra1")["id"]
    peering = create_peering(client, "manual", [a, b])

    time.sleep(0.5)
    assert call(client.vpc_peerings.get, peering["id"]).body["vpc_peering"]["status"] == "PROVISIONING"
    advanced = manual_server.advance("vpc_peering", peering["id"])
    assert advanced.status_code in (200, 202, 204), (advanced.status_code, advanced.text)
    wait_peering_status(client, peering["id"], "ACTIVE", timeout=2)

    deleted = call(client.vpc_peerings.delete, peering["id"])
    assert deleted.status == 202 and deleted.body["vpc_peering"]["status"] == "DELETING"
    time.sleep(0.5)
    still = call(client.vpc_peerings.get, peering["id"])
    assert still.status == 200 and still.body["vpc_peering"]["status"] == "DELETING"
    # While DELETING the VPCs are still peered.
    assert_error(call_any(client.vpcs.delete, b), 409)
    advanced = manual_server.advance("vpc_peering", peering["id"])
    assert advanced.status_code in (200, 202, 204), (advanced.status_code, advanced.text)
    wait_peering_gone(client, peering["id"], timeout=2)
    assert call(client.vpcs.delete, b).status == 204


def test_advancing_an_unknown_peering_is_refused(manual_server):
    resp = manual_server.advance("vpc_peering", str(uuid.uuid4()))
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
