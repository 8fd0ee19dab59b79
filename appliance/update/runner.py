"""How the update tools run programs (rauc, systemctl): one injectable callable.

Tests pass a fake that records the commands and answers like systemd or RAUC would;
on the terminal :func:`run_command` runs them for real.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CommandResult:
    """Exit status and output of one command."""

    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """Whether the command exited with status 0."""
        return self.returncode == 0


Runner = Callable[[Sequence[str]], CommandResult]


def run_command(argv: Sequence[str], timeout_s: float | None = None) -> CommandResult:
    """Run ``argv`` without a shell; a missing program or a timeout is a failed result."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed programs (rauc, systemctl), no shell
            list(argv), capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except FileNotFoundError:
        return CommandResult(127, "", f"{argv[0]}: command not found")
    except subprocess.TimeoutExpired:
        return CommandResult(124, "", f"{argv[0]}: no answer within {timeout_s} s")
    return CommandResult(done.returncode, done.stdout, done.stderr)
