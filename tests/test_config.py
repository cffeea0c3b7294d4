"""Settings: the seed's names, validation with one-line messages, documentation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mediashelf.config import Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_defaults() -> None:
    s = load_settings()
    assert s.media_dir == [Path("media")]
    assert s.thumbnail_sizes == {"small": 256, "medium": 512, "large": 1024}
    assert s.thumbnails_ext == ".webp"
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("data/mediashelf.db")


def test_seed_names_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIA_DIR", "/photos, /videos")
    monkeypatch.setenv("IMAGE_EXTS", "jpg,.PNG")
    monkeypatch.setenv("VIDEO_EXTS", ".mp4 .mkv")
    monkeypatch.setenv("CACHE_DIR", "/var/cache/ms")
    monkeypatch.setenv("MANIFEST_FILE", "m.json")
    monkeypatch.setenv("THUMBNAILS_FILE", "t.json")
    monkeypatch.setenv("THUMBNAILS_EXT", "jpg")
    s = load_settings()
    assert s.media_dir == [Path("/photos"), Path("/videos")]
    assert s.image_exts == [".jpg", ".png"] and s.video_exts == [".mp4", ".mkv"]
    assert s.cache_dir == Path("/var/cache/ms")
    assert (s.manifest_file, s.thumbnails_file) == (Path("m.json"), Path("t.json"))
    assert s.thumbnails_ext == ".jpg"
    assert s.kind_of(".PNG") == "image" and s.kind_of(".txt") is None


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("THUMBNAIL_SIZE_SMALL=128\nWORKERS=3\n")
    s = load_settings()
    assert (s.thumbnail_size_small, s.workers) == (128, 3)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("THUMBNAIL_SIZE_SMALL", "abc", "invalid setting THUMBNAIL_SIZE_SMALL"),
        ("WORKERS", "0", "invalid setting WORKERS"),
        ("THUMBNAILS_EXT", ".gif", "invalid setting THUMBNAILS_EXT"),
        ("PORT", "99999", "invalid setting PORT"),
        ("ACCEL_REDIRECT_PREFIX", "internal", "invalid setting ACCEL_REDIRECT_PREFIX"),
        ("THUMBNAIL_SIZE_LARGE", "100", "THUMBNAIL_SIZE_SMALL < THUMBNAIL_SIZE_MEDIUM"),
        ("VIDEO_EXTS", ".jpg", "IMAGE_EXTS and VIDEO_EXTS share"),
    ],
)
def test_invalid_values_give_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as exc:
        load_settings()
    assert expected in str(exc.value)
    assert "\n" not in str(exc.value)


def test_cli_stops_on_an_invalid_setting_without_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mediashelf", "scan"],
        env={"PATH": "/usr/bin:/bin", "THUMBNAIL_SIZE_SMALL": "big"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "invalid setting THUMBNAIL_SIZE_SMALL" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1


def test_every_setting_is_documented() -> None:
    example = (REPO / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z_]+)=", example, re.M))
    for name, field in Settings.model_fields.items():
        assert field.description and len(field.description) > 10, f"{name} has no help text"
        assert name.upper() in listed, f"{name.upper()} is missing from .env.example"
    assert listed <= {n.upper() for n in Settings.model_fields}, "stale names in .env.example"


def test_a_root_with_a_space_is_one_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIA_DIR", "/srv/My Photos,/srv/Camera Uploads")
    assert load_settings().media_dir == [Path("/srv/My Photos"), Path("/srv/Camera Uploads")]


@pytest.mark.parametrize("url", ["nonsense", "mysql://user@host/db"])
def test_a_bad_database_url_is_one_line(tmp_path: Path, url: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mediashelf", "scan"],
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "cannot use DATABASE_URL" in proc.stderr and "Traceback" not in proc.stderr
