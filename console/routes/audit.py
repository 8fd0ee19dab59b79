"""``GET /api/v1/audit`` (JSON, paged) and ``GET /api/v1/audit.csv`` (export): admins only.

Both show the caller's municipality only, between two local days (see
:mod:`console.routes.ranges`; default: the whole retention period). The export is itself
audited (``audit.export``) before the first row is sent, and streamed in batches of
:data:`~console.store.audit.EXPORT_BATCH`, so three months of a busy municipality need
no more memory than one batch.

CSV injection: a spreadsheet runs a cell starting with ``=``, ``+``, ``-`` or ``@`` (and tab
or carriage return) as a formula, and actor names or ids are typed by people, so such cells
get a leading ``'`` (OWASP's advice). The file starts with a UTF-8 byte order mark so
spreadsheet programs read umlauts right.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from quart import Blueprint, Response, request

from console.api.jsonio import actor, reply
from console.api.openapi import MAX_ID, operation
from console.authz import require
from console.errors import InvalidInputError
from console.roles import Role
from console.routes.ranges import FROM_TO_PARAMS, day_range, zone
from console.services import services
from console.store.audit import AuditRecord, AuditStore
from console.store.usage import UsageStore
from console.usage_figures import local_range

bp = Blueprint("audit", __name__)
MAX_DAYS = 366
MAX_LIMIT = 200
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "action",
    "target_kind",
    "target_id",
    "detail",
)


class AuditItem(msgspec.Struct):
    """One audit entry: who did what to which object when; metadata only."""

    id: int
    at: str
    actor_kind: str
    actor_id: str
    actor_name: str
    action: str
    target_kind: str
    target_id: str
    detail: dict[str, Any]


class AuditPage(msgspec.Struct):
    """Entries newest first; ``next_before`` fetches the next (older) page, null at the end."""

    entries: list[AuditItem]
    next_before: int | None


def safe_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it as text, never runs it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_lines(records: Iterable[AuditRecord]) -> str:
    """CSV text (RFC 4180, CRLF) of some entries, every cell made formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    for r in records:
        row = (_iso(r.at), r.actor_kind, r.actor_id, r.actor_name, r.action, r.target_kind,
               r.target_id, r.detail)  # fmt: skip
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


async def _range(municipality_id: int) -> tuple[date, date, datetime, datetime]:
    zone_name = await UsageStore(services().store.db).timezone(municipality_id)
    default = math.ceil(services().config.audit_retention_days) + 1  # all that is kept
    local = zone(zone_name)
    first, last = day_range(request.args, local, datetime.now(UTC), default, MAX_DAYS)
    start, end = local_range(first, last, local)
    return first, last, start, end


@bp.get("/api/v1/audit")
async def audit_page() -> Response:
    """A page of the municipality's audit log, newest first."""
    who = await require(Role.ADMIN)
    _first, _last, start, end = await _range(who.municipality_id)
    limit = _int_arg("limit", 50, 1, MAX_LIMIT)
    before = _int_arg("before", 0, 1, MAX_ID) or None
    action = request.args.get("action") or None
    if action is not None and len(action) > 40:
        raise InvalidInputError("action: at most 40 characters")
    store = AuditStore(services().store.db)
    records = await store.page(
        who.municipality_id, start, end, action=action, before_id=before, limit=limit
    )
    items = [_item(r) for r in records]
    next_before = records[-1].id if len(records) == limit else None
    return reply(AuditPage(entries=items, next_before=next_before))


@bp.get("/api/v1/audit.csv")
async def audit_csv() -> Response:
    """The municipality's audit log between two days as CSV (the export is audited)."""
    who = await require(Role.ADMIN)
    first, last, start, end = await _range(who.municipality_id)
    store = AuditStore(services().store.db)
    batches = store.batches(who.municipality_id, start, end)
    # the first batch is read before answering, so a database outage is a 503, not a cut file
    opening: list[AuditRecord] = await anext(batches, [])
    svc = services()
    svc.audit.record(
        who.municipality_id, actor(who), "audit.export", "audit", "",
        from_day=first.isoformat(), to_day=last.isoformat(),
    )  # fmt: skip

    async def body() -> AsyncIterator[bytes]:
        yield ("\ufeff" + ",".join(CSV_COLUMNS) + "\r\n").encode()
        if opening:
            yield csv_lines(opening).encode()
        async for batch in batches:
            yield csv_lines(batch).encode()

    response = Response(body(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"audit-{first.isoformat()}-{last.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInputError(f"{name}: expected a whole number from {low} to {high}")
    return int(raw)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _item(record: AuditRecord) -> AuditItem:
    try:
        detail = json.loads(record.detail) if record.detail else {}
    except json.JSONDecodeError:
        detail = {"text": record.detail}
    if not isinstance(detail, dict):
        detail = {"value": detail}
    return AuditItem(
        id=record.id,
        at=_iso(record.at),
        actor_kind=record.actor_kind,
        actor_id=record.actor_id,
        actor_name=record.actor_name,
        action=record.action,
        target_kind=record.target_kind,
        target_id=record.target_id,
        detail=detail,
    )


_PAGE_PARAMS = [
    *FROM_TO_PARAMS,
    {"name": "action", "in": "query", "required": False,
     "schema": {"type": "string", "maxLength": 40}, "description": "Only this action."},
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}},
    {"name": "before", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
     "description": "Only entries older than this id (next_before of the previous page)."},
]  # fmt: skip
_csv = operation(
    "Export the audit log as CSV (audited as audit.export)",
    role="admin", tag="audit", params=FROM_TO_PARAMS,
)  # fmt: skip
_csv["responses"]["200"] = {
    "description": "CSV with a header row; cells starting with = + - @ get a leading '.",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}
OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/v1/audit": {
            "get": operation(
                "A page of the audit log, newest first", role="admin", tag="audit",
                ok=AuditPage, params=_PAGE_PARAMS,
            )
        },
        "/api/v1/audit.csv": {"get": _csv},
    },
    "schemas": {"AuditPage": AuditPage},
}  # fmt: skip
