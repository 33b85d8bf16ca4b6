"""Measure what mlint.patterns claims: lazy loading memory and bounded async fan-out.

    python benchmarks/patterns_bench.py            # 200 MB and 400 MB JSONL files (~3 min)
    python benchmarks/patterns_bench.py --mb 20    # quick run

Prints Markdown tables. Peak memory is what ``tracemalloc`` traces (Python
allocations); times in the memory table are taken under tracemalloc, so they are
slower than normal and only comparable with each other.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlint.patterns.concurrency import amap, gather_bounded, to_thread
from mlint.patterns.lazy import iter_jsonl

RECORD_PAD = "x" * 150  # ~200-byte records: realistic text-dataset rows


def write_jsonl(path: Path, megabytes: int) -> int:
    """Write ``megabytes`` MB of JSON Lines records; return the record count."""
    target = megabytes * 1_000_000
    written = count = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < target:
            lines = [
                json.dumps({"id": count + i, "label": (count + i) % 10, "text": RECORD_PAD}) + "\n"
                for i in range(10_000)
            ]
            handle.writelines(lines)
            written += sum(map(len, lines))
            count += len(lines)
    return count


def traced(work: Callable[[], object]) -> tuple[int, float]:
    """Peak traced bytes and seconds of ``work()``."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        work()
        return tracemalloc.get_traced_memory()[1], time.perf_counter() - start
    finally:
        tracemalloc.stop()


def eager_sum(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    return sum(r["label"] for r in records)


def lazy_sum(path: Path) -> int:
    return sum(r["label"] for r in iter_jsonl(path))


def bench_lazy(sizes_mb: list[int]) -> None:
    print("\n### Lazy: sum a field over a JSON Lines file (list of records vs iter_jsonl)\n")
    print(
        "| file | records | list peak | generator peak | generator/list | reduction "
        "| list s | generator s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for mb in sizes_mb:
            path = Path(tmp) / f"{mb}mb.jsonl"
            records = write_jsonl(path, mb)
            size = os.path.getsize(path) / 1e6
            eager_peak, eager_s = traced(functools.partial(eager_sum, path))
            lazy_peak, lazy_s = traced(functools.partial(lazy_sum, path))
            ratio = lazy_peak / eager_peak
            print(
                f"| {size:.0f} MB | {records:,} | {eager_peak / 1e6:,.0f} MB "
                f"| {lazy_peak / 1e3:,.1f} kB | {ratio:.5%} | {1 - ratio:.3%} "
                f"| {eager_s:.1f} | {lazy_s:.1f} |",
                flush=True,
            )
            path.unlink()


async def fake_io(value: int, delay: float = 0.1) -> int:
    await asyncio.sleep(delay)
    return value


def blocking_io(value: int, delay: float = 0.1) -> int:
    time.sleep(delay)
    return value


async def sequential(n: int) -> list[int]:
    return [await fake_io(i) for i in range(n)]


async def failing_batch(n: int) -> float:
    async def boom() -> int:
        await asyncio.sleep(0.05)
        raise RuntimeError("upstream failed")

    calls: list[Callable[[], Awaitable[int]]] = [
        functools.partial(fake_io, i, 5.0) for i in range(n - 1)
    ]
    start = time.perf_counter()
    try:
        await gather_bounded([*calls[:2], boom, *calls[2:]], limit=n)
    except RuntimeError:
        return time.perf_counter() - start
    raise AssertionError("the error did not propagate")


def timed_async(make: Callable[[], Coroutine[Any, Any, object]]) -> float:
    start = time.perf_counter()
    asyncio.run(make())
    return time.perf_counter() - start


def bench_async(n: int = 20) -> None:
    print(f"\n### Async: {n} simulated I/O calls of 100 ms each\n")
    print("| strategy | seconds |")
    print("|---|---|")
    rows: list[tuple[str, Callable[[], Coroutine[Any, Any, object]]]] = [
        ("sequential `await` in a loop", lambda: sequential(n)),
        (
            "`gather_bounded(limit=20)`",
            lambda: gather_bounded([functools.partial(fake_io, i) for i in range(n)], limit=20),
        ),
        (
            "`gather_bounded(limit=5)`",
            lambda: gather_bounded([functools.partial(fake_io, i) for i in range(n)], limit=5),
        ),
        ("`amap(fn, items, limit=10)`", lambda: amap(fake_io, range(n), limit=10)),
        (
            "blocking `time.sleep` via `to_thread`, `amap(limit=20)`",
            lambda: amap(lambda i: to_thread(blocking_io, i), range(n), limit=20),
        ),
    ]
    for label, make in rows:
        print(f"| {label} | {timed_async(make):.2f} |", flush=True)
    elapsed = asyncio.run(failing_batch(n))
    print(f"| one call fails after 50 ms, the rest (5 s each) are cancelled | {elapsed:.2f} |")
    print(
        f"\n(`to_thread` uses the default executor: min(32, cpus + 4) = "
        f"{min(32, (os.cpu_count() or 1) + 4)} threads here.)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="smaller file size; the other is 2x")
    parser.add_argument("--skip-lazy", action="store_true")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    bench_async()
    if not args.skip_lazy:
        bench_lazy([args.mb, 2 * args.mb])


if __name__ == "__main__":
    main()
