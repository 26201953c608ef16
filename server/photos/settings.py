"""Settings of photo uploads and of where photos are kept, beyond `server/core/config.py`'s MediaSettings.

Same pattern as `server/core/config.py` (one small dataclass, each field read from a named
environment variable, documented in its docstring).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from server.core.config import _env, _env_bool, _env_float


@dataclass(frozen=True)
class UploadSettings:
    """How long the server keeps what arrived of an upload that never finished."""

    partial_upload_max_age_h: float = field(default_factory=lambda: _env_float("PARTIAL_UPLOAD_MAX_AGE_H", 72.0))
    """PARTIAL_UPLOAD_MAX_AGE_H: pieces of an upload that no byte has reached for this many hours are deleted (the phone then sends that photo again from the start)."""


@lru_cache(maxsize=1)
def get_upload_settings() -> UploadSettings:
    """The process's upload settings (tests clear the cache after changing the environment)."""
    return UploadSettings()


STORE_KINDS = ("folder", "s3")


@dataclass(frozen=True)
class StoreSettings:
    """Where finished photos are kept: the MEDIA_ROOT folder, or a bucket through the S3 API."""

    kind: str = field(default_factory=lambda: _env("MEDIA_STORE", "folder"))
    """MEDIA_STORE: folder (photos under MEDIA_ROOT, the embedded default) or s3 (photos in MEDIA_S3_BUCKET; MEDIA_ROOT then only holds uploads still arriving)."""
    bucket: str = field(default_factory=lambda: _env("MEDIA_S3_BUCKET", ""))
    """MEDIA_S3_BUCKET: the bucket photos are kept in (MEDIA_STORE=s3, and `fieldcheck media-move`)."""
    endpoint: str = field(default_factory=lambda: _env("MEDIA_S3_ENDPOINT", ""))
    """MEDIA_S3_ENDPOINT: URL of the S3 API (MinIO, Ceph, Swift s3api, a cloud's S3); empty = AWS S3 of MEDIA_S3_REGION. An http:// URL is allowed (a private network only)."""
    region: str = field(default_factory=lambda: _env("MEDIA_S3_REGION", "us-east-1"))
    """MEDIA_S3_REGION: the region requests are signed for."""
    access_key_id: str = field(default_factory=lambda: _env("MEDIA_S3_ACCESS_KEY_ID", ""))
    """MEDIA_S3_ACCESS_KEY_ID: the access key of the app's account on the object store."""
    secret_access_key: str = field(default_factory=lambda: _env("MEDIA_S3_SECRET_ACCESS_KEY", ""), repr=False)
    """MEDIA_S3_SECRET_ACCESS_KEY: its secret."""
    virtual_hosted: bool = field(default_factory=lambda: _env_bool("MEDIA_S3_VIRTUAL_HOSTED", False))
    """MEDIA_S3_VIRTUAL_HOSTED: address the bucket as <bucket>.<endpoint host> (1) instead of <endpoint>/<bucket> (0, what MinIO, Ceph and Swift expect)."""
    timeout_s: float = field(default_factory=lambda: _env_float("MEDIA_S3_TIMEOUT_S", 30.0))
    """MEDIA_S3_TIMEOUT_S: longest wait for one request to the object store, retries included; past it an upload is answered 503 (the phone keeps the photo and sends it again)."""

    def check(self) -> None:
        """Refuse to start on settings that cannot work, naming the variable."""
        if self.kind not in STORE_KINDS:
            raise ValueError(f"MEDIA_STORE must be folder or s3, got {self.kind!r}")
        if self.kind == "s3":
            self.check_bucket()

    def check_bucket(self) -> None:
        for name, value in (("MEDIA_S3_BUCKET", self.bucket), ("MEDIA_S3_ACCESS_KEY_ID", self.access_key_id),
                            ("MEDIA_S3_SECRET_ACCESS_KEY", self.secret_access_key)):
            if not value:
                raise ValueError(f"{name} must be set to keep photos in a bucket")
        if self.timeout_s <= 0:
            raise ValueError(f"MEDIA_S3_TIMEOUT_S must be more than 0, got {self.timeout_s:g}")


def get_store_settings() -> StoreSettings:
    """Read afresh each time (cheap): the store itself is cached per distinct settings."""
    return StoreSettings()
