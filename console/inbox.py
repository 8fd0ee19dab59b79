"""The case inbox: document photos a caseworker chose to keep, encrypted, for a limited time.

A photo taken in a call lives in memory (:mod:`console.photos`) and vanishes after the call's
grace period. "Save to case inbox" seals it with :class:`console.documents.DocumentCipher`
and writes it to the ``documents`` table with an expiry ``document_retention_days`` ahead
(default 30). :meth:`Inbox.run` deletes expired documents at start and then every
``purge_every_s`` (an hour by default, so a document outlives its expiry by at most that).

Reads are per municipality: a document of another municipality is reported as missing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from console.audit import SYSTEM, AuditLog
from console.documents import DocumentCipher, DocumentUnreadableError, Sealed
from console.errors import StoreError
from console.photos import Photo
from console.store.documents import DocumentInfo, DocumentStore
from console.store.models import Document

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30.0
PURGE_EVERY_S = 3600.0
CONTENT_TYPE = "image/jpeg"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Inbox:
    """Saves, lists, opens, deletes and purges a municipality's documents."""

    def __init__(
        self,
        store: DocumentStore,
        cipher: DocumentCipher,
        *,
        retention_days: float = DEFAULT_RETENTION_DAYS,
        purge_every_s: float = PURGE_EVERY_S,
        clock: Callable[[], datetime] = _utc_now,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.store = store
        self.cipher = cipher
        self.retention = timedelta(days=retention_days)
        self.purge_every_s = purge_every_s
        self._clock = clock
        self._new_id = new_id

    async def save(self, photo: Photo, caseworker_id: int | None) -> DocumentInfo:
        """Encrypt a photo into the inbox of its municipality; its metadata comes back."""
        document_id = self._new_id()
        # ~9 ms for a 5 MiB photo: off the event loop, which carries every signaling socket.
        sealed = await asyncio.to_thread(
            self.cipher.seal, document_id, photo.municipality_id, photo.jpeg
        )
        now = self._clock()
        await self.store.add(
            Document(
                id=document_id,
                municipality_id=photo.municipality_id,
                call_id=photo.call_id,
                terminal_id=photo.terminal_id or None,
                caseworker_id=caseworker_id,
                created_at=now,
                expires_at=now + self.retention,
                content_type=CONTENT_TYPE,
                size=len(photo.jpeg),
                width=photo.width,
                height=photo.height,
                key_id=sealed.key_id,
                nonce=sealed.nonce,
                ciphertext=sealed.ciphertext,
            )
        )
        info = await self.store.info(document_id)
        if info is None:  # purged or deleted in the instant since
            raise StoreError("the saved document disappeared")
        return info

    async def listing(self, municipality_id: int) -> list[DocumentInfo]:
        """The municipality's documents, newest first (expired ones not yet purged left out)."""
        now = self._clock()
        return [d for d in await self.store.of_municipality(municipality_id) if d.expires_at > now]

    async def info(self, document_id: str, municipality_id: int) -> DocumentInfo | None:
        """A live document's metadata if it belongs to ``municipality_id``."""
        info = await self.store.info(document_id)
        if info is None or info.municipality_id != municipality_id:
            return None
        return info if info.expires_at > self._clock() else None

    async def open(self, document_id: str, municipality_id: int) -> tuple[DocumentInfo, bytes]:
        """Metadata and decrypted bytes; LookupError if not the municipality's live document.

        Raises :class:`console.documents.DocumentUnreadableError` if it fails authentication.
        """
        stored = await self.store.get(document_id)
        if (
            stored is None
            or stored.info.municipality_id != municipality_id
            or stored.info.expires_at <= self._clock()
        ):
            raise LookupError(document_id)
        sealed = Sealed(stored.info.key_id, stored.nonce, stored.ciphertext)
        jpeg = await asyncio.to_thread(self.cipher.open, document_id, municipality_id, sealed)
        return stored.info, jpeg

    async def delete(self, document_id: str) -> bool:
        """Delete one document; False if it was already gone."""
        return await self.store.delete(document_id)

    async def reseal(self, batch: int = 50) -> tuple[int, int]:
        """Re-encrypt every document sealed with an older key under the current one.

        Returns (re-encrypted, unreadable): unreadable documents (key missing, altered)
        are left as they are and counted, so a rotation can tell when the old key may go.
        """
        done = failed = 0
        skip: set[str] = set()
        while True:
            todo = [
                d
                for d in await self.store.sealed_with_other_keys(
                    self.cipher.current, batch + len(skip)
                )
                if d.info.id not in skip
            ]
            if not todo:
                return done, failed
            for doc in todo:
                info = doc.info
                try:
                    jpeg = self.cipher.open(
                        info.id,
                        info.municipality_id,
                        Sealed(info.key_id, doc.nonce, doc.ciphertext),
                    )
                except DocumentUnreadableError:
                    skip.add(info.id)
                    failed += 1
                    continue
                sealed = self.cipher.seal(info.id, info.municipality_id, jpeg)
                if await self.store.replace_sealed(
                    info.id, info.key_id, sealed.key_id, sealed.nonce, sealed.ciphertext
                ):
                    done += 1
                else:
                    skip.add(info.id)  # deleted or re-encrypted meanwhile

    async def purge(self, audit: AuditLog | None = None) -> int:
        """Delete every expired document now; audit one entry per municipality."""
        gone = await self.store.purge(self._clock())
        per_municipality: dict[int, int] = {}
        for _id, municipality_id in gone:
            per_municipality[municipality_id] = per_municipality.get(municipality_id, 0) + 1
        if audit is not None:
            for municipality_id, count in per_municipality.items():
                audit.record(municipality_id, SYSTEM, "document.expire", "document", "",
                                   count=count)  # fmt: skip
        if gone:
            log.info("deleted %d expired document(s) from the case inbox", len(gone))
        return len(gone)

    async def run(self, audit: AuditLog | None = None) -> None:
        """Purge at start and then every ``purge_every_s``, until cancelled."""
        while True:
            try:
                await self.purge(audit)
            except StoreError as err:  # the database is down: try again next round
                log.warning("document purge failed: %s", err)
            await asyncio.sleep(self.purge_every_s)
