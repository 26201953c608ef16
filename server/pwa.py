"""The installable web app: the service worker, the manifest and the offline page.

The service worker (`web/static/sw.js`) must be served from `/` to control every page. It is
hand-written; when serving it we fill in one line, `const BUILD = …`, with a digest of the
files under `web/static` and their URLs. So any change to a static file changes the bytes
of `/sw.js`, the browser installs the new worker, and it precaches the new files.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.response import Template

from server.core.config import REPO_ROOT
from server.core.web import render

STATIC_ROOT = REPO_ROOT / "web" / "static"
SW_FILE = STATIC_ROOT / "sw.js"
MANIFEST_FILE = STATIC_ROOT / "manifest.webmanifest"
SW_BUILD_LINE = "const BUILD = { id: 'dev', files: [] };"

# Not part of the shell: the worker itself, the manifest (served at the root instead) and
# the vendored libraries' licence texts.
_SKIP_NAMES = {"sw.js", "LICENSE", "README", "README.md"}


@dataclass(frozen=True)
class StaticBuild:
    """The app shell as the service worker precaches it."""

    id: str
    """A digest of every shell file's path and bytes."""
    files: tuple[str, ...]
    """The URLs to precache: `/static/…` and `/manifest.webmanifest`."""


def _shell_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.name not in _SKIP_NAMES
        and not p.name.startswith(".")
        and p != root / "manifest.webmanifest"
    )


def static_build(root: Path = STATIC_ROOT) -> StaticBuild:
    """The shell's file list and digest; recomputed only when a file's size or mtime changes."""
    files = _shell_files(root)
    signature = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    manifest = root / "manifest.webmanifest"
    return _digest(root, signature, manifest.stat().st_mtime_ns if manifest.exists() else 0)


@lru_cache(maxsize=4)
def _digest(root: Path, signature: tuple[tuple[str, int, int], ...], _manifest_mtime: int) -> StaticBuild:
    digest = hashlib.sha256()
    urls = []
    for name, _, _ in signature:
        path = Path(name)
        rel = path.relative_to(root).as_posix()
        urls.append(f"/static/{rel}")
        digest.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    manifest = root / "manifest.webmanifest"
    if manifest.exists():
        urls.append("/manifest.webmanifest")
        digest.update(b"manifest\0" + hashlib.sha256(manifest.read_bytes()).digest())
    return StaticBuild(id=digest.hexdigest()[:16], files=tuple(urls))


def service_worker_source(root: Path = STATIC_ROOT) -> str:
    """`sw.js` with its BUILD line filled in."""
    source = (root / "sw.js").read_text(encoding="utf-8")
    if SW_BUILD_LINE not in source:
        raise RuntimeError(f"web/static/sw.js lost its build line: {SW_BUILD_LINE}")
    build = static_build(root)
    line = f"const BUILD = {json.dumps({'id': build.id, 'files': list(build.files)})};"
    return source.replace(SW_BUILD_LINE, line, 1)


@get("/sw.js", include_in_schema=False)
async def service_worker() -> Response[str]:
    """The service worker, allowed to control the whole site, never served from HTTP cache."""
    return Response(
        content=service_worker_source(),
        media_type="text/javascript",  # Litestar adds "; charset=utf-8"
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@get("/manifest.webmanifest", include_in_schema=False)
async def web_manifest() -> Response[bytes]:
    """The web app manifest, at the root so its scope is the whole site."""
    return Response(
        content=MANIFEST_FILE.read_bytes(),
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


@get("/offline", include_in_schema=False)
async def offline_page(request: Request[Any, Any, Any]) -> Template:
    """What the service worker shows for a page that is neither reachable nor cached.

    It is precached once and shown to whoever is signed in later, so it is rendered without
    the user (no name, no per-user links) and says everything in both languages.
    """
    return render(request, "pwa/offline.html", title_key="offline.title", user=None)
