"""What a file really is, from its first bytes (its magic number).

The extension says what a file claims to be; these bytes say what it is. A
`.jpg` that is really an HTML page must never be served as an image.
"""

from __future__ import annotations

import re

_ISO_BMFF_IMAGE_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"hevc": "image/heic",
    b"hevx": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
    b"avif": "image/avif",
    b"avis": "image/avif",
}
_GENERIC_IMAGE_BRANDS = (b"mif1", b"msf1")  # the compatible brands then say which
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
# The WHATWG MIME Sniffing Standard's HTML signatures (a tag name, then a space
# or ">"), plus any doctype and XML, which may be XHTML.
_HTML = re.compile(
    rb"<(?:(?:html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p)[ \t\n\x0c\r>]"
    rb"|!--|!doctype|\?xml)"
)


def sniff_mime(head: bytes) -> str | None:
    """The MIME type the bytes show, or None when they match nothing known."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[:2] == b"BM" and len(head) >= 14:
        return "image/bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[4:8] == b"ftyp":
        return _ftyp_mime(head)
    if head[4:8] in _QUICKTIME_ATOMS:
        return "video/quicktime"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "video/x-ms-wmv"
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return "video/mpeg"
    if head[:1] == b"\x47" and len(head) > 188 and head[188:189] == b"\x47":
        return "video/mp2t"
    if head[4:5] == b"\x47" and len(head) > 196 and head[196:197] == b"\x47":
        return "video/mp2t"  # M2TS (AVCHD .mts): each packet has a 4-byte timecode first
    if head.startswith(b"FLV\x01"):
        return "video/x-flv"
    return _text_mime(head)


def _ftyp_mime(head: bytes) -> str:
    major = head[8:12]
    if major in _GENERIC_IMAGE_BRANDS:
        size = int.from_bytes(head[:4], "big")
        compatible = head[16:size]
        for i in range(0, len(compatible) - 3, 4):
            brand = compatible[i : i + 4]
            if brand in _ISO_BMFF_IMAGE_BRANDS and brand not in _GENERIC_IMAGE_BRANDS:
                return _ISO_BMFF_IMAGE_BRANDS[brand]
    if major in _ISO_BMFF_IMAGE_BRANDS:
        return _ISO_BMFF_IMAGE_BRANDS[major]
    if major == b"qt  ":
        return "video/quicktime"
    if major.startswith(b"3g"):
        return "video/3gpp"
    if major in (b"M4V ", b"M4VH", b"M4VP"):
        return "video/x-m4v"
    return "video/mp4"


def _text_mime(head: bytes) -> str | None:
    text = head[:512].lstrip(b"\xef\xbb\xbf \t\n\x0c\r").lower()
    prolog = (b"<?xml", b"<!--", b"<!doctype svg")
    if text.startswith(b"<svg") or (text.startswith(prolog) and b"<svg" in text):
        return "image/svg+xml"
    if _HTML.match(text):
        return "text/html"
    return None


def is_scriptable(mime: str | None) -> bool:
    """Types a browser could run script from; never served inline."""
    return mime in ("text/html", "image/svg+xml")


def content_problem(kind: str, mime: str | None) -> str | None:
    """Why content does not match what its extension claims, or None.

    Images must show an image signature that we can decode (SVG is script, not
    a raster image). Videos are flagged only when the bytes are clearly
    something else, as some containers (raw MPEG, DV) carry no fixed signature.
    """
    if kind == "image":
        if mime is None:
            return "content is not a recognised image format"
        if not mime.startswith("image/") or mime == "image/svg+xml":
            return f"content is {mime}, not an image"
        return None
    if mime is not None and not mime.startswith("video/"):
        return f"content is {mime}, not a video"
    return None
