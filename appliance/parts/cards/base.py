"""What every card reader implementation shares: its slot and the ATR list.

The slot holds the reader's health and the inserted card's type (thread-safe, reporting
changes); the ATR list is parsed on first use, in the thread that first needs it, so
building a reader stays cheap and does no file I/O.
"""

from __future__ import annotations

import functools
from pathlib import Path

from appliance.parts.cards import CardSlot, OnCardChange
from appliance.parts.cards.atr import AtrDatabase
from protocol.messages import CardType


class SlotReader:
    """Base of the real and the fake reader: ``health()`` and ``card`` from the slot."""

    def __init__(self, on_change: OnCardChange, database: AtrDatabase | Path) -> None:
        self._slot = CardSlot(on_change)
        self._database = database

    @functools.cached_property
    def _atrs(self) -> AtrDatabase:
        if isinstance(self._database, AtrDatabase):
            return self._database
        return AtrDatabase.load(self._database)

    def health(self) -> str:
        """``missing`` (no reader), ``ok`` (no card) or the inserted card's type."""
        return self._slot.health()

    @property
    def card(self) -> CardType | None:
        """The inserted card's type, or None."""
        return self._slot.card
