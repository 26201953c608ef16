"""Open an operator's file and stream its features in batches.

GeoJSON, GeoPackage, Shapefile (its `.prj` and `.cpg` honoured, so GBK attributes read
right; also zipped), KML and anything else GDAL reads go through pyogrio; CSV through the
standard library's reader (UTF-8, or GB18030 when the bytes are not UTF-8) and XLSX
through openpyxl, their points coming from coordinate columns. A file that cannot be read
at all is one `ReadProblem` with a clear message.
"""

from __future__ import annotations

import codecs
import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from server.imports.crs import CrsProblem, SourceCrs, declared_crs

TABLE_SUFFIXES = (".csv", ".txt", ".xlsx")
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


class ReadProblem(ValueError):
    """The file cannot be read: not found, not a format we know, no such layer, …"""


@dataclass
class Batch:
    """Consecutive features: their 1-based positions, attributes and (vector files) geometries."""

    positions: list[int]
    records: list[dict[str, Any]]
    geometries: np.ndarray[Any, Any] | None  # shapely geometries in the file's CRS; None for tables


@dataclass
class Source:
    """An opened file: its columns, feature count, declared CRS and a way to stream it."""

    path: Path
    layer: str | None
    columns: list[str]
    total: int | None
    crs: SourceCrs | None
    tabular: bool
    layers: list[str] = field(default_factory=list)

    def batches(self, size: int) -> Iterator[Batch]:
        suffix = self.path.suffix.lower()
        if suffix == ".xlsx":
            yield from _xlsx_batches(self.path, self.layer, size)
        elif self.tabular:
            yield from _csv_batches(self.path, size)
        else:
            yield from _vector_batches(self, size)


def open_source(path: Path, layer: str | None = None) -> Source:
    """Open `path` (raises ReadProblem when it cannot be read)."""
    if not path.exists():
        raise ReadProblem(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return _open_xlsx(path, layer)
        if suffix in (".csv", ".txt"):
            return _open_csv(path)
        return _open_vector(path, layer)
    except ReadProblem:
        raise
    except CrsProblem as exc:
        raise ReadProblem(f"{path.name}: {exc}") from None
    except Exception as exc:  # GDAL, zip and XML errors: one clear message, no traceback
        raise ReadProblem(f"{path.name}: cannot read this file ({_short(exc)})") from None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# -- GDAL formats -----------------------------------------------------------------------------


def _open_vector(path: Path, layer: str | None) -> Source:
    import pyogrio

    layers = [str(name) for name, _geom in pyogrio.list_layers(path)]
    if not layers:
        raise ReadProblem(f"{path.name}: the file holds no layer")
    if layer is not None and layer not in layers:
        raise ReadProblem(f"{path.name}: no layer {layer!r} (layers: {', '.join(layers)})")
    chosen = layer or layers[0]
    info = pyogrio.read_info(path, layer=chosen)
    total = int(info["features"]) if info.get("features", -1) >= 0 else None
    return Source(path, chosen, [str(c) for c in info["fields"]], total, declared_crs(info.get("crs")),
                  tabular=False, layers=layers)


def _vector_batches(source: Source, size: int) -> Iterator[Batch]:
    import pyogrio.raw

    done = 0
    while True:
        try:
            meta, _fids, wkb, fields = pyogrio.raw.read(source.path, layer=source.layer, skip_features=done,
                                                        max_features=size, force_2d=True)
        except Exception as exc:
            raise ReadProblem(f"{source.path.name}: cannot read feature {done + 1} onwards ({_short(exc)})") from None
        count = len(wkb) if wkb is not None else (len(fields[0]) if fields else 0)
        if count == 0:
            return
        names = [str(n) for n in meta["fields"]]
        columns = [_plain(array) for array in fields]
        records = [dict(zip(names, values)) for values in zip(*columns)] if names else [{} for _ in range(count)]
        geometries = shapely.from_wkb(wkb, on_invalid="ignore") if wkb is not None else np.full(count, None)
        yield Batch(list(range(done + 1, done + count + 1)), records, geometries)
        done += count
        if count < size:
            return


def _plain(array: np.ndarray[Any, Any]) -> list[Any]:
    """A field's values as Python values, NaN and masked as None."""
    values: list[Any] = array.tolist()
    if array.dtype.kind == "f":
        return [None if v is None or math.isnan(v) else v for v in values]
    return values


# -- tables -----------------------------------------------------------------------------------


def _csv_encoding(path: Path) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"  # GBK and GB2312 are subsets: what Chinese spreadsheets save as "CSV"
    return "utf-8-sig"


def _open_csv(path: Path) -> Source:
    encoding = _csv_encoding(path)
    with path.open(newline="", encoding=encoding) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise ReadProblem(f"{path.name}: the file is empty (a header row of column names is needed)")
        total = sum(1 for row in reader if any(cell.strip() for cell in row))
    return Source(path, None, [h.strip() for h in header], total, None, tabular=True)


def _csv_batches(path: Path, size: int) -> Iterator[Batch]:
    with path.open(newline="", encoding=_csv_encoding(path)) as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader)]
        yield from _table_batches(header, reader, size)


def _table_batches(header: list[str], rows: Any, size: int) -> Iterator[Batch]:
    positions: list[int] = []
    records: list[dict[str, Any]] = []
    position = 0
    for row in rows:
        values = ["" if v is None else v for v in row]
        if not any(str(v).strip() for v in values):
            continue  # blank lines are not features
        position += 1
        positions.append(position)
        records.append(dict(zip(header, values)))
        if len(records) >= size:
            yield Batch(positions, records, None)
            positions, records = [], []
    if records:
        yield Batch(positions, records, None)


def _open_xlsx(path: Path, layer: str | None) -> Source:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = _sheet(book, path, layer)
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if not header or not any(header):
            raise ReadProblem(f"{path.name}: the first row of the sheet must name the columns")
        total = sum(1 for row in rows if any(v is not None and str(v).strip() for v in row))
        return Source(path, sheet.title, [str(h or "").strip() for h in header], total, None, tabular=True,
                      layers=list(book.sheetnames))
    finally:
        book.close()


def _sheet(book: Any, path: Path, layer: str | None) -> Any:
    if layer is None:
        return book.worksheets[0]
    if layer not in book.sheetnames:
        raise ReadProblem(f"{path.name}: no sheet {layer!r} (sheets: {', '.join(book.sheetnames)})")
    return book[layer]


def _xlsx_batches(path: Path, layer: str | None, size: int) -> Iterator[Batch]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = _sheet(book, path, layer).iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows)]
        yield from _table_batches(header, rows, size)
    finally:
        book.close()
