"""Hypothesis strategies for every signaling message, valid and malformed.

Valid messages are built from the schema itself (``msgspec.inspect``), so a new message type
or field is fuzzed without touching this file: every string, number, literal, list and
optional field of every struct in the four direction unions. Fields named like the
objects they point at (``call_id``, ``queue_id``, ``to_caseworker_id``, ...) can draw from
a pool of real ids (``names``), so the live tests aim at real calls, queues and colleagues
of both municipalities instead of ids nobody has.

Malformed input comes as :class:`Case`: the bytes or text sent and the refusal codes the
receiver may answer with (``OK`` where the mutation happens to stay valid, e.g. a wrong
type that the field accepts after all). The mutations: wrong types, missing and extra
fields, huge strings, deep nesting (in a field, before the tag, as the whole message),
invalid UTF-8, non-JSON and truncated JSON, oversized frames, and messages of the other
direction.
"""

from __future__ import annotations

import json
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

OK = "ok"
"""Pseudo-code of :class:`Case`: the input may also be accepted."""
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


# --- malformed input ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """Input for a receiver and what it may answer: refusal codes, or ``OK``."""

    data: str | bytes
    expect: frozenset[str]
    what: str

    def __repr__(self) -> str:  # shrunk examples stay readable in a failure report
        head = f"{self.data[:200]!r}{'...' if len(self.data) > 200 else ''}"
        return f"Case({self.what}, {head}, {set(self.expect)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis' own printer
        printer.text(repr(self))


def _as_dict(message: Message) -> dict[str, Any]:
    found = json.loads(msgspec.json.encode(message))
    assert isinstance(found, dict)
    return found


def _dump(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _sized(data: str | bytes, expect: set[str], what: str) -> Case:
    """A case whose expectation gives way to too_large once it is over the limit."""
    size = len(data.encode() if isinstance(data, str) else data)
    return Case(data, frozenset({"too_large"} if size > MAX_MESSAGE_BYTES else expect), what)


JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
"""Any JSON value (integers beyond 64 bits included)."""


def _accepts(cls: type[Message], field: str, value: object) -> bool:
    """Whether ``field`` of ``cls`` takes ``value`` when it arrives as JSON."""
    annotation = next(f.type for f in msgspec.structs.fields(cls) if f.name == field)
    try:
        msgspec.json.decode(msgspec.json.encode(value), type=annotation)
    except msgspec.ValidationError:
        return False
    return True


@st.composite
def wrong_type(draw: st.DrawFn, direction: Direction) -> Case:
    """A message of the direction with one field replaced by any JSON value."""
    cls = draw(st.sampled_from([t for t in direction.types if msgspec.structs.fields(t)]))
    obj = _as_dict(draw(messages(cls)))
    field = draw(st.sampled_from([f.name for f in msgspec.structs.fields(cls)]))
    obj[field] = value = draw(JSON_VALUES)
    expect = {OK} if _accepts(cls, field, value) else {"invalid"}
    return _sized(_dump(obj), expect, f"wrong type of {tag(cls)}.{field}")


@st.composite
def missing_field(draw: st.DrawFn, direction: Direction) -> Case:
    """A message without one of its required fields."""
    choices = [t for t in direction.types if any(f.required for f in msgspec.structs.fields(t))]
    cls = draw(st.sampled_from(choices))
    obj = _as_dict(draw(messages(cls)))
    field = draw(st.sampled_from([f.name for f in msgspec.structs.fields(cls) if f.required]))
    del obj[field]
    return _sized(_dump(obj), {"invalid"}, f"{tag(cls)} without {field}")


@st.composite
def extra_field(draw: st.DrawFn, direction: Direction) -> Case:
    """A message with a field its type does not have."""
    cls = draw(st.sampled_from(direction.types))
    obj = _as_dict(draw(messages(cls)))
    known = {f.encode_name for f in msgspec.structs.fields(cls)} | {"type"}
    name = draw(st.text(max_size=12).filter(lambda n: n not in known))
    obj[name] = draw(JSON_VALUES)
    return _sized(_dump(obj), {"invalid"}, f"{tag(cls)} with extra {name!r}")


@st.composite
def huge_string(draw: st.DrawFn, direction: Direction) -> Case:
    """A message with one string field made long, often past the 64 KiB limit."""
    cls = draw(st.sampled_from(direction.types))
    obj = _as_dict(draw(messages(cls)))
    field = draw(st.sampled_from(sorted(obj)))
    obj[field] = value = draw(huge_text(MAX_MESSAGE_BYTES // 8, 2 * MAX_MESSAGE_BYTES))
    expect = {OK} if field != "type" and _accepts(cls, field, value) else {"invalid"}
    if field == "type":
        expect = {"unknown_type"}
    return _sized(_dump(obj), expect, f"huge {tag(cls)}.{field}")


def nested(depth: int, kind: str) -> str:
    """JSON nested ``depth`` levels: arrays, objects, or both alternating."""
    if kind == "array":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    half = depth // 2
    return '[{"a":' * half + "0" + "}]" * half


@st.composite
def deep_nesting(draw: st.DrawFn, direction: Direction) -> Case:
    """Deep JSON as the message, before the tag, in an extra field, or as a field's value."""
    depth = draw(st.sampled_from([2, 50, 900, 1_500, 20_000, 32_000]))
    deep = nested(depth, draw(st.sampled_from(["array", "object", "mixed"])))
    cls = draw(st.sampled_from(direction.types))
    obj = _as_dict(draw(messages(cls)))
    where = draw(st.sampled_from(["whole", "before tag", "extra field", "field"]))
    if where == "whole":
        return _sized(deep, {"malformed"}, f"nested {depth} deep")
    rest = _dump(obj)[1:-1]
    if where == "before tag":
        data = '{"zz":' + deep + "," + rest + "}"
    elif where == "extra field":
        data = "{" + rest + ',"zz":' + deep + "}"
    else:
        field = draw(
            st.sampled_from([f.encode_name for f in msgspec.structs.fields(cls)] or ["zz"])
        )
        obj.pop(field, None)
        inner = _dump(obj)[1:-1]
        data = "{" + inner + "," + _dump(field) + ":" + deep + "}"
    # Too deep for the decoder to say which field is wrong: then it is malformed.
    return _sized(data, {"invalid", "malformed"}, f"nested {depth} deep, {where}")


INVALID_UTF8 = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xf8\x88\x80\x80\x80",
    b"\x80",
]


@st.composite
def invalid_utf8(draw: st.DrawFn, direction: Direction) -> Case:
    """A valid message's bytes with a byte sequence that is not UTF-8 put in somewhere."""
    raw = msgspec.json.encode(draw(messages(draw(st.sampled_from(direction.types)))))
    at = draw(st.integers(0, len(raw)))
    data = raw[:at] + draw(st.sampled_from(INVALID_UTF8)) + raw[at:]
    return _sized(data, {"malformed"}, "invalid UTF-8")


@st.composite
def not_json(draw: st.DrawFn, direction: Direction) -> Case:
    """Random bytes, random text, truncated messages, JSON that is not a typed object."""
    kind = draw(st.sampled_from(["bytes", "text", "truncated", "not an object", "no type"]))
    if kind == "bytes":
        data: str | bytes = draw(st.binary(max_size=200))
        return Case(data, frozenset(CODES), "random bytes")  # may even be a valid message
    if kind == "text":
        return Case(draw(st.text(max_size=200)), frozenset(CODES), "random text")
    if kind == "truncated":
        raw = msgspec.json.encode(draw(messages(draw(st.sampled_from(direction.types)))))
        cut = draw(st.integers(0, len(raw) - 1))
        return _sized(raw[:cut], {"malformed"}, "truncated")
    if kind == "not an object":
        value = draw(JSON_VALUES.filter(lambda v: not isinstance(v, dict)))
        return Case(_dump(value), frozenset({"malformed"}), "JSON, not an object")
    obj = draw(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4))
    if "type" in obj and isinstance(obj["type"], str):
        obj["type"] = 5
    return Case(_dump(obj), frozenset({"malformed"}), "object without a string type")


@st.composite
def oversized(draw: st.DrawFn, direction: Direction) -> Case:
    """A valid message padded just past the limit (or far past it)."""
    cls = draw(st.sampled_from(direction.types))
    body = _dump(_as_dict(draw(messages(cls))))
    pad = MAX_MESSAGE_BYTES + draw(st.sampled_from([1, 2, 1000, MAX_MESSAGE_BYTES]))
    data = body[:-1] + ',"pad":"' + "x" * pad + '"}' if body != "{}" else "x" * pad
    return Case(data, frozenset({"too_large"}), f"oversized {tag(cls)}")


@st.composite
def wrong_direction(draw: st.DrawFn, direction: Direction) -> Case:
    """A valid message of a type this receiver does not accept (the other side's)."""
    foreign = [t for t in ALL_TYPES if t not in direction.types]
    message = draw(messages(draw(st.sampled_from(foreign))))
    return _sized(
        msgspec.json.encode(message).decode(),
        {"unknown_type"},
        f"{tag(type(message))} to {direction.name}",
    )


MUTATIONS = (
    wrong_type,
    missing_field,
    extra_field,
    huge_string,
    deep_nesting,
    invalid_utf8,
    not_json,
    oversized,
    wrong_direction,
)


def malformed(direction: Direction) -> st.SearchStrategy[Case]:
    """Any of the mutations above for one receiver."""
    return st.one_of([mutation(direction) for mutation in MUTATIONS])
