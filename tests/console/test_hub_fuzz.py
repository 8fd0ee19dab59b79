"""The hub as a state machine under fuzz: any message of either side, in any order, at any time.

Hypothesis connects and disconnects terminals and console pages of two municipalities,
sends every message type of both sides (naming the calls, queues and colleagues that exist
and some that do not) and lets time pass, thousands of steps a second with fake connections.
After every step: nothing raised, every message a connection got is one its side accepts,
no page or terminal of one municipality was sent anything naming the other's calls,
terminals or people, and the hub's indexes agree with each other. The same over real
sockets is tests/console/test_ws_fuzz.py; this one reaches the states that take many steps.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from console.directory import CaseworkerSpec, Directory, OfficeSpec, QueueSpec
from console.hub import CaseworkerIdentity, Hub, TerminalIdentity
from protocol.codec import encode
from protocol.messages import (
    MAX_MESSAGE_BYTES,
    CaseworkerToConsole,
    ConsoleToCaseworker,
    ConsoleToTerminal,
    Message,
    Queued,
    QueueUpdate,
    TerminalToConsole,
)
from tests.protocol.strategies import any_message

TERMINALS = {
    "t1": TerminalIdentity("t1", "Rathaus Aldorf", 1, "Aldorf", office_id=1),
    "t2": TerminalIdentity("t2", "Laden Aldorf", 1, "Aldorf", office_id=1),
    "tb": TerminalIdentity("tb", "Rathaus Bestadt", 2, "Bestadt", office_id=2),
}
PEOPLE = {
    1: CaseworkerIdentity(1, "Alice Aldorf", 1, "Aldorf"),
    2: CaseworkerIdentity(2, "Anton Aldorf", 1, "Aldorf"),
    3: CaseworkerIdentity(3, "Bert Bestadt", 2, "Bestadt"),
}
DIRECTORY = Directory.build(
    offices=[OfficeSpec(1, 1, "Aldorf"), OfficeSpec(2, 2, "Bestadt")],
    queues=[
        QueueSpec(11, 1, 1, "Pass", wrap_up_s=5, ring_s=3, answer_limit_s=40),
        QueueSpec(12, 1, 1, "Kasse", routing="ring_all", wrap_up_s=0, ring_s=5, position=1),
        QueueSpec(21, 2, 2, "Alles", wrap_up_s=2, ring_s=4, answer_limit_s=30),
    ],
    caseworkers=[CaseworkerSpec(i, p.municipality_id, p.display_name) for i, p in PEOPLE.items()],
    memberships={1: [11, 12], 2: [12], 3: [21]},
)
OWN_WORDS = {1: "Aldorf", 2: "Bestadt"}
TERMINAL_TYPES = TerminalToConsole.__args__
CASEWORKER_TYPES = CaseworkerToConsole.__args__
_to_terminal = msgspec.json.Decoder(ConsoleToTerminal)
_to_caseworker = msgspec.json.Decoder(ConsoleToCaseworker)
CALL_IDS = [f"call-{n:03d}-id" for n in range(12)]
"""The hub numbers its calls so (see HubMachine); the messages name the first twelve."""
NAMES = {
    "call_id": st.sampled_from([*CALL_IDS, "no-such-call"]),
    "to_caseworker_id": st.sampled_from([1, 2, 3, 99]),
    "queue_id": st.sampled_from([11, 12, 21, 99]),
    "to_queue_id": st.sampled_from([11, 12, 21, 99]),
    "request_id": st.sampled_from(["r1", "r2", "bad id"]),
}
TERMINAL_MESSAGES = any_message(TERMINAL_TYPES, NAMES)
CASEWORKER_MESSAGES = any_message(CASEWORKER_TYPES, NAMES)


class Conn:
    """A fake connection that keeps what it was sent, encoded as the socket would send it."""

    def __init__(self, municipality_id: int, side: str) -> None:
        self.municipality_id = municipality_id
        self.side = side
        self.sent: list[str] = []
        self.closed: int | None = None

    def send(self, message: Message) -> None:
        self.sent.append(encode(message))

    def close(self, code: int, reason: str = "") -> None:
        self.closed = code


class HubMachine(RuleBasedStateMachine):
    """Two municipalities around one hub; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1_000_000.0
        numbers = iter(range(10**6))
        self.hub = Hub(
            clock=lambda: self.now,
            directory=DIRECTORY,
            new_call_id=lambda: f"call-{next(numbers):03d}-id",
        )
        self.terminals: dict[str, Conn] = {}
        self.pages: list[tuple[int, Conn]] = []
        self.calls: dict[str, int] = {}
        """Every call id the hub handed out, and its municipality."""
        self.checked: dict[int, int] = {}

    # --- connections ----------------------------------------------------------------------

    @rule(terminal_id=st.sampled_from(sorted(TERMINALS)))
    def connect_terminal(self, terminal_id: str) -> None:
        who = TERMINALS[terminal_id]
        conn = Conn(who.municipality_id, "terminal")
        self.hub.connect_terminal(who, conn, {"card_reader": "eid"}, "bt-terminal/0.1.0")
        self.terminals[terminal_id] = conn

    @precondition(lambda self: self.terminals)
    @rule(data=st.data())
    def disconnect_terminal(self, data: st.DataObject) -> None:
        terminal_id = data.draw(st.sampled_from(sorted(self.terminals)))
        self.hub.disconnect_terminal(terminal_id, self.terminals.pop(terminal_id))

    @rule(caseworker_id=st.sampled_from(sorted(PEOPLE)))
    def open_page(self, caseworker_id: int) -> None:
        who = PEOPLE[caseworker_id]
        conn = Conn(who.municipality_id, "caseworker")
        self.hub.connect_caseworker(who, conn)
        self.pages.append((caseworker_id, conn))

    @precondition(lambda self: self.pages)
    @rule(data=st.data())
    def close_page(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.pages) - 1))
        _, conn = self.pages.pop(index)
        self.hub.disconnect_caseworker(conn)

    # --- messages and time ----------------------------------------------------------------

    @precondition(lambda self: self.terminals)
    @rule(data=st.data())
    def terminal_sends(self, data: st.DataObject) -> None:
        terminal_id = data.draw(st.sampled_from(sorted(self.terminals)))
        message = data.draw(TERMINAL_MESSAGES)
        self.hub.from_terminal(terminal_id, self.terminals[terminal_id], message)

    @precondition(lambda self: self.pages)
    @rule(data=st.data())
    def page_sends(self, data: st.DataObject) -> None:
        _, conn = self.pages[data.draw(st.integers(0, len(self.pages) - 1))]
        self.hub.from_caseworker(conn, data.draw(CASEWORKER_MESSAGES))

    @rule(seconds=st.sampled_from([0.5, 1.0, 3.0, 11.0, 45.0]))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds
        self.hub.tick(self.now)

    # --- what holds after every step --------------------------------------------------------

    def _conns(self) -> list[Conn]:
        return [*self.terminals.values(), *(conn for _, conn in self.pages)]

    @invariant()
    def answers_are_valid_and_stay_in_their_municipality(self) -> None:
        for call in self.hub._calls.values():
            self.calls.setdefault(call.call_id, call.terminal.municipality_id)
        for conn in self._conns():
            start = self.checked.get(id(conn), 0)
            for text in conn.sent[start:]:
                decoder = _to_terminal if conn.side == "terminal" else _to_caseworker
                message = decoder.decode(text)
                if conn.side == "terminal":
                    assert len(text.encode()) <= MAX_MESSAGE_BYTES, text[:200]
                self._learn(conn, message)
                other = OWN_WORDS[3 - conn.municipality_id]
                assert other not in text, (
                    f"{conn.side} of {conn.municipality_id} told: {text[:300]}"
                )
                for call_id, municipality_id in self.calls.items():
                    if municipality_id != conn.municipality_id:
                        assert call_id not in text, f"a call of {municipality_id}: {text[:300]}"
            self.checked[id(conn)] = len(conn.sent)

    def _learn(self, conn: Conn, message: Any) -> None:
        if isinstance(message, Queued) and conn.side == "terminal":
            self.calls.setdefault(message.call_id, conn.municipality_id)
        elif isinstance(message, QueueUpdate):
            for entry in message.entries:
                self.calls.setdefault(entry.call_id, conn.municipality_id)

    @invariant()
    def indexes_agree(self) -> None:
        hub = self.hub
        for terminal_id, call_id in hub._call_of_terminal.items():
            assert hub._calls[call_id].terminal.terminal_id == terminal_id
        for caseworker_id, call_id in hub._call_of_caseworker.items():
            call = hub._calls[call_id]
            assert call.caseworker is not None and call.caseworker.caseworker_id == caseworker_id
        for call in hub._calls.values():
            assert hub._call_of_terminal.get(call.terminal.terminal_id) == call.call_id
            if call.caseworker is not None:
                assert call.caseworker.municipality_id == call.terminal.municipality_id
        for caseworker_id, call_id in hub._offer_of.items():
            assert call_id in hub._calls and caseworker_id in hub._calls[call_id].offers
            assert (
                PEOPLE[caseworker_id].municipality_id
                == hub._calls[call_id].terminal.municipality_id
            )
        assert hub.terminals_online == len(self.terminals)
        assert hub.caseworkers_online == len({cid for cid, _ in self.pages})


HubMachine.TestCase.settings = settings(deadline=None, stateful_step_count=60)
LONG_RUN = settings.default.max_examples > 200  # --hypothesis-profile=fuzz: ten minutes here
test_hub_under_fuzz = pytest.mark.timeout(3600 if LONG_RUN else 120)(HubMachine.TestCase)
