"""What a photo says about itself (EXIF position, time, orientation), and removing it.

EXIF is optional and often odd (zero denominators, blank dates, positions of 0/0 from a
camera without a fix): anything that does not make sense is ignored, never a reason to
refuse the photo. The original keeps its EXIF as evidence; what is served never has it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image

# Tags (EXIF 2.32): IFD0 orientation; GPS IFD refs and values; Exif IFD dates.
ORIENTATION = 0x0112
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
SUBSEC_TIME_ORIGINAL = 0x9291

# Malformed EXIF blocks raise all sorts of things from Pillow's parser.
_EXIF_ERRORS = (ValueError, TypeError, KeyError, IndexError, ZeroDivisionError, OSError, SyntaxError, AttributeError)

_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@dataclass(frozen=True)
class PhotoFacts:
    """What the EXIF block says: orientation (1..8), position, time taken (UTC-aware)."""

    orientation: int = 1
    lat: float | None = None
    lon: float | None = None
    taken_at: dt.datetime | None = None


def read_facts(image: Image.Image, site_timezone: str) -> PhotoFacts:
    """Orientation, GPS position and DateTimeOriginal of an opened (not yet decoded) image."""
    try:
        exif = image.getexif()
    except _EXIF_ERRORS:
        return PhotoFacts()
    if not exif:
        return PhotoFacts()
    orientation = _orientation(exif)
    lat_lon = _gps(exif)
    taken_at = _taken_at(exif, site_timezone)
    return PhotoFacts(
        orientation=orientation,
        lat=lat_lon[0] if lat_lon else None,
        lon=lat_lon[1] if lat_lon else None,
        taken_at=taken_at,
    )


def _orientation(exif: Image.Exif) -> int:
    try:
        value = int(exif.get(ORIENTATION, 1))
    except _EXIF_ERRORS:
        return 1
    return value if 1 <= value <= 8 else 1


def dms_to_degrees(value: object, ref: object) -> float | None:
    """Degrees, minutes, seconds (rationals) and a N/S/E/W reference as signed decimal degrees."""
    try:
        parts = [float(p) for p in value] if isinstance(value, (tuple, list)) else [float(value)]  # type: ignore[arg-type]
    except _EXIF_ERRORS:
        return None
    if not 1 <= len(parts) <= 3 or not all(math.isfinite(p) and p >= 0 for p in parts):
        return None
    degrees: float = sum(p / 60**i for i, p in enumerate(parts))
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    ref = str(ref or "").strip("\x00 ").upper()
    if ref in ("S", "W"):
        degrees = -degrees
    elif ref not in ("N", "E"):
        return None
    return degrees


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except _EXIF_ERRORS:
        return None
    if not gps:
        return None
    lat = dms_to_degrees(gps.get(GPS_LAT), gps.get(GPS_LAT_REF))
    lon = dms_to_degrees(gps.get(GPS_LON), gps.get(GPS_LON_REF))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    # Cameras without a fix write 0/0 ("null island"): no position, not a position in the sea.
    if lat == 0 and lon == 0:
        return None
    return round(lat, 7), round(lon, 7)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value or "").strip("\x00 ")


def parse_exif_time(value: object, offset: object, subsec: object, site_timezone: str) -> dt.datetime | None:
    """An EXIF "YYYY:MM:DD HH:MM:SS" with its OffsetTime, or else read in the site's time zone."""
    text = _text(value)
    if not text or text.startswith("0000"):
        return None
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M"):
        try:
            naive = dt.datetime.strptime(text[:19], fmt)
            break
        except ValueError:
            continue
    else:
        return None
    digits = "".join(ch for ch in _text(subsec) if ch.isdigit())[:6]
    if digits:
        naive = naive.replace(microsecond=int(digits.ljust(6, "0")))
    match = _OFFSET.match(_text(offset))
    tz: dt.tzinfo
    if match:
        sign = -1 if match.group(1) == "-" else 1
        minutes = int(match.group(2)) * 60 + int(match.group(3))
        if minutes > 14 * 60:
            return None
        tz = dt.timezone(sign * dt.timedelta(minutes=minutes))
    else:
        tz = ZoneInfo(site_timezone)
    return naive.replace(tzinfo=tz).astimezone(dt.timezone.utc)


def _taken_at(exif: Image.Exif, site_timezone: str) -> dt.datetime | None:
    try:
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
    except _EXIF_ERRORS:
        return None
    if not ifd or DATETIME_ORIGINAL not in ifd:
        return None
    try:
        return parse_exif_time(
            ifd.get(DATETIME_ORIGINAL), ifd.get(OFFSET_TIME_ORIGINAL), ifd.get(SUBSEC_TIME_ORIGINAL), site_timezone
        )
    except _EXIF_ERRORS:
        return None


# --- removing metadata from a JPEG without re-encoding it -------------------------------

# The only APPn segments kept: JFIF (APP0), the ICC colour profile (APP2) and Adobe's colour
# transform flag (APP14) — they change how pixels look. EXIF and XMP (APP1, where GPS lives),
# IPTC (APP13), MPF (APP2, with more pictures after the end), comments: all dropped.
_KEEP_APP = {0xE0: (b"JFIF\x00", b"JFXX\x00"), 0xE2: (b"ICC_PROFILE\x00",), 0xEE: (b"Adobe",)}
# In entropy-coded data 0xFF is followed by 0x00 (stuffing), a restart marker or fill 0xFF.
_NEXT_MARKER = re.compile(rb"\xff(?![\x00\xd0-\xd7\xff])")


class NotAJpeg(ValueError):
    """The bytes do not parse as a JPEG stream of segments."""


def strip_jpeg_metadata(data: bytes) -> bytes:
    """The same JPEG image (pixels untouched) without EXIF, XMP, IPTC, comments or trailing bytes."""
    if data[:2] != b"\xff\xd8":
        raise NotAJpeg("no SOI marker")
    out = [b"\xff\xd8"]
    n = len(data)
    i = 2
    while i < n:
        if data[i] != 0xFF:
            raise NotAJpeg(f"expected a marker at byte {i}")
        while i < n and data[i] == 0xFF:  # fill bytes before a marker
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI: anything after it (MPF pictures, appended files) is dropped
            out.append(b"\xff\xd9")
            return b"".join(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            out.append(bytes((0xFF, marker)))
            continue
        if i + 2 > n:
            raise NotAJpeg("truncated segment header")
        length = int.from_bytes(data[i : i + 2], "big")
        end = i + length
        if length < 2 or end > n:
            raise NotAJpeg("truncated segment")
        if 0xE0 <= marker <= 0xEF:
            prefixes = _KEEP_APP.get(marker)
            keep = prefixes is not None and data[i + 2 : end].startswith(prefixes)
        else:
            keep = marker != 0xFE  # COM
        if keep:
            out.append(bytes((0xFF, marker)))
            out.append(data[i:end])
        i = end
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            found = _NEXT_MARKER.search(data, i)
            if found is None:
                raise NotAJpeg("scan data without an end")
            out.append(data[i : found.start()])
            i = found.start()
    raise NotAJpeg("no EOI marker")
