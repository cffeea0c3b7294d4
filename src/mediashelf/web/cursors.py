"""Keyset cursors: `next_cursor` in a list's answer, `cursor=` in the next request.

A cursor carries the sort it was made for, the last row's sort value and its id, as
URL-safe base64 of a JSON list. It comes back from outside, so `decode` checks every
part: a bad one is a 400 with a message, never a 500 from the database.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from fastapi import HTTPException

ValueKind = Literal["text", "datetime", "int"]


def encode(sort: str, value: Any, row_id: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def bad(why: str = "use next_cursor from the previous page") -> HTTPException:
    return HTTPException(status_code=400, detail=f"invalid cursor: {why}")


def is_int64(value: Any) -> bool:
    return type(value) is int and -(2**63) <= value < 2**63  # not a bool, not too big


def decode(cursor: str, sort: str, kind: ValueKind, sorts: Iterable[str] = ()) -> tuple[Any, int]:
    """The (sort value, id) `cursor` carries, for a list sorted by `sort` whose values
    are of `kind`; `sorts`, the list's other sorts, name the mistake of a cursor reused
    with another sort."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        cur_sort, value, row_id = json.loads(raw)
    except (ValueError, TypeError, RecursionError):
        raise bad() from None
    if cur_sort != sort:
        if isinstance(cur_sort, str) and cur_sort in set(sorts):
            raise bad(f"it was made for sort={cur_sort}, not sort={sort}")
        raise bad()
    if not is_int64(row_id):
        raise bad()
    if kind == "int":
        if not is_int64(value):
            raise bad()
        return value, row_id
    if not isinstance(value, str) or "\x00" in value:
        raise bad()
    try:
        value.encode()  # a lone surrogate cannot be sent to the database
    except UnicodeEncodeError:
        raise bad() from None
    if kind == "datetime":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise bad() from None
        if parsed.tzinfo is not None:
            raise bad()
        return parsed, row_id
    return value, row_id
