"""The certificates the terminal trusts for TLS connections it opens itself.

The system's CA store plus, when the file exists, the municipality's own CA
(``/data/config/ca.pem``, put there by provisioning from the boot partition): regional IT
services often run their update server and TURN relay with certificates of their own PKI.
One function, so the updater and the TURN-over-TLS relay trust exactly the same CAs.
Certificate and host name checks stay on (``ssl.create_default_context``).
"""

from __future__ import annotations

import ssl
from pathlib import Path


class TrustError(Exception):
    """The extra CA file exists but cannot be read or parsed; the text says which."""


def trust_context(extra_ca: Path | None = None) -> ssl.SSLContext:
    """A client context with the system CAs plus ``extra_ca`` when that file exists."""
    context = ssl.create_default_context()
    if extra_ca is not None and extra_ca.exists():
        try:
            context.load_verify_locations(cafile=str(extra_ca))
        except (OSError, ssl.SSLError) as err:
            raise TrustError(f"cannot load the CA file {extra_ca}: {err}") from err
    return context
