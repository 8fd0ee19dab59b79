"""The authorization table: the minimum role of every route of the console, in one place.

:data:`ROUTES` maps (method, path with ``{params}``) to a :class:`Spec`. The matrix test
(``test_authz_matrix.py``) fails for any route of ``app.url_map`` missing here, so a new
endpoint cannot escape it: add the route with its minimum role (and a body if it takes one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

OK = frozenset({200, 201, 204})
REFUSED = frozenset({401, 403, 404})
PUBLIC, TERMINAL = "public", "terminal"
Body = Callable[[int], Any]


@dataclass(frozen=True)
class Spec:
    """Who may call a route, and how the test calls it."""

    role: str
    """public, terminal (a terminal's credential; no person), caseworker, supervisor, admin."""
    body: Body | None = None
    """JSON body for the call (``n`` makes names unique)."""
    fresh: bool = False
    """Allowed calls get a fresh object each (the call deletes or uses it up)."""
    session_only: bool = False
    """Only a signed-in session is accepted (pages); API tokens are refused."""
    allowed: frozenset[int] = OK
    """What an allowed call answers (e.g. 404 where the test has no such live object)."""
    last: bool = False
    """Run after everything else (it ends the session)."""
    tenant_objects: bool = True
    """The path names objects the test makes in both municipalities; False where the test
    has no live object to aim at (random ids), so "the other municipality" does not apply."""


def _name(prefix: str) -> Body:
    return lambda n: {"name": f"{prefix} {n}"}


ROUTES: dict[tuple[str, str], Spec] = {
    # --- pages and sign-in ---
    ("GET", "/"): Spec("caseworker", session_only=True),
    ("GET", "/login"): Spec(PUBLIC),
    ("POST", "/login"): Spec(PUBLIC),
    ("POST", "/logout"): Spec(PUBLIC, last=True),
    ("POST", "/logout/all"): Spec(PUBLIC, last=True),
    ("POST", "/language"): Spec(PUBLIC),
    ("POST", "/session/alive"): Spec(PUBLIC),
    ("GET", "/login/totp"): Spec(PUBLIC),
    ("POST", "/login/totp"): Spec(PUBLIC),
    ("GET", "/login/totp/setup"): Spec(PUBLIC),
    ("POST", "/login/totp/setup"): Spec(PUBLIC),
    ("GET", "/login/sso"): Spec(PUBLIC),
    ("POST", "/login/sso"): Spec(PUBLIC),
    ("GET", "/login/sso/{municipality_id}"): Spec(PUBLIC),
    ("GET", "/login/sso/callback"): Spec(PUBLIC),
    ("GET", "/healthz"): Spec(PUBLIC),
    ("GET", "/static/{filename}"): Spec(PUBLIC),
    ("POST", "/api/v1/enroll"): Spec(PUBLIC),
    # --- admin API and page ---
    ("GET", "/admin"): Spec("supervisor"),
    ("GET", "/api/v1/openapi.json"): Spec(PUBLIC),
    ("GET", "/api/v1/municipality"): Spec("caseworker"),
    ("PATCH", "/api/v1/municipality"): Spec("admin", body=lambda n: {"welcome_text": f"Hallo {n}"}),
    ("GET", "/api/v1/offices"): Spec("caseworker"),
    ("POST", "/api/v1/offices"): Spec("admin", body=_name("Office")),
    ("GET", "/api/v1/offices/{office_id}"): Spec("caseworker"),
    ("PATCH", "/api/v1/offices/{office_id}"): Spec("admin", body=_name("Office renamed")),
    ("DELETE", "/api/v1/offices/{office_id}"): Spec("admin", fresh=True),
    ("GET", "/api/v1/queues"): Spec("caseworker"),
    ("POST", "/api/v1/queues"): Spec("admin", body=lambda n: {"office_id": 0, "name": f"Q {n}"}),
    ("GET", "/api/v1/queues/{queue_id}"): Spec("caseworker"),
    ("PATCH", "/api/v1/queues/{queue_id}"): Spec("admin", body=lambda n: {"ring_s": 10 + n % 50}),
    ("DELETE", "/api/v1/queues/{queue_id}"): Spec("admin", fresh=True),
    ("GET", "/api/v1/caseworkers"): Spec("supervisor"),
    ("POST", "/api/v1/caseworkers"): Spec("admin", body=lambda n: {
        "username": f"new{n}", "display_name": f"Neu {n}", "password": "lang-genug-1"}),
    ("GET", "/api/v1/caseworkers/{caseworker_id}"): Spec("supervisor"),
    ("PATCH", "/api/v1/caseworkers/{caseworker_id}"): Spec(
        "admin", body=lambda n: {"display_name": f"Opfer {n}"}),
    ("DELETE", "/api/v1/caseworkers/{caseworker_id}"): Spec("admin", fresh=True),
    ("PUT", "/api/v1/caseworkers/{caseworker_id}/password"): Spec(
        "admin", body=lambda n: {"password": f"neues-passwort-{n}"}),
    ("DELETE", "/api/v1/caseworkers/{caseworker_id}/second-factor"): Spec("admin"),
    ("POST", "/api/v1/caseworkers/{caseworker_id}/sign-out"): Spec("admin"),
    ("GET", "/api/v1/admin/terminals"): Spec("supervisor"),
    ("POST", "/api/v1/admin/terminals"): Spec("admin", body=_name("Terminal")),
    ("GET", "/api/v1/admin/terminals/{terminal_id}"): Spec("supervisor"),
    ("PATCH", "/api/v1/admin/terminals/{terminal_id}"): Spec("admin", body=_name("Terminal")),
    ("DELETE", "/api/v1/admin/terminals/{terminal_id}"): Spec("admin", fresh=True),
    ("POST", "/api/v1/admin/terminals/{terminal_id}/code"): Spec("admin"),
    ("GET", "/api/v1/tokens"): Spec("caseworker"),
    ("POST", "/api/v1/tokens"): Spec("caseworker", body=_name("Skript")),
    ("DELETE", "/api/v1/tokens/{token_id}"): Spec("caseworker", fresh=True),
    # --- fleet, usage, audit, hours, documents, photos, printing ---
    ("GET", "/api/v1/terminals"): Spec("caseworker"),
    ("POST", "/api/v1/terminals/{terminal_id}/restart"): Spec("admin", allowed=frozenset({409})),
    ("GET", "/api/v1/fleet"): Spec("supervisor"),
    ("GET", "/fleet"): Spec("supervisor", session_only=True),
    # 404 while the municipality has no update location (the matrix runs in any order).
    ("GET", "/api/v1/fleet/update"): Spec("supervisor", allowed=frozenset({200, 404})),
    ("PUT", "/api/v1/fleet/update"): Spec("admin", body=lambda n: {
        "url": f"https://updates.example.org/bt-{n}.raucb", "version": f"0.{n}.0"}),
    ("DELETE", "/api/v1/fleet/update"): Spec("admin", allowed=frozenset({204, 404})),
    ("GET", "/api/v1/usage"): Spec("supervisor"),
    ("GET", "/dashboard"): Spec("supervisor"),
    ("GET", "/api/v1/audit"): Spec("admin"),
    ("GET", "/api/v1/audit.csv"): Spec("admin"),
    ("GET", "/api/v1/offices/{office_id}/hours"): Spec("caseworker"),
    ("PUT", "/api/v1/offices/{office_id}/hours"): Spec("admin", body=lambda n: {
        "week": [{"weekday": 1, "opens": "08:00", "closes": "12:00"}]}),
    ("GET", "/api/v1/offices/{office_id}/exceptions"): Spec("caseworker"),
    ("POST", "/api/v1/offices/{office_id}/exceptions"): Spec("admin", body=lambda n: {
        "day": (date(2030, 1, 1) + timedelta(days=n)).isoformat(), "note": "Feiertag"}),
    ("DELETE", "/api/v1/offices/{office_id}/exceptions/{exception_id}"): Spec(
        "admin", fresh=True),
    ("GET", "/visits"): Spec("caseworker"),
    ("GET", "/api/v1/visits/outposts"): Spec("caseworker"),
    ("POST", "/api/v1/visits/outposts"): Spec("supervisor", body=lambda n: {
        "office_id": 0, "day": (date(2030, 1, 1) + timedelta(days=n)).isoformat(),
        "starts": "09:00", "ends": "12:00", "place": f"Gemeindehaus {n}"}),
    ("DELETE", "/api/v1/visits/outposts/{outpost_id}"): Spec("supervisor", fresh=True),
    ("GET", "/api/v1/visits/home"): Spec("caseworker"),
    ("POST", "/api/v1/visits/home"): Spec("supervisor", body=lambda n: {
        "at": "2030-01-02T10:00:00+01:00", "place": f"Oberdorf {n}"}),
    ("PATCH", "/api/v1/visits/home/{visit_id}"): Spec("supervisor", body=lambda n: {
        "status": "done"}),
    ("DELETE", "/api/v1/visits/home/{visit_id}"): Spec("supervisor", fresh=True),
    ("GET", "/api/v1/documents"): Spec("caseworker"),
    ("POST", "/api/v1/documents"): Spec("caseworker", allowed=frozenset({400, 404, 409})),
    ("GET", "/api/v1/documents/{document_id}"): Spec("caseworker", allowed=frozenset({404})),
    ("DELETE", "/api/v1/documents/{document_id}"): Spec("caseworker", allowed=frozenset({404})),
    ("POST", "/api/v1/photos"): Spec(TERMINAL),
    ("GET", "/api/v1/photos/{photo_id}"): Spec("caseworker", allowed=frozenset({404})),
    # Random call ids here (a JSON body answers 415: PDF only); another municipality's live
    # call is refused in test_print_api.py, its photos in test_photo_api.py, its documents
    # in test_inbox.py.
    ("POST", "/api/v1/calls/{call_id}/print"): Spec(
        "caseworker", allowed=frozenset({415}), tenant_objects=False),
    ("GET", "/api/v1/print-jobs/{job_id}"): Spec(TERMINAL),
    # kits' offline documents (mobile kits only; a stationary terminal gets 403, a kit of the
    # other municipality its own inbox only: test_kit_documents.py)
    ("GET", "/api/v1/kit-key"): Spec(TERMINAL),
    ("PUT", "/api/v1/kit-documents/{document_id}"): Spec(TERMINAL),
    # --- mobile kits ---
    ("POST", "/api/v1/kit-codes"): Spec("caseworker", allowed=frozenset({201})),
}  # fmt: skip
"""(method, path with {params}) -> who may call it. Every route must be listed."""

WEBSOCKETS = {"/ws/terminal": TERMINAL, "/ws/caseworker": "caseworker"}
