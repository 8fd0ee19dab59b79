"""Who is signed in: the caseworker id and session version in Quart's signed cookie.

The cookie is signed, not encrypted, so it holds only ids. Every request re-reads the
caseworker and compares the session version, so bumping ``session_version`` in the
database (password change, removal) ends all sessions of that person at once.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from console.store import CaseworkerRecord, Store

USER_KEY = "cw"
VERSION_KEY = "ver"


async def signed_in(store: Store, session: MutableMapping[str, Any]) -> CaseworkerRecord | None:
    """The caseworker of this session, if the session is valid."""
    caseworker_id = session.get(USER_KEY)
    version = session.get(VERSION_KEY)
    if not isinstance(caseworker_id, int) or not isinstance(version, int):
        return None
    record = await store.caseworker_by_id(caseworker_id)
    if record is None or record.session_version != version:
        return None
    return record


def sign_in(session: MutableMapping[str, Any], record: CaseworkerRecord) -> None:
    """Start a fresh session (new CSRF token) for a caseworker."""
    session.clear()
    session[USER_KEY] = record.id
    session[VERSION_KEY] = record.session_version


def sign_out(session: MutableMapping[str, Any]) -> None:
    """End the session."""
    session.clear()
