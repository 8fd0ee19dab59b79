"""Signaling protocol shared by the terminal (appliance) and the console."""

from protocol.codec import (
    Decoder,
    ProtocolError,
    caseworker_decoder,
    encode,
    terminal_decoder,
    to_caseworker_decoder,
    to_terminal_decoder,
)
from protocol.messages import MAX_MESSAGE_BYTES, PROTOCOL_VERSION

__all__ = [
    "MAX_MESSAGE_BYTES",
    "PROTOCOL_VERSION",
    "Decoder",
    "ProtocolError",
    "caseworker_decoder",
    "encode",
    "terminal_decoder",
    "to_caseworker_decoder",
    "to_terminal_decoder",
]
