"""The Quart app factory: wires config, store, hub and routes; no globals, no import-time work.

Templates and static files come from ``config.web_dir`` (``<repo>/web/console``). Request
bodies are capped at 64 KiB (the largest legitimate body, an enrollment, is ~100 bytes).
Every response carries a strict Content-Security-Policy: the page loads nothing but its
own script and stylesheet, and talks only to its own origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncGenerator
from datetime import timedelta

import httpx
from quart import Quart, Response, g, request, session
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from console.api import register as register_api
from console.audit import AuditLog
from console.audit_events import AuditEvents
from console.auth import Passwords
from console.bus import Bus
from console.bus.choose import make_bus
from console.bus.http import FORWARDED_BY, forward, needs_owner
from console.callbacks import CallbackDesk
from console.client_address import TrustedProxies, parse_networks
from console.config import ConsoleConfig
from console.directory import load_directory, refresh_directory, run_directory, safe_color
from console.documents import FILE_NAME as DOCUMENT_KEY_FILE
from console.documents import load_cipher
from console.enroll import Enroller
from console.errors import ConsoleError, StoreError
from console.events import Fanout, discard
from console.floods import FloodGuard
from console.hub import Hub
from console.i18n import Translations, negotiate
from console.inbox import Inbox
from console.kit_inbox import KitInbox
from console.kit_keys import FILE_NAME as KIT_KEY_FILE
from console.kit_keys import load_kit_keys
from console.office import run_office
from console.photos import PhotoStore
from console.presence import Presence
from console.retention import Retention
from console.routes import audit as audit_routes
from console.routes import caseworker_ws, enroll, flood_gate, health, pages, terminal_ws
from console.routes import fleet as fleet_routes
from console.routes import hours as hours_routes
from console.routes import inbox as inbox_routes
from console.routes import kit_documents as kit_routes
from console.routes import photos as photo_routes
from console.routes import printing as print_routes
from console.routes import terminals as terminal_routes
from console.routes import usage as usage_routes
from console.routing import run_ticks
from console.services import EXTENSION_KEY, Services
from console.sessions import signed_in
from console.store import Store
from console.store.admin_municipality import MunicipalityStore
from console.store.audit import AuditStore
from console.store.callbacks import CallbackStore
from console.store.documents import DocumentStore
from console.store.fleet import FleetStore
from console.store.hours import HoursStore
from console.store.tokens import TokenStore
from console.store.usage import UsageStore
from console.throttle import Throttle
from console.turn import load_turn
from console.usage import UsageRecorder
from console.ws_asgi import BoundedWebsocketConnection
from protocol.messages import MAX_MESSAGE_BYTES

MAX_BODY_BYTES = 64 * 1024
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)


def create_app(
    config: ConsoleConfig,
    store: Store,
    *,
    secret_key: str,
    hub: Hub | None = None,
    passwords: Passwords | None = None,
    login_throttle: Throttle | None = None,
    enroll_throttle: Throttle | None = None,
    callbacks: CallbackDesk | None = None,
    inbox: Inbox | None = None,
    bus: Bus | None = None,
    floods: FloodGuard | None = None,
) -> Quart:
    """Build the console app around the given collaborators."""
    web = config.web_dir
    app = Quart(
        __name__,
        template_folder=str(web / "templates"),
        static_folder=str(web / "static"),
        static_url_path="/static",
    )
    app.asgi_websocket_class = BoundedWebsocketConnection  # see console/ws_asgi.py
    app.config.update(
        SECRET_KEY=secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SESSION_COOKIE_NAME="bt_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=config.session_max_age_s),
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(minutes=5),
    )
    photos = PhotoStore(budget_bytes=config.photo_budget_bytes, grace_s=config.photo_grace_s)
    hub = hub or Hub(
        ice_servers=config.ice_servers,
        photos=photos,
        turn=load_turn(config),
        hold_answered_s=config.call_hold_s,
    )
    audit = AuditLog(store.db)
    usage = UsageRecorder(UsageStore(store.db))
    events = Fanout(AuditEvents(audit), usage)  # call events -> audit log and usage figures
    hub.events = events if hub.events is discard else Fanout(hub.events, events)
    bus = bus or make_bus(config, hub)
    retention = Retention(
        AuditStore(store.db),
        usage.store,
        config.audit_retention_days,
        config.usage_retention_days,
    )
    svc = Services(
        config=config,
        store=store,
        hub=hub,
        passwords=passwords or Passwords(),
        enroller=Enroller(store),
        presence=Presence(FleetStore(store.db)),
        login_throttle=login_throttle or Throttle(),
        enroll_throttle=enroll_throttle or Throttle(),
        callbacks=callbacks
        or CallbackDesk(CallbackStore(store.db), bus.to_desk, config.callback_retention_days),
        hours=HoursStore(store.db),
        tokens=TokenStore(store.db),
        i18n=Translations.load(web / "translations"),
        audit=audit,
        inbox=inbox or _inbox(config, store),
        bus=bus,
        floods=floods or FloodGuard(config.flood),
        proxies=TrustedProxies(parse_networks(config.trusted_proxies)),
    )
    kit_key_file = config.kit_key_file or config.data_dir / KIT_KEY_FILE
    svc.kit_inbox = KitInbox(store.db, svc.inbox, load_kit_keys(config.kit_key, kit_key_file))
    app.extensions[EXTENSION_KEY] = svc
    flood_gate.register(app)

    @app.while_serving
    async def background() -> AsyncGenerator[None, None]:
        """Routing timers and reloads, office hours, purges, and the terminals' contacts,
        audit and usage writers.

        At shutdown everything else stops first and the three writers last, one task at a
        time: a reader cancelled mid-query must have let go of SQLite before the writers'
        final flush, or that flush waits out the lock timeout and audit entries are lost.
        """
        load = functools.partial(load_directory, store.db)  # routing: console/directory.py
        svc.hub.on_stale = svc.directory_changed.set
        svc.directory_changed.also = svc.bus.directory_changed  # a change here: owner reloads
        svc.bus.on_directory_changed = svc.directory_changed.set
        await refresh_directory(svc.hub, load)
        tasks = [
            asyncio.create_task(run_directory(svc.hub, load, svc.directory_changed), name="dir"),
            asyncio.create_task(svc.bus.run(), name="bus"),
            asyncio.create_task(run_ticks(svc.bus, svc.hub.now), name="hub-timers"),
            asyncio.create_task(run_office(svc.hub, svc.hours.all_weeks), name="office"),
            asyncio.create_task(svc.callbacks.run(), name="callback-purge"),
            asyncio.create_task(retention.run(), name="audit-usage-purge"),
            asyncio.create_task(svc.inbox.run(svc.audit), name="document-purge"),
            asyncio.create_task(svc.presence.run(), name="contact-writer"),
            asyncio.create_task(usage.run(), name="usage-writer"),
            asyncio.create_task(svc.audit.run(), name="audit-writer"),
        ]
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    for module in (health, pages, enroll, terminal_ws, caseworker_ws):
        app.register_blueprint(module.bp)
    app.register_blueprint(photo_routes.bp)
    app.register_blueprint(kit_routes.bp)
    app.register_blueprint(inbox_routes.bp)
    app.register_blueprint(print_routes.bp)
    app.register_blueprint(terminal_routes.bp)
    app.register_blueprint(audit_routes.bp)
    app.register_blueprint(usage_routes.bp)
    app.register_blueprint(fleet_routes.bp)
    app.register_blueprint(hours_routes.bp)
    register_api(app)

    @app.before_request
    async def to_owner() -> Response | None:
        """Requests that need the calls' owner go there (console/bus/http.py)."""
        if request.headers.get(FORWARDED_BY) or not needs_owner(request.method, request.path):
            return None
        owner_url = svc.bus.owner_url()
        if owner_url is None:
            return None
        async with httpx.AsyncClient() as client:
            return await forward(client, owner_url, str(svc.bus.health().get("instance", "")))

    @app.context_processor
    async def i18n_globals() -> dict[str, object]:
        """``t(key, **values)``, ``lang`` and the page's messages as JSON, in its language."""
        lang = getattr(g, "lang", None) or negotiate(
            request.headers.get("Accept-Language"), session.get("lang")
        )
        i18n = svc.i18n

        def t(key: str, **values: object) -> str:
            return i18n.t(lang, key, **values)

        return {"t": t, "lang": lang, "i18n_json": i18n.as_json(lang), "brand_color": await brand()}

    async def brand() -> str | None:
        """The signed-in person's municipality's accent colour, re-checked (base.html)."""
        try:
            record = await signed_in(svc.store, session)
            if record is None:
                return None
            settings = await MunicipalityStore(svc.store.db).get(record.municipality_id)
        except ConsoleError:
            return None  # a page without the stripe rather than no page
        return safe_color(settings.brand_color)

    @app.after_request
    async def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path in {"/", "/login"}:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(RequestEntityTooLarge)
    async def too_large(_err: RequestEntityTooLarge) -> tuple[dict[str, object], int]:
        message = f"request body exceeds {MAX_BODY_BYTES} bytes"
        return {"error": {"code": "too_large", "message": message}}, 413

    @app.errorhandler(ConsoleError)
    async def console_error(err: ConsoleError) -> tuple[dict[str, object], int]:
        return {"error": {"code": err.code, "message": err.message}}, err.status

    @app.errorhandler(SQLAlchemyError)
    async def database_error(err: SQLAlchemyError) -> tuple[dict[str, object], int, dict[str, str]]:
        """A store method that let a database error through (an outage, a restart): the
        request gets 503 with Retry-After like any StoreError, not a 500."""
        app.logger.warning("database unavailable for %s: %s", request.path, err)
        unavailable = StoreError("the database is unavailable; try again in a moment")
        body: dict[str, object] = {
            "error": {"code": unavailable.code, "message": unavailable.message}
        }
        return body, unavailable.status, {"Retry-After": "5"}

    assert MAX_MESSAGE_BYTES <= MAX_BODY_BYTES
    return app


def _inbox(config: ConsoleConfig, store: Store) -> Inbox:
    """The case inbox with the configured key(s) (ConfigError if they are unusable)."""
    key_file = config.document_key_file or config.data_dir / DOCUMENT_KEY_FILE
    return Inbox(
        DocumentStore(store.db),
        load_cipher(config.document_key, key_file),
        retention_days=config.document_retention_days,
    )
