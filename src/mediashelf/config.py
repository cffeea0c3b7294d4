"""Every deployment setting, declared once with its help text.

Settings come from the environment and from a `.env` file in the working
directory. The seed gallery's names (MEDIA_DIR, IMAGE_EXTS, VIDEO_EXTS,
CACHE_DIR, MANIFEST_FILE, THUMBNAILS_FILE, THUMBNAILS_EXT) keep working.

Settings are passed explicitly: `load_settings()` builds one object at start-up
and the CLI hands it on. Nothing reads a global.
"""

from __future__ import annotations

import ipaddress
import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_IMAGE_EXTS = [
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".bmp",
    ".tif",
    ".tiff",
    ".heic",
    ".heif",
    ".avif",
]
ROLES = ("admin", "member", "viewer")
DEFAULT_VIDEO_EXTS = [
    ".mp4",
    ".m4v",
    ".mov",
    ".mkv",
    ".webm",
    ".avi",
    ".wmv",
    ".mpg",
    ".mpeg",
    ".ts",
    ".flv",
    ".3gp",
]


def _split_list(value: Any, seps: tuple[str, ...] = (",", " ")) -> Any:
    """Accept 'a,b' or 'a b' (paths: 'a,b' or 'a:b', never spaces) or a real list."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        for sep in seps:
            if sep in text:
                return [part.strip() for part in text.split(sep) if part.strip()]
        return [text] if text else []
    return value


def _parse_pairs(value: str, hint: str) -> dict[str, str]:
    """'a=1,b=2' as a dict."""
    pairs = {}
    for part in _split_list(value):
        key, sep, val = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(hint)
        pairs[key.strip()] = val.strip()
    return pairs


def _normalise_ext(ext: str) -> str:
    ext = ext.strip().lower()
    return ext if ext.startswith(".") else "." + ext


class Settings(BaseSettings):
    """Mediashelf's deployment settings. Each field is one environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    media_dir: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path("media")],
        description=(
            "Library roots: one or more folders of photos and videos, separated by commas "
            "(or ':'). The default ./media is created if missing. Roots added or removed "
            "in the dashboard are kept in the database and win over this list."
        ),
    )
    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the SQLite database and other state. Created if missing.",
    )
    cache_dir: Path = Field(
        default=Path("cache"),
        description=(
            "Folder for derived files (thumbnails, previews). Deleting it loses nothing "
            "that cannot be regenerated."
        ),
    )
    database_url: str = Field(
        default="",
        description=(
            "SQLAlchemy URL of the database. Empty means SQLite at DATA_DIR/mediashelf.db. "
            "PostgreSQL: postgresql+psycopg://user:password@host:5432/dbname"
        ),
    )
    image_exts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_IMAGE_EXTS),
        description="File extensions scanned as images, separated by commas.",
    )
    video_exts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_VIDEO_EXTS),
        description="File extensions scanned as videos, separated by commas.",
    )
    manifest_file: Path = Field(
        default=Path("manifest.json"),
        description="Where `mediashelf manifest` writes the seed gallery's manifest.",
    )
    thumbnails_file: Path = Field(
        default=Path("thumbnails.json"),
        description=(
            "Where `mediashelf manifest` writes the map from each file to its thumbnails."
        ),
    )
    thumbnails_ext: Literal[".webp", ".jpg"] = Field(
        default=".webp",
        description="Thumbnail format: .webp (keeps transparency) or .jpg (flattened on white).",
    )
    thumbnail_size_small: int = Field(
        default=256, ge=16, le=4096, description="Longest side of small thumbnails, in pixels."
    )
    thumbnail_size_medium: int = Field(
        default=512, ge=16, le=4096, description="Longest side of medium thumbnails, in pixels."
    )
    thumbnail_size_large: int = Field(
        default=1024, ge=16, le=8192, description="Longest side of large thumbnails, in pixels."
    )
    thumbnail_quality: int = Field(
        default=80, ge=1, le=100, description="Encoder quality of thumbnails, 1-100."
    )
    video_sprites: bool = Field(
        default=True, description="Make seek-bar sprite sheets (+ WebVTT) for videos."
    )
    sprite_width: int = Field(
        default=160, ge=32, le=640, description="Width of one seek-bar sprite tile, in pixels."
    )
    video_preview_frames: bool = Field(
        default=True,
        description="Make a strip of evenly spaced frames per video, for hover scrubbing.",
    )
    preview_frame_count: int = Field(
        default=10, ge=2, le=50, description="Frames in a video's preview strip."
    )
    preview_frame_height: int = Field(
        default=180, ge=32, le=1080, description="Height of each preview-strip frame, in pixels."
    )
    teaser_small_width: int = Field(
        default=320,
        ge=0,
        le=1920,
        description="Width of the small teaser (a silent MP4 of short clips). 0: none.",
    )
    teaser_large_width: int = Field(
        default=640,
        ge=0,
        le=3840,
        description="Width of the large teaser. 0: none.",
    )
    teaser_segments: int = Field(default=10, ge=1, le=60, description="Clips joined into a teaser.")
    teaser_segment_seconds: float = Field(
        default=1.0, gt=0, le=10, description="Length of each teaser clip, in seconds."
    )
    max_image_pixels: int = Field(
        default=200_000_000,
        ge=1_000_000,
        description=(
            "Images with more pixels than this are refused (decompression-bomb guard). "
            "The default allows 200 megapixels."
        ),
    )
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=256,
        description="Processes for background work such as thumbnails. Default: all cores.",
    )
    web_workers: int = Field(
        default=2, ge=1, le=64, description="Web server worker processes for `mediashelf serve`."
    )
    host: str = Field(default="127.0.0.1", description="Address `mediashelf serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `mediashelf serve` binds.")
    accel_redirect_prefix: str = Field(
        default="",
        description=(
            "When nginx fronts Mediashelf, an internal location prefix (e.g. /_protected). "
            "File responses then carry X-Accel-Redirect and nginx sends the bytes. "
            "See docs/nginx.md. Empty: Mediashelf sends files itself."
        ),
    )
    redis_url: str = Field(
        default="",
        description=(
            "Redis URL for the job queue (redis://host:6379/0). Empty: the queue is a SQLite "
            "file in DATA_DIR, for one machine. With Redis, `mediashelf worker` processes on "
            "any number of machines share the work."
        ),
    )
    job_lease_seconds: int = Field(
        default=60,
        ge=2,
        le=86_400,
        description=(
            "A running job's lease; a worker renews it while it works. A job whose worker "
            "died (kill -9, power loss) runs again once its lease has expired."
        ),
    )
    job_max_attempts: int = Field(
        default=3,
        ge=1,
        le=100,
        description=(
            "Attempts before a failing job is given up and its file quarantined "
            "(retry it from the API)."
        ),
    )
    job_retry_delay: float = Field(
        default=10.0,
        ge=0,
        le=86_400,
        description="Seconds before the first retry of a failed job; doubles with each attempt.",
    )
    job_limits: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=dict,
        description=(
            "Most jobs of a kind that run at once, across all workers, e.g. "
            "'scan=1,thumbnail=4'. Kinds not named may use every worker."
        ),
    )
    watch: bool = Field(
        default=True,
        description="Whether `mediashelf serve` also watches the roots for changes.",
    )
    watch_debounce_ms: int = Field(
        default=1500,
        ge=50,
        le=600_000,
        description=(
            "The watcher waits until no file has changed for this long, then scans the "
            "changes as one batch."
        ),
    )
    watch_poll: Literal["auto", "always", "never"] = Field(
        default="auto",
        description=(
            "auto: use inotify, and poll network mounts or when inotify runs out; "
            "always: poll every root; never: inotify only."
        ),
    )
    rescan_interval: int = Field(
        default=86_400,
        ge=0,
        le=31_536_000,
        description="Seconds between full rescans, the watcher's safety net. 0 turns them off.",
    )
    backup_keep: int = Field(
        default=7,
        ge=0,
        le=3650,
        description=(
            "Nightly backups of people's data (tags, ratings, photosets, users, …) to keep "
            "in BACKUP_DIR; older ones are deleted. 0 turns the nightly backup off."
        ),
    )
    backup_dir: str = Field(
        default="",
        description="Folder for backups (`mediashelf backup`, nightly). Empty: DATA_DIR/backups.",
    )
    hls_segment_seconds: int = Field(
        default=6,
        ge=2,
        le=30,
        description=(
            "Length of HLS segments, in seconds, for videos a browser cannot play as they "
            "are. Copied (remuxed) H.264 is cut at keyframes, so its segments are about "
            "this long."
        ),
    )
    hls_prefetch: int = Field(
        default=2,
        ge=0,
        le=10,
        description=(
            "HLS segments made ahead of the one a player asks for, so playback does not "
            "stall. They never take the last free transcode slot. 0: none."
        ),
    )
    max_transcodes: int = Field(
        default=2,
        ge=1,
        le=64,
        description=(
            "Most ffmpeg processes making HLS segments at once, across all web workers "
            "that share CACHE_DIR."
        ),
    )
    transcode_wait_seconds: float = Field(
        default=20.0,
        ge=0,
        le=600,
        description=(
            "How long a segment request waits for a free transcode slot before it is "
            "answered 503 with Retry-After."
        ),
    )
    transcode_idle_seconds: int = Field(
        default=30,
        ge=2,
        le=3600,
        description=(
            "A segment ffmpeg is killed when nobody has asked for that video for this "
            "many seconds (a closed player); nothing half-made is kept."
        ),
    )
    video_encoder: Literal["libx264", "h264_nvenc", "h264_qsv", "h264_vaapi"] = Field(
        default="libx264",
        description=(
            "H.264 encoder for HLS transcodes: libx264 (CPU), or the hardware encoders "
            "h264_nvenc (NVIDIA), h264_qsv (Intel Quick Sync) or h264_vaapi (VAAPI, see "
            "VAAPI_DEVICE). A segment the hardware encoder fails is made with libx264."
        ),
    )
    vaapi_device: str = Field(
        default="/dev/dri/renderD128",
        description="The DRM render node that VIDEO_ENCODER=h264_vaapi uses.",
    )
    transcode_quality: int = Field(
        default=23,
        ge=0,
        le=51,
        description=(
            "Transcode quality: x264 CRF, NVENC CQ, QSV global quality or VAAPI QP. Lower "
            "is better and larger; 18-28 is usual."
        ),
    )
    transcode_max_height: int = Field(
        default=1080,
        ge=144,
        le=4320,
        description=(
            "Transcodes are scaled down (never up) so that their shorter side is at most "
            "this many pixels."
        ),
    )
    auth: bool = Field(
        default=True,
        description=(
            "on: every page and API route but health and login needs a login or an API key. "
            "off: requests from loopback (and from TRUSTED_NETWORKS) act as an admin without "
            "logging in; allowed only when the server binds to loopback or TRUSTED_NETWORKS "
            "is set."
        ),
    )
    trusted_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "With AUTH=off: networks (CIDR, e.g. 192.168.1.0/24) whose clients act as an admin "
            "without logging in. Everyone else must log in."
        ),
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Reverse proxies (addresses or CIDR) whose X-Forwarded-For and X-Forwarded-Proto "
            "headers are believed. From anyone else those headers are ignored."
        ),
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Web origins (e.g. http://192.168.1.20:8080) whose pages may call the API from a "
            "browser, with an API key. Empty: none."
        ),
    )
    session_days: int = Field(
        default=30, ge=1, le=3650, description="Days a login lasts before the user logs in again."
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto",
        description=(
            "Mark the session cookie Secure (sent over HTTPS only). auto: when the request "
            "came over HTTPS (X-Forwarded-Proto from TRUSTED_PROXIES counts)."
        ),
    )
    login_attempts_per_ip: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Failed logins from one address within LOGIN_WINDOW before it must wait.",
    )
    login_attempts_per_user: int = Field(
        default=5,
        ge=1,
        le=10_000,
        description="Failed logins to one account within LOGIN_WINDOW before it must wait.",
    )
    login_window: int = Field(
        default=900,
        ge=1,
        le=86_400,
        description="Seconds over which failed logins are counted.",
    )
    oidc_issuer: str = Field(
        default="",
        description=(
            "OpenID Connect provider's issuer URL (e.g. https://auth.example.com/realms/home). "
            "Empty: no single sign-on, local logins only."
        ),
    )
    oidc_client_id: str = Field(default="", description="OIDC client ID.")
    oidc_client_secret: str = Field(default="", description="OIDC client secret.")
    oidc_scopes: str = Field(
        default="openid profile email", description="OIDC scopes asked for, space-separated."
    )
    oidc_name: str = Field(
        default="Single sign-on", description="The label of the OIDC button on the login page."
    )
    oidc_role_claim: str = Field(
        default="",
        description=(
            "ID-token claim (e.g. groups or roles) whose value(s) choose an OIDC user's role "
            "through OIDC_ROLE_MAP at each login. Empty: roles are set in Mediashelf."
        ),
    )
    oidc_role_map: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description=(
            "Claim values to roles, e.g. 'mediashelf-admins=admin,family=member'. A role "
            "name (admin, member, viewer) as a value maps to itself."
        ),
    )
    oidc_default_role: Literal["viewer", "member", "admin", "none"] = Field(
        default="viewer",
        description=(
            "Role of a new OIDC user whose claim maps to no role. none: such users are refused."
        ),
    )
    public_url: str = Field(
        default="",
        description=(
            "The address people use to reach Mediashelf (e.g. https://media.example.com), "
            "for the OIDC callback. Empty: taken from each request."
        ),
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Log level: debug, info, warning or error."
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Log format: text (for people) or json (one object per line, for collectors).",
    )

    @field_validator("job_limits", mode="before")
    @classmethod
    def _parse_limits(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value.strip().startswith("{"):
            import json

            return json.loads(value)
        return _parse_pairs(value, "write kind=number, e.g. thumbnail=2")

    @field_validator("oidc_role_map", mode="before")
    @classmethod
    def _parse_role_map(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value.strip().startswith("{"):
            import json

            return json.loads(value)
        return _parse_pairs(value, "write value=role, e.g. family=member")

    @field_validator("oidc_role_map")
    @classmethod
    def _check_role_map(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted({role for role in value.values() if role not in ROLES})
        if bad:
            raise ValueError(f"roles are admin, member or viewer (got {', '.join(bad)})")
        return value

    @field_validator("trusted_networks", "trusted_proxies", mode="before")
    @classmethod
    def _parse_networks(cls, value: Any) -> Any:
        networks = _split_list(value)
        if isinstance(networks, list):
            for net in networks:
                try:
                    ipaddress.ip_network(str(net), strict=False)
                except ValueError:
                    raise ValueError(f"{net!r} is not an address or network (CIDR)") from None
        return networks

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: Any) -> Any:
        origins = _split_list(value)
        if isinstance(origins, list):
            for origin in origins:
                parts = urlsplit(str(origin))
                if origin == "*" or parts.scheme not in ("http", "https") or not parts.netloc:
                    raise ValueError(f"{origin!r} is not an origin such as http://host:port")
                if parts.path not in ("", "/") or parts.query or parts.fragment:
                    raise ValueError(f"{origin!r} is not an origin: no path, please")
            return [str(origin).rstrip("/") for origin in origins]
        return origins

    @field_validator("oidc_issuer", "public_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("job_limits")
    @classmethod
    def _check_limits(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {k: n for k, n in value.items() if n < 1}
        if bad:
            raise ValueError(f"limits must be at least 1 (got {bad})")
        return value

    @field_validator("media_dir", mode="before")
    @classmethod
    def _parse_roots(cls, value: Any) -> Any:
        roots = _split_list(value, (",", os.pathsep))  # "My Photos" is one folder
        if isinstance(roots, list) and not roots:
            raise ValueError("at least one folder is required")
        return roots

    @field_validator("image_exts", "video_exts", mode="before")
    @classmethod
    def _parse_exts(cls, value: Any) -> Any:
        exts = _split_list(value)
        if isinstance(exts, list):
            return [_normalise_ext(str(e)) for e in exts]
        return exts

    @field_validator("thumbnails_ext", mode="before")
    @classmethod
    def _parse_thumb_ext(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = _normalise_ext(value)
            return ".jpg" if value == ".jpeg" else value
        return value

    @field_validator("accel_redirect_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if value and not value.startswith("/"):
            raise ValueError("must start with '/'")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check_sizes(self) -> Settings:
        if not self.thumbnail_size_small < self.thumbnail_size_medium < self.thumbnail_size_large:
            raise ValueError(
                "THUMBNAIL_SIZE_SMALL < THUMBNAIL_SIZE_MEDIUM < THUMBNAIL_SIZE_LARGE is required"
            )
        if bool(self.oidc_issuer) != bool(self.oidc_client_id):
            raise ValueError("OIDC_ISSUER and OIDC_CLIENT_ID are set together, or neither")
        overlap = set(self.image_exts) & set(self.video_exts)
        if overlap:
            raise ValueError(f"IMAGE_EXTS and VIDEO_EXTS share {sorted(overlap)}")
        return self

    # Derived values: computed, never stored twice.

    @property
    def thumbnail_sizes(self) -> dict[str, int]:
        return {
            "small": self.thumbnail_size_small,
            "medium": self.thumbnail_size_medium,
            "large": self.thumbnail_size_large,
        }

    @cached_property
    def root_paths(self) -> list[str]:
        """The real paths of the MEDIA_DIR roots: how the roots table names them."""
        return [os.path.realpath(root) for root in self.media_dir]

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mediashelf.db').resolve()}"

    def kind_of(self, ext: str) -> str | None:
        """'image', 'video' or None for an extension such as '.JPG'."""
        ext = ext.lower()
        if ext in self.image_exts:
            return "image"
        if ext in self.video_exts:
            return "video"
        return None


class SettingsError(Exception):
    """An invalid setting, with a one-line message that names it."""


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning a validation error into a one-line SettingsError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(part) for part in err.get("loc", ()) if not isinstance(part, int)]
        name = loc[0].upper() if loc else "settings"
        value = err.get("input")
        shown = "" if isinstance(value, dict) or value is None else f" (got {value!r})"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {name}: {msg}{shown}") from None
