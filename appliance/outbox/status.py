"""What the kiosk's ``GET /api/outbox`` reports about the kit's outbox.

The outbox (event loop) replaces the whole :class:`Status` on every change, so the kiosk's
threads read a consistent one without a lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Status:
    """What ``GET /api/outbox`` shows; replaced whole, so a kiosk thread reads it safely."""

    pending: int = 0
    oldest_captured_at: float | None = None
    uploaded: int = 0
    expired: int = 0
    rejected: int = 0
    key_id: str | None = None
    last_result: str | None = None
    """``ok``, ``duplicate``, ``failed`` or ``rejected``."""
    last_detail: str = ""
    last_at: float | None = None

    def as_json(self, now: float) -> dict[str, Any]:
        """The kiosk API's answer."""
        oldest = (
            None if self.oldest_captured_at is None else max(0.0, now - self.oldest_captured_at)
        )
        last = None
        if self.last_result is not None:
            last = {"result": self.last_result, "detail": self.last_detail, "at": self.last_at}
        return {
            "pending": self.pending,
            "oldest_age_s": None if oldest is None else round(oldest, 1),
            "last_upload": last,
            "uploaded": self.uploaded,
            "expired": self.expired,
            "rejected": self.rejected,
            "ready": self.key_id is not None,
        }
