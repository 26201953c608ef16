"""The load harness as a short smoke run (issue 6; the full run is `python -m bench.load`).

A few simulated inspectors and supervisors, a few bounded rounds, against a real
`fieldcheck serve` on 127.0.0.1 and the test backend's database with the demo site: no
request may fail, and what the harness says it synced must really be in the database —
the records with their receipts, the photos with their files.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, select

from server.core.config import DatabaseSettings
from server.core.db import Database
from server.demo import load_demo
from server.inspections.models import Inspection, InspectionPhoto
from server.photos.models import Photo
from server.photos.storage import MediaStore
from sync.models import SyncReceipt
from tests.conftest import DEMO_TODAY

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
INSPECTORS, SUPERVISORS, ROUNDS, BATCH = 3, 2, 3, 5


async def _with_database(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    database = Database.connect(DatabaseSettings(url=url))
    try:
        return await work(database)
    finally:
        await database.dispose()


def test_a_short_load_run_stores_everything_it_reports(database_url: str, tmp_path: Path) -> None:
    asyncio.run(_with_database(database_url, lambda db: load_demo(db, today=DEMO_TODAY)))
    media = tmp_path / "media"
    run = subprocess.run(
        [sys.executable, "-m", "bench.load", "--database-url", database_url, "--media", str(media),
         "--inspectors", str(INSPECTORS), "--supervisors", str(SUPERVISORS), "--max-rounds", str(ROUNDS),
         "--batch", str(BATCH), "--photos", "1", "--photo-pool", "2", "--think", "0.1", "--duration", "30", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(run.stdout)

    assert result["errors"] == 0 and result["first_errors"] == []
    assert result["records"] == INSPECTORS * ROUNDS * BATCH  # every round done, every record 201
    assert result["by_kind"]["sync batch"]["count"] == INSPECTORS * ROUNDS
    assert {"page /supervise", "page /standards"} <= set(result["by_kind"])
    assert result["setup"]["sign in"]["count"] == INSPECTORS + SUPERVISORS
    assert result["setup"]["offline bundle"]["count"] == INSPECTORS
    assert 1 <= result["photos_uploaded"] <= INSPECTORS * ROUNDS

    async def stored(database: Database) -> tuple[int, int, list[str], set[str]]:
        async with database.session(write=False) as s:
            synced = select(Inspection.id).where(Inspection.notes == "load test")
            inspections = await s.scalar(select(func.count()).select_from(synced.subquery()))
            receipts = await s.scalar(select(func.count()).where(SyncReceipt.id.in_(synced)))
            linked = (await s.scalars(
                select(InspectionPhoto.photo_sha256).where(InspectionPhoto.inspection_id.in_(synced))
            )).all()
            photos = set((await s.scalars(select(Photo.sha256).where(Photo.sha256.in_(linked)))).all())
        return inspections or 0, receipts or 0, list(linked), photos

    inspections, receipts, linked, photos = asyncio.run(_with_database(database_url, stored))
    assert inspections == receipts == result["records"]
    assert len(linked) == INSPECTORS * ROUNDS  # the first record of each batch names its photo
    assert photos == set(linked)
    assert all(MediaStore(media).original(sha, "jpg").is_file() for sha in photos)
