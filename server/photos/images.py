"""Judging an uploaded photo and making its served sizes, with Pillow.

The type comes from the bytes, never from the name or the Content-Type. The pixel count is
checked against MAX_IMAGE_PIXELS from the header, before anything is decoded. A JPEG is
decoded once, in draft mode (libjpeg scales by 1/2, 1/4 or 1/8 while decoding), at the
smallest scale that still covers what is needed; the thumbnail is made from the display
image, never from the original again.

The phone sends JPEGs already resized to at most 1600 px and upright, with no EXIF. For
such a photo the display size *is* the photo: it is served as the original's JPEG stream
with the metadata segments removed (same pixels, no second lossy generation, no decode),
and only the thumbnail is decoded, in draft mode. Anything else — larger, rotated by EXIF,
PNG, WebP, CMYK — is decoded and re-encoded.
"""

from __future__ import annotations

import io
import os
import struct
import threading
import zlib
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from server.core.errors import AppError
from server.photos.metadata import NotAJpeg, PhotoFacts, read_facts, strip_jpeg_metadata

DISPLAY_MAX = 1600
THUMB_MAX = 320
JPEG_QUALITY = 82
# Bump when the way derived sizes are made changes: it is part of their ETag.
DERIVED_VERSION = "1"

MEDIA_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# ISO-BMFF brands of HEIF/HEIC (and AVIF, its sibling) — refused with their own message.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1", b"avif", b"avis"}

# What Pillow raises for broken or truncated image data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error, zlib.error)

# Decoding holds a whole bitmap in memory: at most this many at once, whatever the number of
# worker threads (a 50-megapixel PNG is 150 MB as RGB).
_DECODE_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo judged acceptable, with its facts and its served sizes (JPEG bytes, no EXIF)."""

    media_type: str
    extension: str
    width: int
    height: int
    facts: PhotoFacts
    display: bytes
    thumb: bytes


def sniff(data: bytes) -> str | None:
    """The media type the bytes really are (JPEG, PNG, WebP), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def unsupported() -> AppError:
    return AppError("photo_type_unsupported", field="body")


def unreadable() -> AppError:
    return AppError("photo_unreadable", field="body")


def bomb(limit: int) -> AppError:
    return AppError("photo_decompression_bomb", field="body", limit=f"{limit:,}")


def pixel_limit(max_pixels: int) -> int:
    """MAX_IMAGE_PIXELS, or Pillow's own bomb threshold when that is lower: what would make
    Pillow warn (DecompressionBombWarning) is refused too."""
    pillow = Image.MAX_IMAGE_PIXELS
    return min(max_pixels, pillow) if pillow else max_pixels


def open_checked(data: bytes, max_pixels: int) -> Image.Image:
    """Open (header only) a JPEG/PNG/WebP, refusing other types and too many pixels."""
    if sniff(data) is None:
        if is_heif(data):
            raise AppError("photo_type_unsupported", key="photos.heic_unsupported", field="body")
        raise unsupported()
    limit = pixel_limit(max_pixels)
    try:
        image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG", "WEBP"))
    except Image.DecompressionBombError:
        raise bomb(limit) from None
    except (UnidentifiedImageError, *_DECODE_ERRORS):
        # The signature says JPEG/PNG/WebP but the header does not parse.
        raise unreadable() from None
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise unreadable()
    if width * height > limit:
        image.close()
        raise bomb(limit)
    return image


def fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    """`size` scaled down (never up) to fit a `box`×`box` square, aspect kept."""
    width, height = size
    if width <= box and height <= box:
        return size
    if width >= height:
        return box, max(1, round(height * box / width))
    return max(1, round(width * box / height)), box


def process(data: bytes, *, max_pixels: int, site_timezone: str) -> ProcessedPhoto:
    """Judge `data` and make its display and thumbnail sizes (CPU-bound: run it in a thread)."""
    with _DECODE_SLOTS:
        image = open_checked(data, max_pixels)
        try:
            return _process(image, data, site_timezone)
        except Image.DecompressionBombError:
            raise bomb(pixel_limit(max_pixels)) from None
        except AppError:
            raise
        except _DECODE_ERRORS:
            raise unreadable() from None
        finally:
            image.close()


def _process(image: Image.Image, data: bytes, site_timezone: str) -> ProcessedPhoto:
    media_type = MEDIA_TYPES[image.format or ""]
    facts = read_facts(image, site_timezone)
    turned = facts.orientation in (5, 6, 7, 8)
    width, height = (image.height, image.width) if turned else image.size
    display: bytes | None = None
    if (
        media_type == "image/jpeg"
        and image.mode in ("RGB", "L")
        and facts.orientation == 1
        and max(image.size) <= DISPLAY_MAX
    ):
        try:
            display = strip_jpeg_metadata(data)
        except NotAJpeg:
            display = None
    if display is not None:
        # Decoding the thumbnail reads every byte of the scan: a truncated file fails here.
        small = _decode(image, THUMB_MAX)
        small.thumbnail((THUMB_MAX, THUMB_MAX))
        thumb = encode_jpeg(_flatten(small), icc=image.info.get("icc_profile"))
    else:
        icc = image.info.get("icc_profile")
        shown = _decode(image, DISPLAY_MAX)
        shown.thumbnail((DISPLAY_MAX, DISPLAY_MAX))
        if facts.orientation != 1:
            shown = ImageOps.exif_transpose(shown)
        shown = _flatten(shown)
        display = encode_jpeg(shown, icc=icc)
        small = shown.copy()
        small.thumbnail((THUMB_MAX, THUMB_MAX))
        thumb = encode_jpeg(small, icc=icc)
    return ProcessedPhoto(
        media_type=media_type,
        extension=EXTENSIONS[media_type],
        width=width,
        height=height,
        facts=facts,
        display=display,
        thumb=thumb,
    )


def _decode(image: Image.Image, box: int) -> Image.Image:
    """Decode, letting libjpeg scale down (draft mode) as far as still covers a `box` fit."""
    if image.format in ("JPEG", "MPO"):
        # Ask for the exact fitted size: draft picks the largest reduction that keeps both
        # sides at least that big.
        image.draft(image.mode, fit(image.size, box))
    image.load()
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB or L, transparent parts on white (JPEG has no alpha)."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "RGBa", "La", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def encode_jpeg(image: Image.Image, *, icc: bytes | None = None) -> bytes:
    """Baseline JPEG at JPEG_QUALITY with nothing but pixels (and the colour profile)."""
    # Pillow copies a comment, XMP or EXIF from image.info into the file it saves: clear it.
    image.info = {}
    out = io.BytesIO()
    options: dict[str, object] = {"quality": JPEG_QUALITY}
    if icc:
        options["icc_profile"] = icc
    image.save(out, "JPEG", **options)
    return out.getvalue()
