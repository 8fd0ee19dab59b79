"""The console's one exception hierarchy.

Everything the console raises on purpose derives from :class:`ConsoleError`, so the CLI
and the HTTP layer translate errors at one boundary each (exit code 2 with a message, or a
JSON ``{"error": {"code", "message"}}`` body) instead of leaking tracebacks. ``code`` is
stable and machine-readable; the text is for people.
"""

from __future__ import annotations


class ConsoleError(Exception):
    """Base of all errors the console raises deliberately."""

    code = "console_error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(ConsoleError):
    """The configuration file or an environment variable is invalid."""

    code = "config_invalid"


class StoreError(ConsoleError):
    """The database could not be reached or refused an operation."""

    code = "store_error"
    status = 503


class NotFoundError(ConsoleError):
    """A named municipality, caseworker or terminal does not exist."""

    code = "not_found"
    status = 404


class AlreadyExistsError(ConsoleError):
    """A unique name (municipality, username) is already taken."""

    code = "already_exists"
    status = 409


class ConflictError(ConsoleError):
    """A change would break an invariant (the last admin, an office still in use)."""

    code = "conflict"
    status = 409


class WeakPasswordError(ConsoleError):
    """A new password does not meet the minimum length."""

    code = "weak_password"
    status = 400


class EnrollmentError(ConsoleError):
    """An enrollment code was refused."""

    code = "enrollment_failed"
    status = 400


class CodeInvalidError(EnrollmentError):
    """No such enrollment code (typo or guess)."""

    code = "code_invalid"
    status = 404


class CodeUsedError(EnrollmentError):
    """The enrollment code was already redeemed."""

    code = "code_used"
    status = 409


class CodeExpiredError(EnrollmentError):
    """The enrollment code is past its expiry time."""

    code = "code_expired"
    status = 410


class UnauthorizedError(ConsoleError):
    """No valid session or API token came with the request."""

    code = "unauthorized"
    status = 401


class ForbiddenError(ConsoleError):
    """Signed in, but the role does not allow this operation."""

    code = "forbidden"
    status = 403


class InvalidInputError(ConsoleError):
    """A request body or parameter failed validation."""

    code = "invalid"
    status = 400
