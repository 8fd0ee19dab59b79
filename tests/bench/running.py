"""Run a bench script as ``make bench`` does, with tiny parameters, and parse its figures."""

from __future__ import annotations

import math
import subprocess
import sys

from bench.lib.figures import Figure, parse
from tests.e2e.harness import ROOT


def run_bench(script: str, *args: str, timeout: float) -> dict[str, Figure]:
    """Run ``bench/<script>``; it must succeed and print well-formed, distinct figures."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    figures = parse(done.stdout)
    names = [figure.name for figure in figures]
    assert names, f"{script} printed no figures:\n{done.stdout}"
    assert len(set(names)) == len(names), f"figure names repeat: {names}"
    return {figure.name: figure for figure in figures}


def finite(figure: Figure) -> float:
    """The figure's value, which must have been measured."""
    assert not math.isnan(figure.value), f"{figure.name} was not measured: {figure.reference}"
    return figure.value
