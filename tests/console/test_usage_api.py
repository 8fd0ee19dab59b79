"""``GET /api/v1/usage`` and ``/dashboard`` against a real console: hub events in, figures out,
supervisors and admins of the own municipality only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import text

from console.api.openapi import build
from console.events import CallAnswered, CallEnded, CallRequested, CallTransferred
from console.store import Store
from protocol.messages import Answer, Answered, CallRequest, Ended, Hangup, Queued
from tests.console.admin_setup import Tenants, call, tenants
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import caseworker, login, terminal

pytestmark = pytest.mark.both_backends

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def people(console: RunningConsole, store: Store, seed: Seed) -> Tenants:
    return await tenants(store)


async def queue_of(store: Store, municipality_id: int) -> tuple[int, int]:
    async with store.db.session() as s:
        row = (
            await s.execute(
                text("SELECT office_id, id FROM queues WHERE municipality_id = :m"),
                {"m": municipality_id},
            )
        ).one()
    return int(row[0]), int(row[1])


async def feed_calls(console: RunningConsole, store: Store, seed: Seed, people: Tenants) -> float:
    """Three calls of Aldorf and one of Bestadt through the hub's event sink; returns their time."""
    a, b = people.a["admin"].municipality_id, people.b["admin"].municipality_id
    office, queue = await queue_of(store, a)
    b_office, b_queue = await queue_of(store, b)
    now = datetime.now(UTC).timestamp() - 3600
    emit = console.hub.events
    emit(CallRequested(now, "k1", a, seed.a1_id, office, queue, "de"))
    emit(CallAnswered(now + 20, "k1", a, 1, "Alice Amt", 20.0))
    emit(CallTransferred(now + 60, "k1", a, 1, "Alice Amt", 2, None))
    emit(CallEnded(now + 320, "k1", a, "hangup_caseworker", "answered"))
    emit(CallRequested(now + 1, "k2", a, seed.a2_id, office, queue, "uk"))
    emit(CallEnded(now + 91, "k2", a, "hangup_terminal", "abandoned"))
    emit(CallRequested(now + 2, "k3", a, seed.a1_id, office, queue, None))
    emit(CallEnded(now + 602, "k3", a, "no_answer", "callback"))
    emit(CallRequested(now + 3, "k4", b, seed.b1_id, b_office, b_queue, "de"))
    for _ in range(100):
        async with store.db.session() as s:
            count = (await s.execute(text("SELECT count(*) FROM call_records"))).scalar_one()
            ended = (
                await s.execute(
                    text("SELECT count(*) FROM call_records WHERE ended_at IS NOT NULL")
                )
            ).scalar_one()
        if count == 4 and ended == 3:
            return now
        await asyncio.sleep(0.05)
    raise AssertionError("call records were not written")


async def test_supervisor_sees_own_municipalitys_figures(
    console: RunningConsole, http: aiohttp.ClientSession, store: Store, seed: Seed, people: Tenants
) -> None:
    now = await feed_calls(console, store, seed, people)
    status, body = await call(http, console, people.a["supervisor"], "GET", "/api/v1/usage")
    assert status == 200, body
    assert isinstance(body, dict)
    assert body["totals"] == {
        "calls": 3, "answered": 1, "abandoned": 1, "callback": 1, "closed": 0, "waiting": 0,
        "transfers": 1,
    }  # fmt: skip
    assert body["wait_s"] == {"median": 20.0, "p90": 20.0, "abandoned_median": 90.0}
    assert body["talk_s"] == {"median": 300.0}
    assert {t["name"]: t["calls"] for t in body["by_terminal"]} == {
        "Rathaus Aldorf": 2, "Sparkasse Aldorf": 1,
    }  # fmt: skip
    assert [(q["name"], q["office"], q["calls"]) for q in body["by_queue"]] == [
        ("Bürgerservice", "Aldorf", 3)
    ]
    hour = datetime.fromtimestamp(now, BERLIN).hour
    assert body["by_hour"][hour] == {"hour": hour, "calls": 3}
    assert len(body["by_day"]) == 30 and body["by_day"][-1]["date"] == body["to"]
    assert body["timezone"] == "Europe/Berlin"
    # nothing that names a person
    assert "Alice" not in str(body) and "caseworker" not in str(body)
    # Bestadt's admin sees only Bestadt's call
    status, other = await call(http, console, people.b["admin"], "GET", "/api/v1/usage")
    assert status == 200 and isinstance(other, dict)
    assert other["totals"]["calls"] == 1 and other["totals"]["waiting"] == 1


async def test_a_malformed_language_does_not_block_the_usage_records(
    console: RunningConsole, http: aiohttp.ClientSession, store: Store, seed: Seed
) -> None:
    """A call.request whose language the column cannot hold is recorded without it: stored
    as sent, PostgreSQL refuses the row and the writer would retry that batch forever."""
    t1, _ = await terminal(http, console, seed.a1)
    t2, _ = await terminal(http, console, seed.a2)
    await t1.send(CallRequest(language="x" * 40))
    await t1.expect(Queued)
    await t2.send(CallRequest(language="uk"))
    await t2.expect(Queued)
    for _ in range(100):
        async with store.db.session() as s:
            found = (await s.execute(text("SELECT terminal_id, language FROM call_records"))).all()
        if len(found) == 2:
            break
        await asyncio.sleep(0.05)
    assert sorted(found) == sorted([(seed.a1_id, None), (seed.a2_id, "uk")])


async def test_usage_needs_a_supervisor_and_valid_dates(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants
) -> None:
    status, _ = await call(http, console, None, "GET", "/api/v1/usage")
    assert status == 401
    status, body = await call(http, console, people.a["caseworker"], "GET", "/api/v1/usage")
    assert status == 403 and isinstance(body, dict) and body["error"]["code"] == "forbidden"
    sup = people.a["supervisor"]
    for query, words in [
        ("?from=2026-13-01", "from"),
        ("?to=yesterday", "to"),
        ("?from=2026-11-20&to=2026-11-01", "after"),
        ("?from=2020-01-01&to=2026-01-01", "366"),
        ("?from=0001-01-01&to=0001-01-01", "calendar"),
        ("?to=9999-12-31&from=9999-12-31", "calendar"),
    ]:
        status, body = await call(http, console, sup, "GET", "/api/v1/usage" + query)
        assert status == 400, query
        assert isinstance(body, dict) and words in body["error"]["message"], body
    status, body = await call(
        http, console, sup, "GET", "/api/v1/usage?from=2026-11-01&to=2026-11-07"
    )
    assert status == 200 and isinstance(body, dict)
    assert body["by_day"][0]["date"] == "2026-11-01" and len(body["by_day"]) == 7


async def test_dashboard_page_is_for_supervisors(
    console: RunningConsole, store: Store, people: Tenants
) -> None:
    async def page(username: str | None) -> tuple[int, str]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            if username:
                assert (await login(http, console, username)).status == 303
            async with http.get(console.base + "/dashboard", allow_redirects=False) as resp:
                return resp.status, await resp.text()

    assert (await page(None))[0] == 303
    status, body = await page("alice")
    assert status == 403 and "Teamleitung" in body
    status, body = await page("a-sup")
    assert status == 200 and 'data-test="by-hour"' in body and 'data-test="audit"' not in body
    status, body = await page("a-adm")
    assert status == 200 and 'data-test="audit"' in body and "Audit-Protokoll" in body


def test_openapi_fragments_merge_into_the_document() -> None:
    doc = build(("console.api.openapi", "console.routes.usage", "console.routes.audit"))
    assert set(doc["paths"]) >= {"/api/v1/usage", "/api/v1/audit", "/api/v1/audit.csv"}
    assert "UsageFigures" in doc["components"]["schemas"]
    usage = doc["components"]["schemas"]["UsageFigures"]
    assert "from" in usage["properties"] and "from" in usage["required"]
    csv = doc["paths"]["/api/v1/audit.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]


async def test_a_real_call_through_the_console_is_counted_and_audited(
    console: RunningConsole, http: aiohttp.ClientSession, store: Store, seed: Seed, people: Tenants
) -> None:
    a_http, alice, _ = await caseworker(console, "alice")
    t1, _ = await terminal(http, console, seed.a1)
    t2, _ = await terminal(http, console, seed.a2)
    await t1.send(CallRequest(language="uk"))
    answered = (await t1.expect(Queued)).call_id
    await t2.send(CallRequest())
    abandoned = (await t2.expect(Queued)).call_id
    await alice.send(Answer(call_id=answered))
    await t1.expect(Answered)
    await t2.send(Hangup(call_id=abandoned))  # the citizen gives up waiting
    await alice.send(Hangup(call_id=answered))
    await t1.expect(Ended)
    outcomes: dict[str, object] = {}
    for _ in range(100):
        async with store.db.session() as s:
            found = await s.execute(text("SELECT call_id, outcome FROM call_records"))
            outcomes = {row[0]: row[1] for row in found.all()}
        if outcomes.get(answered) == "answered" and outcomes.get(abandoned) == "abandoned":
            break
        await asyncio.sleep(0.05)
    assert outcomes == {answered: "answered", abandoned: "abandoned"}
    status, body = await call(http, console, people.a["supervisor"], "GET", "/api/v1/usage")
    assert status == 200 and isinstance(body, dict)
    assert (body["totals"]["answered"], body["totals"]["abandoned"]) == (1, 1)
    status, page = await call(
        http, console, people.a["admin"], "GET", "/api/v1/audit?action=call.answer"
    )
    assert isinstance(page, dict)
    (entry,) = page["entries"]
    assert (entry["actor_name"], entry["target_id"]) == ("Alice Amt", answered)
    await a_http.close()
