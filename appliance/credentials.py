"""Enrollment with the console and the stored terminal credential.

A terminal is enrolled once with a short-lived code shown in the console; the
console answers with a long-lived bearer credential that authenticates the
terminal's WebSocket. The credential is written to ``<data_dir>/credential`` with
mode 0600 through a temporary file created 0600, fsync'd and renamed, so that a
power cut leaves either the old or the new file, never a half-written or briefly
world-readable one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from appliance.errors import EnrollmentError, NotEnrolledError
from appliance.files import replace_file

CREDENTIAL_FILE = "credential"
TERMINAL_FILE = "terminal.json"

_MESSAGES = {
    "code_invalid": "The enrollment code is not known to the console.",
    "code_used": "The enrollment code was already used; ask for a new one.",
    "code_expired": "The enrollment code has expired; ask for a new one.",
    "bad_request": "The console did not understand the enrollment request.",
}


@dataclass(frozen=True)
class Enrollment:
    """What the console hands a newly enrolled terminal."""

    terminal_id: str
    credential: str
    name: str
    municipality: str


async def enroll(
    console_url: str, code: str, *, software: str, timeout_s: float = 15.0
) -> Enrollment:
    """Exchange an enrollment code for a credential at ``POST /api/v1/enroll``."""
    url = console_url.rstrip("/") + "/api/v1/enroll"
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, json={"code": code, "software": software}) as resp,
        ):
            try:
                body: Any = await resp.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                body = None
            status = resp.status
    except (aiohttp.ClientError, TimeoutError) as err:
        raise EnrollmentError("unreachable", f"cannot reach the console at {url}: {err}") from err
    if status != 200:
        raise _refusal(status, body)
    try:
        return Enrollment(
            terminal_id=str(body["terminal_id"]),
            credential=str(body["credential"]),
            name=str(body["name"]),
            municipality=str(body["municipality"]),
        )
    except (KeyError, TypeError) as err:
        raise EnrollmentError("bad_response", "the console's answer lacks a credential") from err


def _refusal(status: int, body: Any) -> EnrollmentError:
    code = f"http_{status}"
    detail = ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = str(body["error"].get("code", code))
        detail = str(body["error"].get("message", ""))
    message = _MESSAGES.get(code, f"The console refused the enrollment (HTTP {status}).")
    if detail:
        message = f"{message} ({detail})"
    return EnrollmentError(code, message)


def save_enrollment(data_dir: Path, enrollment: Enrollment) -> Path:
    """Store the credential (mode 0600) and the terminal's public identity; return its path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / CREDENTIAL_FILE
    _write_private(path, enrollment.credential + "\n")
    identity = {
        "terminal_id": enrollment.terminal_id,
        "name": enrollment.name,
        "municipality": enrollment.municipality,
    }
    _write_private(data_dir / TERMINAL_FILE, json.dumps(identity, indent=2) + "\n")
    return path


def load_credential(data_dir: Path) -> str:
    """Return the stored credential or raise :class:`NotEnrolledError`."""
    path = data_dir / CREDENTIAL_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError as err:
        raise NotEnrolledError(
            f"this terminal is not enrolled (no {path}); run: bt-terminal enroll --code CODE"
        ) from err
    except OSError as err:
        raise NotEnrolledError(f"cannot read {path}: {err.strerror}") from err
    if not text:
        raise NotEnrolledError(f"{path} is empty; enroll again with bt-terminal enroll")
    return text


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically to ``path``, readable by the owner only."""
    replace_file(path, text.encode("utf-8"), 0o600)
