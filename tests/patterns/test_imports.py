"""Importing a pattern module must stay light: no torch, numpy or pandas."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import mlint.patterns
from mlint.patterns import PATTERNS, resolve

HEAVY = ("torch", "numpy", "pandas")
MODULES = [
    "mlint.patterns",
    "mlint.patterns.lazy",
    "mlint.patterns.resources",
    "mlint.patterns.concurrency",
    "mlint.patterns.config",
    "mlint.patterns.protocols",
]


def _loaded_after_import(module: str) -> list[str]:
    code = (
        f"import sys, json; import {module}; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{HEAVY!r} or m.startswith('mlint.patterns.'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    loaded: list[str] = json.loads(out)
    return loaded


@pytest.mark.parametrize("module", MODULES)
def test_import_does_not_load_heavy_libraries(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []


def test_package_import_loads_no_submodule() -> None:
    assert _loaded_after_import("mlint.patterns") == []


def test_every_registered_pattern_resolves() -> None:
    for dotted in PATTERNS:
        if dotted.endswith((".MLP", ".StreamDataset", ".load_state_dict_mmap")):
            continue  # torch-backed; covered by test_protocols and test_lazy
        obj = resolve(dotted)
        assert callable(obj), dotted
        assert getattr(obj, "__doc__", None), f"{dotted} has no docstring"


def test_every_registered_pattern_is_exported_by_its_module() -> None:
    import importlib

    for dotted in PATTERNS:
        module_name, _, name = dotted.rpartition(".")
        assert name in importlib.import_module(module_name).__all__, dotted


def test_torch_patterns_resolve() -> None:
    pytest.importorskip("torch")
    for dotted in ("mlint.patterns.protocols.MLP", "mlint.patterns.protocols.StreamDataset"):
        assert isinstance(resolve(dotted), type)


def test_registry_summaries_are_one_line() -> None:
    assert all(s and "\n" not in s for s in PATTERNS.values())
    assert all(d.startswith("mlint.patterns.") for d in PATTERNS)


def test_resolve_reports_missing_names() -> None:
    with pytest.raises(LookupError, match="no pattern 'nope'"):
        resolve("mlint.patterns.lazy.nope")
    with pytest.raises(LookupError, match="no pattern module"):
        resolve("mlint.patterns.nope.thing")
    with pytest.raises(ValueError, match="not a dotted name"):
        resolve("iter_lines")
    assert mlint.patterns.__all__ == ["PATTERNS", "resolve"]
