"""Unit tests of the per-queue FIFO lines and their cross-queue order."""

from __future__ import annotations

import pytest

from console.queues import CallQueues


def test_fifo_positions_and_removal() -> None:
    q = CallQueues()
    assert [q.push(7, 1, f"c{n}", float(n)) for n in range(3)] == [1, 2, 3]
    assert q.position("c2") == 3 and q.queue_of("c2") == 7
    assert q.remove("c0") == (7, 1)
    assert q.waiting(7) == ["c1", "c2"]
    assert q.position("c2") == 2
    assert q.remove("c0") is None and q.position("c0") is None and q.queue_of("c0") is None
    assert "c1" in q and "c0" not in q
    assert len(q) == 2


def test_queues_and_municipalities_are_separate() -> None:
    q = CallQueues()
    q.push(7, 1, "a", 1.0)
    assert q.push(8, 1, "b", 2.0) == 1  # another queue of the same municipality
    assert q.push(9, 2, "x", 0.5) == 1  # another municipality
    assert q.waiting(7) == ["a"] and q.waiting(8) == ["b"] and q.waiting(10) == []
    assert q.of_municipality(1) == ["a", "b"]
    assert q.of_municipality(2) == ["x"]
    assert q.municipalities() == {1, 2}
    assert q.remove("x") == (9, 1)
    assert q.of_municipality(2) == [] and q.municipalities() == {1}


def test_front_goes_first_in_its_queue_and_across_queues() -> None:
    q = CallQueues()
    q.push(7, 1, "old", 10.0)
    q.push(8, 1, "other", 11.0)
    q.push(7, 1, "new", 12.0)
    # A call handed on at 20.0 that was first requested at 15.0 goes to the front of queue 7:
    assert q.push(7, 1, "handed", 15.0, front=True) == 1
    assert q.waiting(7) == ["handed", "old", "new"]
    assert q.position("old") == 2
    assert q.of_municipality(1) == ["handed", "old", "other", "new"]
    assert q.push(9, 1, "alone", 30.0, front=True) == 1  # front of an empty queue
    assert q.of_municipality(1)[-1] == "alone"  # across queues its request time counts


def test_same_call_twice_is_refused() -> None:
    q = CallQueues()
    q.push(7, 1, "c1", 1.0)
    with pytest.raises(ValueError):
        q.push(8, 1, "c1", 2.0)
