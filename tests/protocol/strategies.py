"""Hypothesis strategies for every signaling message, built from the schema itself.

Valid messages come from ``msgspec.inspect``, so a new message type or field is fuzzed
without touching this file: every string, number, literal, list and optional field of
every struct in the four direction unions. Fields named like the objects they point at
(``call_id``, ``queue_id``, ``to_caseworker_id``, ...) can draw from a pool of real ids
(``names``), so the live tests aim at real calls, queues and colleagues of both
municipalities instead of ids nobody has. Malformed input: tests/protocol/mutations.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, get_args

import msgspec
import msgspec.inspect as mi
from hypothesis import strategies as st

from protocol.codec import (
    Decoder,
    caseworker_decoder,
    terminal_decoder,
    to_caseworker_decoder,
    to_terminal_decoder,
)
from protocol.messages import (
    MAX_MESSAGE_BYTES,
    CaseworkerToConsole,
    ConsoleToCaseworker,
    ConsoleToTerminal,
    Message,
    TerminalToConsole,
)

CODES = frozenset({"malformed", "unknown_type", "invalid", "too_large"})
"""The codec's documented refusal codes (docs/protocol.md, "Error codes")."""

Names = Mapping[str, st.SearchStrategy[Any]]
"""Field name -> strategy for its value, mixed in with the schema's own values."""


@dataclass(frozen=True)
class Direction:
    """One receiver: its decoder and the message types it accepts."""

    name: str
    decoder: Callable[[], Decoder[Any]]
    types: tuple[type[Message], ...]


DIRECTIONS = (
    Direction("terminal->console", terminal_decoder, get_args(TerminalToConsole)),
    Direction("caseworker->console", caseworker_decoder, get_args(CaseworkerToConsole)),
    Direction("console->terminal", to_terminal_decoder, get_args(ConsoleToTerminal)),
    Direction("console->caseworker", to_caseworker_decoder, get_args(ConsoleToCaseworker)),
)
ALL_TYPES: tuple[type[Message], ...] = tuple(
    sorted({t for d in DIRECTIONS for t in d.types}, key=lambda t: t.__name__)
)
INT64 = (-(2**63), 2**63 - 1)


def tag(cls: type[Message]) -> str:
    """The ``type`` a message class is sent with."""
    found = cls.__struct_config__.tag
    assert isinstance(found, str)
    return found


# --- valid values, from the schema -------------------------------------------------------


def huge_text(
    min_size: int = 1_000, max_size: int = 2 * MAX_MESSAGE_BYTES
) -> st.SearchStrategy[str]:
    """Long strings cheaply: one character repeated (hypothesis' own buffer is ~8 KiB)."""
    return st.builds(
        lambda c, n: c * n, st.characters(codec="utf-8"), st.integers(min_size, max_size)
    )


def _text(info: mi.StrType) -> st.SearchStrategy[str]:
    lo, hi = info.min_length or 0, info.max_length
    if info.pattern is not None:
        found = st.from_regex(info.pattern, fullmatch=True)
        return found.filter(lambda s: lo <= len(s) and (hi is None or len(s) <= hi))
    small = st.text(min_size=lo, max_size=min(hi, 40) if hi is not None else 40)
    if hi is not None and hi <= 40:
        return small
    big = huge_text(max(lo, 41), hi if hi is not None else 2 * MAX_MESSAGE_BYTES)
    return st.one_of(small, small, small, small, small, small, small, big)


def _integer(info: mi.IntType) -> st.SearchStrategy[int]:
    lo = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else INT64[0])
    hi = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else INT64[1])
    return st.one_of(st.integers(max(lo, -5), min(hi, 100)), st.integers(lo, hi))


def values(info: mi.Type, names: Names = {}) -> st.SearchStrategy[Any]:  # noqa: B006
    """Python values that the schema type ``info`` accepts."""
    if isinstance(info, mi.StrType):
        return _text(info)
    if isinstance(info, mi.IntType):
        return _integer(info)
    if isinstance(info, mi.FloatType):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(info, mi.BoolType):
        return st.booleans()
    if isinstance(info, mi.NoneType):
        return st.none()
    if isinstance(info, mi.LiteralType):
        return st.sampled_from(info.values)
    if isinstance(info, mi.UnionType):
        return st.one_of([values(t, names) for t in info.types])
    if isinstance(info, mi.ListType):
        hi = info.max_length if info.max_length is not None else 3
        return st.lists(values(info.item_type, names), min_size=info.min_length or 0, max_size=hi)
    if isinstance(info, mi.DictType):
        keys, items = values(info.key_type, names), values(info.value_type, names)
        return st.dictionaries(keys, items, max_size=info.max_length or 4)
    if isinstance(info, mi.StructType):
        return structs(info, names)
    raise NotImplementedError(f"no strategy for {info!r}: add one to tests/protocol/strategies")


def structs(info: mi.StructType, names: Names = {}) -> st.SearchStrategy[Any]:  # noqa: B006
    """Instances of a struct: every required field, any subset of the optional ones."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for f in info.fields:
        own = values(f.type, names)
        if f.name in names:  # a real id, or the schema's own value
            own = st.one_of(names[f.name], own)
        (required if f.required else optional)[f.name] = own
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: info.cls(**kw))


def messages(cls: type[Message], names: Names = {}) -> st.SearchStrategy[Message]:  # noqa: B006
    """Valid instances of one message type (possibly over the size limit: see ``fits``)."""
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    return structs(info, names)


def any_message(
    types: tuple[type[Message], ...] = ALL_TYPES,
    names: Names = {},  # noqa: B006
) -> st.SearchStrategy[Message]:
    """A valid message of any of ``types``."""
    return st.one_of([messages(t, names) for t in types])


def fits(message: Message) -> bool:
    """Whether a message is within the protocol's size limit."""
    return len(msgspec.json.encode(message)) <= MAX_MESSAGE_BYTES
