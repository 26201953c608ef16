"""Test images made with Pillow, hostile files, and a client that streams bodies lazily.

Litestar's test transport reads a request body whole before the app sees it, so the 200 MB
upload and the cut-off upload go through `StreamingTransport`: the same app, the same
portal, but the body is pulled from a generator one chunk per ASGI `receive()`, and a
`CutOff` raised by the generator reaches the app as `http.disconnect`.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
import struct
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
from litestar.testing import AsyncTestClient
from litestar.testing.transport import SendReceiveContext, TestClientTransport
from PIL import ExifTags, Image, ImageDraw, ImageFilter
from PIL.TiffImagePlugin import IFDRational

RED = (220, 20, 20)
BLUE = (20, 40, 200)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def marked_image(width: int, height: int) -> Image.Image:
    """Blue, with a red block in the top-left corner (to see where rotation put it)."""
    image = Image.new("RGB", (width, height), BLUE)
    ImageDraw.Draw(image).rectangle((0, 0, width // 4, height // 4), fill=RED)
    return image


def photo_like(width: int = 1600, height: int = 1200, seed: int = 0) -> Image.Image:
    """Something with the texture of a photo (so JPEG sizes and timings are realistic)."""
    rng = random.Random(seed)
    noise = Image.effect_noise((max(1, width // 4), max(1, height // 4)), 40 + rng.random() * 30)
    base = noise.resize((width, height), Image.Resampling.BICUBIC)
    gradient = Image.linear_gradient("L").resize((width, height)).rotate(rng.choice((0, 90, 180, 270)))
    red = Image.blend(base, gradient, 0.5)
    green = Image.blend(base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient, 0.3)
    blue = Image.effect_noise((width, height), 25).filter(ImageFilter.GaussianBlur(1))
    return Image.merge("RGB", (red, green, blue))


def exif_block(
    *,
    orientation: int | None = None,
    gps: tuple[float, float] | None = None,
    taken: str | None = None,
    offset: str | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "TestCam"
    if gps is not None:
        lat, lon = gps
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        info[ExifTags.GPS.GPSLatitude] = _dms(abs(lat))
        info[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        info[ExifTags.GPS.GPSLongitude] = _dms(abs(lon))
    if taken is not None:
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
        ifd[ExifTags.Base.DateTimeOriginal] = taken
        if offset is not None:
            ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    return exif


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600 * 10000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 10000)


def jpeg(
    width: int = 400,
    height: int = 300,
    *,
    image: Image.Image | None = None,
    quality: int = 90,
    **exif: Any,
) -> bytes:
    """A JPEG; keyword arguments go into its EXIF (orientation, gps, taken, offset)."""
    picture = image if image is not None else marked_image(width, height)
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": quality}
    if exif:
        options["exif"] = exif_block(**exif).tobytes()
    picture.save(out, "JPEG", **options)
    return out.getvalue()


def png(width: int = 300, height: int = 200, *, alpha: bool = False) -> bytes:
    picture = marked_image(width, height)
    if alpha:
        picture.putalpha(128)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def webp(width: int = 300, height: int = 200) -> bytes:
    out = io.BytesIO()
    marked_image(width, height).save(out, "WEBP", quality=80)
    return out.getvalue()


def text_named_jpg() -> bytes:
    """What a user gets by renaming notes.txt to photo.jpg."""
    return "巡检记录：长椅完好。\nInspection notes: bench intact.\n".encode() * 20


def heic_like() -> bytes:
    """The first bytes of an iPhone HEIC (an ISO-BMFF `ftyp` box with brand `heic`)."""
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 200


def truncated_jpeg() -> bytes:
    """A real photo cut off half-way through its scan data."""
    whole = jpeg(image=photo_like(800, 600, seed=7))
    return whole[: len(whole) * 6 // 10]


@functools.lru_cache(maxsize=2)
def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A real, valid PNG of a huge blank 1-bit image: ~100 KB that would decode to 900 Mpx.

    Written row by row through zlib, so the huge image never exists in memory here either.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte 0, then all-black pixels
    packer = zlib.compressobj(9)
    parts = [packer.compress(row * 1000) for _ in range(height // 1000)]
    parts.append(packer.compress(row * (height % 1000)))
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


class CutOff(Exception):
    """Raised by a body generator: the phone lost its signal here."""


class Counter:
    """Counts the bytes a lazy body has produced so far."""

    def __init__(self) -> None:
        self.produced = 0


async def lazy_body(total: int, counter: Counter, *, chunk: int = 1 << 20, fill: bytes = b"\xff") -> AsyncIterator[bytes]:
    """`total` bytes, made one chunk at a time as the server asks for them (never all in memory)."""
    block = (fill * chunk)[:chunk]
    sent = 0
    while sent < total:
        piece = block[: min(chunk, total - sent)]
        sent += len(piece)
        counter.produced = sent
        yield piece


async def pieces(data: bytes, *, chunk: int = 64 * 1024, cut_after: int | None = None) -> AsyncIterator[bytes]:
    """`data` in chunks; with `cut_after`, the connection drops after that many bytes."""
    limit = len(data) if cut_after is None else cut_after
    for start in range(0, limit, chunk):
        yield data[start : min(start + chunk, limit)]
    if cut_after is not None:
        raise CutOff


class StreamingTransport(TestClientTransport[Any]):
    """Like Litestar's test transport, but the body reaches the app chunk by chunk."""

    async def __aenter__(self) -> StreamingTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def aclose(self) -> None:
        return None

    @staticmethod
    def create_receive(request: httpx.Request, context: SendReceiveContext) -> Any:
        source = request.stream.__aiter__()  # type: ignore[union-attr]

        async def receive() -> dict[str, Any]:
            if context["request_complete"]:
                if not context["response_complete"].is_set():
                    await context["response_complete"].wait()
                return {"type": "http.disconnect"}
            try:
                piece = await source.__anext__()
            except StopAsyncIteration:
                context["request_complete"] = True
                return {"type": "http.request", "body": b"", "more_body": False}
            except CutOff:
                context["request_complete"] = True
                return {"type": "http.disconnect"}
            return {"type": "http.request", "body": bytes(piece), "more_body": True}

        return receive


def streaming_client(client: AsyncTestClient) -> httpx.AsyncClient:
    """An httpx client on the same running app as `client`, with its cookies."""
    return httpx.AsyncClient(
        transport=StreamingTransport(client=client, raise_server_exceptions=False),  # type: ignore[arg-type]
        base_url=str(client.base_url),
        cookies=client.cookies,
    )


def iter_chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


# --- the server side of a test: who is signed in, what is stored --------------------------


async def signed_in_api(client: AsyncTestClient, database: Any, username: str, role: str, *, language: str = "en") -> dict[str, str]:
    """Add a user, sign `client` in as them; the headers an API call needs (CSRF, device)."""
    from tests.conftest import sign_in
    from tests.factories import PASSWORD, add_user

    await add_user(database, username, role, language=language)
    await sign_in(client, username, PASSWORD)
    return {"X-CSRFToken": client.cookies["fc_csrf"], "X-Device-Id": f"phone-{username}"}


def media_root() -> Path:
    from server.core.config import get_settings

    return get_settings().media.root


def photo_store() -> Any:
    """The store the app keeps finished photos in (MEDIA_STORE: folder or a bucket)."""
    from server.core.config import get_settings
    from server.photos.service import store_of

    return store_of(get_settings())


def stored_files() -> list[str]:
    """Every finished object in the photo store, and every file under MEDIA_ROOT (uploads
    still arriving, or anything else left there), as relative paths / keys."""
    root = media_root()
    local = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    store = photo_store()
    if store.kind == "folder":
        return local
    return sorted({*local, *store.keys()})


def stored_bytes(key: str) -> bytes | None:
    """The bytes the photo store holds under `key` (e.g. `derived/ab/cd/<sha>-thumb.jpg`)."""
    return photo_store().read(key)


def original_key(digest: str, extension: str = "jpg") -> str:
    return f"{digest[:2]}/{digest[2:4]}/{digest}.{extension}"


def derived_key(digest: str, variant: str) -> str:
    return f"derived/{digest[:2]}/{digest[2:4]}/{digest}-{variant}.jpg"


async def photo_count(database: Any) -> int:
    from sqlalchemy import func, select

    from server.photos.models import Photo

    async with database.session(write=False) as s:
        return int(await s.scalar(select(func.count()).select_from(Photo)) or 0)


async def assert_nothing_stored(database: Any) -> None:
    assert await photo_count(database) == 0
    assert stored_files() == []
