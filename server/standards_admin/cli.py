"""`fieldcheck standards install PATH [--dry-run]`: the install of /admin/standards from a shell.

PATH is a version folder, a zip, or one manifest.yaml (its folder is read). The version is
validated, its diff against the version in force before its date printed as JSON, and —
unless --dry-run — installed and audited (no user: the audit event says origin "cli").
Exit 1 with the reason (file:line:key for a YAML fault) when it may not be installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from server.core.config import get_settings


def add_commands(sub: Any) -> None:
    standards = sub.add_parser("standards", help="operator standards versions")
    commands = standards.add_subparsers(dest="standards_command", required=True)
    install = commands.add_parser("install", help="validate, diff and schedule a version (folder, zip or manifest)")
    install.add_argument("path", help="a version folder, a zip of its YAML files, or its manifest.yaml")
    install.add_argument("--dry-run", action="store_true", help="validate and print the diff; install nothing")
    install.set_defaults(func=run_install)


def read_path(path: Path) -> dict[str, str]:
    """{file name: text} of the version at `path`."""
    from standards.bundle import read_zip

    if path.is_file() and path.suffix in (".yaml", ".yml"):
        path = path.parent
    if path.is_dir():
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(path.glob("*.y*ml"))}
    return read_zip(path.read_bytes())


def run_install(args: argparse.Namespace) -> int:
    from server.core.db import Database
    from server.core.i18n import translator
    from server.standards_admin.registry import LiveStandards
    from server.standards_admin.service import InstallRefused, install, prepare
    from standards import StandardsFileError, load_standards

    settings = get_settings()
    t = translator("en")
    try:
        files = read_path(Path(args.path))
    except (OSError, StandardsFileError, UnicodeDecodeError) as exc:
        print(f"fieldcheck: {exc}", file=sys.stderr)
        return 1

    async def run() -> dict[str, Any]:
        db = Database.connect(settings.db)
        live = LiveStandards(load_standards(settings.standards.directory or None), 0)
        try:
            async with db.session(write=not args.dry_run) as session:
                await live.refresh(session, force=True)
                if args.dry_run:
                    prepared = await prepare(session, live, files)
                else:
                    prepared = await install(session, live, files, origin="cli", user_id=None)
        finally:
            await db.dispose()
        return {"version": prepared.standard.version, "effective_from": prepared.standard.effective_from.isoformat(),
                "against": prepared.against.version if prepared.against else None,
                "installed": not args.dry_run, **prepared.diff}

    try:
        out = asyncio.run(run())
    except InstallRefused as refused:
        print(f"fieldcheck: {refused.code}: {t(refused.key, **refused.params)}", file=sys.stderr)
        return 1
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0
