"""client.account.get: the caller's account (doctl account get, Terraform's digitalocean_account)."""

from __future__ import annotations

from support import assert_ratelimit_headers, call


def test_account_get_describes_the_callers_team(client, other_client):
    resp = call(client.account.get)
    assert resp.status == 200
    assert_ratelimit_headers(resp.headers)
    account = resp.body["account"]
    for field in ("droplet_limit", "floating_ip_limit", "email", "uuid", "email_verified", "status", "status_message"):
        assert field in account, field
    assert account["status"] in ("active", "warning", "locked")
    assert isinstance(account["droplet_limit"], int) and isinstance(account["email_verified"], bool)
    assert account["team"]["uuid"] == account["uuid"]
    assert call(client.account.get).body["account"] == account
    assert call(other_client.account.get).body["account"]["uuid"] != account["uuid"]
