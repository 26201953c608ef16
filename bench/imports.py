"""Import benchmark: `python -m bench.imports [--features 100000] [--backend sqlite|postgresql]`.

Budget (issue 14): importing 100,000 point features from a GeoPackage takes at most 60 s
on this machine with memory bounded (streamed in batches), and a second, unchanged run at
most 20 s. Writes a GeoPackage of that many benches, sculptures, trees, … in ten zones
(CGCS2000 / 3-degree Gauss–Krüger zone 39, EPSG:4527, so the transformation is timed
too), then runs `fieldcheck import assets` twice as a user would, in a subprocess on a
fresh migrated database, and prints each run's time and the process's peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyogrio.raw  # noqa: F401  (pyogrio.raw.write)
import shapely
from pyproj import Transformer

ROOT = Path(__file__).resolve().parent.parent
FIRST_BUDGET_S = 60.0
RERUN_BUDGET_S = 20.0
CATEGORIES = ("green_space", "heritage_tree", "tree_guard", "planter", "road_asphalt", "road_concrete",
              "sidewalk", "sculpture", "seating")
WEST, SOUTH, STEP = 118.70, 32.10, 0.01  # ten zones of 0.01° × 0.01° in a row along the river


def write_files(folder: Path, features: int) -> tuple[Path, Path]:
    import pyogrio

    to_gk = Transformer.from_crs(4326, 4527, always_xy=True)

    def gk(geoms: np.ndarray) -> np.ndarray:
        return shapely.transform(geoms, lambda xy: np.column_stack(to_gk.transform(xy[:, 0], xy[:, 1])))

    zones = np.array([shapely.box(WEST + i * STEP, SOUTH, WEST + (i + 1) * STEP, SOUTH + STEP) for i in range(10)])
    zone_file = folder / "zones.gpkg"
    pyogrio.raw.write(zone_file, shapely.to_wkb(gk(zones)), [np.array([f"Z{i + 1}" for i in range(10)], dtype=object)],
                      fields=["code"], geometry_type="Polygon", crs="EPSG:4527", driver="GPKG")
    rng = np.random.default_rng(2026)
    lon = WEST + rng.uniform(0.0005, 10 * STEP - 0.0005, features)
    lat = SOUTH + rng.uniform(0.0005, STEP - 0.0005, features)
    asset_file = folder / "assets.gpkg"
    codes = np.array([f"A{i:06d}" for i in range(features)], dtype=object)
    names = np.array([f"设施 {i}" for i in range(features)], dtype=object)
    cats = np.array([CATEGORIES[i % len(CATEGORIES)] for i in range(features)], dtype=object)
    pyogrio.raw.write(asset_file, shapely.to_wkb(gk(shapely.points(lon, lat))), [codes, names, cats],
                      fields=["编号", "名称", "类别"], geometry_type="Point", crs="EPSG:4527", driver="GPKG")
    return zone_file, asset_file


def fieldcheck(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """Run the command; its wall time, its peak memory (MB) and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "server", *args], env=env, cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"fieldcheck {' '.join(args)} failed:\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return took, max(peak, before) / 1024, done.stdout


async def _pg(*statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fc-bench-imports-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        zone_file, asset_file = write_files(folder, args.features)
        print(f"wrote {args.features:,} point features to a GeoPackage (EPSG:4527) in {time.perf_counter() - started:.1f} s "
              f"({asset_file.stat().st_size / 1e6:.1f} MB)")
        if args.backend == "sqlite":
            url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        else:
            name = f"fc_bench_imports_{os.getpid()}"
            asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
            url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(folder / "media"), "JOBS_INTERVAL_S": "0"}
        try:
            fieldcheck(env, "migrate")
            fieldcheck(env, "create-site", "BENCH", "--name", "基准公园")
            fieldcheck(env, "import", "zones", str(zone_file), "--site", "BENCH")
            runs = []
            for label, budget in (("first run", FIRST_BUDGET_S), ("unchanged rerun", RERUN_BUDGET_S)):
                took, peak, out = fieldcheck(env, "import", "assets", str(asset_file), "--site", "BENCH", "--json")
                counts = json.loads(out)
                runs.append(took <= budget)
                print(f"{label}: {took:.1f} s (budget {budget:.0f} s, {'met' if took <= budget else 'MISSED'}); "
                      f"created {counts['created']:,}, updated {counts['updated']:,}, unchanged {counts['unchanged']:,}, "
                      f"refused {len(counts['refused'])}; peak memory of the process {peak:.0f} MB")
        finally:
            if args.backend == "postgresql":
                asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0 if all(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
