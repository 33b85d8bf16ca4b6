"""gather_bounded and friends: ordering, the bound, fail-fast cancellation (no timing asserts)."""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

from mlint.patterns import concurrency
from mlint.patterns.concurrency import (
    amap,
    gather_bounded,
    run_in_thread,
    run_sync,
    to_thread,
)


@pytest.fixture(
    params=["task_group", "wait_first_exception"], ids=["3.11-taskgroup", "3.10-fallback"]
)
def runner(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every test against both the TaskGroup path and the Python 3.10 fallback."""
    if request.param == "wait_first_exception":
        monkeypatch.setattr(concurrency, "_run_task_group", concurrency._run_wait_first_exception)
    return str(request.param)


class InFlight:
    """Counts concurrent calls of a fake I/O function."""

    def __init__(self) -> None:
        self.now = 0
        self.max = 0
        self.cancelled = 0
        self.started = 0

    async def call(self, value: int, delay: float = 0.01) -> int:
        self.started += 1
        self.now += 1
        self.max = max(self.max, self.now)
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.now -= 1
        return value * 10


@pytest.mark.usefixtures("runner")
@pytest.mark.parametrize("limit", [1, 5, 20])
def test_bound_is_respected_and_results_keep_input_order(limit: int) -> None:
    probe = InFlight()
    # Later items finish first, so completion order is the reverse of input order.
    factories = [functools.partial(probe.call, i, 0.001 * (20 - i)) for i in range(20)]
    results = asyncio.run(gather_bounded(factories, limit=limit))
    assert results == [i * 10 for i in range(20)]
    assert probe.max == limit


@pytest.mark.usefixtures("runner")
def test_accepts_coroutines_and_factories_and_empty_input() -> None:
    probe = InFlight()
    mixed: list[Any] = [probe.call(1), functools.partial(probe.call, 2), probe.call(3)]
    assert asyncio.run(gather_bounded(mixed, limit=2)) == [10, 20, 30]
    assert asyncio.run(gather_bounded([], limit=3)) == []


@pytest.mark.usefixtures("runner")
def test_factories_are_called_only_when_a_slot_is_free() -> None:
    probe = InFlight()
    created: list[int] = []

    def factories() -> Iterator[Callable[[], Coroutine[Any, Any, int]]]:
        for i in range(10):
            created.append(i)
            assert len(created) - probe.started <= 3, "input consumed ahead of the bound"
            yield functools.partial(probe.call, i)

    assert len(asyncio.run(gather_bounded(factories(), limit=3))) == 10


@pytest.mark.usefixtures("runner")
def test_first_error_cancels_the_rest_and_propagates_unwrapped() -> None:
    probe = InFlight()

    async def boom() -> int:
        await asyncio.sleep(0.01)
        raise ValueError("upstream 500")

    slow = [probe.call(i, 30.0) for i in range(9)]  # would take 30 s if not cancelled
    calls: list[Any] = [*slow[:4], boom(), *slow[4:]]
    with pytest.raises(ValueError, match="upstream 500"):
        asyncio.run(gather_bounded(calls, limit=5))
    assert probe.cancelled == 4  # the four running alongside boom()
    # The five never started were closed, not left to warn "never awaited".
    assert all(inspect.getcoroutinestate(c) == inspect.CORO_CLOSED for c in calls)


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limit must be >= 1"):
        asyncio.run(gather_bounded([], limit=0))


def test_amap_keeps_order_and_bound() -> None:
    probe = InFlight()
    assert asyncio.run(amap(probe.call, range(12), limit=4)) == [i * 10 for i in range(12)]
    assert probe.max == 4


def test_blocking_calls_run_off_the_event_loop_thread() -> None:
    loop_thread = threading.get_ident()

    def blocking_predict(x: int, *, scale: int) -> tuple[int, int]:
        return x * scale, threading.get_ident()

    async def main() -> list[tuple[int, int]]:
        wrapped = run_in_thread(blocking_predict)
        return [
            await to_thread(blocking_predict, 2, scale=3),
            await wrapped(4, scale=5),
        ]

    (a, thread_a), (b, thread_b) = run_sync(main())
    assert (a, b) == (6, 20)
    assert loop_thread not in (thread_a, thread_b)
    assert run_in_thread(blocking_predict).__name__ == "blocking_predict"


def test_run_sync_refuses_to_nest_inside_a_running_loop() -> None:
    async def inner() -> int:
        return 1

    async def outer() -> None:
        coro = inner()
        with pytest.raises(RuntimeError, match="await"):
            run_sync(coro)
        assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED

    asyncio.run(outer())
    assert run_sync(inner()) == 1
