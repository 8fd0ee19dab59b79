"""Who is asking, by network address: the peer, or the client a trusted proxy names.

Issue 7's production layout puts a reverse proxy (TLS, load balancing) in front of the
console instances. Every connection then comes from the proxy's address, and the flood
limits and sign-in throttles, which count per address, would lump all clients together.
The proxy names the real client in ``X-Forwarded-For``; but any client can send that
header too, so it is believed only when the peer is listed in ``trusted_proxies``
(addresses or networks; default: none, so a console exposed directly cannot be fooled).

The list is read from the right: each trusted proxy appends the address it received the
request from, so the first entry from the right that is not itself a trusted proxy is the
client. Entries further left were written by the client and are never used. An entry that
is not an address (``unknown``, garbage) stops the walk at the last trusted hop.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"


def parse_networks(entries: Iterable[str]) -> tuple[IpNetwork, ...]:
    """Networks from addresses or CIDR ranges; ValueError names the first bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as err:
            raise ValueError(f"not an address or network: {entry!r}") from err
    return tuple(networks)


def parse_address(text: str) -> IpAddress | None:
    """An address from a peer or a forwarded-for entry (``[v6]:port``, ``v4:port`` too)."""
    text = text.strip()
    if text.startswith("["):  # [2001:db8::1]:443
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """Resolves the client's address from the peer and ``X-Forwarded-For``."""

    def __init__(self, networks: Iterable[IpNetwork] = ()) -> None:
        self._networks = tuple(networks)

    def trusts(self, address: IpAddress) -> bool:
        """Whether ``address`` is one of the configured proxies."""
        return any(address in network for network in self._networks)

    def client(self, peer: str | None, forwarded_for: Iterable[str] = ()) -> str:
        """The client's address as text; ``peer`` unless a trusted proxy forwarded it."""
        hop = parse_address(peer or "")
        if hop is None:
            return peer or UNKNOWN
        if not self._networks:
            return str(hop)
        entries = [e for header in forwarded_for for e in header.split(",") if e.strip()]
        while self.trusts(hop) and entries:
            previous = parse_address(entries.pop())
            if previous is None:
                break  # a proxy wrote something that is not an address: keep the proxy
            hop = previous
        return str(hop)
