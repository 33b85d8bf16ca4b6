"""`mlint check` end to end, as a user and a CI gate see it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mlint.testing import expected_markers
from tests.conftest import ROOT, run_mlint

BAD = ROOT / "fixtures" / "ML501" / "bad.py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An isolated project directory with an empty mlint config."""
    (tmp_path / "pyproject.toml").write_text('[tool.mlint]\nselect = ["ML501"]\n', encoding="utf-8")
    return tmp_path


def test_check_lists_every_marked_line_and_exits_1() -> None:
    result = run_mlint(
        "check",
        str(BAD),
        "--no-cache",
        "--output-format",
        "concise",
        "--isolated",
        "--select",
        "ML501",
    )
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if ": ML" in line]
    reported = sorted((int(line.split(":")[1]), line.split()[1]) for line in lines)
    assert reported == expected_markers(BAD.read_text(encoding="utf-8"))
    assert "Found 7 errors." in result.stdout
    assert "Traceback" not in result.stderr


def test_fix_writes_the_expected_file_and_unsafe_fixes_leave_it_clean(project: Path) -> None:
    target = project / "bad.py"
    shutil.copy(BAD, target)
    result = run_mlint("check", "--fix", "--no-cache", str(target), cwd=project)
    assert target.read_text(encoding="utf-8") == (BAD.parent / "bad.fixed.py").read_text(
        encoding="utf-8"
    )
    assert result.returncode == 1  # the unsafe ones remain
    assert "5 fixed, 2 remaining" in result.stdout
    result = run_mlint("check", "--fix", "--unsafe-fixes", "--no-cache", str(target), cwd=project)
    assert result.returncode == 0, result.stdout
    assert target.read_text(encoding="utf-8") == (BAD.parent / "bad.unsafe-fixed.py").read_text(
        encoding="utf-8"
    )
    clean = run_mlint("check", "--no-cache", str(target), cwd=project)
    assert clean.returncode == 0
    assert "All checks passed!" in clean.stdout


def test_diff_prints_a_diff_and_writes_nothing(project: Path) -> None:
    target = project / "bad.py"
    shutil.copy(BAD, target)
    before = target.read_bytes()
    result = run_mlint("check", "--diff", "--no-cache", str(target), cwd=project)
    assert result.returncode == 1
    assert "-        h = self.proj.forward(x)" in result.stdout
    assert "+        h = self.proj(x)" in result.stdout
    assert "Would fix 5 errors." in result.stderr
    assert target.read_bytes() == before


def test_config_typo_is_one_line_naming_the_right_key(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.mlint]\nselct = ["ML5"]\n', encoding="utf-8")
    shutil.copy(BAD, project / "bad.py")
    result = run_mlint("check", "bad.py", cwd=project)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "selct" in lines[0] and "`select`" in lines[0]


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ('select = "ML5"', "select"),
        ('select = ["ML9"]', "ML9"),
        ("[rules.ML999]\nx = 1", "ML999"),
        ('output-format = "xml"', "output-format"),
    ],
)
def test_bad_config_values_exit_2(project: Path, config: str, needle: str) -> None:
    (project / "mlint.toml").write_text(config + "\n", encoding="utf-8")
    (project / "a.py").write_text("x = 1\n", encoding="utf-8")
    result = run_mlint("check", "a.py", cwd=project)
    assert result.returncode == 2
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unknown_cli_selector_exits_2_with_suggestion(project: Path) -> None:
    (project / "a.py").write_text("x = 1\n", encoding="utf-8")
    result = run_mlint("check", "a.py", "--select", "direct-forward-cal", cwd=project)
    assert result.returncode == 2
    assert "direct-forward-call" in result.stderr


def test_bad_files_get_one_line_each_and_the_rest_is_linted(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.mlint]\nselect = ["ML501", "ML001"]\n')
    tree = project / "src"
    tree.mkdir()
    shutil.copy(BAD, tree / "model.py")
    (tree / "broken.py").write_text("def train(:\n    pass\n", encoding="utf-8")
    (tree / "latin.py").write_bytes(b"x = '\xe9t\xe9'\n")
    (tree / "blob.py").write_bytes(b"\x00\x01\x02binary\x00")
    result = run_mlint("check", "src", "--no-cache", "--output-format", "concise", cwd=project)
    assert result.returncode == 2  # two files could not be checked
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout.count("src/model.py:") == 7
    assert "src/broken.py:1:" in result.stdout and "ML001" in result.stdout
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert any("latin.py" in e and "decode" in e for e in errors)
    assert any("blob.py" in e and "binary" in e for e in errors)


def test_missing_path_and_directory_loop(project: Path) -> None:
    (project / "pkg").mkdir()
    (project / "pkg" / "a.py").write_text("x = 1\n", encoding="utf-8")
    os.symlink(project / "pkg", project / "pkg" / "loop")
    result = run_mlint("check", "pkg", "nope.py", "--no-cache", cwd=project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "nope.py: No such file or directory" in result.stderr
    assert "loop" in result.stderr


def test_stdin_with_filename() -> None:
    source = BAD.read_text(encoding="utf-8")
    result = run_mlint(
        "check",
        "-",
        "--stdin-filename",
        "model.py",
        "--output-format",
        "concise",
        "--isolated",
        "--select",
        "ML501",
        stdin=source,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("model.py:12:13: ML501")
    fixed = run_mlint(
        "check",
        "-",
        "--fix",
        "--stdin-filename",
        "m.py",
        "--isolated",
        "--select",
        "ML501",
        stdin=source,
    )
    assert fixed.stdout == (BAD.parent / "bad.fixed.py").read_text(encoding="utf-8")


def test_exit_code_flags(project: Path) -> None:
    target = project / "bad.py"
    shutil.copy(BAD, target)
    assert run_mlint("check", "--no-cache", "--exit-zero", "bad.py", cwd=project).returncode == 0
    fixed = run_mlint(
        "check",
        "--fix",
        "--unsafe-fixes",
        "--exit-non-zero-on-fix",
        "--no-cache",
        "bad.py",
        cwd=project,
    )
    assert fixed.returncode == 1
    assert run_mlint("check", "--no-cache", "bad.py", cwd=project).returncode == 0


def test_select_ignore_and_per_file_ignores(project: Path) -> None:
    shutil.copy(BAD, project / "bad.py")
    assert (
        run_mlint("check", "--no-cache", "--ignore", "ML5", "bad.py", cwd=project).returncode == 0
    )
    (project / "pyproject.toml").write_text(
        '[tool.mlint]\nselect = ["ML501"]\nper-file-ignores = {"bad.py" = ["direct-forward-call"]}\n',
        encoding="utf-8",
    )
    assert run_mlint("check", "--no-cache", "bad.py", cwd=project).returncode == 0
    settings = run_mlint("check", "--show-settings", "bad.py", cwd=project)
    assert settings.returncode == 0 and "bad.py" in settings.stdout and "ML501" in settings.stdout


def test_noqa_add_and_ignore(project: Path) -> None:
    target = project / "bad.py"
    shutil.copy(BAD, target)
    result = run_mlint("check", "--add-noqa", "--no-cache", "bad.py", cwd=project)
    assert result.returncode == 0 and "Added 7 noqa directives." in result.stderr
    assert run_mlint("check", "--no-cache", "bad.py", cwd=project).returncode == 0
    ignored = run_mlint("check", "--no-cache", "--ignore-noqa", "bad.py", cwd=project)
    assert ignored.returncode == 1


def test_file_level_noqa(project: Path) -> None:
    text = BAD.read_text(encoding="utf-8")
    (project / "a.py").write_text("# mlint: noqa: ML501\n" + text, encoding="utf-8")
    (project / "b.py").write_text("# mlint: noqa\n" + text, encoding="utf-8")
    assert run_mlint("check", "--no-cache", "a.py", "b.py", cwd=project).returncode == 0


def test_statistics(project: Path) -> None:
    shutil.copy(BAD, project / "bad.py")
    result = run_mlint("check", "--no-cache", "--statistics", "bad.py", cwd=project)
    assert result.returncode == 1
    assert "7\tML501\t[~] direct-forward-call" in result.stdout


def test_cache_makes_a_second_run_agree_and_clean_removes_it(project: Path) -> None:
    shutil.copy(BAD, project / "bad.py")
    first = run_mlint("check", "bad.py", "--output-format", "concise", cwd=project)
    assert (project / ".mlint_cache").is_dir()
    second = run_mlint("check", "bad.py", "--output-format", "concise", cwd=project)
    assert first.stdout == second.stdout and second.returncode == 1
    # A changed file is re-linted, not served stale from the cache.
    (project / "bad.py").write_text("x = 1\n", encoding="utf-8")
    assert run_mlint("check", "bad.py", cwd=project).returncode == 0
    run_mlint("clean", cwd=project)
    assert not (project / ".mlint_cache").exists()


def test_discovery_excludes_and_gitignore(project: Path) -> None:
    for name in ("src/a.py", ".venv/lib/b.py", "build/c.py", "gen/d.py", "src/e.pyi", "notes.txt"):
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")
    (project / ".gitignore").write_text("gen/\n", encoding="utf-8")
    listed = run_mlint("check", "--show-files", ".", cwd=project).stdout.split()
    assert sorted(listed) == ["src/a.py", "src/e.pyi"]
    explicit = run_mlint("check", "--show-files", "build/c.py", cwd=project).stdout.split()
    assert explicit == ["build/c.py"]
    forced = run_mlint("check", "--show-files", "--force-exclude", "build/c.py", cwd=project)
    assert forced.stdout.split() == []


def test_rule_command_and_version() -> None:
    markdown = run_mlint("rule", "ML501")
    assert markdown.returncode == 0 and markdown.stdout.startswith("# direct-forward-call (ML501)")
    by_name = run_mlint("rule", "direct-forward-call", "--output-format", "json")
    assert json.loads(by_name.stdout)["code"] == "ML501"
    every = json.loads(run_mlint("rule", "--all", "--output-format", "json").stdout)
    assert {"ML001", "ML002", "ML501"} <= {r["code"] for r in every}
    assert run_mlint("rule", "ML999").returncode == 2
    version = run_mlint("--version")
    assert version.returncode == 0 and "mlint" in version.stdout


def test_force_exclude_matches_ancestor_directories(project: Path) -> None:
    target = project / "pkg" / "build" / "gen.py"
    target.parent.mkdir(parents=True)
    target.write_text("x = 1\n", encoding="utf-8")
    listed = run_mlint("check", "--show-files", "--force-exclude", "pkg/build/gen.py", cwd=project)
    assert listed.stdout.split() == []
    (project / "pyproject.toml").write_text(
        '[tool.mlint]\nextend-exclude = ["pkg/build"]\n', encoding="utf-8"
    )
    (target.parent.parent / "keep.py").write_text("x = 1\n", encoding="utf-8")
    listed = run_mlint("check", "--show-files", ".", cwd=project)
    assert listed.stdout.split() == ["pkg/keep.py"]


def test_settings_cache_serves_an_unchanged_config_and_notices_edits(project: Path) -> None:
    shutil.copy(BAD, project / "bad.py")
    assert run_mlint("check", "bad.py", cwd=project).returncode == 1
    assert list((project / ".mlint_cache").rglob("settings-*.json"))
    assert run_mlint("check", "bad.py", cwd=project).returncode == 1
    (project / "pyproject.toml").write_text('[tool.mlint]\nignore = ["ML5"]\n', encoding="utf-8")
    assert run_mlint("check", "bad.py", cwd=project).returncode == 0
    (project / "pyproject.toml").write_text('[tool.mlint]\nselct = ["ML5"]\n', encoding="utf-8")
    assert run_mlint("check", "bad.py", cwd=project).returncode == 2


def test_one_cache_file_per_settings(project: Path) -> None:
    shutil.copy(BAD, project / "bad.py")
    for _ in range(3):
        run_mlint("check", "bad.py", cwd=project)
    results = [p for p in (project / ".mlint_cache").rglob("*.json") if "settings" not in p.name]
    assert len(results) == 1


def test_a_tree_with_nothing_to_lint_says_so(project: Path) -> None:
    (project / "gen").mkdir()
    (project / "gen" / "a.py").write_text("x = 1\n", encoding="utf-8")
    (project / ".gitignore").write_text("gen/\n", encoding="utf-8")
    result = run_mlint("check", ".", cwd=project)
    assert result.returncode == 0
    assert "No Python files found" in result.stderr
    # Named explicitly, the ignored folder is linted, as ruff does.
    named = run_mlint("check", "gen", cwd=project)
    assert "No Python files found" not in named.stderr and "All checks passed!" in named.stdout
