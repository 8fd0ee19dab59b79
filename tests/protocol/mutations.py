"""Malformed signaling input for each receiver, and what it may answer.

Each mutation yields a :class:`Case`: the bytes or text sent and the refusal codes the
receiver may answer with (``OK`` where the mutation happens to stay valid, e.g. a wrong
type that the field accepts after all). The mutations: wrong types, missing and extra
fields, huge strings, deep nesting (in a field, before the tag, as the whole message),
invalid UTF-8, non-JSON and truncated JSON, oversized frames, and messages of the other
direction. Valid messages come from tests/protocol/strategies.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgspec
from hypothesis import strategies as st

from protocol.messages import MAX_MESSAGE_BYTES, Message
from tests.protocol.strategies import (
    ALL_TYPES,
    CODES,
    Direction,
    huge_text,
    messages,
    tag,
)

OK = "ok"
"""Pseudo-code of :class:`Case`: the input may also be accepted."""


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
