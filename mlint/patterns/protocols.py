"""Pillar 5, protocols: datasets, modules and callables the way their frameworks expect.

Rules ML501-ML507 point here. ``MapDataset``, ``Pipeline`` and ``shard_for_worker``
are plain Python. ``StreamDataset`` and ``MLP`` subclass torch classes, so they live in
``mlint.patterns._torch`` and are built on first attribute access: importing this
module never imports torch.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from mlint.patterns._torch import MLP, StreamDataset

__all__ = [
    "MLP",
    "MapDataset",
    "Pipeline",
    "StreamDataset",
    "module_example",
    "shard_for_worker",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

_TORCH_NAMES = frozenset({"MLP", "StreamDataset"})


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        from mlint.patterns import _torch

        return getattr(_torch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def module_example(sizes: Sequence[int] = (4, 8, 2)) -> MLP:
    """Build the reference ``nn.Module`` (``MLP``); call the result as ``model(x)``.

    A factory so that rule docs can link one stable name without importing torch
    until it is called.
    """
    from mlint.patterns._torch import MLP

    return MLP(sizes)


class MapDataset(abc.ABC, Generic[T_co]):
    """A map-style dataset: ``__len__`` and ``__getitem__`` are required (abstract).

    Structurally a ``torch.utils.data.Dataset``; ``DataLoader`` needs nothing more, so
    this base does not import torch. Instantiating a subclass that lacks either method
    raises ``TypeError`` at construction instead of deep inside a DataLoader worker.
    """

    @abc.abstractmethod
    def __len__(self) -> int:
        """Return the number of samples."""

    @abc.abstractmethod
    def __getitem__(self, index: int) -> T_co:
        """Return sample ``index``; load it here, not in ``__init__``."""


def shard_for_worker(items: Iterable[T]) -> Iterator[T]:
    """Yield only this DataLoader worker's share of ``items`` (every n-th, by worker id).

    Without it every worker of an ``IterableDataset`` yields the full stream and each
    sample appears ``num_workers`` times. Also splits across ``torch.distributed``
    ranks when a process group is initialised. Outside a worker it yields everything.
    """
    from torch.utils.data import get_worker_info

    shard, shards = 0, 1
    info = get_worker_info()
    if info is not None:
        shard, shards = info.id, info.num_workers
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        shard = dist.get_rank() * shards + shard
        shards = dist.get_world_size() * shards
    return itertools.islice(items, shard, None, shards)


@dataclass(frozen=True)
class Pipeline(Generic[T]):
    """A callable object for non-torch pipelines: ``Pipeline((strip, lower))(text)``.

    Plain Python classes define ``__call__``; ``nn.Module`` subclasses define
    ``forward`` instead and are called as ``module(x)``, so their hooks run.
    """

    steps: tuple[Callable[[T], T], ...]

    def __call__(self, value: T) -> T:
        for step in self.steps:
            value = step(value)
        return value
