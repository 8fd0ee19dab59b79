"""TOTP second factor (RFC 6238): 6 digits, 30 s steps, one step of clock drift either way.

A code is matched to its time step so the caller can accept each step once only (the
store keeps ``totp_last_step``): a code seen over someone's shoulder or replayed from a
proxy log is useless once used. Three steps are tried (90 s of validity), the window
authenticator apps and RFC 6238 section 5.2 recommend for phones whose clocks drift. The
setup QR code is an inline SVG ``data:`` URI, so the secret never leaves the page for an
external QR service and the CSP (``img-src 'self' data:``) allows it.
"""

from __future__ import annotations

import base64
import hmac
import io
import time

import pyotp
import qrcode
import qrcode.image.svg

STEP_S = 30
WINDOW = 1
"""Steps accepted before and after the current one."""
DIGITS = 6
ISSUER = "Bürgerterminal"


def new_secret() -> str:
    """A fresh random base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def current_step(now: float | None = None) -> int:
    """The time step of ``now`` (seconds since the epoch)."""
    return int((time.time() if now is None else now) // STEP_S)


def code_at(secret: str, step: int) -> str:
    """The code of one time step (for tests and the authenticator side)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).at(step * STEP_S)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to within the window, or None if it matches none."""
    code = "".join(code.split())
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return None
    step = current_step(now)
    found = None
    for candidate in range(step - WINDOW, step + WINDOW + 1):
        if hmac.compare_digest(code_at(secret, candidate), code):
            found = candidate  # keep looking: constant work whatever matched
    return found


def provisioning_uri(secret: str, account: str, municipality: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    label = f"{ISSUER} {municipality}"
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(
        name=account, issuer_name=label
    )


def qr_data_uri(uri: str) -> str:
    """The URI as an SVG QR code in a ``data:`` URI for an ``<img src>``."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def grouped(secret: str) -> str:
    """The secret in groups of four for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
