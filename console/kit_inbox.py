"""Documents from mobile office kits into the case inbox: opened, re-sealed, stored once.

A kit uploads each document it captured offline as a sealed file (``protocol/kit_document.py``)
with ``PUT /api/v1/kit-documents/<id>`` (console/routes/kit_documents.py). Here the console
opens it with its private kit key (:mod:`console.kit_keys`), checks it is a JPEG, seals it
again with the case inbox's document key (:mod:`console.documents`) and stores it in the
inbox of the terminal's municipality together with a receipt (terminal, kit document id):
an upload repeated after a lost answer is acknowledged with the same document and stored
once. Receipts are kept ``RECEIPT_DAYS``, longer than any kit keeps an unsent document.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from console.errors import StoreError
from console.inbox import CONTENT_TYPE, Inbox
from console.jpeg import jpeg_size
from console.kit_keys import KitKeys
from console.store.database import Database
from console.store.kit_receipts import KitReceiptStore
from console.store.models import Document, KitReceipt
from protocol.kit_document import EnvelopeError

log = logging.getLogger(__name__)

RECEIPT_DAYS = 120.0
"""Longer than the kits' longest ``outbox_max_age_h`` (90 days)."""
PURGE_EVERY_S = 3600.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Received:
    """The outcome of one upload."""

    document_id: str
    created: bool
    size: int = 0
    width: int = 0
    height: int = 0
    captured_at: float = 0.0


class KitInbox:
    """Receives kit documents into the municipality's case inbox; see the module docstring."""

    def __init__(
        self,
        db: Database,
        inbox: Inbox,
        keys: KitKeys,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.receipts = KitReceiptStore(db)
        self.inbox = inbox
        self.keys = keys
        self._clock = clock

    async def known(self, terminal_id: str, kit_document_id: str) -> str | None:
        """The inbox document an earlier upload of this id became, or None."""
        return await self.receipts.known(terminal_id, kit_document_id)

    async def receive(
        self, terminal_id: str, municipality_id: int, kit_document_id: str, sealed: bytes
    ) -> Received:
        """Open, check, re-seal and store; EnvelopeError if the upload is not acceptable."""
        header, jpeg = await asyncio.to_thread(self.keys.open, sealed)
        if header.id != kit_document_id:
            raise EnvelopeError("the sealed document names another id than the upload")
        if header.content_type != CONTENT_TYPE:
            raise EnvelopeError(f"content type {header.content_type!r} is not {CONTENT_TYPE}")
        try:
            size = jpeg_size(jpeg)
        except ValueError as err:
            raise EnvelopeError(f"not a JPEG: {err}") from err
        document_id = uuid.uuid4().hex
        inner = await asyncio.to_thread(self.inbox.cipher.seal, document_id, municipality_id, jpeg)
        now = self._clock()
        document = Document(
            id=document_id,
            municipality_id=municipality_id,
            call_id="",
            terminal_id=terminal_id,
            caseworker_id=None,
            created_at=now,
            expires_at=now + self.inbox.retention,
            content_type=CONTENT_TYPE,
            size=len(jpeg),
            width=size.width,
            height=size.height,
            key_id=inner.key_id,
            nonce=inner.nonce,
            ciphertext=inner.ciphertext,
        )
        receipt = KitReceipt(
            terminal_id=terminal_id,
            kit_document_id=kit_document_id,
            municipality_id=municipality_id,
            document_id=document_id,
            received_at=now,
        )
        stored = await self.receipts.add(receipt, document)
        return Received(stored, stored == document_id, len(jpeg), size.width, size.height,
                        header.captured_at)  # fmt: skip

    async def run(self) -> None:
        """Purge old receipts at start and then hourly, until cancelled."""
        while True:
            try:
                gone = await self.receipts.purge(self._clock() - timedelta(days=RECEIPT_DAYS))
                if gone:
                    log.info("deleted %d old kit receipt(s)", gone)
            except StoreError as err:
                log.warning("kit receipt purge failed: %s", err)
            await asyncio.sleep(PURGE_EVERY_S)
