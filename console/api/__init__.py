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
from werkzeug.routing import BaseConverter, ValidationError

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
)
"""Every module whose ``OPENAPI`` fragment goes into the OpenAPI document."""


def modules(names: tuple[str, ...]) -> list[ModuleType]:
    """Import the named modules (each once; Python caches them)."""
    return [importlib.import_module(name) for name in names]


class IdConverter(BaseConverter):
    """``<id:name>``: a positive integer id up to :data:`~console.store.models.MAX_ROW_ID`.

    Larger numbers do not match the route at all (404) instead of reaching the database,
    which would refuse them (PostgreSQL's integer columns end at 2**31 - 1); werkzeug's
    ``int(max=...)`` answers 405 there instead of 404.
    """

    regex = r"[1-9][0-9]{0,9}"

    def to_python(self, value: str) -> int:
        """The id as an int; beyond the largest row id the route does not match."""
        number = int(value)
        if number > MAX_ROW_ID:
            raise ValidationError()
        return number

    def to_url(self, value: object) -> str:
        """The id as path text."""
        return str(value)


def register(app: Quart) -> None:
    """Add the ``id`` route converter and the admin API's and admin page's blueprints."""
    app.url_map.converters["id"] = IdConverter
    for module in modules(OWN_BLUEPRINTS):
        app.register_blueprint(module.bp)
