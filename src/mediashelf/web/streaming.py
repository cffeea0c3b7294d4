"""Sending files: HTTP Range (RFC 9110 §14) and conditional requests.

(Thumbnails take a shorter path of their own: web/api/thumbnails.py.)
Files are streamed in 4 MiB chunks read in a worker thread, so no
request holds a whole file in memory and the event loop never blocks on disk.
With ACCEL_REDIRECT_PREFIX set, nginx sends the bytes instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

CHUNK = 4 * 1024 * 1024
# private: the files are people's own, served after a login; a shared cache (a proxy, a
# CDN) must not keep them and hand them to whoever asks for the URL.
IMMUTABLE = "private, max-age=31536000, immutable"
# On every file: a user's file opened in a tab is rendered in a sandbox, without script.
FILE_CSP = "sandbox"

Range = tuple[int, int]  # first, last (inclusive)

# One byte-range-spec (no lists): ASCII digits only, as str.isdigit() also takes "²".
_RANGE_SPEC = re.compile(r"([0-9]{0,19})-([0-9]{0,19})")  # longer: ignored, not a 500


def parse_range(header: str, size: int) -> Range | bool | None:
    """The one range a `Range` header asks for.

    Returns (first, last), None when the header must be ignored (not bytes,
    malformed, or several ranges: RFC 9110 lets a server send the whole
    representation), or False when it is unsatisfiable (→ 416).
    """
    unit, _, spec = header.partition("=")
    match = _RANGE_SPEC.fullmatch(spec.strip())
    if unit.strip().lower() != "bytes" or match is None:
        return None
    first_s, last_s = match.groups()
    if not first_s:
        if not last_s:
            return None
        suffix = int(last_s)
        if suffix == 0 or size == 0:
            return False
        return max(0, size - suffix), size - 1
    first = int(first_s)
    last = int(last_s) if last_s else size - 1
    if last_s and last < first:
        return None  # invalid, so the header is ignored
    if first >= size:
        return False
    return first, min(last, size - 1)


def etag_matches(header: str, etag: str, weak: bool) -> bool:
    if header.strip() == "*":
        return True
    for tag in header.split(","):
        tag = tag.strip()
        if weak:
            if tag.removeprefix("W/") == etag.removeprefix("W/"):
                return True
        elif tag == etag and not tag.startswith("W/"):
            return True
    return False


def _not_modified_since(header: str | None, mtime: float) -> bool:
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    if since.tzinfo is None:  # "-0000": an HTTP-date is always UTC, never local time
        since = since.replace(tzinfo=UTC)
    return int(mtime) <= since.timestamp()


def _if_range_holds(header: str, etag: str, last_modified: str) -> bool:
    header = header.strip()
    if header.startswith(('"', "W/")):
        return etag_matches(header, etag, weak=False)
    return header == last_modified


def file_etag(st: os.stat_result) -> str:
    return f'"{st.st_size:x}-{st.st_mtime_ns:x}"'


def send_file(
    request: Request,
    path: Path,
    media_type: str,
    *,
    etag: str | None = None,
    cache_control: str = "private, max-age=0, must-revalidate",
    extra_headers: Mapping[str, str] | None = None,
    accel_prefix: str = "",
) -> Response:
    """The response for GET or HEAD of `path`, honouring Range and conditions.

    Raises FileNotFoundError if the file is gone.
    """
    st = os.stat(path)
    size = st.st_size
    etag = etag or file_etag(st)
    last_modified = formatdate(st.st_mtime, usegmt=True)
    headers = {
        "etag": etag,
        "last-modified": last_modified,
        "cache-control": cache_control,
        "accept-ranges": "bytes",
        "content-security-policy": FILE_CSP,
        **(extra_headers or {}),
    }
    if accel_prefix:
        headers["x-accel-redirect"] = accel_prefix + quote(str(path))
        return Response(status_code=200, headers=headers, media_type=media_type)

    inm = request.headers.get("if-none-match")
    if inm is not None:
        if etag_matches(inm, etag, weak=True):
            return Response(status_code=304, headers=headers)
    elif _not_modified_since(request.headers.get("if-modified-since"), st.st_mtime):
        return Response(status_code=304, headers=headers)

    head_only = request.method == "HEAD"
    span: Range | None = None
    range_header = request.headers.get("range")
    if range_header and request.method in ("GET", "HEAD"):
        if_range = request.headers.get("if-range")
        if if_range is None or _if_range_holds(if_range, etag, last_modified):
            parsed = parse_range(range_header, size)
            if parsed is False:
                return Response(
                    status_code=416,
                    headers={**headers, "content-range": f"bytes */{size}"},
                    media_type=media_type,
                )
            if isinstance(parsed, tuple):
                span = parsed

    status = 200
    first, last = 0, size - 1
    if span is not None:
        status = 206
        first, last = span
        headers["content-range"] = f"bytes {first}-{last}/{size}"
    length = last - first + 1 if size else 0

    return FileRangeResponse(path, first, length, status, headers, media_type, head_only)


class FileRangeResponse(Response):
    """Streams `length` bytes of a file from `first`, in 4 MiB chunks."""

    def __init__(
        self,
        path: Path,
        first: int,
        length: int,
        status: int,
        headers: Mapping[str, str],
        media_type: str,
        head_only: bool,
    ) -> None:
        super().__init__(status_code=status, headers=headers, media_type=media_type)
        self.headers["content-length"] = str(length)
        self.path, self.first, self.length, self.head_only = path, first, length, head_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if self.head_only or self.length == 0:
            await send({"type": "http.response.body", "body": b""})
            return
        fd = await anyio.to_thread.run_sync(os.open, self.path, os.O_RDONLY)
        try:
            offset, remaining = self.first, self.length
            while remaining > 0:
                n = min(CHUNK, remaining)
                chunk = await anyio.to_thread.run_sync(os.pread, fd, n, offset)
                if not chunk:  # the file shrank under us: stop; the length is now wrong
                    break
                offset += len(chunk)
                remaining -= len(chunk)
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": remaining > 0}
                )
            if remaining > 0:
                await send({"type": "http.response.body", "body": b""})
        finally:
            os.close(fd)
