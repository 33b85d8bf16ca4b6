"""Discovery as ruff users expect it: explicit paths, virtual environments, symlinks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import SAFE_ML501_MODULE, run_mlint

ARGS = ("check", "--no-cache", "--isolated", "--select", "ML501", "--output-format", "concise")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("generated/\n", encoding="utf-8")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "model.py").write_text(SAFE_ML501_MODULE, encoding="utf-8")
    return tmp_path


def _files(out: str) -> set[str]:
    return {line.split(":")[0] for line in out.splitlines() if ": ML" in line}


def test_a_directory_named_explicitly_is_linted_although_gitignored(repo: Path) -> None:
    assert _files(run_mlint(*ARGS, ".", cwd=repo).stdout) == set()
    named = run_mlint(*ARGS, "generated", cwd=repo)
    assert named.returncode == 1 and _files(named.stdout) == {"generated/model.py"}
    forced = run_mlint(*ARGS, "--force-exclude", "generated", cwd=repo)
    assert _files(forced.stdout) == set()


def test_any_virtual_environment_is_excluded_and_its_links_are_no_loop(tmp_path: Path) -> None:
    env = tmp_path / "py311"  # not called venv/.venv
    (env / "lib" / "site").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (env / "lib" / "site" / "dep.py").write_text(SAFE_ML501_MODULE, encoding="utf-8")
    (env / "lib64").symlink_to("lib")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(SAFE_ML501_MODULE, encoding="utf-8")
    result = run_mlint(*ARGS, ".", cwd=tmp_path)
    assert _files(result.stdout) == {"src/train.py"}
    assert "loop" not in result.stderr, result.stderr


def test_a_link_to_a_sibling_folder_is_linted_once_without_a_loop_warning(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "m.py").write_text(SAFE_ML501_MODULE, encoding="utf-8")
    (tmp_path / "alias").symlink_to("real")
    result = run_mlint(*ARGS, ".", cwd=tmp_path)
    assert "loop" not in result.stderr, result.stderr
    assert len([line for line in result.stdout.splitlines() if ": ML501" in line]) == 1


def test_a_real_symlink_cycle_is_still_reported(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "m.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "a" / "back").symlink_to("..")
    result = run_mlint(*ARGS, ".", cwd=tmp_path)
    assert "directory loop" in result.stderr
