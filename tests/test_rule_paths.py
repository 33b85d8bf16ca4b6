"""Behaviour that depends on where a file lives, which fixture folders cannot express."""

from __future__ import annotations

import pytest

from mlint.engine import lint_source
from mlint.testing import settings_for

TEST_FUNCTION = """\
import torch
from torch import nn


def test_classifier_shapes():
    net = nn.Linear(4, 2)
    assert net(torch.zeros(1, 4)).shape == (1, 2)


def test_classifier_in_eval_mode():
    net = nn.Linear(4, 2)
    net.eval()
    assert net(torch.zeros(1, 4)).shape == (1, 2)
"""


def _ml201_lines(path: str) -> list[int]:
    return [
        d.start.line
        for d in lint_source(TEST_FUNCTION, path, settings_for("ML201"))
        if d.code == "ML201"
    ]


@pytest.mark.parametrize("path", ["tests/test_model.py", "pkg/model_test.py", "conftest.py"])
def test_test_files_are_not_reported_even_when_they_call_eval(path: str) -> None:
    # A test's forward on toy inputs: autograd costs nothing measurable (real-world round).
    assert _ml201_lines(path) == []


def test_outside_tests_both_test_functions_are_inference_entries() -> None:
    assert _ml201_lines("src/model.py") == [7, 13]
