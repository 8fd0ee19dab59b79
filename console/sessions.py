"""Who is signed in: the caseworker id, session version and timestamps in Quart's signed cookie.

The cookie is signed, not encrypted, so it holds only ids and times. Every request re-reads
the caseworker and compares the session version, so bumping ``session_version`` in the
database (sign out everywhere, second-factor reset, removal) ends all sessions of that
person at once; an inactive person has no valid session.

A session ends after an absolute lifetime (``session_max_age_s``, counted from sign-in)
and after an idle time (``session_idle_s`` without a request). Both limits are written into
the cookie at sign-in, so the checks need no configuration at hand and a stolen cookie
cannot outlive them even if the browser ignores its expiry. ``seen`` is refreshed at most
once a minute so not every request re-sends the cookie.

Between password and second factor the session holds a *pending* sign-in (id, version,
time) that is not a signed-in session: it allows only the second-factor pages, for five
minutes.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from console.store import CaseworkerRecord, Store

USER_KEY = "cw"
VERSION_KEY = "ver"
ISSUED_KEY = "iat"
SEEN_KEY = "seen"
IDLE_KEY = "idle"
MAX_AGE_KEY = "max"
PENDING_KEY = "pending"
LANG_KEY = "lang"
PENDING_S = 5 * 60
"""Time to type the second factor after the password."""
TOUCH_EVERY_S = 60
"""``seen`` is rewritten at most this often (or a tenth of the idle time, if shorter)."""


@dataclass(frozen=True)
class Pending:
    """A password-checked person who still owes the second factor."""

    caseworker_id: int
    version: int


def _now(now: float | None) -> float:
    return time.time() if now is None else now


async def signed_in(
    store: Store, session: MutableMapping[str, Any], now: float | None = None
) -> CaseworkerRecord | None:
    """The caseworker of this session, if it is valid, unexpired and the person active."""
    caseworker_id = session.get(USER_KEY)
    version = session.get(VERSION_KEY)
    if not isinstance(caseworker_id, int) or not isinstance(version, int):
        return None
    at = _now(now)
    if expired(session, at):
        sign_out(session)
        return None
    record = await store.caseworker_by_id(caseworker_id)
    if record is None or record.session_version != version or not record.active:
        return None
    seen, idle = session[SEEN_KEY], session[IDLE_KEY]
    if at - seen >= min(TOUCH_EVERY_S, idle / 10):
        session[SEEN_KEY] = at
    return record


def expired(session: MutableMapping[str, Any], now: float) -> bool:
    """Whether the session is past its absolute lifetime or idle limit (or lacks them)."""
    values = [session.get(k) for k in (ISSUED_KEY, SEEN_KEY, IDLE_KEY, MAX_AGE_KEY)]
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != len(values):
        return True
    issued, seen, idle, max_age = numbers
    return now - issued >= max_age or now - seen >= idle


async def still_current(store: Store, caseworker_id: int, version: int) -> bool:
    """Whether a session version taken earlier is still valid (for open sockets)."""
    record = await store.caseworker_by_id(caseworker_id)
    return record is not None and record.session_version == version and record.active


def sign_in(
    session: MutableMapping[str, Any],
    record: CaseworkerRecord,
    *,
    max_age_s: int,
    idle_s: int,
    now: float | None = None,
) -> None:
    """Start a fresh session (new CSRF token) for a caseworker, keeping the language."""
    lang = record.language or session.get(LANG_KEY)
    at = _now(now)
    session.clear()
    session[USER_KEY] = record.id
    session[VERSION_KEY] = record.session_version
    session[ISSUED_KEY] = at
    session[SEEN_KEY] = at
    session[IDLE_KEY] = idle_s
    session[MAX_AGE_KEY] = max_age_s
    if isinstance(lang, str):
        session[LANG_KEY] = lang


def sign_out(session: MutableMapping[str, Any]) -> None:
    """End the session (the language choice stays)."""
    lang = session.get(LANG_KEY)
    session.clear()
    if isinstance(lang, str):
        session[LANG_KEY] = lang


def start_pending(
    session: MutableMapping[str, Any], record: CaseworkerRecord, now: float | None = None
) -> None:
    """Remember a correct password until the second factor follows."""
    sign_out(session)
    session[PENDING_KEY] = [record.id, record.session_version, int(_now(now))]


def pending(session: MutableMapping[str, Any], now: float | None = None) -> Pending | None:
    """The pending sign-in, if one is there and not older than :data:`PENDING_S`."""
    value = session.get(PENDING_KEY)
    if not isinstance(value, list) or len(value) != 3:
        return None
    caseworker_id, version, started = value
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return None
    if not 0 <= _now(now) - started < PENDING_S:
        return None
    return Pending(caseworker_id, version)
