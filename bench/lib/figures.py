"""The one output format of every benchmark: a ``figure:`` line per measured value.

    figure: <name> <value> <unit> (reference: <text>)

``name`` is lower case, dotted (``idle_terminals.heartbeat_p99``); ``value`` a decimal
number, or ``nan`` when it could not be measured in this run (the reference then says
why); ``unit`` one token without spaces (``ms``, ``calls/s``, ``KiB``, ``cpu_s/s``).
The reference is the goal or the figure it is measured against; a reference measured
in the same run is printed as a figure of its own too. Other lines (headings, notes)
are free text and never start with ``figure:``. The smoke tests in ``tests/bench/`` and
anyone comparing runs parse the lines with :func:`parse`.
"""

from __future__ import annotations

import math
import re
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

_NAME = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
_LINE = re.compile(
    r"^figure: (?P<name>\S+) (?P<value>-?[0-9]+(?:\.[0-9]+)?|nan) (?P<unit>\S+)"
    r" \(reference: (?P<reference>.+)\)$"
)


@dataclass(frozen=True)
class Figure:
    """One measured value with its unit and what it is compared with."""

    name: str
    value: float
    unit: str
    reference: str

    def line(self) -> str:
        """The figure as one line of the documented format."""
        if not _NAME.match(self.name):
            raise ValueError(f"figure name {self.name!r} must be lower-case dotted words")
        if not self.unit or any(ch.isspace() for ch in self.unit):
            raise ValueError(f"unit {self.unit!r} must be one token")
        if not self.reference or "\n" in self.reference:
            raise ValueError("the reference must be one non-empty line")
        value = _number(self.value)
        return f"figure: {self.name} {value} {self.unit} (reference: {self.reference})"


def _number(value: float) -> str:
    """Enough digits to read, never an exponent (the format has none)."""
    if math.isnan(value) or math.isinf(value):
        return "nan"
    magnitude = abs(value)
    if value == int(value) and magnitude < 1e12:
        return str(int(value))
    digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 1 else 4
    return f"{value:.{digits}f}"


def emit(name: str, value: float, unit: str, reference: str, out: TextIO | None = None) -> Figure:
    """Print one figure line (flushed: benches run for minutes) and return it."""
    figure = Figure(name, float(value), unit, reference)
    print(figure.line(), file=out or sys.stdout, flush=True)
    return figure


def parse(text: str) -> list[Figure]:
    """Every figure line in a bench's output, in order; other lines are skipped."""
    figures = []
    for raw in text.splitlines():
        if not raw.startswith("figure:"):
            continue
        found = _LINE.match(raw.rstrip())
        if found is None:
            raise ValueError(f"malformed figure line: {raw!r}")
        figures.append(
            Figure(found["name"], float(found["value"]), found["unit"], found["reference"])
        )
    return figures


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0.99 for p99); nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median (mean of the middle two for an even count), or nan for no values."""
    return statistics.median(values) if values else math.nan
