"""What the sign-in pages share: their language, their messages, and finishing a sign-in.

Password, second-factor and single-sign-on pages all end in :func:`complete_sign_in`, so
a session always starts the same way (fresh cookie, limits written in, language kept,
audit entry written) however the person proved who they are.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from quart import Response, g, render_template, request, session

from console.audit import Actor
from console.auth import csrf_token
from console.i18n import negotiate
from console.services import Services, services
from console.sessions import LANG_KEY, sign_in
from console.store import CaseworkerRecord
from console.store.accounts import AccountStore


def language() -> str:
    """The language of this request's page (see :mod:`console.i18n`)."""
    chosen = getattr(g, "lang", None)
    if isinstance(chosen, str):
        return chosen
    return negotiate(request.headers.get("Accept-Language"), session.get(LANG_KEY))


def say(key: str, **values: object) -> str:
    """One message in the page's language."""
    return services().i18n.t(language(), key, **values)


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site (no scheme, host or ``//``), else ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


async def page(template: str, status: int = 200, **values: object) -> Response:
    """Render a sign-in page with its CSRF token; never cached."""
    html = await render_template(
        template, csrf_token=csrf_token(session), here=request.path, **values
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


async def login_page(status: int, error: str | None = None, username: str = "") -> Response:
    """The password form, optionally with an error."""
    svc = services()
    return await page(
        "login.html",
        status,
        error=error,
        username=username,
        second_factor=svc.config.require_second_factor,
        sso=await AccountStore(svc.store.db).any_provider(),
    )


def complete_sign_in(svc: Services, record: CaseworkerRecord, method: str) -> None:
    """Start the session of a fully authenticated person and audit it."""
    sign_in(
        session,
        record,
        max_age_s=svc.config.session_max_age_s,
        idle_s=svc.config.session_idle_s,
    )
    session.permanent = True
    svc.audit.record(
        record.municipality_id,
        Actor("caseworker", str(record.id), record.display_name),
        "signed_in",
        "caseworker",
        str(record.id),
        method=method,
    )
