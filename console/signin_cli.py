"""``bt-console reset-second-factor`` and ``bt-console set-sso``: sign-in administration.

``reset-second-factor USERNAME`` removes a person's TOTP secret (lost phone) and ends
their sessions; at the next password sign-in they set up a new one. ``set-sso`` connects a
municipality to its OpenID Connect provider; the client secret is read from stdin so it
appears neither in the process list nor in the shell history. The provider's discovery
document is not fetched here: the console may not reach the provider from where the
operator runs the command, and the first sign-in reports a broken setup clearly.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from console.admin import with_store
from console.config import ConsoleConfig
from console.errors import InvalidInputError, NotFoundError
from console.oidc import check_provider_url
from console.store import Store
from console.store.accounts import AccountStore, OidcProviderRecord
from console.store.admin_caseworkers import CaseworkerStore

COMMANDS = frozenset({"reset-second-factor", "set-sso"})
MAX_SECRET = 500


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the sign-in subcommands to the ``bt-console`` parser."""
    p = sub.add_parser(
        "reset-second-factor",
        help="remove a caseworker's TOTP second factor (lost phone) and end their sessions",
    )
    p.add_argument("username")
    p = sub.add_parser(
        "set-sso",
        help="connect a municipality to its OpenID Connect provider (client secret on stdin)",
        description="Register https://<console>/login/sso/callback as redirect URI at the "
        "provider. People are matched by their linked subject, else once by "
        "preferred_username or email equal to their console username.",
    )
    p.add_argument("--municipality", required=True)
    p.add_argument("--issuer", required=True, help="issuer URL (https)")
    p.add_argument("--client-id", required=True)


def run(args: argparse.Namespace, config: ConsoleConfig) -> None:
    """Run one of :data:`COMMANDS`."""
    if args.command == "reset-second-factor":
        asyncio.run(reset_second_factor(config, args.username))
        print(f"second factor of {args.username!r} removed; their sessions ended", file=sys.stderr)
    else:
        secret = sys.stdin.readline().strip()
        found = asyncio.run(set_sso(config, args.municipality, args.issuer, args.client_id, secret))
        print(
            f"single sign-on for {args.municipality!r} (id {found.municipality_id}) via "
            f"{found.issuer}; entry: /login/sso/{found.municipality_id}",
            file=sys.stderr,
        )


async def reset_second_factor(config: ConsoleConfig, username: str) -> None:
    """Remove the TOTP secret of ``username`` (NotFoundError if unknown)."""

    async def act(store: Store) -> None:
        record = await store.caseworker_by_username(username)
        if record is None:
            raise NotFoundError(f"no caseworker named {username!r}")
        await CaseworkerStore(store.db).reset_second_factor(record.municipality_id, record.id)

    await with_store(config, act)


async def set_sso(
    config: ConsoleConfig, municipality: str, issuer: str, client_id: str, secret: str
) -> OidcProviderRecord:
    """Store (or replace) the municipality's identity provider."""
    check_provider_url(issuer)
    if not client_id.strip() or len(client_id) > 200:
        raise InvalidInputError("--client-id must be 1 to 200 characters")
    if not secret or len(secret) > MAX_SECRET:
        raise InvalidInputError("give the client secret as one line on stdin")
    return await with_store(
        config,
        lambda store: AccountStore(store.db).set_provider(
            municipality, issuer, client_id.strip(), secret
        ),
    )
