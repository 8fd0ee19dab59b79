"""Errors of the update tools, under the terminal's one hierarchy.

The command lines print these as one sentence and exit non-zero; RAUC shows the
backend's stderr in its own error message, so the text must say what to fix.
"""

from __future__ import annotations

from appliance.errors import TerminalError


class UpdateError(TerminalError):
    """Base of every error the update tools raise on purpose."""


class BootConfigError(UpdateError):
    """autoboot.txt, the slot states or the boot information are missing or invalid."""


class DownloadError(UpdateError):
    """A bundle could not be fetched, was too large, or did not match its checksum."""


class InstallError(UpdateError):
    """``rauc install`` or the reboot into the try boot failed."""
