"""Baselines: adopt mlint on an old code base, fail only on what is new."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from mlint.baseline import apply, collect
from mlint.engine import lint_source
from mlint.settings import LintSettings
from mlint.testing import expected_markers
from mlint.types import FileResult
from tests.conftest import ROOT, run_mlint

BAD = ROOT / "fixtures" / "ML501" / "bad.py"
MARKED_LINES = [line for line, _ in expected_markers(BAD.read_text(encoding="utf-8"))]
MARKED = len(MARKED_LINES)
NOTEBOOK = ROOT / "fixtures" / "notebooks" / "train.ipynb"
FLAGS = ("--no-cache", "--select", "ML501", "--output-format", "concise")
BASELINE = "mlint-baseline.json"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.mlint]\n", encoding="utf-8")
    (tmp_path / "src").mkdir()
    shutil.copy(BAD, tmp_path / "src" / "train.py")
    written = run_mlint("check", ".", *FLAGS, "--write-baseline", BASELINE, cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert f"wrote {MARKED} baseline entries" in written.stderr
    return tmp_path


def _reported(stdout: str) -> list[str]:
    return re.findall(r"^(\S+:\d+):\d+: ML501", stdout, flags=re.MULTILINE)


def _entries(project: Path) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = json.loads((project / BASELINE).read_text())["entries"]
    return entries


def test_the_baseline_records_each_diagnostic_by_relative_path(project: Path) -> None:
    entries = _entries(project)
    assert [(e["path"], e["code"], e["line"]) for e in entries] == [
        ("src/train.py", "ML501", line) for line in MARKED_LINES
    ]
    assert len({e["fingerprint"] for e in entries}) == MARKED
    clean = run_mlint("check", ".", *FLAGS, "--baseline", BASELINE, cwd=project)
    assert clean.returncode == 0, clean.stdout
    assert "All checks passed!" in clean.stdout
    assert clean.stderr == ""


def test_only_a_new_diagnostic_is_reported_after_old_code_moved(project: Path) -> None:
    train = project / "src" / "train.py"
    old = train.read_text(encoding="utf-8")
    ten_lines = "".join(f"# a new comment line {n}\n" for n in range(10))
    train.write_text(ten_lines + old + "z = layer.forward(torch.ones(2))\n", encoding="utf-8")
    result = run_mlint("check", ".", *FLAGS, "--baseline", BASELINE, cwd=project)
    assert result.returncode == 1
    new_line = len((ten_lines + old).splitlines()) + 1
    assert _reported(result.stdout) == [f"src/train.py:{new_line}"]
    assert "Found 1 error." in result.stdout
    assert "no longer match" not in result.stderr


def test_stale_entries_are_counted_and_pruned(project: Path) -> None:
    train = project / "src" / "train.py"
    text = train.read_text(encoding="utf-8")
    train.write_text(text.replace("a = net.forward(batch)", "a = net(batch)"), encoding="utf-8")
    result = run_mlint("check", ".", *FLAGS, "--baseline", BASELINE, cwd=project)
    assert result.returncode == 0, result.stdout
    assert "1 baseline entry in mlint-baseline.json no longer match" in result.stderr
    assert "src/train.py:22: ML501" in result.stderr
    assert len(_entries(project)) == MARKED  # reporting never rewrites the file

    pruned = run_mlint(
        "check", ".", *FLAGS, "--baseline", BASELINE, "--prune-baseline", cwd=project
    )
    assert pruned.returncode == 0
    assert "removed 1 baseline entry" in pruned.stderr
    assert [e["line"] for e in _entries(project)] == [n for n in MARKED_LINES if n != 22]
    again = run_mlint("check", ".", *FLAGS, "--baseline", BASELINE, cwd=project)
    assert again.stderr == ""


def test_files_and_rules_not_checked_now_are_not_stale(project: Path) -> None:
    (project / "other.py").write_text("x = 1\n", encoding="utf-8")
    only_other = run_mlint("check", "other.py", *FLAGS, "--baseline", BASELINE, cwd=project)
    assert only_other.returncode == 0 and only_other.stderr == ""
    other_rule = run_mlint(
        "check", ".", "--no-cache", "--select", "ML002", "--baseline", BASELINE, cwd=project
    )
    assert "no longer match" not in other_rule.stderr


def test_identical_lines_are_told_apart_by_their_order(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.mlint]\n", encoding="utf-8")
    body = "from torch import nn\nlayer = nn.Linear(2, 2)\n"
    repeated = "y = layer.forward(x)\n"
    target = tmp_path / "m.py"
    target.write_text(body + repeated * 2, encoding="utf-8")
    run_mlint("check", ".", *FLAGS, "--write-baseline", BASELINE, cwd=tmp_path)
    target.write_text(body + repeated * 3, encoding="utf-8")
    result = run_mlint("check", ".", *FLAGS, "--baseline", BASELINE, cwd=tmp_path)
    assert result.returncode == 1
    assert len(_reported(result.stdout)) == 1


def test_notebook_entries_survive_a_new_cell_above(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.mlint]\n", encoding="utf-8")
    target = tmp_path / "train.ipynb"
    shutil.copy(NOTEBOOK, target)
    run_mlint("check", ".", *FLAGS, "--write-baseline", BASELINE, cwd=tmp_path)
    assert {e.get("cell") for e in _entries(tmp_path)} == {3, 5, 7}
    data = json.loads(target.read_text(encoding="utf-8"))
    new_cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": []}
    data["cells"].insert(0, {**new_cell, "source": ["import os\n", "print(os.getcwd())"]})
    target.write_text(json.dumps(data, indent=1), encoding="utf-8")
    result = run_mlint("check", ".", *FLAGS, "--baseline", BASELINE, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--prune-baseline",), "--prune-baseline needs --baseline FILE"),
        (("--baseline", "missing.json"), "cannot read baseline `missing.json`"),
        (("--write-baseline", "b.json", "--fix"), "cannot be combined with --fix"),
        (("--baseline", "pyproject.toml"), "is not valid JSON"),
    ],
    ids=["prune-alone", "missing", "write-with-fix", "not-json"],
)
def test_misuse_is_one_line_and_exit_2(project: Path, args: tuple[str, ...], message: str) -> None:
    result = run_mlint("check", ".", *FLAGS, *args, cwd=project)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_kept_baselined_results_are_marked_unchanged_for_sarif(tmp_path: Path) -> None:
    settings = LintSettings(enabled=frozenset({"ML501"}), fixable=frozenset())
    path = str(tmp_path / "m.py")
    old = "from torch import nn\nlayer = nn.Linear(2, 2)\ny = layer.forward(x)\n"
    entries = collect(
        [FileResult(path, tuple(lint_source(old, path, settings)), source=old)], str(tmp_path)
    )
    new = old + "z = layer.forward(y)\n"
    results = [FileResult(path, tuple(lint_source(new, path, settings)), source=new)]
    outcome = apply(results, entries, str(tmp_path), settings.codes_for, keep_unchanged=True)
    states = [(d.start.line, d.extra["baseline_state"]) for d in outcome.results[0].diagnostics]
    assert states == [(3, "unchanged"), (4, "new")]
    hidden = apply(results, entries, str(tmp_path), settings.codes_for, keep_unchanged=False)
    assert [(d.start.line, d.extra["baseline_state"]) for d in hidden.results[0].diagnostics] == [
        (4, "new")
    ]
    assert hidden.baselined == 1 and hidden.stale == []
