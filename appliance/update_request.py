"""Handing the console's ``update.offer`` to the root-side installer, never during a call.

The daemon runs unprivileged and cannot install anything itself. When the console offers
an update bundle, the daemon writes the request to ``update_request_file`` (the image sets
``/data/update/request.json``) as ``{"url": ..., "sha256": ..., "version": ...}`` with
``sha256`` "" when the admin gave none; ``bt-update`` (run as root by a systemd path unit
watching that file) downloads, verifies and installs it, then reboots into the new slot.
Because installing ends with a reboot, the request is written only while no call runs
(state ``idle`` or ``offline``); an offer arriving during a call waits until it is over,
like a restart (:mod:`appliance.restart`). The file is replaced atomically (temporary file,
fsync, rename, fsync of the folder), so the installer never reads half a request and a
power cut leaves the old request or the new one. An offer equal to the file's content is
not written again: the console repeats its offer on every connect until the terminal runs
that version, and each write would trigger the path unit. A malformed offer is logged and
ignored; nothing here raises into the coordinator.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import urlsplit

from appliance.files import replace_file
from appliance.ports import State
from appliance.restart import NO_CALL
from protocol.messages import MAX_UPDATE_URL_CHARS, MAX_UPDATE_VERSION_CHARS, UpdateOffer

log = logging.getLogger(__name__)

HEX = frozenset("0123456789abcdef")


def request_of(offer: UpdateOffer) -> dict[str, str] | None:
    """The installer's request for an offer, or None if the offer is malformed."""
    url, version, sha256 = offer.url.strip(), offer.version.strip(), offer.sha256.strip().lower()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    printable = all(0x20 < ord(ch) < 0x7F for ch in url + version)
    if not (
        parts.scheme == "https"
        and parts.hostname
        and parts.username is None
        and len(url) <= MAX_UPDATE_URL_CHARS
        and 0 < len(version) <= MAX_UPDATE_VERSION_CHARS
        and printable
        and (sha256 == "" or (len(sha256) == 64 and set(sha256) <= HEX))
    ):
        return None
    return {"url": url, "sha256": sha256, "version": version}


def read_request(path: Path) -> dict[str, str] | None:
    """The request now in ``path``, or None if there is none or it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    request = {key: data.get(key) for key in ("url", "sha256", "version")}
    return {k: v for k, v in request.items() if isinstance(v, str)}


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so a reader or a power cut sees old or new, not half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, text.encode("utf-8"), 0o644)


class UpdateGate:
    """Holds the console's latest update offer until no call runs, then writes it once."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self.pending: dict[str, str] | None = None
        self.written = 0
        """How many requests were written (tests, logs)."""

    def offer(self, offer: UpdateOffer, state: State) -> None:
        """The console offered a bundle; written now if no call runs, else after the call."""
        if self._path is None:
            log.info("update %s offered, but updates are disabled here", offer.version[:64])
            return
        request = request_of(offer)
        if request is None:
            log.warning("ignoring a malformed update offer (version %r)", offer.version[:64])
            return
        if state not in NO_CALL:
            log.info("update %s offered: handed over after this call", request["version"])
        self.pending = request  # a newer offer replaces one still waiting
        self.check(state)

    def check(self, state: State) -> None:
        """Write a pending request once the terminal is ``idle`` or ``offline``."""
        if self.pending is None or self._path is None or state not in NO_CALL:
            return
        request, self.pending = self.pending, None
        if read_request(self._path) == request:
            log.info("update %s already requested", request["version"])
            return
        try:
            write_atomically(self._path, json.dumps(request, indent=2) + "\n")
        except OSError as err:  # the console offers it again at the next connect
            log.error("could not write the update request %s: %s", self._path, err)
            return
        self.written += 1
        log.warning("update %s requested from %s", request["version"], request["url"])


def update_gate(path: str) -> UpdateGate:
    """The gate for the ``update_request_file`` setting ("" = updates disabled)."""
    return UpdateGate(Path(path) if path.strip() else None)
