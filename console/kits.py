"""Staff sign-in on mobile kits: who may sign in where, and the session that follows.

A mobile kit is a terminal an admin enrolled with ``kind = "mobile"``; the kit's own claim
counts for nothing. Its socket is already authenticated by the terminal credential; over
it a staff member signs in with their console username and password (plus TOTP when the
account has a second factor, exactly as at the console's own sign-in), or with an 8-digit
one-time code a signed-in caseworker created at the console (10 minutes, once).

The rules, checked in this order: the terminal is a mobile kit; the kit and the person are
not throttled (failures count per kit and per username in the console's login throttle,
so guesses at a kit and at the web form add up); the person is known and the secret
right; the person belongs to the kit's municipality, has a role that answers calls and is
active. Every refusal for a wrong secret looks the same (``wrong``), so a kit cannot tell
which usernames exist. A success binds a session to the kit (``kit_sessions``) for
``SESSION_S`` or until sign-out; sign-in and sign-out are audited (who, which kit, how;
never a secret).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from console import totp
from console.audit import Actor, AuditLog
from console.auth import Passwords
from console.calls import TerminalIdentity
from console.roles import Role
from console.store import CaseworkerRecord, Store
from console.store.accounts import AccountStore
from console.store.kits import KitStore
from console.throttle import Throttle
from protocol.messages import StaffSignin, StaffSigninFailed, StaffSigninRefusal

SESSION_S = 8 * 3600.0
"""A staff session on a kit lasts at most a working day; the kit signs out earlier when idle."""
CODE_TTL_S = 10 * 60.0
"""A kit code is for the next few minutes: created at the desk, typed on the kit at once."""
CODE_DIGITS = 8
STAFF_ROLES = frozenset({Role.CASEWORKER.value, Role.SUPERVISOR.value, Role.ADMIN.value})


def hash_kit_code(code: str) -> str:
    """The stored form of a kit code (sha256 hex)."""
    return hashlib.sha256(("kit:" + code).encode()).hexdigest()


def new_kit_code() -> str:
    """A fresh 8-digit code."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


@dataclass(frozen=True)
class StaffSession:
    """The staff member signed in on a kit, as its socket keeps it."""

    caseworker_id: int
    name: str
    role: str
    municipality_id: int
    expires_at: float

    def live(self, now: float) -> bool:
        """Whether the session still runs at ``now``."""
        return now < self.expires_at


class Refused(Exception):
    """A sign-in refused with a :data:`StaffSigninRefusal` code."""

    def __init__(self, code: StaffSigninRefusal, retry_after_s: float | None = None) -> None:
        super().__init__(code)
        self.code: StaffSigninRefusal = code
        self.retry_after_s = retry_after_s

    def message(self, request_id: str) -> StaffSigninFailed:
        """The refusal as the kit is told."""
        return StaffSigninFailed(request_id=request_id, code=self.code,
                                 retry_after_s=self.retry_after_s)  # fmt: skip


class Kits:
    """Signs staff in and out of kits; see the module docstring."""

    def __init__(
        self,
        store: Store,
        passwords: Passwords,
        throttle: Throttle,
        audit: AuditLog,
        *,
        require_second_factor: bool = True,
        clock: Callable[[], float] = time.time,
        session_s: float = SESSION_S,
    ) -> None:
        self._store = store
        self._kits = KitStore(store.db)
        self._passwords = passwords
        self._throttle = throttle
        self._audit = audit
        self._require_second_factor = require_second_factor
        self._clock = clock
        self._session_s = session_s

    async def sign_in(self, kit: TerminalIdentity, msg: StaffSignin) -> StaffSession:
        """Check a sign-in on ``kit`` and bind the session, or raise :class:`Refused`."""
        if not kit.mobile:
            raise Refused("not_mobile")
        if msg.code is not None and msg.username is None and msg.password is None:
            record, method = await self._by_code(kit, msg.code), "kit_code"
        elif msg.username is not None and msg.password is not None and msg.code is None:
            record, method = await self._by_password(kit, msg), "password"
        else:
            raise Refused("wrong")  # neither a code nor username + password
        now = self._clock()
        expires = now + self._session_s
        await self._kits.start_session(kit.terminal_id, record.id, _utc(now), _utc(expires))
        self._audit.record(
            kit.municipality_id,
            Actor("caseworker", str(record.id), record.display_name),
            "kit.signed_in", "terminal", kit.terminal_id, method=method,
        )  # fmt: skip
        return StaffSession(record.id, record.display_name, record.role,
                            record.municipality_id, expires)  # fmt: skip

    async def _by_password(self, kit: TerminalIdentity, msg: StaffSignin) -> CaseworkerRecord:
        username = (msg.username or "").strip()
        keys = (f"kit:{kit.terminal_id}", f"user:{username.lower()}")
        self._check_throttle(keys)
        record = await self._store.caseworker_by_username(username)
        ok = await self._passwords.verify(record.password_hash if record else None,
                                          msg.password or "")  # fmt: skip
        if record is None or not ok:
            self._throttle.failure(*keys)
            raise Refused("wrong")
        self._allowed(kit, record)
        if record.totp_secret:
            if msg.totp is None:
                raise Refused("second_factor")  # the password was right: ask for the code
            totp_keys = (f"kit:{kit.terminal_id}", f"totp:{record.id}")
            self._check_throttle(totp_keys)
            step = totp.matching_step(record.totp_secret, msg.totp, self._clock())
            accounts = AccountStore(self._store.db)
            if step is None or not await accounts.accept_totp_step(
                record.id, record.totp_secret, step
            ):
                self._throttle.failure(*totp_keys)
                raise Refused("wrong")
            self._throttle.reset(*totp_keys)
        elif self._require_second_factor:
            raise Refused("setup_required")
        self._throttle.reset(*keys)
        return record

    async def _by_code(self, kit: TerminalIdentity, code: str) -> CaseworkerRecord:
        keys = (f"kit:{kit.terminal_id}",)
        self._check_throttle(keys)
        code_hash = hash_kit_code(code)
        owner = await self._kits.code_owner(code_hash)
        now = self._clock()
        usable = owner is not None and not owner.used and owner.expires_at > _utc(now)
        if owner is None or not usable or owner.municipality_id != kit.municipality_id:
            self._throttle.failure(*keys)  # another municipality's code is no code here
            raise Refused("wrong")
        record = await self._store.caseworker_by_id(owner.caseworker_id)
        if record is None:
            raise Refused("wrong")
        self._allowed(kit, record)
        if not await self._kits.use_code(code_hash, _utc(now)):
            self._throttle.failure(*keys)
            raise Refused("wrong")  # used by another kit a moment ago
        self._throttle.reset(*keys)
        return record

    def _check_throttle(self, keys: tuple[str, ...]) -> None:
        wait = self._throttle.retry_after(*keys)
        if wait > 0:
            raise Refused("throttled", round(wait, 1))

    def _allowed(self, kit: TerminalIdentity, record: CaseworkerRecord) -> None:
        """Only people of the kit's municipality, in a staff role, active."""
        if record.municipality_id != kit.municipality_id:
            raise Refused("forbidden")
        if record.role not in STAFF_ROLES or not record.active:
            raise Refused("forbidden")

    async def current(self, kit: TerminalIdentity) -> StaffSession | None:
        """The kit's running session (a reconnecting kit keeps its staff member), or None.

        The person is read again: one removed, deactivated or moved meanwhile is signed out."""
        if not kit.mobile:
            return None
        found = await self._kits.session(kit.terminal_id)
        if found is None:
            return None
        record = await self._store.caseworker_by_id(found.caseworker_id)
        expires = found.expires_at.timestamp()
        if (
            record is None
            or record.municipality_id != kit.municipality_id
            or record.role not in STAFF_ROLES
            or not record.active
            or expires <= self._clock()
        ):
            if await self._kits.end_session(kit.terminal_id):
                name = "" if record is None else record.display_name
                reason = "expired" if expires <= self._clock() else "revoked"
                self._audit.record(
                    kit.municipality_id, Actor("caseworker", str(found.caseworker_id), name),
                    "kit.signed_out", "terminal", kit.terminal_id, reason=reason,
                )  # fmt: skip
            return None
        return StaffSession(record.id, record.display_name, record.role,
                            record.municipality_id, expires)  # fmt: skip

    async def sign_out(self, kit: TerminalIdentity, staff: StaffSession, reason: str) -> None:
        """End the kit's session and audit why (``staff``, ``idle``, ``expired``)."""
        await self._kits.end_session(kit.terminal_id)
        self._audit.record(
            kit.municipality_id,
            Actor("caseworker", str(staff.caseworker_id), staff.name),
            "kit.signed_out", "terminal", kit.terminal_id, reason=reason,
        )  # fmt: skip

    async def new_code(self, caseworker_id: int) -> tuple[str, float]:
        """A fresh one-time code for this caseworker and its expiry (seconds since the epoch)."""
        code = new_kit_code()
        expires = self._clock() + CODE_TTL_S
        await self._kits.add_code(hash_kit_code(code), caseworker_id, _utc(expires))
        return code, expires


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
