"""``GET /admin``: the administration page (admins change, supervisors look), and
``GET /visits``: the mobile office's schedule (supervisors and admins change, caseworkers
look; the same section is on /admin).

The page is a shell: ``admin.js`` reads and writes everything through the JSON API with
the session cookie and the CSRF token from the ``data-csrf`` attribute of ``<main>``. Signed-out
visitors go to the sign-in form; caseworkers get 403.
"""

from __future__ import annotations

from quart import Blueprint, Response, redirect, render_template, session
from werkzeug.wrappers.response import Response as WerkzeugResponse

from console.auth import csrf_token
from console.authz import current_principal
from console.roles import Role
from console.services import services

bp = Blueprint("admin_page", __name__)


@bp.get("/admin")
async def admin_page() -> Response | WerkzeugResponse:
    """The administration page."""
    who = await current_principal()
    if who is None:
        return redirect("/login", 303)
    if not who.can(Role.SUPERVISOR):
        html = await render_template("admin.html", forbidden=True, who=who, csrf_token="")
        return Response(html, status=403, mimetype="text/html")
    html = await render_template(
        "admin.html",
        forbidden=False,
        who=who,
        readonly=not who.can(Role.ADMIN),
        csrf_token=csrf_token(session),
        visits_days=_days(),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _days() -> str:
    days = services().config.home_visit_retention_days
    return f"{days:g}"


@bp.get("/visits")
async def visits_page() -> Response | WerkzeugResponse:
    """The mobile office's schedule: caseworkers read it, supervisors and admins change it."""
    who = await current_principal()
    if who is None:
        return redirect("/login", 303)
    html = await render_template(
        "visits.html",
        who=who,
        visits_write=who.can(Role.SUPERVISOR),
        visits_days=_days(),
        csrf_token=csrf_token(session),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
