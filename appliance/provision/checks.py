"""Checks of single values in buergerterminal.toml, each failing with a sentence to act on.

The people who read these messages set up printers, routers and PCs, not this terminal:
every message says what the value must look like and, where it helps, what it is now
("must be 8 to 63 characters (it has 5)"). Secrets (the Wi-Fi password, the enrollment
code) are described by their length only, never repeated, because the messages go to the
screen, a file in /run and the journal.
"""

from __future__ import annotations

import base64
import binascii
import re
import ssl
import zoneinfo
from typing import Any, NamedTuple
from urllib.parse import urlsplit

SSH_KEY_TYPES = ("ssh-ed25519", "ssh-rsa")
SSH_ECDSA_PREFIX = "ecdsa-sha2-"
MAX_CODE_LENGTH = 64
"""The console refuses longer codes (console/routes/enroll.py)."""
MAX_NAME_LENGTH = 64
DEFAULT_COUNTRY = "DE"
"""Wi-Fi regulatory country when none is given: the terminals serve German municipalities."""

_CODE_CHARS = re.compile(r"[A-Za-z0-9 -]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Problem(NamedTuple):
    """One thing to fix in the file: the key (``wifi.psk``) and a sentence."""

    key: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key}: {self.fix}"


class Invalid(ValueError):
    """A value failed its check; the message is the sentence for :class:`Problem`."""


def _text(value: Any, example: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be text in double quotes, like {example}")
    return value.strip()


def check_url(value: Any) -> str:
    """The console's address: an http(s) URL with a host name."""
    text = _text(value, '"https://console.example.org"')
    url = urlsplit(text)
    if url.scheme not in ("http", "https"):
        hint = f' (did you mean "https://{text}"?)' if text and "://" not in text else ""
        raise Invalid(f"must start with https:// or http://{hint}")
    if not url.hostname or any(ch.isspace() for ch in text):
        raise Invalid('must be an address like "https://console.example.org" with no spaces')
    return text.rstrip("/")


def check_code(value: Any) -> str:
    """The one-time enrollment code from the console (``XXXX-XXXX-XXXX``)."""
    text = _text(value, '"K7PM-Q3XD-9HTW"')
    if not text:
        raise Invalid("is empty; copy the code shown in the console, or remove the line")
    if len(text) > MAX_CODE_LENGTH:
        raise Invalid(
            f"is too long ({len(text)} characters); the console's codes look like K7PM-Q3XD-9HTW"
        )
    if not _CODE_CHARS.fullmatch(text):
        raise Invalid("may only contain letters, digits and dashes, like K7PM-Q3XD-9HTW")
    return text


def check_name(value: Any) -> str:
    """A name for the terminal, kept on the terminal (shown at setup)."""
    text = _text(value, '"Rathaus Adorf, Eingang"')
    if not text:
        raise Invalid("is empty; give a name or remove the line")
    if len(text) > MAX_NAME_LENGTH:
        raise Invalid(f"must be at most {MAX_NAME_LENGTH} characters (it has {len(text)})")
    if _CONTROL.search(text):
        raise Invalid("must be on one line without tabs")
    return text


def check_timezone(value: Any) -> str:
    """An IANA time zone name known to zoneinfo (``Europe/Berlin``)."""
    text = _text(value, '"Europe/Berlin"')
    if text not in zoneinfo.available_timezones():
        raise Invalid(f'{text!r} is not a known time zone; use a name like "Europe/Berlin"')
    return text


def check_ssh_keys(value: Any) -> tuple[tuple[str, ...], list[str]]:
    """OpenSSH public keys (one text, several lines, or a list); returns (keys, problems)."""
    items: list[Any] = value if isinstance(value, list) else [value]
    lines: list[str] = []
    for item in items:
        if not isinstance(item, str):
            return (), ["must be a public key in double quotes, or a list of them in [ ]"]
        lines.extend(line.strip() for line in item.splitlines() if line.strip())
    if not lines:
        return (), ["is empty; put the contents of your .pub file here, or remove the line"]
    problems = []
    for number, line in enumerate(lines, 1):
        try:
            _check_ssh_line(line)
        except Invalid as err:
            where = f"key {number}: " if len(lines) > 1 else ""
            problems.append(f"{where}{err}")
    return tuple(lines), problems


def _check_ssh_line(line: str) -> None:
    if "PRIVATE KEY" in line:
        raise Invalid(
            "this is a private key: never copy it anywhere; use the public key "
            "(the file ending in .pub)"
        )
    parts = line.split(None, 2)
    kind = parts[0]
    if kind not in SSH_KEY_TYPES and not kind.startswith(SSH_ECDSA_PREFIX):
        raise Invalid(
            f"starts with {kind[:20]!r}; a public key starts with ssh-ed25519, "
            "ssh-rsa or ecdsa-sha2-nistp256 (copy the whole line of the .pub file)"
        )
    if len(parts) < 2:
        raise Invalid(f"has only the type {kind}; copy the whole line of the .pub file")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError) as err:
        raise Invalid(
            f"the key text after {kind} is damaged; copy the whole line of the .pub file again"
        ) from err
    size = int.from_bytes(blob[:4], "big")
    if blob[4 : 4 + size].decode("ascii", "replace") != kind or len(blob) < 4 + size + 4:
        raise Invalid(
            f"the key text does not belong to a {kind} key; copy the whole line of "
            "the .pub file again"
        )


def check_ssid(value: Any) -> str:
    """A Wi-Fi network name: 1 to 32 bytes."""
    if not isinstance(value, str):
        raise Invalid('must be the network name in double quotes, like "Rathaus-Gast"')
    size = len(value.encode("utf-8"))
    if not 1 <= size <= 32:
        extra = "; letters like ä, ö, ü and ß count as two" if size != len(value) else ""
        raise Invalid(f"must be 1 to 32 bytes long (it has {size}{extra})")
    return value


def check_psk(value: Any) -> str:
    """A WPA2/WPA3-Personal password: 8 to 63 characters, or 64 hex digits."""
    if not isinstance(value, str):
        raise Invalid("must be the Wi-Fi password in double quotes")
    if len(value) == 64:
        if not all(ch in "0123456789abcdefABCDEF" for ch in value):
            raise Invalid(
                "has 64 characters, so it must be a hex key (only 0-9 and a-f); "
                "a normal password has 8 to 63 characters"
            )
        return value
    if not 8 <= len(value) <= 63:
        raise Invalid(f"must be 8 to 63 characters (it has {len(value)})")
    if not all(" " <= ch <= "~" for ch in value):
        raise Invalid(
            "may only contain letters A-Z, digits, spaces and punctuation "
            "(no umlauts or other special letters)"
        )
    return value


def check_country(value: Any) -> str:
    """The Wi-Fi regulatory country as two letters (``DE``)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value.strip()):
        raise Invalid('must be two letters in double quotes, like "DE"')
    return value.strip().upper()


MAX_CA_CHARS = 64 * 1024


def check_ca_certificates(value: Any) -> str:
    """PEM certificates of the municipality's own CA (for update downloads), as one text."""
    if not isinstance(value, str):
        raise Invalid('must be the CA certificate in PEM form, in triple quotes: """-----BEGIN ...')
    text = value.strip().replace("\r\n", "\n")
    if len(text) > MAX_CA_CHARS:
        raise Invalid(f"is too long ({len(text)} characters; at most {MAX_CA_CHARS})")
    if "PRIVATE KEY" in text:
        raise Invalid("contains a private key: only the CA's certificate belongs here")
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise Invalid("must contain a certificate starting with -----BEGIN CERTIFICATE-----")
    try:
        ssl.create_default_context(cadata=text)
    except (ssl.SSLError, ValueError) as err:
        raise Invalid(f"is not a readable PEM certificate ({err})") from err
    return text + "\n"
