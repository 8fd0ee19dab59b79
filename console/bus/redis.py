"""Several console instances sharing Redis: one owns the calls, all hold sockets.

Every instance serves its own WebSockets. The hub state (queues, offers, who talks to whom)
lives on exactly one of them at a time, the holder of a lease in Redis (console/bus/shared.py):
sockets on the owner go straight to its hub; the other instances forward their sockets'
hello, messages and departure to the owner (console/bus/envelope.py), whose hub answers
through :class:`~console.bus.remote.RemoteConnection` objects that publish back.

Failures, and what keeps a citizen's place through them:

- The owner writes its waiting calls to Redis as they change (write-behind, coalesced to
  one write per :data:`FLUSH_S`, fenced by the lease). If it dies, its lease lapses within
  :data:`~console.bus.shared.LEASE_TTL_MS`; the next instance to renew takes the lease,
  rebuilds the queues from Redis, and its hub holds each call for :data:`HOLD_WAITING_S`
  while the terminal reconnects (the terminal daemon is back within a few seconds: its
  back-off starts at 0.5 s) and asks again, getting its old call and place back.
- A non-owning instance that dies stops renewing its ``alive`` key; the owner then treats
  its sockets as gone (their waiting calls are held the same way).
- Redis restarting: every instance keeps serving what it has (the owner its hub, the others
  hold their sockets' messages, up to :data:`MAX_HELD`); /healthz says "degraded". When
  Redis is back the owner retakes its lease first (the others wait one lease period) and
  writes its whole state again, so no entry is lost. Should another instance win anyway,
  the old owner hands its waiting calls over before forgetting them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from collections import deque

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from console.bus.envelope import Envelope, pack
from console.bus.owner import Owner
from console.bus.shared import LEASE_TTL_MS, Shared
from console.calls import CaseworkerIdentity, Connection, TerminalIdentity
from console.hub import Hub
from console.hub_state import WaitingCall
from protocol.codec import encode
from protocol.messages import CaseworkerToConsole, Message, TerminalToConsole

log = logging.getLogger(__name__)

HOLD_WAITING_S = 15.0
"""A waiting call whose terminal's socket is lost keeps its place this long: the lease
lapses within 3 s, and the terminal's back-off brings it back within a few seconds more."""
RENEW_S = 1.0
FLUSH_S = 0.02
MAX_HELD = 10_000
"""Messages kept while no owner is reachable; beyond this the oldest are dropped (logged)."""
REDIS_FAILURES = (RedisError, OSError)


class RedisBus(Owner):
    """Implements :class:`console.bus.Bus` over Redis; see the module docstring."""

    def __init__(self, shared: Shared, hub: Hub, instance: str | None = None) -> None:
        super().__init__(hub, instance or uuid.uuid4().hex[:12])
        self.shared = shared
        if hub.hold_waiting_s <= 0:
            hub.hold_waiting_s = HOLD_WAITING_S
        self.owner: str | None = None
        self.redis_ok = False
        self._ever_ok = False
        self._back_at = float("-inf")
        self._seq = itertools.count(1)
        self._outbox: deque[tuple[str, Envelope]] = deque()
        self._wake_out = asyncio.Event()
        self._held: deque[Envelope] = deque()
        self._handover: list[WaitingCall] = []
        self._dirty = asyncio.Event()
        self._full = False
        self._written: dict[str, bytes] = {}

    @classmethod
    def from_url(cls, url: str, hub: Hub) -> RedisBus:
        """A bus on the Redis at ``url`` (nothing connects before :meth:`run`)."""
        return cls(Shared(Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)), hub)

    # --- the Bus interface: sockets of this instance -------------------------------------------

    def connect_terminal(
        self, who: TerminalIdentity, conn: Connection, parts: dict[str, str], software: str
    ) -> None:
        """Register locally, then with the hub here or on the owner."""
        sock = self._add(conn, terminal=who, parts=dict(parts), software=software)
        if self.is_owner:
            self.hub.connect_terminal(who, conn, parts, software)
            self.changed()
        else:
            self._to_owner(self._hello(sock))

    def from_terminal(self, terminal_id: str, conn: Connection, msg: TerminalToConsole) -> None:
        """To the hub here, or forwarded to the owner."""
        if self.is_owner:
            self.hub.from_terminal(terminal_id, conn, msg)
            self.changed()
        elif (conn_id := self._local_of.get(conn)) is not None:
            self._to_owner(Envelope(kind="t.msg", src=self.instance, conn=conn_id, msg=encode(msg)))

    def disconnect_terminal(self, terminal_id: str, conn: Connection) -> None:
        """Forget locally; tell the hub here or on the owner."""
        conn_id = self._drop(conn)
        if self.is_owner:
            self.hub.disconnect_terminal(terminal_id, conn)
            self.changed()
        elif conn_id is not None:
            self._to_owner(Envelope(kind="t.gone", src=self.instance, conn=conn_id))

    def connect_caseworker(self, who: CaseworkerIdentity, conn: Connection) -> None:
        """Register locally, then with the hub here or on the owner."""
        sock = self._add(conn, caseworker=who)
        if self.is_owner:
            self.hub.connect_caseworker(who, conn)
            self.changed()
        else:
            self._to_owner(self._hello(sock))

    def from_caseworker(self, conn: Connection, msg: CaseworkerToConsole) -> None:
        """To the hub here, or forwarded to the owner."""
        if self.is_owner:
            self.hub.from_caseworker(conn, msg)
            self.changed()
        elif (conn_id := self._local_of.get(conn)) is not None:
            self._to_owner(Envelope(kind="c.msg", src=self.instance, conn=conn_id, msg=encode(msg)))

    def disconnect_caseworker(self, conn: Connection) -> None:
        """Forget locally; tell the hub here or on the owner."""
        conn_id = self._drop(conn)
        if self.is_owner:
            self.hub.disconnect_caseworker(conn)
            self.changed()
        elif conn_id is not None:
            self._to_owner(Envelope(kind="c.gone", src=self.instance, conn=conn_id))

    def to_desk(self, municipality_id: int, message: Message) -> None:
        """To the municipality's pages, through the owner's hub (it knows them all)."""
        if self.is_owner:
            self.hub.to_desk(municipality_id, message)
        else:
            env = Envelope(kind="desk", src=self.instance, municipality_id=municipality_id,
                           msg=encode(message))  # fmt: skip
            self._to_owner(env)

    def tick(self, now: float) -> None:
        """The hub's timers run on the owner only."""
        if self.is_owner:
            self.hub.tick(now)
            self.changed()

    def close_all(self, code: int) -> None:
        """Close this instance's sockets (never another instance's)."""
        for sock in list(self._local.values()):
            sock.conn.close(code, "console shutting down")

    def health(self) -> dict[str, object]:
        """Redis reachable, who owns the calls, and whether that is this instance."""
        return {"ok": self.redis_ok, "kind": "redis", "redis": "ok" if self.redis_ok else "down",
                "instance": self.instance, "owner": self.owner,
                "owns_calls": self.is_owner}  # fmt: skip

    # --- forwarding ---------------------------------------------------------------------------

    def _new_conn_id(self) -> str:
        return f"{self.instance}.{next(self._seq)}"

    def publish(self, instance: str, env: Envelope) -> None:
        """Queue an envelope for an instance's channel (the publisher task sends it)."""
        self._outbox.append((instance, env))
        if len(self._outbox) > MAX_HELD:
            self._outbox.popleft()
            log.warning("Redis unreachable for long: dropped the oldest message to send")
        self._wake_out.set()

    def _to_owner(self, env: Envelope) -> None:
        if self.owner is not None and self.owner != self.instance:
            self.publish(self.owner, env)
        else:
            self._hold(env)

    def _hold(self, env: Envelope) -> None:
        self._held.append(env)
        if len(self._held) > MAX_HELD:
            self._held.popleft()
            log.warning("no owner reachable for long: dropped the oldest held message")

    def changed(self) -> None:
        """The hub may have changed: write its waiting calls soon."""
        self._dirty.set()

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
                if self.is_owner:
                    await self._write_calls()
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
        await self.shared.heartbeat(self.instance)
        if self.is_owner:
            if await self.shared.renew(self.instance):
                self.drop_dead(await self.shared.alive(self.remote_instances()))
                return
            if await self.shared.take(self.instance):  # lapsed (Redis restarted): still ours
                log.warning("lease lapsed and retaken: writing all waiting calls again")
                self._full = True
                self.changed()
                return
            self._handover = self.hub.waiting_calls()
            self.lose()
            self._written.clear()
            self.owner = None
        owner = await self.shared.owner()
        if owner is None and time.monotonic() - self._back_at >= LEASE_TTL_MS / 1000:
            records = await self.shared.waiting_calls()
            if await self.shared.take(self.instance):
                self.owner = self.instance
                restored = self.become_owner(records, list(self._held))
                self._held.clear()
                self._written = {r.call_id: pack_call(r) for r in restored}
                self.changed()
                return
            owner = await self.shared.owner()
        if owner != self.owner:
            self._follow(owner)

    def _follow(self, owner: str | None) -> None:
        """Another instance owns the calls now: register our sockets there, send what waited."""
        log.info("calls owned by instance %s", owner)
        self.owner = owner
        if owner is None or owner == self.instance:
            return
        if self._handover:
            self.publish(owner, Envelope(kind="handover", src=self.instance, calls=self._handover))
            self._handover = []
        for sock in self._local.values():
            self.publish(owner, self._hello(sock))
        while self._held:
            self.publish(owner, self._held.popleft())

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
                await self._write_calls()
            except REDIS_FAILURES:
                await asyncio.sleep(0.5)

    async def _write_calls(self) -> None:
        current = {r.call_id: pack_call(r) for r in self.hub.waiting_calls()}
        full = self._full
        sets = current if full else {k: v for k, v in current.items() if self._written.get(k) != v}
        dels = [] if full else [k for k in self._written if k not in current]
        if not (sets or dels or full):
            return
        if await self.shared.write_calls(self.instance, sets, dels, full=full):
            self._written = current
            self._full = False


_record_encoder = msgspec.json.Encoder()


def pack_call(record: WaitingCall) -> bytes:
    """One waiting call as stored in Redis."""
    return _record_encoder.encode(record)
