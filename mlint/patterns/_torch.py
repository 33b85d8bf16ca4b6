"""The torch-based classes of ``mlint.patterns.protocols``; imports torch, so load lazily."""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import TypeVar

import torch
from torch import nn
from torch.utils.data import IterableDataset

from mlint.patterns.protocols import shard_for_worker

T_co = TypeVar("T_co", covariant=True)


class StreamDataset(IterableDataset[T_co], abc.ABC):
    """An iterable-style dataset that shards itself across DataLoader workers.

    Subclasses implement ``iter_items`` (the whole stream); ``__iter__`` hands each
    worker every ``num_workers``-th item, so no sample is duplicated. For large
    sources shard the list of files instead of the records, so workers skip no I/O.
    """

    @abc.abstractmethod
    def iter_items(self) -> Iterator[T_co]:
        """Yield every item of the stream, in order."""

    def __iter__(self) -> Iterator[T_co]:
        return shard_for_worker(self.iter_items())


class MLP(nn.Module):
    """A minimal ``nn.Module`` done right: ``super().__init__()`` first, submodules in
    ``nn.ModuleList``, constant tensors as buffers, logic in ``forward``.

    Call it as ``model(x)``, never ``model.forward(x)``: only ``__call__`` runs hooks.
    """

    input_scale: torch.Tensor

    def __init__(self, sizes: Sequence[int], dropout: float = 0.0) -> None:
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least an input and an output size, got {sizes!r}")
        # First: nn.Module.__setattr__ needs the parameter/module registries this creates.
        super().__init__()
        # A plain list would hide the layers from .parameters(), .to() and state_dict().
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in pairwise(sizes))
        self.dropout = nn.Dropout(dropout)
        # A buffer follows .to(device) and is saved, but is not trained.
        self.register_buffer("input_scale", torch.ones(sizes[0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x * self.input_scale
        *hidden, last = self.layers
        for layer in hidden:
            x = self.dropout(torch.relu(layer(x)))
        out: torch.Tensor = last(x)
        return out
