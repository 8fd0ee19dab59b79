"""Fetch an update bundle over HTTPS into a file, bounded in size, checked, never half-kept.

HTTPS only, also across redirects: the bundle's signature is checked by RAUC, but TLS
keeps the download from being swapped or truncated on the way and keeps the fleet's
update location private. Trust is the system's CA store plus an optional CA file
(``/data/config/ca.pem``) for a municipality's own PKI.

The bundle streams to ``<name>.part``; any failure (HTTP error, TLS, timeout, a server
that closes early, too large, wrong checksum) deletes it, so ``/data`` never fills up with
leftovers and a later attempt starts clean. ``http.client`` returns a short body without
an error when the server closes early, so the byte count is checked against
``Content-Length`` here.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from appliance.trust import TrustError, trust_context
from appliance.update.errors import DownloadError

CHUNK = 1 << 16
DEFAULT_MAX_BYTES = 4 << 30
"""4 GiB: two root file systems' worth of a compressed bundle, far below the data partition."""


def check_url(url: str) -> None:
    """Refuse anything but an ``https://`` URL with a host."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise DownloadError(f"refusing {url!r}: only https:// URLs are allowed for updates")


def ssl_context(extra_ca: Path | None = None) -> ssl.SSLContext:
    """The system CAs plus ``extra_ca`` when that file exists (:mod:`appliance.trust`)."""
    try:
        return trust_context(extra_ca)
    except TrustError as err:
        raise DownloadError(str(err)) from err


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to https:// URLs."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(
    url: str,
    dest: Path,
    *,
    context: ssl.SSLContext,
    max_bytes: int = DEFAULT_MAX_BYTES,
    sha256: str | None = None,
    timeout_s: float = 30.0,
) -> str:
    """Download ``url`` to ``dest`` (via ``dest.part``); returns the SHA-256 hex digest."""
    check_url(url)
    expected = _normalise_sha256(sha256)
    part = dest.with_name(dest.name + ".part")
    for stale in (part, dest):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _HttpsOnlyRedirects()
    )
    try:
        digest = _stream(opener, url, part, max_bytes=max_bytes, timeout_s=timeout_s)
        if expected is not None and digest != expected:
            raise DownloadError(f"checksum mismatch: expected sha256 {expected}, got {digest}")
        os.replace(part, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    return digest


def _normalise_sha256(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    text = value.strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise DownloadError(f"not a SHA-256 hex digest: {value!r}")
    return text


def _stream(
    opener: urllib.request.OpenerDirector, url: str, part: Path, *, max_bytes: int, timeout_s: float
) -> str:
    request = urllib.request.Request(url, headers={"User-Agent": "bt-update"})  # noqa: S310 - https checked
    digest = hashlib.sha256()
    received = 0
    length: int | None = None
    try:
        with opener.open(request, timeout=timeout_s) as response:
            length_header = response.headers.get("Content-Length")
            length = int(length_header) if length_header and length_header.isdigit() else None
            if length is not None and length > max_bytes:
                raise DownloadError(f"bundle is {length} bytes, more than the limit of {max_bytes}")
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out:
                while chunk := response.read(CHUNK):
                    received += len(chunk)
                    if received > max_bytes:
                        raise DownloadError(f"bundle exceeds the limit of {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
    except urllib.error.HTTPError as err:
        raise DownloadError(f"server answered {err.code} {err.reason} for {url}") from err
    except urllib.error.URLError as err:
        raise DownloadError(f"cannot reach {url}: {err.reason}") from err
    except (http.client.HTTPException, OSError) as err:
        raise DownloadError(f"download of {url} failed after {received} bytes: {err}") from err
    if length is not None and received != length:
        raise DownloadError(f"connection closed after {received} of {length} bytes")
    return digest.hexdigest()
