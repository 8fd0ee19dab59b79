"""Pick the bus the configuration asks for; Redis's client is imported only when used."""

from __future__ import annotations

from console.bus.base import Bus
from console.bus.local import LocalBus
from console.config import ConsoleConfig
from console.hub import Hub
from console.server import bind_address


def make_bus(config: ConsoleConfig, hub: Hub) -> Bus:
    """In-process without ``redis_url``; else one instance among several sharing Redis."""
    if config.redis_url is None:
        return LocalBus(hub)
    from console.bus.redis import RedisBus  # imported only where Redis is configured

    advertise = config.advertise_url or f"http://{bind_address(config.host, config.port)}"
    return RedisBus.from_url(config.redis_url, hub, advertise)
