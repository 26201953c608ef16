"""`fieldcheck create-site`, `fieldcheck import zones|assets` and `fieldcheck export`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from server.core.config import get_settings
from server.core.db import Database
import server.models  # noqa: F401  every model, so foreign keys resolve


class ProgressBar:
    """A one-line bar on stderr (only when it is a terminal, so logs and --json stay clean)."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.enabled = stream.isatty()
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        took = time.perf_counter() - self.started
        if total:
            filled = int(self.width * min(done, total) / total)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {done}/{total} features, {took:.0f} s")
        else:
            self.stream.write(f"\r{done} features, {took:.0f} s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    site = sub.add_parser("create-site", help="add a site (a park, a green belt) to import zones and assets into")
    site.add_argument("code", help="short code, e.g. QL")
    site.add_argument("--name", required=True, help="the site's name (Chinese)")
    site.add_argument("--name-en", help="its English name (default: --name)")
    site.add_argument("--timezone", default="Asia/Shanghai", help="time zone for months and due dates")
    site.set_defaults(func=create_site_command)

    imp = sub.add_parser("import", help="import zones or assets from GeoJSON, GeoPackage, Shapefile, KML, CSV or XLSX")
    kinds = imp.add_subparsers(dest="kind", required=True)
    for kind in ("zones", "assets"):
        p = kinds.add_parser(kind, help=f"import {kind} (idempotent by code)")
        p.add_argument("file", help="the file (.geojson, .gpkg, .shp or .zip, .kml, .csv, .xlsx)")
        p.add_argument("--site", required=True, help="the site's code")
        p.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
        p.add_argument("--json", action="store_true", help="print one JSON object with the counts and refusals")
        p.add_argument("--layer", help="the layer (or sheet) to read; default the first")
        p.add_argument("--crs", help="the file's CRS when it declares none (EPSG:4527, …), or gcj02 / bd09")
        p.add_argument("--field", action="append", default=[], metavar="TARGET=SOURCE",
                       help="read field TARGET from column SOURCE (repeatable)")
        if kind == "assets":
            p.add_argument("--retire-missing", action="store_true",
                           help="retire the site's active assets whose codes the file does not hold")
        p.set_defaults(func=import_command)

    exp = sub.add_parser("export", help="export a site's zones or assets as GeoJSON or GeoPackage")
    exp.add_argument("kind", choices=["zones", "assets"])
    exp.add_argument("file", help="output file: .geojson or .gpkg")
    exp.add_argument("--site", required=True, help="the site's code")
    exp.add_argument("--format", choices=["geojson", "gpkg"], help="default: from the file name")
    exp.set_defaults(func=export_command)


def create_site_command(args: argparse.Namespace) -> int:
    from server.imports.sites import SiteProblem, create_site

    async def run() -> None:
        db = Database.connect(get_settings().db)
        try:
            await create_site(db, args.code, args.name, args.name_en, args.timezone)
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except SiteProblem as exc:
        print(f"fieldcheck: {exc}", file=sys.stderr)
        return 1
    print(f"site {args.code} created")
    return 0


def import_command(args: argparse.Namespace) -> int:
    from server.imports.service import ImportOptions, ImportProblem, ImportReport, refusal_message, run_import
    from server.standards_admin.registry import load_live

    settings = get_settings()
    options = ImportOptions(kind=args.kind, site=args.site, layer=args.layer, crs=args.crs, fields=tuple(args.field),
                            dry_run=args.dry_run, retire_missing=getattr(args, "retire_missing", False))
    bar = ProgressBar()

    async def run() -> ImportReport:
        db = Database.connect(settings.db)
        try:
            # Shipped and installed versions: assets of a category a scheduled version adds are allowed.
            standard = (await load_live(db, settings.standards.directory)).catalogue()
            return await run_import(db, standard, Path(args.file), options, progress=bar)
        finally:
            await db.dispose()

    try:
        report = asyncio.run(run())
    except ImportProblem as exc:
        bar.close()
        print(f"fieldcheck: {exc.message()}", file=sys.stderr)
        return 1
    bar.close()
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        verb = " would be" if report.dry_run else ""
        print(f"{report.file} ({report.layer or '-'}, {report.crs}) → site {report.site}: {report.read} features read")
        print(f"{args.kind}{verb} created {report.created}, updated {report.updated}, unchanged {report.unchanged}"
              + (f", retired {report.retired}" if options.retire_missing else "") + f", refused {len(report.refused)}")
        for refusal in report.refused[:50]:
            print(f"  feature {refusal.feature}: {refusal.field}: {refusal_message(refusal, 'en')}")
        if len(report.refused) > 50:
            print(f"  … and {len(report.refused) - 50} more (use --json for all)")
        if report.dry_run:
            print("dry run: nothing was written")
    return 0


def export_command(args: argparse.Namespace) -> int:
    from server.imports.export import export_register
    from server.imports.service import ImportProblem

    async def run() -> int:
        db = Database.connect(get_settings().db)
        try:
            return await export_register(db, args.site, args.kind, Path(args.file), args.format)
        finally:
            await db.dispose()

    try:
        count = asyncio.run(run())
    except ImportProblem as exc:
        print(f"fieldcheck: {exc.message()}", file=sys.stderr)
        return 1
    print(f"{count} {args.kind} of site {args.site} written to {args.file}")
    return 0
