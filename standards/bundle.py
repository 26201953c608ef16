"""An operator's version as a bundle of YAML texts: read from files or a zip, diffed.

`load_bundle` validates a version given as {file name: text} with the same loader as
the shipped versions, so its errors name file, line and key just the same (the file
being the uploaded name).  `read_zip` unpacks an upload with size limits.
`diff_versions` is the structured difference between two versions: categories,
clauses and limits added, removed or changed.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from .errors import StandardsFileError
from .loader import load_version
from .model import Standard

MAX_FILE_BYTES = 256 * 1024
MAX_FILES = 64


def _check_name(name: str) -> None:
    if "/" in name or "\\" in name or name.startswith(".") or not name.endswith((".yaml", ".yml")):
        raise StandardsFileError(name, None, "", "only plain .yaml file names are allowed")


def load_bundle(files: dict[str, str]) -> Standard:
    """Validate and load one version from {file name: YAML text}; StandardsFileError if bad."""
    if "manifest.yaml" not in files:
        raise StandardsFileError("manifest.yaml", None, "", "manifest.yaml is missing")
    if len(files) > MAX_FILES:
        raise StandardsFileError("", None, "", f"more than {MAX_FILES} files")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in files.items():
            _check_name(name)
            if len(text.encode("utf-8")) > MAX_FILE_BYTES:
                raise StandardsFileError(name, None, "", f"larger than {MAX_FILE_BYTES} bytes")
            (root / name).write_text(text, encoding="utf-8")
        try:
            return load_version(root, check_name=False)
        except StandardsFileError as exc:
            # Show the uploaded file name, not the temporary folder.
            raise StandardsFileError(Path(exc.path).name, exc.line, exc.key, exc.detail) from None


def read_zip(data: bytes) -> dict[str, str]:
    """The YAML files of a zip upload (top level or one folder deep); StandardsFileError if bad."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise StandardsFileError("upload", None, "", "not a zip file") from None
    files: dict[str, str] = {}
    with archive:
        for info in archive.infolist():
            if info.is_dir() or Path(info.filename).name.startswith((".", "_")):
                continue
            name = Path(info.filename).name
            if not name.endswith((".yaml", ".yml")):
                continue
            if info.file_size > MAX_FILE_BYTES or len(files) >= MAX_FILES:
                raise StandardsFileError(name, None, "", f"larger than {MAX_FILE_BYTES} bytes or too many files")
            if name in files:
                raise StandardsFileError(name, None, "", "the zip holds this file name twice")
            try:
                files[name] = archive.read(info).decode("utf-8")
            except UnicodeDecodeError:
                raise StandardsFileError(name, None, "", "not UTF-8 text") from None
    return files


def _changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {k: {"old": old.get(k), "new": new.get(k)}
            for k in sorted(set(old) | set(new), key=str) if old.get(k) != new.get(k)}


def diff_versions(old: Standard, new: Standard) -> dict[str, Any]:
    """Categories, clauses and observation limits added, removed and changed from `old` to `new`."""
    a, b = old.export()["categories"], new.export()["categories"]
    out: dict[str, Any] = {
        "categories_added": sorted(set(b) - set(a)),
        "categories_removed": sorted(set(a) - set(b)),
        "clauses_added": [], "clauses_removed": [], "clauses_changed": [], "limits_changed": [],
    }
    for key in sorted(set(a) & set(b)):
        old_clauses = {c["id"]: c for c in a[key]["clauses"]}
        new_clauses = {c["id"]: c for c in b[key]["clauses"]}
        out["clauses_added"] += [f"{key}/{c}" for c in new_clauses if c not in old_clauses]
        out["clauses_removed"] += [f"{key}/{c}" for c in old_clauses if c not in new_clauses]
        for cid in old_clauses.keys() & new_clauses.keys():
            changed = _changes(old_clauses[cid], new_clauses[cid])
            if changed:
                out["clauses_changed"].append({"clause": f"{key}/{cid}", "changes": changed})
        old_obs, new_obs = a[key].get("observations", {}), b[key].get("observations", {})
        for field in sorted(set(old_obs) | set(new_obs)):
            changed = _changes(old_obs.get(field) or {}, new_obs.get(field) or {})
            if changed:
                out["limits_changed"].append({"observation": f"{key}/{field}", "changes": changed})
    out["clauses_changed"].sort(key=lambda c: c["clause"])
    return out
