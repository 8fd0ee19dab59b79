"""The outbox folder: one sealed file per captured document, written so a power cut loses nothing.

A kit runs on a battery and is switched off (or dies) at any moment, also mid-capture and
mid-upload. Each document is one file ``<id>.btkd`` in ``<data_dir>/outbox/``, written by
:func:`appliance.files.replace_file` (a temporary ``.<id>.btkd.*.tmp`` beside it, fsync,
rename, fsync of the folder): after a crash the document is either complete under its name
or a temporary leftover, which :meth:`OutboxStore.clean_leftovers` removes at start.
A file leaves the folder only when the console confirmed it (:meth:`OutboxStore.delete`,
also durable) or when it expired unsent (:meth:`OutboxStore.expire`).

The files hold ciphertext only (``protocol/kit_document.py``); their clear header carries
the capture time used for expiry, so the kit's clock, not a file's mtime, decides.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from appliance.files import fsync_dir, replace_file
from protocol.kit_document import EnvelopeError, Header, read_header, valid_id

log = logging.getLogger(__name__)

SUFFIX = ".btkd"
FILE_MODE = 0o600


@dataclass(frozen=True)
class Pending:
    """A document waiting for upload."""

    id: str
    captured_at: float
    path: Path
    size: int


class OutboxStore:
    """The folder of sealed documents; every method is blocking file I/O (run it in a thread)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def prepare(self) -> None:
        """Create the folder (mode 0700) if missing."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def path_of(self, document_id: str) -> Path:
        """Where document ``document_id`` lives."""
        if not valid_id(document_id):
            raise ValueError(f"not a document id: {document_id!r}")
        return self.folder / f"{document_id}{SUFFIX}"

    def save(self, header: Header, sealed: bytes) -> Path:
        """Write one sealed document atomically and durably; OSError if the card refuses."""
        path = self.path_of(header.id)
        replace_file(path, sealed, FILE_MODE)
        return path

    def read(self, document_id: str) -> bytes:
        """The sealed bytes of one document (OSError if gone)."""
        return self.path_of(document_id).read_bytes()

    def delete(self, document_id: str) -> bool:
        """Remove one document for good (after the console confirmed it); False if gone."""
        try:
            self.path_of(document_id).unlink()
        except FileNotFoundError:
            return False
        fsync_dir(self.folder)
        return True

    def pending(self) -> list[Pending]:
        """Every complete document, oldest capture first; unreadable files are skipped, logged."""
        found: list[Pending] = []
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or not name.endswith(SUFFIX):
                continue
            document_id = name[: -len(SUFFIX)]
            if not valid_id(document_id):
                continue
            try:
                with open(entry.path, "rb") as handle:
                    head = handle.read(2048)
                size = entry.stat().st_size
                header = read_header(head + b"\0" * 256)  # the header alone: pad the rest
            except (OSError, EnvelopeError) as err:
                log.warning("outbox: skipping unreadable %s (%s)", name, err)
                continue
            if header.id != document_id:
                log.warning("outbox: %s names document %s inside: skipped", name, header.id)
                continue
            found.append(Pending(document_id, header.captured_at, Path(entry.path), size))
        found.sort(key=lambda p: (p.captured_at, p.id))
        return found

    def clean_leftovers(self) -> int:
        """Remove temporary files a crash left mid-write; how many."""
        removed = 0
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return 0
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed += 1
        if removed:
            fsync_dir(self.folder)
            log.warning("outbox: removed %d half-written file(s) left by a crash", removed)
        return removed

    def expire(self, now: float, max_age_s: float) -> list[str]:
        """Delete documents captured more than ``max_age_s`` ago; their ids."""
        gone: list[str] = []
        for item in self.pending():
            if now - item.captured_at > max_age_s and self.delete(item.id):
                gone.append(item.id)
        return gone
