"""Sign-in data of caseworkers: second factor, session version, language, SSO links.

Each write is one conditional UPDATE, so two racing requests cannot both win: a TOTP step
is accepted only if it is newer than the last accepted one, a secret is enrolled only
while none is set, and an identity-provider subject is linked only to a person not yet
linked. Callers look people up by id afterwards through :class:`~console.store.Store`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from console.errors import NotFoundError, StoreError
from console.store.database import Database
from console.store.models import Caseworker, Municipality, OidcProvider


@dataclass(frozen=True)
class OidcProviderRecord:
    """A municipality's identity provider (the client secret included: handle with care)."""

    municipality_id: int
    issuer: str
    client_id: str
    client_secret: str
    enabled: bool


class AccountStore:
    """Reads and writes the sign-in columns of caseworkers and the oidc_providers table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- second factor ---------------------------------------------------------------

    async def accept_totp_step(self, caseworker_id: int, secret: str, step: int) -> bool:
        """Record ``step`` as used; False if it (or a later one) was used already."""
        return await self._update(
            update(Caseworker)
            .where(
                Caseworker.id == caseworker_id,
                Caseworker.totp_secret == secret,
                or_(Caseworker.totp_last_step.is_(None), Caseworker.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )

    async def enroll_totp(self, caseworker_id: int, secret: str, step: int) -> bool:
        """Store a confirmed secret (its confirming step used); False if one is set already."""
        return await self._update(
            update(Caseworker)
            .where(Caseworker.id == caseworker_id, Caseworker.totp_secret.is_(None))
            .values(totp_secret=secret, totp_last_step=step)
        )

    # --- sessions and language ---------------------------------------------------------

    async def set_language(self, caseworker_id: int, language: str) -> None:
        """Save the person's console language."""
        await self._update(
            update(Caseworker).where(Caseworker.id == caseworker_id).values(language=language)
        )

    # --- single sign-on ------------------------------------------------------------------

    async def municipality_id(self, name: str) -> int | None:
        """The id of the municipality with this name (case-insensitive), or None."""
        wanted = name.strip()
        async with self._db.session() as s:
            found = await s.scalar(select(Municipality.id).where(Municipality.name == wanted))
            if found is None:
                found = await s.scalar(
                    select(Municipality.id).where(func.lower(Municipality.name) == wanted.lower())
                )
            return found

    async def any_provider(self) -> bool:
        """Whether any municipality has single sign-on switched on."""
        async with self._db.session() as s:
            found = await s.scalar(select(OidcProvider.municipality_id).where(OidcProvider.enabled))
            return found is not None

    async def provider(self, municipality_id: int) -> OidcProviderRecord | None:
        """The municipality's identity provider, or None."""
        async with self._db.session() as s:
            row = await s.get(OidcProvider, municipality_id)
            return None if row is None else _provider(row)

    async def set_provider(
        self, municipality: str, issuer: str, client_id: str, client_secret: str
    ) -> OidcProviderRecord:
        """Create or replace a municipality's identity provider (enabled)."""
        try:
            async with self._db.session() as s, s.begin():
                muni_id = await s.scalar(
                    select(Municipality.id).where(Municipality.name == municipality)
                )
                if muni_id is None:
                    raise NotFoundError(f"no municipality named {municipality!r}")
                row = await s.get(OidcProvider, muni_id)
                if row is None:
                    row = OidcProvider(municipality_id=muni_id)
                    s.add(row)
                row.issuer = issuer
                row.client_id = client_id
                row.client_secret = client_secret
                row.enabled = True
                await s.flush()
                return _provider(row)
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def subject_owner(self, municipality_id: int, subject: str) -> int | None:
        """The caseworker of this municipality linked to an identity-provider subject."""
        async with self._db.session() as s:
            return await s.scalar(
                select(Caseworker.id).where(
                    Caseworker.municipality_id == municipality_id,
                    Caseworker.oidc_subject == subject,
                )
            )

    async def link_subject(self, municipality_id: int, username: str, subject: str) -> int | None:
        """Link a subject to the not yet linked person ``username`` of this municipality."""
        async with self._db.session() as s, s.begin():
            found = await s.scalar(
                select(Caseworker.id).where(
                    Caseworker.municipality_id == municipality_id,
                    func.lower(Caseworker.username) == username.lower(),
                    Caseworker.oidc_subject.is_(None),
                )
            )
            if found is None:
                return None
            linked = await s.execute(  # still unlinked: another instance may have linked it
                update(Caseworker)
                .where(Caseworker.id == found, Caseworker.oidc_subject.is_(None))
                .values(oidc_subject=subject)
            )
            return found if linked.rowcount == 1 else None  # type: ignore[attr-defined]

    async def _update(self, statement: object) -> bool:
        try:
            async with self._db.session() as s, s.begin():
                result = await s.execute(statement)  # type: ignore[call-overload]
                return bool(result.rowcount)
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err


def _provider(row: OidcProvider) -> OidcProviderRecord:
    return OidcProviderRecord(
        municipality_id=row.municipality_id,
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret=row.client_secret,
        enabled=row.enabled,
    )
