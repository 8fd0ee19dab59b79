"""The modem from ModemManager's command-line client in JSON mode (``mmcli -J``).

``mmcli -J -L`` lists the modems' D-Bus paths (``{"modem-list": [...]}``); ``mmcli -J -m
<path>`` describes one: ``modem.generic.state`` (``connected``, ``registered``,
``searching``, ``disabled``, ``locked``, ``failed``, ...), ``modem.generic.signal-quality``
(``{"value": "67", "recent": "yes"}``), ``modem.generic.access-technologies`` (a list such
as ``["lte"]``; several while a 5G NSA cell also uses LTE) and ``modem.3gpp.operator-name``.
mmcli writes every value as a string and ``--`` for "none", and its fields have changed
between releases, so everything is read defensively: a field missing, of another type or
holding garbage is unknown, never an error. No modem listed is ``missing``; mmcli not
installed or ModemManager not running is ``missing`` too (a kit without its modem), logged
once; a modem ModemManager cannot describe is ``failed``.

mmcli rather than D-Bus: it is in every distribution's ModemManager package, its JSON is
documented, and the daemon needs no D-Bus library for two reads every half minute.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from appliance.parts.modem import MAX_OPERATOR_CHARS, NOT_PRESENT, ModemState

log = logging.getLogger(__name__)
TIMEOUT_S = 5.0
"""ModemManager answers in milliseconds; a modem in reset can hold it for seconds."""
ACCESS_ORDER = ("5gnr", "lte", "hspa-plus", "hspa", "hsupa", "hsdpa", "umts", "edge", "gprs",
                "gsm", "evdo0", "evdoa", "evdob", "1xrtt", "pots")  # fmt: skip
"""Best first: the technology reported when the modem names several."""
NONE = "--"


def _field(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _word(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return None if not value or value == NONE else value


def modem_paths(listing: str) -> list[str]:
    """The modem paths of ``mmcli -J -L`` output ([] for garbage)."""
    try:
        data = json.loads(listing)
    except ValueError:
        return []
    paths = _field(data, "modem-list")
    if not isinstance(paths, list):
        return []
    return [p for p in paths if isinstance(p, str) and p.startswith("/")]


def signal_of(generic: Any) -> int | None:
    """Signal quality in percent from ``signal-quality`` (a dict, or a bare value)."""
    quality = _field(generic, "signal-quality")
    value = _field(quality, "value") if isinstance(quality, dict) else quality
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value)
    else:
        text = _word(value)
        if text is None or not text.isdigit():
            return None
        number = int(text)
    return number if 0 <= number <= 100 else None


def access_of(generic: Any) -> str | None:
    """The best access technology named (a list, or a comma-separated string)."""
    raw = _field(generic, "access-technologies")
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list):
        return None
    named = {w.lower() for w in (_word(x) for x in raw) if w is not None}
    for tech in ACCESS_ORDER:
        if tech in named:
            return tech
    return None


def operator_of(modem: Any) -> str | None:
    """The network operator's name, printable and short."""
    name = _word(_field(modem, "3gpp", "operator-name"))
    if name is None:
        return None
    clean = "".join(ch for ch in name if ch.isprintable())[:MAX_OPERATOR_CHARS].strip()
    return clean or None


def parse_modem(described: str) -> ModemState:
    """A modem's state from ``mmcli -J -m <path>`` output (``failed`` for garbage)."""
    try:
        data = json.loads(described)
    except ValueError:
        return ModemState(present=True, state="failed")
    modem = _field(data, "modem")
    generic = _field(modem, "generic")
    if not isinstance(generic, dict):
        return ModemState(present=True, state="failed")
    state = (_word(generic.get("state")) or "unknown").lower()
    return ModemState(
        present=True, state=state, signal=signal_of(generic), access=access_of(generic),
        operator=operator_of(modem),
    )  # fmt: skip


class MmcliModem:
    """Runs mmcli on :meth:`refresh`; :meth:`state` returns the last answer."""

    def __init__(self, command: str = "mmcli") -> None:
        self.command = command
        self._state = NOT_PRESENT
        self._warned = False

    def state(self) -> ModemState:
        """The state as of the last refresh."""
        return self._state

    async def refresh(self) -> ModemState:
        """List the modems and describe the first one."""
        listing = await self._run("-J", "-L")
        paths = [] if listing is None else modem_paths(listing)
        if not paths:
            self._state = NOT_PRESENT
            return self._state
        described = await self._run("-J", "-m", paths[0])
        self._state = (
            ModemState(present=True, state="failed") if described is None
            else parse_modem(described)
        )  # fmt: skip
        return self._state

    async def _run(self, *args: str) -> str | None:
        """mmcli's standard output, or None if it could not run or failed."""
        try:
            proc = await asyncio.create_subprocess_exec(
                self.command, *args, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
        except OSError as err:  # not installed: a kit without ModemManager has no modem
            if not self._warned:
                log.warning("mmcli could not run (%s): no modem", err)
                self._warned = True
            return None
        try:
            out, err_out = await asyncio.wait_for(proc.communicate(), TIMEOUT_S)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            log.warning("mmcli %s did not answer within %.0f s", " ".join(args), TIMEOUT_S)
            return None
        if proc.returncode != 0:
            if not self._warned:
                log.warning(
                    "mmcli %s failed: %s", " ".join(args), err_out.decode(errors="replace")[:200]
                )
                self._warned = True
            return None
        self._warned = False
        return out.decode(errors="replace")
