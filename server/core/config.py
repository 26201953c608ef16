"""Settings: one small dataclass per concern, each field read from a named environment variable.

Every variable is listed with its default and meaning in `.env.example` and in the README's
configuration table; `tests/test_docs.py` fails when the three fall out of step.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]  # server/core/config.py → the checkout


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _env_bool(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the data lives."""

    url: str = field(
        default_factory=lambda: _env("DATABASE_URL", f"sqlite+aiosqlite:///{REPO_ROOT / 'var' / 'fieldcheck.db'}")
    )
    """DATABASE_URL: SQLAlchemy URL. Default: a SQLite file under var/. Also postgresql+asyncpg://…"""
    echo: bool = field(default_factory=lambda: _env_bool("DATABASE_ECHO", False))
    """DATABASE_ECHO: log every SQL statement (1/0)."""
    pool_size: int = field(default_factory=lambda: _env_int("DATABASE_POOL_SIZE", 10))
    """DATABASE_POOL_SIZE: connections per worker process (PostgreSQL)."""
    sqlite_busy_timeout_ms: int = field(default_factory=lambda: _env_int("SQLITE_BUSY_TIMEOUT_MS", 15000))
    """SQLITE_BUSY_TIMEOUT_MS: how long a SQLite writer waits for the write lock."""

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


@dataclass(frozen=True)
class ServerSettings:
    """The HTTP side."""

    host: str = field(default_factory=lambda: _env("FIELDCHECK_HOST", "127.0.0.1"))
    """FIELDCHECK_HOST: address `fieldcheck serve` binds to."""
    port: int = field(default_factory=lambda: _env_int("FIELDCHECK_PORT", 8000))
    """FIELDCHECK_PORT: port `fieldcheck serve` listens on."""
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", ""))
    """SECRET_KEY: signs CSRF tokens. Empty = one generated once and kept in var/secret_key."""
    secure_cookies: bool = field(default_factory=lambda: _env_bool("SECURE_COOKIES", False))
    """SECURE_COOKIES: mark cookies Secure (1 behind HTTPS; 0 for plain-HTTP development)."""
    session_days: int = field(default_factory=lambda: _env_int("SESSION_DAYS", 30))
    """SESSION_DAYS: a sign-in lasts this many days (phones stay signed in in the field)."""
    session_idle_hours: int = field(default_factory=lambda: _env_int("SESSION_IDLE_HOURS", 168))
    """SESSION_IDLE_HOURS: a session not used for this many hours ends (within SESSION_DAYS); 0 = never idle out."""
    trusted_proxies: str = field(default_factory=lambda: _env("TRUSTED_PROXIES", ""))
    """TRUSTED_PROXIES: comma-separated addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For names the client; empty = the peer is the client."""
    debug: bool = field(default_factory=lambda: _env_bool("FIELDCHECK_DEBUG", False))
    """FIELDCHECK_DEBUG: show tracebacks in error pages (never in production)."""
    default_language: str = field(default_factory=lambda: _env("DEFAULT_LANGUAGE", "zh"))
    """DEFAULT_LANGUAGE: zh or en, when neither the user nor the browser says."""

    def effective_secret(self) -> str:
        """SECRET_KEY, else one generated once and kept in var/secret_key.

        Every worker process and every restart must sign with the same secret, or a form
        opened before a restart (or served by another worker) would fail its CSRF check.
        """
        if self.secret_key:
            return self.secret_key
        path = REPO_ROOT / "var" / "secret_key"
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            secret = secrets.token_urlsafe(32)
            try:
                # O_EXCL: when two workers race, one writes and both read the same value.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return path.read_text().strip()
            with os.fdopen(fd, "w") as handle:
                handle.write(secret)
            return secret


@dataclass(frozen=True)
class MediaSettings:
    """Photos on disk."""

    root: Path = field(default_factory=lambda: Path(_env("MEDIA_ROOT", str(REPO_ROOT / "var" / "media"))))
    """MEDIA_ROOT: folder for photos, stored under the SHA-256 of their bytes."""
    max_upload_mb: float = field(default_factory=lambda: _env_float("MAX_UPLOAD_MB", 20.0))
    """MAX_UPLOAD_MB: largest photo upload accepted, in megabytes."""
    max_pixels: int = field(default_factory=lambda: _env_int("MAX_IMAGE_PIXELS", 50_000_000))
    """MAX_IMAGE_PIXELS: images with more pixels are refused as decompression bombs."""


@dataclass(frozen=True)
class SiteSettings:
    """Facts of the deployment."""

    timezone: str = field(default_factory=lambda: _env("SITE_TIMEZONE", "Asia/Shanghai"))
    """SITE_TIMEZONE: time zone for months and due dates of new sites."""
    tile_url: str = field(default_factory=lambda: _env("MAP_TILE_URL", ""))
    """MAP_TILE_URL: optional XYZ tile URL for maps; empty = zone outlines and points only."""


@dataclass(frozen=True)
class StandardsSettings:
    """Where the maintenance standards are read from."""

    directory: str = field(default_factory=lambda: _env("STANDARDS_DIR", ""))
    """STANDARDS_DIR: folder of standards versions; empty = the data shipped in standards/data/."""
    recheck_seconds: float = field(default_factory=lambda: _env_float("STANDARDS_RECHECK_SECONDS", 2.0))
    """STANDARDS_RECHECK_SECONDS: how often a worker looks for versions installed by another (0 = every request)."""


@dataclass(frozen=True)
class Settings:
    """All settings, read once per process."""

    db: DatabaseSettings = field(default_factory=DatabaseSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    media: MediaSettings = field(default_factory=MediaSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    standards: StandardsSettings = field(default_factory=StandardsSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (tests clear the cache after changing the environment)."""
    return Settings()
