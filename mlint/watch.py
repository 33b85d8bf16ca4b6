"""``mlint check --watch``: lint, then lint again whenever a watched file changes.

Uses ``watchfiles`` (the ``watch`` extra) when it is installed, and otherwise polls the
files' modification times, so the flag works on any install.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

# What a change to re-lint on looks like: sources, notebooks and the configuration.
WATCHED_SUFFIXES = (".py", ".pyi", ".ipynb", ".toml")
_SKIPPED_DIRS = frozenset({".git", ".mlint_cache", "__pycache__", ".venv", "venv", "node_modules"})
POLL_INTERVAL_S = 0.5


def _watched(path: str) -> bool:
    return path.endswith(WATCHED_SUFFIXES)


def snapshot(roots: Sequence[str]) -> dict[str, tuple[int, int]]:
    """``path -> (mtime_ns, size)`` of every watched file under ``roots``."""
    out: dict[str, tuple[int, int]] = {}
    for root in roots:
        for path in _walk(root):
            try:
                stat = os.stat(path)
            except OSError:
                continue
            out[path] = (stat.st_mtime_ns, stat.st_size)
    return out


def _walk(root: str) -> Iterator[str]:
    if os.path.isfile(root):
        yield root
        return
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS]
        for name in files:
            if _watched(name):
                yield os.path.join(directory, name)


def poll_changes(
    roots: Sequence[str], interval: float = POLL_INTERVAL_S, should_stop: Callable[[], bool] = bool
) -> Iterator[set[str]]:
    """Yield the set of changed, added or removed paths after each change (polling fallback).

    The first snapshot is taken now, not at the first ``next()``: a change made in between
    is reported.
    """
    return _poll(roots, snapshot(roots), interval, should_stop)


def _poll(
    roots: Sequence[str],
    before: dict[str, tuple[int, int]],
    interval: float,
    should_stop: Callable[[], bool],
) -> Iterator[set[str]]:
    while not should_stop():
        time.sleep(interval)
        after = snapshot(roots)
        changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        before = after
        if changed:
            yield changed


def changes(roots: Sequence[str]) -> Iterator[set[str]]:
    """Batches of changed watched paths, from ``watchfiles`` when installed, else by polling."""
    try:
        from watchfiles import watch  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        yield from poll_changes(roots)
        return
    for batch in watch(*roots, watch_filter=lambda _change, path: _watched(path)):
        yield {path for _change, path in batch}


CLEAR_SCREEN = "\x1b[2J\x1b[H"


def run_watch(
    roots: Iterable[str],
    lint: Callable[[], object],
    write: Callable[[str], object],
    batches: Iterator[set[str]] | None = None,
) -> None:
    """Lint once, then after every batch of changes clear the screen and lint again."""
    paths = [str(Path(root)) for root in roots]
    write(f"{CLEAR_SCREEN}[{time.strftime('%H:%M:%S')}] Starting linter in watch mode...\n")
    lint()
    for _batch in batches if batches is not None else changes(paths):
        write(f"{CLEAR_SCREEN}[{time.strftime('%H:%M:%S')}] File change detected...\n")
        lint()
