"""Mobile kits: staff sign-in over the kit's terminal socket, and what a kit may do.

Two municipalities (Aldorf, Bestadt), each with a stationary terminal and a mobile kit,
over a real console: who may sign in where, wrong secrets refused and throttled, one-time
codes used once and only in time, and a kit without a staff member calling nothing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select, update

from console import totp
from console.__main__ import main
from console.audit import AuditLog
from console.calls import TerminalIdentity
from console.config import load_config
from console.enroll import Enroller
from console.kits import Kits, Refused, hash_kit_code
from console.store import Database, Store
from console.store.accounts import AccountStore
from console.store.models import AuditEntry, KitCode, KitSession, Terminal
from console.throttle import Throttle
from protocol.messages import (
    CallRequest,
    CardStatus,
    Error,
    Hangup,
    Ping,
    Pong,
    Queued,
    QueueUpdate,
    StaffSignedIn,
    StaffSignedOut,
    StaffSignin,
    StaffSigninFailed,
    StaffSignout,
)
from tests.console.admin_setup import call, tenants
from tests.console.conftest import PASSWORD, Kits2, RunningConsole, Seed, cheap_passwords
from tests.console.helpers import Peer, caseworker, csrf_from, login, terminal


async def kit(http: aiohttp.ClientSession, console: RunningConsole, credential: str) -> Peer:
    """A mobile kit's socket after welcome and its first staff status (nobody signed in)."""
    peer, _ = await terminal(http, console, credential)
    assert await peer.expect(StaffSignedOut) == StaffSignedOut(reason="none")
    return peer


def password(username: str, secret: str = PASSWORD, code: str | None = None) -> StaffSignin:
    return StaffSignin(request_id="r1", username=username, password=secret, totp=code)


async def kit_code(console: RunningConsole, username: str) -> str:
    """A one-time kit code created by ``username`` at their console page."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        assert (await login(http, console, username)).status == 303
        async with http.get(f"{console.base}/") as page:
            csrf = csrf_from(await page.text())
        url = f"{console.base}/api/v1/kit-codes"
        async with http.post(url, headers={"X-CSRF-Token": csrf}) as resp:
            assert resp.status == 201
            body = await resp.json()
    code: str = body["code"]
    assert len(code) == 8 and code.isdigit()
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)
    return code


@pytest.fixture
async def audit_rows(store: Store) -> AsyncIterator[object]:
    async def rows() -> list[tuple[str, str, str]]:
        async with store.db.session() as s:
            found = await s.execute(
                select(AuditEntry.action, AuditEntry.actor_name, AuditEntry.target_id).order_by(
                    AuditEntry.id
                )
            )
            return [tuple(r) for r in found.all()]  # type: ignore[misc]

    yield rows


# --- who may sign in where ---------------------------------------------------------------


async def test_a_stationary_terminal_cannot_sign_staff_in(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed, kits: Kits2
) -> None:
    peer, _ = await terminal(http, console, seed.a1)
    await peer.send(password("alice"))
    refused = await peer.expect(StaffSigninFailed)
    assert (refused.request_id, refused.code) == ("r1", "not_mobile")
    await peer.send(StaffSignout())  # nothing to end, and no staff session appears
    assert await peer.expect(StaffSignedOut) == StaffSignedOut(reason="none")


async def test_kit_of_a_refuses_staff_of_b_and_b_codes(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2
) -> None:
    peer = await kit(http, console, kits.a)
    await peer.send(password("bert"))  # right password, other municipality
    assert (await peer.expect(StaffSigninFailed)).code == "forbidden"
    code = await kit_code(console, "bert")
    await peer.send(StaffSignin(request_id="r2", code=code))
    assert (await peer.expect(StaffSigninFailed)).code == "wrong"
    other = await kit(http, console, kits.b)  # the code is still good at Bestadt's own kit
    await other.send(StaffSignin(request_id="r3", code=code))
    signed = await other.expect(StaffSignedIn)
    assert (signed.name, signed.request_id) == ("Bert Behörde", "r3")
    assert {q.office for q in signed.queues} == {"Bestadt"}


@pytest.mark.both_backends
async def test_password_sign_in_binds_a_session_that_survives_a_reconnect(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2, audit_rows: object
) -> None:
    peer = await kit(http, console, kits.a)
    await peer.send(password("anton"))
    signed = await peer.expect(StaffSignedIn)
    assert (signed.name, signed.role, signed.request_id) == ("Anton Amt", "caseworker", "r1")
    assert {q.office for q in signed.queues} == {"Aldorf"} and signed.queues
    assert 7.9 * 3600 < signed.expires_at - datetime.now(UTC).timestamp() <= 8 * 3600
    await peer.close()
    again, _ = await terminal(http, console, kits.a)
    back = await again.expect(StaffSignedIn)
    assert (back.name, back.request_id) == ("Anton Amt", None)
    await again.send(StaffSignout())
    assert await again.expect(StaffSignedOut) == StaffSignedOut(reason="signout")
    await again.close()
    third, _ = await terminal(http, console, kits.a)
    assert await third.expect(StaffSignedOut) == StaffSignedOut(reason="none")
    rows = await audit_rows()  # type: ignore[operator]
    for _ in range(50):  # the audit writer writes in batches
        if ("kit.signed_out", "Anton Amt", kits.a_id) in rows:
            break
        await asyncio.sleep(0.1)
        rows = await audit_rows()  # type: ignore[operator]
    assert ("kit.signed_in", "Anton Amt", kits.a_id) in rows
    assert ("kit.signed_out", "Anton Amt", kits.a_id) in rows


async def test_wrong_passwords_are_refused_then_throttled(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2
) -> None:
    peer = await kit(http, console, kits.a)
    for n in range(5):
        await peer.send(StaffSignin(request_id=f"w{n}", username="alice", password="falsch-123"))
        failed = await peer.expect(StaffSigninFailed)
        assert (failed.request_id, failed.code) == (f"w{n}", "wrong")
    await peer.send(password("alice"))  # even the right password waits now
    throttled = await peer.expect(StaffSigninFailed)
    assert throttled.code == "throttled"
    assert throttled.retry_after_s is not None and 50 < throttled.retry_after_s <= 60
    await peer.send(StaffSignin(request_id="u", username="nobody", password="whatever-1"))
    assert (await peer.expect(StaffSigninFailed)).code == "throttled"  # the kit is blocked


@pytest.mark.both_backends
async def test_kit_codes_are_used_once(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2
) -> None:
    code = await kit_code(console, "alice")
    peer = await kit(http, console, kits.a)
    await peer.send(StaffSignin(request_id="c1", code=code))
    assert (await peer.expect(StaffSignedIn)).name == "Alice Amt"
    await peer.send(StaffSignin(request_id="c2", code=code))
    assert (await peer.expect(StaffSigninFailed)).code == "wrong"
    wrong = "0" * 8 if code != "0" * 8 else "1" * 8
    await peer.send(StaffSignin(request_id="c3", code=wrong))
    assert (await peer.expect(StaffSigninFailed)).code == "wrong"


async def test_an_expired_code_is_refused(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2, store: Store
) -> None:
    code = await kit_code(console, "alice")
    async with store.db.session() as s, s.begin():
        await s.execute(
            update(KitCode)
            .where(KitCode.code_hash == hash_kit_code(code))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    peer = await kit(http, console, kits.a)
    await peer.send(StaffSignin(request_id="e", code=code))
    assert (await peer.expect(StaffSigninFailed)).code == "wrong"


async def test_a_new_code_replaces_the_unused_older_one(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2
) -> None:
    first = await kit_code(console, "alice")
    second = await kit_code(console, "alice")
    peer = await kit(http, console, kits.a)
    if first != second:
        await peer.send(StaffSignin(request_id="o", code=first))
        assert (await peer.expect(StaffSigninFailed)).code == "wrong"
    await peer.send(StaffSignin(request_id="n", code=second))
    assert (await peer.expect(StaffSignedIn)).name == "Alice Amt"


async def test_totp_is_asked_for_and_checked(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2, store: Store
) -> None:
    anton = await store.caseworker_by_username("anton")
    assert anton is not None
    secret = totp.new_secret()
    assert await AccountStore(store.db).enroll_totp(anton.id, secret, 0)
    peer = await kit(http, console, kits.a)
    await peer.send(password("anton"))
    assert (await peer.expect(StaffSigninFailed)).code == "second_factor"
    step = totp.current_step()
    wrong = f"{(int(totp.code_at(secret, step)) + 1) % 10**6:06d}"
    await peer.send(password("anton", code=wrong))
    assert (await peer.expect(StaffSigninFailed)).code == "wrong"
    await peer.send(password("anton", "falsch-123", totp.code_at(secret, step)))
    assert (await peer.expect(StaffSigninFailed)).code == "wrong"  # the password first
    await peer.send(password("anton", code=totp.code_at(secret, step)))
    assert (await peer.expect(StaffSignedIn)).name == "Anton Amt"
    await peer.send(StaffSignout())
    await peer.expect(StaffSignedOut)
    await peer.send(password("anton", code=totp.code_at(secret, step)))  # replayed code
    assert (await peer.expect(StaffSigninFailed)).code == "wrong"


# --- what a kit may do ---------------------------------------------------------------------


async def test_a_kit_without_staff_calls_nothing(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2
) -> None:
    peer = await kit(http, console, kits.a)
    queue_id = console.hub.directory.queues_of(1)[0].queue_id
    await peer.send(CallRequest(queue_id=queue_id, staff="Alice Amt"))  # a claimed name
    assert (await peer.expect(Error)).code == "staff_required"
    await peer.send(CardStatus(card="eid"))  # dropped without a word
    await peer.send(Ping(seq=1))
    assert await peer.expect(Pong) == Pong(seq=1)
    assert not console.hub._calls  # nothing was queued


async def test_a_kit_with_staff_calls_its_municipality_only_and_the_desk_sees_who(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2
) -> None:
    alice_http, alice, _ = await caseworker(console, "alice")
    try:
        peer = await kit(http, console, kits.a)
        await peer.send(password("anton"))
        signed = await peer.expect(StaffSignedIn)
        own = {q.queue_id for q in signed.queues}
        foreign = console.hub.directory.queues_of(2)[0].queue_id
        assert foreign not in own
        await peer.send(CallRequest(queue_id=foreign))
        error = await peer.expect(Error)
        assert (error.code, error.message) == (
            "invalid",
            "queue_id: not a queue of this municipality",
        )
        await peer.send(CallRequest(queue_id=None))
        assert (await peer.expect(Error)).code == "invalid"
        await peer.send(CallRequest(queue_id=min(own), staff="Jemand Anders"))
        queued = await peer.expect(Queued)
        entry = None
        while entry is None:
            update_ = await alice.expect(QueueUpdate)
            entry = next((e for e in update_.entries if e.terminal_name == "Koffer Aldorf"), None)
        assert entry.staff == "Anton Amt"  # the console's, not the kit's claim
        await peer.send(Hangup(call_id=entry.call_id))
        assert queued.call_id == entry.call_id
    finally:
        await alice_http.close()


async def test_a_stationary_terminal_cannot_claim_staff(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    alice_http, alice, _ = await caseworker(console, "alice")
    try:
        peer, _ = await terminal(http, console, seed.a1)
        await peer.send(CallRequest(staff="Chefin"))
        await peer.recv()
        update_ = await alice.expect(QueueUpdate)
        assert [e.staff for e in update_.entries] == [None]
    finally:
        await alice_http.close()


# --- the rules without sockets ---------------------------------------------------------------


@pytest.mark.both_backends
async def test_expired_session_and_second_factor_required(store: Store, seed: Seed) -> None:
    now = [datetime.now(UTC).timestamp()]
    enroller = Enroller(store)
    record, _ = await enroller.add_terminal("Aldorf", "Koffer", 1, kind="mobile")
    who = TerminalIdentity(record.id, record.name, record.municipality_id, "Aldorf", kind="mobile")
    strict = Kits(store, cheap_passwords(), Throttle(), AuditLog(store.db),
                  require_second_factor=True, clock=lambda: now[0])  # fmt: skip
    with pytest.raises(Refused) as refused:
        await strict.sign_in(who, password("alice"))
    assert refused.value.code == "setup_required"
    kits = Kits(store, cheap_passwords(), Throttle(), AuditLog(store.db),
                require_second_factor=False, clock=lambda: now[0])  # fmt: skip
    session = await kits.sign_in(who, password("alice"))
    assert await kits.current(who) == session
    now[0] += 8 * 3600 + 1
    assert await kits.current(who) is None  # expired: ended
    now[0] -= 8 * 3600 + 1
    assert await kits.current(who) is None  # and gone from the database
    session = await kits.sign_in(who, password("alice"))
    alice = await store.caseworker_by_username("alice")
    assert alice is not None
    from console.store.models import Caseworker

    async with store.db.session() as s, s.begin():
        await s.execute(update(Caseworker).where(Caseworker.id == alice.id).values(active=False))
    assert await kits.current(who) is None  # deactivated meanwhile: signed out
    with pytest.raises(Refused) as refused:
        await kits.sign_in(who, password("alice"))
    assert refused.value.code == "forbidden"
    with pytest.raises(Refused) as refused:
        await kits.sign_in(who, StaffSignin(request_id="x", username="anton"))
    assert refused.value.code == "wrong"  # neither password nor code


def test_sign_in_repr_hides_the_secrets() -> None:
    msg = StaffSignin(request_id="r", username="alice", password="geheim-123", totp="123456")
    assert "geheim" not in repr(msg) and "123456" not in repr(msg) and "alice" in repr(msg)
    coded = StaffSignin(request_id="r", code="12345678")
    assert "12345678" not in repr(coded) and "12345678" not in str([coded])


def test_cli_enrolls_a_mobile_kit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BT_CONSOLE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BT_CONSOLE_DATABASE_URL", raising=False)
    assert main(["migrate"]) == 0
    assert main(["add-municipality", "Aldorf"]) == 0
    assert main(["add-terminal", "--mobile", "--municipality", "Aldorf", "Koffer"]) == 0
    assert main(["add-terminal", "--municipality", "Aldorf", "Rathaus"]) == 0
    capsys.readouterr()

    async def kinds() -> dict[str, str]:
        db = Database.open(load_config(env=dict(os.environ)).url)
        try:
            async with db.session() as s:
                rows = await s.execute(select(Terminal.name, Terminal.kind))
                return {name: kind for name, kind in rows.all()}
        finally:
            await db.close()

    assert asyncio.run(kinds()) == {"Koffer": "mobile", "Rathaus": "stationary"}


async def test_admin_api_sets_the_kind_and_only_admins_of_the_municipality(
    http: aiohttp.ClientSession, console: RunningConsole, store: Store, seed: Seed
) -> None:
    people = await tenants(store)
    admin, path = people.a["admin"], "/api/v1/admin/terminals"
    status, made = await call(
        http, console, admin, "POST", path, {"name": "Koffer", "kind": "mobile"}
    )
    assert status == 201 and made["terminal"]["kind"] == "mobile"  # type: ignore[index]
    tid = made["terminal"]["id"]  # type: ignore[index]
    status, _ = await call(http, console, admin, "POST", path, {"name": "X", "kind": "truck"})
    assert status == 400
    status, _ = await call(http, console, people.a["supervisor"], "PATCH", f"{path}/{tid}",
                           {"kind": "stationary"})  # fmt: skip
    assert status == 403
    status, _ = await call(http, console, people.b["admin"], "PATCH", f"{path}/{tid}",
                           {"kind": "stationary"})  # fmt: skip
    assert status == 404
    status, changed = await call(
        http, console, admin, "PATCH", f"{path}/{tid}", {"kind": "stationary"}
    )
    assert status == 200 and changed["kind"] == "stationary"  # type: ignore[index]
    record = await store.terminal(tid)
    assert record is not None and record.kind == "stationary"


@pytest.mark.both_backends
async def test_a_session_that_ran_out_is_ended_at_the_next_call(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2, store: Store
) -> None:
    peer = await kit(http, console, kits.a)
    await peer.send(password("anton"))
    signed = await peer.expect(StaffSignedIn)
    async with store.db.session() as s, s.begin():
        await s.execute(
            update(KitSession)
            .where(KitSession.terminal_id == kits.a_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await peer.send(CallRequest(queue_id=signed.queues[0].queue_id))
    assert await peer.expect(StaffSignedOut) == StaffSignedOut(reason="expired")
    assert (await peer.expect(Error)).code == "staff_required"
    assert not console.hub._calls
    await peer.send(CardStatus(card="eid"))  # and without a session nothing else goes either
    await peer.send(Ping(seq=2))
    assert await peer.expect(Pong) == Pong(seq=2)


async def test_wrong_codes_and_totps_are_throttled_per_kit(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2, store: Store
) -> None:
    code = await kit_code(console, "alice")
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    peer = await kit(http, console, kits.a)
    for n in range(5):
        await peer.send(StaffSignin(request_id=f"g{n}", code=wrong))
        assert (await peer.expect(StaffSigninFailed)).code == "wrong"
    await peer.send(StaffSignin(request_id="right", code=code))
    throttled = await peer.expect(StaffSigninFailed)
    assert (throttled.request_id, throttled.code) == ("right", "throttled")
    other = await kit(http, console, kits.b)  # another kit is not held up by this one
    await other.send(StaffSignin(request_id="b", code=wrong))
    assert (await other.expect(StaffSigninFailed)).code == "wrong"

    bert = await store.caseworker_by_username("bert")
    assert bert is not None
    secret = totp.new_secret()
    assert await AccountStore(store.db).enroll_totp(bert.id, secret, 0)
    step = totp.current_step()
    bad = f"{(int(totp.code_at(secret, step)) + 1) % 10**6:06d}"
    for _ in range(4):  # with the wrong code above: the kit's fifth failure
        await other.send(password("bert", code=bad))
        assert (await other.expect(StaffSigninFailed)).code == "wrong"
    await other.send(password("bert", code=totp.code_at(secret, step)))
    assert (await other.expect(StaffSigninFailed)).code == "throttled"
