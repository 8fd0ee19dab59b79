"""The daily purge of audit entries, call records and home visits past their retention period.

Issue 5 keeps such metadata at most three months: ``audit_retention_days`` (default and
maximum 90) and ``usage_retention_days`` (default 90). At start the audit limit is written
to the database, where revision 0005_audit's triggers refuse to delete younger entries;
then both tables are purged at start and every day. A failed purge is retried the next day
(a missed day only keeps entries one day longer).

Home visits of the mobile office (a time, a short place, the staff member: personal data)
are deleted ``home_visit_retention_days`` (default 30) after the visit took place.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from console.config import MAX_AUDIT_RETENTION_DAYS
from console.errors import StoreError
from console.store.audit import AuditStore
from console.store.usage import UsageStore
from console.store.visits import VisitStore

log = logging.getLogger(__name__)
PURGE_EVERY_S = 24 * 3600.0


class Retention:
    """Deletes audit entries and call records older than their limits."""

    def __init__(
        self,
        audit: AuditStore,
        usage: UsageStore,
        audit_days: float = MAX_AUDIT_RETENTION_DAYS,
        usage_days: float = 90.0,
        clock: Callable[[], float] = time.time,
        *,
        visits: VisitStore | None = None,
        visit_days: float = 30.0,
    ) -> None:
        self._audit = audit
        self._usage = usage
        self.audit_days = min(audit_days, MAX_AUDIT_RETENTION_DAYS)
        self.usage_days = usage_days
        self._clock = clock
        self._visits = visits
        self.visit_days = visit_days

    async def purge(self) -> tuple[int, int, int]:
        """Delete what is past its limit now; return (audit entries, call records, home
        visits) deleted."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        failed: StoreError | None = None
        counts: list[int] = []
        jobs: tuple[tuple[Callable[[datetime], Awaitable[int]], float], ...] = (
            (self._audit.purge, self.audit_days),
            (self._usage.purge, self.usage_days),
            (self._purge_visits, self.visit_days),
        )
        for purge, days in jobs:
            try:  # one table's failure does not keep the other's old rows
                counts.append(await purge(now - timedelta(days=days)))
            except StoreError as err:
                failed = failed or err
                counts.append(0)
        if any(counts):
            log.info(
                "retention: deleted %d audit entries, %d call records and %d home visits",
                *counts,
            )
        if failed is not None:
            raise failed
        return counts[0], counts[1], counts[2]

    async def _purge_visits(self, before: datetime) -> int:
        return 0 if self._visits is None else await self._visits.purge_home_visits(before)

    async def run(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """Tell the database the audit limit, then purge at start and every day."""
        try:
            await self._audit.set_retention(self.audit_days)
        except StoreError as err:
            log.warning("could not store the audit retention period: %s", err)
        while True:
            try:
                await self.purge()
            except StoreError as err:
                log.warning("retention purge failed, retrying in a day: %s", err)
            await sleep(PURGE_EVERY_S)
