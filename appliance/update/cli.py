"""Command line ``bt-update``: ``confirm`` (at every boot), ``install URL``, ``request-watch``.

All three run as root from units: ``confirm`` after ``bt-terminal`` at boot, ``install`` by
hand or from ``request-watch``, which a ``.path`` unit on ``/data/update/request.json``
starts. Errors are one line on stderr and exit status 1; see :mod:`appliance.update`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from appliance.update.boot import BootPaths, read_boot_info
from appliance.update.confirm import confirm
from appliance.update.download import DEFAULT_MAX_BYTES
from appliance.update.errors import UpdateError
from appliance.update.install import UpdatePaths, default_installer, install, watch
from appliance.update.runner import run_command

log = logging.getLogger("appliance.update")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bt-update", description=__doc__.splitlines()[0])
    parser.add_argument("--update-dir", type=Path, default=UpdatePaths.update_dir)
    parser.add_argument("--ca-file", type=Path, default=UpdatePaths.ca_file, help="extra CA (PEM)")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("confirm", help="on a try boot: mark the slot good or bad by health")
    check.add_argument("--timeout", type=float, default=180.0, help="seconds to become healthy")
    check.add_argument("--settle", type=float, default=10.0, help="seconds to stay healthy")
    get = sub.add_parser("install", help="download a bundle, install it, reboot into it")
    get.add_argument("url")
    get.add_argument("--sha256")
    get.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    get.add_argument("--no-reboot", action="store_true", help="install only")
    watch_cmd = sub.add_parser("request-watch", help="act once on request.json from the daemon")
    watch_cmd.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``bt-update``; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="bt-update: %(message)s", stream=sys.stderr)
    paths = UpdatePaths(update_dir=args.update_dir, ca_file=args.ca_file)
    boot_paths = BootPaths.from_env()
    try:
        if args.command == "confirm":
            boot = read_boot_info(boot_paths)
            outcome = confirm(
                boot,
                run_command,
                timeout_s=args.timeout,
                settle_s=args.settle,
                record=paths.confirm_record,
            )
        elif args.command == "install":
            install(
                args.url,
                runner=run_command,
                paths=paths,
                sha256=args.sha256,
                max_bytes=args.max_bytes,
                reboot=not args.no_reboot,
            )
            outcome = "installed"
        else:
            installer = default_installer(paths, run_command, args.max_bytes)
            boot = read_boot_info(boot_paths)
            outcome = watch(paths, boot=boot, installer=installer, runner=run_command)
    except UpdateError as err:
        print(f"bt-update: {err}", file=sys.stderr)
        return 1
    log.info("%s: %s", args.command, outcome)
    return 0
