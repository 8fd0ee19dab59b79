"""The caseworker's pages: sign in, sign out (here or everywhere), language, the console page.

Sign-in failures get one generic message whether the username exists or not; repeated
failures per username and per client address are throttled (429 with Retry-After). A
correct password leads to the second factor (:mod:`console.routes.totp`) unless
``require_second_factor`` is off and the person has none; single sign-on lives in
:mod:`console.routes.sso`. Both are registered here as nested blueprints, so the app
factory wires sign-in with one line. The forms carry a per-session CSRF token;
SameSite=Lax cookies are the second line.
"""

from __future__ import annotations

import math

from quart import Blueprint, Response, g, redirect, render_template, request, session
from werkzeug.wrappers.response import Response as WerkzeugResponse

from console.audit import Actor
from console.auth import csrf_token, csrf_valid
from console.i18n import LANGUAGES
from console.routes import sso, totp
from console.routes.flood_gate import client_address
from console.routes.signin import complete_sign_in, local_path, login_page, say
from console.services import services
from console.sessions import LANG_KEY, sign_out, signed_in, start_pending
from console.store.accounts import AccountStore
from console.store.admin_caseworkers import CaseworkerStore

bp = Blueprint("pages", __name__)
bp.register_blueprint(totp.bp)
bp.register_blueprint(sso.bp)
MAX_USERNAME = 100
MAX_PASSWORD = 1024


@bp.get("/login")
async def login_form() -> Response | WerkzeugResponse:
    """The sign-in form (signed-in people go straight to the console)."""
    if await signed_in(services().store, session) is not None:
        return redirect("/", 303)
    return await login_page(200)


@bp.post("/login")
async def login() -> Response | WerkzeugResponse:
    """Check the password; then the second factor, or straight into the console."""
    svc = services()
    form = await request.form
    if not csrf_valid(session, form.get("csrf_token")):
        return await login_page(403, say("login.error.expired"))
    username = form.get("username", "").strip()
    password = form.get("password", "")
    keys = (f"user:{username.lower()}", f"ip:{client_address()}")
    wait = svc.login_throttle.retry_after(*keys)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        page = await login_page(429, say("login.error.throttled", minutes=minutes), username)
        page.headers["Retry-After"] = str(math.ceil(wait))
        return page
    record = None
    if 0 < len(username) <= MAX_USERNAME and len(password) <= MAX_PASSWORD:
        record = await svc.store.caseworker_by_username(username)
    ok = await svc.passwords.verify(record.password_hash if record else None, password)
    if record is None or not ok:
        svc.login_throttle.failure(*keys)
        return await login_page(401, say("login.error.wrong"), username)
    svc.login_throttle.reset(*keys)
    if not record.active:
        return await login_page(403, say("login.error.inactive"), username)
    if record.totp_secret:
        start_pending(session, record)
        return redirect("/login/totp", 303)
    if svc.config.require_second_factor:
        start_pending(session, record)
        return redirect("/login/totp/setup", 303)
    complete_sign_in(svc, record, "password")
    return redirect("/", 303)


@bp.post("/logout")
async def logout() -> Response | WerkzeugResponse:
    """End the session (CSRF-protected so no other site can sign a caseworker out)."""
    form = await request.form
    if not csrf_valid(session, form.get("csrf_token")):
        return Response(say("base.error.csrf"), status=403, mimetype="text/plain")
    sign_out(session)
    return redirect("/login", 303)


@bp.post("/logout/all")
async def logout_everywhere() -> Response | WerkzeugResponse:
    """End every session and console socket of this person, this one included."""
    svc = services()
    form = await request.form
    if not csrf_valid(session, form.get("csrf_token")):
        return Response(say("base.error.csrf"), status=403, mimetype="text/plain")
    record = await signed_in(svc.store, session)
    if record is not None:
        await CaseworkerStore(svc.store.db).sign_out_everywhere(record.municipality_id, record.id)
        svc.audit.record(
            record.municipality_id,
            Actor("caseworker", str(record.id), record.display_name),
            "signed_out_everywhere",
            "caseworker",
            str(record.id),
        )
    sign_out(session)
    return redirect("/login?signed_out=all", 303)


@bp.post("/language")
async def set_language() -> Response | WerkzeugResponse:
    """Switch the pages' language (session; and the person's setting when signed in)."""
    svc = services()
    form = await request.form
    token = form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    if not csrf_valid(session, token):
        return Response(say("base.error.csrf"), status=403, mimetype="text/plain")
    lang = form.get("lang", "")
    if lang not in LANGUAGES:
        return Response(say("base.error.language"), status=400, mimetype="text/plain")
    session[LANG_KEY] = lang
    record = await signed_in(svc.store, session)
    if record is not None:
        await AccountStore(svc.store.db).set_language(record.id, lang)
    return redirect(local_path(form.get("next")), 303)


@bp.post("/session/alive")
async def keep_alive() -> Response:
    """Counts keyboard or pointer use on the console page as activity (idle timeout)."""
    record = await signed_in(services().store, session)
    if record is None:
        return Response(status=401)
    if not csrf_valid(session, request.headers.get("X-CSRF-Token")):
        return Response(status=403)
    return Response(status=204)


@bp.get("/")
async def index() -> Response | WerkzeugResponse:
    """The console page; signed-out visitors go to the sign-in form."""
    svc = services()
    record = await signed_in(svc.store, session)
    if record is None:
        return redirect("/login", 303)
    if record.language in LANGUAGES:
        g.lang = record.language
    html = await render_template(
        "index.html",
        caseworker=record.display_name,
        municipality=record.municipality_name,
        csrf_token=csrf_token(session),
        role=record.role,
        caseworker_id=record.id,
        here="/",
    )
    return Response(html, mimetype="text/html")
