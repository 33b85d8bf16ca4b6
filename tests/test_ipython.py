"""`%load_ext mlint` in a real IPython shell: cells run, diagnostics printed under them."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ROOT

pytest.importorskip("IPython")

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

MODEL_CELL = """\
import torch.nn as nn


class Net(nn.Module):
    def forward(self, x):
        return x
"""
CALL_CELL = "net = Net()\nx = 1\nout = net.forward(x)"


@pytest.fixture
def shell(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InteractiveShell]:
    """A fresh shell; `torch` is a stub (the cells run for real, torch's import time is not
    what is tested)."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path_factory.mktemp("ipython")))
    monkeypatch.chdir(tmp_path_factory.mktemp("work"))
    nn = types.ModuleType("torch.nn")
    nn.Module = object  # type: ignore[attr-defined]
    torch = types.ModuleType("torch")
    torch.nn = nn  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch.nn", nn)
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell(config=config)
    yield shell
    shell.run_line_magic("unload_ext", "mlint")


def run(shell: InteractiveShell, cell: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    result = shell.run_cell(cell, store_history=True)
    assert result.error_before_exec is None or isinstance(result.error_before_exec, SyntaxError)
    return capsys.readouterr().out


def test_a_cell_is_linted_with_the_earlier_cells_and_the_report_printed_under_it(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, MODEL_CELL, capsys)  # before the extension: still context
    assert run(shell, "%load_ext mlint", capsys) == ""
    run(shell, "%mlint select ML5", capsys)  # ML501, the sample rule here, is opt-in
    out = run(shell, CALL_CELL, capsys)
    assert out.splitlines() == [
        "mlint: 1 problem in this cell",
        (
            "  line 3, col 7: ML501 [*] Call the module instead of `net.forward()`: "
            "forward hooks are skipped"
        ),
        "    | out = net.forward(x)",
        "    |       ^^^^^^^^^^^^^^",
    ]
    assert shell.user_ns["out"] == 1  # the cell itself ran as usual


def test_without_the_cell_that_defines_the_module_nothing_is_reported(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "%load_ext mlint", capsys)
    run(shell, "%mlint select ML5", capsys)  # ML501, the sample rule here, is opt-in
    run(shell, "class Net:\n    def forward(self, x):\n        return x", capsys)
    assert run(shell, CALL_CELL, capsys) == ""


def test_on_off_and_select(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    run(shell, "%load_ext mlint", capsys)
    run(shell, "%mlint select ML5", capsys)  # ML501, the sample rule here, is opt-in
    run(shell, MODEL_CELL, capsys)
    assert run(shell, "%mlint off", capsys).startswith("mlint is off")
    assert run(shell, CALL_CELL, capsys) == ""
    assert run(shell, "%mlint on", capsys).startswith("mlint is on")
    assert "ML501" in run(shell, CALL_CELL, capsys)

    assert "select ML2" in run(shell, "%mlint select ML2", capsys)
    assert run(shell, CALL_CELL, capsys) == ""
    assert "select ML5,ML2" in run(shell, "%mlint select ML5, ML2", capsys)
    assert "ML501" in run(shell, CALL_CELL, capsys)
    assert run(shell, "%mlint select XX9", capsys).strip() == (
        "mlint: %mlint select: unknown rule selector `XX9`"
    )
    assert "ML501" in run(shell, CALL_CELL, capsys)  # the last good selection stays
    status = run(shell, "%mlint ignore ML501", capsys)
    assert status.startswith("mlint is on (select ML5,ML2; ignore ML501;")
    assert run(shell, CALL_CELL, capsys) == ""
    assert run(shell, "%mlint frobnicate", capsys).startswith("usage: %mlint")


def test_a_cell_with_a_syntax_error_is_left_to_python_and_is_no_context(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "%load_ext mlint", capsys)
    run(shell, "%mlint select ML5", capsys)  # ML501, the sample rule here, is opt-in
    run(shell, MODEL_CELL, capsys)
    out = run(shell, "def broken(:", capsys)
    assert "mlint" not in out
    assert "ML501" in run(shell, CALL_CELL, capsys)  # the broken cell did not poison the rest


def test_notebook_front_ends_get_html(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(
        shell.display_pub, "publish", lambda data, *args, **kwargs: published.append(data)
    )
    run(shell, "%load_ext mlint", capsys)
    run(shell, "%mlint select ML5", capsys)  # ML501, the sample rule here, is opt-in
    run(shell, MODEL_CELL, capsys)
    run(shell, CALL_CELL, capsys)
    [bundle] = published
    assert bundle["text/plain"].startswith("mlint: 1 problem in this cell")
    page = bundle["text/html"]
    assert "ML501" in page and "rules/ML501.md" in page
    assert "Call the module instead of `net.forward()`" in page
    assert "net.forward(x)" in page


def test_import_mlint_stays_light() -> None:
    code = (
        "import sys, mlint; "
        "print(sorted(m for m in ('IPython', 'libcst', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.strip() == "[]"
    assert callable(__import__("mlint").load_ipython_extension)
