"""What each terminal's welcome screen shows: open or closed, who is free, how many wait.

Keyed by office id: every office has its own hours, exceptions and time zone, and its
terminals see its name, its week, its holidays and special hours of the next
:data:`~console.hours.UPCOMING_DAYS` days and, when closed, the next opening time.
The hub computes an :class:`~protocol.messages.OfficeStatus` per office whenever
something it depends on may have changed (a caseworker signs in or out, answers or ends a
call, the queue grows or shrinks) and :class:`Office` lets it through only when it differs
from the last one sent, so a busy desk does not flood a municipality's terminals.
Opening and closing are not events anyone sends: :func:`run_office` sleeps until the next
boundary of any schedule (or at most :data:`RELOAD_S`), reloads the schedules from the
database (so ``bt-console set-hours`` in another process takes effect within a minute) and
lets the hub re-evaluate. Cost: one small query a minute and a few comparisons per change.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from console import hours
from console.errors import StoreError
from console.hours import Schedule, Special
from protocol.messages import DayException, Error, OfficeStatus, OpeningSpan

log = logging.getLogger(__name__)

RELOAD_S = 60.0
"""Longest sleep between two reloads of the schedules."""
ALWAYS_OPEN = Schedule()


def day_exception(special: Special) -> DayException:
    """An exception as the terminal gets it."""
    return DayException(
        day=special.day.isoformat(), opens=special.opens, closes=special.closes, note=special.note
    )


class Office:
    """Schedules per office and the last status sent to each office's terminals."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._schedules: dict[int, Schedule] = {}
        self._sent: dict[int, OfficeStatus] = {}

    def set_schedules(self, schedules: dict[int, Schedule]) -> None:
        """Replace all schedules, keyed by office id (offices not named are always open)."""
        self._schedules = dict(schedules)

    def schedule(self, office_id: int) -> Schedule:
        """An office's schedule."""
        return self._schedules.get(office_id, ALWAYS_OPEN)

    def is_open(self, office_id: int) -> bool:
        """Whether the office takes calls now."""
        return hours.is_open(self.schedule(office_id), self.clock())

    def status(
        self, office_id: int, available: int, waiting: int, estimated_wait_s: float | None
    ) -> OfficeStatus:
        """The status a terminal of the office should show now (``services`` left to the hub)."""
        schedule = self.schedule(office_id)
        now = self.clock()
        open_now = hours.is_open(schedule, now)
        return OfficeStatus(
            open=open_now,
            timezone=schedule.timezone,
            hours=[OpeningSpan(s.weekday, s.opens, s.closes) for s in schedule.spans],
            next_open=None if open_now else hours.next_open(schedule, now),
            available=available,
            waiting=waiting,
            estimated_wait_s=estimated_wait_s if open_now else None,
            office=schedule.office,
            exceptions=[day_exception(e) for e in hours.upcoming(schedule, now)],
        )

    def changed(self, office_id: int, status: OfficeStatus) -> bool:
        """Remember ``status``; whether it differs from the one sent before."""
        if self._sent.get(office_id) == status:
            return False
        self._sent[office_id] = status
        return True

    def forget(self, office_id: int) -> None:
        """Drop the remembered status (no terminal of the office is connected)."""
        self._sent.pop(office_id, None)

    def closed_error(self, office_id: int) -> Error:
        """The ``error`` a call request gets outside office hours, naming the next opening."""
        schedule = self.schedule(office_id)
        when = hours.next_open(schedule, self.clock())
        text = "the office is closed"
        if when is not None:
            text += f"; it opens again {hours.describe_opening(schedule, when)}"
        return Error(code="closed", message=text)

    def next_boundary(self) -> float | None:
        """The next opening or closing of any office."""
        now = self.clock()
        edges = (hours.next_change(s, now) for s in self._schedules.values())
        return min((edge for edge in edges if edge is not None), default=None)


class Reevaluate(Protocol):
    """What :func:`run_office` needs of the hub."""

    office: Office

    def refresh_office(self) -> None:
        """Re-evaluate and send every office's status where it changed."""


async def run_office(
    hub: Reevaluate,
    load: Callable[[], Awaitable[dict[int, Schedule]]],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Reload schedules and re-evaluate at every boundary and at least every RELOAD_S."""
    while True:
        try:
            hub.office.set_schedules(await load())
        except StoreError as err:
            log.warning("could not reload office hours, keeping the previous ones: %s", err)
        hub.refresh_office()
        boundary = hub.office.next_boundary()
        delay = RELOAD_S
        if boundary is not None:
            delay = min(delay, max(0.0, boundary - hub.office.clock()) + 0.05)
        await sleep(delay)
