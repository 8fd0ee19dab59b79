"""The setup message shown on the terminal's screen, printed and kept in /run.

Whoever reads it stands at a terminal that did not start, often without a keyboard:
the message says in plain words what went wrong, lists every line to fix with its key,
and how to go on (fix the file on a PC, put the card back, restart). It is framed so it
stands out among boot messages on the text console, and wrapped to fit 80 columns.
"""

from __future__ import annotations

import contextlib
import os
import textwrap
from pathlib import Path

from appliance.provision.importer import ImportResult

WIDTH = 76
TITLES = {
    "invalid": "The terminal is not set up: buergerterminal.toml needs fixing",
    "refused": "The terminal is not set up: the console did not accept it",
    "missing": "The terminal is not set up: no buergerterminal.toml was found",
}
NEXT_STEP = (
    "Take out the SD card, fix the file buergerterminal.toml on its BTCONFIG partition on a "
    "PC, put the card back and switch the terminal off and on again."
)


def failure_text(result: ImportResult) -> str:
    """The framed message for a failed import: title, what to fix, what to do next."""
    title = TITLES.get(result.status, "The terminal is not set up")
    body = [title, ""]
    if result.problems:
        body.append("Please fix:")
        for problem in result.problems:
            body += textwrap.wrap(
                str(problem), WIDTH - 4, initial_indent="- ", subsequent_indent="  "
            )
        body.append("")
    body += textwrap.wrap(NEXT_STEP, WIDTH - 4)
    return frame(body)


def success_text(result: ImportResult) -> str:
    """What was imported (never a password or credential), plus any warnings."""
    lines = [
        "Bürgerterminal: buergerterminal.toml was imported."
        if result.status == "imported"
        else "Bürgerterminal: already set up."
    ]
    lines += [f"  {line}" for line in result.summary]
    lines += [f"  warning: {line}" for line in result.warnings]
    return "\n".join(lines) + "\n"


def frame(lines: list[str]) -> str:
    """Draw a box of ``#`` around ``lines`` (ASCII: every console font has it)."""
    inner = WIDTH - 4
    edge = "#" * WIDTH
    rows = [edge, "#" + " " * (WIDTH - 2) + "#"]
    rows += [f"# {line:<{inner}} #" for line in lines]
    rows += ["#" + " " * (WIDTH - 2) + "#", edge]
    return "\n".join(rows) + "\n"


def show_on_screen(text: str, device: Path) -> bool:
    """Write ``text`` to the screen's console device; False if there is none."""
    try:
        fd = os.open(device, os.O_WRONLY | os.O_NOCTTY | os.O_APPEND)
    except OSError:
        return False
    try:
        clear = "\033[2J\033[H" if os.isatty(fd) else ""
        os.write(fd, (clear + text).replace("\n", "\r\n").encode("utf-8"))
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def keep(text: str, path: Path) -> None:
    """Store the message (for support and the kiosk), or remove it when ``text`` is empty."""
    with contextlib.suppress(OSError):
        if not text:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
