"""The case inbox's table: encrypted document photos and their metadata.

Listing reads metadata only (never the ciphertext column), joined with the terminal's and
the saving caseworker's names for the inbox view. Encryption and decryption happen above
this layer (:mod:`console.documents`): this module stores and returns opaque bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from console.errors import StoreError
from console.store.database import Database
from console.store.models import Caseworker, Document, Terminal


@dataclass(frozen=True)
class DocumentInfo:
    """A document's metadata, as the inbox lists it."""

    id: str
    municipality_id: int
    call_id: str
    terminal_id: str | None
    terminal_name: str | None
    caseworker_id: int | None
    caseworker_name: str | None
    created_at: datetime
    expires_at: datetime
    content_type: str
    size: int
    width: int
    height: int
    key_id: str


@dataclass(frozen=True)
class StoredDocument:
    """A document's metadata with its sealed bytes."""

    info: DocumentInfo
    nonce: bytes
    ciphertext: bytes


_COLUMNS = (
    Document.id,
    Document.municipality_id,
    Document.call_id,
    Document.terminal_id,
    Terminal.name,
    Document.caseworker_id,
    Caseworker.display_name,
    Document.created_at,
    Document.expires_at,
    Document.content_type,
    Document.size,
    Document.width,
    Document.height,
    Document.key_id,
)


def _info(row: Any) -> DocumentInfo:
    """A DocumentInfo from a row of :data:`_COLUMNS`."""
    return DocumentInfo(*row)


class DocumentStore:
    """Adds, lists, reads, deletes and purges inbox documents."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, row: Document) -> None:
        """Insert one document row."""
        try:
            async with self._db.session() as s, s.begin():
                s.add(row)
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def of_municipality(self, municipality_id: int, limit: int = 500) -> list[DocumentInfo]:
        """A municipality's documents, newest first (metadata only)."""
        query = (
            select(*_COLUMNS)
            .outerjoin(Terminal, Terminal.id == Document.terminal_id)
            .outerjoin(Caseworker, Caseworker.id == Document.caseworker_id)
            .where(Document.municipality_id == municipality_id)
            .order_by(Document.created_at.desc(), Document.id)
            .limit(limit)
        )
        try:
            async with self._db.session() as s:
                rows = (await s.execute(query)).all()
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return [_info(row) for row in rows]

    async def info(self, document_id: str) -> DocumentInfo | None:
        """One document's metadata, or None."""
        query = (
            select(*_COLUMNS)
            .outerjoin(Terminal, Terminal.id == Document.terminal_id)
            .outerjoin(Caseworker, Caseworker.id == Document.caseworker_id)
            .where(Document.id == document_id)
        )
        try:
            async with self._db.session() as s:
                row = (await s.execute(query)).first()
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return None if row is None else _info(row)

    async def get(self, document_id: str) -> StoredDocument | None:
        """One document with its sealed bytes, or None."""
        info = await self.info(document_id)
        if info is None:
            return None
        try:
            async with self._db.session() as s:
                row = (
                    await s.execute(
                        select(Document.nonce, Document.ciphertext).where(
                            Document.id == document_id
                        )
                    )
                ).first()
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        if row is None:  # deleted between the two reads
            return None
        return StoredDocument(info, bytes(row[0]), bytes(row[1]))

    async def delete(self, document_id: str) -> bool:
        """Delete one document; False if it did not exist."""
        try:
            async with self._db.session() as s, s.begin():
                result = await s.execute(delete(Document).where(Document.id == document_id))
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return bool(getattr(result, "rowcount", 0))

    async def sealed_with_other_keys(self, key_id: str, limit: int) -> list[StoredDocument]:
        """Up to ``limit`` documents not encrypted with ``key_id`` (for re-encryption)."""
        try:
            async with self._db.session() as s:
                ids = (
                    await s.execute(
                        select(Document.id).where(Document.key_id != key_id).limit(limit)
                    )
                ).scalars()
                wanted = list(ids)
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        found = [await self.get(document_id) for document_id in wanted]
        return [doc for doc in found if doc is not None]

    async def replace_sealed(
        self, document_id: str, old_key_id: str, key_id: str, nonce: bytes, ciphertext: bytes
    ) -> bool:
        """Store new ciphertext if the row still has ``old_key_id``; False if it changed."""
        try:
            async with self._db.session() as s, s.begin():
                result = await s.execute(
                    update(Document)
                    .where(Document.id == document_id, Document.key_id == old_key_id)
                    .values(key_id=key_id, nonce=nonce, ciphertext=ciphertext)
                )
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return bool(getattr(result, "rowcount", 0))

    async def purge(self, now: datetime) -> list[tuple[str, int]]:
        """Delete every document expired at ``now``; return (id, municipality id) of each."""
        try:
            async with self._db.session() as s, s.begin():
                due = (
                    await s.execute(
                        select(Document.id, Document.municipality_id).where(
                            Document.expires_at <= now
                        )
                    )
                ).all()
                if due:
                    await s.execute(delete(Document).where(Document.id.in_([d[0] for d in due])))
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return [(str(d[0]), int(d[1])) for d in due]
