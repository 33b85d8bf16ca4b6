"""Pillar 3, concurrency: bounded fan-out, blocking calls off the event loop.

Rules ML301-ML305 point here. Standard library only.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from typing import Any, ParamSpec, TypeVar

__all__ = ["amap", "gather_bounded", "run_in_thread", "run_sync", "to_thread"]

T = TypeVar("T")
A = TypeVar("A")
P = ParamSpec("P")

AwaitableOrFactory = Awaitable[T] | Callable[[], Awaitable[T]]
Worker = Callable[[], Coroutine[Any, Any, None]]


async def gather_bounded(aws: Iterable[AwaitableOrFactory[T]], limit: int) -> list[T]:
    """Await ``aws`` with at most ``limit`` running at once; results in input order.

    Items are awaitables or zero-argument factories returning one; prefer factories
    (``functools.partial(fetch, url)``): a coroutine is then created only when a slot
    is free. ``limit`` workers pull from the input, so a long input costs no more than
    ``limit`` tasks. The first error cancels the rest and is raised as is (not wrapped
    in an ExceptionGroup); coroutines never started are closed.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    pending: Iterator[tuple[int, AwaitableOrFactory[T]]] = enumerate(aws)
    results: dict[int, T] = {}

    async def worker() -> None:
        for index, item in pending:
            awaitable = item if inspect.isawaitable(item) else item()
            results[index] = await awaitable

    try:
        await _run_workers(worker, limit)
    finally:
        for _, item in pending:
            if inspect.iscoroutine(item):
                item.close()
    return [results[index] for index in range(len(results))]


if sys.version_info >= (3, 11):

    async def _run_task_group(worker: Worker, limit: int) -> None:
        """Run ``limit`` workers in a TaskGroup; re-raise the first failure unwrapped."""
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(limit):
                    group.create_task(worker())
        except BaseExceptionGroup as failures:  # noqa: F821 (a builtin on 3.11+)
            raise failures.exceptions[0] from None


async def _run_wait_first_exception(worker: Worker, limit: int) -> None:
    """The Python 3.10 fallback: ``asyncio.wait(FIRST_EXCEPTION)``, then cancel the rest."""
    tasks = [asyncio.ensure_future(worker()) for _ in range(limit)]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if not task.cancelled() and (error := task.exception()) is not None:
            raise error


async def _run_workers(worker: Worker, limit: int) -> None:
    """TaskGroup on Python 3.11+, the ``asyncio.wait`` fallback on 3.10."""
    if sys.version_info >= (3, 11):
        await _run_task_group(worker, limit)
    else:  # pragma: no cover - the tests run the fallback directly on 3.11
        await _run_wait_first_exception(worker, limit)


async def amap(fn: Callable[[A], Awaitable[T]], items: Iterable[A], limit: int) -> list[T]:
    """``[await fn(x) for x in items]`` with at most ``limit`` calls in flight, in input order."""
    return await gather_bounded((functools.partial(fn, item) for item in items), limit)


async def to_thread(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call (``model.generate``, ``requests.get``) in a worker thread.

    ``asyncio.to_thread`` under a name that says why: the event loop keeps serving
    other requests meanwhile. Torch ops release the GIL, so this overlaps real work.
    """
    return await asyncio.to_thread(fn, *args, **kwargs)


def run_in_thread(fn: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Decorate a blocking function into an ``async`` one that runs it in a worker thread."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    return wrapper


def run_sync(main: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from synchronous code: once, at the top level (``main``, a CLI, a script).

    Raises ``RuntimeError`` when called while an event loop is running in this thread:
    there, ``await`` the coroutine instead; blocking the loop to wait for it would
    deadlock or stall every other task.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main)
    main.close()
    raise RuntimeError(
        "run_sync() called from inside a running event loop; `await` the coroutine instead"
    )
