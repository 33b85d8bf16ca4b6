"""Lint many files: cache look-ups, a process pool, and results as they finish."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlint.types import FileResult, LintSettings, Mode

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext


@dataclass(frozen=True)
class RunOptions:
    lint: LintSettings
    mode: Mode = "check"
    cache_dir: str | None = None
    jobs: int = 0


def _lint_text(text: str, path: str, lint: LintSettings, mode: Mode) -> FileResult:
    if path.endswith(".ipynb"):
        from mlint.notebook import lint_notebook  # type: ignore[import-not-found,unused-ignore]

        notebook_result: FileResult = lint_notebook(text, path, lint, mode)
        return notebook_result
    if mode == "check":
        from mlint.engine import lint_source

        diagnostics = tuple(lint_source(text, path, lint))
        return FileResult(path, diagnostics, source=text if diagnostics else None)
    from mlint.fix import fix_source

    outcome = fix_source(text, path, lint)
    return FileResult(
        path,
        outcome.remaining,
        fixed_source=outcome.source if outcome.applied else None,
        fixes_applied=outcome.applied,
        # Remaining diagnostics point into the fixed text; a diff needs the original.
        source=text if mode == "diff" else outcome.source,
        applied_codes=outcome.applied_codes,
    )


def process_file(path: str, lint: LintSettings, mode: Mode) -> tuple[FileResult, str | None]:
    """Lint (and in ``fix`` mode, fix and write) one file; ``(result, content hash)``."""
    from mlint.cache import content_hash
    from mlint.files import SourceError, decode, write_atomic

    try:
        with open(path, "rb") as handle:
            data = handle.read()
        source = decode(data, path)
    except OSError as exc:
        return FileResult(path, error=exc.strerror or str(exc)), None
    except SourceError as exc:
        return FileResult(path, error=str(exc)), None
    digest: str | None = content_hash(data)
    try:
        result = _lint_text(source.text, path, lint, mode)
    except RecursionError:
        return FileResult(path, error="internal error: nesting too deep to analyse"), digest
    except Exception as exc:  # noqa: BLE001  (one broken file must not stop the run)
        first = str(exc).splitlines()[0] if str(exc) else ""
        return FileResult(path, error=f"internal error: {type(exc).__name__}: {first}"), digest
    if mode == "fix" and result.fixed_source is not None:
        try:
            write_atomic(path, result.fixed_source, source.encoding, expected=data)
        except OSError as exc:
            return FileResult(path, error=f"cannot write fix: {exc.strerror or exc}"), None
        digest = None  # the file changed: cache it on the next run
    return result, digest


def _worker(
    batch: Sequence[str], lint: LintSettings, mode: Mode
) -> list[tuple[FileResult, str | None]]:
    return [process_file(path, lint, mode) for path in batch]


def _pool_context() -> BaseContext:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run(
    paths: Sequence[str],
    options: RunOptions,
    progress: Callable[[int], None] | None = None,
) -> Iterator[FileResult]:
    """Yield one ``FileResult`` per path, cached ones first, the rest as workers finish."""
    cache = None
    if options.cache_dir is not None:
        from mlint.cache import Cache

        cache = Cache(options.cache_dir, options.lint.fingerprint())
    todo: list[str] = []
    for path in paths:
        cached = cache.lookup(path) if cache is not None else None
        if cached is not None and (options.mode == "check" or not any(d.fixable for d in cached)):
            yield FileResult(path, tuple(cached), cached=True)
            if progress:
                progress(1)
        else:
            todo.append(path)
    jobs = options.jobs or os.cpu_count() or 1
    try:
        for result, digest in _execute(todo, options, jobs):
            if cache is not None and digest is not None and result.error is None:
                cache.store(result.path, digest, result.diagnostics)
            if progress:
                progress(1)
            yield result
    finally:
        if cache is not None:
            cache.save()


def _execute(
    paths: list[str], options: RunOptions, jobs: int
) -> Iterator[tuple[FileResult, str | None]]:
    if jobs <= 1 or len(paths) < 4:
        for path in paths:
            yield process_file(path, options.lint, options.mode)
        return

    # Small chunks keep both workers busy to the end; large files go first.
    def size(path: str) -> int:
        try:
            return os.path.getsize(path)
        except OSError:
            return 0

    ordered = sorted(paths, key=size, reverse=True)
    chunk = max(1, min(16, len(ordered) // (jobs * 8)))
    batches = [ordered[i : i + chunk] for i in range(0, len(ordered), chunk)]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context()) as pool:
        futures = [pool.submit(_worker, batch, options.lint, options.mode) for batch in batches]
        from concurrent.futures import as_completed

        for future in as_completed(futures):
            yield from future.result()
