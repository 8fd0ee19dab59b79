"""The second sign-in step: a TOTP code, or setting one up on first sign-in.

Reached only with a *pending* sign-in (a correct password within the last five minutes,
see :mod:`console.sessions`). Wrong codes count against the same throttle as passwords,
keyed by person and by address. During setup the new secret waits in the signed session
cookie, which only this browser holds and which shows it anyway; it becomes the person's
secret only after one correct code proves the app has it, and leaves the cookie then.
"""

from __future__ import annotations

import math

from quart import Blueprint, Response, redirect, request, session
from werkzeug.wrappers.response import Response as WerkzeugResponse

from console import totp
from console.audit import Actor
from console.auth import csrf_valid
from console.routes.flood_gate import client_address
from console.routes.signin import complete_sign_in, page, say
from console.services import Services, services
from console.sessions import pending, sign_out
from console.store import CaseworkerRecord
from console.store.accounts import AccountStore

bp = Blueprint("totp", __name__)
SETUP_KEY = "totp_setup"
MAX_CODE = 20


async def _pending_record(svc: Services) -> CaseworkerRecord | None:
    """The person of the pending sign-in, if it is still valid."""
    found = pending(session)
    if found is None:
        return None
    record = await svc.store.caseworker_by_id(found.caseworker_id)
    if record is None or not record.active or record.session_version != found.version:
        return None
    return record


def _restart() -> WerkzeugResponse:
    sign_out(session)
    return redirect("/login", 303)


@bp.get("/login/totp")
async def code_form() -> Response | WerkzeugResponse:
    """Ask for the code of the authenticator app."""
    record = await _pending_record(services())
    if record is None:
        return _restart()
    if not record.totp_secret:
        return redirect("/login/totp/setup", 303)
    return await page("totp.html")


@bp.post("/login/totp")
async def check_code() -> Response | WerkzeugResponse:
    """Check the code; on success the session is signed in."""
    svc = services()
    form = await request.form
    record = await _pending_record(svc)
    if record is None or not csrf_valid(session, form.get("csrf_token")):
        return _restart()
    if not record.totp_secret:
        return redirect("/login/totp/setup", 303)
    keys = (f"totp:{record.id}", f"ip:{client_address()}")
    wait = svc.login_throttle.retry_after(*keys)
    if wait > 0:
        return _retry_after(await page("totp.html", 429, error=_wait_text(wait)), wait)
    code = form.get("code", "")[:MAX_CODE]
    step = totp.matching_step(record.totp_secret, code)
    accounts = AccountStore(svc.store.db)
    if step is None or not await accounts.accept_totp_step(record.id, record.totp_secret, step):
        svc.login_throttle.failure(*keys)
        return await page("totp.html", 401, error=say("login.totp.error.wrong"))
    svc.login_throttle.reset(*keys)
    complete_sign_in(svc, record, "password+totp")
    return redirect("/", 303)


@bp.get("/login/totp/setup")
async def setup_form() -> Response | WerkzeugResponse:
    """Show a new secret as text and QR code."""
    record = await _pending_record(services())
    if record is None:
        return _restart()
    if record.totp_secret:
        return redirect("/login/totp", 303)
    return await _setup_page(record, 200)


@bp.post("/login/totp/setup")
async def confirm_setup() -> Response | WerkzeugResponse:
    """Store the secret once a code from the app matches it; then sign in."""
    svc = services()
    form = await request.form
    record = await _pending_record(svc)
    secret = session.get(SETUP_KEY)
    if record is None or not csrf_valid(session, form.get("csrf_token")):
        return _restart()
    if record.totp_secret or not isinstance(secret, str):
        return redirect("/login/totp", 303)
    keys = (f"totp:{record.id}", f"ip:{client_address()}")
    wait = svc.login_throttle.retry_after(*keys)
    if wait > 0:
        return _retry_after(await _setup_page(record, 429, _wait_text(wait)), wait)
    step = totp.matching_step(secret, form.get("code", "")[:MAX_CODE])
    if step is None:
        svc.login_throttle.failure(*keys)
        return await _setup_page(record, 401, say("login.totp.error.wrong"))
    if not await AccountStore(svc.store.db).enroll_totp(record.id, secret, step):
        return redirect("/login/totp", 303)  # set up meanwhile elsewhere: use that one
    svc.login_throttle.reset(*keys)
    svc.audit.record(
        record.municipality_id,
        Actor("caseworker", str(record.id), record.display_name),
        "second_factor_enrolled",
        "caseworker",
        str(record.id),
    )
    complete_sign_in(svc, record, "password+totp")
    return redirect("/", 303)


async def _setup_page(record: CaseworkerRecord, status: int, error: str | None = None) -> Response:
    secret = session.get(SETUP_KEY)
    if not isinstance(secret, str):
        secret = totp.new_secret()
        session[SETUP_KEY] = secret
    uri = totp.provisioning_uri(secret, record.username, record.municipality_name)
    return await page(
        "totp_setup.html",
        status,
        error=error,
        secret=totp.grouped(secret),
        qr=totp.qr_data_uri(uri),
        account=record.username,
    )


def _wait_text(wait: float) -> str:
    return say("login.error.throttled", minutes=max(1, math.ceil(wait / 60)))


def _retry_after(response: Response, wait: float) -> Response:
    response.headers["Retry-After"] = str(math.ceil(wait))
    return response
