"""A photo's EXIF, as people read it: camera, lens, exposure, GPS position.

`read_exif(path)` opens the header only (nothing is decoded) and never raises for what a
file holds: a missing or broken tag is left out. Used by the image viewer's info panel.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from PIL.ExifTags import GPS, IFD, Base

_TEXT_LIMIT = 200  # a tag of text longer than this is somebody's junk, cut


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    text = value.replace("\x00", "").strip()
    return text[:_TEXT_LIMIT] or None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    if isinstance(value, tuple) and value:  # some cameras write ISO as a list
        value = value[0]
    number = _number(value)
    return round(number) if number is not None else None


def _exposure(value: Any) -> str | None:
    """1/250 s, 0.5 s, 2 s: as a camera shows it."""
    seconds = _number(value)
    if seconds is None or seconds <= 0:
        return None
    if seconds < 1:
        return f"1/{round(1 / seconds)}"
    return f"{seconds:g}"


def _degrees(dms: Any, ref: Any) -> float | None:
    try:
        d, m, s = (float(part) for part in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if not math.isfinite(value):
        return None
    return -value if _text(ref) in ("S", "W") else value


def read_exif(path: Path | str) -> dict[str, Any]:
    """The EXIF facts of an image file; {} when it has none or is not an image."""
    try:
        with Image.open(path) as img:
            exif = img.getexif()
            sub = exif.get_ifd(IFD.Exif)
            gps = exif.get_ifd(IFD.GPSInfo)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return {}
    out: dict[str, Any] = {}
    camera = {"make": _text(exif.get(Base.Make)), "model": _text(exif.get(Base.Model))}
    if any(camera.values()):
        out["camera"] = camera
    lens = _text(sub.get(Base.LensModel)) or _text(sub.get(Base.LensMake))
    if lens:
        out["lens"] = lens
    exposure = {
        "exposure_time": _exposure(sub.get(Base.ExposureTime)),
        "f_number": _number(sub.get(Base.FNumber)),
        "iso": _int(sub.get(Base.ISOSpeedRatings)),
        "focal_length": _number(sub.get(Base.FocalLength)),
        "focal_length_35mm": _number(sub.get(Base.FocalLengthIn35mmFilm)),
        "flash": bool(int(sub[Base.Flash]) & 1)
        if _number(sub.get(Base.Flash)) is not None
        else None,
    }
    exposure = {k: v for k, v in exposure.items() if v is not None}
    if exposure:
        out["exposure"] = exposure
    taken = _text(sub.get(Base.DateTimeOriginal)) or _text(exif.get(Base.DateTime))
    if taken:
        out["taken_at"] = taken
    software = _text(exif.get(Base.Software))
    if software:
        out["software"] = software
    if gps:
        lat = _degrees(gps.get(GPS.GPSLatitude), gps.get(GPS.GPSLatitudeRef))
        lon = _degrees(gps.get(GPS.GPSLongitude), gps.get(GPS.GPSLongitudeRef))
        if lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180:
            position: dict[str, Any] = {"latitude": round(lat, 6), "longitude": round(lon, 6)}
            altitude = _number(gps.get(GPS.GPSAltitude))
            if altitude is not None:
                below = gps.get(GPS.GPSAltitudeRef) in (1, b"\x01")
                position["altitude"] = round(-altitude if below else altitude, 1)
            out["gps"] = position
    return out
