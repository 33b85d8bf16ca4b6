"""Advice fits the flagged shape (issue 11 §6)."""

from __future__ import annotations

from mlint.engine import lint_source
from mlint.testing import settings_for


def _messages(code: str, source: str) -> list[str]:
    return [
        d.message for d in lint_source(source, "advice.py", settings_for(code)) if d.code == code
    ]


def test_dataframe_append_in_a_loop_says_it_was_removed_in_pandas_2() -> None:
    source = (
        "import pandas as pd\n"
        "\n"
        "def rows(records):\n"
        "    df = pd.DataFrame()\n"
        "    for record in records:\n"
        "        df = df.append(record, ignore_index=True)\n"
        "    return df\n"
    )
    [message] = _messages("ML104", source)
    assert "removed in pandas 2.0" in message


def test_concatenation_advice_does_not_mention_pandas() -> None:
    source = (
        "import numpy as np\n"
        "\n"
        "def grow(chunks):\n"
        "    values = np.array([])\n"
        "    for chunk in chunks:\n"
        "        values = np.append(values, chunk)\n"
        "    return values\n"
    )
    [message] = _messages("ML104", source)
    assert "pandas" not in message
