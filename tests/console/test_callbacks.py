"""Callback requests through a real console: stored once, listed per municipality, purged."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from sqlalchemy import func, select

from console.callbacks import CallbackDesk
from console.calls import CaseworkerIdentity, TerminalIdentity
from console.store.callbacks import CallbackStore
from console.store.models import Callback
from protocol.messages import (
    CallbackAccepted,
    CallbackDone,
    CallbackRequest,
    Callbacks,
    Error,
    Message,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import caseworker, terminal
from tests.console.test_hub import FakeConn

pytestmark = pytest.mark.both_backends

REQUEST = CallbackRequest(
    request_id="r-1", name="Erika Muster", phone="+49 3591 123-45", language="uk", reason="closed"
)


async def count_rows(console: RunningConsole) -> int:
    async with console.store.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(Callback)) or 0)


async def test_request_stored_once_and_listed_to_own_municipality(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    a_http, alice, _ = await caseworker(console, "alice")
    b_http, bert, _ = await caseworker(console, "bert")
    assert alice.callbacks == [Callbacks(entries=[])]
    t1, _ = await terminal(http, console, seed.a1)
    await t1.send(REQUEST)
    assert await t1.expect(CallbackAccepted) == CallbackAccepted(request_id="r-1")
    listed = await alice.expect(Callbacks)
    [entry] = listed.entries
    assert (entry.name, entry.phone, entry.language, entry.reason, entry.status) == (
        "Erika Muster",
        "+49 3591 123-45",
        "uk",
        "closed",
        "open",
    )
    assert entry.terminal_name == "Rathaus Aldorf"
    await bert.silent()  # another municipality sees nothing

    await t1.send(REQUEST)  # resent after a lost ack: same row, acknowledged again
    assert await t1.expect(CallbackAccepted) == CallbackAccepted(request_id="r-1")
    await alice.silent()
    assert await count_rows(console) == 1

    await bert.send(CallbackDone(callback_id=entry.callback_id))  # other municipality
    refused = await bert.expect(Error)
    assert refused.code == "not_found"
    await bert.send(CallbackDone(callback_id="no-such-id"))
    assert await bert.expect(Error) == refused  # the same answer as for an unknown id

    await alice.send(CallbackDone(callback_id=entry.callback_id, status="failed"))
    assert [e.status for e in (await alice.expect(Callbacks)).entries] == ["failed"]
    a2_http, anton, _ = await caseworker(console, "anton")  # a colleague signing in later
    assert [e.status for e in anton.callbacks[0].entries] == ["failed"]
    await alice.send(CallbackDone(callback_id=entry.callback_id, status="done"))
    assert [e.status for e in (await anton.expect(Callbacks)).entries] == ["done"]
    for session in (a_http, b_http, a2_http):
        await session.close()


async def test_invalid_requests_refused(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    t1, _ = await terminal(http, console, seed.a1)
    await t1.send('{"type":"callback.request","request_id":"r","name":"A","phone":"call me maybe"}')
    assert (await t1.expect(Error)).code == "invalid"
    await t1.send('{"type":"callback.request","request_id":"r","name":"","phone":"0123 456"}')
    assert (await t1.expect(Error)).code == "invalid"
    await t1.send(CallbackRequest(request_id="no spaces!", name="A", phone="0123 456"))
    assert (await t1.expect(Error)).code == "invalid"
    await t1.send(CallbackRequest(request_id="r-nul", name="A\x00B", phone="0123 456"))
    assert (await t1.expect(Error)).code == "invalid"  # not "unavailable, retry" forever
    assert await count_rows(console) == 0


async def test_a_malformed_language_is_dropped_not_refused(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    """The language columns hold 16 characters; PostgreSQL refuses more, SQLite would not."""
    t1, _ = await terminal(http, console, seed.a1)
    for n, language in enumerate(["x" * 40, "de\x00", "<b>de</b>"]):
        await t1.send(CallbackRequest(request_id=f"r-{n}", name="A", phone="0123 456",
                                      language=language))  # fmt: skip
        assert await t1.expect(CallbackAccepted) == CallbackAccepted(request_id=f"r-{n}")
    async with console.store.db.session() as s:
        stored = (await s.execute(select(Callback.request_id, Callback.language))).all()
    assert sorted(stored) == [("r-0", None), ("r-1", None), ("r-2", None)]


async def test_retention_purge_with_injected_clock(console: RunningConsole, seed: Seed) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    pushed: list[tuple[int, Message]] = []
    desk = CallbackDesk(
        CallbackStore(console.store.db),
        lambda mid, msg: pushed.append((mid, msg)),
        retention_days=30,
        clock=lambda: now,
    )
    a1 = await console.store.terminal(seed.a1_id)
    assert a1 is not None
    who = TerminalIdentity(a1.id, a1.name, a1.municipality_id, a1.municipality_name)
    alice = CaseworkerIdentity(1, "Alice", a1.municipality_id, "Aldorf")
    conn = FakeConn()
    for n in range(3):
        await desk.request(who, conn, CallbackRequest(request_id=f"r{n}", name="N", phone="0123"))
    entries = (await desk.entries(a1.municipality_id)).entries
    await desk.done(alice, conn, CallbackDone(callback_id=entries[0].callback_id))
    now += 86400
    await desk.done(alice, conn, CallbackDone(callback_id=entries[1].callback_id, status="failed"))
    assert [e.status for e in (await desk.entries(a1.municipality_id)).entries] == [
        "done",
        "failed",
        "open",
    ]
    now += 86400  # the first was done 2 days ago: out of the list, still stored
    assert len((await desk.entries(a1.municipality_id)).entries) == 2
    assert await desk.purge() == 0 and await count_rows(console) == 3
    now += 28 * 86400 + 1  # 30 days after the first was done
    assert await desk.purge() == 1 and await count_rows(console) == 2
    now += 86400
    assert await desk.purge() == 1
    now += 365 * 86400  # an open request is kept until someone handles it
    assert await desk.purge() == 0 and await count_rows(console) == 1
    assert all(isinstance(m, Callbacks) for _, m in pushed)
