"""Several console instances sharing Redis: one owns the calls, all hold sockets.

Every instance serves its own WebSockets. The hub state (queues, offers, who talks to whom)
lives on exactly one of them at a time, the holder of a lease in Redis (console/bus/shared.py):
sockets on the owner go straight to its hub; the other instances forward their sockets'
hello, messages and departure to the owner (console/bus/envelope.py), whose hub answers
through :class:`~console.bus.remote.RemoteConnection` objects that publish back.

Failures, and what keeps a citizen's place through them:

- The owner writes its calls (waiting and answered) and presence to Redis as they change
  (write-behind, coalesced to one write per :data:`FLUSH_S`, fenced by the lease). If it
  dies, its lease lapses within :data:`~console.bus.shared.LEASE_TTL_MS`; the next instance
  to renew takes the lease, rebuilds the queues from Redis, and its hub holds each call for
  :data:`HOLD_WAITING_S` while the terminal reconnects (the terminal daemon is back within
  a few seconds: its back-off starts at 0.5 s) and asks again, getting its old call and
  place back. Measured (tests/console/test_bus_redis.py, two loaded cores): SIGKILL of the
  owner to both terminals queued again at their places in 2.2-3.2 s.
- A non-owning instance that dies stops renewing its ``alive`` key; the owner then treats
  its sockets as gone (their waiting calls are held the same way).
- Redis restarting: every instance keeps serving what it has (the owner its hub, the others
  hold their sockets' messages, console/bus/forward.py); /healthz says "degraded". When
  Redis is back the owner retakes its lease first (the others wait one lease period) and
  writes its whole state again, so no entry is lost. Should another instance win anyway,
  the old owner hands its calls and presence over before forgetting them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from console.bus.envelope import Envelope, pack
from console.bus.forward import Forwarder
from console.bus.shared import LEASE_TTL_MS, Mirror, Shared, encode_calls, pack_record
from console.hub import Hub
from console.hub_state import SavedCall

log = logging.getLogger(__name__)

HOLD_WAITING_S = 15.0
"""A waiting call whose terminal's socket is lost keeps its place this long: the lease
lapses within 3 s, and the terminal's back-off brings it back within a few seconds more."""
RENEW_S = 1.0
FLUSH_S = 0.05
REDIS_FAILURES = (RedisError, OSError)


class RedisBus(Forwarder):
    """Implements :class:`console.bus.Bus` over Redis; see the module docstring."""

    def __init__(
        self, shared: Shared, hub: Hub, advertise_url: str = "", instance: str | None = None
    ) -> None:
        super().__init__(hub, instance or uuid.uuid4().hex[:12])
        self.shared = shared
        self.advertise_url = advertise_url
        """Where the other instances reach this one's HTTP (console/bus/http.py)."""
        self._owner_url: str | None = None
        if hub.hold_waiting_s <= 0:
            hub.hold_waiting_s = HOLD_WAITING_S
        self.redis_ok = False
        self._ever_ok = False
        self._back_at = float("-inf")
        self._full = False
        self._calls = Mirror(shared.calls_key)
        self._records: dict[str, tuple[tuple[object, ...], SavedCall]] = {}
        self._encoded: dict[str, tuple[SavedCall, bytes]] = {}
        self._presence = Mirror(shared.presence_key)

    @classmethod
    def from_url(cls, url: str, hub: Hub, advertise_url: str) -> RedisBus:
        """A bus on the Redis at ``url`` (nothing connects before :meth:`run`)."""
        redis = Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        return cls(Shared(redis), hub, advertise_url)

    def health(self) -> dict[str, object]:
        """Redis reachable, who owns the calls, whether that is this instance, and the
        sockets held here (``terminals_online`` beside it counts the owner's hub only)."""
        terminals = sum(1 for sock in self._local.values() if sock.terminal is not None)
        return {"ok": self.redis_ok, "kind": "redis", "redis": "ok" if self.redis_ok else "down",
                "instance": self.instance, "owner": self.owner, "owns_calls": self.is_owner,
                "sockets": {"terminals": terminals,
                            "pages": len(self._local) - terminals}}  # fmt: skip

    def owner_url(self) -> str | None:
        """The owner's HTTP address, unless that is us (or no owner is known)."""
        return None if self.is_owner or self.owner is None else self._owner_url

    # --- background tasks --------------------------------------------------------------------

    async def run(self) -> None:
        """Lease, subscription, publishing and write-behind until cancelled."""
        tasks = [
            asyncio.create_task(self._lease(), name="bus-lease"),
            asyncio.create_task(self._subscribe(), name="bus-subscribe"),
            asyncio.create_task(self._publisher(), name="bus-publish"),
            asyncio.create_task(self._writer(), name="bus-write"),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._goodbye()

    async def _goodbye(self) -> None:
        """Write the last state and give the lease up, so another instance takes over now."""
        with contextlib.suppress(*REDIS_FAILURES, TimeoutError):
            async with asyncio.timeout(2.0):
                while self._outbox:  # e.g. the hang-ups of calls whose sockets just closed
                    batch = [self._outbox.popleft() for _ in range(min(500, len(self._outbox)))]
                    await self.shared.publish(
                        [(self.shared.channel(target), pack(env)) for target, env in batch]
                    )
                if self.is_owner:
                    await self._write_state()
                    await self.shared.release(self.instance)
        with contextlib.suppress(*REDIS_FAILURES):
            await self.shared.redis.aclose()

    async def _lease(self) -> None:
        while True:
            try:
                await self._lease_step()
                if not self.redis_ok and self._ever_ok:
                    log.warning("Redis is reachable again")
                self.redis_ok = self._ever_ok = True
            except REDIS_FAILURES as err:
                if self.redis_ok:
                    log.warning("Redis unreachable (%s); serving what this instance has", err)
                self.redis_ok = False
                if self._ever_ok:  # a lapsed lease after an outage is the old owner's first
                    self._back_at = time.monotonic()
            await asyncio.sleep(RENEW_S)

    async def _lease_step(self) -> None:
        await self.shared.heartbeat(self.instance, self.advertise_url)
        if self.is_owner:
            if await self.shared.renew(self.instance):
                self.drop_dead(await self.shared.alive(self.remote_instances()))
                return
            if await self.shared.take(self.instance):  # lapsed (Redis restarted): still ours
                log.warning("lease lapsed and retaken: writing all calls again")
                self._full = True
                self.changed()
                return
            self._handover = Envelope(kind="handover", src=self.instance,
                                      calls=self.hub.saved_calls(self.link_of),
                                      presence=self.hub.presence())  # fmt: skip
            self.lose()
            self._calls.written.clear()
            self._presence.written.clear()
            self.owner = None
        owner = await self.shared.owner()
        if owner is None and time.monotonic() - self._back_at >= LEASE_TTL_MS / 1000:
            records, presence = await self.shared.calls(), await self.shared.presence()
            if await self.shared.take(self.instance):
                self.owner = self.instance
                restored = self.become_owner(records, presence, list(self._held))
                self._held.clear()
                self._calls.written = {r.call_id: pack_record(r) for r in restored}
                self._presence.written = {}
                self.changed()
                return
            owner = await self.shared.owner()
        if owner != self.owner:
            self.follow(owner)
        self._owner_url = None if owner is None else await self.shared.url_of(owner)

    async def _subscribe(self) -> None:
        channel = self.shared.channel(self.instance)
        while True:
            try:
                async with self.shared.redis.pubsub() as pubsub:
                    await pubsub.subscribe(channel)
                    while True:
                        got = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if got is not None and got.get("type") == "message":
                            self.receive(got["data"], self._to_owner)
            except REDIS_FAILURES as err:
                log.info("subscription to %s lost (%s); resubscribing", channel, err)
                await asyncio.sleep(0.5)

    async def _publisher(self) -> None:
        while True:
            await self._wake_out.wait()
            self._wake_out.clear()
            while self._outbox:
                batch = [self._outbox.popleft() for _ in range(min(500, len(self._outbox)))]
                items = [(self.shared.channel(target), pack(env)) for target, env in batch]
                try:
                    counts = await self.shared.publish(items)
                except REDIS_FAILURES:
                    self._outbox.extendleft(reversed(batch))
                    await asyncio.sleep(0.5)
                    continue
                for (target, env), receivers in zip(batch, counts, strict=True):
                    if receivers == 0 and env.kind not in ("send", "close", "handover"):
                        if target == self.owner:
                            self.owner = None  # killed: the lease lapses, someone takes over
                        self._hold(env)

    async def _writer(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RENEW_S):  # also catches changes made elsewhere
                    await self._dirty.wait()
            await asyncio.sleep(FLUSH_S)
            self._dirty.clear()
            if not self.is_owner:
                continue
            try:
                await self._write_state()
            except REDIS_FAILURES:
                await asyncio.sleep(0.5)

    async def _write_state(self) -> None:
        """Write what changed in the calls and presence since the last write."""
        calls = encode_calls(self.hub.saved_calls(self.link_of, self._records), self._encoded)
        presence = {str(p.caseworker_id): pack_record(p) for p in self.hub.presence()}
        full = self._full
        changes = [c for c in (self._calls.change(calls, full),
                               self._presence.change(presence, full)) if c]  # fmt: skip
        if not changes:
            return
        if await self.shared.write(self.instance, changes, full=full):
            self._calls.written, self._presence.written = calls, presence
            self._full = False
