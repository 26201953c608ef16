"""Imports started from the web page: the uploaded files and the job's state on disk.

Each upload gets a folder `<MEDIA_ROOT>/../imports/<token>/` holding the files and
`state.json` (status, progress, the report), rewritten atomically as the job goes, so any
worker process can show the page and its progress. The job itself runs as a task in the
worker that received the post: first a dry run (the preview), then, when the admin
confirms, the same import for real — one code path with the CLI (`service.run_import`).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from server.core.db import Database
from server.imports.service import ImportOptions, ImportProblem, ImportReport, run_import
from standards import Standard

MAIN_SUFFIXES = (".shp", ".zip", ".gpkg", ".geojson", ".json", ".kml", ".kmz", ".csv", ".xlsx")
SIDE_SUFFIXES = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
KEPT_REFUSALS = 500
TOKEN = re.compile(r"[0-9a-f]{32}")
_tasks: set[asyncio.Task[None]] = set()  # a reference to each running job, so none is collected mid-way


def imports_root(media_root: Path) -> Path:
    return media_root.parent / "imports"


def safe_name(name: str) -> str:
    """A client's file name reduced to a safe base name (keeps Chinese, drops paths)."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.\-]", "_", base).lstrip(".")
    return base[:120] or "upload"


def new_job(root: Path) -> tuple[str, Path]:
    token = secrets.token_hex(16)
    folder = root / token
    folder.mkdir(parents=True)
    return token, folder


def job_folder(root: Path, token: str) -> Path | None:
    if not TOKEN.fullmatch(token):
        return None
    folder = root / token
    return folder if (folder / "state.json").exists() else None


def read_state(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "state.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def write_state(folder: Path, state: dict[str, Any]) -> None:
    tmp = folder / f"state.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(state, ensure_ascii=False, default=str), encoding="utf-8")
    tmp.replace(folder / "state.json")


def report_state(report: ImportReport) -> dict[str, Any]:
    return {
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
        "retired": report.retired, "read": report.read, "layer": report.layer, "crs": report.crs,
        "refused_count": len(report.refused),
        "refused": [asdict(r) for r in report.refused[:KEPT_REFUSALS]],
    }


def start(db: Database, standard: Standard, folder: Path, options: ImportOptions) -> None:
    """Run the job (dry or real, per `options`) in the background, its state in `folder`."""
    state = read_state(folder)
    state.update(status="checking" if options.dry_run else "importing", done=0, error=None)
    write_state(folder, state)
    task = asyncio.get_running_loop().create_task(_run(db, standard, folder, options))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _run(db: Database, standard: Standard, folder: Path, options: ImportOptions) -> None:
    state = read_state(folder)
    path = folder / state["file"]

    def progress(done: int, total: int | None) -> None:
        state.update(done=done, total=total)
        write_state(folder, state)

    try:
        report = await run_import(db, standard, path, options, progress=progress)
    except ImportProblem as exc:
        state.update(status="failed", error={"key": exc.key, "params": exc.params})
    except Exception as exc:  # never a job stuck "checking": the page says it failed
        state.update(status="failed", error={"key": "imports.unreadable", "params": {"detail": type(exc).__name__}})
    else:
        state.update(status="preview" if options.dry_run else "done", result=report_state(report))
        if options.dry_run:
            (folder / "preview.geojson").write_text(
                json.dumps({"type": "FeatureCollection", "features": report.preview}), encoding="utf-8")
    write_state(folder, state)


def options_of(state: dict[str, Any], *, dry_run: bool, user_id: uuid.UUID | None) -> ImportOptions:
    o = state["options"]
    return ImportOptions(kind=o["kind"], site=o["site"], layer=o["layer"] or None, crs=o["crs"] or None,
                         fields=tuple(o["fields"]), dry_run=dry_run, retire_missing=bool(o["retire_missing"]),
                         user_id=user_id)
