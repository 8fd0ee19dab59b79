"""A card reader without hardware, with verbs for tests and demos.

It goes through the same :class:`~appliance.parts.cards.CardSlot` and ATR database as
the PC/SC reader, so ``insert_card(atr)`` with a real ATR from ``smartcard_list.txt``
reports exactly what the real reader would report for that card.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from appliance.parts.cards import OnCardChange
from appliance.parts.cards.atr import DEFAULT_DATABASE, AtrDatabase
from appliance.parts.cards.base import SlotReader
from protocol.messages import CardType


class FakeCardReader(SlotReader):
    """A reader that is plugged in from the start; drive it with the verbs below."""

    def __init__(
        self, on_change: OnCardChange, database: AtrDatabase | Path = DEFAULT_DATABASE
    ) -> None:
        super().__init__(on_change, database)
        self._plugged = True
        self._card: CardType | None = None
        self._slot.update(True)

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
