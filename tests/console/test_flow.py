"""One whole flow through the HTTP API and the sockets, on SQLite and on PostgreSQL.

An admin adds a service and a terminal through the admin API, the terminal enrolls with its
one-time code, connects, and a citizen calls that service; Alice signs in, answers, and the
citizen hangs up. The usage figures and the audit log, read back through the API, show
exactly that call and those changes. Every step reads or writes the database: tokens,
sign-in, enrollment, the routing directory, call records, audit entries, the CSV export.
"""

from __future__ import annotations

import asyncio
import csv
import io

import aiohttp
import pytest

from protocol.messages import (
    Answer,
    Answered,
    CallOffer,
    CallRequest,
    Ended,
    Hangup,
    OfficeStatus,
    Queued,
)
from tests.console.admin_setup import call, tenants
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import caseworker, terminal
from tests.console.test_routing import until

pytestmark = pytest.mark.both_backends


async def test_a_new_terminal_enrolls_calls_and_shows_in_figures_and_audit(
    console: RunningConsole, http: aiohttp.ClientSession, seed: Seed
) -> None:
    admin = (await tenants(console.store)).a["admin"]
    _, offices = await call(http, console, admin, "GET", "/api/v1/offices")
    office_id = offices["offices"][0]["id"]  # type: ignore[index]
    new_queue = {"office_id": office_id, "name": "Meldeamt", "position": 1}
    status, queue = await call(http, console, admin, "POST", "/api/v1/queues", new_queue)
    assert status == 201, queue
    status, created = await call(
        http, console, admin, "POST", "/api/v1/admin/terminals", {"name": "Bücherei"}
    )
    assert status == 201, created
    code = created["enrollment"]["code"]  # type: ignore[index]
    async with http.post(f"{console.base}/api/v1/enroll", json={"code": code}) as resp:
        assert resp.status == 200
        enrolled = await resp.json()

    kiosk, welcome = await terminal(http, console, enrolled["credential"])
    assert welcome.name == "Bücherei"
    status_now = kiosk.office[-1]
    while len(status_now.services) < 2:  # the directory reload may come after the welcome
        status_now = await until(kiosk, OfficeStatus)
    alice_http, alice, _ = await caseworker(console, "alice")
    try:
        await kiosk.send(CallRequest(language="uk", queue_id=queue["id"]))  # type: ignore[index]
        queued = await kiosk.expect(Queued)
        offer = await until(alice, CallOffer)
        assert (offer.call_id, offer.terminal_name, offer.queue_name, offer.language) == (
            queued.call_id, "Bücherei", "Meldeamt", "uk",
        )  # fmt: skip
        await alice.send(Answer(call_id=queued.call_id))
        assert (await kiosk.expect(Answered)).caseworker == "Alice Amt"
        await kiosk.send(Hangup(call_id=queued.call_id))
        assert (await kiosk.expect(Ended)).reason == "hangup_terminal"
    finally:
        await alice_http.close()

    figures: object = None
    for _ in range(100):  # call records are written in the background
        _, figures = await call(http, console, admin, "GET", "/api/v1/usage")
        if figures["totals"]["answered"] == 1:  # type: ignore[index]
            break
        await asyncio.sleep(0.05)
    assert figures["totals"]["calls"] == 1 and figures["totals"]["answered"] == 1  # type: ignore[index]
    assert [(t["name"], t["calls"]) for t in figures["by_terminal"]] == [("Bücherei", 1)]  # type: ignore[index]
    assert [(q["name"], q["calls"]) for q in figures["by_queue"]] == [("Meldeamt", 1)]  # type: ignore[index]

    status, page = await call(http, console, admin, "GET", "/api/v1/audit")
    assert status == 200
    actions = {(e["action"], e["target_id"]) for e in page["entries"]}  # type: ignore[index]
    assert {
        ("queue.create", str(queue["id"])),  # type: ignore[index]
        ("terminal.create", enrolled["terminal_id"]),
        ("call.answer", queued.call_id),
    } <= actions
    async with http.get(f"{console.base}/api/v1/audit.csv", headers=admin.headers) as resp:
        assert resp.status == 200
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert queued.call_id in {row["target_id"] for row in rows}
