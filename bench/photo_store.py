"""Photos in the folder vs in a bucket: `python -m bench.photo_store [-n 60] [--concurrency 4]`.

Ingests the same phone-sized JPEGs (1600×1200, as bench/photos.py makes them) through
`server.photos.service.ingest_bytes` into the MEDIA_ROOT folder and into a bucket on a real
S3 server (OpenStack Swift with s3api on this machine, started as the tests start it:
tests/object_store.py; needs `make test-deps`), then reads every display size back as
it is served (`service.derived_image`, streamed). No budget: the figures say what the
object store costs per photo, for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.photos import photo
from server.core.config import get_settings
from server.core.db import Database
from server.migrate import upgrade
from server.photos.service import Uploader, derived_image, ingest_bytes


async def run(photos: list[bytes], concurrency: int, media: Path) -> tuple[float, float]:
    """(photos ingested per second, display sizes served per second) with the store the
    environment names."""
    with tempfile.TemporaryDirectory(prefix="fc-bench-store-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        base = get_settings()
        settings = replace(base, media=replace(base.media, root=media), db=replace(base.db, url=url))
        database = Database.connect(settings.db)
        uploader = Uploader(user_id=None, device_id="bench")
        gate = asyncio.Semaphore(concurrency)
        try:
            await ingest_bytes(database, settings, photo(10_000), uploader)  # warm up (and the connection pool)

            async def ingest(data: bytes) -> str:
                async with gate:
                    done = await ingest_bytes(database, settings, data, uploader)
                    assert done.created
                    return done.photo.sha256

            start = time.perf_counter()
            hashes = await asyncio.gather(*(ingest(data) for data in photos))
            ingest_rate = len(photos) / (time.perf_counter() - start)

            async def serve(sha256: str) -> None:
                async with gate:
                    opened = await derived_image(database, settings, sha256, "display")
                    assert opened is not None
                    got = 0
                    async for piece in opened.chunks:
                        got += len(piece)
                    assert got == opened.size

            start = time.perf_counter()
            await asyncio.gather(*(serve(h) for h in hashes))
            serve_rate = len(hashes) / (time.perf_counter() - start)
            return ingest_rate, serve_rate
        finally:
            await database.dispose()


def main(argv: list[str] | None = None) -> int:
    from tests.object_store import SwiftServer, swift_installed

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=60, help="photos (default 60)")
    parser.add_argument("--concurrency", type=int, default=4, help="ingests in flight at once (default 4)")
    args = parser.parse_args(argv)
    if not swift_installed():
        print("Swift is not installed: make test-deps", file=sys.stderr)
        return 1
    photos = [photo(seed) for seed in range(args.n)]
    with tempfile.TemporaryDirectory(prefix="fc-bench-swift-") as tmp:
        os.environ["MEDIA_STORE"] = "folder"
        folder = asyncio.run(run(photos, args.concurrency, Path(tmp) / "folder"))
        swift = SwiftServer.start(Path(tmp) / "swift")
        try:
            os.environ.update(swift.media_environment(swift.new_bucket()))
            bucket = asyncio.run(run(photos, args.concurrency, Path(tmp) / "staging"))
        finally:
            swift.stop()
    load = os.getloadavg()[0]
    for name, (ingested, served) in (("folder", folder), ("bucket (Swift s3api, 127.0.0.1)", bucket)):
        print(f"{name}: ingest {ingested:.1f} photos/s, display sizes served {served:.1f}/s "
              f"({args.n} photos, {args.concurrency} in flight)")
    print(f"  load average now {load:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
