"""The real card reader: pyscard's ``smartcard.scard`` against pcscd (PC/SC).

Why the low-level API and not ``smartcard.CardMonitoring``: CardMonitor runs its own
thread per process, swallows errors from a lost pcscd and keeps the dead context, so a
restarted pcscd (package upgrade, crash, USB reset) would leave the terminal blind
until its own restart. Here one watcher thread owns one PC/SC context and blocks in
``SCardGetStatusChange`` on every reader plus pcsc-lite's ``\\\\?PnP?\\Notification``
pseudo reader, so an inserted card, a removed card and a plugged or unplugged reader
each wake it at once. When pcscd goes away the call returns ``SCARD_E_NO_SERVICE``; the
context is released and re-established with backoff (0.5 s doubling to 5 s), and the
health reads ``missing`` meanwhile. ``SCardCancel`` ends the wait on shutdown.

Measured here against pcscd 1.9.9 with the vpcd virtual reader: a card is reported
within one pcscd poll of the reader (0.4 s) and after a pcscd restart the reader is
back within the backoff step (< 5 s).

Only the ATR is used; the card is never connected to, so no APDU is ever sent.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

from appliance.errors import CardReaderError
from appliance.parts.cards import OnCardChange
from appliance.parts.cards.atr import DEFAULT_DATABASE, AtrDatabase
from appliance.parts.cards.base import SlotReader
from protocol.messages import CardType

log = logging.getLogger(__name__)

PNP_READER = "\\\\?PnP?\\Notification"
WAIT_MS = 500
"""Longest single wait in SCardGetStatusChange: also the slowest a stop takes."""
BACKOFF_MIN_S = 0.5
BACKOFF_MAX_S = 5.0


class PcscCardReader(SlotReader):
    """Watches every PC/SC reader; ``scard`` may be injected (tests), else pyscard's."""

    def __init__(
        self,
        on_change: OnCardChange,
        database: AtrDatabase | Path = DEFAULT_DATABASE,
        *,
        scard: Any = None,
        backoff_max_s: float = BACKOFF_MAX_S,
    ) -> None:
        super().__init__(on_change, database)
        self._scard = scard
        self._backoff_max_s = backoff_max_s
        self._stop = threading.Event()
        self._context: Any = None
        self._outage_logged = False
        self._context_was_up = False

    async def run(self) -> None:
        """Watch in a worker thread until cancelled; the thread ends within WAIT_MS.

        Never returns on its own (the daemon stops when a part's task ends): without
        pyscard it just waits, reporting ``missing``.
        """
        self._stop.clear()
        try:
            await asyncio.to_thread(self._supervise)
            await asyncio.Event().wait()
        finally:
            self.stop()

    def stop(self) -> None:
        """Ask the watcher thread to finish (any thread)."""
        self._stop.set()
        context = self._context
        if context is not None and self._scard is not None:
            self._scard.SCardCancel(context)

    # --- watcher thread ---------------------------------------------------------------

    def _supervise(self) -> None:
        if self._scard is None:
            try:
                from smartcard import scard
            except ImportError as err:
                log.warning("pyscard is not installed (%s): no card reader", err)
                return
            self._scard = scard
        _ = self._atrs  # parse the ATR list here, off the event loop
        delay = BACKOFF_MIN_S
        while not self._stop.is_set():
            try:
                self._session()
            except CardReaderError as err:
                if not self._outage_logged:
                    log.warning("card reader unavailable: %s (retrying)", err)
                    self._outage_logged = True
            except Exception:
                # Supervisor loop: an unexpected pyscard or driver error must not end card
                # detection for the rest of the day; log it and start a fresh context.
                log.exception("card reader watcher failed (restarting it)")
            if self._context_was_up:
                delay = BACKOFF_MIN_S
            if self._stop.is_set():
                break
            self._slot.update(False)
            self._stop.wait(delay)
            delay = min(delay * 2, self._backoff_max_s)

    def _session(self) -> None:
        """One PC/SC context from establishing to loss (raises) or stop (returns)."""
        s = self._scard
        self._context_was_up = False
        hresult, context = s.SCardEstablishContext(s.SCARD_SCOPE_USER)
        if hresult != s.SCARD_S_SUCCESS:
            raise CardReaderError(f"no PC/SC service: {s.SCardGetErrorMessage(hresult)}")
        self._context = context
        self._context_was_up = True
        if self._outage_logged:
            log.info("PC/SC service is back")
            self._outage_logged = False
        try:
            self._watch(context)
        finally:
            self._context = None
            s.SCardReleaseContext(context)

    def _watch(self, context: Any) -> None:
        s = self._scard
        states: dict[str, tuple[int, list[int]]] = {}
        pnp = s.SCARD_STATE_UNAWARE
        while not self._stop.is_set():
            readers = self._readers(context)
            states = {name: states.get(name, (s.SCARD_STATE_UNAWARE, [])) for name in readers}
            self._publish(states)
            request = [(PNP_READER, pnp)] + [(name, st[0]) for name, st in states.items()]
            hresult, changed = s.SCardGetStatusChange(context, WAIT_MS, request)
            if hresult in (s.SCARD_E_TIMEOUT, s.SCARD_E_CANCELLED):
                continue
            if hresult in (s.SCARD_E_UNKNOWN_READER, s.SCARD_E_READER_UNAVAILABLE):
                # A reader left between listing and waiting (or no PnP support): list again.
                self._stop.wait(WAIT_MS / 1000)
                continue
            if hresult != s.SCARD_S_SUCCESS:
                raise CardReaderError(f"PC/SC wait failed: {s.SCardGetErrorMessage(hresult)}")
            for name, event, atr in changed:
                state = event & ~s.SCARD_STATE_CHANGED
                if name == PNP_READER:
                    pnp = state
                elif name in states:
                    states[name] = (state, list(atr))

    def _readers(self, context: Any) -> list[str]:
        s = self._scard
        hresult, readers = s.SCardListReaders(context, [])
        if hresult == s.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hresult != s.SCARD_S_SUCCESS:
            raise CardReaderError(f"cannot list readers: {s.SCardGetErrorMessage(hresult)}")
        return sorted(readers)

    def _publish(self, states: dict[str, tuple[int, list[int]]]) -> None:
        """The first reader holding a card decides; no reader at all is ``missing``."""
        s = self._scard
        card: CardType | None = None
        for state, atr in states.values():
            if state & s.SCARD_STATE_PRESENT:
                mute = state & s.SCARD_STATE_MUTE or not atr
                card = "unknown" if mute else self._atrs.card_type(atr)
                break
        if not self._stop.is_set():
            self._slot.update(bool(states), card)
