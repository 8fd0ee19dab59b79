"""Point libpcsclite at the test pcscd's socket before anything in this process uses it.

libpcsclite reads ``PCSCLITE_CSOCK_NAME`` once per process, at its first call, and any
terminal built by a test (card_reader defaults to ``pcsc``) makes that call; so the
variable is set here, at collection, for every test under tests/appliance.
"""

from __future__ import annotations

import contextlib
import os

from tests.appliance.cards.vpcd import SOCKET

os.environ["PCSCLITE_CSOCK_NAME"] = str(SOCKET)


def pytest_sessionfinish() -> None:
    """Remove the (empty) socket directory, or the symlink standing in for it."""
    directory = SOCKET.parent
    if directory.is_symlink():
        directory.unlink()
    elif directory.is_dir():
        with contextlib.suppress(OSError):
            directory.rmdir()
