"""The caseworker's pages: sign in, sign out, and the console page itself.

Sign-in failures get one generic message whether the username exists or not; repeated
failures per username and per client address are throttled (429 with Retry-After). The
forms carry a per-session CSRF token; SameSite=Lax cookies are the second line.
"""

from __future__ import annotations

import math

from quart import Blueprint, Response, redirect, render_template, request, session
from werkzeug.wrappers.response import Response as WerkzeugResponse

from console.auth import csrf_token, csrf_valid
from console.services import services
from console.sessions import sign_in, sign_out, signed_in

bp = Blueprint("pages", __name__)
MAX_USERNAME = 100
MAX_PASSWORD = 1024


async def _login_page(status: int, error: str | None = None, username: str = "") -> Response:
    html = await render_template(
        "login.html", csrf_token=csrf_token(session), error=error, username=username
    )
    return Response(html, status=status, mimetype="text/html")


@bp.get("/login")
async def login_form() -> Response:
    """The sign-in form."""
    return await _login_page(200)


@bp.post("/login")
async def login() -> Response | WerkzeugResponse:
    """Check credentials; on success start a session and go to the console."""
    svc = services()
    form = await request.form
    if not csrf_valid(session, form.get("csrf_token")):
        return await _login_page(403, "Die Sitzung war abgelaufen. Bitte erneut anmelden.")
    username = form.get("username", "").strip()
    password = form.get("password", "")
    keys = (f"user:{username.lower()}", f"ip:{request.remote_addr or 'unknown'}")
    wait = svc.login_throttle.retry_after(*keys)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        page = await _login_page(
            429,
            f"Zu viele Fehlversuche. Bitte in {minutes} Minute(n) erneut versuchen.",
            username,
        )
        page.headers["Retry-After"] = str(math.ceil(wait))
        return page
    record = None
    if 0 < len(username) <= MAX_USERNAME and len(password) <= MAX_PASSWORD:
        record = await svc.store.caseworker_by_username(username)
    ok = await svc.passwords.verify(record.password_hash if record else None, password)
    if record is None or not ok:
        svc.login_throttle.failure(*keys)
        return await _login_page(401, "Benutzername oder Passwort ist falsch.", username)
    svc.login_throttle.reset(*keys)
    sign_in(session, record)
    session.permanent = True
    return redirect("/", 303)


@bp.post("/logout")
async def logout() -> Response | WerkzeugResponse:
    """End the session (CSRF-protected so no other site can sign a caseworker out)."""
    form = await request.form
    if not csrf_valid(session, form.get("csrf_token")):
        return Response("CSRF-Prüfung fehlgeschlagen.", status=403, mimetype="text/plain")
    sign_out(session)
    return redirect("/login", 303)


@bp.get("/")
async def index() -> Response | WerkzeugResponse:
    """The console page; signed-out visitors go to the sign-in form."""
    svc = services()
    record = await signed_in(svc.store, session)
    if record is None:
        return redirect("/login", 303)
    html = await render_template(
        "index.html",
        caseworker=record.display_name,
        municipality=record.municipality_name,
        csrf_token=csrf_token(session),
    )
    return Response(html, mimetype="text/html")
