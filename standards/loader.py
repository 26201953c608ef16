"""Load the standards data: version folders, manifests and category files.

Everything is validated at load (schema.py) and across files here: the manifest's
catalogue must match the category files exactly, and a clause id is unique across
the whole version. Any fault is a StandardsFileError naming file, line and key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import StandardsFileError
from .model import Standard, StandardsSet
from .schema import check_category, check_manifest
from .yamldoc import read_yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
REPO_ROOT = Path(__file__).resolve().parent.parent


def display_path(path: Path) -> str:
    """`path` as errors show it: relative to the repo, else to the working directory."""
    path = path.resolve()
    for base in (REPO_ROOT, Path.cwd().resolve()):
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def load_standards(directory: str | os.PathLike[str] | None = None) -> StandardsSet:
    """Load every version under `directory` (default: the package's own data folder).

    `directory` holds one folder per version; a folder that itself holds a
    manifest.yaml is loaded as a single version.
    """
    root = Path(directory) if directory is not None else DATA_DIR
    if (root / "manifest.yaml").is_file():
        return StandardsSet([load_version(root, check_name=False)])
    if not root.is_dir():
        raise StandardsFileError(display_path(root), None, "", "standards directory not found")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] not in "._")
    if not folders:
        raise StandardsFileError(display_path(root), None, "", "no version folders found")
    versions: list[Standard] = []
    for folder in folders:
        standard = load_version(folder)
        for other in versions:
            if other.version == standard.version or other.effective_from == standard.effective_from:
                raise StandardsFileError(
                    display_path(folder / "manifest.yaml"), None, "version",
                    f"version {standard.version} ({standard.effective_from}) clashes with "
                    f"version {other.version} ({other.effective_from})",
                )
        versions.append(standard)
    return StandardsSet(versions)


def load_version(folder: Path, *, check_name: bool = True) -> Standard:
    """Load and cross-check one version folder (named by its effective date if `check_name`)."""
    manifest_doc = read_yaml(folder / "manifest.yaml", display_path(folder / "manifest.yaml"))
    manifest = check_manifest(manifest_doc)
    effective = manifest["effective_from"].isoformat()
    if check_name and folder.name != effective:
        raise manifest_doc.error(
            ("effective_from",), f"{effective} does not match the folder name '{folder.name}'"
        )
    categories: dict[str, Any] = {}
    seen: dict[str, str] = {}  # clause id -> "file:line" of its first definition
    for key, listed in manifest["categories"].items():
        path = folder / f"{key}.yaml"
        if not path.is_file():
            raise manifest_doc.error(("categories", key), f"category file {display_path(path)} is missing")
        doc = read_yaml(path, display_path(path))
        category = check_category(doc, key)
        in_file = [clause["id"] for clause in category["clauses"]]
        for i, clause_id in enumerate(in_file):
            where = ("clauses", i, "id")
            if clause_id in seen:
                raise doc.error(where, f"duplicate clause id '{clause_id}' (first defined at {seen[clause_id]})")
            seen[clause_id] = f"{doc.display}:{doc.line_of(where)}"
            if clause_id not in listed:
                raise doc.error(where, f"clause '{clause_id}' is not listed in manifest.yaml under '{key}'")
        for j, clause_id in enumerate(listed):
            if listed.index(clause_id) != j:
                raise manifest_doc.error(("categories", key, j), f"clause '{clause_id}' is listed twice")
            if clause_id not in in_file:
                raise manifest_doc.error(
                    ("categories", key, j),
                    f"clause '{clause_id}' is listed in the manifest but missing from {path.name}",
                )
        categories[key] = category
    for path in sorted(folder.glob("*.y*ml")):
        if path.name != "manifest.yaml" and path.stem not in categories:
            raise StandardsFileError(display_path(path), 1, "category",
                                     f"category file {path.name} is not listed in manifest.yaml")
    return Standard({
        "version": manifest["version"],
        "effective_from": effective,
        "title": manifest["title"],
        "source": manifest["source"],
        "categories": categories,
    })
