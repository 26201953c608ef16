"""Run every benchmark in turn and print its figures: `python -m bench` (or `make bench`).

Each benchmark is also a module of its own (`python -m bench.<name> --help`). The latest
figures, with the machine they were measured on, are kept in docs/benchmarks.md.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = [
    ("inspector page weight", ["bench.page_weight"]),
    ("offline download of a 5,000-asset zone", ["bench.offline_zone"]),
    ("sync ingest, SQLite", ["bench.sync"]),
    ("photo ingest", ["bench.photos"]),
    ("photos in the folder vs in a bucket (Swift s3api)", ["bench.photo_store"]),
    ("GeoJSON of 10,000 defects", ["bench.geojson"]),
    ("map page with 10,000 defects", ["bench.map_page"]),
    ("Lighthouse (mobile) on the inspection form", ["bench.lighthouse"]),
    ("monthly scoring", ["bench.scoring"]),
    ("rounds: the phone's due list and the weekly report", ["bench.rounds"]),
    ("import 100,000 features from a GeoPackage", ["bench.imports"]),
    # The page budget (issue 6) is measured with busy inspectors' batches of 5; "flat out" is capacity.
    ("load, SQLite, 1 worker", ["bench.load", "--backend", "sqlite", "--workers", "1", "--think", "2", "--batch", "5"]),
    ("load, PostgreSQL, 2 workers",
     ["bench.load", "--backend", "postgresql", "--workers", "2", "--think", "2", "--batch", "5"]),
    ("load flat out, SQLite, 1 worker", ["bench.load", "--backend", "sqlite", "--workers", "1", "--think", "2"]),
    ("ingest flat out, PostgreSQL, 2 workers", ["bench.sync", "--backend", "postgresql", "--workers", "2", "--clients", "4"]),
    # Builds 2,000,000 inspections on PostgreSQL first (about 3-5 minutes on the project's machine).
    ("city scale, PostgreSQL: map, GeoJSON, scores, PDF, 4-worker ingest", ["bench.city"]),
]


def main() -> int:
    failed = 0
    for title, module in BENCHMARKS:
        print(f"== {title}: python -m {' '.join(module)}", flush=True)
        done = subprocess.run([sys.executable, "-m", *module], check=False)
        failed += done.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
