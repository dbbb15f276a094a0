"""Pagination as DigitalOcean does it: `page`/`per_page`, absolute `links.pages` URLs, `meta.total`."""

from __future__ import annotations

import requests

from support import assert_list_envelope, call, create_peering, create_vpc, page_links


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
        # Leaving out per_page is only harmless when it is the default.
        assert links[f"{rel}.per_page"] in ((per_page, None) if per_page == 20 else (per_page,)), (
            f"{rel} lost per_page: {body['links']}"
        )
        assert links[f"{rel}.path"] == path, f"{rel} points elsewhere: {body['links']}"


def test_vpcs_paginate_over_three_pages(client):
    regions = ["nyc1", "nyc3", "sfo3", "ams3", "fra1"]
    created = {create_vpc(client, f"vpc-{i:02d}", regions[i % len(regions)])["id"] for i in range(45)}

    seen: list[str] = []
    for page, size in ((1, 20), (2, 20), (3, 5)):
        resp = call(client.vpcs.list, per_page=20, page=page)
        assert resp.status == 200
        vpcs = assert_list_envelope(resp.body, "vpcs", 45)
        assert len(vpcs) == size, f"page {page}"
        _expect_pages(resp.body, "/v2/vpcs", 20, page, 3)
        seen += [v["id"] for v in vpcs]
    assert len(seen) == 45 and set(seen) == created, "pages overlap or miss VPCs"

    beyond = call(client.vpcs.list, per_page=20, page=4)
    assert beyond.status == 200
    assert assert_list_envelope(beyond.body, "vpcs", 45) == []

    everything = call(client.vpcs.list, per_page=200)
    assert {v["id"] for v in assert_list_envelope(everything.body, "vpcs", 45)} == created
    assert not page_links(everything.body), everything.body["links"]

    # pydo's default is per_page=20.
    assert len(call(client.vpcs.list).body["vpcs"]) == 20


def test_links_can_be_followed(client, server, token):
    for i in range(5):
        create_vpc(client, f"walk-{i}", "lon1")
    resp = call(client.vpcs.list, per_page=2)
    pages = resp.body["links"]["pages"]
    assert pages["next"].startswith(server.do_url + "/v2/vpcs?"), pages
    headers = {"Authorization": f"Bearer {token}"}
    followed = requests.get(pages["next"], headers=headers, timeout=10).json()
    assert followed == call(client.vpcs.list, per_page=2, page=2).body
    last = requests.get(pages["last"], headers=headers, timeout=10).json()
    assert len(last["vpcs"]) == 1 and "next" not in last["links"].get("pages", {})


def test_peering_lists_paginate(client):
    hub = create_vpc(client, "hub", "tor1")["id"]
    spokes = [create_vpc(client, f"spoke-{i}", "tor1")["id"] for i in range(3)]
    ids = {create_peering(client, f"hub-{i}", [hub, spoke])["id"] for i, spoke in enumerate(spokes)}

    for op, args, key, path in (
        (client.vpc_peerings.list, (), "vpc_peerings", "/v2/vpc_peerings"),
        (client.vpcs.list_peerings, (hub,), "vpc_peerings", f"/v2/vpcs/{hub}/peerings"),
    ):
        first = call(op, *args, per_page=2, page=1)
        second = call(op, *args, per_page=2, page=2)
        page1 = assert_list_envelope(first.body, key, 3)
        page2 = assert_list_envelope(second.body, key, 3)
        assert len(page1) == 2 and len(page2) == 1
        assert {p["id"] for p in page1 + page2} == ids
        _expect_pages(first.body, path, 2, 1, 2)
        _expect_pages(second.body, path, 2, 2, 2)
        if op == client.vpcs.list_peerings:
            assert second.body["peerings"] == page2


def test_regions_paginate(client):
    total = call(client.regions.list, per_page=200).body["meta"]["total"]
    pages = -(-total // 5)
    seen = []
    for page in range(1, pages + 1):
        resp = call(client.regions.list, per_page=5, page=page)
        regions = assert_list_envelope(resp.body, "regions", total)
        _expect_pages(resp.body, "/v2/regions", 5, page, pages)
        seen += [r["slug"] for r in regions]
    assert len(seen) == total == len(set(seen))
