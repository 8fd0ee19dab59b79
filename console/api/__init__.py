"""The console's JSON API under ``/api/v1/``: admin operations and their OpenAPI document.

Each module of :data:`API_MODULES` is one concept (offices, queues, caseworkers, ...) and
defines

- ``bp``: a Quart blueprint with its routes (registered by :func:`register`, only for the
  modules listed in :data:`OWN_BLUEPRINTS`; the others register their own blueprints), and
- ``OPENAPI``: ``{"paths": {...}, "schemas": {...}}``, the OpenAPI 3.1 fragment describing
  those routes. :mod:`console.api.openapi` merges every module's fragment into the document
  served at ``GET /api/v1/openapi.json``; a path or schema defined twice is an error.

Modules elsewhere (office hours, audit and usage, fleet, documents) take part by defining
the same ``OPENAPI`` dict and being named in :data:`API_MODULES`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from quart import Quart
from werkzeug.routing import BaseConverter

from console.store.models import MAX_ROW_ID

OWN_BLUEPRINTS: tuple[str, ...] = (
    "console.api.http_errors",
    "console.api.openapi",
    "console.api.admin_municipality",
    "console.api.admin_offices",
    "console.api.admin_queues",
    "console.api.admin_caseworkers",
    "console.api.admin_terminals",
    "console.api.tokens",
    "console.api.admin_page",
    "console.api.update_location",
)
"""Modules whose blueprints :func:`register` adds to the app."""

API_MODULES: tuple[str, ...] = (
    "console.api.openapi",
    "console.api.admin_municipality",
    "console.api.admin_offices",
    "console.api.admin_queues",
    "console.api.admin_caseworkers",
    "console.api.admin_terminals",
    "console.api.tokens",
    "console.routes.hours",
    "console.routes.audit",
    "console.routes.usage",
    "console.routes.fleet",
    "console.api.update_location",
    "console.routes.terminals",
    "console.routes.inbox",
    "console.routes.photos",
    "console.routes.printing",
    "console.routes.kit_documents",
)
"""Every module whose ``OPENAPI`` fragment goes into the OpenAPI document."""


def modules(names: tuple[str, ...]) -> list[ModuleType]:
    """Import the named modules (each once; Python caches them)."""
    return [importlib.import_module(name) for name in names]


def up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 1 to ``limit`` (no leading zeros)."""
    digits = str(limit)
    parts = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []  # fewer digits
    for i, digit in enumerate(digits):  # as many digits: the same prefix, then a smaller one
        low = 1 if i == 0 else 0
        if int(digit) > low:
            parts.append(f"{digits[:i]}[{low}-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}")
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(BaseConverter):
    """``<id:name>``: a positive integer id up to :data:`~console.store.models.MAX_ROW_ID`.

    Larger numbers do not match the route at all (404) instead of reaching the database,
    which would refuse them (PostgreSQL's integer columns end at 2**31 - 1). The bound is in
    the regular expression because werkzeug answers 405 instead of 404 when a converter
    refuses a value that its expression matched (as ``int(max=...)`` does).
    """

    regex = up_to(MAX_ROW_ID)

    def to_python(self, value: str) -> int:
        """The id as an int."""
        return int(value)

    def to_url(self, value: object) -> str:
        """The id as path text."""
        return str(value)


def register(app: Quart) -> None:
    """Add the ``id`` route converter and the admin API's and admin page's blueprints."""
    app.url_map.converters["id"] = IdConverter
    for module in modules(OWN_BLUEPRINTS):
        app.register_blueprint(module.bp)
