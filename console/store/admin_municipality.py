"""A municipality's own settings for the admin API: time zone and branding.

The name is read-only here (it is the tenant's identity in the CLI and in enrollment
answers); the console operator renames with the CLI.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select

from console.errors import NotFoundError
from console.store.admin_common import transaction
from console.store.database import Database
from console.store.models import Municipality


class MunicipalityOut(msgspec.Struct, frozen=True):
    """The signed-in person's municipality and its branding."""

    id: int
    name: str
    timezone: str
    brand_color: str | None
    """"#rrggbb" accent colour of its kiosk and console pages; null means the default."""
    welcome_text: str | None
    """A line under the kiosk's welcome heading; null means none."""


class MunicipalityStore:
    """Reads and changes one municipality's settings."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, municipality_id: int) -> MunicipalityOut:
        """The municipality's settings."""
        async with transaction(self._db) as s:
            return _out(await _row(s, municipality_id))

    async def update(self, municipality_id: int, **values: Any) -> MunicipalityOut:
        """Change time zone and/or branding."""
        async with transaction(self._db) as s:
            row = await _row(s, municipality_id)
            for key, value in values.items():
                setattr(row, key, value)
            await s.flush()
            return _out(row)


async def _row(s: Any, municipality_id: int) -> Municipality:
    row = await s.scalar(select(Municipality).where(Municipality.id == municipality_id))
    if not isinstance(row, Municipality):
        raise NotFoundError("no such municipality")
    return row


def _out(row: Municipality) -> MunicipalityOut:
    return MunicipalityOut(
        id=row.id,
        name=row.name,
        timezone=row.timezone,
        brand_color=row.brand_color,
        welcome_text=row.welcome_text,
    )
