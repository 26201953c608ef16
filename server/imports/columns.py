"""Which column of a file holds which field of the register.

A column is matched by its name in English or Chinese (case and spaces ignored), or named
with `--field target=source`. Categories may be written as their key or their Chinese or
English name from the standards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from standards import Standard

ASSET_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "asset_code", "编号", "资产编号", "编码", "设施编号"),
    "name": ("name", "asset_name", "名称", "资产名称", "设施名称"),
    "category": ("category", "type", "类别", "类型", "资产类别"),
    "zone": ("zone", "zone_code", "片区", "区域", "分区", "片区编号"),
    "lon": ("longitude", "lon", "lng", "long", "x", "经度"),
    "lat": ("latitude", "lat", "y", "纬度"),
}
ZONE_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "zone_code", "zone", "编号", "片区编号", "编码"),
    "name_zh": ("name_zh", "name", "中文名称", "名称", "片区名称"),
    "name_en": ("name_en", "english_name", "英文名称", "英文名"),
    "lon": ASSET_FIELDS["lon"],
    "lat": ASSET_FIELDS["lat"],
}


class ColumnProblem(ValueError):
    """A `--field` that cannot be used."""


def _norm(name: str) -> str:
    return "".join(name.split()).casefold()


def parse_field_options(options: Iterable[str], targets: Iterable[str]) -> dict[str, str]:
    """`--field target=source` options as {target: source}; a clear error for a bad one."""
    known = tuple(targets)
    mapping: dict[str, str] = {}
    for option in options:
        target, sep, source = option.partition("=")
        target, source = target.strip(), source.strip()
        if not sep or not target or not source:
            raise ColumnProblem(f"--field takes target=source, not {option!r}")
        if target not in known:
            raise ColumnProblem(f"--field {target}=…: unknown field (one of {', '.join(known)})")
        mapping[target] = source
    return mapping


@dataclass(frozen=True)
class ColumnMap:
    """The source column of each target field the file has (absent targets are missing)."""

    columns: dict[str, str]

    def get(self, target: str) -> str | None:
        return self.columns.get(target)


def match_columns(available: Sequence[str], aliases: dict[str, tuple[str, ...]], explicit: dict[str, str]) -> ColumnMap:
    """Match the file's columns to the targets: explicit first, then by known names."""
    by_norm: dict[str, str] = {}
    for name in available:
        by_norm.setdefault(_norm(name), name)
    columns: dict[str, str] = {}
    for target, source in explicit.items():
        found = source if source in available else by_norm.get(_norm(source))
        if found is None:
            raise ColumnProblem(f"--field {target}={source}: the file has no column {source!r} "
                                f"(it has: {', '.join(available) or 'none'})")
        columns[target] = found
    taken = set(columns.values())
    for target, names in aliases.items():
        if target in columns:
            continue
        for alias in names:
            found = by_norm.get(_norm(alias))
            if found is not None and found not in taken:
                columns[target] = found
                taken.add(found)
                break
    return ColumnMap(columns)


def category_lookup(standard: Standard) -> dict[str, str]:
    """Every way a category may be written (key, Chinese name, English name) → its key."""
    lookup: dict[str, str] = {}
    for key, category in standard.categories.items():
        for spelling in (key, category.label.get("zh", ""), category.label.get("en", "")):
            if spelling:
                lookup[_norm(spelling)] = key
    return lookup


def find_category(lookup: dict[str, str], value: str) -> str | None:
    return lookup.get(_norm(value))
