"""CPU time, resident memory and open-file limits of processes, read from /proc.

Benches measure other processes (the console pinned to one core, the terminal daemon)
from outside, so that the measuring side's own work is not counted: ``/proc/<pid>/stat``
has a process's user and system time over all its threads, ``/proc/<pid>/status`` its
resident set. Linux only, like the appliance and the console's hosting.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (all threads)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        text = stat.read()
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / _TICKS


def rss_bytes(pid: int) -> int:
    """The process's resident set size now (VmRSS)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise ValueError(f"no VmRSS for process {pid} (a zombie?)")


@dataclass(frozen=True)
class Sample:
    """CPU seconds used and wall time at one moment."""

    cpu_s: float
    wall_s: float


def sample(pid: int) -> Sample:
    """The process's CPU seconds now, with the monotonic clock."""
    return Sample(cpu_seconds(pid), time.monotonic())


def cpu_share(before: Sample, after: Sample) -> float:
    """CPU seconds per wall second between two samples (1.0 = one core busy)."""
    wall = after.wall_s - before.wall_s
    return (after.cpu_s - before.cpu_s) / wall if wall > 0 else float("nan")


class LimitError(Exception):
    """The machine cannot give the bench as many open files as it needs."""


def raise_open_files(needed: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE to at least ``needed`` (children inherit it).

    Returns the new soft limit; raises :class:`LimitError` naming the hard limit when
    ``needed`` exceeds it (raising the hard limit needs root: ``ulimit -Hn`` or
    ``LimitNOFILE=`` in a unit).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise LimitError(
            f"{needed} open files needed, but the hard limit is {hard}: raise it "
            f"(ulimit -Hn, or LimitNOFILE= for a service) or use fewer terminals"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return needed
