"""The fleet view's picture of each terminal: online, last contact, software, address, health.

The health of the five parts a municipality asks about (camera, microphone, speaker, card
reader, printer) is what the terminal last reported in ``hello`` or ``parts``, reduced to
four words a supervisor can act on: ``ok``, ``missing`` (not fitted or unplugged),
``failed`` (fitted but broken) and ``unknown`` (never reported, e.g. since the console
restarted, or a value this console does not know). A card reader holding a card reports
the card's type; the reader works, so that is ``ok``. The raw values stay in ``parts``.

A mobile kit also reports its battery (``battery``, ``battery_level``,
``battery_charging``) and LTE modem (``modem``, ``modem_signal``, ``modem_access``,
``modem_operator``; appliance/parts/power and appliance/parts/modem). They become
``battery`` and ``modem`` here, parsed defensively (a value this console does not know is
``unknown``, a number out of range is null); a terminal that reports neither (stationary,
on mains and a wired network) has both null.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from console.hub import Hub
from console.store.fleet import FleetTerminal

Health = Literal["ok", "missing", "failed", "unknown"]
CallState = Literal["waiting", "in_call"]
FLEET_PARTS = ("camera", "microphone", "speaker", "card_reader", "printer")
"""The parts the fleet view always shows, in this order."""
_CARD_TYPES = frozenset({"eid", "egk", "girocard", "unknown"})


class PartsHealth(msgspec.Struct, frozen=True, kw_only=True):
    """The health of the five parts the fleet view shows."""

    camera: Health = "unknown"
    microphone: Health = "unknown"
    speaker: Health = "unknown"
    card_reader: Health = "unknown"
    printer: Health = "unknown"


BatteryHealth = Literal["ok", "low", "missing", "failed", "unknown"]
ModemHealth = Literal["ok", "weak", "no_network", "missing", "failed", "unknown"]
_BATTERY_WORDS = frozenset({"ok", "low", "missing", "failed"})
_MODEM_WORDS = frozenset({"ok", "weak", "no_network", "missing", "failed"})
MAX_OPERATOR_CHARS = 40


class BatteryInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A mobile kit's battery as last reported."""

    health: BatteryHealth
    level: int | None
    """Percent, in steps of 5."""
    charging: bool | None


class ModemInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A mobile kit's modem as last reported."""

    health: ModemHealth
    signal: int | None
    """Signal quality in percent, in steps of 10."""
    access: str | None
    """Access technology as ModemManager names it: ``lte``, ``5gnr``, ``umts``, ..."""
    operator: str | None


class FleetEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One terminal in the fleet view."""

    terminal_id: str
    name: str
    office_id: int | None
    office: str | None
    online: bool
    last_seen: float | None
    """Epoch seconds of the last message (or the last one the database remembers)."""
    software: str | None
    ip: str | None
    """The remote address of the terminal's last connection, as the console saw it."""
    health: PartsHealth
    parts: dict[str, str]
    """Every part as last reported (button, handset, ... too), raw."""
    call: CallState | None
    """A call waiting for a caseworker, one in progress, or none."""
    battery: BatteryInfo | None = None
    """The kit's battery; null for a terminal without one."""
    modem: ModemInfo | None = None
    """The kit's LTE modem; null for a terminal without one."""


class Fleet(msgspec.Struct, frozen=True, kw_only=True):
    """The municipality's terminals."""

    now: float
    terminals: list[FleetEntry]


def part_health(reported: str | None, part: str) -> Health:
    """One part's reported value as the fleet view's health word."""
    if reported is None:
        return "unknown"
    if reported in {"ok", "missing", "failed"}:
        return reported  # type: ignore[return-value]
    if part == "card_reader" and reported in _CARD_TYPES:
        return "ok"
    return "unknown"


def parts_health(parts: dict[str, str]) -> PartsHealth:
    """The five parts' health from a terminal's last report."""
    return PartsHealth(**{name: part_health(parts.get(name), name) for name in FLEET_PARTS})


def _percent(text: str | None) -> int | None:
    if text is None or not text.isdigit() or len(text) > 3:
        return None
    number = int(text)
    return number if number <= 100 else None


def _word(text: str | None, limit: int = 16) -> str | None:
    if not text:
        return None
    clean = "".join(ch for ch in text if ch.isprintable()).strip()[:limit]
    return clean or None


def battery_info(parts: dict[str, str]) -> BatteryInfo | None:
    """The battery in a parts report; None if the terminal reports none."""
    health = parts.get("battery")
    if health is None:
        return None
    return BatteryInfo(
        health=health if health in _BATTERY_WORDS else "unknown",  # type: ignore[arg-type]
        level=_percent(parts.get("battery_level")),
        charging={"yes": True, "no": False}.get(parts.get("battery_charging", "")),
    )


def modem_info(parts: dict[str, str]) -> ModemInfo | None:
    """The modem in a parts report; None if the terminal reports none."""
    health = parts.get("modem")
    if health is None:
        return None
    return ModemInfo(
        health=health if health in _MODEM_WORDS else "unknown",  # type: ignore[arg-type]
        signal=_percent(parts.get("modem_signal")),
        access=_word(parts.get("modem_access")),
        operator=_word(parts.get("modem_operator"), MAX_OPERATOR_CHARS),
    )


def call_state(hub: Hub, terminal_id: str) -> CallState | None:
    """Whether the terminal has a waiting call, one in progress, or none."""
    call_id = hub.live_call_id(terminal_id)
    call = None if call_id is None else hub.call(call_id)
    if call is None:
        return None
    return "waiting" if call.caseworker is None else "in_call"


def entry(hub: Hub, terminal: FleetTerminal, seen: float | None) -> FleetEntry:
    """A terminal's fleet entry from the database row, the hub and the in-memory last contact."""
    stored = None if terminal.last_seen is None else terminal.last_seen.timestamp()
    last_seen = max((t for t in (seen, stored) if t is not None), default=None)
    parts = hub.parts(terminal.id)
    online = hub.online(terminal.id)
    return FleetEntry(
        terminal_id=terminal.id,
        name=terminal.name,
        office_id=terminal.office_id,
        office=terminal.office_name,
        online=online,
        last_seen=last_seen,
        software=(hub.software(terminal.id) if online else "") or terminal.software,
        ip=terminal.last_ip,
        health=parts_health(parts),
        parts=parts,
        call=call_state(hub, terminal.id),
        battery=battery_info(parts),
        modem=modem_info(parts),
    )
