"""What the OpenAPI schema says routes may answer, besides their success.

Every route sits behind the access check (web/security.py), so every one may
answer 400, 401, 403 and 422; `errors()` adds what a router's routes can
answer besides. File routes answer bytes of any type, ranges included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from mediashelf.web.security import access

F = TypeVar("F", bound=Callable[..., Any])


class Problem(BaseModel):
    """An error. `detail` says what went wrong: a sentence, or for a request that does
    not validate, a list of what is wrong where."""

    detail: str | list[dict[str, Any]]


WHY = {
    400: "Bad query string or headers, or a credential in the URL",
    401: "Not logged in, or a refused API key",
    403: "Not allowed: the role or key lacks the permission, a cross-site request, "
    "or a missing CSRF token",
    404: "Not found",
    409: "Conflict with the current state: the message says which",
    416: "Range not satisfiable",
    422: "The body or path does not validate",
    429: "Too many failed attempts: wait Retry-After seconds",
    503: "Busy: try again after Retry-After seconds",
}
ALWAYS = (400, 401, 403, 422)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a router: the errors every route has, and `codes`."""
    return {code: {"model": Problem, "description": WHY[code]} for code in (*ALWAYS, *codes)}


def _bytes(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"*/*": {}}}


# `responses=` for a route that sends a file (RFC 9110 ranges and conditionals).
FILE: dict[int | str, dict[str, Any]] = {
    200: _bytes("The file"),
    206: _bytes("Part of the file (a Range request)"),
    304: {"description": "Not modified since the client's copy"},
    416: {"model": Problem, "description": WHY[416]},
}


def file_route(router: APIRouter, path: str, level: str = "read") -> Callable[[F], F]:
    """GET and HEAD of a route that sends a file, documented as such. Two routes, not one
    api_route, which would give both methods the same OpenAPI operationId."""
    options: dict[str, Any] = {
        "openapi_extra": access(level),
        "responses": FILE,
        "response_class": Response,
    }

    def register(endpoint: F) -> F:
        router.head(path, **options)(endpoint)
        return router.get(path, **options)(endpoint)  # type: ignore[no-any-return]

    return register
