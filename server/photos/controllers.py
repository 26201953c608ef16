"""The photo endpoints of docs/sync.md §1, and serving the derived sizes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, patch, post, put
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream

from server.core.guards import signed_in
from server.core.config import get_settings
from server.core.db import Database
from server.core.security import client_address
from server.core.sha256 import is_sha256
from server.core.deps import DbSession
from server.core.errors import _describe
from server.core.openapi import with_request_body
from server.photos import service
from server.photos.access import can_view_photo
from server.photos.images import DERIVED_VERSION
from server.photos.service import Ingested, PhotoOut, Uploader
from server.photos.storage import VARIANTS
from server.core.identity import current_user

CACHE_FOREVER = "private, max-age=31536000, immutable"


def json_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """The app's error body, always as JSON (an <img> gets 401, not a sign-in page), plus
    any extra fields the error carries (`expected_offset`)."""
    body = _describe(request, exc)
    expected = getattr(exc, "expected_offset", None)
    if expected is not None:
        body["expected_offset"] = expected
    return Response(content=body, status_code=exc.status_code, media_type=MediaType.JSON, headers=exc.headers)


def _uploader(request: Request[Any, Any, Any]) -> Uploader:
    user = current_user(request)
    return Uploader(
        user_id=user.id if user else None,
        device_id=request.headers.get("x-device-id"),
        ip=client_address(request),
    )


def _answer(done: Ingested) -> Response[PhotoOut]:
    return Response(content=done.photo, status_code=201 if done.created else 200)


@dataclass
class MissingQuery:
    sha256: list[str] = field(default_factory=list)


@dataclass
class MissingAnswer:
    missing: list[str]


@dataclass
class UploadProgress:
    offset: int
    complete: bool
    total: int | None = None


IMAGE_BYTES = {"type": "string", "format": "binary"}
WholePhoto = with_request_body(
    dict.fromkeys(("image/jpeg", "image/png", "image/webp"), IMAGE_BYTES),
    "the photo's bytes, named by their SHA-256 (the type is judged from the bytes; HEIC is refused)",
)
PhotoPiece = with_request_body(
    {"application/octet-stream": IMAGE_BYTES},
    "the photo's bytes from `offset` on (all of them or a piece); `total` is the whole photo's size",
)


class PhotoUploadController(Controller):
    """Photos in (the phone's sync loop). Any signed-in user may upload."""

    path = "/api/photos"
    guards = [signed_in]
    tags = ["photos"]
    exception_handlers = {HTTPException: json_error}

    @post("/missing", status_code=200)
    async def missing(self, state: State, data: JSONBody[MissingQuery]) -> MissingAnswer:
        """The hashes (at most 500) the server does not hold yet."""
        database: Database = state.db
        return MissingAnswer(missing=await service.missing(database, data.sha256))

    # No framework body limit: the handler counts the bytes and refuses past MAX_UPLOAD_MB.
    @put("/{sha256:str}", request_max_body_size=None, operation_class=WholePhoto)
    async def upload(
        self, request: Request[Any, Any, Any], state: State, sha256: FromPath[str]
    ) -> Response[PhotoOut]:
        """The whole photo as the body: 201 stored now, 200 already held."""
        body, length = request.stream(), request.content_length
        done = await service.receive_whole(
            state.db, get_settings(), sha256, body, _uploader(request), content_length=length
        )
        return _answer(done)

    @patch("/{sha256:str}", request_max_body_size=None, operation_class=PhotoPiece)
    async def upload_piece(
        self,
        request: Request[Any, Any, Any],
        state: State,
        sha256: FromPath[str],
        offset: FromQuery[int],
        total: FromQuery[int],
    ) -> Response[Any]:
        """One piece of a resumable upload: 202 with the next offset, or as PUT when complete."""
        got = await service.receive_piece(
            state.db, get_settings(), sha256, request.stream(), _uploader(request), offset=offset, total=total
        )
        if got.done is not None:
            return _answer(got.done)
        return Response(
            content=UploadProgress(offset=got.offset, complete=False, total=got.total),
            status_code=202,
            headers={"Upload-Offset": str(got.offset)},
        )

    @get("/{sha256:str}/upload")
    async def upload_progress(self, state: State, sha256: FromPath[str]) -> UploadProgress:
        """Where to resume: the bytes received so far, and whether the photo is complete."""
        return UploadProgress(**await service.upload_progress(state.db, get_settings(), sha256))


class PhotoController(Controller):
    """Photos out: the display and thumbnail sizes, to users allowed to see them."""

    path = "/photos"
    guards = [signed_in]
    include_in_schema = False
    exception_handlers = {HTTPException: json_error}

    @get("/{sha256:str}/{variant:str}")
    async def show(
        self, request: Request[Any, Any, Any], db: DbSession, sha256: FromPath[str], variant: FromPath[str]
    ) -> Response[Any]:
        """A derived size, cached for good by the browser (the name is the content)."""
        if variant not in VARIANTS or not is_sha256(sha256):
            raise HTTPException(status_code=404, detail="error.404")
        if not await can_view_photo(db, current_user(request), sha256):
            raise HTTPException(status_code=404, detail="error.404")
        etag = f'"{sha256}-{variant}-v{DERIVED_VERSION}"'
        headers = {"ETag": etag, "Cache-Control": CACHE_FOREVER}
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(content=b"", status_code=304, headers=headers)
        database: Database = request.app.state.db
        opened = await service.derived_image(database, get_settings(), sha256, variant)
        if opened is None:
            raise HTTPException(status_code=404, detail="error.404")
        # Streamed from the store after the access check, never a redirect to it (docs/sync.md §1).
        headers["Content-Length"] = str(opened.size)
        return Stream(opened.chunks, media_type="image/jpeg", headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags
