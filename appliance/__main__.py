"""Command line of the terminal daemon: ``bt-terminal [--config FILE] [enroll --code CODE | run]``.

``enroll`` exchanges a code from the console for a credential (stored 0600 in the
data directory); ``run`` (the default) starts the daemon until SIGINT or SIGTERM,
which stop it cleanly (media closed, pins released, kiosk server shut down) so that
systemd's restart and the next start find nothing half-open. A restart the console asks
for (``terminal.restart``) stops it the same way and exits with status 75, so systemd
starts it again (:mod:`appliance.restart`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from appliance.config import Config, load_config
from appliance.errors import TerminalError
from appliance.systemd import JournalFields, configure_logging, systemd_service
from appliance.version import software

log = logging.getLogger("appliance")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``bt-terminal``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="bt-terminal", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="TOML config file")
    parser.add_argument("--log-level", default="INFO")
    sub = parser.add_subparsers(dest="command")
    enroll_cmd = sub.add_parser("enroll", help="enroll this terminal with a code from the console")
    enroll_cmd.add_argument("--code", required=True)
    sub.add_parser("run", help="run the terminal daemon (default)")
    args = parser.parse_args(argv)
    # Under systemd (JOURNAL_STREAM set): the journal, with BT_STATE and BT_CALL_ID fields.
    fields = configure_logging(args.log_level)
    # The page posts stats every second in a call; per-request lines would flood the journal.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        config = load_config(args.config)
        if args.command == "enroll":
            return asyncio.run(_enroll(config, args.code))
        return asyncio.run(_run(config, fields))
    except TerminalError as err:
        print(f"bt-terminal: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _enroll(config: Config, code: str) -> int:
    from appliance.credentials import enroll, save_enrollment

    enrollment = await enroll(config.console_url, code, software=software())
    path = save_enrollment(config.data_dir, enrollment)
    print(
        f"Enrolled as {enrollment.name!r} ({enrollment.municipality}), "
        f"terminal id {enrollment.terminal_id}; credential saved to {path}"
    )
    return 0


async def _run(config: Config, fields: JournalFields) -> int:
    from appliance.credentials import load_credential
    from appliance.daemon import build_terminal

    credential = load_credential(config.data_dir)
    terminal = build_terminal(config, credential)
    coordinator = terminal.coordinator
    fields.context = lambda: {"BT_STATE": coordinator.state, "BT_CALL_ID": coordinator.call_id}
    service = systemd_service(stalled_s=coordinator.stalled_for)
    coordinator.observe(service.show)
    loop = asyncio.get_running_loop()

    stopping: list[asyncio.Task[None]] = []

    def stop() -> None:
        service.stopping()
        stopping.append(loop.create_task(terminal.stop()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    notifying = asyncio.create_task(service.run(terminal.started), name="systemd")
    try:
        await terminal.run()
    finally:
        notifying.cancel()
    if terminal.restart_requested:
        from appliance.restart import RESTART_EXIT_STATUS

        log.warning("exiting with status %d so that systemd restarts the daemon",
                    RESTART_EXIT_STATUS)  # fmt: skip
        return RESTART_EXIT_STATUS
    return 0


if __name__ == "__main__":
    sys.exit(main())
