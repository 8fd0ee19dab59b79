"""Which outpost hours the terminals' welcome screens show, and when they are sent.

A municipality's terminals get ``mobile`` (:class:`~protocol.messages.MobileOffice`) right
after ``welcome`` (unless there is nothing to show: a terminal forgets the schedule at every
new connection, so silence means none) and whenever a supervisor adds or removes outpost
hours, then also when it is empty. It carries the
next :data:`MAX_SENT` consultations that have not ended yet, each with its end as epoch
seconds, so a terminal drops one that has passed by itself without asking again. Home
visits never leave the console: they are personal data and nobody in a village shop needs
to know where the staff are going.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.calls import Connection, TerminalIdentity
from console.errors import StoreError
from console.store.visits import Outpost, VisitStore
from protocol.messages import MobileOffice, MobileVisit

if TYPE_CHECKING:  # console.services imports the hub
    from console.services import Services

log = logging.getLogger(__name__)
MAX_SENT = 3
"""The welcome screen shows the next one; two more let it move on when that one ends."""


def ends_at(outpost: Outpost) -> float:
    """Epoch seconds when the consultation ends (``24:00`` is the next midnight)."""
    zone: tzinfo
    try:
        zone = ZoneInfo(outpost.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    day = date.fromisoformat(outpost.day)
    hours, minutes = (int(x) for x in outpost.ends.split(":"))
    if hours == 24:
        day, hours = day + timedelta(days=1), 0
    local = datetime.combine(day, time(hours, minutes), tzinfo=zone)
    return local.timestamp()


def message_of(outposts: list[Outpost], now: float) -> MobileOffice:
    """The next consultations that have not ended at ``now``, earliest first."""
    coming = sorted(
        ((ends_at(o), o) for o in outposts if ends_at(o) > now),
        key=lambda pair: (pair[1].day, pair[1].starts, pair[0]),
    )
    return MobileOffice(visits=[_visit(o, end) for end, o in coming[:MAX_SENT]])


def _visit(o: Outpost, end: float) -> MobileVisit:
    return MobileVisit(
        day=o.day, starts=o.starts, ends=o.ends, ends_at=end, place=o.place,
        address=o.address, office=o.office, note=o.note,
    )  # fmt: skip


async def current(svc: Services, municipality_id: int, now: float) -> MobileOffice:
    """The municipality's message as of ``now`` (from the database)."""
    since = datetime.fromtimestamp(now, UTC).date() - timedelta(days=1)  # any time zone
    return message_of(await VisitStore(svc.store.db).outposts(municipality_id, since), now)


async def send_at_connect(
    svc: Services, who: TerminalIdentity, conn: Connection, now: float
) -> bool:
    """Send the schedule to a terminal that just said hello, unless it is empty (a terminal
    forgets the schedule at every new connection); True if sent."""
    try:
        message = await current(svc, who.municipality_id, now)
    except StoreError as err:  # the next connect or change sends it; the terminal keeps working
        log.warning("could not read the outpost hours for %s: %s", who.terminal_id, err)
        return False
    if not message.visits:
        return False
    conn.send(message)
    return True


async def publish(svc: Services, municipality_id: int, now: float) -> list[str]:
    """Send the new schedule to the municipality's connected terminals; their ids."""
    return svc.hub.send_to_terminals(municipality_id, await current(svc, municipality_id, now))
