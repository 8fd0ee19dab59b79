"""Persistent state of the console: municipalities, caseworkers, terminals, enrollment codes.

SQLAlchemy 2 async with portable column types, so the default SQLite file and a later
PostgreSQL server run the same code and the same Alembic migrations. Call state is *not*
stored here: it lives in memory in :mod:`console.hub`.
"""

from console.store.database import Database
from console.store.records import (
    CaseworkerRecord,
    MunicipalityRecord,
    TerminalRecord,
)
from console.store.repository import Store

__all__ = ["CaseworkerRecord", "Database", "MunicipalityRecord", "Store", "TerminalRecord"]
