"""client.vpcs through pydo 0.44.0: every operation, the VPC model, default-VPC and ip_range rules."""

from __future__ import annotations

import ipaddress
import uuid

import pytest

from support import (
    assert_error,
    assert_list_envelope,
    assert_ratelimit_headers,
    assert_vpc,
    call,
    call_any,
    create_vpc,
    is_rfc1918,
    snapshot,
)


def test_create_returns_201_and_the_whole_vpc(client):
    resp = call(
        client.vpcs.create,
        {"name": "env.prod-vpc", "region": "nyc1", "description": "VPC for production", "ip_range": "10.10.10.0/24"},
    )
    assert resp.status == 201
    assert set(resp.body) == {"vpc"}
    assert resp.headers["content-type"].startswith("application/json")
    assert_ratelimit_headers(resp.headers)
    assert_vpc(
        resp.body["vpc"],
        name="env.prod-vpc",
        region="nyc1",
        description="VPC for production",
        ip_range="10.10.10.0/24",
        default=True,
    )


def test_first_vpc_of_each_region_is_its_default(client):
    first = create_vpc(client, "first", "nyc1")
    second = create_vpc(client, "second", "nyc1")
    elsewhere = create_vpc(client, "elsewhere", "fra1")
    assert first["default"] is True
    assert second["default"] is False
    assert elsewhere["default"] is True


def test_description_is_optional(client):
    vpc = create_vpc(client, "plain", "ams3", ip_range="10.1.0.0/24")
    assert_vpc(vpc, description="", name="plain", region="ams3")


@pytest.mark.parametrize("ip_range", ["10.0.0.0/16", "172.16.0.0/28", "192.168.255.240/28", "172.31.0.0/16"])
def test_prefix_bounds_and_every_rfc1918_block_are_accepted(client, ip_range):
    assert_vpc(create_vpc(client, "edge", "sgp1", ip_range=ip_range), ip_range=ip_range)


def test_omitted_ip_range_gets_a_free_slash_20(client):
    # Occupy the start of each RFC1918 block, where a naive allocator would begin.
    taken = [ipaddress.ip_network(r) for r in ("10.0.0.0/16", "172.16.0.0/16", "192.168.0.0/16")]
    for i, cidr in enumerate(taken):
        create_vpc(client, f"manual-{i}", "nyc3", ip_range=str(cidr))
    for i in range(3):
        vpc = create_vpc(client, f"auto-{i}", "nyc3")
        net = ipaddress.ip_network(vpc["ip_range"], strict=True)
        assert net.prefixlen == 20 and is_rfc1918(vpc["ip_range"]), vpc["ip_range"]
        assert not any(net.overlaps(other) for other in taken), f"{net} overlaps one of {taken}"
        taken.append(net)


def test_get_returns_what_create_returned(client):
    vpc = create_vpc(client, "gettable", "lon1", description="d")
    resp = call(client.vpcs.get, vpc["id"])
    assert resp.status == 200
    assert set(resp.body) == {"vpc"}
    assert resp.body["vpc"] == vpc


def test_list_holds_every_vpc_of_the_team(client):
    created = [create_vpc(client, f"listed-{i}", "tor1") for i in range(3)]
    resp = call(client.vpcs.list)
    assert resp.status == 200
    assert set(resp.body) == {"vpcs", "links", "meta"}
    vpcs = assert_list_envelope(resp.body, "vpcs", 3)
    assert sorted(vpcs, key=lambda v: v["id"]) == sorted(created, key=lambda v: v["id"])


def test_list_is_empty_for_a_new_team(client):
    resp = call(client.vpcs.list)
    assert resp.status == 200
    assert assert_list_envelope(resp.body, "vpcs", 0) == []


def test_put_replaces_every_field(client):
    create_vpc(client, "the-default", "sfo3")
    vpc = create_vpc(client, "before", "sfo3", description="old", ip_range="10.50.0.0/24")
    resp = call(client.vpcs.update, vpc["id"], {"name": "after", "description": "new"})
    assert resp.status == 200
    assert set(resp.body) == {"vpc"}
    updated = resp.body["vpc"]
    assert updated == {**vpc, "name": "after", "description": "new"}
    assert call(client.vpcs.get, vpc["id"]).body["vpc"] == updated
    # An absent description is an empty one (what Terraform sends when the attribute is removed).
    resp = call(client.vpcs.update, vpc["id"], {"name": "after"})
    assert resp.body["vpc"] == {**updated, "description": ""}


def test_put_without_default_on_the_default_vpc_is_refused(client):
    vpc = create_vpc(client, "the-default", "sfo2", description="kept")
    before = snapshot(client)
    assert_error(call_any(client.vpcs.update, vpc["id"], {"name": "renamed"}), 403)
    assert snapshot(client) == before
    resp = call(client.vpcs.update, vpc["id"], {"name": "renamed", "default": True})
    assert resp.body["vpc"] == {**vpc, "name": "renamed", "description": ""}


def test_put_without_name_is_rejected(client):
    vpc = create_vpc(client, "named", "sfo3")
    before = snapshot(client)
    assert_error(call_any(client.vpcs.update, vpc["id"], {"description": "no name"}), 422)
    assert snapshot(client) == before


def test_patch_changes_only_the_given_fields(client):
    vpc = create_vpc(client, "patchme", "sfo2", description="keep")
    resp = call(client.vpcs.patch, vpc["id"], {"name": "patched"})
    assert resp.status == 200 and set(resp.body) == {"vpc"}
    assert resp.body["vpc"] == {**vpc, "name": "patched"}
    resp = call(client.vpcs.patch, vpc["id"], {"description": "changed"})
    assert resp.body["vpc"] == {**vpc, "name": "patched", "description": "changed"}
    assert call(client.vpcs.get, vpc["id"]).body["vpc"] == resp.body["vpc"]


def test_setting_default_moves_it_within_the_region(client):
    old = create_vpc(client, "old-default", "nyc2")
    new = create_vpc(client, "new-default", "nyc2")
    other_region = create_vpc(client, "other-region", "syd1")
    resp = call(client.vpcs.patch, new["id"], {"default": True})
    assert resp.status == 200 and resp.body["vpc"]["default"] is True
    assert call(client.vpcs.get, old["id"]).body["vpc"]["default"] is False
    assert call(client.vpcs.get, other_region["id"]).body["vpc"]["default"] is True
    # PUT can move it back.
    resp = call(client.vpcs.update, old["id"], {"name": "old-default", "default": True})
    assert resp.body["vpc"]["default"] is True
    assert call(client.vpcs.get, new["id"]).body["vpc"]["default"] is False


@pytest.mark.parametrize("method", ["update", "patch"])
def test_default_cannot_be_unset(client, method):
    vpc = create_vpc(client, "the-default", "blr1")
    create_vpc(client, "not-default", "blr1")
    before = snapshot(client)
    resp = call_any(getattr(client.vpcs, method), vpc["id"], {"name": "the-default", "default": False})
    assert_error(resp, 403, "Can not unset default VPCs")
    assert snapshot(client) == before


def test_setting_default_false_on_a_non_default_vpc_is_harmless(client):
    create_vpc(client, "dflt", "fra1")
    vpc = create_vpc(client, "plain", "fra1")
    resp = call(client.vpcs.patch, vpc["id"], {"default": False})
    assert resp.status == 200 and resp.body["vpc"]["default"] is False


def test_default_vpc_cannot_be_deleted(client):
    vpc = create_vpc(client, "only", "lon1")
    assert_error(call_any(client.vpcs.delete, vpc["id"]), 403)
    assert call(client.vpcs.get, vpc["id"]).body["vpc"] == vpc


def test_delete_returns_204_then_the_vpc_is_gone(client):
    create_vpc(client, "keeper", "ams3")
    vpc = create_vpc(client, "doomed", "ams3")
    resp = call(client.vpcs.delete, vpc["id"])
    assert resp.status == 204 and resp.body is None
    assert_error(call(client.vpcs.get, vpc["id"]), 404)
    assert [v["name"] for v in call(client.vpcs.list).body["vpcs"]] == ["keeper"]
    assert_error(call(client.vpcs.delete, vpc["id"]), 404)
    # pydo itself returns None for the 204.
    other = create_vpc(client, "doomed-too", "ams3")
    assert client.vpcs.delete(other["id"]) is None


def test_deleted_range_and_name_can_be_reused(client):
    create_vpc(client, "keeper", "tor1")
    vpc = create_vpc(client, "reuse", "tor1", ip_range="10.77.0.0/24")
    call(client.vpcs.delete, vpc["id"])
    assert_vpc(create_vpc(client, "reuse", "tor1", ip_range="10.77.0.0/24"), ip_range="10.77.0.0/24")


def test_name_must_be_unique_in_the_team(client):
    create_vpc(client, "dup", "nyc1")
    other = create_vpc(client, "other", "fra1")
    before = snapshot(client)
    assert_error(call_any(client.vpcs.create, {"name": "dup", "region": "fra1"}), 409)
    assert_error(call_any(client.vpcs.patch, other["id"], {"name": "dup"}), 409)
    assert_error(call_any(client.vpcs.update, other["id"], {"name": "dup", "default": True}), 409)
    assert snapshot(client) == before


def test_renaming_to_its_own_name_is_not_a_conflict(client):
    vpc = create_vpc(client, "same", "nyc1")
    assert call(client.vpcs.patch, vpc["id"], {"name": "same"}).body["vpc"] == vpc


@pytest.mark.parametrize("overlapping", ["10.20.0.0/16", "10.20.5.0/24", "10.20.255.240/28"])
def test_overlapping_ip_range_is_a_conflict(client, overlapping):
    create_vpc(client, "wide", "nyc1", ip_range="10.20.0.0/16")
    before = snapshot(client)
    resp = call_any(client.vpcs.create, {"name": "narrow", "region": "sfo3", "ip_range": overlapping})
    assert_error(resp, 409)
    assert snapshot(client) == before


INVALID_CREATES = {
    "not a cidr": {"name": "x", "region": "nyc1", "ip_range": "not-a-cidr"},
    "no prefix": {"name": "x", "region": "nyc1", "ip_range": "10.0.0.0"},
    "public range": {"name": "x", "region": "nyc1", "ip_range": "8.8.8.0/24"},
    "cgnat range": {"name": "x", "region": "nyc1", "ip_range": "100.64.0.0/24"},
    "ipv6": {"name": "x", "region": "nyc1", "ip_range": "fd00::/64"},
    "smaller than /28": {"name": "x", "region": "nyc1", "ip_range": "10.0.0.0/29"},
    "larger than /16": {"name": "x", "region": "nyc1", "ip_range": "10.0.0.0/15"},
    "octet out of range": {"name": "x", "region": "nyc1", "ip_range": "10.0.300.0/24"},
    "name with space": {"name": "bad name", "region": "nyc1"},
    "name with underscore": {"name": "bad_name", "region": "nyc1"},
    "empty name": {"name": "", "region": "nyc1"},
    "missing name": {"region": "nyc1"},
    "missing region": {"name": "x"},
    "unknown region": {"name": "x", "region": "zz9"},
    "description too long": {"name": "x", "region": "nyc1", "description": "d" * 256},
}


@pytest.mark.parametrize("body", INVALID_CREATES.values(), ids=INVALID_CREATES.keys())
def test_invalid_create_is_422_and_changes_nothing(client, body):
    create_vpc(client, "existing", "nyc1", ip_range="10.99.0.0/24")
    before = snapshot(client)
    assert_error(call_any(client.vpcs.create, body), 422)
    assert snapshot(client) == before


def test_description_of_255_characters_is_accepted(client):
    assert_vpc(create_vpc(client, "long", "nyc1", description="d" * 255), description="d" * 255)


@pytest.mark.parametrize(
    "body", [{"name": "bad name"}, {"description": "d" * 256}, {"name": ""}], ids=["bad name", "long description", "empty name"]
)
@pytest.mark.parametrize("method", ["update", "patch"])
def test_invalid_update_is_422_and_changes_nothing(client, method, body):
    vpc = create_vpc(client, "target", "nyc1")
    before = snapshot(client)
    assert_error(call_any(getattr(client.vpcs, method), vpc["id"], body), 422)
    assert snapshot(client) == before


def test_list_members_of_a_new_vpc_is_empty(client):
    vpc = create_vpc(client, "lonely", "nyc1")
    for kwargs in ({}, {"resource_type": "droplet"}, {"resource_type": "load_balancer"}):
        resp = call(client.vpcs.list_members, vpc["id"], **kwargs)
        assert resp.status == 200
        assert set(resp.body) == {"members", "links", "meta"}
        assert assert_list_envelope(resp.body, "members", 0) == []


UNKNOWN = str(uuid.uuid4())


@pytest.mark.parametrize(
    "operation, args",
    [
        ("get", (UNKNOWN,)),
        ("update", (UNKNOWN, {"name": "x"})),
        ("patch", (UNKNOWN, {"name": "x"})),
        ("delete", (UNKNOWN,)),
        ("list_members", (UNKNOWN,)),
        ("list_peerings", (UNKNOWN,)),
        ("create_peerings", (UNKNOWN, {"name": "p", "vpc_id": str(uuid.uuid4())})),
        ("patch_peerings", (UNKNOWN, str(uuid.uuid4()), {"name": "p"})),
    ],
)
def test_unknown_vpc_is_404_returned_by_pydo(client, operation, args):
    # These operations list 404, so pydo hands back the error body instead of raising.
    resp = call(getattr(client.vpcs, operation), *args)
    assert_error(resp, 404)
    assert_ratelimit_headers(resp.headers)
