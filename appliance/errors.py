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
