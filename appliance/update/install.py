"""Install a bundle and reboot into its try boot; act on the daemon's update requests.

``install``: download (HTTPS, :mod:`appliance.update.download`), ``rauc install`` (RAUC
checks the bundle's signature against ``/etc/rauc/keyring.pem``, marks the other slot
bad, writes it and makes it primary through ``bt-tryboot``), then
``systemctl reboot --reboot-argument="0 tryboot"``: on a Pi the firmware boots
``[tryboot]`` once; under QEMU the harness does, because the backend left
``tryboot.flag``. The bundle is deleted after ``rauc install``, whatever its outcome.

``request-watch``: the terminal daemon runs unprivileged and cannot install; it writes
``request.json`` (``{"url", "sha256", "version"}``) and a root ``.path`` unit runs this.
Each request (identified by the SHA-256 of the file's bytes) is acted on once: the
outcome goes to ``last.json`` *before* installing (``installing``), so a power cut in the
middle never loops, and the daemon or the console can ask again with a new request. It is
safe to run at every boot too; during an unconfirmed try boot it waits for the next boot.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from appliance.update.autoboot import atomic_write
from appliance.update.boot import BootInfo, current_boot_id
from appliance.update.download import DEFAULT_MAX_BYTES, check_url, fetch, ssl_context
from appliance.update.errors import InstallError, UpdateError
from appliance.update.runner import Runner

log = logging.getLogger("appliance.update")

REBOOT_INTO_TRYBOOT = ("systemctl", "reboot", "--reboot-argument=0 tryboot")
MAX_REQUEST_BYTES = 64 * 1024


@dataclass(frozen=True)
class UpdatePaths:
    """Where bundles, requests and outcomes live on the data partition."""

    update_dir: Path = Path("/data/update")
    ca_file: Path = Path("/data/config/ca.pem")

    @property
    def bundle(self) -> Path:
        """The downloaded bundle (``.part`` while downloading)."""
        return self.update_dir / "bundle.raucb"

    @property
    def confirm_record(self) -> Path:
        """What ``bt-update confirm`` decided about the last try boot."""
        return self.update_dir / "confirm.json"

    @property
    def request(self) -> Path:
        """The daemon's request."""
        return self.update_dir / "request.json"

    @property
    def last(self) -> Path:
        """The outcome of the last request acted on."""
        return self.update_dir / "last.json"


@dataclass(frozen=True)
class Request:
    """One update request from the daemon."""

    url: str
    sha256: str | None = None
    version: str | None = None


def install(
    url: str,
    *,
    runner: Runner,
    paths: UpdatePaths,
    sha256: str | None = None,
    context: ssl.SSLContext | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    reboot: bool = True,
) -> None:
    """Download, ``rauc install``, and (unless ``reboot`` is false) reboot into the try boot."""
    check_url(url)
    try:
        paths.update_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InstallError(f"cannot create {paths.update_dir}: {err.strerror or err}") from err
    context = context if context is not None else ssl_context(paths.ca_file)
    digest = fetch(url, paths.bundle, context=context, max_bytes=max_bytes, sha256=sha256)
    log.info("downloaded %s (sha256 %s)", url, digest)
    try:
        result = runner(["rauc", "install", str(paths.bundle)])
    finally:
        with contextlib.suppress(OSError):
            paths.bundle.unlink()
    if not result.ok:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise InstallError(f"rauc install failed: {detail[-1] if detail else result.returncode}")
    log.info("bundle installed into the other slot")
    if reboot:
        reboot_into_tryboot(runner)


def reboot_into_tryboot(runner: Runner) -> None:
    """Ask for the firmware's one-shot try boot."""
    result = runner(list(REBOOT_INTO_TRYBOOT))
    if not result.ok:
        raise InstallError(f"systemctl reboot failed: {result.stderr.strip() or result.returncode}")


def parse_request(raw: bytes) -> Request:
    """Validate request.json's content."""
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise InstallError(f"request.json is not JSON: {err}") from err
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        raise InstallError('request.json needs an object with a "url" string')
    sha256, version = data.get("sha256"), data.get("version")
    if sha256 is not None and not isinstance(sha256, str):
        raise InstallError('request.json: "sha256" must be a string')
    if version is not None and not isinstance(version, str):
        raise InstallError('request.json: "version" must be a string')
    check_url(data["url"])
    return Request(data["url"], sha256 or None, version)


def _read_bounded(path: Path) -> bytes:
    # O_NOFOLLOW: the directory is shared with the unprivileged daemon; root must not be
    # pointed at another file through a link.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read(MAX_REQUEST_BYTES + 1)
    if len(raw) > MAX_REQUEST_BYTES:
        raise InstallError(f"{path} is larger than {MAX_REQUEST_BYTES} bytes")
    return raw


def _last_id(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("request_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _record(
    paths: UpdatePaths, request_id: str, request: Request | None, outcome: str, error: str = ""
) -> None:
    entry: dict[str, object] = {
        "request_id": request_id,
        "url": request.url if request else None,
        "version": request.version if request else None,
        "outcome": outcome,
        "error": error,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    atomic_write(paths.last, (json.dumps(entry, indent=2) + "\n").encode())


Installer = Callable[[Request], None]


def confirmed(record: Path, boot: BootInfo, boot_id: str) -> bool:
    """Whether ``bt-update confirm`` committed this boot (slot and boot id) as good."""
    try:
        entry = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(entry, dict)
        and bool(boot_id)
        and entry.get("outcome") == "good"
        and entry.get("slot") == boot.slot
        and entry.get("boot_id") == boot_id
    )


def watch(
    paths: UpdatePaths,
    *,
    boot: BootInfo | None,
    installer: Installer,
    runner: Runner,
    boot_id: str | None = None,
) -> str:
    """Act once on request.json; returns what happened (also recorded in last.json).

    During a try boot nothing is installed until ``bt-update confirm`` has committed this
    very boot (its record names this slot and ``boot_id``, default the kernel's): the other
    slot is the way back until then.
    """
    if boot is not None and boot.tryboot:
        this_boot = current_boot_id() if boot_id is None else boot_id
        if not confirmed(paths.confirm_record, boot, this_boot):
            log.info("try boot not confirmed yet: the update request waits")
            return "deferred"
    try:
        raw = _read_bounded(paths.request)
    except FileNotFoundError:
        return "no-request"
    except OSError as err:
        raise InstallError(f"cannot read {paths.request}: {err.strerror or err}") from err
    request_id = hashlib.sha256(raw).hexdigest()
    if _last_id(paths.last) == request_id:
        return "already-handled"
    try:
        request = parse_request(raw)
    except UpdateError as err:
        _record(paths, request_id, None, "rejected", str(err))
        raise
    _record(paths, request_id, request, "installing")
    try:
        installer(request)
    except UpdateError as err:
        _record(paths, request_id, request, "failed", str(err))
        raise
    _record(paths, request_id, request, "installed")
    reboot_into_tryboot(runner)
    return "installed"


def default_installer(
    paths: UpdatePaths, runner: Runner, max_bytes: int = DEFAULT_MAX_BYTES
) -> Installer:
    """An installer for :func:`watch` that downloads and installs without rebooting."""

    def run(request: Request) -> None:
        install(
            request.url,
            runner=runner,
            paths=paths,
            sha256=request.sha256,
            max_bytes=max_bytes,
            reboot=False,
        )

    return run
