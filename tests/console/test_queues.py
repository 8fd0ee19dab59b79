"""Unit tests of the per-municipality FIFO queues."""

from __future__ import annotations

import pytest

from console.queues import CallQueues, Waiting


def item(n: int) -> Waiting:
    return Waiting(call_id=f"c{n}", terminal_id=f"t{n}", terminal_name=f"T{n}", since=float(n))


def test_fifo_positions_and_removal() -> None:
    q = CallQueues()
    assert [q.push(1, item(n)) for n in range(3)] == [1, 2, 3]
    assert q.position("c2") == 3
    assert q.remove("c0") == (1, 1)
    assert [w.call_id for w in q.waiting(1)] == ["c1", "c2"]
    assert q.position("c2") == 2
    assert q.remove("c0") is None
    assert "c1" in q and "c0" not in q
    assert len(q) == 2


def test_municipalities_are_separate() -> None:
    q = CallQueues()
    q.push(1, item(1))
    assert q.push(2, item(2)) == 1
    assert [w.call_id for w in q.waiting(1)] == ["c1"]
    assert [w.call_id for w in q.waiting(2)] == ["c2"]
    assert q.waiting(3) == []
    assert q.remove("c2") == (2, 1)
    assert q.waiting(2) == []


def test_same_call_twice_is_refused() -> None:
    q = CallQueues()
    q.push(1, item(1))
    with pytest.raises(ValueError):
        q.push(2, item(1))
