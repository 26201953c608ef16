"""The loaded standards: one `Standard` per version, gathered in a `StandardsSet`.

A Standard keeps its export document (plain JSON-ready data, the same the phone gets)
as the single source of truth; the Category and Clause objects are read-only views
over it for Python callers such as the server.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Iterator, Mapping


@dataclass(frozen=True)
class Clause:
    """One clause of a category, e.g. GS-1."""

    id: str
    category: str
    label: Mapping[str, str]
    source: str
    severity: str


@dataclass(frozen=True)
class Category:
    """One asset category and its clauses, in file order."""

    key: str
    group: str
    label: Mapping[str, str]
    description: Mapping[str, str]
    observations: Mapping[str, Any]
    damage_types: Mapping[str, Any]
    clauses: tuple[Clause, ...]


class Standard:
    """One version of the standards, e.g. "2026.1" in force from 2026-01-01."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document: dict[str, Any] = document  # export form; treat as read-only
        self.version: str = document["version"]
        self.effective_from: dt.date = dt.date.fromisoformat(document["effective_from"])
        self.title: Mapping[str, str] = document["title"]
        self.source: Mapping[str, str] = document["source"]
        self.categories: dict[str, Category] = {
            key: _category(key, cat) for key, cat in document["categories"].items()
        }
        self._clauses = {c.id: c for cat in self.categories.values() for c in cat.clauses}
        # The engine's compiled form of each category (standards.engine.CategoryJudge), made on first use.
        self.judges: dict[str, Any] = {}
        # Insertion order is kept, not sorted: reordering clauses is a real change.
        canonical = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        self.etag: str = hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def category(self, key: str) -> Category:
        """The category `key`; KeyError if this version has none."""
        return self.categories[key]

    def clause(self, clause_id: str) -> Clause:
        """The clause `clause_id` (e.g. "HT-1") of any category; KeyError if absent."""
        return self._clauses[clause_id]

    @property
    def clause_ids(self) -> tuple[str, ...]:
        """Every clause id of this version, category by category in file order."""
        return tuple(self._clauses)

    def export(self) -> dict[str, Any]:
        """The export document of docs/standards-format.md (a fresh copy, safe to change)."""
        return copy.deepcopy(self.document)

    def __repr__(self) -> str:
        return f"Standard(version={self.version!r}, effective_from={self.effective_from.isoformat()})"


def _category(key: str, cat: dict[str, Any]) -> Category:
    return Category(
        key=key,
        group=cat["group"],
        label=MappingProxyType(cat["label"]),
        description=MappingProxyType(cat["description"]),
        observations=MappingProxyType(cat["observations"]),
        damage_types=MappingProxyType(cat.get("damage_types", {})),
        clauses=tuple(
            Clause(c["id"], key, MappingProxyType(c["label"]), c["source"], c["severity"])
            for c in cat["clauses"]
        ),
    )


class NoStandardInForce(LookupError):
    """No version of the standards was in force on the date asked for."""


class StandardsSet:
    """Every version found in a data directory, oldest first."""

    def __init__(self, versions: list[Standard]) -> None:
        self.versions: tuple[Standard, ...] = tuple(sorted(versions, key=lambda s: s.effective_from))
        self._catalogues: dict[tuple[int, ...], Standard] = {}

    def for_date(self, date: dt.date) -> Standard:
        """The version in force on `date`: the latest with effective_from <= date."""
        in_force = [s for s in self.versions if s.effective_from <= date]
        if not in_force:
            raise NoStandardInForce(f"no standards version is in force on {date.isoformat()}")
        return in_force[-1]

    def current(self) -> Standard:
        """The version in force today."""
        return self.for_date(dt.date.today())

    def ahead(self, date: dt.date | None = None) -> list[Standard]:
        """The version in force on `date` (default today), if any, then every later one.

        What a phone keeps: it judges each record with the version in force when observed."""
        date = date or dt.date.today()
        return [s for s in self.versions if s.effective_from <= date][-1:] + [
            s for s in self.versions if s.effective_from > date]

    def with_category(self, key: str, date: dt.date | None = None) -> Standard:
        """The version in force on `date` if it has category `key`, else the first later one
        that has it; KeyError if none has."""
        for standard in self.ahead(date):
            if key in standard.categories:
                return standard
        raise KeyError(f"no standards version has category {key!r}")

    def catalogue(self, date: dt.date | None = None) -> Standard:
        """The version in force on `date` (default today) with the categories that scheduled
        versions add: what assets may be made of and labelled with (never used to judge).

        A category a scheduled version adds can be given assets before its date, so they are
        in the register and on the phones the day it comes into force."""
        ahead = self.ahead(date)
        if not ahead:
            raise NoStandardInForce("no standards version")
        key = tuple(id(s) for s in ahead)
        cached = self._catalogues.get(key)
        if cached is None:
            document = copy.deepcopy(ahead[0].document)
            for later in ahead[1:]:
                for name, category in later.document["categories"].items():
                    document["categories"].setdefault(name, copy.deepcopy(category))
            cached = ahead[0] if len(document["categories"]) == len(ahead[0].categories) else Standard(document)
            self._catalogues = {key: cached}
        return cached

    def get(self, version: str) -> Standard:
        """The version named `version` (e.g. "2026.1"); KeyError if there is none."""
        for standard in self.versions:
            if standard.version == version:
                return standard
        raise KeyError(f"no standards version {version!r}")

    def __iter__(self) -> Iterator[Standard]:
        return iter(self.versions)

    def __len__(self) -> int:
        return len(self.versions)
