"""Output conventions ruff users rely on: formats, CI paths, notebooks in CI, statistics, help."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_mlint

BAD = ROOT / "fixtures" / "ML501" / "bad.py"
NOTEBOOK = ROOT / "fixtures" / "notebooks" / "train.ipynb"
MARKED = [n for n, line in enumerate(BAD.read_text().splitlines(), 1) if "# expect: ML501" in line]


def _check(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = run_mlint(
        "check", "--no-cache", "--isolated", "--select", "ML501,ML002", *args, cwd=cwd, env=env
    )
    assert result.returncode == 1, result.stderr
    return result.stdout


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    """A repository with the flagged file one folder down; tests run from that folder."""
    (tmp_path / "sub").mkdir()
    shutil.copy(BAD, tmp_path / "sub" / "bad.py")
    return tmp_path


def test_grouped_lists_each_file_once_with_its_diagnostics(nested: Path) -> None:
    out = _check(nested, "--output-format", "grouped", "sub")
    lines = out.splitlines()
    assert lines[0] == "sub/bad.py:"
    rows = [line for line in lines[1:] if line.startswith("  ")]
    assert [int(row.split(":")[0]) for row in rows] == MARKED
    assert all(re.match(r"^  \d+:\d+ +ML501 ", row) for row in rows)
    assert f"Found {len(MARKED)} errors." in out


def test_rdjson_is_reviewdog_diagnostics(nested: Path) -> None:
    data = json.loads(_check(nested, "--output-format", "rdjson", "sub"))
    assert data["source"]["name"] == "mlint"
    diagnostics = data["diagnostics"]
    assert [d["location"]["range"]["start"]["line"] for d in diagnostics] == MARKED
    assert {d["code"]["value"] for d in diagnostics} == {"ML501"}
    assert all(d["location"]["path"] == "sub/bad.py" for d in diagnostics)
    # Fixes travel as suggestions with the replaced range.
    first = diagnostics[0]
    assert first["suggestions"][0]["text"] == "self.proj"
    assert first["suggestions"][0]["range"]["start"] == {"line": 12, "column": 13}


def test_gitlab_paths_are_relative_to_ci_project_dir(nested: Path) -> None:
    sub = nested / "sub"
    plain = json.loads(_check(sub, "--output-format", "gitlab", "bad.py"))
    assert {issue["location"]["path"] for issue in plain} == {"bad.py"}
    env = {"CI_PROJECT_DIR": str(nested)}
    in_ci = json.loads(_check(sub, "--output-format", "gitlab", "bad.py", env=env))
    assert {issue["location"]["path"] for issue in in_ci} == {"sub/bad.py"}


def test_github_paths_are_relative_to_github_workspace(nested: Path) -> None:
    sub = nested / "sub"
    plain = _check(sub, "--output-format", "github", "bad.py")
    assert "file=bad.py," in plain
    in_ci = _check(
        sub, "--output-format", "github", "bad.py", env={"GITHUB_WORKSPACE": str(nested)}
    )
    assert "file=sub/bad.py," in in_ci and "file=bad.py," not in in_ci


def _ipynb_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    shutil.copy(NOTEBOOK, tmp_path / "train.ipynb")
    return tmp_path


def _flagged_line(text: str) -> bool:
    """The .ipynb JSON line holds the flagged source (a `.forward(` call or the noqa)."""
    return ".forward(" in text or "noqa" in text


def test_notebook_annotations_point_at_the_json_line_of_the_cell_source(notebook: Path) -> None:
    lines = _ipynb_lines(notebook / "train.ipynb")
    github = _check(notebook, "--output-format", "github", "train.ipynb")
    gh_lines = [int(m) for m in re.findall(r",line=(\d+),", github)]
    assert gh_lines and all(_flagged_line(lines[n - 1]) for n in gh_lines)
    assert "col=" not in github  # a cell column is not a column of the JSON line
    assert "cell 3:11:16" in github

    gitlab = json.loads(_check(notebook, "--output-format", "gitlab", "train.ipynb"))
    assert all(_flagged_line(lines[i["location"]["lines"]["begin"] - 1]) for i in gitlab)
    assert all("(cell " in i["description"] for i in gitlab)

    sarif = json.loads(_check(notebook, "--output-format", "sarif", "train.ipynb"))
    results = sarif["runs"][0]["results"]
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in results]
    assert all(_flagged_line(lines[region["startLine"] - 1]) for region in regions)
    assert all("cell" in r["properties"] for r in results)

    junit = ET.fromstring(_check(notebook, "--output-format", "junit", "train.ipynb"))
    cases = junit.findall(".//testcase")
    assert cases and all(_flagged_line(lines[int(c.get("line", "0")) - 1]) for c in cases)

    pylint = _check(notebook, "--output-format", "pylint", "train.ipynb").splitlines()
    assert all(_flagged_line(lines[int(row.split(":")[1]) - 1]) for row in pylint)
    assert all("(cell " in row for row in pylint)


def test_statistics_mark_all_some_or_no_fixable(tmp_path: Path) -> None:
    shutil.copy(BAD, tmp_path / "bad.py")
    out = run_mlint(
        "check",
        "--no-cache",
        "--isolated",
        "--select",
        "ML501",
        "--statistics",
        "bad.py",
        cwd=tmp_path,
    ).stdout
    assert "7\tML501\t[~] direct-forward-call" in out  # 5 safe, 2 unsafe fixes
    out = run_mlint(
        "check",
        "--no-cache",
        "--isolated",
        "--select",
        "ML501",
        "--statistics",
        "--unsafe-fixes",
        "bad.py",
        cwd=tmp_path,
    ).stdout
    assert "7\tML501\t[*] direct-forward-call" in out
    data = json.loads(
        run_mlint(
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "ML501",
            "--statistics",
            "--output-format",
            "json",
            "bad.py",
            cwd=tmp_path,
        ).stdout
    )
    assert data == [
        {"code": "ML501", "name": "direct-forward-call", "count": 7, "fixable_count": 5}
    ]


@pytest.mark.parametrize("command", ["check", "rule", "clean", "server"])
def test_every_flag_is_described_in_help(command: str) -> None:
    import click

    from mlint.cli import main

    group = main
    assert isinstance(group, click.Group)
    sub = group.commands[command]
    undocumented = [
        param.opts[0] for param in sub.params if isinstance(param, click.Option) and not param.help
    ]
    assert undocumented == []


def _fixes(cwd: Path, select: str) -> tuple[int, int]:
    """How many diagnostics of ``select`` have a safe fix, and how many an unsafe one."""
    found = run_mlint(
        "check", "--no-cache", "--isolated", "--select", select, "--output-format", "json", cwd=cwd
    )
    kinds = [d["fix"]["applicability"] for d in json.loads(found.stdout) if d["fix"]]
    return kinds.count("safe"), kinds.count("unsafe")


@pytest.mark.parametrize(
    ("select", "unsafe_fixes", "expected"),
    [
        (
            "ML501",
            False,
            (
                "[*] {safe} fixable with `--fix` ({unsafe} unsafe fixes available with "
                "`--fix --unsafe-fixes`)."
            ),
        ),
        ("ML501", True, "[*] {both} fixable with `--fix`."),
        ("ML503", False, "[*] {safe} fixable with `--fix`."),
        ("ML202", False, "{unsafe} unsafe fixes available with `--fix --unsafe-fixes`."),
    ],
)
def test_summary_says_what_is_fixable_in_ruffs_words(
    tmp_path: Path, select: str, unsafe_fixes: bool, expected: str
) -> None:
    for code in ("ML501", "ML503", "ML202"):
        shutil.copy(ROOT / "fixtures" / code / "bad.py", tmp_path / f"{code}.py")
    safe, unsafe = _fixes(tmp_path, select)
    extra = ("--unsafe-fixes",) if unsafe_fixes else ()
    result = run_mlint(
        "check", "--no-cache", "--isolated", "--select", select, *extra, cwd=tmp_path
    )
    assert result.returncode == 1, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last == expected.format(safe=safe, unsafe=unsafe, both=safe + unsafe)
