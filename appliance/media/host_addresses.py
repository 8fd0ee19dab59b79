"""Which local addresses aioice offers as host candidates.

aioice's ``get_host_addresses`` lists every interface address except 127.0.0.1 and
::1. On a Pi that is right, but a single-machine demo or a test (terminal, console and
browser on one host, maybe without any other interface) then cannot connect at all.
The ``ice_host_addresses`` config option replaces that list: ``["127.0.0.1"]`` for
loopback demos and tests, or a fixed LAN address on a terminal with several
interfaces. Empty keeps aioice's own choice.

aioice looks the function up in its ``aioice.ice`` module at gathering time, so
replacing the module attribute is enough. This is process-global (every peer
connection in the process is affected), which matches the daemon: one terminal per
process. It is applied when the daemon builds its media part, never at import.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import Any, cast

_original: Callable[[bool, bool], list[str]] | None = None


def apply_host_addresses(addresses: Sequence[str]) -> None:
    """Make aioice gather host candidates only on ``addresses`` (empty: restore its own)."""
    import aioice.ice  # imported here: no work at import time of the appliance

    global _original
    if _original is None:
        _original = aioice.ice.get_host_addresses
    if not addresses:
        aioice.ice.get_host_addresses = cast(Any, _original)
        return
    fixed = [str(ipaddress.ip_address(a)) for a in addresses]

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        """Configured addresses of the enabled families (replaces aioice's function)."""
        return [
            a
            for a in fixed
            if (use_ipv4 and ipaddress.ip_address(a).version == 4)
            or (use_ipv6 and ipaddress.ip_address(a).version == 6)
        ]

    aioice.ice.get_host_addresses = get_host_addresses
