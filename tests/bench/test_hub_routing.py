"""Smoke run of bench/hub_routing.py with ten municipalities."""

from __future__ import annotations

from tests.bench.running import finite, run_bench


def test_hub_routing_times_every_step() -> None:
    figures = run_bench("hub_routing.py", "--municipalities", "10", timeout=100)
    assert finite(figures["hub_routing.connect_terminal"]) > 0
    for step in ("call_request", "tick", "answer_hangup"):
        median = finite(figures[f"hub_routing.{step}.median"])
        assert 0 < median <= finite(figures[f"hub_routing.{step}.max"]) < 1e6  # under a second
        assert figures[f"hub_routing.{step}.median"].unit == "us"
