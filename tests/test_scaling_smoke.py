"""``benchmarks/scaling.py`` builds a valid synthetic file and prints its table; nothing is timed."""

from __future__ import annotations

import ast
import importlib.util
import sys
from types import ModuleType

import pytest

from tests.conftest import ROOT


def _scaling() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scaling", ROOT / "benchmarks" / "scaling.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["scaling"] = module
    spec.loader.exec_module(module)
    return module


def test_synthetic_file_parses_and_reaches_the_size() -> None:
    text = _scaling().synthetic_source(400)
    ast.parse(text)
    assert text.count("\n") >= 400


def test_prints_one_row_per_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert _scaling().main(["--sizes", "150"]) == 0
    out = capsys.readouterr().out
    assert "| lines | libcst parse (s) |" in out
    assert "Target:" in out
