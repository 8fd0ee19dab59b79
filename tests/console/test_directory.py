"""The routing directory: loaded from the database, reloaded on change, applied by the hub."""

from __future__ import annotations

import asyncio
from typing import TypeVar

import aiohttp
import pytest

from console.directory import (
    CaseworkerSpec,
    Directory,
    OfficeSpec,
    QueueSpec,
    load_directory,
    run_directory,
)
from console.hub import TerminalIdentity
from console.store import Store
from console.store.models import Caseworker, CaseworkerQueue, Office, Queue, Terminal
from protocol.messages import (
    CallOffer,
    CallRequest,
    Error,
    Message,
    OfficeStatus,
    PresenceSet,
    Queued,
    ServiceOption,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, caseworker, terminal
from tests.console.test_hub import World
from tests.console.test_presence import ALICE, ANTON, DIRECTORY, LADEN, MELDE, R1, SOZIAL, offers

pytestmark = pytest.mark.both_backends

M = TypeVar("M", bound=Message)


async def until(peer: Peer, cls: type[M]) -> M:
    """The next message of type ``cls``, skipping any others."""
    while True:
        msg = await peer.recv(want=cls)
        if isinstance(msg, cls):
            return msg


async def add_office(store: Store, municipality: str, name: str, queues: list[str]) -> list[int]:
    """An office with queues (positions in the order given); returns the queue ids."""
    muni = await store.municipality(municipality)
    async with store.db.session() as s, s.begin():
        office = Office(municipality_id=muni.id, name=name, timezone="Europe/Berlin")
        s.add(office)
        await s.flush()
        rows = [
            Queue(office_id=office.id, municipality_id=muni.id, name=queue, position=n,
                  routing="ring_all", wrap_up_s=0, ring_s=15, answer_limit_s=900)
            for n, queue in enumerate(queues)
        ]  # fmt: skip
        s.add_all(rows)
        await s.flush()
        return [row.id for row in rows]


async def test_load_from_the_database(store: Store, seed: Seed) -> None:
    extra = await add_office(store, "Aldorf", "Laden", ["Rente", "Wohngeld"])
    async with store.db.session() as s, s.begin():
        s.add(CaseworkerQueue(caseworker_id=2, queue_id=extra[1]))  # Anton: Wohngeld only
        anton = await s.get(Caseworker, 2)
        terminal = await s.get(Terminal, seed.a2_id)
        assert anton is not None and terminal is not None
        office_id = (await s.get(Queue, extra[0])).office_id  # type: ignore[union-attr]
        terminal.office_id = office_id  # the Sparkasse terminal moves to the Laden office
    directory = await load_directory(store.db)
    aldorf = directory.offices_of(1)
    assert [o.name for o in aldorf] == ["Aldorf", "Laden"]
    first = directory.queues_of_office(aldorf[0].office_id)
    assert [(q.name, q.routing, q.wrap_up_s, q.ring_s, q.answer_limit_s) for q in first] == [
        ("Bürgerservice", "longest_idle", 60.0, 20.0, 600.0)
    ]
    assert [q.name for q in directory.queues_of_office(office_id)] == ["Rente", "Wohngeld"]
    assert directory.queue(extra[0]).routing == "ring_all"  # type: ignore[union-attr]
    assert [c.name for c in directory.colleagues(1)] == ["Alice Amt", "Anton Amt"]
    rente, wohngeld = (directory.queue(q) for q in extra)
    assert rente is not None and wohngeld is not None
    assert directory.serves(1, 1, rente) and directory.serves(1, 1, wohngeld)  # no choice: all
    assert not directory.serves(2, 1, rente) and directory.serves(2, 1, wohngeld)
    assert not directory.serves(3, 2, rente)  # another municipality's queue
    moved = TerminalIdentity(seed.a2_id, "Sparkasse", 1, "Aldorf", office_id=aldorf[0].office_id)
    assert directory.office_for(moved) == directory.office(office_id)  # as stored now
    async with store.db.session() as s, s.begin():
        (await s.get(Caseworker, 2)).active = False  # type: ignore[union-attr]
    assert [c.name for c in (await load_directory(store.db)).colleagues(1)] == ["Alice Amt"]


def test_office_for_falls_back_to_the_municipality_s_first_office() -> None:
    directory = Directory.build(offices=[OfficeSpec(5, 1, "Zwei"), OfficeSpec(4, 1, "Eins")])
    assert directory.office_for(TerminalIdentity("t", "T", 1, "A", office_id=5)).name == "Zwei"  # type: ignore[union-attr]
    assert directory.office_for(TerminalIdentity("t", "T", 1, "A")).name == "Eins"  # type: ignore[union-attr]
    other = TerminalIdentity("t", "T", 1, "A", office_id=9)  # an office of someone else, or gone
    assert directory.office_for(other).name == "Eins"  # type: ignore[union-attr]
    assert directory.office_for(TerminalIdentity("t", "T", 2, "B")) is None


def test_service_choice_and_services_per_office() -> None:
    w = World(DIRECTORY)
    r1 = w.terminal(R1)
    status = r1.office[-1]
    assert status.office == "Rathaus"
    assert status.services == [
        ServiceOption(queue_id=MELDE, name="Meldeamt"),
        ServiceOption(queue_id=SOZIAL, name="Soziales"),
    ]
    for wrong in (LADEN, 21, 999):  # another office's, another municipality's, unknown
        w.hub.from_terminal("r1", r1, CallRequest(queue_id=wrong))
        assert [m.code for m in r1.take() if isinstance(m, Error)] == ["invalid"]
    w.hub.from_terminal("r1", r1, CallRequest(queue_id=SOZIAL))
    assert r1.take() == [Queued(call_id="call0", position=1, queue="Soziales")]
    assert r1.office[-1].waiting == 1


def test_a_terminal_without_a_known_office_is_shown_closed_and_asks_for_a_reload() -> None:
    w = World(Directory())
    asked: list[bool] = []
    w.hub.on_stale = lambda: asked.append(True)
    r1 = w.terminal(R1)
    assert not r1.office[-1].open and asked == [True]
    w.hub.from_terminal("r1", r1, CallRequest())
    assert [m.code for m in r1.take() if isinstance(m, Error)] == ["unavailable"]
    w.hub.set_directory(DIRECTORY)  # the reload arrives
    assert r1.office[-1].open and r1.office[-1].office == "Rathaus"
    assert w.request(R1) == "call0"


def test_a_new_directory_applies_to_waiting_calls_and_people() -> None:
    w = World(DIRECTORY)
    r1 = w.terminal(R1)
    alice, anton = w.caseworker(ALICE), w.caseworker(ANTON)
    w.hub.from_caseworker(alice, PresenceSet(state="break"))
    call = w.request(R1, SOZIAL)
    assert offers(anton) == [call]
    w.hub.from_caseworker(anton, PresenceSet(state="break"))
    # Soziales is deleted, Meldeamt gets a longer ring; Anton now serves Meldeamt only.
    queues = [q for q in DIRECTORY.queues.values() if q.queue_id != SOZIAL]
    queues = [
        QueueSpec(**{**q.__dict__, "ring_s": 45.0}) if q.queue_id == MELDE else q for q in queues
    ]
    w.hub.set_directory(
        Directory.build(
            offices=DIRECTORY.offices.values(),
            queues=queues,
            caseworkers=[*DIRECTORY.caseworkers.values(), CaseworkerSpec(9, 1, "Neu")],
            memberships={2: [MELDE]},
        )
    )
    assert r1.take() == [Queued(call_id=call, position=1, queue="Meldeamt")]  # moved
    assert r1.office[-1].services == [ServiceOption(queue_id=MELDE, name="Meldeamt")]
    w.hub.from_caseworker(anton, PresenceSet(state="available"))
    got = [m for m in anton.routing if isinstance(m, CallOffer)]
    assert [(m.call_id, m.queue_name, m.ring_s) for m in got][-1] == (call, "Meldeamt", 45.0)
    desk = [m for m in anton.routing if type(m).__name__ == "DeskUpdate"][-1]
    assert "Neu" in [c.name for c in desk.colleagues]  # type: ignore[attr-defined]


async def test_run_directory_reloads_when_told_and_on_a_timer() -> None:
    loads: list[Directory] = []
    applied: list[Directory] = []

    class Hub:
        def set_directory(self, directory: Directory) -> None:
            applied.append(directory)

    async def load() -> Directory:
        loads.append(Directory())
        return loads[-1]

    changed = asyncio.Event()
    task = asyncio.create_task(run_directory(Hub(), load, changed, reload_s=0.3))
    await asyncio.sleep(0.05)
    assert applied == []  # the first load is the app's, before serving
    changed.set()
    await asyncio.sleep(0.05)
    assert len(applied) == 1 and not changed.is_set()
    await asyncio.sleep(0.35)
    assert len(applied) == 2  # the fallback timer
    task.cancel()


async def test_a_real_console_routes_by_the_database(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    t1, _ = await terminal(http, console, seed.a1)
    assert [s.name for s in t1.office[-1].services] == ["Bürgerservice"]
    alice_http, alice, _ = await caseworker(console, "alice")
    try:
        await t1.send(CallRequest())
        queued = await t1.expect(Queued)
        assert queued.queue == "Bürgerservice"
        offer = await until(alice, CallOffer)
        assert (offer.call_id, offer.queue_name, offer.ring_s) == (
            queued.call_id,
            "Bürgerservice",
            20.0,
        )
        # A second service appears in the database; the console is told to reload.
        muni = await console.store.municipality("Aldorf")
        async with console.store.db.session() as s, s.begin():
            office_id = (await s.get(Terminal, seed.a1_id)).office_id  # type: ignore[union-attr]
            s.add(Queue(office_id=office_id, municipality_id=muni.id, name="Soziales", position=1))
        console.hub.on_stale()  # what an admin endpoint's directory_changed.set() does
        status = await until(t1, OfficeStatus)
        while len(status.services) < 2:  # statuses sent before the reload may come first
            status = await until(t1, OfficeStatus)
        assert [s.name for s in status.services] == ["Bürgerservice", "Soziales"]
    finally:
        await alice_http.close()
