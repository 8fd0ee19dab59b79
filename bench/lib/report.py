"""The closing lines every console bench prints: what went wrong, and the console's CPU.

The benches that drive a ``bt-console serve`` process (idle_terminals.py, call_rate.py)
end alike: the distinct failures their clients saw (a few, the rest are usually the same
one again), and the console's share of its pinned core, read from /proc
(:mod:`bench.lib.processes`) before and after the measured span.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from bench.lib.figures import Figure, emit
from bench.lib.processes import Sample, cpu_share
from tests.e2e.harness import Console

SHOWN = 5
"""Distinct failures printed; the figures count them all."""


def show_failures(label: str, failures: Iterable[str], shown: int = SHOWN) -> None:
    """Print the first ``shown`` distinct failures, sorted, as ``  <label>: <text>``."""
    for failure in sorted(set(failures))[:shown]:
        print(f"  {label}: {failure}")


def emit_core_share(name: str, before: Sample, after: Sample, during: str) -> Figure:
    """The console's share of its one core between two samples, as a figure in %."""
    return emit(name, 100 * cpu_share(before, after), "%",
                f"share of the console's one core while {during}; 100 % = saturated")  # fmt: skip


def console_warnings(console: Console) -> Counter[str]:
    """The console log's warnings and errors, counted by message with ids blanked out."""
    path = console.data_dir / console.log_name
    text = path.read_text(errors="replace") if path.exists() else ""
    found: Counter[str] = Counter()
    for line in text.splitlines():
        level = re.search(r" (WARNING|ERROR|CRITICAL) (.*)$", line)
        if level:
            found[re.sub(r"\b[\w-]{12}\b|\d+", "#", level.group(0).strip())[:160]] += 1
    return found
