"""The figure line format every bench prints."""

from __future__ import annotations

import io
import math

import pytest

from bench.lib.figures import Figure, emit, median, parse, percentile


def test_a_figure_line_reads_back_as_the_figure() -> None:
    out = io.StringIO()
    emit("idle_terminals.heartbeat_p99", 12.3456, "ms", "goal < 100 ms (brief)", out)
    emit("call_rate.calls_per_s", 234.0, "calls/s", "this run", out)
    emit("glass.median", math.nan, "ms", "no frame could be read", out)
    lines = out.getvalue().splitlines()
    assert (
        lines[0]
        == "figure: idle_terminals.heartbeat_p99 12.3 ms (reference: goal < 100 ms (brief))"
    )
    assert lines[1] == "figure: call_rate.calls_per_s 234 calls/s (reference: this run)"
    figures = parse("heading\n" + out.getvalue() + "a note\n")
    assert [f.name for f in figures] == ["idle_terminals.heartbeat_p99", "call_rate.calls_per_s",
                                         "glass.median"]  # fmt: skip
    assert figures[0] == Figure("idle_terminals.heartbeat_p99", 12.3, "ms", "goal < 100 ms (brief)")
    assert math.isnan(figures[2].value)


def test_small_values_keep_their_digits_and_no_exponent_is_printed() -> None:
    assert Figure("a.b", 0.000123, "s", "r").line() == "figure: a.b 0.0001 s (reference: r)"
    assert (
        Figure("a.b", 1e13 + 0.5, "s", "r").line() == "figure: a.b 10000000000000 s (reference: r)"
    )


@pytest.mark.parametrize(
    ("name", "unit", "reference"),
    [("Has Space", "ms", "r"), ("a..b", "ms", "r"), ("a.b", "m s", "r"), ("a.b", "ms", "")],
)
def test_malformed_figures_are_refused(name: str, unit: str, reference: str) -> None:
    with pytest.raises(ValueError):
        Figure(name, 1.0, unit, reference).line()


def test_a_malformed_figure_line_is_an_error_not_skipped() -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse("figure: a.b twelve ms (reference: r)\n")


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.5) == 50.0
    assert median([1.0, 2.0, 10.0, 11.0]) == 6.0
    assert math.isnan(percentile([], 0.9)) and math.isnan(median([]))
