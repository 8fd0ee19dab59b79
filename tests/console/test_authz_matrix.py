"""The authorization matrix: every HTTP route of the console tried by every principal.

Two municipalities, A (Aldorf) and B (Bestadt), each with a caseworker, a supervisor and an
admin; a stranger without credentials; a made-up API token. Each person asks twice, with an
API token and with a signed-in session (plus, for changes, once more without the CSRF
header), for objects of their own municipality and of the other. Only the combinations
:data:`ROUTES` allows may succeed; every other one must be refused with 401, 403 or 404
(sign-in pages may redirect to /login).

:data:`~tests.console.authz_table.ROUTES` is the one table of who may do what. A route of
``app.url_map`` missing from it fails the test, so a new endpoint cannot escape the matrix.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import aiohttp

from console.app import create_app
from console.config import ConsoleConfig
from console.enroll import Enroller
from console.roles import Role, allows
from console.store import Store
from console.store.admin_caseworkers import CaseworkerStore
from console.store.admin_offices import OfficeStore
from console.store.admin_queues import QueueStore
from console.store.models import OfficeException
from console.store.tokens import TokenStore
from console.store.visits import VisitStore
from tests.console.admin_setup import Person, Tenants, tenants
from tests.console.authz_table import PUBLIC, REFUSED, ROUTES, TERMINAL, Spec
from tests.console.conftest import RunningConsole, Seed, cheap_passwords
from tests.console.helpers import csrf_from, login


def routes_of(config: ConsoleConfig, store: Store) -> tuple[set[tuple[str, str]], set[str]]:
    """The HTTP (method, path) pairs and the WebSocket paths the app serves."""
    app = create_app(config, store, secret_key="x" * 48)
    http: set[tuple[str, str]] = set()
    sockets: set[str] = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        if rule.websocket:
            sockets.add(path)
            continue
        for method in rule.methods or ():
            if method not in {"HEAD", "OPTIONS"}:
                http.add((method, path))
    return http, sockets


@dataclass
class Client:
    """One way a principal asks: token, session (with or without CSRF header), or none."""

    label: str
    person: Person | None
    municipality: str | None  # "a" or "b"
    via: str  # token, session, session-no-csrf, stranger, bad-token
    http: aiohttp.ClientSession
    headers: dict[str, str] = field(default_factory=dict)

    def role(self) -> Role | None:
        return None if self.person is None else Role(self.person.role)


@dataclass
class World:
    """The objects the matrix aims at, per municipality, and factories for fresh ones."""

    store: Store
    people: Tenants
    office: dict[str, int]
    queue: dict[str, int]
    victim: dict[str, int]
    terminal: dict[str, str]
    spare_tokens: dict[int, str]
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def muni_id(self, key: str) -> int:
        return (self.people.a if key == "a" else self.people.b)["admin"].municipality_id

    async def param(
        self, name: str, key: str, fresh: bool, who: Person | None, path: str = ""
    ) -> str:
        """The value of path parameter ``name`` for an object of municipality ``key``;
        ``fresh`` applies to the path's last parameter (the object the call acts on)."""
        n = next(self.counter)
        mid = self.muni_id(key)
        db = self.store.db
        fresh = fresh and path.endswith("{" + name + "}")
        if name == "exception_id":
            async with db.session() as s, s.begin():
                day = (date(2031, 1, 1) + timedelta(days=n)).isoformat()
                row = OfficeException(office_id=self.office[key], day=day)
                s.add(row)
                await s.flush()
                return str(row.id)
        if name == "outpost_id":
            outpost = await VisitStore(db).add_outpost(
                mid, office_id=self.office[key], queue_id=None,
                day=date(2031, 1, 1) + timedelta(days=n), starts="09:00", ends="12:00",
                place=f"Dorfladen {n}", address="", note="",
            )  # fmt: skip
            return str(outpost.id)
        if name == "visit_id":
            visit = await VisitStore(db).add_home_visit(
                mid, at=datetime(2031, 1, 1, 9, tzinfo=UTC) + timedelta(days=n), minutes=30,
                place=f"Oberdorf {n}", caseworker_id=None,
            )  # fmt: skip
            return str(visit.id)
        if name == "office_id":
            if fresh:
                return str((await OfficeStore(db).create(mid, f"Frisch {n}", "Europe/Berlin")).id)
            return str(self.office[key])
        if name == "queue_id":
            if fresh:
                return str((await QueueStore(db).create(mid, self.office[key], name=f"F {n}")).id)
            return str(self.queue[key])
        if name == "caseworker_id":
            if fresh:
                hashed = cheap_passwords().hash("lang-genug-1")
                made = await CaseworkerStore(db).create(
                    mid, [], username=f"fresh{n}", display_name="F", password_hash=hashed,
                    role="caseworker", active=True,
                )  # fmt: skip
                return str(made.id)
            return str(self.victim[key])
        if name == "terminal_id":
            if fresh:
                muni = "Aldorf" if key == "a" else "Bestadt"
                return (await Enroller(self.store).add_terminal(muni, f"F {n}", 1))[0].id
            return self.terminal[key]
        if name == "token_id":
            owner = self._same_role(who, key)
            if fresh or owner.id not in self.spare_tokens:
                record, _ = await TokenStore(db).create(owner.id, "spare", datetime.now(UTC), None)
                if not fresh:
                    self.spare_tokens[owner.id] = record.id
                return record.id
            return self.spare_tokens[owner.id]
        if name == "filename":
            return "console.css"
        if name == "municipality_id":
            return str(mid)
        if name in {"call_id", "photo_id", "job_id", "document_id"}:
            return secrets.token_hex(8)  # live objects: see the print route in authz_table.py
        raise AssertionError(f"the matrix has no value for path parameter {{{name}}}: add one")

    def _same_role(self, who: Person | None, key: str) -> Person:
        group = self.people.a if key == "a" else self.people.b
        return group[who.role if who else "admin"]


async def _world(store: Store, people: Tenants) -> World:
    office, queue, victim, terminal = {}, {}, {}, {}
    hashed = cheap_passwords().hash("lang-genug-1")
    for key, group, muni in (("a", people.a, "Aldorf"), ("b", people.b, "Bestadt")):
        mid = group["admin"].municipality_id
        offices = await OfficeStore(store.db).of(mid)
        office[key] = offices[0].id
        queue[key] = (await QueueStore(store.db).create(mid, offices[0].id, name="Extra")).id
        victim[key] = (
            await CaseworkerStore(store.db).create(
                mid,
                [],
                username=f"victim-{key}",
                display_name="Opfer",
                password_hash=hashed,
                role="caseworker",
                active=True,
            )
        ).id
        terminal[key] = (await store.terminals_of(mid))[0].id
        del muni
    return World(store, people, office, queue, victim, terminal, {})


async def _session(
    console: RunningConsole, person: Person, username: str
) -> tuple[aiohttp.ClientSession, str]:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    resp = await login(http, console, username)
    assert resp.status == 303, f"{username} could not sign in: {resp.status}"
    async with http.get(console.base + "/") as page:
        token = csrf_from(await page.text())
    return http, token


USERNAMES = {
    ("a", "caseworker"): "alice", ("a", "supervisor"): "a-sup", ("a", "admin"): "a-adm",
    ("b", "caseworker"): "bert", ("b", "supervisor"): "b-sup", ("b", "admin"): "b-adm",
}  # fmt: skip


def expected_allowed(spec: Spec, client: Client, target: str | None) -> bool:
    """Whether the table lets this client make this call."""
    if spec.role == PUBLIC:
        return True
    role = client.role()
    if spec.role == TERMINAL or role is None or not allows(role, Role(spec.role)):
        return False
    if spec.session_only and client.via != "session":
        return False
    if client.via == "session-no-csrf":
        return False
    return target is None or target == client.municipality


async def test_http_matrix(
    console: RunningConsole, store: Store, seed: Seed, config: ConsoleConfig
) -> None:
    served, _ = routes_of(config, store)
    missing = sorted(served - ROUTES.keys())
    assert not missing, f"routes missing from the authorization table ROUTES: {missing}"
    stale = sorted(ROUTES.keys() - served)
    people = await tenants(store)
    world = await _world(store, people)
    plain = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    clients = [
        Client("stranger", None, None, "stranger", plain),
        Client("bad token", None, None, "bad-token", plain,
               {"Authorization": "Bearer btk_" + secrets.token_urlsafe(32)}),
    ]  # fmt: skip
    sessions: list[aiohttp.ClientSession] = [plain]
    for (key, role), username in USERNAMES.items():
        person = (people.a if key == "a" else people.b)[role]
        clients.append(Client(f"{role} {key} token", person, key, "token", plain, person.headers))
        http, csrf = await _session(console, person, username)
        sessions.append(http)
        clients.append(Client(f"{role} {key} session", person, key, "session", http,
                              {"X-CSRF-Token": csrf}))  # fmt: skip
        clients.append(Client(f"{role} {key} session without CSRF", person, key,
                              "session-no-csrf", http))  # fmt: skip
    wrong: list[str] = []
    try:
        # public routes (sign-in pages may end a session) and session enders go last
        ordered = sorted(served, key=lambda r: (ROUTES[r].last, ROUTES[r].role == PUBLIC, r))
        for (method, path), spec in ((r, ROUTES[r]) for r in ordered):
            params = re.findall(r"{(\w+)}", path)
            targets: list[str | None] = ["a", "b"] if params and spec.tenant_objects else [None]
            for client, target in itertools.product(clients, targets):
                if client.via == "session-no-csrf" and method in {"GET", "HEAD"}:
                    continue
                allowed = expected_allowed(spec, client, target)
                url = path
                for name in params:
                    value = await world.param(
                        name, target or "a", spec.fresh and allowed, client.person, path
                    )
                    url = url.replace("{" + name + "}", value)
                n = next(world.counter)
                body = spec.body(n) if spec.body else None
                if isinstance(body, dict) and body.get("office_id") == 0:
                    body["office_id"] = world.office[target or client.municipality or "a"]
                async with client.http.request(
                    method, console.base + url, json=body, headers=client.headers,
                    allow_redirects=False,
                ) as resp:  # fmt: skip
                    status = resp.status
                    location = resp.headers.get("Location", "")
                    answer = (await resp.read())[:160].decode(errors="replace")
                what = f"{method} {url} as {client.label}"
                if status >= 500:
                    wrong.append(f"{what}: {status} (server error): {answer}")
                elif spec.role == PUBLIC:
                    continue
                elif allowed and status not in spec.allowed:
                    wrong.append(f"{what}: {status}, expected {sorted(spec.allowed)}: {answer}")
                elif (
                    not allowed
                    and status not in REFUSED
                    and not (status in {302, 303} and location.endswith("/login"))
                ):
                    wrong.append(f"{what}: {status}, expected a refusal (401/403/404): {answer}")
    finally:
        for http in sessions:
            await http.close()
    assert not wrong, f"{len(wrong)} wrong answers:\n" + "\n".join(wrong[:80])
    assert not stale, f"ROUTES lists routes the app does not serve: {stale}"
