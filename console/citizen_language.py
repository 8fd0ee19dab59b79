"""The language a terminal says its citizen chose: a short language tag, or none.

Terminals send the kiosk language (``de``, ``uk``, ``ls`` for Leichte Sprache, ...) with a
call request and a callback request. Caseworkers see it, and it is stored with the call
record and the callback (columns of 16 characters). A malformed tag (too long, control
characters, NUL) is dropped rather than the request refused: the citizen still gets
through, only without a language. Stored unchecked, PostgreSQL would refuse it (SQLite
stores anything) and the usage writer would retry the refused batch forever.
"""

from __future__ import annotations

import re

MAX_CHARS = 16
"""The width of the ``language`` columns of ``call_records`` and ``callbacks``."""
_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})?")


def citizen_language(value: str | None) -> str | None:
    """``value`` if it is a plausible language tag of at most 16 characters, else None."""
    if value is None or len(value) > MAX_CHARS or not _TAG.fullmatch(value):
        return None
    return value
