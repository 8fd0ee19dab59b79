"""Document photos of running calls, held in memory only and deleted soon after the call.

A caseworker asks for a photo (``photo.request``); the terminal uploads a full-resolution
JPEG over HTTP (``POST /api/v1/photos``) and the caseworker's page shows it. Photos here
are never written to disk: a photo of an ID card must not outlive its purpose. Only when
the caseworker saves one into the case inbox does it go to the database, encrypted
(:mod:`console.documents`); the in-memory copy still vanishes after the grace period.

Bounds, so that a busy or misbehaving terminal cannot fill the console's memory:
- each municipality has a byte budget (``photo_budget_bytes``, default 64 MiB, about a dozen
  12-megapixel photos at 4-6 MB each); adding beyond it evicts that municipality's oldest
  photos, those of finished calls first, so the newest photo always fits;
- a photo lives until its call has ended plus a grace period (``photo_grace_s``, default
  10 minutes, time to look at it once more after hanging up), then it is deleted by
  :meth:`PhotoStore.purge`, which runs on every access and from a periodic sweep;
- a terminal may upload only against an outstanding request of its current call, and a
  call keeps at most :data:`MAX_PENDING` outstanding requests.

Photo ids are 128-bit random tokens; a lookup names the municipality too, so a caseworker of
another municipality gets the same answer as for an id that never existed.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024
DEFAULT_GRACE_S = 600.0
MAX_PENDING = 8
"""Outstanding photo requests per call; older ones are forgotten beyond this."""
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What a caseworker page may use as ``request_id`` (it travels in the upload's query)."""


@dataclass(frozen=True)
class Photo:
    """One stored JPEG and what it belongs to."""

    photo_id: str
    municipality_id: int
    call_id: str
    jpeg: bytes
    width: int
    height: int
    created: float
    terminal_id: str = ""


class PhotoStore:
    """In-memory photos per municipality with a byte budget and call-end expiry."""

    def __init__(
        self,
        *,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        grace_s: float = DEFAULT_GRACE_S,
        clock: Callable[[], float] = time.monotonic,
        new_id: Callable[[], str] = lambda: secrets.token_urlsafe(16),
    ) -> None:
        self.budget_bytes = budget_bytes
        self.grace_s = grace_s
        self._clock = clock
        self._new_id = new_id
        self._photos: dict[str, Photo] = {}  # insertion order is age order
        self._used: dict[int, int] = {}  # bytes per municipality
        self._ended: dict[str, float] = {}  # call id -> when its photos are deleted
        self._pending: dict[str, dict[str, None]] = {}  # call id -> request ids (ordered)
        self._saved: dict[str, str] = {}  # photo id -> document id, once saved to the inbox

    # --- requests -------------------------------------------------------------------------

    def expect(self, call_id: str, request_id: str) -> None:
        """Remember an outstanding request of a live call."""
        pending = self._pending.setdefault(call_id, {})
        pending[request_id] = None
        while len(pending) > MAX_PENDING:
            del pending[next(iter(pending))]

    def outstanding(self, call_id: str, request_id: str) -> bool:
        """Whether ``request_id`` of ``call_id`` still waits for its photo."""
        return request_id in self._pending.get(call_id, {})

    def settle(self, call_id: str, request_id: str) -> bool:
        """Take a request off the outstanding list; False if it was not on it."""
        pending = self._pending.get(call_id)
        if pending is None or request_id not in pending:
            return False
        del pending[request_id]
        if not pending:
            del self._pending[call_id]
        return True

    # --- photos ---------------------------------------------------------------------------

    def add(
        self,
        municipality_id: int,
        call_id: str,
        jpeg: bytes,
        width: int,
        height: int,
        terminal_id: str = "",
    ) -> Photo:
        """Store a photo, evicting the municipality's oldest ones beyond the budget."""
        self.purge()
        if len(jpeg) > self.budget_bytes:
            raise ValueError(f"a photo of {len(jpeg)} bytes exceeds the whole budget")
        self._make_room(municipality_id, len(jpeg))
        photo = Photo(
            photo_id=self._new_id(),
            municipality_id=municipality_id,
            call_id=call_id,
            jpeg=jpeg,
            width=width,
            height=height,
            created=self._clock(),
            terminal_id=terminal_id,
        )
        self._photos[photo.photo_id] = photo
        self._used[municipality_id] = self._used.get(municipality_id, 0) + len(jpeg)
        return photo

    def get(self, photo_id: str, municipality_id: int) -> Photo | None:
        """The photo if it exists and belongs to ``municipality_id``; None otherwise."""
        self.purge()
        photo = self._photos.get(photo_id)
        if photo is None or photo.municipality_id != municipality_id:
            return None
        return photo

    def saved_as(self, photo_id: str) -> str | None:
        """The inbox document a photo was saved as, if it was."""
        return self._saved.get(photo_id)

    def mark_saved(self, photo_id: str, document_id: str) -> None:
        """Remember that a photo is in the inbox, so saving it twice makes one document."""
        if photo_id in self._photos:
            self._saved[photo_id] = document_id

    def call_ended(self, call_id: str) -> None:
        """Forget the call's outstanding requests; delete its photos after the grace period."""
        self._pending.pop(call_id, None)
        if any(photo.call_id == call_id for photo in self._photos.values()):
            self._ended[call_id] = self._clock() + self.grace_s
        self.purge()

    def purge(self) -> int:
        """Delete the photos of calls whose grace period is over; return how many."""
        now = self._clock()
        due = {call_id for call_id, at in self._ended.items() if at <= now}
        if not due:
            return 0
        for call_id in due:
            del self._ended[call_id]
        gone = [photo for photo in self._photos.values() if photo.call_id in due]
        for photo in gone:
            self._remove(photo)
        return len(gone)

    def used_bytes(self, municipality_id: int) -> int:
        """Bytes held for a municipality."""
        return self._used.get(municipality_id, 0)

    def __len__(self) -> int:
        return len(self._photos)

    def _make_room(self, municipality_id: int, size: int) -> None:
        if self.used_bytes(municipality_id) + size <= self.budget_bytes:
            return
        own = [p for p in self._photos.values() if p.municipality_id == municipality_id]
        # Finished calls' photos go first (stable sort keeps age order within each group).
        own.sort(key=lambda p: p.call_id not in self._ended)
        for photo in own:
            if self.used_bytes(municipality_id) + size <= self.budget_bytes:
                break
            self._remove(photo)

    def _remove(self, photo: Photo) -> None:
        del self._photos[photo.photo_id]
        self._saved.pop(photo.photo_id, None)
        left = self._used[photo.municipality_id] - len(photo.jpeg)
        if left > 0:
            self._used[photo.municipality_id] = left
        else:
            del self._used[photo.municipality_id]
