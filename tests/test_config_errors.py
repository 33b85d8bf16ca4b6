"""A config that cannot be used is one clear line and exit 2, never a silent default."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import invoke, spawn, unprivileged
from tests.conftest import ROOT, run_mlint

BAD = ROOT / "fixtures" / "ML501" / "bad.py"


def _error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("mlint: error: ")
    return lines[0]


@pytest.mark.parametrize("name", ["pyproject.toml", "mlint.toml"])
def test_a_config_that_is_not_utf8_is_an_error(tmp_path: Path, name: str) -> None:
    table = "[tool.mlint]\n" if name == "pyproject.toml" else ""
    (tmp_path / name).write_bytes(f'{table}# caf\xe9\nselect = ["ML501"]\n'.encode("latin-1"))
    shutil.copy(BAD, tmp_path / "bad.py")
    result = invoke("check", "--no-cache", "bad.py", cwd=tmp_path)
    assert result.returncode == 2
    line = _error_line(result.stderr)
    assert f"{tmp_path / name}: cannot read config: not UTF-8" in line
    assert result.stdout == ""


def test_an_unreadable_pyproject_is_an_error(tmp_path: Path) -> None:
    prefix = unprivileged()
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.mlint]\nselect = ["ML501"]\n', encoding="utf-8")
    shutil.copy(BAD, tmp_path / "bad.py")
    config.chmod(0)
    try:
        result = spawn("check", "--no-cache", "bad.py", cwd=tmp_path, prefix=prefix)
    finally:
        config.chmod(0o644)
    assert result.returncode == 2
    assert f"{config}: cannot read config: Permission denied" in _error_line(result.stderr)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tool = 5\n", "`tool` must be a table, not an integer"),
        ('[tool]\nmlint = "strict"\n', "`tool.mlint` must be a table, not a string"),
    ],
)
def test_a_tool_key_of_the_wrong_type_is_a_config_error(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    shutil.copy(BAD, tmp_path / "bad.py")
    result = invoke("check", "--config", "pyproject.toml", "bad.py", cwd=tmp_path)
    assert result.returncode == 2
    assert message in _error_line(result.stderr)


@pytest.mark.parametrize("selector", ["", " "])
def test_an_empty_selector_is_an_error_not_all(tmp_path: Path, selector: str) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.mlint]\nselect = ["{selector}"]\n', encoding="utf-8"
    )
    shutil.copy(BAD, tmp_path / "bad.py")
    result = invoke("check", "--no-cache", "bad.py", cwd=tmp_path)
    assert result.returncode == 2
    assert 'empty rule selector `""`' in _error_line(result.stderr)


def test_a_value_of_the_wrong_type_is_an_error_not_coerced(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mlint]\nunsafe-fixes = "yes"\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run_mlint("check", "--no-cache", "a.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid value for `unsafe-fixes`" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
