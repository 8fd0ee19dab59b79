"""What the instances keep in Redis, and the few commands that read and change it.

Keys (``prefix`` defaults to ``bt:``): ``owner`` is the lease naming the instance that owns
the calls (SET NX PX, renewed every second; it lapses :data:`LEASE_TTL_MS` after its owner
dies); ``alive:<instance>`` says an instance is running (same TTL); ``calls`` is a hash of
the waiting calls (console/hub_state.py), written only while the writer holds the lease:
the check and the write run as one Lua script, so an owner that lost its lease unnoticed
(a stalled process, a partition) cannot overwrite its successor's queue.

One lease for all municipalities rather than one each: the hub is one object, and a routing
step costs about 0.1-0.2 ms (bench/hub_routing.py), so one owner routes thousands of calls a
second; what grows with a region is sockets and heartbeats, and those stay on every
instance. The channel ``to:<instance>`` carries envelopes (console/bus/envelope.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from typing import Any, cast

import msgspec
from redis.asyncio import Redis

from console.hub_state import WaitingCall

log = logging.getLogger(__name__)

LEASE_TTL_MS = 3000
"""An owner killed without a goodbye is replaced within this (plus one renewal period)."""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_WRITE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '1' then redis.call('DEL', KEYS[2]) end
local n = tonumber(ARGV[3])
for i = 0, n - 1 do redis.call('HSET', KEYS[2], ARGV[4 + 2 * i], ARGV[5 + 2 * i]) end
for i = 4 + 2 * n, #ARGV do redis.call('HDEL', KEYS[2], ARGV[i]) end
return 1
"""

_calls = msgspec.json.Decoder(WaitingCall)


async def _wait(value: Awaitable[Any] | Any) -> Any:
    """redis-py's methods are typed for both its clients; ours always returns awaitables."""
    return await cast(Awaitable[Any], value)


class Shared:
    """The instances' shared state in one Redis."""

    def __init__(self, redis: Redis, prefix: str = "bt:") -> None:
        self.redis = redis
        self.prefix = prefix
        self.owner_key = prefix + "owner"
        self.calls_key = prefix + "calls"
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._write = redis.register_script(_WRITE)

    def channel(self, instance: str) -> str:
        """The pub/sub channel an instance listens on."""
        return f"{self.prefix}to:{instance}"

    def _alive_key(self, instance: str) -> str:
        return f"{self.prefix}alive:{instance}"

    async def heartbeat(self, instance: str) -> None:
        """Say this instance is running for the next lease period."""
        await _wait(self.redis.set(self._alive_key(instance), b"1", px=LEASE_TTL_MS))

    async def alive(self, instances: Sequence[str]) -> set[str]:
        """Which of these instances said they are running within the last lease period."""
        if not instances:
            return set()
        found = await _wait(self.redis.mget([self._alive_key(i) for i in instances]))
        return {i for i, v in zip(instances, found, strict=True) if v is not None}

    async def owner(self) -> str | None:
        """The instance holding the lease, if any."""
        value = await _wait(self.redis.get(self.owner_key))
        return None if value is None else bytes(value).decode()

    async def take(self, instance: str) -> bool:
        """Take the lease if nobody holds it."""
        done = await _wait(self.redis.set(self.owner_key, instance, nx=True, px=LEASE_TTL_MS))
        return bool(done)

    async def renew(self, instance: str) -> bool:
        """Extend our lease; False if it lapsed or another instance holds it."""
        return bool(await self._renew(keys=[self.owner_key], args=[instance, LEASE_TTL_MS]))

    async def release(self, instance: str) -> None:
        """Give the lease up (clean shutdown), so another instance takes over at once."""
        await self._release(keys=[self.owner_key], args=[instance])

    async def waiting_calls(self) -> list[WaitingCall]:
        """The recorded waiting calls; a record that does not parse is logged and left out."""
        raw = await _wait(self.redis.hgetall(self.calls_key))
        found = []
        for key, value in raw.items():
            try:
                found.append(_calls.decode(value))
            except msgspec.MsgspecError as err:
                log.warning("ignoring unreadable waiting call %r in Redis: %s", key, err)
        return found

    async def write_calls(
        self, instance: str, sets: dict[str, bytes], dels: Sequence[str], *, full: bool
    ) -> bool:
        """Write changed records and delete gone ones (``full``: replace the whole hash)
        if we hold the lease; False (nothing written) if we do not."""
        args: list[str | bytes | int] = [instance, "1" if full else "0", len(sets)]
        for key, value in sets.items():
            args += [key, value]
        args += list(dels)
        return bool(await self._write(keys=[self.owner_key, self.calls_key], args=args))

    async def publish(self, items: Sequence[tuple[str, bytes]]) -> list[int]:
        """PUBLISH each (channel, data) in one round trip; receivers per item."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for channel, data in items:
                pipe.publish(channel, data)
            return [int(n) for n in await pipe.execute()]
