"""Maintenance standards as data, and the engine that judges inspections against them.

Public API (what the server and the CLI use):

- `load_standards(directory=None) -> StandardsSet` — load and validate every version
  (default: this package's `data/` folder). Raises `StandardsFileError`.
- `StandardsSet.versions`, `.for_date(date)`, `.current()`, `.get(version)`.
- `Standard`: `.version`, `.effective_from`, `.title`, `.source`, `.categories`
  (ordered dict of `Category`), `.category(key)`, `.clause(id)`, `.clause_ids`,
  `.export()` (the export document), `.document` (the same, shared: do not change),
  `.etag` (SHA-256 hex of the canonical export JSON).
- `evaluate(standard_or_export_dict, case) -> {"category", "compliant", "clauses"}`;
  raises `EvaluationError` (`.code`, `.field`, `.messages`) for bad input.

See docs/standards-format.md for the data format and judging rules.
"""

from .engine import evaluate
from .errors import EvaluationError, StandardsFileError
from .loader import DATA_DIR, load_standards
from .model import Category, Clause, NoStandardInForce, Standard, StandardsSet

__all__ = [
    "DATA_DIR",
    "Category",
    "Clause",
    "EvaluationError",
    "NoStandardInForce",
    "Standard",
    "StandardsFileError",
    "StandardsSet",
    "evaluate",
    "load_standards",
]
