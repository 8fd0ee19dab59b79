"""The hub's in-call tools and fleet queries: document photos, printing, card status.

A mixin of :class:`console.hub.Hub`, split out so the router stays one screenful of call
routing. It reads the hub's call state (declared below) and writes only the tools' own
stores (photos, print jobs, cards); the hub remains the only owner of that state. A photo
delivered and a PDF sent are told to ``events`` (``ToolUsed``: ids and sizes only).
"""

from __future__ import annotations

from collections.abc import Callable

from console.calls import Call, Connection, TerminalIdentity
from console.events import EventSink, ToolUsed
from console.photos import Photo, PhotoStore
from console.printing import PrintJob, PrintJobs
from console.turn import TurnCredentials, ice_servers_for
from console.update_offer import runs_version
from protocol.messages import (
    CardStatus,
    CardType,
    IceServer,
    MobileOffice,
    PhotoReady,
    PrintRequest,
    TerminalRestart,
    UpdateOffer,
)

CLOSE_REVOKED = 4403
"""Close code for a terminal whose registration was deleted by an admin."""


class CallTools:
    """Photos, printing, cards and per-terminal queries over the hub's state."""

    photos: PhotoStore
    prints: PrintJobs
    events: EventSink
    _clock: Callable[[], float]
    _calls: dict[str, Call]
    _terminals: dict[str, tuple[TerminalIdentity, Connection]]
    _call_of_terminal: dict[str, str]
    _cards: dict[str, CardType | None]
    _software: dict[str, str]
    ice_servers: list[IceServer]
    turn: TurnCredentials | None = None

    def photo_expected(self, terminal_id: str, call_id: str, request_id: str) -> bool:
        """Whether ``terminal_id`` is in ``call_id`` and ``request_id`` awaits its photo."""
        call = self._calls.get(call_id)
        return (
            call is not None
            and call.terminal.terminal_id == terminal_id
            and self.photos.outstanding(call_id, request_id)
        )

    def deliver_photo(
        self, terminal_id: str, call_id: str, request_id: str, jpeg: bytes, width: int, height: int
    ) -> Photo | None:
        """Store an uploaded photo, send ``photo.ready`` to the caseworker; None if unexpected."""
        call = self._calls.get(call_id)
        if not self.photo_expected(terminal_id, call_id, request_id) or call is None:
            return None
        self.photos.settle(call_id, request_id)
        photo = self.photos.add(call.terminal.municipality_id, call_id, jpeg, width, height,
                                terminal_id=terminal_id)  # fmt: skip
        ready = PhotoReady(call_id=call_id, request_id=request_id, photo_id=photo.photo_id,
                           width=width, height=height)  # fmt: skip
        if call.caseworker_conn is not None:
            call.caseworker_conn.send(ready)
        if call.caseworker is not None:
            who = call.caseworker
            self.events(ToolUsed(self._clock(), call_id, call.terminal.municipality_id,
                                 who.caseworker_id, who.display_name, "photo", photo.photo_id,
                                 len(jpeg)))  # fmt: skip
        return photo

    # --- printing (PDF bytes travel over HTTP: console/routes/printing.py) ---------------------

    def send_print(self, caseworker_id: int, call_id: str, pdf: bytes) -> PrintJob | None:
        """Keep a caseworker's PDF and send ``print.request``; None unless it is their live call.

        Raises :class:`console.printing.PrintRefusedError` when the store's bounds are hit.
        """
        call = self._calls.get(call_id)
        if call is None or call.caseworker is None or call.caseworker_conn is None:
            return None
        terminal = self._terminals.get(call.terminal.terminal_id)
        if call.caseworker.caseworker_id != caseworker_id or terminal is None:
            return None
        job = self.prints.add(call_id, call.terminal.terminal_id, pdf)
        terminal[1].send(PrintRequest(call_id=call_id, job_id=job.job_id, size=len(pdf)))
        who = call.caseworker
        self.events(ToolUsed(self._clock(), call_id, call.terminal.municipality_id,
                             who.caseworker_id, who.display_name, "print", job.job_id,
                             len(pdf)))  # fmt: skip
        return job

    def take_print(self, terminal_id: str, job_id: str) -> PrintJob | None:
        """The PDF of ``job_id`` for its terminal while its call lasts (then forgotten)."""
        job = self.prints.take(job_id, terminal_id)
        call = None if job is None else self._calls.get(job.call_id)
        if call is None or call.terminal.terminal_id != terminal_id:
            return None
        return job

    # --- card reader and fleet view -----------------------------------------------------------

    def card(self, terminal_id: str) -> CardType | None:
        """The card last reported inserted at a terminal, or None."""
        return self._cards.get(terminal_id)

    def software(self, terminal_id: str) -> str:
        """The software a terminal named in its last hello ("" if never seen)."""
        return self._software.get(terminal_id, "")

    def online(self, terminal_id: str) -> bool:
        """Whether the terminal is connected now."""
        return terminal_id in self._terminals

    def live_call_id(self, terminal_id: str) -> str | None:
        """The id of the terminal's waiting or answered call, if any."""
        return self._call_of_terminal.get(terminal_id)

    def restart_terminal(self, terminal_id: str, reason: str = "") -> bool:
        """Send ``terminal.restart`` to a connected terminal; False if it is offline.

        The terminal restarts its daemon once no call is running (appliance side).
        """
        terminal = self._terminals.get(terminal_id)
        if terminal is None:
            return False
        terminal[1].send(TerminalRestart(reason=reason))
        return True

    def offer_update(self, municipality_id: int, offer: UpdateOffer) -> list[str]:
        """Send ``update.offer`` to the municipality's connected terminals not yet on its
        version; the ids it went to. The terminal installs it when no call runs."""
        sent = []
        for terminal_id, (who, conn) in self._terminals.items():
            if who.municipality_id != municipality_id:
                continue
            if runs_version(self._software.get(terminal_id, ""), offer.version):
                continue
            conn.send(offer)
            sent.append(terminal_id)
        return sorted(sent)

    def send_to_terminals(self, municipality_id: int, message: MobileOffice) -> list[str]:
        """Send one message to each connected terminal of the municipality; the ids."""
        sent = []
        for terminal_id, (who, conn) in self._terminals.items():
            if who.municipality_id == municipality_id:
                conn.send(message)
                sent.append(terminal_id)
        return sorted(sent)

    def drop_terminal(self, terminal_id: str, reason: str) -> bool:
        """Close a terminal's connection (it was deleted: its credential no longer works).

        Its socket handler then disconnects it, which ends its call as ``terminal_lost``.
        """
        terminal = self._terminals.get(terminal_id)
        if terminal is None:
            return False
        terminal[1].close(CLOSE_REVOKED, reason)
        return True

    # --- ICE servers with per-recipient TURN credentials (console/turn.py) ---------------------

    def ice_servers_for(self, user: str) -> list[IceServer]:
        """The ICE servers for one recipient (``t:<terminal id>``, ``cw:<caseworker id>``)."""
        return ice_servers_for(self.ice_servers, self.turn, user)

    def _card_from_parts(self, terminal_id: str, parts: dict[str, str]) -> None:
        """A hello's ``card_reader`` health carries the card inserted while disconnected."""
        health = parts.get("card_reader")
        known: tuple[CardType, ...] = ("eid", "egk", "girocard", "unknown")
        card = next((kind for kind in known if kind == health), None)
        if card != self._cards.get(terminal_id):
            self._card_status(terminal_id, card)

    def _card_status(self, terminal_id: str, card: CardType | None) -> None:
        """Remember a terminal's card; tell the caseworker of its answered call."""
        self._cards[terminal_id] = card
        call_id = self._call_of_terminal.get(terminal_id)
        call = None if call_id is None else self._calls.get(call_id)
        if call is not None and call.caseworker_conn is not None:
            call.caseworker_conn.send(CardStatus(card=card, call_id=call.call_id))
