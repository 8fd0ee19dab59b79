"""Printing through the real console: upload checks, the terminal's one download, status relay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from console.printing import MAX_JOBS_PER_CALL, PrintJobs, PrintRefusedError
from protocol.messages import (
    Answer,
    Assigned,
    CallRequest,
    Ended,
    Hangup,
    PrintRequest,
    PrintStatus,
    Queued,
    QueueUpdate,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, caseworker, csrf_from, terminal
from tests.cupsd import make_pdf


@dataclass
class LiveCall:
    """An answered call: Alice's page and session, terminal a1's socket."""

    call_id: str
    alice_http: aiohttp.ClientSession
    alice: Peer
    term: Peer
    csrf: str
    console: RunningConsole
    credential: str

    async def upload(
        self, body: bytes, *, content_type: str = "application/pdf", csrf: str | None = None
    ) -> tuple[int, dict[str, object]]:
        headers = {
            "Content-Type": content_type,
            "X-CSRF-Token": self.csrf if csrf is None else csrf,
        }
        url = f"{self.console.base}/api/v1/calls/{self.call_id}/print"
        async with self.alice_http.post(url, data=body, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def download(self, job_id: str, credential: str | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {credential or self.credential}"}
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.console.base}/api/v1/print-jobs/{job_id}", headers=headers) as resp,
        ):
            return resp.status, await resp.read()


async def start_call(
    http: aiohttp.ClientSession, console: RunningConsole, credential: str
) -> LiveCall:
    """Alice answers a call from terminal ``credential``; returns everything the tests need."""
    alice_http, alice, _ = await caseworker(console, "alice")
    async with alice_http.get(f"{console.base}/") as page:
        csrf = csrf_from(await page.text())
    term, _ = await terminal(http, console, credential)
    await term.send(CallRequest())
    call_id = (await term.expect(Queued)).call_id
    await alice.expect(QueueUpdate)
    await alice.send(Answer(call_id=call_id))
    while not isinstance(await alice.recv(), Assigned):
        pass
    await term.recv()  # call.answered
    return LiveCall(call_id, alice_http, alice, term, csrf, console, credential)


@pytest.fixture
async def call(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> AsyncIterator[LiveCall]:
    live = await start_call(http, console, seed.a1)
    yield live
    await live.alice_http.close()


async def test_upload_download_once_and_status_relay(call: LiveCall, seed: Seed) -> None:
    pdf = make_pdf()
    status, body = await call.upload(pdf)
    assert status == 202, body
    request = await call.term.expect(PrintRequest)
    assert (request.call_id, request.job_id, request.size) == (
        call.call_id,
        body["job_id"],
        len(pdf),
    )
    assert (await call.download(request.job_id, seed.a2))[0] == 404  # another terminal
    assert await call.download(request.job_id) == (200, pdf)
    assert (await call.download(request.job_id))[0] == 404  # handed out once
    assert call.console.hub.prints.held_bytes == 0
    for state in ("queued", "printing", "done"):
        await call.term.send(PrintStatus(call_id=call.call_id, job_id=request.job_id, status=state))
        relayed = await call.alice.expect(PrintStatus)
        assert (relayed.job_id, relayed.status) == (request.job_id, state)


async def test_upload_refusals(call: LiveCall, http: aiohttp.ClientSession) -> None:
    assert (await call.upload(make_pdf(), csrf="wrong"))[0] == 403
    assert (await call.upload(make_pdf(), content_type="image/png"))[0] == 415
    assert (await call.upload(b"<html>not a pdf</html>"))[0] == 400
    status, body = await call.upload(b"%PDF-" + b"0" * (20 * 1024 * 1024))
    assert status == 413, body
    async with http.post(
        f"{call.console.base}/api/v1/calls/{call.call_id}/print",
        data=make_pdf(),
        headers={"Content-Type": "application/pdf"},
    ) as resp:
        assert resp.status == 401  # not signed in (the fixture's session has no cookie)
    other = LiveCall(**{**call.__dict__, "call_id": "nosuchcall"})
    assert (await other.upload(make_pdf()))[0] == 404
    await call.term.silent()  # nothing refused reached the terminal


async def test_call_end_forgets_jobs(call: LiveCall) -> None:
    status, _ = await call.upload(make_pdf())
    assert status == 202
    job_id = (await call.term.expect(PrintRequest)).job_id
    await call.alice.send(Hangup(call_id=call.call_id))
    await call.term.expect(Ended)
    assert (await call.download(job_id))[0] == 404
    assert len(call.console.hub.prints) == 0
    assert (await call.upload(make_pdf()))[0] == 404  # no longer her call


def test_store_bounds() -> None:
    jobs = PrintJobs(budget_bytes=3000)
    for _ in range(MAX_JOBS_PER_CALL):
        jobs.add("c1", "t1", b"x" * 10)
    with pytest.raises(PrintRefusedError) as too_many:
        jobs.add("c1", "t1", b"x")
    assert too_many.value.status == 429
    with pytest.raises(PrintRefusedError) as busy:
        jobs.add("c2", "t2", b"x" * 3000)
    assert busy.value.status == 503
    job = jobs.add("c2", "t2", b"y")
    assert jobs.take(job.job_id, "t1") is None
    assert jobs.take(job.job_id, "t2") == job
    jobs.call_ended("c1")
    assert len(jobs) == 0
