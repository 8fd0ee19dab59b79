"""The OpenAPI document: served publicly, merged from every API module, complete."""

from __future__ import annotations

import re
import sys
import types
from typing import Any

import aiohttp
import msgspec
import pytest

from console.api import API_MODULES, up_to
from console.api.openapi import build, operation
from console.app import create_app
from console.config import ConsoleConfig
from console.errors import ConfigError
from console.store import Store
from tests.console.conftest import RunningConsole

UNDOCUMENTED = {
    ("POST", "/api/v1/enroll"),  # the terminal's own endpoint, described in docs/protocol.md
}
"""API routes deliberately left out of the document."""


async def test_served_without_credentials(
    console: RunningConsole, http: aiohttp.ClientSession
) -> None:
    async with http.get(console.base + "/api/v1/openapi.json") as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        document = await resp.json()
    assert document["openapi"] == "3.1.0"
    assert set(document["components"]["securitySchemes"]) == {"bearer", "session"}
    offices = document["paths"]["/api/v1/offices"]
    assert offices["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OfficeNew"
    }
    for code in ("400", "401", "403", "409"):
        assert code in offices["post"]["responses"]
    new = document["components"]["schemas"]["OfficeNew"]
    assert new["additionalProperties"] is False
    assert new["properties"]["name"]["maxLength"] == 200


def test_every_reference_resolves() -> None:
    document = build()
    text = msgspec.json.encode(document).decode()
    for kind, name in re.findall(r'"#/components/(schemas|responses)/([^"]+)"', text):
        assert name in document["components"][kind], f"{kind}/{name} is referenced but missing"


def _rules(config: ConsoleConfig, store: Store) -> set[tuple[str, str]]:
    app = create_app(config, store, secret_key="x" * 48)
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.websocket or not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods or ():
            if method not in {"HEAD", "OPTIONS"}:
                found.add((method, path))
    return found


def test_every_api_route_is_documented(config: ConsoleConfig, store: Store) -> None:
    document = build()
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    missing = _rules(config, store) - documented - UNDOCUMENTED
    assert not missing, (
        "API routes without an OPENAPI entry (add one to the route's module and name the "
        f"module in console.api.API_MODULES): {sorted(missing)}"
    )
    stale = documented - _rules(config, store)
    assert not stale, f"documented but not served: {sorted(stale)}"


class Thing(msgspec.Struct):
    """A test schema."""

    name: str


def _module(name: str, fragment: dict[str, Any]) -> str:
    module = types.ModuleType(name)
    module.OPENAPI = fragment  # type: ignore[attr-defined]
    sys.modules[name] = module
    return name


def test_fragments_merge_and_duplicates_are_refused() -> None:
    listing = operation("List", role="caseworker", tag="t", ok=Thing)
    one = _module("tests_h2_one", {
        "paths": {"/api/v1/things": {"get": listing}},
        "schemas": {"Thing": Thing, "Extra": {"type": "string"}},
    })  # fmt: skip
    two = _module("tests_h2_two", {
        "paths": {"/api/v1/things": {"post": operation("Add", role="admin", tag="t", body=Thing)}},
    })  # fmt: skip
    document = build((*API_MODULES, one, two))
    assert set(document["paths"]["/api/v1/things"]) == {"get", "post"}
    assert document["components"]["schemas"]["Thing"]["required"] == ["name"]
    assert document["components"]["schemas"]["Extra"] == {"type": "string"}
    with pytest.raises(ConfigError, match="defined twice"):
        build((*API_MODULES, one, one))


@pytest.mark.parametrize("limit", [1, 9, 10, 100, 1000, 9070, 2**31 - 1])
def test_id_routes_match_exactly_the_ids_a_row_can_have(limit: int) -> None:
    """``<id:...>`` takes 1 to 2**31 - 1 (PostgreSQL's integer ids): larger ones are 404."""
    pattern = re.compile(up_to(limit))
    numbers = [*range(2000), limit - 1, limit, limit + 1, limit * 10, 2**31 - 1, 2**31, 2**40]
    for n in numbers:
        assert bool(pattern.fullmatch(str(n))) == (1 <= n <= limit), (limit, n)
    assert not pattern.fullmatch("01") and not pattern.fullmatch("")
