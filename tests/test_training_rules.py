"""Training and data-correctness rules (ML6xx): behaviour the per-rule fixtures cannot show."""

from __future__ import annotations

import json

from mlint.notebook import lint_notebook
from mlint.testing import settings_for


def _notebook(*sources: str) -> str:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": source.splitlines(keepends=True),
        }
        for source in sources
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _ml607(text: str) -> list[tuple[int | None, int]]:
    result = lint_notebook(text, "analysis.ipynb", settings_for("ML607"), "check")
    return [(d.cell, d.start.line) for d in result.diagnostics if d.code == "ML607"]


def test_last_expression_of_a_notebook_cell_is_a_display_not_a_discarded_result() -> None:
    text = _notebook(
        'import pandas as pd\ndf = pd.read_csv("train.csv")\n',
        "df.dropna()\n",  # displayed: the cell's only expression
        "df.fillna(0)\nprint(df.shape)\n",  # discarded: not the last statement
        "df.drop(columns=['id'])\n# a comment after it\n",  # displayed: comments do not count
        "df.reset_index();\n",  # a trailing `;` hides the display: discarded
    )
    assert _ml607(text) == [(3, 1), (5, 1)]


def test_the_same_code_as_a_script_reports_every_discarded_result() -> None:
    from mlint.engine import lint_source

    source = 'import pandas as pd\ndf = pd.read_csv("train.csv")\ndf.dropna()\n'
    diagnostics = lint_source(source, "clean.py", settings_for("ML607"))
    assert [(d.code, d.start.line) for d in diagnostics if d.code == "ML607"] == [("ML607", 3)]
