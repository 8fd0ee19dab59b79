"""Confirm or reject the slot of a try boot by the terminal's health (``bt-update confirm``).

Runs once at every boot. On a normal boot there is nothing to decide. On the firmware's
one-shot try boot, the new slot must prove itself within ``timeout_s``: ``bt-terminal``
active and running (Type=notify: systemd only calls it active after the daemon's
``READY=1``), its ``STATUS=`` not ``offline: ...`` (the console link is up: an update that
breaks networking or the protocol would otherwise strand the terminal where no further
update can reach it), and both for ``settle_s`` without a restart in between. Then
``rauc status mark-good`` commits the slot (the backend sets ``[all]``). If not:
``rauc status mark-bad`` and ``systemctl reboot``; the firmware's next normal boot is the
old slot, even if mark-bad failed, because an uncommitted try boot is never repeated.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from appliance.update.autoboot import atomic_write
from appliance.update.boot import BootInfo, current_boot_id
from appliance.update.errors import InstallError, UpdateError
from appliance.update.runner import Runner

log = logging.getLogger("appliance.update")

UNIT = "bt-terminal"
PROPERTIES = "ActiveState,SubState,StatusText,NRestarts"


@dataclass(frozen=True)
class Health:
    """What ``systemctl show`` says about the terminal daemon."""

    active: str = ""
    sub: str = ""
    status: str = ""
    restarts: str = ""

    @property
    def healthy(self) -> bool:
        """Active and running after READY=1, and not offline (see the module docstring)."""
        return (
            self.active == "active"
            and self.sub == "running"
            and bool(self.status)
            and not self.status.startswith("offline")
        )

    def describe(self) -> str:
        """One line for the journal."""
        return f"{self.active}/{self.sub} status={self.status!r} restarts={self.restarts}"


def parse_show(text: str) -> Health:
    """Parse ``systemctl show -p ...`` output (``Key=Value`` lines)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return Health(
        values.get("ActiveState", ""),
        values.get("SubState", ""),
        values.get("StatusText", ""),
        values.get("NRestarts", ""),
    )


def probe(runner: Runner, unit: str = UNIT) -> Health:
    """Ask systemd about ``unit``; a failed query is an unhealthy answer."""
    result = runner(["systemctl", "show", "-p", PROPERTIES, unit])
    return parse_show(result.stdout) if result.ok else Health()


def wait_healthy(
    runner: Runner,
    *,
    timeout_s: float,
    settle_s: float,
    poll_s: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    unit: str = UNIT,
) -> tuple[bool, Health]:
    """Poll until ``unit`` stayed healthy (without a restart) for ``settle_s``, or time out."""
    deadline = clock() + timeout_s
    since: float | None = None
    restarts = ""
    while True:
        health = probe(runner, unit)
        now = clock()
        if health.healthy and (since is None or health.restarts == restarts):
            if since is None:
                since, restarts = now, health.restarts
                log.info("%s healthy: %s", unit, health.describe())
            if now - since >= settle_s:
                return True, health
        else:
            since = None
        if now >= deadline:
            return False, health
        sleep(min(poll_s, max(0.0, deadline - now)))


def confirm(
    boot: BootInfo,
    runner: Runner,
    *,
    timeout_s: float = 180.0,
    settle_s: float = 10.0,
    poll_s: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    record: Path | None = None,
    boot_id: str | None = None,
) -> str:
    """Decide this boot: ``normal`` (nothing to do), ``good`` (committed) or ``bad`` (rebooting).

    ``record`` gets the outcome with ``boot_id`` (default: the kernel's), so the installer
    knows this very boot was confirmed (appliance/update/install.py, :func:`watch`).
    """
    this_boot = current_boot_id() if boot_id is None else boot_id
    if not boot.tryboot:
        return "normal"
    log.info("try boot of slot %s: waiting up to %.0f s for %s", boot.slot, timeout_s, UNIT)
    healthy, health = wait_healthy(
        runner, timeout_s=timeout_s, settle_s=settle_s, poll_s=poll_s, clock=clock, sleep=sleep
    )
    if healthy:
        result = runner(["rauc", "status", "mark-good"])
        _record(record, boot, "good" if result.ok else "mark-good-failed", health, this_boot)
        if not result.ok:
            raise InstallError(
                f"rauc status mark-good failed ({result.stderr.strip() or result.returncode}); "
                "the next boot returns to the old slot"
            )
        log.info("slot %s marked good and committed", boot.slot)
        return "good"
    log.error(
        "slot %s not healthy within %.0f s (%s): rolling back",
        boot.slot,
        timeout_s,
        health.describe(),
    )
    _record(record, boot, "bad", health, this_boot)
    marked = runner(["rauc", "status", "mark-bad"])
    if not marked.ok:
        log.error("rauc status mark-bad failed: %s", marked.stderr.strip() or marked.returncode)
    rebooted = runner(["systemctl", "reboot"])
    if not rebooted.ok:
        raise InstallError(
            f"systemctl reboot failed: {rebooted.stderr.strip() or rebooted.returncode}"
        )
    return "bad"


def _record(path: Path | None, boot: BootInfo, outcome: str, health: Health, boot_id: str) -> None:
    if path is None:
        return
    entry: Mapping[str, object] = {
        "slot": boot.slot,
        "boot_id": boot_id,
        "outcome": outcome,
        "health": health.describe(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, (json.dumps(entry, indent=2) + "\n").encode())
    except (OSError, UpdateError) as err:
        log.warning("cannot record the outcome in %s: %s", path, err)
