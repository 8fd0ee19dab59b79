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

from console import admin, documents_cli, signin_cli
from console.auth import check_password_strength
from console.config import ConsoleConfig, load_config
from console.errors import ConsoleError, WeakPasswordError
from console.hours import format_exception, format_week

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
    p.add_argument(
        "--mobile",
        action="store_true",
        help="a mobile kit: staff sign in on it and call specialists (no citizen button)",
    )
    p.add_argument("name")

    p = sub.add_parser("new-code", help="issue a new enrollment code for a terminal")
    p.add_argument("--code-ttl-hours", type=float, default=None)
    p.add_argument(
        "terminal_id",
        help="the id add-terminal printed (an older id starting with '-': new-code -- ID)",
    )

    p = sub.add_parser(
        "set-hours",
        help="replace an office's weekly hours",
        description="Replace the whole week (exceptions stay). Each SPEC is days and times, e.g. "
        "'Mo-Fr 08:00-12:00' 'Do 14:00-18:00' or 'Mo,Mi 08:00-12:00,13:00-15:00' "
        "(Mo Di Mi Do Fr Sa So; local time of --timezone). No SPEC: always open.",
    )
    _office_args(p)
    p.add_argument("--timezone", help="IANA time zone, e.g. Europe/Berlin (default: unchanged)")
    p.add_argument("specs", nargs="*", metavar="SPEC")

    p = sub.add_parser("show-hours", help="print an office's hours and exceptions")
    _office_args(p)

    p = sub.add_parser("add-holiday", help="close an office all day on a date")
    _office_args(p)
    p.add_argument("--note", default="", help="shown on the terminal, e.g. 'Heiligabend'")
    p.add_argument("day", metavar="YYYY-MM-DD")

    p = sub.add_parser(
        "add-exception",
        help="special hours on a date (replace that day's weekly hours)",
        description="TIMES like 08:00-12:00 or 08:00-12:00,13:00-15:00.",
    )
    _office_args(p)
    p.add_argument("--note", default="")
    p.add_argument("day", metavar="YYYY-MM-DD")
    p.add_argument("times", metavar="TIMES")

    p = sub.add_parser("remove-exception", help="remove an exception by its #id, or all of a date")
    _office_args(p)
    p.add_argument("exception", metavar="ID|YYYY-MM-DD")

    signin_cli.add_parsers(sub)
    documents_cli.add_parsers(sub)

    p = sub.add_parser("serve", help="run the console (migrates first)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    return parser


def _office_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--office", help="office id or name")
    p.add_argument("--municipality", help="its municipality (enough if it has one office)")


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
        from console.store.database import shown

        run_migrations(config.url)
        _say(f"database {shown(config.url)} is up to date")
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
                admin.add_terminal(
                    config,
                    args.municipality,
                    args.name,
                    ttl,
                    kind="mobile" if args.mobile else "stationary",
                )
            )
        else:
            terminal, code = asyncio.run(admin.new_code(config, args.terminal_id, ttl))
        _say(
            f"terminal {terminal.name!r} (id {terminal.id}) of {terminal.municipality_name!r}: "
            f"enrollment code valid for {ttl:g} h, usable once:"
        )
        print(code)
    elif command in HOURS_COMMANDS:
        _hours(command, args, config)
    elif command in signin_cli.COMMANDS:
        signin_cli.run(args, config)
    elif command in documents_cli.COMMANDS:
        documents_cli.run(args, config)
    elif command == "serve":
        from console.run import run_server

        asyncio.run(run_server(config, host=args.host, port=args.port))
    return 0


HOURS_COMMANDS = {"set-hours", "show-hours", "add-holiday", "add-exception", "remove-exception"}


def _hours(command: str, args: argparse.Namespace, config: ConsoleConfig) -> None:
    """The office-hours commands; each prints the office's hours afterwards."""
    where = (args.office, args.municipality)
    if command == "set-hours":
        asyncio.run(admin.set_hours(config, *where, args.specs, args.timezone))
    elif command in {"add-holiday", "add-exception"}:
        times = getattr(args, "times", None)
        added = asyncio.run(admin.add_exception(config, *where, args.day, times, args.note))
        _say(f"added {', '.join(format_exception(e) for e in added)}")
    elif command == "remove-exception":
        count = asyncio.run(admin.remove_exception(config, *where, args.exception))
        if count == 0:
            raise ConsoleError(f"no exception on {args.exception}")
        _say(f"removed {count} exception{'s' if count > 1 else ''}")
    schedule = asyncio.run(admin.show_hours(config, *where))
    print(f"office {schedule.office}")
    print(f"timezone {schedule.timezone}")
    for line in format_week(schedule) or ["always open (no hours set)"]:
        print(line)
    for special in schedule.exceptions:
        print(format_exception(special))


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
