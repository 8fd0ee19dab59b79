"""``GET /api/v1/usage`` and the ``/dashboard`` page: usage figures for supervisors.

Municipalities must be able to show whether their terminals are used (the Saxon pilot's
evaluation lacked exactly that). The figures count calls per terminal, hour of day, weekday,
day and service (queue), their outcomes and waiting and talk times, computed from
``call_records`` (:mod:`console.usage_figures`); nothing in them names a person. Supervisors
and admins of the municipality only; the page's audit section is shown to admins.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from quart import Blueprint, Response, g, redirect, render_template, request, session
from werkzeug.wrappers.response import Response as WerkzeugResponse

from console.api.jsonio import reply
from console.api.openapi import operation
from console.auth import csrf_token
from console.authz import current_principal, require
from console.i18n import LANGUAGES, negotiate
from console.roles import Role
from console.routes.ranges import FROM_TO_PARAMS, day_range, zone
from console.services import services
from console.store.usage import UsageStore
from console.usage_figures import figures, local_range

bp = Blueprint("usage", __name__)
DEFAULT_DAYS = 30
MAX_DAYS = 366


class Outcomes(msgspec.Struct):
    """Calls by outcome."""

    answered: int
    abandoned: int
    callback: int
    closed: int
    waiting: int


class UsageTotals(Outcomes):
    """All calls of the range by outcome, and how often calls were transferred."""

    calls: int
    transfers: int


class WaitTimes(msgspec.Struct):
    """Seconds to the first answer (answered calls); null without calls."""

    median: float | None
    p90: float | None
    abandoned_median: float | None


class TalkTimes(msgspec.Struct):
    """Seconds from the first answer to the end."""

    median: float | None


class TerminalUsage(Outcomes):
    """One terminal's calls."""

    terminal_id: str | None
    name: str | None
    calls: int


class QueueUsage(Outcomes):
    """One service's (queue's) calls and median wait."""

    queue_id: int | None
    name: str | None
    office: str | None
    calls: int
    wait_median_s: float | None


class HourUsage(msgspec.Struct):
    """Calls requested in one local hour of the day (0-23)."""

    hour: int
    calls: int


class WeekdayUsage(msgspec.Struct):
    """Calls requested on one ISO weekday (1 = Monday)."""

    weekday: int
    calls: int


class DayUsage(Outcomes):
    """Calls of one local day."""

    date: str
    calls: int


class UsageFigures(msgspec.Struct):
    """Usage figures of a municipality for a range of local days (no personal data)."""

    from_: str = msgspec.field(name="from")
    to: str
    timezone: str
    totals: UsageTotals
    wait_s: WaitTimes
    talk_s: TalkTimes
    by_terminal: list[TerminalUsage]
    by_queue: list[QueueUsage]
    by_hour: list[HourUsage]
    by_weekday: list[WeekdayUsage]
    by_day: list[DayUsage]


async def usage_figures(municipality_id: int, args: dict[str, str]) -> UsageFigures:
    """The figures a request for ``args`` (from, to) gets."""
    store = UsageStore(services().store.db)
    local = zone(await store.timezone(municipality_id))
    first, last = day_range(args, local, datetime.now(UTC), DEFAULT_DAYS, MAX_DAYS)
    start, end = local_range(first, last, local)
    calls = await store.calls(municipality_id, start, end)
    return msgspec.convert(figures(calls, local, first, last), UsageFigures)


@bp.get("/api/v1/usage")
async def usage() -> Response:
    """The usage figures of the caller's municipality."""
    who = await require(Role.SUPERVISOR)
    return reply(await usage_figures(who.municipality_id, dict(request.args)))


@bp.get("/dashboard")
async def dashboard() -> Response | WerkzeugResponse:
    """The supervisors' dashboard page; signed-out visitors go to the sign-in form."""
    who = await current_principal()
    if who is None:
        return redirect("/login", 303)
    svc = services()
    record = await svc.store.caseworker_by_id(who.caseworker_id)
    if record is not None and record.language in LANGUAGES:
        g.lang = record.language  # the person's own choice, as on the console page
    if not who.can(Role.SUPERVISOR):
        text = svc.i18n.t(_lang(), "usage.forbidden")
        return Response(text, status=403, mimetype="text/plain")
    html = await render_template(
        "dashboard.html",
        caseworker=who.display_name,
        municipality=who.municipality_name,
        is_admin=who.can(Role.ADMIN),
        audit_days=svc.config.audit_retention_days,
        csrf_token=csrf_token(session),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _lang() -> str:
    chosen = getattr(g, "lang", None)
    return negotiate(request.headers.get("Accept-Language"), chosen, session.get("lang"))


OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/v1/usage": {
            "get": operation(
                "Usage figures: calls per terminal, hour, weekday, day and service; outcomes; "
                "waiting and talk times. No personal data.",
                role="supervisor", tag="usage", ok=UsageFigures, params=FROM_TO_PARAMS,
            )
        }
    },
    "schemas": {"UsageFigures": UsageFigures},
}  # fmt: skip
