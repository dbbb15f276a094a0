"""Rate limiting per token: headers on every response, 429 with retry-after, no effect on others."""

from __future__ import annotations

import time
import uuid

import pytest
from azure.core.exceptions import HttpResponseError

from support import (
    Raw,
    Server,
    assert_error,
    assert_ratelimit_headers,
    call,
    call_any,
    create_vpc,
    crosslink_bin,
    new_token,
    pydo_client,
)


def test_every_kind_of_response_carries_the_headers(client, raw):
    vpc = create_vpc(client, "a", "nyc1")
    responses = [
        call(client.vpcs.list),
        call(client.vpcs.create, {"name": "b", "region": "nyc1"}),
        call(client.vpcs.get, vpc["id"]),
        call(client.vpcs.get, str(uuid.uuid4())),
        call_any(client.vpcs.create, {"name": "bad name", "region": "nyc1"}),
        call_any(client.vpcs.delete, vpc["id"]),
        call(client.regions.list),
    ]
    statuses = [r.status for r in responses]
    assert statuses == [200, 201, 200, 404, 422, 403, 200]
    for resp in responses:
        assert_ratelimit_headers(resp.headers)
    malformed = raw.request("POST", "/v2/vpcs", data="{", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert_ratelimit_headers(malformed.headers)


def test_remaining_counts_down_per_token(server, raw):
    first = raw.request("GET", "/v2/vpcs")
    second = raw.request("GET", "/v2/vpcs")
    remaining = [int(r.headers["ratelimit-remaining"]) for r in (first, second)]
    assert remaining[1] == remaining[0] - 1, remaining
    assert int(first.headers["ratelimit-limit"]) in (250, 5000)
    # Another token has its own budget.
    fresh = Raw(server, new_token()).request("GET", "/v2/vpcs")
    assert int(fresh.headers["ratelimit-remaining"]) >= remaining[0]


def test_burst_over_the_minute_limit_is_429_with_retry_after(limited_server):
    token = new_token()
    raw = Raw(limited_server, token)
    answers = [raw.request("GET", "/v2/vpcs") for _ in range(5)]
    assert [r.status_code for r in answers] == [200] * 5
    for r in answers:
        assert_ratelimit_headers(r.headers)

    limited = raw.request("GET", "/v2/vpcs")
    assert_error(limited, 429)
    assert_ratelimit_headers(limited.headers)
    assert limited.headers["ratelimit-remaining"] == "0"
    retry_after = limited.headers.get("retry-after")
    assert retry_after is not None and retry_after.isdigit() and 1 <= int(retry_after) <= 60, retry_after

    # pydo with retry_total=0 surfaces the 429 at once instead of retrying.
    client = pydo_client(limited_server, token)
    started = time.monotonic()
    with pytest.raises(HttpResponseError) as err:
        client.vpcs.list()
    assert err.value.status_code == 429
    assert time.monotonic() - started < 1.0

    # Writes are limited too.
    assert_error(raw.request("POST", "/v2/vpcs", json={"name": "late", "region": "nyc1"}), 429)

    # The limit is per token.
    other = Raw(limited_server, new_token()).request("GET", "/v2/vpcs")
    assert other.status_code == 200


def test_limits_can_be_disabled(tmp_path_factory):
    args = ["--rate-limit-per-minute", "0", "--rate-limit-per-hour", "0"]
    srv = Server(crosslink_bin(), tmp_path_factory.mktemp("unlimited"), args)
    try:
        raw = Raw(srv, new_token())
        statuses = {raw.request("GET", "/v2/regions").status_code for _ in range(300)}
        assert statuses == {200}
    finally:
        srv.stop()
