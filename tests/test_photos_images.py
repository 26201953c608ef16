"""Judging images and reading their EXIF, without HTTP (server/photos/images.py, metadata.py)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image, JpegImagePlugin
from PIL.TiffImagePlugin import IFDRational

from server.core.errors import AppError
from server.photos import images
from server.photos.metadata import NotAJpeg, dms_to_degrees, parse_exif_time, strip_jpeg_metadata
from tests.photo_helpers import jpeg, marked_image, photo_like, png

SHANGHAI = "Asia/Shanghai"


def process(data: bytes, max_pixels: int = 50_000_000) -> images.ProcessedPhoto:
    return images.process(data, max_pixels=max_pixels, site_timezone=SHANGHAI)


@pytest.mark.parametrize(
    ("value", "ref", "expected"),
    [
        ((IFDRational(32, 1), IFDRational(6, 1), IFDRational(18, 10)), "N", 32.1005),
        ((IFDRational(118, 1), IFDRational(42, 1), IFDRational(108, 100)), "E", 118.7003),
        ((33.0, 51.0, 24.48), "S", -33.8568),
        ((151.0, 12.0, 55.08), b"W\x00", -151.2153),
        ((IFDRational(3210, 100),), "N", 32.1),  # decimal degrees in one rational
        ((IFDRational(32, 0), 0, 0), "N", None),  # zero denominator
        ((32.0, 6.0, 1.8), "X", None),
        ((32.0, -6.0, 1.8), "N", None),
        ("garbage", "N", None),
    ],
)
def test_degrees_minutes_seconds_become_decimal_degrees(value: object, ref: object, expected: float | None) -> None:
    result = dms_to_degrees(value, ref)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("value", "offset", "subsec", "expected"),
    [
        ("2026:11:20 10:15:30", None, None, "2026-11-20T02:15:30+00:00"),  # site time zone, UTC+8
        ("2026:11:20 10:15:30", "+02:00", None, "2026-11-20T08:15:30+00:00"),
        ("2026:11:20 10:15:30", "-05:00", "25", "2026-11-20T15:15:30.250000+00:00"),
        ("2026:11:20 10:15:30\x00", b"+08:00\x00", None, "2026-11-20T02:15:30+00:00"),
        ("0000:00:00 00:00:00", None, None, None),
        ("    :  :     :  :  ", None, None, None),
        ("yesterday", None, None, None),
        ("2026:11:20 10:15:30", "+25:00", None, None),
    ],
)
def test_exif_times(value: object, offset: object, subsec: object, expected: str | None) -> None:
    result = parse_exif_time(value, offset, subsec, SHANGHAI)
    assert (result.isoformat() if result else None) == expected


def test_positions_off_the_planet_are_ignored() -> None:
    facts = process(jpeg(gps=(95.0, 118.7))).facts
    assert (facts.lat, facts.lon) == (None, None)
    facts = process(jpeg(gps=(32.1, 118.7))).facts
    assert (facts.lat, facts.lon) == (pytest.approx(32.1), pytest.approx(118.7))


def test_stripping_keeps_the_pixels_and_drops_the_rest() -> None:
    original = jpeg(image=photo_like(640, 480), gps=(32.1, 118.7), taken="2026:11:20 10:15:30")
    # A comment segment after SOI and a second file glued to the end (as MPF pictures are).
    commented = original[:2] + b"\xff\xfe\x00\x0dsecret note" + original[2:] + b"<script>alert(1)</script>"
    stripped = strip_jpeg_metadata(commented)
    assert b"Exif" not in stripped and b"secret" not in stripped and b"script" not in stripped
    assert stripped.endswith(b"\xff\xd9")
    before, after = Image.open(io.BytesIO(original)), Image.open(io.BytesIO(stripped))
    assert after.tobytes() == before.tobytes()
    assert not after.getexif()


@pytest.mark.parametrize("data", [b"", b"\xff\xd8", b"\x89PNG\r\n", jpeg()[:-200]])
def test_stripping_refuses_what_is_not_a_whole_jpeg(data: bytes) -> None:
    with pytest.raises(NotAJpeg):
        strip_jpeg_metadata(data)


def test_a_phone_sized_jpeg_is_served_as_its_own_pixels() -> None:
    data = jpeg(image=photo_like(1600, 1200), quality=85, gps=(32.1, 118.7))
    result = process(data)
    assert result.display == strip_jpeg_metadata(data)
    assert Image.open(io.BytesIO(result.thumb)).size == (320, 240)


def test_larger_photos_are_decoded_in_draft_mode_and_resized(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> object:
        asked.append(size)
        return real_draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    result = process(jpeg(image=photo_like(4000, 3000)))
    # Decoded at the display size by libjpeg's scaling (Pillow's thumbnail() asks again, too
    # late to matter: the image is already decoded).
    assert asked[0] == (1600, 1200)
    assert Image.open(io.BytesIO(result.display)).size == (1600, 1200)
    assert Image.open(io.BytesIO(result.thumb)).size == (320, 240)
    assert (result.width, result.height) == (4000, 3000)


@pytest.mark.parametrize("mode", ["L", "CMYK", "P", "LA", "I;16"])
def test_odd_modes_become_plain_jpegs(mode: str) -> None:
    picture = marked_image(300, 200).convert("RGBA" if mode == "LA" else "RGB").convert(mode)
    out = io.BytesIO()
    picture.save(out, "JPEG" if mode in ("L", "CMYK") else "PNG")
    result = process(out.getvalue())
    for derived in (result.display, result.thumb):
        image = Image.open(io.BytesIO(derived))
        assert image.format == "JPEG" and image.mode in ("RGB", "L")
        image.load()


def test_transparent_parts_become_white() -> None:
    picture = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    out = io.BytesIO()
    picture.save(out, "PNG")
    display = Image.open(io.BytesIO(process(out.getvalue()).display)).convert("RGB")
    assert min(display.getpixel((50, 50))) > 245


def test_pillow_own_bomb_limits_are_refusals_too(monkeypatch: pytest.MonkeyPatch) -> None:
    data = png(200, 100)  # 20 000 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5_000)  # Pillow raises DecompressionBombError (> 2×)
    with pytest.raises(AppError) as raised:
        process(data)
    assert raised.value.code == "photo_decompression_bomb"
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 15_000)  # Pillow only warns (between 1× and 2×)
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(AppError) as raised:
        process(data)
    assert raised.value.code == "photo_decompression_bomb"


def test_the_type_is_sniffed_from_the_bytes() -> None:
    assert images.sniff(jpeg()) == "image/jpeg"
    assert images.sniff(png()) == "image/png"
    assert images.sniff(b"GIF89a" + b"\x00" * 20) is None
    assert images.sniff(b"<?xml version='1.0'?><svg/>") is None
    with pytest.raises(AppError) as raised:
        process(b"GIF89a" + b"\x00" * 20)
    assert (raised.value.status_code, raised.value.code) == (415, "photo_type_unsupported")
    with pytest.raises(AppError) as raised:
        process(b"\xff\xd8\xff\xe0" + b"\x00" * 50)  # a JPEG signature and nothing sensible after
    assert (raised.value.status_code, raised.value.code) == (422, "photo_unreadable")


def test_exif_time_without_offset_uses_the_configured_site_zone() -> None:
    data = jpeg(taken="2026:06:01 12:00:00")
    berlin = images.process(data, max_pixels=50_000_000, site_timezone="Europe/Berlin").facts.taken_at
    assert berlin == dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.timezone.utc)
