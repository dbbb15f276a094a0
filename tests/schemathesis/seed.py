"""Gives the "owner" team real VPCs and peerings, then prints schemathesis `[dictionaries]` of
their ids and of the available regions. Without them nearly every generated id is unknown, so
the peering operations would only ever answer 404 and their 200/202 bodies would go unchecked.

DELETE operations get their own VPCs and peerings, so the others stay for the rest of the run;
the per-VPC peering route gets a VPC ("hub") together with peerings it belongs to.

Usage: seed.py DO_URL  (token in CROSSLINK_ST_OWNER_TOKEN; TOML on stdout)
"""

from __future__ import annotations

import json
import os
import sys

import requests


def main() -> None:
    base = sys.argv[1].rstrip("/")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {os.environ['CROSSLINK_ST_OWNER_TOKEN']}"

    def api(method: str, path: str, body: dict | None = None) -> dict:
        resp = session.request(method, base + path, json=body, timeout=10)
        if resp.status_code >= 300:
            sys.exit(f"seed: {method} {path} -> {resp.status_code} {resp.text[:300]}")
        return resp.json()

    regions = [r["slug"] for r in api("GET", "/v2/regions?per_page=200")["regions"] if r["available"]]
    vpcs = {}
    # The first VPC of each region is its default (never deletable); sfo3 holds the ones DELETE may take.
    for region, count in (("nyc1", 4), ("ams3", 2), ("blr1", 1), ("sfo3", 3)):
        for i in range(count):
            name = f"seed-{region}-{i}"
            vpcs[name] = api("POST", "/v2/vpcs", {"name": name, "region": region})["vpc"]["id"]

    def peer(name: str, a: str, b: str) -> str:
        body = {"name": name, "vpc_ids": [vpcs[f"seed-{a}"], vpcs[f"seed-{b}"]]}
        return api("POST", "/v2/vpc_peerings", body)["vpc_peering"]["id"]

    hub = vpcs["seed-nyc1-0"]
    hub_peerings = [peer("seed-hub-nyc", "nyc1-0", "nyc1-1"), peer("seed-hub-ams", "nyc1-0", "ams3-0")]
    other_peerings = [peer("seed-nyc-ams", "nyc1-2", "ams3-1")]
    doomed_peerings = [peer("seed-doomed-1", "nyc1-1", "nyc1-2"), peer("seed-doomed-2", "nyc1-3", "ams3-0")]
    doomed_vpcs = [vpcs[f"seed-sfo3-{i}"] for i in (1, 2)]

    # Partner attachments in the nyc metro: some to read and change, some for DELETE.
    def attach(name: str, vpc_name: str) -> str:
        body = {
            "name": name, "region": "nyc", "connection_bandwidth_in_mbps": 1000,
            "naas_provider": "MEGAPORT", "vpc_ids": [vpcs[vpc_name]],
        }
        return api("POST", "/v2/partner_network_connect/attachments", body)["partner_attachment"]["id"]

    attachments = [attach("seed-pa-0", "seed-nyc1-0"), attach("seed-pa-1", "seed-nyc1-1")]
    doomed_attachments = [attach("seed-pa-doomed-0", "seed-nyc1-2"), attach("seed-pa-doomed-1", "seed-nyc1-3")]

    def table(name: str, values: list[str]) -> str:
        return f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n"

    print("# Written by seed.py for this run.")
    print(table("vpc_ids", list(vpcs.values())))
    print(table("vpc_peering_ids", hub_peerings + other_peerings + doomed_peerings))
    print(table("hub_vpc_ids", [hub]))
    print(table("hub_peering_ids", hub_peerings))
    print(table("doomed_vpc_ids", doomed_vpcs))
    print(table("doomed_peering_ids", doomed_peerings))
    print(table("regions", regions))
    print(table("pa_ids", attachments + doomed_attachments))
    print(table("doomed_pa_ids", doomed_attachments))
    print(table("nyc_vpc_ids", [vpcs[f"seed-nyc1-{i}"] for i in range(4)]))


if __name__ == "__main__":
    main()
