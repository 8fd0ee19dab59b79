"""The kit receipts table: which kit documents each terminal has delivered, and as what.

:meth:`KitReceiptStore.add` writes the inbox document and its receipt in one transaction,
so either both exist or neither: a kit that retries after a lost answer finds the receipt
and is acknowledged, and two instances receiving the same upload at once store it once
(the second insert fails on the receipt's primary key and reports the first one's document).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from console.errors import StoreError
from console.store.database import Database
from console.store.models import Document, KitReceipt


class KitReceiptStore:
    """Looks up, adds (with their document) and purges kit receipts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def known(self, terminal_id: str, kit_document_id: str) -> str | None:
        """The inbox document id an earlier upload of this kit document became, or None."""
        query = select(KitReceipt.document_id).where(
            KitReceipt.terminal_id == terminal_id, KitReceipt.kit_document_id == kit_document_id
        )
        try:
            async with self._db.session() as s:
                return (await s.execute(query)).scalar_one_or_none()
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def add(self, receipt: KitReceipt, document: Document) -> str:
        """Store both at once; the document id now on record (an earlier one if a race lost)."""
        terminal_id, kit_id = receipt.terminal_id, receipt.kit_document_id
        try:
            async with self._db.session() as s, s.begin():
                s.add(document)
                await s.flush()
                s.add(receipt)
            return document.id
        except IntegrityError:
            earlier = await self.known(terminal_id, kit_id)
            if earlier is None:
                raise StoreError("a kit document could not be stored") from None
            return earlier
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def purge(self, before: datetime) -> int:
        """Delete receipts received before ``before``; how many."""
        try:
            async with self._db.session() as s, s.begin():
                result = await s.execute(delete(KitReceipt).where(KitReceipt.received_at < before))
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return int(getattr(result, "rowcount", 0) or 0)
