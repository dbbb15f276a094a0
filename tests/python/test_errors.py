"""Error envelope, authentication, malformed and mistyped input, and isolation between teams."""

from __future__ import annotations

import json
import uuid

import pytest
from azure.core.exceptions import ClientAuthenticationError

from support import (
    Raw,
    assert_error,
    assert_list_envelope,
    call,
    call_any,
    create_peering,
    create_vpc,
    pydo_client,
    snapshot,
    wait_peering_status,
)

PATHS = ["/v2/vpcs", "/v2/vpc_peerings", "/v2/regions", f"/v2/vpcs/{uuid.uuid4()}", f"/v2/vpc_peerings/{uuid.uuid4()}"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("auth", [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "token-without-scheme"])
def test_missing_or_malformed_authorization_is_401(server, path, auth):
    resp = Raw(server, None).request("GET", path, auth=auth)
    assert_error(resp, 401)


def test_pydo_raises_client_authentication_error_on_401(server):
    client = pydo_client(server, "")
    with pytest.raises(ClientAuthenticationError):
        client.vpcs.list()


@pytest.fixture
def owned(client):
    """A team with two VPCs and an active peering between them."""
    a = create_vpc(client, "a", "nyc1")
    b = create_vpc(client, "b", "nyc1")
    peering = create_peering(client, "a-b", [a["id"], b["id"]])
    wait_peering_status(client, peering["id"], "ACTIVE")
    return {"a": a["id"], "b": b["id"], "peering": peering["id"]}


# Every write the API has, as (method, path template).
WRITES = [
    ("POST", "/v2/vpcs"),
    ("PUT", "/v2/vpcs/{b}"),
    ("PATCH", "/v2/vpcs/{b}"),
    ("POST", "/v2/vpcs/{a}/peerings"),
    ("PATCH", "/v2/vpcs/{a}/peerings/{peering}"),
    ("POST", "/v2/vpc_peerings"),
    ("PATCH", "/v2/vpc_peerings/{peering}"),
]


MALFORMED = ['{"name": ', "not json", '{"name": "x",}', "\x00\xff", '{"name": "x"} trailing', ""]


@pytest.mark.parametrize("method, template", WRITES, ids=[f"{m} {t}" for m, t in WRITES])
def test_malformed_json_is_400_and_changes_nothing(client, raw, owned, method, template):
    before = snapshot(client)
    for payload in MALFORMED:
        resp = raw.request(
            method, template.format(**owned), data=payload.encode("latin-1"), headers={"Content-Type": "application/json"}
        )
        try:
            assert_error(resp, 400)
        except AssertionError as err:
            raise AssertionError(f"payload {payload!r}: {err}") from None
    assert snapshot(client) == before


WRONG_TYPES = [
    ("POST", "/v2/vpcs", {"name": 123, "region": "nyc1"}),
    ("POST", "/v2/vpcs", {"name": "x", "region": ["nyc1"]}),
    ("POST", "/v2/vpcs", {"name": "x", "region": "nyc1", "ip_range": 10}),
    ("POST", "/v2/vpcs", {"name": "x", "region": "nyc1", "description": {"a": 1}}),
    ("POST", "/v2/vpcs", {"name": "x" * 100_000, "region": "nyc1"}),
    ("POST", "/v2/vpcs", ["name", "region"]),
    ("POST", "/v2/vpcs", None),
    ("POST", "/v2/vpcs", "a string"),
    ("PUT", "/v2/vpcs/{b}", {"name": "x", "default": "yes"}),
    ("PATCH", "/v2/vpcs/{b}", {"default": 1}),
    ("PATCH", "/v2/vpcs/{b}", {"name": None}),
    ("POST", "/v2/vpc_peerings", {"name": "x", "vpc_ids": "{a},{b}"}),
    ("POST", "/v2/vpc_peerings", {"name": "x", "vpc_ids": [1, 2]}),
    ("POST", "/v2/vpc_peerings", {"name": "x", "vpc_ids": ["not-a-uuid", "also-not"]}),
    ("POST", "/v2/vpc_peerings", {"name": ["x"], "vpc_ids": ["{a}", "{b}"]}),
    ("PATCH", "/v2/vpc_peerings/{peering}", {"name": 5}),
    ("POST", "/v2/vpcs/{a}/peerings", {"name": "x", "vpc_id": ["{b}"]}),
    ("PATCH", "/v2/vpcs/{a}/peerings/{peering}", {"name": False}),
]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def test_wrong_types_are_4xx_and_change_nothing(client, raw, owned):
    before = snapshot(client)
    failures = []
    for method, template, body in WRONG_TYPES:
        resp = raw.request(
            method,
            template.format(**owned),
            data=json.dumps(_fill(body, owned)),
            headers={"Content-Type": "application/json"},
        )
        try:
            assert_error(resp, (400, 413, 422))  # 413: the 100 kB name is over --max-body-bytes
        except AssertionError as err:
            failures.append(f"{method} {template} {str(body)[:80]}: {err}")
    assert not failures, "\n".join(failures)
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "path",
    ["/v2/vpcs/not-a-uuid", "/v2/vpcs/not-a-uuid/members", "/v2/vpcs/not-a-uuid/peerings", "/v2/vpc_peerings/42", "/v2/vpcs/%00"],
)
def test_ids_that_are_not_uuids_are_4xx(raw, path):
    assert_error(raw.request("GET", path), (400, 404, 422))


@pytest.mark.parametrize("query", ["per_page=0", "per_page=201", "per_page=abc", "page=0", "page=-1", "page=x"])
def test_bad_pagination_parameters_never_crash(raw, query):
    resp = raw.request("GET", f"/v2/vpcs?{query}")
    if resp.status_code == 200:
        # Clamping is tolerable; the envelope still has to be right.
        assert_list_envelope(resp.json(), "vpcs", 0)
    else:
        assert_error(resp, (400, 422))


def test_unknown_route_is_404(raw):
    assert_error(raw.request("GET", "/v2/nothing-here"), 404)


def test_another_team_sees_nothing(client, other_client, owned):
    a, b, peering = owned["a"], owned["b"], owned["peering"]
    mine = snapshot(client)

    assert call(other_client.vpcs.list).body["vpcs"] == []
    assert call(other_client.vpcs.list).body["meta"]["total"] == 0
    assert call(other_client.vpc_peerings.list).body["vpc_peerings"] == []
    for resp in (
        call(other_client.vpcs.get, a),
        call(other_client.vpcs.update, a, {"name": "stolen"}),
        call(other_client.vpcs.patch, b, {"description": "stolen"}),
        call(other_client.vpcs.delete, b),
        call(other_client.vpcs.list_members, a),
        call(other_client.vpcs.list_peerings, a),
        call(other_client.vpcs.create_peerings, a, {"name": "stolen", "vpc_id": b}),
        call(other_client.vpcs.patch_peerings, a, peering, {"name": "stolen"}),
        call(other_client.vpc_peerings.get, peering),
        call(other_client.vpc_peerings.patch, peering, {"name": "stolen"}),
        call(other_client.vpc_peerings.delete, peering),
    ):
        assert_error(resp, 404)

    # Peering two of someone else's VPCs, or one's own with someone else's.
    theirs = create_vpc(other_client, "theirs", "nyc1")["id"]
    assert_error(call_any(other_client.vpc_peerings.create, {"name": "x", "vpc_ids": [a, b]}), (404, 422))
    assert_error(call_any(other_client.vpc_peerings.create, {"name": "y", "vpc_ids": [theirs, a]}), (404, 422))
    assert_error(call_any(other_client.vpcs.create_peerings, theirs, {"name": "z", "vpc_id": a}), (404, 422))

    assert snapshot(client) == mine
    assert call(other_client.vpc_peerings.list).body["vpc_peerings"] == []


def test_names_ranges_and_defaults_are_per_team(client, other_client):
    mine = create_vpc(client, "shared-name", "nyc1", ip_range="10.42.0.0/24")
    theirs = create_vpc(other_client, "shared-name", "nyc1", ip_range="10.42.0.0/24")
    assert mine["id"] != theirs["id"]
    assert mine["default"] is True and theirs["default"] is True
