"""OfficeStatus, refusal when closed and the estimated wait, on the hub with an injected clock."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from console.hours import Schedule, parse_exception, parse_week
from console.office import Office, run_office
from console.waits import AnswerTimes
from protocol.messages import (
    Answer,
    CallRequest,
    DayException,
    Error,
    Hangup,
    OfficeStatus,
    Queued,
)
from tests.console.test_hub import ALICE, ANTON, BERT, T1, T2, T3, TB, FakeConn, World

BERLIN = ZoneInfo("Europe/Berlin")
THURSDAY_9 = datetime(2026, 1, 15, 9, 0, tzinfo=BERLIN).timestamp()
THURSDAY_12 = datetime(2026, 1, 15, 12, 0, tzinfo=BERLIN).timestamp()
THURSDAY_14 = datetime(2026, 1, 15, 14, 0, tzinfo=BERLIN).timestamp()
WEEK = Schedule(spans=parse_week(["Mo-Fr 08:00-12:00", "Do 14:00-18:00"]))


@pytest.fixture
def w() -> World:
    world = World()
    world.now = THURSDAY_9
    world.hub.office.set_schedules({1: WEEK})
    return world


RATHAUS = Schedule(
    spans=WEEK.spans,
    exceptions=(
        *parse_exception("2026-01-16", None, "Betriebsausflug"),
        *parse_exception("2026-01-19", "10:00-11:00"),
        *parse_exception("2026-03-01", None, "far ahead"),
    ),
    office="Rathaus Aldorf",
)


def test_office_status_per_office_with_name_and_coming_exceptions() -> None:
    now = THURSDAY_12
    office = Office(clock=lambda: now)
    office.set_schedules({7: RATHAUS, 8: Schedule(office="Laden")})
    status = office.status(7, available=2, waiting=1, estimated_wait_s=30.0)
    assert status.office == "Rathaus Aldorf" and not status.open
    assert status.estimated_wait_s is None  # no estimate while closed
    assert status.next_open == THURSDAY_14
    assert status.exceptions == [
        DayException(day="2026-01-16", note="Betriebsausflug"),
        DayException(day="2026-01-19", opens="10:00", closes="11:00"),
    ]  # March is beyond the next 21 days
    assert office.status(8, 0, 0, None).open and office.status(8, 0, 0, None).office == "Laden"
    assert office.status(99, 0, 0, None).open  # an office without a schedule: always open
    assert office.is_open(8) and not office.is_open(7)
    # Thursday evening: Friday is the outing, Monday opens at 10 instead of 8.
    now = datetime(2026, 1, 15, 19, 0, tzinfo=BERLIN).timestamp()
    monday_10 = datetime(2026, 1, 19, 10, 0, tzinfo=BERLIN).timestamp()
    assert office.status(7, 0, 0, None).next_open == monday_10
    refusal = office.closed_error(7)
    assert refusal.code == "closed" and "Mo 19.01. 10:00 (Europe/Berlin)" in refusal.message
    assert office.next_boundary() == monday_10
    assert office.changed(7, office.status(7, 0, 0, None))
    assert not office.changed(7, office.status(7, 0, 0, None))  # the same: not sent again
    assert office.changed(8, office.status(8, 0, 0, None))  # offices are separate
    office.forget(7)
    assert office.changed(7, office.status(7, 0, 0, None))


def last(conn: FakeConn) -> OfficeStatus:
    assert conn.office, "no office status sent"
    return conn.office[-1]


def test_estimator() -> None:
    times = AnswerTimes()
    assert times.estimate(1, 0, 1) is None
    for waited in (30.0, 60.0):
        times.answered(1, waited)
    assert times.estimate(1, 0, 1) is None  # fewer than 3 samples
    times.answered(1, 600.0)  # one long wait does not drag the median
    assert times.estimate(1, 0, 1) == 60.0
    assert times.estimate(1, 2, 1) == 180.0  # two calls ahead, one caseworker
    assert times.estimate(1, 2, 2) == 120.0  # shared by two caseworkers
    assert times.estimate(1, 1, 0) == 120.0  # nobody signed in counts as one
    assert times.estimate(2, 0, 1) is None  # per municipality
    for _ in range(20):
        times.answered(1, 10.0)
    assert times.estimate(1, 0, 1) == 10.0  # only the last 20 count


def test_status_after_welcome_and_on_every_change(w: World) -> None:
    t1 = w.terminal(T1)
    tb = w.terminal(TB)
    first = last(t1)
    assert first.open and first.timezone == "Europe/Berlin" and first.next_open is None
    assert (first.available, first.waiting, first.estimated_wait_s) == (0, 0, None)
    assert [(s.weekday, s.opens, s.closes) for s in first.hours][:2] == [
        (1, "08:00", "12:00"),
        (2, "08:00", "12:00"),
    ]
    assert last(tb).hours == []  # no hours configured: always open
    alice = w.caseworker(ALICE)
    assert last(t1).available == 1 and len(t1.office) == 2
    assert alice.office[-1] == last(t1)  # the page sees it too
    w.caseworker(BERT)
    assert len(t1.office) == 2  # another municipality's desk changes nothing here
    anton = w.caseworker(ANTON)
    assert last(t1).available == 2
    t2 = w.terminal(T2)
    assert last(t2) == last(t1)  # a new terminal gets the current status at once
    call = w.request(T2)
    assert last(t1).waiting == 1 and len(t1.office) == 4
    w.hub.from_caseworker(alice, Answer(call_id=call))
    assert (last(t1).available, last(t1).waiting) == (1, 0)  # alice is busy
    w.hub.from_caseworker(alice, Hangup(call_id=call))
    assert last(t1).available == 2
    count = len(t1.office)
    w.hub.refresh_office()  # nothing changed: nothing sent
    assert len(t1.office) == count
    w.hub.disconnect_caseworker(anton)
    w.hub.disconnect_caseworker(alice)
    assert last(t1).available == 0
    assert [s.available for s in tb.office] == [0, 1]  # Bestadt: only Bert's sign-in


def test_boundaries_and_refusal_when_closed(w: World) -> None:
    t1 = w.terminal(T1)
    alice = w.caseworker(ALICE)
    w.now = THURSDAY_12
    w.hub.refresh_office()  # what run_office does at the boundary
    closed = last(t1)
    assert not closed.open and closed.next_open == THURSDAY_14
    assert closed.estimated_wait_s is None
    w.hub.from_terminal("t1", t1, CallRequest(language="en"))
    refusal = t1.take()
    assert len(refusal) == 1 and isinstance(refusal[0], Error) and refusal[0].code == "closed"
    assert "Do 15.01. 14:00 (Europe/Berlin)" in refusal[0].message
    assert w.hub.call("call0") is None and alice.take() == []
    w.now = THURSDAY_14
    w.hub.refresh_office()
    assert last(t1).open and last(t1).next_open is None
    assert w.request(T1) == "call0"


def test_a_waiting_call_survives_closing_time(w: World) -> None:
    w.terminal(T1)
    call = w.request(T1)
    w.now = THURSDAY_12
    w.hub.refresh_office()
    assert w.request(T1) == call  # the re-sent request of an accepted call is not refused


def test_estimated_wait_in_queued_and_status(w: World) -> None:
    t1, t2, t3 = w.terminal(T1), w.terminal(T2), w.terminal(T3)
    alice = w.caseworker(ALICE)
    for waited in (40.0, 60.0, 80.0):  # three answered calls, each waited a while
        call = w.request(T1)
        w.now += waited
        w.hub.from_caseworker(alice, Answer(call_id=call))
        w.hub.from_caseworker(alice, Hangup(call_id=call))
    t1.take()
    assert last(t1).estimated_wait_s == 60.0  # a new call: nobody ahead
    w.hub.from_terminal("t2", t2, CallRequest())
    assert t2.take() == [Queued(call_id="call3", position=1, estimated_wait_s=60.0)]
    w.hub.from_terminal("t3", t3, CallRequest())
    assert t3.take() == [Queued(call_id="call4", position=2, estimated_wait_s=120.0)]
    assert last(t1).estimated_wait_s == 180.0 and last(t1).waiting == 2
    w.hub.from_terminal("t2", t2, Hangup(call_id="call3"))  # cancelled: t3 moves up
    assert t3.take() == [Queued(call_id="call4", position=1, estimated_wait_s=60.0)]


async def test_run_office_sleeps_until_the_next_boundary(w: World) -> None:
    t1 = w.terminal(T1)
    sleeps: list[float] = []
    loads = 0

    async def load() -> dict[int, Schedule]:
        nonlocal loads
        loads += 1
        return {1: WEEK}

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        w.now += seconds
        if len(sleeps) == 60 * 3 + 5:
            raise asyncio.CancelledError

    w.now = THURSDAY_12 - 90.0
    with pytest.raises(asyncio.CancelledError):
        await run_office(w.hub, load, sleep)
    assert sleeps[0] == 60.0 and sleeps[1] == pytest.approx(30.05)  # wakes just after 12:00
    assert loads == len(sleeps)
    states = [s.open for s in t1.office]
    assert states[:2] == [True, False] and states[-1] is True  # closed at 12, open at 14
    assert t1.office[1].next_open == THURSDAY_14
