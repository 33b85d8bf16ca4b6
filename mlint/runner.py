"""Lint many files: cache look-ups, a process pool, and results as they finish."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from mlint.types import FileResult, LintSettings, Mode

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import BaseContext
    from multiprocessing.process import BaseProcess

    from mlint.cache import Cache


@dataclass(frozen=True)
class RunOptions:
    lint: LintSettings
    mode: Mode = "check"
    cache_dir: str | None = None
    jobs: int = 0
    # The settings of each file when they differ (the closest config file's); else ``lint``.
    lint_for: Callable[[str], LintSettings] | None = None

    def settings_of(self, path: str) -> LintSettings:
        return self.lint if self.lint_for is None else self.lint_for(path)


Job = tuple[str, LintSettings]


def _lint_text(text: str, path: str, lint: LintSettings, mode: Mode) -> FileResult:
    """Lint one text; a file that cannot be checked gets ``error`` set, never an exception."""
    try:
        result = _lint_any(text, path, lint, mode)
    except RecursionError:
        return FileResult(path, error="internal error: nesting too deep to analyse")
    except Exception as exc:  # noqa: BLE001  (one broken file must not stop the run)
        first = str(exc).splitlines()[0] if str(exc) else ""
        return FileResult(path, error=f"internal error: {type(exc).__name__}: {first}")
    if result.error is None:
        # The engine reports what it cannot parse as ML003; the run counts it as not checked.
        unparsed = next((d for d in result.diagnostics if d.code == "ML003"), None)
        if unparsed is not None:
            return replace(result, error=unparsed.message)
    return result


def _lint_any(text: str, path: str, lint: LintSettings, mode: Mode) -> FileResult:
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
    result = _lint_text(source.text, path, lint, mode)
    if mode == "fix" and result.fixed_source is not None:
        try:
            write_atomic(path, result.fixed_source, source.encoding, expected=data)
        except OSError as exc:
            return FileResult(path, error=f"cannot write fix: {exc.strerror or exc}"), None
        digest = None  # the file changed: cache it on the next run
    return result, digest


def _worker(batch: Sequence[Job], mode: Mode) -> list[tuple[FileResult, str | None]]:
    return [process_file(path, lint, mode) for path, lint in batch]


def die_with_parent(parent: int) -> None:
    """Make this worker process end when ``parent`` does, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    else:
        import threading

        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _watch_parent(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _lane(batch: Sequence[Job], mode: Mode, parent: int, conn: Connection) -> None:
    """A worker that reports file by file, so the parent knows which file it died on."""
    die_with_parent(parent)
    for path, lint in batch:
        conn.send(process_file(path, lint, mode))
    conn.close()


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
    # One cache file per distinct settings: files of two projects never share entries.
    caches: dict[str, Cache] = {}
    last: list[tuple[LintSettings, Cache]] = []  # files come by folder: mostly the same settings

    def cache_of(lint: LintSettings) -> Cache | None:
        if options.cache_dir is None:
            return None
        if last and last[0][0] is lint:
            return last[0][1]
        fingerprint = lint.fingerprint()
        if fingerprint not in caches:
            from mlint.cache import Cache

            caches[fingerprint] = Cache(options.cache_dir, fingerprint)
        last[:] = [(lint, caches[fingerprint])]
        return caches[fingerprint]

    todo: list[Job] = []
    for path in paths:
        lint = options.settings_of(path)
        cache = cache_of(lint)
        cached = cache.lookup(path) if cache is not None else None
        if cached is not None and (options.mode == "check" or not any(d.fixable for d in cached)):
            yield FileResult(path, tuple(cached), cached=True)
            if progress:
                progress(1)
        else:
            todo.append((path, lint))
    lint_of = dict(todo)
    jobs = options.jobs or os.cpu_count() or 1
    try:
        for result, digest in _execute(todo, options.mode, jobs):
            cache = cache_of(lint_of[result.path])
            if cache is not None and digest is not None and result.error is None:
                cache.store(result.path, digest, result.diagnostics)
            if progress:
                progress(1)
            yield result
    finally:
        for cache in caches.values():
            cache.save()


def _execute(
    jobs_todo: list[Job], mode: Mode, jobs: int
) -> Iterator[tuple[FileResult, str | None]]:
    if jobs <= 1 or len(jobs_todo) < 4:
        for path, lint in jobs_todo:
            yield process_file(path, lint, mode)
        return

    # Small chunks keep both workers busy to the end; large files go first.
    def size(job: Job) -> int:
        try:
            return os.path.getsize(job[0])
        except OSError:
            return 0

    ordered = sorted(jobs_todo, key=size, reverse=True)
    chunk = max(1, min(16, len(ordered) // (jobs * 8)))
    batches = [ordered[i : i + chunk] for i in range(0, len(ordered), chunk)]
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    unfinished: list[Job] = []
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_pool_context(),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        futures = {pool.submit(_worker, batch, mode): batch for batch in batches}
        for future in as_completed(futures):
            try:
                results = future.result()
            except BrokenProcessPool:  # a worker died (a crash in native code, the OOM killer)
                unfinished.extend(futures[future])
                continue
            yield from results
    if unfinished:
        yield from _one_by_one(unfinished, mode, jobs)


def _one_by_one(paths: list[Job], mode: Mode, jobs: int) -> Iterator[tuple[FileResult, str | None]]:
    """Re-run files whose worker died, in lanes that report each file as it is done.

    When a lane dies, the file it was on is reported as not checked and a new lane takes
    the files after it: every other file still gets its results.
    """
    from multiprocessing.connection import wait

    context = _pool_context()
    lanes: dict[Connection, tuple[BaseProcess, list[Job]]] = {}

    def start(batch: list[Job]) -> None:
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(  # type: ignore[attr-defined]
            target=_lane,
            args=(batch, mode, os.getpid(), writer),
            daemon=True,
        )
        process.start()
        writer.close()
        lanes[reader] = (process, batch)

    size = -(-len(paths) // max(1, min(jobs, len(paths))))
    for i in range(0, len(paths), size):
        start(paths[i : i + size])
    while lanes:
        for ready in wait(list(lanes)):
            reader = cast("Connection", ready)
            process, batch = lanes[reader]
            try:
                result, digest = cast("tuple[FileResult, str | None]", reader.recv())
            except EOFError:
                del lanes[reader]
                reader.close()
                process.join()
                if batch:
                    yield FileResult(batch[0][0], error=_death(process.exitcode)), None
                    if batch[1:]:
                        start(batch[1:])
                continue
            batch.pop(0)
            yield result, digest


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        import signal

        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"internal error: the process checking this file died ({name})"
    return f"internal error: the process checking this file exited with code {exitcode}"
