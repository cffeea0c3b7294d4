"""EXIF as the image viewer shows it: real files written by Pillow with the tags cameras
write, and files whose tags are broken or absent."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PIL.ExifTags import GPS, IFD, Base
from PIL.TiffImagePlugin import IFDRational

from mediashelf.media.exif import read_exif
from tests import factory


def _photo(path: Path, fill: dict[str, dict[int, object]]) -> Path:
    exif = Image.Exif()
    for key, value in fill.get("base", {}).items():
        exif[key] = value
    for ifd, values in ((IFD.Exif, fill.get("exif", {})), (IFD.GPSInfo, fill.get("gps", {}))):
        block = exif.get_ifd(ifd)
        for key, value in values.items():
            block[key] = value
    Image.new("RGB", (64, 48), (10, 20, 30)).save(path, exif=exif)
    return path


def test_a_cameras_tags(tmp_path: Path) -> None:
    r = IFDRational
    photo = _photo(
        tmp_path / "a.jpg",
        {
            "base": {Base.Make: "Canon", Base.Model: "EOS R6\x00", Base.Software: "darktable"},
            "exif": {
                Base.ExposureTime: r(1, 250),
                Base.FNumber: r(28, 10),
                Base.ISOSpeedRatings: 400,
                Base.FocalLength: r(50, 1),
                Base.Flash: 1,
                Base.LensModel: "RF50mm F1.8 STM",
                Base.DateTimeOriginal: "2024:05:06 07:08:09",
            },
            "gps": {
                GPS.GPSLatitudeRef: "S",
                GPS.GPSLatitude: (r(33, 1), r(51, 1), r(3240, 100)),
                GPS.GPSLongitudeRef: "W",
                GPS.GPSLongitude: (r(151, 1), r(12, 1), r(0, 1)),
                GPS.GPSAltitude: r(12, 1),
                GPS.GPSAltitudeRef: 1,  # below sea level
            },
        },
    )
    assert read_exif(photo) == {
        "camera": {"make": "Canon", "model": "EOS R6"},
        "lens": "RF50mm F1.8 STM",
        "exposure": {
            "exposure_time": "1/250",
            "f_number": 2.8,
            "iso": 400,
            "focal_length": 50.0,
            "flash": True,
        },
        "taken_at": "2024:05:06 07:08:09",
        "software": "darktable",
        "gps": {"latitude": -33.859, "longitude": -151.2, "altitude": -12.0},
    }


def test_long_exposures_and_broken_values(tmp_path: Path) -> None:
    r = IFDRational
    photo = _photo(
        tmp_path / "b.jpg",
        {
            "exif": {Base.ExposureTime: r(5, 2), Base.FNumber: r(1, 0)},  # x/0: not a number
            "gps": {
                GPS.GPSLatitudeRef: "N",
                GPS.GPSLatitude: (r(95, 1), r(0, 1), r(0, 1)),
                GPS.GPSLongitudeRef: "E",
                GPS.GPSLongitude: (r(1, 1), r(0, 1), r(0, 1)),
            },
        },
    )
    assert read_exif(photo) == {"exposure": {"exposure_time": "2.5"}}  # latitude 95: none


def test_no_exif_and_not_an_image(tmp_path: Path) -> None:
    assert read_exif(factory.jpeg(tmp_path / "plain.jpg")) == {}
    (tmp_path / "page.jpg").write_text("<html>not a photo</html>")
    assert read_exif(tmp_path / "page.jpg") == {}
    assert read_exif(tmp_path / "missing.jpg") == {}
