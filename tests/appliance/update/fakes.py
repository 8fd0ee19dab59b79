"""A fake systemd + RAUC for the update tests: records commands, answers like them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from appliance.update.runner import CommandResult


class FakeSystem:
    """Answers ``systemctl show`` from ``health(now)``; rauc and reboot succeed unless told."""

    def __init__(self, health: Callable[[float], str], *, fail: Sequence[str] = ()) -> None:
        self.health = health
        self.fail = set(fail)
        self.now = 0.0
        self.commands: list[list[str]] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    def __call__(self, argv: Sequence[str]) -> CommandResult:
        command = list(argv)
        self.commands.append(command)
        key = " ".join(command[:3])
        if key in self.fail:
            return CommandResult(1, "", f"{key}: failed on purpose")
        if command[:2] == ["systemctl", "show"]:
            return CommandResult(0, self.health(self.now), "")
        return CommandResult(0, "", "")

    def actions(self) -> list[list[str]]:
        """Every command except the health probes."""
        return [c for c in self.commands if c[:2] != ["systemctl", "show"]]


def show(active: str, sub: str, status: str, restarts: int = 0) -> str:
    return f"ActiveState={active}\nSubState={sub}\nStatusText={status}\nNRestarts={restarts}\n"
