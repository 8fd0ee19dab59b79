"""Property tests of the codec over every message type, valid and malformed (issue 7).

Two properties, for each of the four receivers (console from terminal, console from
caseworker, terminal, caseworker page): every valid message of a type it accepts
round-trips through ``encode`` and its decoder (or is refused as ``too_large`` when it is
over 64 KiB), and decoding anything at all either returns a message or raises the codec's
own :class:`ProtocolError` with one of its documented codes, the one the mutation calls
for (tests/protocol/mutations.py). Example counts come from the hypothesis profile
(tests/conftest.py): a hundred per property in ``make test``, 5,000 with
``--hypothesis-profile=fuzz``.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.codec import ProtocolError, encode
from protocol.messages import MAX_MESSAGE_BYTES
from tests.protocol.mutations import OK, Case, malformed, nested
from tests.protocol.strategies import (
    ALL_TYPES,
    CODES,
    DIRECTIONS,
    Direction,
    any_message,
    fits,
    tag,
)

BY_NAME = {d.name: d for d in DIRECTIONS}
VALID = {d.name: any_message(d.types) for d in DIRECTIONS}
MALFORMED = {d.name: malformed(d) for d in DIRECTIONS}
"""Built once: building a strategy per example costs more than the example."""


def outcome(direction: Direction, data: str | bytes) -> str:
    """``OK`` or the refusal code; anything else escaping the decoder fails the test."""
    try:
        direction.decoder().decode(data)
    except ProtocolError as err:
        assert err.code in CODES, f"undocumented code {err.code!r}"
        assert err.message, "a refusal says why"
        # ... briefly: the message goes back to the sender, a terminal takes 64 KiB at most.
        assert len(err.message.encode()) < 2048, err.message[:200]
        return err.code
    return OK


def test_every_message_type_is_covered() -> None:
    """Each type is accepted by some receiver, and each receiver refuses some type."""
    assert {t for d in DIRECTIONS for t in d.types} == set(ALL_TYPES)
    assert len({tag(t) for t in ALL_TYPES}) == len(ALL_TYPES), "tags are unique"
    for direction in DIRECTIONS:
        assert set(ALL_TYPES) - set(direction.types), direction.name


@pytest.mark.parametrize("name", list(BY_NAME))
@given(data=st.data())
def test_valid_messages_round_trip(name: str, data: st.DataObject) -> None:
    direction = BY_NAME[name]
    message = data.draw(VALID[name], label="message")
    text = encode(message)
    if fits(message):
        assert direction.decoder().decode(text) == message
    else:
        assert outcome(direction, text) == "too_large"


@pytest.mark.parametrize("name", list(BY_NAME))
@given(data=st.data())
def test_malformed_input_is_refused_with_a_documented_code(name: str, data: st.DataObject) -> None:
    direction = BY_NAME[name]
    case: Case = data.draw(MALFORMED[name], label="case")
    got = outcome(direction, case.data)
    assert got in case.expect, f"{case.what}: got {got}, expected one of {set(case.expect)}"


@pytest.mark.parametrize("name", list(BY_NAME))
@given(st.binary(max_size=2048) | st.text(max_size=2048))
def test_anything_at_all_is_a_message_or_a_refusal(name: str, data: str | bytes) -> None:
    outcome(BY_NAME[name], data)


@pytest.mark.parametrize("kind", ["array", "object", "mixed"])
@pytest.mark.parametrize("depth", [1_500, 9_000])
def test_deep_nesting_is_malformed_not_a_recursion_error(kind: str, depth: int) -> None:
    """Regression: msgspec raised RecursionError (found by the property above)."""
    deep = nested(depth, kind)
    for direction in DIRECTIONS:
        assert outcome(direction, deep) == "malformed"
        before_tag = '{"zz":' + deep + ',"type":"ping","seq":1}'
        assert outcome(direction, before_tag) in {"malformed", "invalid"}
        assert len(before_tag) <= MAX_MESSAGE_BYTES or outcome(direction, before_tag) == "too_large"
