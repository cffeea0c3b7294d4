"""sniff_mime, content_problem and is_scriptable: what the first bytes say."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

import mediashelf.media.images  # noqa: F401 - registers the HEIF plugin, so Pillow writes HEIC
from mediashelf.media.sniff import content_problem, is_scriptable, sniff_mime
from tests.factory import encoded, video


def pillow(fmt: str, mode: str = "RGB", **params: object) -> Callable[[], bytes]:
    def make() -> bytes:
        img = Image.new(mode, (16, 12))
        return encoded(img, fmt, **params)

    return make


def animated_gif() -> bytes:
    frames = [Image.new("P", (8, 8), i) for i in range(2)]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    """An ISO BMFF file's first box, then the start of a `meta` or `moov` box."""
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x01\x00meta" + bytes(64)


def atom(kind: bytes) -> bytes:
    return b"\x00\x00\x00\x6c" + kind + b"\x00\x00\x00\x6cmvhd" + bytes(100)


def ebml(doctype: bytes) -> bytes:
    """The EBML header of a Matroska file: ... DocType (0x4282) ..."""
    fields = b"\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    fields += b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(fields)]) + fields + b"\x18\x53\x80\x67"


def ts_packets(n: int, prefix: bytes = b"") -> bytes:
    packet = b"\x47\x40\x00\x10" + b"\xff" * 184
    return b"".join(prefix + packet for _ in range(n))


ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")

# What the bytes are -> the MIME type they must give.
SIGNATURES: dict[str, tuple[Callable[[], bytes], str | None]] = {
    # Images, encoded by Pillow (and pillow_heif).
    "jpeg": (pillow("JPEG"), "image/jpeg"),
    "jpeg-grey-exif": (
        pillow("JPEG", "L", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00"),
        "image/jpeg",
    ),
    "png": (pillow("PNG"), "image/png"),
    "png-16-bit": (pillow("PNG", "I;16"), "image/png"),
    "gif87a": (pillow("GIF", "P"), "image/gif"),
    "gif89a": (animated_gif, "image/gif"),
    "webp-lossy": (pillow("WEBP"), "image/webp"),
    "webp-lossless": (pillow("WEBP", lossless=True), "image/webp"),
    "webp-alpha": (pillow("WEBP", "RGBA"), "image/webp"),
    "bmp": (pillow("BMP"), "image/bmp"),
    "tiff-little-endian": (pillow("TIFF"), "image/tiff"),
    "tiff-big-endian": (pillow("TIFF", "I;16B"), "image/tiff"),
    "heic": (pillow("HEIF"), "image/heic"),
    "avif": (pillow("AVIF"), "image/avif"),
    # ISO BMFF image brands, built by hand.
    "heic-heix": (lambda: ftyp(b"heix", b"mif1", b"heix"), "image/heic"),
    "heif-mif1-only": (lambda: ftyp(b"mif1", b"mif1"), "image/heif"),
    "heif-mif1-heic": (lambda: ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),
    "heif-mif1-avif": (lambda: ftyp(b"mif1", b"mif1", b"miaf", b"avif"), "image/avif"),
    "heif-sequence-msf1": (lambda: ftyp(b"msf1", b"msf1", b"hevc"), "image/heic"),
    "avif-sequence": (lambda: ftyp(b"avis", b"avis", b"msf1", b"avif"), "image/avif"),
    # Videos, built by hand.
    "mp4-isom": (lambda: ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
    "mp4-mp42": (lambda: ftyp(b"mp42", b"mp42", b"isom"), "video/mp4"),
    "mp4-with-mif1-compatible": (lambda: ftyp(b"isom", b"mif1", b"heic"), "video/mp4"),
    "mov-ftyp": (lambda: ftyp(b"qt  ", b"qt  "), "video/quicktime"),
    "mov-bare-moov": (lambda: atom(b"moov"), "video/quicktime"),
    "mov-bare-mdat": (lambda: atom(b"mdat"), "video/quicktime"),
    "mov-wide": (lambda: b"\x00\x00\x00\x08wide" + atom(b"mdat"), "video/quicktime"),
    "mov-free": (lambda: atom(b"free"), "video/quicktime"),
    "m4v": (lambda: ftyp(b"M4V ", b"M4V ", b"M4A ", b"mp42", b"isom"), "video/x-m4v"),
    "3gp": (lambda: ftyp(b"3gp4", b"isom", b"3gp4"), "video/3gpp"),
    "3gp5": (lambda: ftyp(b"3gp5", b"3gp5"), "video/3gpp"),
    "mkv": (lambda: ebml(b"matroska"), "video/x-matroska"),
    "webm": (lambda: ebml(b"webm"), "video/webm"),
    "avi": (lambda: b"RIFF\x00\x10\x00\x00AVI LIST" + bytes(32), "video/x-msvideo"),
    "wmv-asf": (lambda: ASF_GUID + bytes(32), "video/x-ms-wmv"),
    "mpeg-ps": (lambda: b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01" + bytes(32), "video/mpeg"),
    "mpeg-es": (lambda: b"\x00\x00\x01\xb3\x02\x00\x10\x14" + bytes(32), "video/mpeg"),
    "mpeg-ts": (lambda: ts_packets(3), "video/mp2t"),
    "m2ts": (lambda: ts_packets(3, prefix=b"\x0e\xbf\x46\x22"), "video/mp2t"),
    "flv": (lambda: b"FLV\x01\x05\x00\x00\x00\x09" + bytes(32), "video/x-flv"),
    # Text a browser would run.
    "html-doctype": (lambda: b"<!DOCTYPE html><html><body>hi</body></html>", "text/html"),
    "html-lowercase-doctype": (lambda: b"<!doctype html>\n<title>x</title>", "text/html"),
    "html-bom-whitespace": (lambda: b"\xef\xbb\xbf \r\n\t\x0c<HTML>\n<body>", "text/html"),
    "html-head": (lambda: b"<head><meta charset=utf-8>", "text/html"),
    "html-body": (lambda: b"  <body onload='alert(1)'>", "text/html"),
    "html-script": (lambda: b"<script>alert(document.cookie)</script>", "text/html"),
    "html-iframe": (lambda: b"<iframe src='https://example.com'></iframe>", "text/html"),
    "html-div": (lambda: b"<div>\n</div>", "text/html"),
    "html-table": (lambda: b"<TABLE>\n<tr><td>1</td></tr>", "text/html"),
    "html-style": (lambda: b"<style>body{}</style>", "text/html"),
    "html-p": (lambda: b"<p>Hello", "text/html"),
    "html-a": (lambda: b"<a href='x'>link</a>", "text/html"),
    "html-comment": (lambda: b"<!-- saved from url --><html>", "text/html"),
    "xhtml": (
        lambda: b"<?xml version='1.0'?>\n<html xmlns='http://www.w3.org/1999/xhtml'>",
        "text/html",
    ),
    # SVG: script too, and no raster image.
    "svg": (
        lambda: b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        "image/svg+xml",
    ),
    "svg-xml-declaration": (
        lambda: b'<?xml version="1.0" encoding="UTF-8"?>\n<svg width="10" height="10">',
        "image/svg+xml",
    ),
    "svg-doctype": (
        lambda: (
            b'<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg>'
        ),
        "image/svg+xml",
    ),
    "svg-bare-doctype": (lambda: b"<!DOCTYPE svg>\n<svg>", "image/svg+xml"),
    "svg-comment": (
        lambda: b"<!-- Generator: Adobe Illustrator -->\n<svg version='1.1'>",
        "image/svg+xml",
    ),
    "svg-bom-uppercase": (
        lambda: b"\xef\xbb\xbf\n<SVG xmlns='http://www.w3.org/2000/svg'>",
        "image/svg+xml",
    ),
    # Nothing known.
    "empty": (lambda: b"", None),
    "plain-text": (lambda: b"hello, world\n" * 40, None),
    "text-starting-with-G": (lambda: b"Good morning. " * 40, None),
    "angle-bracket-not-html": (lambda: b"<notatag> and <preformatted>", None),
    "pdf": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", None),
    "zip": (lambda: b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(32), None),
    "wave": (lambda: b"RIFF\x24\x08\x00\x00WAVEfmt " + bytes(32), None),
    "mp3-id3": (lambda: b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(32), None),
    "bm-too-short": (lambda: b"BM\x00\x00", None),
    "ts-too-short": (lambda: b"\x47\x40\x00\x10" + b"\xff" * 100, None),
    "zeros": (lambda: bytes(512), None),
}


@pytest.mark.parametrize(("make", "expected"), SIGNATURES.values(), ids=SIGNATURES.keys())
def test_sniff_mime(make: Callable[[], bytes], expected: str | None) -> None:
    head = make()
    assert sniff_mime(head) == expected
    if expected is not None:  # a scan's head is up to 128 KiB: more bytes change nothing
        assert sniff_mime(head + bytes(1024)) == expected


@pytest.mark.parametrize("make", [m for m, _ in SIGNATURES.values()], ids=SIGNATURES.keys())
def test_sniff_mime_never_raises_on_short_heads(make: Callable[[], bytes]) -> None:
    head = make()
    for n in range(min(len(head), 220) + 1):
        mime = sniff_mime(head[:n])
        assert mime is None or "/" in mime


# Real files from ffmpeg: (suffix, codec arguments, MIME type).
VIDEOS = [
    ("mp4", ["-c:v", "mpeg4"], "video/mp4"),
    ("mov", ["-c:v", "mpeg4"], "video/quicktime"),
    ("m4v", ["-c:v", "mpeg4"], "video/x-m4v"),
    ("3gp", ["-c:v", "mpeg4"], "video/3gpp"),
    ("mkv", ["-c:v", "mpeg4"], "video/x-matroska"),
    ("webm", ["-c:v", "libvpx"], "video/webm"),
    ("avi", ["-c:v", "mpeg4"], "video/x-msvideo"),
    ("wmv", ["-c:v", "wmv2"], "video/x-ms-wmv"),
    ("mpg", ["-c:v", "mpeg1video", "-r", "25"], "video/mpeg"),
    ("ts", ["-c:v", "mpeg2video", "-r", "25"], "video/mp2t"),
    ("m2ts", ["-c:v", "mpeg2video", "-r", "25"], "video/mp2t"),
    ("flv", ["-c:v", "flv"], "video/x-flv"),
]


@pytest.mark.parametrize(("suffix", "codec", "expected"), VIDEOS, ids=[v[0] for v in VIDEOS])
def test_sniff_mime_real_videos(
    tmp_path: Path, suffix: str, codec: list[str], expected: str
) -> None:
    path = video(tmp_path / f"clip.{suffix}", seconds=0.2, size="32x32", extra=codec)
    head = path.read_bytes()[: 128 * 1024]
    assert sniff_mime(head) == expected
    assert content_problem("video", sniff_mime(head)) is None
    assert content_problem("image", sniff_mime(head)) == f"content is {expected}, not an image"


# -- content_problem and is_scriptable ------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "mime", "problem"),
    [
        ("image", "image/jpeg", None),
        ("image", "image/png", None),
        ("image", "image/heic", None),
        ("image", "image/heif", None),
        ("image", "image/avif", None),
        ("image", "image/tiff", None),
        ("image", "text/html", "content is text/html, not an image"),
        ("image", "image/svg+xml", "content is image/svg+xml, not an image"),
        ("image", "video/mp4", "content is video/mp4, not an image"),
        ("image", None, "content is not a recognised image format"),
        ("video", "video/mp4", None),
        ("video", "video/quicktime", None),
        ("video", None, None),  # raw streams (DV, ...) carry no signature
        ("video", "image/png", "content is image/png, not a video"),
        ("video", "text/html", "content is text/html, not a video"),
        ("video", "image/svg+xml", "content is image/svg+xml, not a video"),
    ],
)
def test_content_problem(kind: str, mime: str | None, problem: str | None) -> None:
    assert content_problem(kind, mime) == problem


@pytest.mark.parametrize(
    ("kind", "head", "flagged"),
    [
        ("image", b"<!DOCTYPE html><script>alert(1)</script>", True),
        ("image", b"\xef\xbb\xbf<svg onload='alert(1)'>", True),
        ("image", b"just some text", True),
        ("image", encoded(Image.new("RGB", (4, 4)), "PNG"), False),
        ("video", b"\x80\x12\x00\x00 unknown stream", False),
        ("video", encoded(Image.new("RGB", (4, 4)), "PNG"), True),
        ("video", b"  <html><body>", True),
    ],
)
def test_content_problem_from_bytes(kind: str, head: bytes, flagged: bool) -> None:
    assert (content_problem(kind, sniff_mime(head)) is not None) is flagged


@pytest.mark.parametrize(
    ("mime", "scriptable"),
    [
        ("text/html", True),
        ("image/svg+xml", True),
        ("image/jpeg", False),
        ("image/png", False),
        ("video/mp4", False),
        (None, False),
    ],
)
def test_is_scriptable(mime: str | None, scriptable: bool) -> None:
    assert is_scriptable(mime) is scriptable


def test_every_sniffed_type_is_classified() -> None:
    """Whatever sniff_mime can say is an image, a video, or scriptable text."""
    for make, _ in SIGNATURES.values():
        mime = sniff_mime(make())
        if mime is None:
            continue
        assert mime.startswith(("image/", "video/")) or is_scriptable(mime), mime
        if mime == "image/svg+xml":
            assert is_scriptable(mime)
