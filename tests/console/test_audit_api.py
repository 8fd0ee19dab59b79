"""``GET /api/v1/audit`` and ``/api/v1/audit.csv`` against a real console: admins of the own
municipality only, paged, streamed, formula-safe, and the export itself is audited."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from console.audit import Actor, AuditLog
from console.store import Store
from tests.console.admin_setup import Person, Tenants, call, tenants
from tests.console.conftest import RunningConsole, Seed

pytestmark = pytest.mark.both_backends


@pytest.fixture
async def people(console: RunningConsole, store: Store, seed: Seed) -> Tenants:
    return await tenants(store)


async def write(store: Store, entries: list[tuple[int, str, str]], at: float | None = None) -> None:
    """(municipality id, actor name, action) entries, one second apart, oldest first."""
    audit = AuditLog(store.db)
    start = (at or time.time()) - len(entries)
    for i, (municipality_id, name, action) in enumerate(entries):
        audit.record_at(
            start + i, municipality_id, Actor("caseworker", "5", name), action, "call", f"c{i}",
            size=i,
        )  # fmt: skip
    await audit.flush()


async def csv_export(
    http: aiohttp.ClientSession, console: RunningConsole, who: Person, query: str = ""
) -> tuple[int, dict[str, str], bytes]:
    url = f"{console.base}/api/v1/audit.csv{query}"
    async with http.get(url, headers=who.headers) as resp:
        return resp.status, dict(resp.headers), await resp.read()


async def test_admin_pages_through_own_municipalitys_log(
    console: RunningConsole, http: aiohttp.ClientSession, store: Store, people: Tenants
) -> None:
    a, b = people.a["admin"], people.b["admin"]
    await write(store, [(a.municipality_id, "Alice", "call.answer")] * 5)
    await write(store, [(b.municipality_id, "Bert", "print.send")] * 2)
    status, first = await call(http, console, a, "GET", "/api/v1/audit?limit=3")
    assert status == 200 and isinstance(first, dict)
    ids = [e["id"] for e in first["entries"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    assert first["next_before"] == ids[-1]
    entry = first["entries"][0]
    assert (entry["actor_name"], entry["action"], entry["target_kind"]) == (
        "Alice",
        "call.answer",
        "call",
    )
    assert entry["detail"] == {"size": 4} and entry["at"].endswith("Z")
    status, rest = await call(http, console, a, "GET", f"/api/v1/audit?limit=3&before={ids[-1]}")
    assert status == 200 and isinstance(rest, dict)
    assert len(rest["entries"]) == 2 and rest["next_before"] is None
    assert all(e["actor_name"] == "Alice" for e in first["entries"] + rest["entries"])
    status, mine = await call(http, console, b, "GET", "/api/v1/audit?action=print.send")
    assert status == 200 and isinstance(mine, dict)
    assert [e["actor_name"] for e in mine["entries"]] == ["Bert", "Bert"]
    status, none = await call(http, console, b, "GET", "/api/v1/audit?action=call.answer")
    assert status == 200 and none == {"entries": [], "next_before": None}


async def test_audit_log_is_for_admins_and_checks_its_parameters(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants
) -> None:
    for path in ("/api/v1/audit", "/api/v1/audit.csv"):
        status, _ = await call(http, console, None, "GET", path)
        assert status == 401, path
        for role in ("caseworker", "supervisor"):
            status, _ = await call(http, console, people.a[role], "GET", path)
            assert status == 403, (path, role)
    admin = people.a["admin"]
    bad = ("limit=0", "limit=201", "limit=ten", "before=-1", "before=0", "action=" + "x" * 41,
           "from=26-11-2026", "from=2026-11-02&to=2026-11-01")  # fmt: skip
    for query in bad:
        status, body = await call(http, console, admin, "GET", f"/api/v1/audit?{query}")
        assert status == 400, query
        assert isinstance(body, dict) and body["error"]["code"] == "invalid"


async def test_csv_export_is_formula_safe_streamed_and_audited(
    console: RunningConsole, http: aiohttp.ClientSession, store: Store, people: Tenants
) -> None:
    a, b = people.a["admin"], people.b["admin"]
    hostile = ['=HYPERLINK("http://evil","x")', "+1+2", "-3", "@SUM(A1)", "\tTab", "Anna Müller"]
    await write(store, [(a.municipality_id, name, "call.answer") for name in hostile])
    await write(store, [(b.municipality_id, "=B", "call.answer")])
    status, headers, raw = await csv_export(http, console, a)
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"].startswith('attachment; filename="audit-')
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == ["at", "actor_kind", "actor_id", "actor_name", "action", "target_kind",
                        "target_id", "detail"]  # fmt: skip
    names = [row[3] for row in table[1:]]
    assert names == ["'" + n for n in hostile[:5]] + ["Anna Müller"]
    for row in table[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in row), row
    # the export itself is in the log, with the range it covered
    entries: list[dict[str, Any]] = []
    for _ in range(100):
        status, page = await call(http, console, a, "GET", "/api/v1/audit?action=audit.export")
        assert isinstance(page, dict)
        entries = page["entries"]
        if entries:
            break
        await asyncio.sleep(0.05)
    (entry,) = entries
    assert entry["actor_name"] == "Admin A" and entry["actor_id"] == str(a.id)
    assert set(entry["detail"]) == {"from_day", "to_day"}


async def test_export_of_many_entries_comes_in_order_and_stops_at_the_range(
    console: RunningConsole, http: aiohttp.ClientSession, store: Store, people: Tenants
) -> None:
    a = people.a["admin"]
    await write(store, [(a.municipality_id, f"P{i}", "print.send") for i in range(1234)])
    await write(store, [(a.municipality_id, "Old", "print.send")], at=time.time() - 40 * 86400)
    status, _headers, raw = await csv_export(http, console, a)
    assert status == 200
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1:]
    # in the order they were written (the export's own entry may be among them already)
    names = [r[3] for r in rows if r[4] == "print.send"]
    assert names == [f"P{i}" for i in range(1234)] + ["Old"]
    status, _headers, raw = await csv_export(http, console, a, "?from=2000-01-01&to=2000-01-31")
    assert status == 200 and raw.decode("utf-8-sig").count("\n") == 1  # header only
    async with store.db.session() as s:
        kept = (await s.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()
    assert kept >= 1235  # reading never deletes
