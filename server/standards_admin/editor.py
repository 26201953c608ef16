"""The edit form of /admin/standards: a new version made from the one in force.

`version_files` writes any loaded version back as YAML texts (the same format as
standards/data, so the usual loader validates them). `edited_files` applies what the form
posted — new name and date, changed limits, a new category of yes/no checklist items and
numeric limits — and returns the files; the page then previews and installs them exactly
as an upload. Bad form input is an `InstallRefused` naming the form field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

from server.standards_admin.service import InstallRefused
from standards import Standard

OPS = ("<=", "<", ">=", ">", "==")
SEVERITIES = ("urgent", "high", "normal", "low")
UNITS = ("%", "mm", "m", "m2", "deg")
KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
CLAUSE_ID = re.compile(r"^[A-Z]{1,4}-[0-9]{1,3}$")


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def version_files(standard: Standard) -> dict[str, str]:
    """`standard` as {file name: YAML text}: manifest.yaml and one file per category."""
    doc = standard.export()
    manifest = {"version": doc["version"], "effective_from": doc["effective_from"], "title": doc["title"],
                "source": doc["source"],
                "categories": {k: [c["id"] for c in cat["clauses"]] for k, cat in doc["categories"].items()}}
    files = {"manifest.yaml": _dump(manifest).replace(f"effective_from: '{doc['effective_from']}'",
                                                       f"effective_from: {doc['effective_from']}")}
    for key, cat in doc["categories"].items():
        files[f"{key}.yaml"] = _dump({"category": key, **cat})
    return files


def limit_fields(standard: Standard) -> list[dict[str, Any]]:
    """The clauses whose pass condition is one numeric comparison: the limits the form can change."""
    out = []
    for key, cat in standard.document["categories"].items():
        for clause in cat["clauses"]:
            cond = clause["pass_when"]
            if "obs" in cond and isinstance(cond["value"], (int, float)) and not isinstance(cond["value"], bool):
                obs = cat["observations"][cond["obs"]]
                out.append({"name": f"limit.{clause['id']}", "clause": clause["id"], "category": key,
                            "label": clause["label"], "op": cond["op"], "value": cond["value"],
                            "unit": obs.get("unit", ""), "min": obs["min"], "max": obs["max"]})
    return out


def _refuse(field: str, key: str = "standards_admin.form_invalid", **params: Any) -> InstallRefused:
    return InstallRefused("standards_form_invalid", field, key=key, **params)


def _number(text: str, field: str) -> float | int:
    try:
        value = float(text)
    except ValueError:
        raise _refuse(field, "standards_admin.not_a_number", value=text) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _refuse(field, "standards_admin.not_a_number", value=text)
    return int(value) if value.is_integer() else value


def _cells(line: str, n: int, field: str, row: int) -> tuple[list[str], bool]:
    """The `n` parts of a line, and whether it ends with an extra "photo" (photo required on fail)."""
    cells = [c.strip() for c in line.split("|")]
    photo = len(cells) == n + 1 and cells[-1].lower() in ("photo", "照片")
    if photo:
        cells = cells[:-1]
    if len(cells) != n or not all(cells):
        raise _refuse(field, "standards_admin.bad_line", row=row, cells=n)
    return cells, photo


def _new_category(form: dict[str, str], taken: set[str]) -> tuple[str, dict[str, Any]] | None:
    key = form.get("new_key", "").strip()
    checks = [ln for ln in form.get("new_checks", "").splitlines() if ln.strip()]
    limits = [ln for ln in form.get("new_limits", "").splitlines() if ln.strip()]
    if not key and not checks and not limits:
        return None
    if not KEY.match(key):
        raise _refuse("new_key", "standards_admin.bad_key", value=key)
    if key in taken:
        raise _refuse("new_key", "standards_admin.key_taken", value=key)
    zh, en = form.get("new_label_zh", "").strip(), form.get("new_label_en", "").strip()
    if not zh:
        raise _refuse("new_label_zh", "standards_admin.required")
    if not en:
        raise _refuse("new_label_en", "standards_admin.required")
    group = form.get("new_group", "facilities")
    if group not in ("landscaping", "facilities"):
        raise _refuse("new_group", "standards_admin.bad_choice", value=group)
    if not checks and not limits:
        raise _refuse("new_checks", "standards_admin.no_clauses")
    observations: dict[str, Any] = {}
    clauses: list[dict[str, Any]] = []
    # A checklist item: "ID | 中文 | English | severity", passing when the answer is yes.
    for row, line in enumerate(checks, 1):
        (cid, czh, cen, severity), photo = _cells(line, 4, "new_checks", row)
        obs = f"{cid.lower().replace('-', '_')}_ok"
        observations[obs] = {"type": "boolean", "label": {"zh": czh, "en": cen}}
        clauses.append({"id": cid, "label": {"zh": czh, "en": cen}, "source": f"运营方标准:{czh}",
                        "severity": severity, "pass_when": {"obs": obs, "op": "==", "value": True},
                        **({"photo_on_fail": True} if photo else {})})
    # A numeric limit: "ID | 中文 | English | severity | unit | min | max | op | limit".
    for row, line in enumerate(limits, 1):
        (cid, czh, cen, severity, unit, lo, hi, op, limit), photo = _cells(line, 9, "new_limits", row)
        if unit not in UNITS:
            raise _refuse("new_limits", "standards_admin.bad_choice", value=unit)
        if op not in OPS:
            raise _refuse("new_limits", "standards_admin.bad_choice", value=op)
        obs = cid.lower().replace("-", "_")
        observations[obs] = {"type": "number", "unit": unit, "min": _number(lo, "new_limits"),
                             "max": _number(hi, "new_limits"), "label": {"zh": czh, "en": cen}}
        clauses.append({"id": cid, "label": {"zh": czh, "en": cen}, "source": f"运营方标准:{czh} {op} {limit}{unit}",
                        "severity": severity, "pass_when": {"obs": obs, "op": op, "value": _number(limit, "new_limits")},
                        **({"photo_on_fail": True} if photo else {})})
    for clause in clauses:
        if not CLAUSE_ID.match(clause["id"]):
            raise _refuse("new_checks", "standards_admin.bad_clause_id", value=clause["id"])
        if clause["severity"] not in SEVERITIES:
            raise _refuse("new_checks", "standards_admin.bad_choice", value=clause["severity"])
    return key, {"category": key, "group": group, "label": {"zh": zh, "en": en},
                 "description": {"zh": zh, "en": en}, "written_by": "operator",
                 "observations": observations, "clauses": clauses}


def edited_files(base: Standard, form: dict[str, str]) -> dict[str, str]:
    """The files of a new version: `base` with the form's name, date, limits and new category."""
    version = form.get("version", "").strip()
    effective = form.get("effective_from", "").strip()
    if not re.match(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$", version):
        raise _refuse("version", "standards_admin.bad_version", value=version)
    try:
        dt.date.fromisoformat(effective)
        if not re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", effective):
            raise ValueError(effective)
    except ValueError:
        raise _refuse("effective_from", "standards_admin.bad_date", value=effective) from None
    doc = base.export()
    for limit in limit_fields(base):
        raw = form.get(limit["name"], "").strip()
        if raw == "":
            continue
        value = _number(raw, limit["name"])
        for clause in doc["categories"][limit["category"]]["clauses"]:
            if clause["id"] == limit["clause"]:
                clause["pass_when"]["value"] = value
    added = _new_category(form, set(doc["categories"]))
    if added:
        doc["categories"][added[0]] = {k: v for k, v in added[1].items() if k != "category"}
    doc["version"], doc["effective_from"] = version, effective
    return version_files(Standard(doc))
