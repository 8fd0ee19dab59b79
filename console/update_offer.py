"""Which terminals are offered the municipality's update bundle, and when.

A terminal is offered ``update.offer`` right after ``welcome`` and whenever an admin
changes the location, unless the software it named in its hello already is the offered
version. Terminals name their software ``bt-terminal/0.1.0`` (appliance/__init__.py);
admins label a bundle ``0.2.0`` or ``bt-terminal/0.2.0``, so either form counts as the same
version. The offer carries no promise: the terminal hands it to its installer when no call
runs, and the fleet view shows the version each terminal reports after it restarts.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from console.calls import Connection, TerminalIdentity
from console.errors import StoreError
from console.store.update_location import UpdateLocation, UpdateLocationStore
from protocol.messages import UpdateOffer

if TYPE_CHECKING:  # console.services imports the hub, which imports runs_version from here
    from console.services import Services

log = logging.getLogger(__name__)


def runs_version(software: str, version: str) -> bool:
    """Whether a terminal reporting ``software`` already runs ``version``."""
    software, version = software.strip(), version.strip()
    if not software or not version:
        return False
    return software == version or software.rsplit("/", 1)[-1] == version.rsplit("/", 1)[-1]


def offer_of(location: UpdateLocation) -> UpdateOffer:
    """The protocol message for a stored location."""
    return UpdateOffer(url=location.url, version=location.version, sha256=location.sha256 or "")


async def offer_at_connect(
    svc: Services, who: TerminalIdentity, conn: Connection, software: str
) -> bool:
    """Send the municipality's offer to a terminal that just said hello; True if sent."""
    try:
        location = await UpdateLocationStore(svc.store.db).get(who.municipality_id)
    except StoreError as err:  # the next connect offers it again; the terminal keeps working
        log.warning("could not read the update location for %s: %s", who.terminal_id, err)
        return False
    if location is None or runs_version(software, location.version):
        return False
    conn.send(offer_of(location))
    return True
