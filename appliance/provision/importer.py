"""The first-boot import: validate, enroll, stage, swap, then clean the boot partition.

Order matters for power cuts. Enrolling comes first because the code works only once:
the credential is saved (appliance.credentials) before anything else is written, and a
credential found on the next run is used instead of the code. A credential counts as
"from an unfinished import" when no import is committed yet or when it is not the one the
last import recorded (its sha256 is in imported.json). Then the new config is staged and
swapped in (appliance.provision.staging); imported.json is the commit point. Only after it
is the code removed from the boot file, so a cut in between just repeats that step.

The file is imported again when it carries a new enrollment code, or when it was edited
since the import (its sha256 differs from the one recorded): the credential is kept then.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from appliance.credentials import CREDENTIAL_FILE, TERMINAL_FILE, Enrollment, save_enrollment
from appliance.credentials import enroll as console_enroll
from appliance.errors import ConfigError, EnrollmentError
from appliance.provision import bootfile
from appliance.provision.bootconfig import (
    BOOT_FILE,
    BootConfig,
    BootConfigError,
    parse_boot_config,
    parse_toml,
)
from appliance.provision.checks import Problem
from appliance.provision.disk import Disk
from appliance.provision.staging import (
    ZONEINFO,
    Layout,
    layout_for,
    read_marker,
    recover,
    stage,
    swap,
)
from appliance.version import software

log = logging.getLogger(__name__)

Status = Literal["imported", "already", "invalid", "refused", "missing"]
Enroll = Callable[[str, str], Awaitable[Enrollment]]
RETRY_CODES = ("unreachable", "too_many_attempts", "http_502", "http_503", "http_504")
"""Worth waiting for: the network comes up late, a proxy waits for a restarting console."""
MAX_BACKOFF_S = 60.0


@dataclass(frozen=True)
class ImportResult:
    """What the import did; ``summary`` and ``warnings`` contain no secrets."""

    status: Status
    problems: list[Problem] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the terminal is configured (now or before)."""
        return self.status in ("imported", "already")


async def _default_enroll(console_url: str, code: str) -> Enrollment:
    return await console_enroll(console_url, code, software=software())


def _utc_now() -> datetime:
    return datetime.now(UTC)


def sha256_hex(data: bytes | str) -> str:
    """sha256 hex digest of bytes or UTF-8 text."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def code_hash(code: str) -> str:
    """The code's hash, normalized like the console does (case and dashes ignored)."""
    return sha256_hex("".join(ch for ch in code.upper() if ch.isalnum()))


async def import_boot_config(
    boot_dir: Path,
    data_dir: Path,
    *,
    enroll: Enroll = _default_enroll,
    clock: Callable[[], datetime] = _utc_now,
    sync: Callable[[], None] = os.sync,
    attempts: int = 1,
    backoff_s: float = 5.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    prepare_network: Callable[[BootConfig], object] | None = None,
    disk: Disk | None = None,
    zoneinfo: Path = ZONEINFO,
) -> ImportResult:
    """Import ``boot_dir/buergerterminal.toml`` into ``data_dir`` once (see module docstring).

    ``attempts``/``backoff_s``: how often and how patiently to try an unreachable console
    (the wait doubles up to a minute). ``prepare_network`` is called before enrolling
    (bring the Wi-Fi up). Disk errors (OSError) are left to the caller.
    """
    disk = disk or Disk()
    layout = layout_for(data_dir)
    boot_file = boot_dir / BOOT_FILE
    recover(layout, disk)
    marker = read_marker(layout)
    try:
        raw = boot_file.read_bytes()
    except FileNotFoundError:
        if marker is not None:
            return ImportResult("already", summary=["already imported; no new file"])
        fix = f"is missing: put {BOOT_FILE} on the boot partition (see the example file)"
        return ImportResult("missing", [Problem(BOOT_FILE, fix)])
    except OSError as err:
        return ImportResult("invalid", [Problem(BOOT_FILE, f"cannot be read ({err.strerror})")])
    credential = _credential(layout)
    if marker is not None:
        done = _already(raw, marker, boot_file, sync)
        if done is not None:
            return done
    try:
        config = parse_boot_config(raw, enrolled=credential is not None)
    except BootConfigError as err:
        return ImportResult("invalid", err.problems)
    pending = credential is not None and (
        marker is None or sha256_hex(credential) != marker.get("credential_sha256")
    )
    code = config.enrollment_code
    used = marker is not None and code is not None and code_hash(code) == marker.get("code_sha256")
    if pending or used or code is None:
        identity = _identity(layout)
        log.info("using the credential already in %s", layout.terminal_dir)
    else:
        if prepare_network is not None:
            prepare_network(config)
        enrolled = await _enroll(enroll, config, attempts, backoff_s, sleep)
        if isinstance(enrolled, Problem):
            return ImportResult("refused", [enrolled])
        save_enrollment(layout.terminal_dir, enrolled)
        identity = {
            "terminal_id": enrolled.terminal_id,
            "name": enrolled.name,
            "municipality": enrolled.municipality,
        }
    now = clock()
    stamp = f"imported on {now:%Y-%m-%d %H:%M} UTC (terminal id {identity.get('terminal_id')})"
    if config.enrollment_code is not None:
        stamp += "; the enrollment code was removed"
    new_text = bootfile.without_code(raw.decode("utf-8"), stamp)
    record = {
        "imported_at": now.isoformat(),
        "source_sha256": sha256_hex(raw),
        "boot_file_sha256": sha256_hex(new_text),
        "terminal_id": identity.get("terminal_id"),
        "terminal_name": config.terminal_name,
        "console_url": config.console_url,
        "code_sha256": code_hash(config.enrollment_code) if config.enrollment_code else None,
        "credential_sha256": sha256_hex(_credential(layout) or ""),
        "software": software(),
    }
    try:
        stage(layout, config, record, disk, zoneinfo)
    except ConfigError as err:  # validated before, so only if the two checks disagree
        disk.remove_tree(layout.staging)
        return ImportResult("invalid", [Problem("terminal", str(err))])
    swap(layout, disk)
    warnings = _rewrite(boot_file, new_text, sync)
    return ImportResult("imported", summary=_summary(config, identity), warnings=warnings)


def _already(
    raw: bytes, marker: dict[str, Any], boot_file: Path, sync: Callable[[], None]
) -> ImportResult | None:
    """The result when this file needs no import (None: import it)."""
    digest = sha256_hex(raw)
    try:
        code = parse_toml(raw).get("enrollment_code")
    except BootConfigError as err:
        if digest in (marker.get("source_sha256"), marker.get("boot_file_sha256")):
            return ImportResult("already")
        return ImportResult("invalid", err.problems)
    same_code = isinstance(code, str) and code_hash(code) == marker.get("code_sha256")
    if digest == marker.get("boot_file_sha256") or (
        code is None and digest == marker.get("source_sha256")
    ):
        return ImportResult("already", summary=["already imported; nothing new in the file"])
    if same_code and digest == marker.get("source_sha256"):
        # Cut after the commit, before the code was removed: finish that step only.
        text = bootfile.without_code(
            raw.decode("utf-8"), f"imported on {marker.get('imported_at', 'an earlier boot')}"
        )
        return ImportResult(
            "already", summary=["already imported"], warnings=_rewrite(boot_file, text, sync)
        )
    return None


async def _enroll(
    enroll: Enroll,
    config: BootConfig,
    attempts: int,
    backoff_s: float,
    sleep: Callable[[float], Awaitable[None]],
) -> Enrollment | Problem:
    assert config.enrollment_code is not None
    wait = backoff_s
    for attempt in range(1, max(attempts, 1) + 1):
        try:
            return await enroll(config.console_url, config.enrollment_code)
        except EnrollmentError as err:
            if err.code not in RETRY_CODES:
                return Problem("enrollment_code", _refusal_fix(err))
            log.warning("enrollment attempt %d of %d: %s", attempt, attempts, err)
            if attempt >= attempts:
                return Problem(
                    "console_url",
                    f"the console could not be reached after "
                    f"{attempts} tries ({err}); check the network cable or the "
                    "[wifi] settings, and the address",
                )
            await sleep(wait)
            wait = min(wait * 2, MAX_BACKOFF_S)
    raise AssertionError("unreachable")


def _refusal_fix(err: EnrollmentError) -> str:
    if err.code in ("code_used", "code_expired", "code_invalid"):
        return f"{err} Create a new code for this terminal in the console and put it in the file."
    return f"the console refused the enrollment: {err}"


def _credential(layout: Layout) -> str | None:
    try:
        text = (layout.terminal_dir / CREDENTIAL_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def _identity(layout: Layout) -> dict[str, Any]:
    try:
        data = json.loads((layout.terminal_dir / TERMINAL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _rewrite(boot_file: Path, text: str, sync: Callable[[], None]) -> list[str]:
    try:
        bootfile.rewrite(boot_file, text, sync)
    except OSError as err:
        log.warning("cannot rewrite %s: %s", boot_file, err)
        return [
            f"could not remove the enrollment code from {BOOT_FILE} ({err.strerror}); "
            "delete that line by hand (the code cannot be used again)"
        ]
    return []


def _summary(config: BootConfig, identity: dict[str, Any]) -> list[str]:
    lines = [f"console: {config.console_url}"]
    if identity:
        lines.append(
            f"enrolled as {identity.get('name')!r} of {identity.get('municipality')} "
            f"(terminal id {identity.get('terminal_id')})"
        )
    if config.terminal_name:
        lines.append(f"terminal name: {config.terminal_name}")
    lines.append(f"time zone: {config.timezone}")
    if config.wifi is not None:
        security = "with password" if config.wifi.psk else "open network"
        lines.append(f"Wi-Fi: {config.wifi.ssid} ({security}, country {config.wifi.country})")
    if config.ssh_keys:
        lines.append(f"SSH: {len(config.ssh_keys)} key(s) allowed")
    if config.terminal:
        lines.append(f"terminal settings: {', '.join(sorted(config.terminal))}")
    return lines
