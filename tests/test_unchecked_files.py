"""A file that could not be checked is never silent: every format says so, and the exit is 2."""

from __future__ import annotations

import ast
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from mlint.engine import lint_source
from mlint.rules import all_rules
from mlint.types import LintSettings
from tests.conftest import ROOT, run_mlint

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
FORWARD = "import torch\nnet = torch.nn.Linear(2, 2)\ny = net.forward(x)\n"
# CPython accepts it; libcst raises an internal error on the glued `else(`.
ONLY_CPYTHON_PARSES = "y = net.forward(x)\nmake = () if cuda else(lambda: ())\n"


def _settings(*codes: str) -> LintSettings:
    enabled = frozenset(codes) if codes else frozenset(all_rules())
    return LintSettings(enabled=enabled, fixable=enabled)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.py").write_text(FORWARD, encoding="utf-8")
    (tmp_path / "latin.py").write_bytes(b"x = '\xe9t\xe9'\n")  # not UTF-8, no coding cookie
    return tmp_path


def _check(project: Path, *args: str) -> tuple[int, str, str]:
    proc = run_mlint(
        "check",
        ".",
        "--no-cache",
        "--isolated",
        "--exit-zero",
        "--extend-select",
        "ML501",
        *args,
        cwd=project,
    )
    assert "Traceback" not in proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def test_text_output_counts_the_files_not_checked_and_exits_2(project: Path) -> None:
    (project / "model.py").write_text("x = 1\n", encoding="utf-8")
    code, out, err = _check(project)
    assert code == 2  # even with --exit-zero, as the README promises
    assert "All checks passed!" not in out
    assert "1 file could not be checked." in out
    assert "latin.py" in err


@pytest.mark.parametrize("fmt", ["json", "json-lines"])
def test_json_formats_carry_an_error_entry(project: Path, fmt: str) -> None:
    code, out, _ = _check(project, "--output-format", fmt)
    entries = json.loads(out) if fmt == "json" else [json.loads(x) for x in out.splitlines()]
    errors = [e for e in entries if e["code"] is None]
    assert code == 2
    assert [Path(e["filename"]).name for e in errors] == ["latin.py"]
    assert "could not check" in errors[0]["message"]
    assert any(e["code"] == "ML501" for e in entries)


def test_sarif_reports_a_failed_execution(project: Path) -> None:
    code, out, _ = _check(project, "--output-format", "sarif")
    log = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    (invocation,) = log["runs"][0]["invocations"]
    assert code == 2
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    uri = note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "latin.py"


def test_sarif_of_a_clean_run_is_successful(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    code, out, _ = _check(tmp_path, "--output-format", "sarif")
    assert code == 0
    assert json.loads(out)["runs"][0]["invocations"] == [{"executionSuccessful": True}]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("github", "::error title=mlint (not checked),file=latin.py::latin.py: mlint could not"),
        ("pylint", "latin.py:1: [error] mlint could not check this file: cannot decode"),
        ("concise", "latin.py:1:1: error mlint could not check this file: cannot decode"),
    ],
)
def test_line_formats_carry_an_error_line(project: Path, fmt: str, expected: str) -> None:
    code, out, _ = _check(project, "--output-format", fmt)
    assert code == 2
    assert expected in out


def test_gitlab_and_junit_carry_an_error(project: Path) -> None:
    code, out, _ = _check(project, "--output-format", "gitlab")
    issues = json.loads(out)
    assert code == 2
    assert [i["location"]["path"] for i in issues if i["severity"] == "blocker"] == ["latin.py"]
    code, out, _ = _check(project, "--output-format", "junit")
    root = ET.fromstring(out.split("\n", 1)[1])
    assert code == 2
    assert root.get("errors") == "1"
    (error,) = root.iter("error")
    assert "cannot decode" in (error.get("message") or "")


def test_an_internal_error_is_not_checked_not_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    import mlint.engine
    from mlint.cli import main

    def crash(source: str, path: str, settings: LintSettings) -> list[object]:
        raise AttributeError("'Match' object has no attribute 'body'")

    (tmp_path / "a.py").write_text(FORWARD, encoding="utf-8")
    monkeypatch.setattr(mlint.engine, "lint_source", crash)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "a.py", "--no-cache", "--isolated", "-j", "1"])
    assert result.exit_code == 2
    assert "All checks passed!" not in result.output
    assert "1 file could not be checked." in result.output
    assert "a.py: internal error: AttributeError" in result.output


def test_ml001_reports_cpythons_message_and_position_whatever_the_selection() -> None:
    source = FORWARD + "def train(*):\n    pass\n"
    with pytest.raises(SyntaxError) as info:
        ast.parse(source)
    expected = (f"SyntaxError: {info.value.msg}", info.value.lineno, info.value.offset)
    for settings in (_settings("ML001"), _settings()):
        diagnostics = [d for d in lint_source(source, "a.py", settings) if d.code == "ML001"]
        assert [(d.message, d.start.line, d.start.column) for d in diagnostics] == [expected]


def test_a_file_only_cpython_parses_is_ml003_and_not_checked(tmp_path: Path) -> None:
    ast.parse(ONLY_CPYTHON_PARSES)  # valid Python
    (diag,) = lint_source(ONLY_CPYTHON_PARSES, "a.py", _settings("ML501"))
    assert (diag.code, diag.name) == ("ML003", "parse-error")
    assert diag.message.startswith("mlint cannot parse this file: ")
    (tmp_path / "a.py").write_text(ONLY_CPYTHON_PARSES, encoding="utf-8")
    proc = run_mlint(
        "check",
        "a.py",
        "--no-cache",
        "--isolated",
        "--exit-zero",
        "--select",
        "ML501",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "ML003" in proc.stdout and "1 file could not be checked." in proc.stdout


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the syntax is valid from 3.12")
@pytest.mark.parametrize(
    "line", ["type Batch = list[int]", "def first[T](xs: list[T]) -> T: ...", "class Box[T]: ..."]
)
def test_python_312_syntax_on_an_older_python_is_ml001_without_a_fix(line: str) -> None:
    source = FORWARD + line + "\n"
    diagnostics = lint_source(source, "a.py", _settings())
    assert [d.code for d in diagnostics] == ["ML001"]
    assert diagnostics[0].start.line == 4
    assert diagnostics[0].fix is None


def _notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "id": str(i)}
                for i, c in enumerate(cells)
            ],
            "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


@pytest.mark.parametrize(
    ("cells", "where"),
    [
        # The block a cell opens at its end is missing: that cell is at fault, not the next.
        (("import torch\ndef train(net):\n", "net = torch.nn.Linear(2, 2)\n"), (1, 2)),
        (("import torch\nx = [1,\n", "y = 2\n"), (1, 2)),
        # A tokenizer error (an unmatched bracket) in the second cell.
        (("import torch\nnet = torch.nn.Linear(2, 2)\n", "y = 1\nz = net.forward(x)]\n"), (2, 2)),
    ],
    ids=["block-at-end", "open-bracket-at-end", "tokenizer"],
)
def test_notebook_parse_errors_are_in_the_cell_that_holds_them(
    cells: tuple[str, ...], where: tuple[int, int]
) -> None:
    from mlint.notebook import lint_notebook

    result = lint_notebook(_notebook(*cells), "nb.ipynb", _settings("ML001", "ML501"), "check")
    (diag,) = result.diagnostics
    assert (diag.code, diag.cell, diag.start.line) == ("ML001", *where)
