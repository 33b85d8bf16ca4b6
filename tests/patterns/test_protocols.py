"""Datasets and modules the way torch expects them, and why ML501 exists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mlint.patterns.protocols import MapDataset, Pipeline

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader

from mlint.patterns.protocols import MLP, StreamDataset, module_example

N = 40


class Squares(MapDataset[Any]):
    def __len__(self) -> int:
        return N

    def __getitem__(self, index: int) -> Any:
        return torch.tensor([index, index * index])


class Numbers(StreamDataset[Any]):
    def iter_items(self) -> Iterator[Any]:
        for i in range(N):
            yield torch.tensor(i)


def test_bases_enforce_the_protocol_at_construction() -> None:
    class NoGetItem(MapDataset[int]):
        def __len__(self) -> int:
            return 0

    class NoItems(StreamDataset[int]):
        pass

    with pytest.raises(TypeError, match="abstract"):
        NoGetItem()  # type: ignore[abstract]
    with pytest.raises(TypeError, match="abstract"):
        NoItems()  # type: ignore[abstract]


def test_dataloader_batches_and_shuffles_a_map_dataset_across_workers() -> None:
    loader = DataLoader(
        Squares(),
        batch_size=8,
        shuffle=True,
        num_workers=2,
        generator=torch.Generator().manual_seed(0),
    )
    batches = list(loader)
    assert [tuple(b.shape) for b in batches] == [(8, 2)] * 5
    order = torch.cat(batches)[:, 0].tolist()
    assert sorted(order) == list(range(N))
    assert order != list(range(N))


def test_stream_dataset_is_sharded_across_workers_without_duplicates() -> None:
    seen = torch.cat(list(DataLoader(Numbers(), batch_size=4, num_workers=2))).tolist()
    assert sorted(seen) == list(range(N))
    # Without sharding each worker would replay the whole stream.
    assert len(seen) == N
    assert [int(x) for x in Numbers()] == list(range(N))  # outside a worker: everything


def test_calling_a_module_runs_hooks_and_forward_does_not() -> None:
    """Why ML501 exists: `model.forward(x)` silently skips every hook."""
    model = module_example()
    assert isinstance(model, MLP)
    calls: list[str] = []
    model.register_forward_pre_hook(lambda module, args: calls.append("pre"))
    model.register_forward_hook(lambda module, args, out: calls.append("post"))
    x = torch.ones(3, 4)

    out_call = model(x)
    assert calls == ["pre", "post"]
    out_forward = model.forward(x)  # noqa: ML501 (the point of this test)
    assert calls == ["pre", "post"]  # unchanged: no hook ran
    torch.testing.assert_close(out_call, out_forward)


def test_module_registers_submodules_buffers_and_parameters() -> None:
    model = MLP([4, 8, 8, 2])
    assert len(model.layers) == 3
    names = set(model.state_dict())
    assert {"layers.0.weight", "layers.2.bias", "input_scale"} <= names
    assert "input_scale" not in dict(model.named_parameters())
    assert sum(p.numel() for p in model.parameters()) == (4 * 8 + 8) + (8 * 8 + 8) + (8 * 2 + 2)
    with pytest.raises(ValueError, match="at least an input and an output"):
        MLP([4])


def test_a_plain_list_hides_layers_from_the_optimizer() -> None:
    """The contrast for ML503: without nn.ModuleList nothing is registered."""

    class ListNet(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.layers = [torch.nn.Linear(4, 4)]

    assert list(ListNet().parameters()) == []
    assert len(list(MLP([4, 4]).parameters())) == 2


def test_pipeline_is_a_plain_callable_object() -> None:
    normalize = Pipeline[str]((str.strip, str.lower))
    assert normalize("  Hello ") == "hello"
    assert Pipeline[int](())(3) == 3
