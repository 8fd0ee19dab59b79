"""The one exception hierarchy of the terminal daemon.

Everything the daemon raises on purpose derives from :class:`TerminalError`, so the
command line can print a clear sentence instead of a traceback, and library errors
(aiohttp, OSError, tomllib) are translated at the boundary with ``raise ... from``.
"""

from __future__ import annotations


class TerminalError(Exception):
    """Base of every error the terminal daemon raises on purpose."""


class ConfigError(TerminalError):
    """A configuration value is missing or invalid; ``key`` names it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"config {key!r}: {message}")
        self.key = key


class EnrollmentError(TerminalError):
    """The console refused an enrollment code; ``code`` is the console's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class NotEnrolledError(TerminalError):
    """No credential is stored yet: run ``bt-terminal enroll --code CODE`` first."""


class CredentialRefusedError(TerminalError):
    """The console refused the stored credential at the WebSocket handshake (HTTP 401)."""


class MediaError(TerminalError):
    """A media leg could not be built, offered or answered."""


class PhotoUploadError(TerminalError):
    """A document photo could not be uploaded; ``retry`` says whether trying again may help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class CameraError(TerminalError):
    """The camera could not be opened, or a still could not be taken; the text says why."""


class PrinterError(TerminalError):
    """A print job could not be fetched, checked, submitted or followed; the text says why."""


class AudioError(TerminalError):
    """An audio device or file could not be opened, read or written."""


class CardReaderError(TerminalError):
    """The PC/SC service or a reader is unavailable; the watcher retries with backoff."""
