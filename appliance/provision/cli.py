"""``bt-firstboot``: import buergerterminal.toml at boot; exit 0 when set up, 1 when not.

Run by a oneshot unit before the terminal daemon. On failure the list of what to fix goes
to stdout, to the screen (``--screen``, the text console; a missing device is fine), to
``--error-file`` in /run and to the journal (stderr under systemd). Passwords and the
credential are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from appliance.provision import report
from appliance.provision.bootconfig import BootConfig
from appliance.provision.checks import Problem
from appliance.provision.importer import ImportResult, import_boot_config
from appliance.provision.network import bring_up_now, reload_connections

log = logging.getLogger("bt-firstboot")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``bt-firstboot``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="bt-firstboot", description=__doc__.splitlines()[0])
    parser.add_argument("--boot-dir", type=Path, default=Path("/boot/config"))
    parser.add_argument("--data-dir", type=Path, default=Path("/data"))
    parser.add_argument("--screen", type=Path, default=Path("/dev/tty1"))
    parser.add_argument(
        "--error-file", type=Path, default=Path("/run/buergerterminal/setup-error.txt")
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=12,
        help="tries to reach the console (default 12: about 10 minutes, within the unit's "
        "TimeoutStartSec=15min)",
    )
    parser.add_argument(
        "--backoff",
        type=float,
        default=5.0,
        help="first wait between tries in seconds; doubles up to 60",
    )
    parser.add_argument(
        "--no-network",
        action="store_true",
        help="leave NetworkManager alone: no Wi-Fi before enrolling, no reload after (tests)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    prepare = None if args.no_network else _wifi_now
    try:
        result = asyncio.run(
            import_boot_config(
                args.boot_dir,
                args.data_dir,
                attempts=args.attempts,
                backoff_s=args.backoff,
                prepare_network=prepare,
            )
        )
    except OSError as err:
        fix = f"cannot be written ({err}); the data partition may be full or damaged"
        result = ImportResult("invalid", [Problem(str(args.data_dir), fix)])
    except KeyboardInterrupt:
        return 130
    if result.ok:
        if result.status == "imported" and not args.no_network:
            reload_connections()
        sys.stdout.write(report.success_text(result))
        for warning in result.warnings:
            log.warning("%s", warning)
        report.keep("", args.error_file)
        return 0
    text = report.failure_text(result)
    sys.stdout.write(text)
    sys.stdout.flush()
    report.show_on_screen(text, args.screen)
    report.keep(text, args.error_file)
    for problem in result.problems:
        log.error("%s", problem)
    return 1


def _wifi_now(config: BootConfig) -> None:
    if config.wifi is not None and not bring_up_now(config.wifi):
        log.warning("could not connect to the Wi-Fi before enrolling; trying the console anyway")
