"""Where a municipality's terminals fetch their update bundle: one row per municipality.

An admin sets it in the fleet view (``/api/v1/fleet/update``); the hub offers it to every
terminal whose software is not that version yet (``update.offer``). The table is created
by revision 0006_update_location. The model lives here rather than in
:mod:`console.store.models` because nothing else joins it; it shares the same ``Base``, so
Alembic and ``Base.metadata`` still see it once this module is imported.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from console.store.admin_common import transaction
from console.store.database import Database
from console.store.models import Base, UTCDateTime
from console.store.upsert import upsert
from protocol.messages import MAX_UPDATE_URL_CHARS, MAX_UPDATE_VERSION_CHARS


class UpdateLocationRow(Base):
    """The update bundle a municipality's terminals should run (revision 0006)."""

    __tablename__ = "update_locations"

    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(String(MAX_UPDATE_URL_CHARS))
    """HTTPS URL of the RAUC bundle."""
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Lower-case hex digest of the bundle; None if the admin gave none."""
    version: Mapped[str] = mapped_column(String(MAX_UPDATE_VERSION_CHARS))
    """The label terminals report as their software once they run the bundle."""
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
    set_by: Mapped[str] = mapped_column(String(200))
    """Display name of the admin who set it (the audit log has the id)."""


class UpdateLocation(msgspec.Struct, frozen=True, kw_only=True):
    """The update bundle the municipality's terminals are offered."""

    url: str
    """HTTPS URL of the RAUC bundle."""
    sha256: str | None
    """Lower-case hex SHA-256 of the bundle, or null."""
    version: str
    """Terminals reporting this software version are not offered the bundle."""
    set_at: datetime
    set_by: str


class UpdateLocationStore:
    """Reads, sets and clears one municipality's update location."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, municipality_id: int) -> UpdateLocation | None:
        """The municipality's update location, or None if none is set."""
        async with transaction(self._db) as s:
            row = await s.get(UpdateLocationRow, municipality_id)
            return None if row is None else _out(row)

    async def put(
        self,
        municipality_id: int,
        *,
        url: str,
        sha256: str | None,
        version: str,
        set_at: datetime,
        set_by: str,
    ) -> UpdateLocation:
        """Set (or replace) the municipality's update location, in one upsert: two
        instances setting the first location at once both succeed, the later one wins."""
        values = {
            "municipality_id": municipality_id, "url": url, "sha256": sha256,
            "version": version, "set_at": set_at, "set_by": set_by[:200],
        }  # fmt: skip
        statement = upsert(
            UpdateLocationRow, self._db.engine.dialect.name, ["municipality_id"], list(values)[1:]
        )
        async with transaction(self._db) as s:
            await s.execute(statement, [values])
        return UpdateLocation(
            url=url, sha256=sha256, version=version, set_at=set_at, set_by=set_by[:200]
        )

    async def delete(self, municipality_id: int) -> bool:
        """Clear the location (no more offers); False if none was set."""
        async with transaction(self._db) as s:
            row = await s.scalar(
                select(UpdateLocationRow).where(
                    UpdateLocationRow.municipality_id == municipality_id
                )
            )
            if row is None:
                return False
            await s.delete(row)
            return True


def _out(row: UpdateLocationRow) -> UpdateLocation:
    return UpdateLocation(
        url=row.url, sha256=row.sha256, version=row.version, set_at=row.set_at, set_by=row.set_by
    )
