"""Smoke run of bench/call_rate.py: three pairs for three seconds on one and on two instances."""

from __future__ import annotations

import pytest

from tests.bench.running import finite, run_bench


@pytest.mark.timeout(300)
def test_call_rate_completes_calls_on_one_and_across_two_instances() -> None:
    figures = run_bench("call_rate.py", "--pairs", "3", "--duration", "3", timeout=240)
    one = finite(figures["call_rate.one_instance.calls_per_s"])
    for phase in ("one_instance", "two_instances", "two_instances_mixed"):
        name = f"call_rate.{phase}"
        assert finite(figures[f"{name}.calls_per_s"]) > 1
        median = finite(figures[f"{name}.setup_median"])
        assert 0 < median <= finite(figures[f"{name}.setup_p95"]) < 10_000
        assert figures[f"{name}.errors"].value == 0
    assert 0 < finite(figures["call_rate.one_instance.console_cpu"]) <= 100
    for phase in ("two_instances", "two_instances_mixed"):
        name = f"call_rate.{phase}"
        # Both instances worked: the owner routed, the other carried its sockets' messages.
        assert 0 < finite(figures[f"{name}.owner_cpu"]) <= 100
        assert 0 < finite(figures[f"{name}.other_cpu"]) <= 100
        assert finite(figures[f"{name}.redis_cpu"]) > 0
        # Printed beside the single instance's figure of the same run.
        assert f"{one:.0f} calls/s" in figures[f"{name}.calls_per_s"].reference
        ratio = finite(figures[f"{name}.vs_one_instance"])
        assert ratio == pytest.approx(finite(figures[f"{name}.calls_per_s"]) / one, rel=0.02)


def test_the_command_line_takes_instance_counts_and_layouts() -> None:
    from bench.call_rate import parse_args, phases

    args = parse_args([])
    assert [p.name for p in phases(args.instances, args.layouts)] == [
        "one_instance", "two_instances", "two_instances_mixed",
    ]  # fmt: skip
    args = parse_args(["--instances", "2", "--layouts", "mixed"])
    assert [(p.instances, p.layout) for p in phases(args.instances, args.layouts)] == [(2, "mixed")]
    for wrong in (["--instances", "3"], ["--instances", "x"], ["--layouts", "ring"],
                  ["--pairs", "0"], ["--console-cpus", "999"]):  # fmt: skip
        with pytest.raises(SystemExit):
            parse_args(wrong)


def test_mixed_places_pairs_in_all_four_ways_split_crosses_every_pair() -> None:
    from pathlib import Path

    from bench.call_rate import phases
    from bench.lib.deployment import Deployment
    from tests.e2e.harness import Console

    a, b = Console(Path("a"), port=1), Console(Path("b"), port=2)
    deployment = Deployment([a, b], owner=b, redis=None)
    single, split, mixed = phases([1, 2], ["split", "mixed"])
    assert single.placements(deployment, 4) == [(b, b)] * 4
    assert (
        split.placements(deployment, 4) == [(a, b)] * 4
    )  # pages on the other, terminals on the owner
    placed = mixed.placements(deployment, 8)
    assert sorted((page.port, term.port) for page, term in placed) == sorted(
        [(1, 1), (1, 2), (2, 1), (2, 2)] * 2
    )
