"""Smoke run of bench/bus_redis.py: 200 calls written behind, ten round trips each way."""

from __future__ import annotations

import pytest

from tests.bench.running import finite, run_bench


@pytest.mark.timeout(300)
def test_bus_redis_prints_each_round_trip_beside_its_reference() -> None:
    figures = run_bench("bus_redis.py", "--rounds", "10", "--calls", "200", timeout=240)
    assert finite(figures["bus_redis.write_behind_median"]) > 0
    assert finite(figures["bus_redis.write_behind_uncached_median"]) > 0
    medians = {}
    for name in ("in_process", "owner", "forwarded"):
        medians[name] = finite(figures[f"bus_redis.{name}_median"])
        assert 0 < medians[name] <= finite(figures[f"bus_redis.{name}_p95"]) < 5_000
        assert figures[f"bus_redis.{name}_p95"].reference == "20 round trips"
    assert f"{medians['in_process']:.2f} ms" in figures["bus_redis.owner_median"].reference
    forwarded = figures["bus_redis.forwarded_median"].reference
    assert f"owner's own in this run: {medians['owner']:.2f} ms" in forwarded


def test_the_command_line_refuses_nothing_to_measure() -> None:
    from bench.bus_redis import parse_args

    assert parse_args([]).rounds == 200
    for wrong in (["--rounds", "0"], ["--calls", "0"]):
        with pytest.raises(SystemExit):
            parse_args(wrong)
