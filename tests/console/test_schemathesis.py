"""schemathesis against the running console, using the console's own OpenAPI document.

The console runs for real (hypercorn on 127.0.0.1, SQLite, cheap argon2) on a thread of
its own, because schemathesis' client is synchronous. Every operation of
``/api/v1/openapi.json`` is fed generated requests as an admin with an API token, valid
ones (positive) and invalid ones (negative): no answer may be a 5xx, every status must be
documented, and every body must match its schema and content type. Hypothesis runs
derandomized with few examples per operation, so the run is repeatable and stays under a
minute on a shared 2-core machine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from console.app import create_app
from console.config import ConsoleConfig
from console.hub import Hub
from console.server import serve
from console.store import Database, Store
from console.store.tokens import TokenStore
from tests.console.conftest import PASSWORD, cheap_passwords

EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Served:
    base: str
    token: str


@pytest.fixture
def served(config: ConsoleConfig) -> Iterator[Served]:
    """A real console on its own event loop thread, with an admin and their API token."""
    config = dataclasses.replace(config, require_second_factor=True)
    ready: list[Served] = []
    started = threading.Event()
    stop_box: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def main() -> None:
        from datetime import UTC, datetime

        db = Database.open(config.url)
        store = Store(db)
        passwords = cheap_passwords()
        await store.add_municipality("Aldorf")
        await store.add_municipality("Bestadt")
        admin = await store.add_caseworker(
            "Aldorf", "adm", "Admin", passwords.hash(PASSWORD), "admin"
        )
        await store.add_caseworker("Bestadt", "bert", "Bert", passwords.hash(PASSWORD), "admin")
        _, token = await TokenStore(db).create(admin.id, "schemathesis", datetime.now(UTC), None)
        app = create_app(
            config, store, secret_key="test-secret-key-" * 3, hub=Hub(), passwords=passwords
        )
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        port = sock.getsockname()[1]
        stop = asyncio.Event()
        stop_box.append((asyncio.get_running_loop(), stop))
        task = asyncio.create_task(serve(app, [f"fd://{sock.detach()}"], stop))
        ready.append(Served(f"http://127.0.0.1:{port}", token))
        started.set()
        await task
        await db.close()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert started.wait(20), "console did not start"
    yield ready[0]
    loop, stop = stop_box[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(15)


def test_openapi_document_is_valid_and_served(served: Served) -> None:
    with urllib.request.urlopen(served.base + "/api/v1/openapi.json", timeout=5) as resp:
        document = json.load(resp)
    assert document["openapi"].startswith("3.1")
    schema = schemathesis.openapi.from_dict(document)
    assert len(list(schema.get_all_operations())) >= 15


@pytest.mark.both_backends
@pytest.mark.timeout(240)
def test_api_conforms_to_its_openapi_document(served: Served) -> None:
    # PDF uploads (print): a minimal PDF, or bytes that only look like one at first.
    schemathesis.openapi.media_type(
        "application/pdf",
        st.sampled_from([b"%PDF-1.4\n%%EOF\n", b"%PDF-", b"not a pdf"]),
    )
    schema = schemathesis.openapi.from_url(served.base + "/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {served.token}"}
    failures: list[str] = []
    seen: dict[str, set[int]] = {}

    def check(case: schemathesis.Case) -> None:
        try:
            response = case.call_and_validate(base_url=served.base, headers=headers, checks=CHECKS)
            seen.setdefault(f"{case.method} {case.path}", set()).add(response.status_code)
        except (Exception, BaseExceptionGroup) as err:  # collect distinct failures, report all
            label = f"{case.method} {case.formatted_path}: {str(err).splitlines()[0]}"
            if label not in failures:
                failures.append(label)
                failures.append(str(err)[:1500])

    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = settings(
                max_examples=EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(given(case=operation.as_strategy(generation_mode=mode))(check))
            run()
    assert not failures, "\n".join(failures)
    # every operation answered at least once, with successes and refusals overall
    assert len(seen) == len(operations), sorted(seen)
    statuses = set().union(*seen.values())
    assert {200, 201, 204, 400, 404} <= statuses, seen
