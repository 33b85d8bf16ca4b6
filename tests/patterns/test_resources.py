"""Context managers put model mode, grad mode and resources back, also after an error."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest

from mlint.patterns.resources import (
    cuda_memory_scope,
    cuda_timer,
    eval_mode,
    grad_mode,
    inference,
    managed,
    train_mode,
)


class Boom(Exception):
    pass


def test_cuda_timer_falls_back_to_wall_time_without_cuda() -> None:
    with cuda_timer("cpu") as timing:
        time.sleep(0.02)
    assert timing.device == "cpu"
    assert 15 <= timing.elapsed_ms < 2000
    with pytest.raises(Boom), cuda_timer() as failed:
        raise Boom
    assert failed.elapsed_ms >= 0


def test_cuda_memory_scope_reports_nothing_without_cuda() -> None:
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("CPU fallback only; benchmarks/patterns_cuda_check.py covers CUDA")
    with cuda_memory_scope() as report:
        pass
    assert (report.cuda, report.device, report.peak_allocated) == (False, "cpu", 0)


class Closable:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_managed_closes_once_also_on_error() -> None:
    resource = Closable()
    with managed(resource) as same:
        assert same is resource
    assert resource.closed == 1
    with pytest.raises(Boom), managed(resource):
        raise Boom
    assert resource.closed == 2


@pytest.fixture
def model() -> Any:
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4), torch.nn.Dropout(0.5))
    net.train()
    net[1].eval()  # a deliberately frozen BatchNorm must stay frozen
    return net


def modes(net: Any) -> list[bool]:
    return [m.training for m in net.modules()]


@pytest.mark.parametrize("raises", [False, True], ids=["normal-exit", "exception"])
def test_inference_restores_modes_and_grad(model: Any, raises: bool) -> None:
    import torch

    before = modes(model)
    assert torch.is_grad_enabled()
    expected: AbstractContextManager[object] = pytest.raises(Boom) if raises else nullcontext()
    with expected, inference(model) as net:
        assert net is model
        assert not any(modes(net))
        assert torch.is_inference_mode_enabled() and not torch.is_grad_enabled()
        out = net(torch.ones(3, 4))
        assert not out.requires_grad
        if raises:
            raise Boom
    assert modes(model) == before == [True, True, False, True]
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()


def test_inference_with_no_grad_keeps_outputs_usable_by_autograd(model: Any) -> None:
    import torch

    with inference(model, inference_mode=False) as net:
        out = net(torch.ones(3, 4))
        assert not torch.is_inference_mode_enabled() and not torch.is_grad_enabled()
    assert not out.is_inference()


def test_train_and_eval_mode_restore_per_submodule(model: Any) -> None:
    before = modes(model)
    with train_mode(model) as net:
        assert all(modes(net))
    assert modes(model) == before
    with pytest.raises(Boom), eval_mode(model) as net:
        assert not any(modes(net))
        raise Boom
    assert modes(model) == before


@pytest.mark.parametrize("enabled", [False, True])
def test_grad_mode_restores_the_previous_setting(enabled: bool) -> None:
    torch = pytest.importorskip("torch")
    for outer in (True, False):
        torch.set_grad_enabled(outer)
        try:
            with pytest.raises(Boom), grad_mode(enabled):
                assert torch.is_grad_enabled() is enabled
                raise Boom
            assert torch.is_grad_enabled() is outer
        finally:
            torch.set_grad_enabled(True)
