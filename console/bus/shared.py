"""What the instances keep in Redis, and the few commands that read and change it.

Keys (``prefix`` defaults to ``bt:``): ``owner`` is the lease naming the instance that owns
the calls (SET NX PX, renewed every second; it lapses :data:`LEASE_TTL_MS` after its owner
dies); ``alive:<instance>`` says an instance is running and where it serves HTTP (same
TTL); ``calls`` and ``presence`` are hashes of the live calls and of the caseworkers'
presence (console/hub_state.py), written only while the writer holds the lease:
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
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import msgspec
from redis.asyncio import Redis

from console.hub_state import SavedCall, SavedPresence

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
local i = 3
for k = 2, #KEYS do
  if ARGV[2] == '1' then redis.call('DEL', KEYS[k]) end
  local n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do redis.call('HSET', KEYS[k], ARGV[i], ARGV[i + 1]); i = i + 2 end
  local d = tonumber(ARGV[i]); i = i + 1
  for _ = 1, d do redis.call('HDEL', KEYS[k], ARGV[i]); i = i + 1 end
end
return 1
"""

T = TypeVar("T")


@dataclass(frozen=True)
class HashChange:
    """Fields to set and fields to delete in one hash."""

    key: str
    sets: dict[str, bytes]
    dels: list[str]


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
        self.presence_key = prefix + "presence"
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._write = redis.register_script(_WRITE)

    def channel(self, instance: str) -> str:
        """The pub/sub channel an instance listens on."""
        return f"{self.prefix}to:{instance}"

    def _alive_key(self, instance: str) -> str:
        return f"{self.prefix}alive:{instance}"

    async def heartbeat(self, instance: str, url: str) -> None:
        """Say this instance is running for the next lease period, and where it serves."""
        await _wait(self.redis.set(self._alive_key(instance), url.encode(), px=LEASE_TTL_MS))

    async def url_of(self, instance: str) -> str | None:
        """Where a running instance serves HTTP (its ``advertise_url``), if it is running."""
        value = await _wait(self.redis.get(self._alive_key(instance)))
        return None if value is None else bytes(value).decode() or None

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

    async def calls(self) -> list[SavedCall]:
        """The recorded live calls."""
        return await self._records(self.calls_key, SavedCall)

    async def presence(self) -> list[SavedPresence]:
        """The recorded presence of signed-in caseworkers."""
        return await self._records(self.presence_key, SavedPresence)

    async def _records(self, key: str, kind: type[T]) -> list[T]:
        """A hash's records; one that does not parse is logged and left out."""
        raw = await _wait(self.redis.hgetall(key))
        decoder = msgspec.json.Decoder(kind)
        found = []
        for field, value in raw.items():
            try:
                found.append(decoder.decode(value))
            except msgspec.MsgspecError as err:
                log.warning("ignoring unreadable record %r in %s: %s", field, key, err)
        return found

    async def write(self, instance: str, changes: Sequence[HashChange], *, full: bool) -> bool:
        """Apply changes to the hashes (``full``: replace them) if we hold the lease; False,
        and nothing written, if we do not."""
        args: list[str | bytes | int] = [instance, "1" if full else "0"]
        for change in changes:
            args.append(len(change.sets))
            for field, value in change.sets.items():
                args += [field, value]
            args.append(len(change.dels))
            args += change.dels
        keys = [self.owner_key, *(change.key for change in changes)]
        return bool(await self._write(keys=keys, args=args))

    async def publish(self, items: Sequence[tuple[str, bytes]]) -> list[int]:
        """PUBLISH each (channel, data) in one round trip; receivers per item."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for channel, data in items:
                pipe.publish(channel, data)
            return [int(n) for n in await pipe.execute()]


class Mirror:
    """What was last written to one hash, so a write carries only the differences."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.written: dict[str, bytes] = {}

    def change(self, current: dict[str, bytes], full: bool) -> HashChange | None:
        """The change from what was written to ``current`` (all of it when ``full``)."""
        if full:
            return HashChange(self.key, current, [])
        sets = {k: v for k, v in current.items() if self.written.get(k) != v}
        dels = [k for k in self.written if k not in current]
        return HashChange(self.key, sets, dels) if sets or dels else None


_record_encoder = msgspec.json.Encoder()


def pack_record(record: SavedCall | SavedPresence) -> bytes:
    """One record as stored in Redis."""
    return _record_encoder.encode(record)


def encode_calls(
    records: list[SavedCall], encoded: dict[str, tuple[SavedCall, bytes]]
) -> dict[str, bytes]:
    """Call id -> stored form; a record object seen last time (Hub.saved_calls with its
    cache hands out the same object for an unchanged call) is not encoded again."""
    found = {}
    for record in records:
        known = encoded.get(record.call_id)
        if known is None or known[0] is not record:
            known = encoded[record.call_id] = (record, pack_record(record))
        found[record.call_id] = known[1]
    for call_id in [k for k in encoded if k not in found]:
        del encoded[call_id]
    return found
