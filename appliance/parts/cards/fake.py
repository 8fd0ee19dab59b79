"""A card reader without hardware, with verbs for tests and demos.

It goes through the same :class:`~appliance.parts.cards.CardSlot` and ATR database as
the PC/SC reader, so ``insert_card(atr)`` with a real ATR from ``smartcard_list.txt``
reports exactly what the real reader would report for that card.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from appliance.parts.cards import CardSlot, OnCardChange
from appliance.parts.cards.atr import DEFAULT_DATABASE, AtrDatabase
from protocol.messages import CardType


class FakeCardReader:
    """A reader that is plugged in from the start; drive it with the verbs below."""

    def __init__(
        self, on_change: OnCardChange, database: AtrDatabase | Path = DEFAULT_DATABASE
    ) -> None:
        self._slot = CardSlot(on_change)
        self._database = database
        self._plugged = True
        self._card: CardType | None = None
        self._slot.update(True)

    @functools.cached_property
    def _atrs(self) -> AtrDatabase:
        if isinstance(self._database, AtrDatabase):
            return self._database
        return AtrDatabase.load(self._database)

    def health(self) -> str:
        """``missing``, ``ok`` or the inserted card's type."""
        return self._slot.health()

    @property
    def card(self) -> CardType | None:
        """The inserted card's type, or None."""
        return self._slot.card

    async def run(self) -> None:
        """Nothing to watch: wait until cancelled."""
        await asyncio.Event().wait()

    # --- verbs ------------------------------------------------------------------------

    def insert_card(self, atr: bytes | str) -> CardType:
        """Insert a card with this ATR (bytes or hex, spaces allowed); returns its type."""
        raw = bytes.fromhex(atr.replace(" ", "")) if isinstance(atr, str) else atr
        self._card = self._atrs.card_type(raw)
        self._slot.update(self._plugged, self._card)
        return self._card

    def remove_card(self) -> None:
        """Take the card out."""
        self._card = None
        self._slot.update(self._plugged)

    def unplug(self) -> None:
        """Pull the reader's USB cable (a card in it is gone too)."""
        self._plugged = False
        self._card = None
        self._slot.update(False)

    def plug(self) -> None:
        """Plug the reader back in (empty)."""
        self._plugged = True
        self._slot.update(True, self._card)
