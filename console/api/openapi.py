"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document of the console's JSON API.

The document is assembled, not written by hand: every module named in
:data:`console.api.API_MODULES` contributes a module-level fragment

    OPENAPI = {"paths": {"/api/v1/x/{x_id}": {"get": {...}}}, "schemas": {"X": {...}}}

where a schema is either a JSON Schema dict or a ``msgspec.Struct`` class (turned into JSON
Schema with ``msgspec.json.schema_components``, so what a route validates with is exactly
what the document promises). The helpers :func:`operation`, :func:`ref` and
:func:`path_param` build the usual shapes; shared error responses (400, 401, 403, 404, 409)
are the components ``#/components/responses/<status>``. A path+method or schema name defined
twice raises :class:`~console.errors.ConfigError` when the document is built.

The document holds no data, so it is public; it is built once per app and cached.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from quart import Blueprint, Response, current_app

from console.api import API_MODULES, modules
from console.errors import ConfigError
from console.store.models import MAX_ROW_ID

bp = Blueprint("openapi", __name__)
CACHE_KEY = "bt_openapi"
REF = "#/components/schemas/{name}"
MAX_ID = MAX_ROW_ID
ID = "id"
"""Route converter for integer ids (:class:`console.api.IdConverter`): 1 to ``MAX_ID``."""
ERRORS = {
    "400": "The body or a parameter is invalid (unknown field, wrong type, too long).",
    "401": "No valid session or API token.",
    "403": "The role is too low, or a session request lacks its X-CSRF-Token header.",
    "404": "No such object in your municipality.",
    "409": "The change conflicts with existing data (duplicate name, last admin, ...).",
}


class ApiError(msgspec.Struct):
    """What went wrong: a stable ``code`` and a message for people."""

    code: str
    message: str


class ErrorBody(msgspec.Struct):
    """Every error answer of the API."""

    error: ApiError


def ref(kind: type[Any] | str) -> dict[str, str]:
    """A JSON Schema reference to a component schema (a Struct class or a name)."""
    name = kind if isinstance(kind, str) else kind.__name__
    return {"$ref": REF.format(name=name)}


def path_param(name: str, kind: type[int] | type[str] = int) -> dict[str, Any]:
    """A required path parameter."""
    schema: dict[str, Any] = (
        {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        if kind is int
        else {"type": "string", "minLength": 1, "maxLength": 32}
    )
    return {"name": name, "in": "path", "required": True, "schema": schema}


def operation(
    summary: str,
    *,
    role: str | None,
    tag: str,
    body: type[Any] | None = None,
    ok: type[Any] | dict[str, Any] | None = None,
    status: int = 200,
    params: Iterable[dict[str, Any]] = (),
    errors: Iterable[int] = (),
) -> dict[str, Any]:
    """One operation; ``role`` None means public. 401 and 403 are added for roles, 400 for
    bodies and parameters; ``errors`` adds more (404, 409)."""
    codes = set(errors)
    if role is not None:
        codes |= {401, 403}
    params = list(params)
    if body is not None or params:
        codes.add(400)
    responses: dict[str, Any] = {}
    if ok is None:
        responses[str(status)] = {"description": "Done."}
    else:
        responses[str(status)] = {
            "description": "Done.",
            "content": {"application/json": {"schema": ok if isinstance(ok, dict) else ref(ok)}},
        }
    for code in sorted(codes):
        responses[str(code)] = {"$ref": f"#/components/responses/{code}"}
    result: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "description": "Public." if role is None else f"Needs the role {role} (or higher).",
        "responses": responses,
    }
    if params:
        result["parameters"] = params
    if body is not None:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    if role is None:
        result["security"] = []
    return result


def build(names: tuple[str, ...] = API_MODULES) -> dict[str, Any]:
    """The OpenAPI document merged from the named modules' ``OPENAPI`` fragments."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    structs: list[type[Any]] = [ErrorBody]
    for module in modules(names):
        fragment = getattr(module, "OPENAPI", None)
        if not isinstance(fragment, dict):
            continue
        for path, item in fragment.get("paths", {}).items():
            merged = paths.setdefault(path, {})
            for method, spec in item.items():
                if method in merged:
                    raise ConfigError(f"{module.__name__}: {method} {path} is defined twice")
                merged[method] = spec
        for name, schema in fragment.get("schemas", {}).items():
            if isinstance(schema, type):
                clash = [kind for kind in structs if kind.__name__ == schema.__name__]
                if clash and clash[0] is not schema:
                    raise ConfigError(f"{module.__name__}: schema {name} is defined twice")
                if not clash:
                    structs.append(schema)
            elif name in schemas:
                raise ConfigError(f"{module.__name__}: schema {name} is defined twice")
            else:
                schemas[name] = schema
    _, generated = msgspec.json.schema_components(structs, ref_template=REF)
    for name, schema in generated.items():
        if name in schemas:
            raise ConfigError(f"schema {name} is defined twice")
        schemas[name] = schema
    error = {"application/json": {"schema": ref(ErrorBody)}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bürgerterminal console API",
            "version": "1",
            "description": (
                "Manage a municipality's offices, queues, caseworkers, terminals and settings. "
                "Every object belongs to one municipality; ids of other municipalities answer "
                "404. Authenticate with `Authorization: Bearer btk_...` (an API token, see "
                "/api/v1/tokens) or the console's session cookie plus the X-CSRF-Token header "
                "on changes."
            ),
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "btk_..."},
                "session": {"type": "apiKey", "in": "cookie", "name": "bt_session"},
            },
            "responses": {
                code: {"description": text, "content": error} for code, text in ERRORS.items()
            },
            "schemas": dict(sorted(schemas.items())),
        },
    }


@bp.get("/api/v1/openapi.json")
async def document() -> Response:
    """The OpenAPI document (public: it holds no data)."""
    cached = current_app.extensions.get(CACHE_KEY)
    if not isinstance(cached, bytes):
        cached = msgspec.json.encode(build())
        current_app.extensions[CACHE_KEY] = cached
    response = Response(cached, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/v1/openapi.json": {
            "get": operation("This OpenAPI document", role=None, tag="meta", ok={"type": "object"})
        }
    },
    "schemas": {},
}
