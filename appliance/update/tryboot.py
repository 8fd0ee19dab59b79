"""RAUC's custom bootloader backend for the Pi firmware's tryboot (``bt-tryboot``).

RAUC (``bootloader=custom``, ``[handlers] bootloader-custom-backend=.../bt-tryboot``) runs
``bt-tryboot get-primary``, ``set-primary A|B``, ``get-state A|B``, ``set-state A|B good|bad``
and (newer RAUC only) ``get-current``; answers go to stdout as one word, a non-zero exit is an
error whose stderr RAUC shows. RAUC 1.8 itself finds the booted slot from the kernel
command line (``rauc.slot=A|B`` or ``root=``), not from ``get-current``.

What the firmware offers: ``[all]`` is the normal boot and ``[tryboot]`` is booted once
after ``reboot "0 tryboot"``; any later boot (power cut, crash, watchdog, plain reboot)
returns to ``[all]``. So an installed slot is tried exactly once and becomes the default
only when it confirms itself:

- ``set-primary X``: ``[tryboot]`` -> X, ``[all]`` untouched, a pending try recorded
  (with this boot's id) and ``tryboot.flag`` written for the QEMU harness.
- ``set-state X good`` in the try boot of X: commit, ``[all]`` -> X (and ``[tryboot]``).
  Elsewhere ``good`` only clears a bad mark: a slot is committed only from a boot of it.
- ``set-state X bad``: mark X bad; if ``[tryboot]`` pointed at X it is reset to ``[all]``.
  Marking the ``[all]`` slot bad is refused: it is the fallback that must stay bootable
  (RAUC marks its target bad before writing, so this also stops an install over the
  fallback during an unconfirmed try boot).
- ``get-primary``: the slot the next boot uses: the pending try while it is armed in this
  boot, else ``[all]``. A pending try from an earlier boot is spent (tryboot is one-shot).
- ``get-state X``: ``bad`` if marked bad, else ``good``.

States live in ``bt-slots.json`` next to autoboot.txt; if it is unreadable (power cut on
FAT) it counts as empty, because autoboot.txt alone decides what boots.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from appliance.update import autoboot
from appliance.update.autoboot import ALL, TRYBOOT, atomic_write
from appliance.update.boot import (
    SLOTS,
    BootPaths,
    partition_of,
    read_boot_id,
    read_boot_info,
    slot_of,
)
from appliance.update.errors import BootConfigError, UpdateError


@dataclass
class SlotStates:
    """The backend's own memory: slots marked bad and the try armed in some boot."""

    bad: set[str] = field(default_factory=set)
    pending: str | None = None
    pending_boot: str | None = None

    def to_json(self) -> bytes:
        """The file's content."""
        data = {"bad": sorted(self.bad), "pending": self.pending, "pending_boot": self.pending_boot}
        return (json.dumps(data, indent=2) + "\n").encode()


def load_states(path: Path) -> SlotStates:
    """Read bt-slots.json; missing or damaged means nothing marked, nothing pending."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SlotStates()
    except (OSError, ValueError) as err:
        print(f"bt-tryboot: ignoring unreadable {path}: {err}", file=sys.stderr)
        return SlotStates()
    if not isinstance(data, dict):
        return SlotStates()
    bad = {s for s in data.get("bad", []) if isinstance(s, str) and s in SLOTS}
    pending = data.get("pending")
    boot = data.get("pending_boot")
    return SlotStates(
        bad=bad,
        pending=pending if isinstance(pending, str) and pending in SLOTS else None,
        pending_boot=boot if isinstance(boot, str) else None,
    )


class Backend:
    """The five operations RAUC asks of a bootloader, on autoboot.txt."""

    def __init__(self, paths: BootPaths) -> None:
        self.paths = paths

    def _autoboot(self) -> tuple[autoboot.Autoboot, int]:
        config = autoboot.load(self.paths.autoboot)
        default = config.partition(ALL)
        if default is None:
            raise BootConfigError(f"{self.paths.autoboot}: [all] has no boot_partition")
        slot_of(default)  # must be one of the two slots
        return config, default

    def _save(self, config: autoboot.Autoboot | None, states: SlotStates) -> None:
        atomic_write(self.paths.states, states.to_json())
        if config is not None:
            autoboot.save(self.paths.autoboot, config)

    def _clear_flag(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.paths.flag.unlink()

    def get_current(self) -> str:
        """The slot this system booted from."""
        return read_boot_info(self.paths).slot

    def get_primary(self) -> str:
        """The slot the next boot will use."""
        _, default = self._autoboot()
        states = load_states(self.paths.states)
        if states.pending is not None and states.pending_boot == read_boot_id(self.paths):
            return states.pending
        return slot_of(default)

    def get_state(self, slot: str) -> str:
        """``good`` or ``bad``."""
        partition_of(slot)
        return "bad" if slot in load_states(self.paths.states).bad else "good"

    def set_primary(self, slot: str) -> None:
        """Arm a one-shot try boot of ``slot`` (or disarm, if it already is the default)."""
        partition = partition_of(slot)
        config, default = self._autoboot()
        states = load_states(self.paths.states)
        states.bad.discard(slot)
        # Without tryboot_a_b=1 the firmware reads tryboot.txt instead of [tryboot].
        config.set(ALL, "tryboot_a_b", "1")
        config.set_partition(TRYBOOT, partition)
        if partition == default:
            states.pending = states.pending_boot = None
            self._save(config, states)
            self._clear_flag()
            return
        states.pending, states.pending_boot = slot, read_boot_id(self.paths)
        self._save(config, states)
        atomic_write(self.paths.flag, f"{slot}\n".encode())

    def set_state(self, slot: str, good: bool) -> None:
        """Mark ``slot`` good (committing it when this is its try boot) or bad."""
        partition = partition_of(slot)
        config, default = self._autoboot()
        states = load_states(self.paths.states)
        if good:
            states.bad.discard(slot)
            info = read_boot_info(self.paths)
            if not (info.tryboot and info.partition == partition):
                self._save(None, states)
                return
            config.set_partition(ALL, partition)
            config.set_partition(TRYBOOT, partition)
            states.pending = states.pending_boot = None
            self._save(config, states)
            self._clear_flag()
            return
        if partition == default:
            raise BootConfigError(
                f"refusing to mark slot {slot} bad: it is the firmware's default boot "
                "(autoboot.txt [all]) and the only fallback; "
                "confirm or roll back the try boot first"
            )
        states.bad.add(slot)
        if config.partition(TRYBOOT) == partition:
            config.set_partition(TRYBOOT, default)
        if states.pending == slot:
            states.pending = states.pending_boot = None
        self._save(config, states)
        self._clear_flag()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``bt-tryboot``, the backend RAUC runs; returns the exit status."""
    parser = argparse.ArgumentParser(prog="bt-tryboot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("get-primary")
    sub.add_parser("get-current")
    sub.add_parser("set-primary").add_argument("slot")
    sub.add_parser("get-state").add_argument("slot")
    set_state = sub.add_parser("set-state")
    set_state.add_argument("slot")
    set_state.add_argument("state", choices=["good", "bad"])
    args = parser.parse_args(argv)
    backend = Backend(BootPaths.from_env())
    try:
        if args.command == "get-primary":
            print(backend.get_primary())
        elif args.command == "get-current":
            print(backend.get_current())
        elif args.command == "get-state":
            print(backend.get_state(args.slot))
        elif args.command == "set-primary":
            backend.set_primary(args.slot)
        else:
            backend.set_state(args.slot, args.state == "good")
    except UpdateError as err:
        print(f"bt-tryboot: {err}", file=sys.stderr)
        return 1
    return 0
