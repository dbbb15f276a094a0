"""client.regions.list: the datacenter slugs VPCs are created in."""

from __future__ import annotations

from support import DATACENTERS, assert_list_envelope, assert_ratelimit_headers, call, create_vpc


def test_regions_list_has_every_datacenter(client):
    resp = call(client.regions.list, per_page=200)
    assert resp.status == 200
    assert set(resp.body) == {"regions", "links", "meta"}
    assert_ratelimit_headers(resp.headers)
    regions = assert_list_envelope(resp.body, "regions", len(resp.body["regions"]))
    slugs = [r["slug"] for r in regions]
    assert len(slugs) == len(set(slugs)), slugs
    assert DATACENTERS <= set(slugs), f"missing {DATACENTERS - set(slugs)}"
    for region in regions:
        assert isinstance(region["name"], str) and region["name"], region
        assert isinstance(region["available"], bool), region
        assert isinstance(region["features"], list) and all(isinstance(f, str) for f in region["features"]), region
        assert isinstance(region["sizes"], list) and all(isinstance(s, str) for s in region["sizes"]), region


def test_a_vpc_can_be_created_in_every_available_region(client):
    regions = call(client.regions.list, per_page=200).body["regions"]
    available = [r["slug"] for r in regions if r["available"]]
    assert len(available) >= 8, available
    for slug in available:
        vpc = create_vpc(client, f"in-{slug}", slug)
        assert vpc["region"] == slug and vpc["default"] is True
