"""The one CSV writer: every CSV the app serves is made here.

UTF-8 with a byte-order mark (spreadsheet programs then read the Chinese names right),
CRLF line ends, and no cell a spreadsheet would run: text starting with `=`, `+`, `-`,
`@`, a tab or a carriage return (what Excel, LibreOffice and Google Sheets read as the
start of a formula, "CSV injection") is written with a leading apostrophe, the mark those
programs take as "this is text". Numbers stay numbers: only text cells are touched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

# Litestar adds "; charset=utf-8" to text/* media types itself: state it here and it is doubled.
MEDIA_TYPE = "text/csv"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell as written: text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """A whole CSV file, every cell through `neutralise`."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8")
