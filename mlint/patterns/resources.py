"""Pillar 2, resources: context managers that always put things back.

Rules ML201-ML207 point here. torch is imported when a context is entered, never at
import time; ``cuda_timer`` and ``cuda_memory_scope`` work without CUDA (and
``cuda_timer`` without torch).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    import torch
    from torch import nn

__all__ = [
    "MemoryReport",
    "SupportsClose",
    "TimerResult",
    "cuda_memory_scope",
    "cuda_timer",
    "eval_mode",
    "grad_mode",
    "inference",
    "managed",
    "train_mode",
]

M = TypeVar("M", bound="nn.Module")


class SupportsClose(Protocol):
    def close(self) -> object: ...


C = TypeVar("C", bound=SupportsClose)


@contextmanager
def train_mode(model: M, mode: bool = True) -> Iterator[M]:
    """Put ``model`` (and all submodules) in train or eval mode, then restore each one's flag.

    Restores per submodule, so a model with deliberately frozen parts (say, BatchNorm
    kept in eval) comes back exactly as it was, also when the block raises.
    """
    saved = [(module, module.training) for module in model.modules()]
    model.train(mode)
    try:
        yield model
    finally:
        for module, was_training in saved:
            module.training = was_training


def eval_mode(model: M) -> AbstractContextManager[M]:
    """``train_mode(model, False)``: eval mode for the block, previous modes after it."""
    return train_mode(model, False)


@contextmanager
def grad_mode(enabled: bool) -> Iterator[None]:
    """Enable or disable autograd for the block and restore the previous setting after it."""
    import torch

    previous = torch.is_grad_enabled()
    torch.set_grad_enabled(enabled)
    try:
        yield
    finally:
        torch.set_grad_enabled(previous)


@contextmanager
def inference(model: M, *, inference_mode: bool = True) -> Iterator[M]:
    """Run ``model`` for inference: eval mode and ``torch.inference_mode()`` for the block.

    On exit (also on an exception) every submodule's train/eval flag and the grad mode
    are restored. Pass ``inference_mode=False`` to use ``torch.no_grad()`` when the
    outputs must later take part in autograd (inference tensors cannot).
    """
    import torch

    no_grad = torch.inference_mode() if inference_mode else torch.no_grad()
    with train_mode(model, False), no_grad:
        yield model


@dataclass
class TimerResult:
    """What ``cuda_timer`` measured; ``elapsed_ms`` is NaN until the block has exited."""

    device: str
    elapsed_ms: float = math.nan


def _cuda_device(device: int | str | torch.device | None) -> torch.device | None:
    """The CUDA device to time on, or None when torch or CUDA is unavailable."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    resolved = torch.device("cuda") if device is None else torch.device(device)
    return resolved if resolved.type == "cuda" else None


@contextmanager
def cuda_timer(device: int | str | torch.device | None = None) -> Iterator[TimerResult]:
    """Time the block in milliseconds; kernels are launched asynchronously, so time them right.

    With CUDA: synchronize, record a start event, run, record a stop event, synchronize,
    read ``start.elapsed_time(stop)``. Without CUDA (or torch): ``time.perf_counter``.
    """
    cuda = _cuda_device(device)
    if cuda is None:
        result = TimerResult(device="cpu")
        start = time.perf_counter()
        try:
            yield result
        finally:
            result.elapsed_ms = (time.perf_counter() - start) * 1000.0
        return

    import torch

    result = TimerResult(device=str(cuda))
    begin = torch.cuda.Event(enable_timing=True)  # type: ignore[no-untyped-call]
    end = torch.cuda.Event(enable_timing=True)  # type: ignore[no-untyped-call]
    with torch.cuda.device(cuda):
        torch.cuda.synchronize()
        begin.record()
        try:
            yield result
        finally:
            end.record()
            torch.cuda.synchronize()
            result.elapsed_ms = begin.elapsed_time(end)


@dataclass
class MemoryReport:
    """What ``cuda_memory_scope`` measured (bytes); zeros and ``cuda=False`` without CUDA."""

    device: str
    cuda: bool
    start_allocated: int = 0
    peak_allocated: int = 0
    end_allocated: int = 0
    released_cached: int = 0


@contextmanager
def cuda_memory_scope(
    device: int | str | torch.device | None = None,
) -> Iterator[MemoryReport]:
    """Record the peak CUDA memory of the block, then release cached blocks once, at the end.

    ``torch.cuda.empty_cache()`` in a loop forces the allocator to go back to the driver
    on every iteration; calling it once when a phase ends returns memory to other
    processes without slowing the phase down.
    """
    cuda = _cuda_device(device)
    if cuda is None:
        yield MemoryReport(device="cpu", cuda=False)
        return

    import torch

    report = MemoryReport(device=str(cuda), cuda=True)
    torch.cuda.synchronize(cuda)
    torch.cuda.reset_peak_memory_stats(cuda)
    report.start_allocated = torch.cuda.memory_allocated(cuda)
    try:
        yield report
    finally:
        torch.cuda.synchronize(cuda)
        report.peak_allocated = torch.cuda.max_memory_allocated(cuda)
        report.end_allocated = torch.cuda.memory_allocated(cuda)
        reserved = torch.cuda.memory_reserved(cuda)
        with torch.cuda.device(cuda):
            torch.cuda.empty_cache()
        report.released_cached = reserved - torch.cuda.memory_reserved(cuda)


@contextmanager
def managed(resource: C) -> Iterator[C]:
    """Yield ``resource`` and call its ``close()`` on exit, also on an exception.

    For objects with ``close()`` but no ``__exit__`` (writers, loggers, pools, clients);
    typed like ``contextlib.closing`` but keeps the resource's own type.
    """
    try:
        yield resource
    finally:
        resource.close()
