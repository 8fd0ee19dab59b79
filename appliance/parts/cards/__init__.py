"""The card reader part: tells the coordinator which kind of card a citizen inserted.

Only the card's type (German eID card, eGK health card, girocard, other) is learned,
from the ATR the reader reports on insertion: no file on the card is read, nothing is
stored. The caseworker sees "Karte eingesteckt: Personalausweis" and can guide the
citizen; the health entry ``card_reader`` shows ``missing`` (no reader or no PC/SC
service), ``ok`` (reader, no card) or the inserted card's type.

Implementations, chosen by the ``card_reader`` config key:
``pcsc`` (pyscard against pcscd, :mod:`.pcsc`), ``fake`` (:mod:`.fake`, with verbs for
tests and demos), ``none`` (no reader part at all). pyscard is imported only inside
:mod:`.pcsc`, so a terminal without it still starts and reports ``missing``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from appliance.errors import ConfigError
from protocol.messages import CardType

log = logging.getLogger(__name__)

CARD_READERS = ("pcsc", "fake", "none")

OnCardChange = Callable[[CardType | None], None]
"""Called with the new card type, or None when the card was removed; from any thread."""


class CardReader(Protocol):
    """A card reader as the daemon uses it."""

    def health(self) -> str:
        """``missing``, ``ok`` or the inserted card's type."""
        ...

    @property
    def card(self) -> CardType | None:
        """The inserted card's type, or None."""
        ...

    async def run(self) -> None:
        """Watch the reader until cancelled; never raises on reader or service errors."""
        ...


class CardSlot:
    """Reader presence and card type, shared by the real and the fake reader.

    Thread-safe: the PC/SC watcher runs in its own thread, the fake is driven from
    tests. ``on_change`` fires once per change of the card (inserted, removed, or
    gone with its reader), never for a reader coming or going while empty.
    """

    def __init__(self, on_change: OnCardChange) -> None:
        self._on_change = on_change
        self._lock = threading.Lock()
        self._present = False
        self._card: CardType | None = None

    @property
    def card(self) -> CardType | None:
        """The inserted card's type, or None."""
        return self._card

    def health(self) -> str:
        """``missing``, ``ok`` or the card's type."""
        with self._lock:
            if not self._present:
                return "missing"
            return self._card or "ok"

    def update(self, present: bool, card: CardType | None = None) -> None:
        """Record the reader's presence and card; notify if the card changed."""
        with self._lock:
            card = card if present else None
            changed = card != self._card
            self._present = present
            self._card = card
        if changed:
            log.info("card %s", f"inserted: {card}" if card else "removed")
            self._on_change(card)


def create_card_reader(kind: str, on_change: OnCardChange, atr_database: Path) -> CardReader | None:
    """Build the reader named by the ``card_reader`` config key (None for ``none``)."""
    if kind == "none":
        return None
    if kind == "fake":
        from appliance.parts.cards.fake import FakeCardReader

        return FakeCardReader(on_change, atr_database)
    if kind == "pcsc":
        from appliance.parts.cards.pcsc import PcscCardReader

        return PcscCardReader(on_change, atr_database)
    raise ConfigError("card_reader", f"unknown card reader {kind!r} (known: pcsc, fake, none)")
