"""Encoding and validating signaling messages.

One decoder per direction, built once: a message that is not JSON, is too large,
names an unknown ``type`` or a field of the wrong shape becomes a
:class:`ProtocolError` with a stable ``code`` that the receiver sends back in an
``error`` message, instead of an exception escaping into a connection handler.

JSON nested deeper than the interpreter's recursion limit (64 KiB hold 32,768 levels of
``[[[...]]]``) makes msgspec raise :class:`RecursionError`, not a DecodeError, both in
the typed decoder (when the tag is not the first key) and in the classification below: it
is refused as ``malformed`` too (found by tests/protocol/test_codec_fuzz.py).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from protocol.messages import (
    MAX_MESSAGE_BYTES,
    CaseworkerToConsole,
    ConsoleToCaseworker,
    ConsoleToTerminal,
    Message,
    TerminalToConsole,
)

T = TypeVar("T")
MAX_ECHO_CHARS = 40
"""Longest part of a sender's ``type`` quoted back in an error message."""
MAX_DETAIL_CHARS = 300
"""Longest validation detail (field path and reason) in an error message."""


class ProtocolError(Exception):
    """A message was refused; ``code`` is one of the stable codes below."""

    TOO_LARGE = "too_large"
    MALFORMED = "malformed"
    UNKNOWN_TYPE = "unknown_type"
    INVALID = "invalid"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_encoder = msgspec.json.Encoder()


def encode(message: Message) -> str:
    """Serialize a message to the JSON text sent over the WebSocket."""
    return _encoder.encode(message).decode()


class Decoder(Generic[T]):
    """Validates incoming text or bytes against the union a receiver accepts."""

    def __init__(self, union: Any) -> None:
        self._decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(union)

    def decode(self, data: str | bytes) -> T:
        """Decode one message or raise :class:`ProtocolError`."""
        try:
            raw = data.encode() if isinstance(data, str) else data
        except UnicodeEncodeError as err:  # lone surrogates cannot be UTF-8
            raise ProtocolError(ProtocolError.MALFORMED, "message is not valid UTF-8") from err
        if len(raw) > MAX_MESSAGE_BYTES:
            raise ProtocolError(
                ProtocolError.TOO_LARGE,
                f"message of {len(raw)} bytes exceeds the limit of {MAX_MESSAGE_BYTES}",
            )
        try:
            return self._decoder.decode(raw)  # type: ignore[no-any-return]
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as err:
            raise _classify(raw, err) from err


def _classify(raw: bytes, err: Exception) -> ProtocolError:
    """Tell malformed JSON, an unknown type and an invalid field apart."""
    try:
        obj = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        # msgspec raises UnicodeDecodeError, not DecodeError, for invalid UTF-8 in a string.
        return ProtocolError(ProtocolError.MALFORMED, "message is not valid JSON")
    except RecursionError:
        return ProtocolError(ProtocolError.MALFORMED, "message is nested too deeply")
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        return ProtocolError(
            ProtocolError.MALFORMED, "message must be a JSON object with a string 'type'"
        )
    text = str(err)
    kind = _quoted(obj["type"])
    if "Invalid value" in text and "`$.type`" in text:
        return ProtocolError(
            ProtocolError.UNKNOWN_TYPE, f"unknown or not allowed message type {kind}"
        )
    if len(text) > MAX_DETAIL_CHARS:  # msgspec quotes the offending value (an enum's) whole
        text = text[:MAX_DETAIL_CHARS] + "..."
    return ProtocolError(ProtocolError.INVALID, f"invalid {kind} message: {text}")


def _quoted(kind: str) -> str:
    """The sender's ``type`` for an error message, cut short: echoed whole, a 60 KiB type
    of characters that repr escapes came back as an error over the 64 KiB limit (fuzzing)."""
    return repr(kind[:MAX_ECHO_CHARS]) + ("..." if len(kind) > MAX_ECHO_CHARS else "")


def terminal_decoder() -> Decoder[TerminalToConsole]:
    """Decoder the console uses for messages from terminals."""
    return Decoder(TerminalToConsole)


def caseworker_decoder() -> Decoder[CaseworkerToConsole]:
    """Decoder the console uses for messages from caseworker browsers."""
    return Decoder(CaseworkerToConsole)


def to_terminal_decoder() -> Decoder[ConsoleToTerminal]:
    """Decoder the terminal uses for messages from the console."""
    return Decoder(ConsoleToTerminal)


def to_caseworker_decoder() -> Decoder[ConsoleToCaseworker]:
    """Decoder for messages the console sends to caseworkers (used in tests)."""
    return Decoder(ConsoleToCaseworker)
