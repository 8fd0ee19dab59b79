"""Smoke run of bench/idle_terminals.py: 50 terminals, a one-second heartbeat."""

from __future__ import annotations

import pytest

from tests.bench.running import finite, run_bench


@pytest.mark.timeout(300)
def test_idle_terminals_holds_every_terminal_and_prints_its_figures() -> None:
    figures = run_bench("idle_terminals.py", "--terminals", "50", "--heartbeat", "1",
                        "--duration", "3", timeout=240)  # fmt: skip
    assert figures["idle_terminals.held"].value == 50
    assert figures["idle_terminals.held"].unit == "terminals"
    median = finite(figures["idle_terminals.heartbeat_median"])
    p99 = finite(figures["idle_terminals.heartbeat_p99"])
    assert 0 < median <= p99 < 2000  # a pong slower than 2 heartbeats would be a lost link
    assert 1 < finite(figures["idle_terminals.memory_per_connection"]) < 2048  # KiB
    assert 0 < finite(figures["idle_terminals.console_cpu"]) <= 100
    assert finite(figures["idle_terminals.connect_rate"]) > 0
    assert "10000" in figures["idle_terminals.held"].reference


def test_too_few_terminals_or_too_short_a_run_are_refused() -> None:
    from bench.idle_terminals import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--terminals", "1"])
    with pytest.raises(SystemExit):
        parse_args(["--heartbeat", "15", "--duration", "5"])
