"""Rules in notebooks: cell boundaries are scope boundaries, messages name cell-relative lines."""

from __future__ import annotations

import json

from mlint.notebook import lint_notebook
from mlint.types import LintSettings


def _notebook(*sources: str) -> str:
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": source} for source in sources
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _check(text: str, code: str) -> list[tuple[int | None, int, str]]:
    settings = LintSettings(enabled=frozenset({code}), fixable=frozenset())
    result = lint_notebook(text, "nb.ipynb", settings, "check")
    return [(d.cell, d.start.line, d.message) for d in result.diagnostics if d.code == code]


def test_toggle_and_undo_in_two_cells_are_not_paired() -> None:
    # eval in one cell, train in a later one, with the model rebuilt in between.
    text = _notebook(
        "model.eval()\npreds = model(x)\n",
        "model = build()\nfit(model)\nmodel.train()\n",
    )
    assert _check(text, "ML203") == []
    # Joined, these cells parse as one function body; no `try` could span them.
    text = _notebook(
        "def run(model, x):\n    model.eval()\n    out = model(x)\n",
        "    show(out)\n    model.train()\n",
    )
    assert _check(text, "ML203") == []


def test_message_cites_the_line_within_the_cell() -> None:
    text = _notebook(
        "import torch\nx = 1\ny = 2\n",
        "def validate(model, loader):\n    model.eval()\n    loss = evaluate(model, loader)\n"
        "    model.train()\n    return loss\n",
    )
    [(cell, line, message)] = _check(text, "ML203")
    assert (cell, line) == (2, 2)
    assert "on cell 2, line 4 " in message
    assert "line 7" not in message


def test_clock_reads_in_two_cells_are_not_paired() -> None:
    text = _notebook(
        "import time\nimport torch\nstart = time.time()\n",
        "x = torch.ones(3).cuda()\ny = x * 2\nend = time.time()\n",
    )
    assert _check(text, "ML204") == []


def test_single_inference_helper_in_a_notebook_is_not_reported() -> None:
    helper = "def infer(model, x):\n    model.eval()\n    return model(x)\n"
    loop = "def score(model, loader):\n    model.eval()\n    return [model(b) for b in loader]\n"
    assert _check(_notebook(helper), "ML201") == []
    [(cell, line, _)] = _check(_notebook("import torch\n", loop), "ML201")
    assert (cell, line) == (2, 3)
