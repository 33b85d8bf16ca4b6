"""Rule options set in `[tool.mlint.rules.MLxxx]` change what the rule reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlint.engine import lint_source
from mlint.settings import ConfigError, Overrides, resolve_settings

SOURCE = """\
config = {"lr": 1e-3, "batch_size": 32}
run_cfg = {"lr": 1e-3, "label_noise": 0.1, "teacher_temp": 4.0}
"""


def _ml401_lines(tmp_path: Path, table: str) -> list[int]:
    (tmp_path / "pyproject.toml").write_text(f"[tool.mlint]\nselect = ['ML401']\n{table}")
    settings = resolve_settings(None, Overrides(), search_from=tmp_path)
    diagnostics = lint_source(SOURCE, str(tmp_path / "train.py"), settings.lint)
    return [d.start.line for d in diagnostics if d.code == "ML401"]


def test_ml401_defaults_need_three_keys_and_two_known_words(tmp_path: Path) -> None:
    assert _ml401_lines(tmp_path, "") == []


def test_ml401_min_keys_from_config_file(tmp_path: Path) -> None:
    assert _ml401_lines(tmp_path, "[tool.mlint.rules.ML401]\nmin-keys = 2\n") == [1]


def test_ml401_extra_hyperparameter_words_from_config_file(tmp_path: Path) -> None:
    table = "[tool.mlint.rules.ML401]\nextra-hyperparameter-words = ['teacher_temp']\n"
    assert _ml401_lines(tmp_path, table) == [2]


def test_ml401_unknown_option_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="min-keys"):
        _ml401_lines(tmp_path, "[tool.mlint.rules.ML401]\nmin-key = 2\n")
