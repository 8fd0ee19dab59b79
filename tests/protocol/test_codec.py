"""The signaling schema: what each side accepts, and how it refuses the rest."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol import (
    MAX_MESSAGE_BYTES,
    Decoder,
    ProtocolError,
    caseworker_decoder,
    encode,
    terminal_decoder,
    to_caseworker_decoder,
    to_terminal_decoder,
)
from protocol.messages import (
    Answered,
    CallRequest,
    Ended,
    Hello,
    IceServer,
    QueueEntry,
    QueueUpdate,
    RtcOffer,
    Welcome,
)


def refused(decoder: Decoder[Any], data: str | bytes) -> str:
    """Decode expecting a refusal; return its code."""
    with pytest.raises(ProtocolError) as info:
        decoder.decode(data)
    return info.value.code


def test_round_trip_of_a_call_offer() -> None:
    msg = RtcOffer(call_id="c1", leg="camera", sdp="v=0\r\n")
    assert terminal_decoder().decode(encode(msg)) == msg


def test_welcome_omits_absent_turn_credentials() -> None:
    text = encode(
        Welcome(
            protocol=1,
            name="Rathaus",
            municipality="Musterstadt",
            ice_servers=[IceServer(urls=["stun:stun.example.org"])],
            heartbeat_s=15.0,
        )
    )
    assert json.loads(text)["ice_servers"] == [{"urls": ["stun:stun.example.org"]}]
    assert isinstance(to_terminal_decoder().decode(text), Welcome)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("not json", "malformed"),
        ("[1, 2]", "malformed"),
        ('{"no": "type"}', "malformed"),
        ('{"type": 5}', "malformed"),
        ('{"type": "launch.missiles"}', "unknown_type"),
        ('{"type": "call.cancel"}', "invalid"),
        ('{"type": "ping", "seq": "one"}', "invalid"),
        ('{"type": "rtc.offer", "call_id": "c", "leg": "side", "sdp": ""}', "invalid"),
        ('{"type": "call.request", "extra": 1}', "invalid"),
    ],
)
def test_terminal_messages_refused_with_a_stable_code(data: str, code: str) -> None:
    assert refused(terminal_decoder(), data) == code


def test_a_terminal_may_not_answer_calls() -> None:
    # call.answer is a caseworker's message: a terminal sending it is refused as unknown.
    data = '{"type": "call.answer", "call_id": "c1"}'
    assert refused(terminal_decoder(), data) == "unknown_type"
    assert caseworker_decoder().decode(data).call_id == "c1"  # type: ignore[union-attr]


def test_a_caseworker_may_not_request_calls() -> None:
    assert refused(caseworker_decoder(), encode(CallRequest())) == "unknown_type"


def test_oversized_message_refused_before_parsing() -> None:
    big = json.dumps(
        {"type": "rtc.offer", "call_id": "c", "leg": "camera", "sdp": "x" * MAX_MESSAGE_BYTES}
    )
    assert refused(terminal_decoder(), big) == "too_large"


def test_message_just_under_the_limit_accepted() -> None:
    head = '{"type":"rtc.offer","call_id":"c","leg":"camera","sdp":"'
    sdp = "x" * (MAX_MESSAGE_BYTES - len(head) - 2)
    msg = terminal_decoder().decode(head + sdp + '"}')
    assert isinstance(msg, RtcOffer)


def test_queue_update_for_caseworkers() -> None:
    msg = QueueUpdate(
        now=100.0,
        entries=[
            QueueEntry(
                call_id="c", terminal_id="t", terminal_name="Rathaus", since=90.0, waited_s=10.0
            )
        ],
    )
    assert to_caseworker_decoder().decode(encode(msg)) == msg


def test_end_reasons_are_closed() -> None:
    ok = encode(Ended(call_id="c", reason="cancelled"))
    assert isinstance(to_terminal_decoder().decode(ok), Ended)
    assert refused(to_terminal_decoder(), ok.replace("cancelled", "bored")) == "invalid"


def test_answered_carries_ice_servers() -> None:
    msg = Answered(
        call_id="c",
        caseworker="Frau Schmidt",
        ice_servers=[IceServer(urls=["turn:turn.example.org"], username="u", credential="p")],
    )
    assert to_terminal_decoder().decode(encode(msg)) == msg


@pytest.mark.parametrize("data", [b'"\x80"', b'{"type": "ping", "seq": "\xff"}', "\ud800"])
def test_invalid_utf8_is_malformed_not_a_crash(data: str | bytes) -> None:
    # Found by the property test below: msgspec raises UnicodeDecodeError for these.
    for decoder in (terminal_decoder(), caseworker_decoder()):
        assert refused(decoder, data) in {"malformed", "invalid"}


@given(st.binary(max_size=512))
def test_any_bytes_are_accepted_or_refused_cleanly(data: bytes) -> None:
    for decoder in (terminal_decoder(), caseworker_decoder()):
        try:
            decoder.decode(data)
        except ProtocolError as err:
            assert err.code in {"malformed", "unknown_type", "invalid", "too_large"}


@given(st.text(max_size=64), st.integers(min_value=0, max_value=2**31))
def test_hello_round_trips(software: str, version: int) -> None:
    msg = Hello(protocol=version, software=software, parts={"camera": "ok"})
    assert terminal_decoder().decode(encode(msg)) == msg
