"""The `fieldcheck` command: serve, migrate, demo, import and export the register."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
from typing import Any

from server.core.config import get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from standards import StandardsFileError, load_standards

    settings = get_settings()
    try:
        # Refuse to start on broken standards, with the file, line and key named.
        load_standards(settings.standards.directory or None)
    except StandardsFileError as exc:
        print(f"fieldcheck: the standards do not validate: {exc}", file=sys.stderr)
        return 1
    try:
        _media(settings)  # MEDIA_STORE=s3 without its bucket settings: say which, before serving
    except ValueError as exc:
        print(f"fieldcheck: {exc}", file=sys.stderr)
        return 1
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=args.host or settings.server.host,
        port=args.port or settings.server.port,
        workers=args.workers,
        proxy_headers=True,
        log_level="info",
    )
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from server.migrate import upgrade

    settings = get_settings()
    if settings.db.is_sqlite:
        # The default database lives under var/; make sure the folder is there.
        path = settings.db.url.split(":///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
    upgrade()
    print("database migrated to the latest revision")
    return 0


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from None


def _demo(args: argparse.Namespace) -> int:
    from server.core.db import Database
    from server.demo import DEMO_ACCOUNTS, load_demo

    async def run() -> None:
        db = Database.connect(get_settings().db)
        try:
            started = time.perf_counter()
            summary = await load_demo(db, today=args.today)
            took = time.perf_counter() - started
        finally:
            await db.dispose()
        if summary.already_loaded:
            print("demo site already loaded; nothing changed")
        else:
            print(f"demo site loaded in {took:.1f} s: {summary}")
        print("demo accounts (username / password / role):")
        for username, password, role, *_ in DEMO_ACCOUNTS:
            print(f"  {username:<12} {password:<20} {role}")

    asyncio.run(run())
    return 0


def _media(settings: Any) -> Any:
    """The media folder, or the bucket when MEDIA_STORE=s3 (server/photos/stores.py)."""
    from server.photos.settings import get_store_settings
    from server.photos.stores import bucket_store

    store = get_store_settings()
    store.check()
    return bucket_store(store) if store.kind == "s3" else settings.media.root


def _media_move(args: argparse.Namespace) -> int:
    from server.photos.move import cli_media_move

    return cli_media_move(args.to, remove_source=args.remove_source)


def _backup(args: argparse.Namespace) -> int:
    import datetime as dt
    from pathlib import Path

    from server.backup import BackupError, backup
    from server.core.config import REPO_ROOT

    settings = get_settings()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    archive = Path(args.to) if args.to else REPO_ROOT / "var" / "backups" / f"fieldcheck-{stamp}.tar.gz"
    try:
        manifest = backup(settings.db.url, _media(settings), archive)
    except (BackupError, ValueError) as exc:
        print(f"fieldcheck: backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backup written to {archive} ({manifest.backend}, {manifest.media_files} media files)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from server.backup import BackupError, restore

    settings = get_settings()
    try:
        manifest = restore(Path(args.archive), settings.db.url, _media(settings))
    except (BackupError, OSError, ValueError) as exc:
        print(f"fieldcheck: restore failed: {exc}", file=sys.stderr)
        return 1
    print(f"restored the {manifest.backend} backup of {manifest.created_at} ({manifest.media_files} media files)")
    return 0


def _create_user(args: argparse.Namespace) -> int:
    import getpass

    from server.accounts.service import UserError, create_user
    from server.core.db import Database

    password = args.password or getpass.getpass("password: ")

    async def run() -> None:
        db = Database.connect(get_settings().db)
        try:
            async with db.session() as session:
                await create_user(session, args.username, args.name or args.username, args.role, password,
                                  contractor_code=args.contractor, language=args.language,
                                  site_codes=tuple(args.site or ()))
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except UserError as exc:
        print(f"fieldcheck: {exc}", file=sys.stderr)
        return 1
    print(f"user {args.username} ({args.role}) created")
    return 0


def _score(args: argparse.Namespace) -> int:
    from server.scoring.cli import run_score

    return run_score(args)


def _overdue(args: argparse.Namespace) -> int:
    from server.workorders.jobs import cli_overdue

    return cli_overdue(force=not args.if_free)


def _rounds_missed(args: argparse.Namespace) -> int:
    from server.rounds.jobs import cli_missed

    return cli_missed(force=not args.if_free)


def _report(args: argparse.Namespace) -> int:
    from server.rounds.report import cli_week

    return cli_week(args.week, args.site)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fieldcheck", description="Field inspection of public green space.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web app")
    serve.add_argument("--host", help="address to bind (default FIELDCHECK_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default FIELDCHECK_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (use PostgreSQL for more than one)")
    serve.set_defaults(func=_serve)
    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(func=_migrate)
    demo = sub.add_parser("demo", help="load the demo site (once; running it again changes nothing)")
    demo.add_argument("--today", type=_day, help="the day its three months of history end, YYYY-MM-DD "
                      "(default: today in the site's time zone); the same day always gives the same demo")
    demo.set_defaults(func=_demo)
    overdue = sub.add_parser("overdue", help="mark work orders past their due time (notifications, webhooks); cron-safe")
    overdue.add_argument("--if-free", action="store_true", help="skip if the app's scheduled run holds the job's lock")
    overdue.set_defaults(func=_overdue)
    missed = sub.add_parser("rounds-missed", help="mark rounds that ended with assets not inspected (alerts); cron-safe")
    missed.add_argument("--if-free", action="store_true", help="skip if the app's scheduled run holds the job's lock")
    missed.set_defaults(func=_rounds_missed)
    report = sub.add_parser("report", help="print a report as CSV")
    report_sub = report.add_subparsers(dest="report", required=True)
    week = report_sub.add_parser("week", help="the weekly report of an ISO week: per inspector and per contractor")
    week.add_argument("week", help="the week, YYYY-Www (e.g. 2026-W47), in the site's time zone")
    week.add_argument("--site", help="the site (code); needed when there are several")
    week.set_defaults(func=_report)
    score = sub.add_parser("score", help="score a month: coverage, compliance, timeliness, score and payment band")
    score.add_argument("--month", required=True, help="the month, YYYY-MM, in the site's time zone")
    score.add_argument("--zone", help="only this zone (code)")
    score.add_argument("--contractor", help="only this contractor (code)")
    score.add_argument("--category", help="only this asset category (key)")
    score.add_argument("--site", help="the site (code); default the first site")
    score.add_argument("--json", action="store_true", help="print JSON, as GET /api/scores answers")
    score.set_defaults(func=_score)
    backup = sub.add_parser("backup", help="write a consistent snapshot of the database and photos (app may run)")
    backup.add_argument("--to", help="archive path (default var/backups/fieldcheck-<time>.tar.gz)")
    backup.set_defaults(func=_backup)
    restore = sub.add_parser("restore", help="restore a backup into an empty database and media folder")
    restore.add_argument("archive", help="the .tar.gz written by `fieldcheck backup`")
    restore.set_defaults(func=_restore)
    move = sub.add_parser("media-move", help="copy the photos from the media folder into the bucket (or back), "
                          "each verified by its SHA-256; rerun to resume, nothing copied twice")
    move.add_argument("--to", required=True, choices=["s3", "folder"],
                      help="s3: MEDIA_ROOT into MEDIA_S3_BUCKET; folder: the bucket into MEDIA_ROOT")
    move.add_argument("--remove-source", action="store_true",
                      help="delete each photo from where it came from once its copy is verified")
    move.set_defaults(func=_media_move)
    user = sub.add_parser("create-user", help="add a user (the password rules apply)")
    user.add_argument("username")
    user.add_argument("--role", required=True, choices=["inspector", "supervisor", "contractor", "admin"])
    user.add_argument("--name", help="display name (default: the username)")
    user.add_argument("--contractor", help="contractor company code (contractor users only)")
    user.add_argument("--language", choices=["zh", "en"])
    user.add_argument("--site", action="append", metavar="CODE",
                      help="a site the user works in (repeat for several; admins work in every site)")
    user.add_argument("--password", help="the password (asked for when omitted)")
    user.set_defaults(func=_create_user)
    from server.imports.cli import add_commands

    add_commands(sub)  # create-site, import zones|assets, export
    from server.standards_admin.cli import add_commands as add_standards_commands

    add_standards_commands(sub)  # standards install
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
