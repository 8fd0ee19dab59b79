"""Pick the bus the configuration asks for; Redis's client is imported only when used."""

from __future__ import annotations

from console.bus.base import Bus
from console.bus.local import LocalBus
from console.config import ConsoleConfig
from console.errors import ConfigError
from console.hub import Hub


def make_bus(config: ConsoleConfig, hub: Hub) -> Bus:
    """In-process without ``redis_url``."""
    if config.redis_url is not None:
        raise ConfigError("redis_url: the Redis bus is not available yet")
    return LocalBus(hub)
