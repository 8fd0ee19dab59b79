"""``bt-console``: migrate the database, add municipalities, caseworkers and terminals, serve.

Output contract for scripts: ``add-terminal`` and ``new-code`` print exactly the enrollment
code on stdout as one line; every explanation goes to stderr. Errors the operator can fix
(unknown municipality, short password, taken username) print one line on stderr and exit
with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from console import admin
from console.auth import check_password_strength
from console.config import ConsoleConfig, load_config
from console.errors import ConsoleError, WeakPasswordError
from console.hours import format_week

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all subcommands."""
    parser = argparse.ArgumentParser(prog="bt-console", description="Bürgerterminal console")
    parser.add_argument("--config", type=Path, help="TOML configuration file")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="create or upgrade the database schema")

    p = sub.add_parser("add-municipality", help="add a municipality (tenant)")
    p.add_argument("name")

    p = sub.add_parser("add-caseworker", help="add a caseworker to a municipality")
    p.add_argument("--municipality", required=True)
    p.add_argument("--display-name", help="name shown to citizens (default: username)")
    p.add_argument(
        "--role",
        choices=("caseworker", "supervisor", "admin"),
        default="caseworker",
        help="caseworker answers calls; supervisor also sees usage figures and the fleet; "
        "admin also manages the municipality (default: caseworker)",
    )
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password as one line from stdin"
    )
    p.add_argument("username")

    p = sub.add_parser("add-terminal", help="add a terminal; prints its enrollment code")
    p.add_argument("--municipality", required=True)
    p.add_argument("--code-ttl-hours", type=float, default=None)
    p.add_argument("name")

    p = sub.add_parser("new-code", help="issue a new enrollment code for a terminal")
    p.add_argument("--code-ttl-hours", type=float, default=None)
    p.add_argument("terminal_id")

    p = sub.add_parser(
        "set-hours",
        help="replace a municipality's office hours",
        description="Replace the whole week. Each SPEC is days and times, e.g. "
        "'Mo-Fr 08:00-12:00' 'Do 14:00-18:00' or 'Mo,Mi 08:00-12:00,13:00-15:00' "
        "(Mo Di Mi Do Fr Sa So; local time of --timezone). No SPEC: always open.",
    )
    p.add_argument("--municipality", required=True)
    p.add_argument("--timezone", help="IANA time zone, e.g. Europe/Berlin (default: unchanged)")
    p.add_argument("specs", nargs="*", metavar="SPEC")

    p = sub.add_parser("show-hours", help="print a municipality's office hours")
    p.add_argument("--municipality", required=True)

    p = sub.add_parser("serve", help="run the console (migrates first)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config, os.environ)
        return _run(args, config)
    except ConsoleError as err:
        print(f"bt-console: error: {err.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace, config: ConsoleConfig) -> int:
    command: str = args.command
    if command == "migrate":
        from console.migrate import run_migrations

        run_migrations(config.url)
        _say(f"database {config.url} is up to date")
    elif command == "add-municipality":
        muni = asyncio.run(admin.add_municipality(config, args.name))
        _say(f"municipality {muni.name!r} added (id {muni.id})")
    elif command == "add-caseworker":
        password = _read_password(args.password_stdin)
        record = asyncio.run(
            admin.add_caseworker(
                config,
                args.municipality,
                args.username,
                args.display_name or args.username,
                password,
                role=args.role,
            )
        )
        _say(f"caseworker {record.username!r} added to {record.municipality_name!r}")
    elif command in {"add-terminal", "new-code"}:
        ttl = args.code_ttl_hours if args.code_ttl_hours is not None else config.code_ttl_hours
        if ttl <= 0:
            raise ConsoleError("--code-ttl-hours must be positive")
        if command == "add-terminal":
            terminal, code = asyncio.run(
                admin.add_terminal(config, args.municipality, args.name, ttl)
            )
        else:
            terminal, code = asyncio.run(admin.new_code(config, args.terminal_id, ttl))
        _say(
            f"terminal {terminal.name!r} (id {terminal.id}) of {terminal.municipality_name!r}: "
            f"enrollment code valid for {ttl:g} h, usable once:"
        )
        print(code)
    elif command in {"set-hours", "show-hours"}:
        if command == "set-hours":
            schedule = asyncio.run(
                admin.set_hours(config, args.municipality, args.specs, args.timezone)
            )
        else:
            schedule = asyncio.run(admin.show_hours(config, args.municipality))
        print(f"timezone {schedule.timezone}")
        for line in format_week(schedule) or ["always open (no hours set)"]:
            print(line)
    elif command == "serve":
        from console.run import run_server

        asyncio.run(run_server(config, host=args.host, port=args.port))
    return 0


def _read_password(from_stdin: bool) -> str:
    """BT_PASSWORD, else one line of stdin with --password-stdin, else a prompt (twice)."""
    password = os.environ.get("BT_PASSWORD")
    if password is None and from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    if password is None:
        password = getpass.getpass("Password: ")
        check_password_strength(password)
        if getpass.getpass("Repeat password: ") != password:
            raise WeakPasswordError("the two passwords differ")
    check_password_strength(password)
    return password


def _say(text: str) -> None:
    print(text, file=sys.stderr)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
