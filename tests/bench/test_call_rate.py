"""Smoke run of bench/call_rate.py: three pairs for three seconds."""

from __future__ import annotations

import pytest

from tests.bench.running import finite, run_bench


@pytest.mark.timeout(300)
def test_call_rate_completes_calls_without_errors() -> None:
    figures = run_bench("call_rate.py", "--pairs", "3", "--duration", "3", timeout=240)
    assert figures["call_rate.instances"].value == 1
    assert finite(figures["call_rate.calls_per_s"]) > 1
    median = finite(figures["call_rate.setup_median"])
    assert 0 < median <= finite(figures["call_rate.setup_p95"]) < 10_000
    assert figures["call_rate.errors"].value == 0
    assert 0 < finite(figures["call_rate.console_cpu"]) <= 100


def test_more_than_one_instance_waits_for_the_multi_instance_console() -> None:
    from bench.call_rate import parse_args

    assert parse_args(["--instances", "1"]).instances == 1
    with pytest.raises(SystemExit):
        parse_args(["--instances", "2"])
