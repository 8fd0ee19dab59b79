"""X-Forwarded-For is believed only from configured proxies, and read from the right."""

from __future__ import annotations

import pytest

from console.client_address import TrustedProxies, parse_address, parse_networks

PROXY = TrustedProxies(parse_networks(["10.0.0.0/8", "2001:db8:ffff::1"]))


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("10.0.0.5", ["203.0.113.7"], "203.0.113.7"),  # one proxy
        ("10.0.0.5", ["198.51.100.1, 203.0.113.7"], "203.0.113.7"),  # client's own entry ignored
        ("10.0.0.5", ["203.0.113.7, 10.0.0.9"], "203.0.113.7"),  # two proxies of ours
        ("10.0.0.5", ["203.0.113.7", "10.0.0.9"], "203.0.113.7"),  # header given twice
        ("10.0.0.5", [], "10.0.0.5"),  # no header: the proxy itself
        ("10.0.0.5", ["unknown"], "10.0.0.5"),  # garbage stops the walk at the proxy
        ("10.0.0.5", ["203.0.113.7:4711"], "203.0.113.7"),
        ("10.0.0.5", ["[2001:db8::7]:443"], "2001:db8::7"),
        ("2001:db8:ffff::1", ["2001:db8::7"], "2001:db8::7"),
        ("::ffff:10.0.0.5", ["203.0.113.7"], "203.0.113.7"),  # IPv4-mapped peer
        ("203.0.113.9", ["10.0.0.1"], "203.0.113.9"),  # not a proxy: header ignored
        ("10.0.0.5", ["10.0.0.8, 10.0.0.9"], "10.0.0.8"),  # all ours: the leftmost
    ],
)
def test_client_behind_trusted_proxies(peer: str, forwarded: list[str], client: str) -> None:
    assert PROXY.client(peer, forwarded) == client


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert TrustedProxies().client("127.0.0.1", ["203.0.113.7"]) == "127.0.0.1"


def test_no_peer_address() -> None:
    assert TrustedProxies().client(None, ["203.0.113.7"]) == "unknown"
    assert PROXY.client("", ["203.0.113.7"]) == "unknown"


@pytest.mark.parametrize("text", ["", "unknown", "1.2.3", "[::1", "example.org", "1.2.3.4:x:y"])
def test_unparseable_addresses(text: str) -> None:
    assert parse_address(text) is None


def test_bad_network_is_named() -> None:
    with pytest.raises(ValueError, match=r"'proxy\.local'"):
        parse_networks(["10.0.0.1", "proxy.local"])
