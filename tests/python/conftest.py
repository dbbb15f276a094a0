"""Fixtures: real `crosslink serve` processes (one per configuration, started on first use) and
pydo clients whose fresh tokens make each test its own DigitalOcean team."""

from __future__ import annotations

import os

import pytest

from support import Raw, Server, crosslink_bin, new_token, pydo_client
from console_support import browser, console  # noqa: F401 (fixtures)

_servers: list[Server] = []


def _start(tmp_path_factory: pytest.TempPathFactory, name: str, args: list[str]) -> Server:
    binary = crosslink_bin()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"crosslink binary not found at {binary}: run `cargo build -p crosslink` or set CROSSLINK_BIN")
    server = Server(binary, tmp_path_factory.mktemp(name), args)
    _servers.append(server)
    return server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Immediate transitions, default rate limits (250/min per token), and a brand-new
    account's default-VPC rule (`--default-vpcs first`), which the VPC suites were written for."""
    srv = _start(tmp_path_factory, "first", ["--default-vpcs", "first"])
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def default_server(tmp_path_factory):
    """`crosslink serve` with no flags at all, as a new user starts it (seeded default VPCs)."""
    srv = _start(tmp_path_factory, "default", [])
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def manual_server(tmp_path_factory):
    """Peerings stay in each state until the admin API advances them."""
    srv = _start(tmp_path_factory, "manual", ["--transitions", "vpc_peering=manual"])
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def limited_server(tmp_path_factory):
    srv = _start(tmp_path_factory, "limited", ["--rate-limit-per-minute", "5"])
    yield srv
    srv.stop()


@pytest.fixture
def token():
    return new_token()


@pytest.fixture
def client(server, token):
    return pydo_client(server, token)


@pytest.fixture
def other_client(server):
    """A second team on the same server."""
    return pydo_client(server, new_token())


@pytest.fixture
def raw(server, token):
    """Plain HTTP as the same team as `client`."""
    return Raw(server, token)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if exitstatus != 0:
        for srv in _servers:
            terminalreporter.write_line(f"crosslink {srv.args or '(defaults)'} log: {srv.log_path}")
            terminalreporter.write_line(srv.log_tail(15))
