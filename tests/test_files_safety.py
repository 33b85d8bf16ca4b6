"""Reading and writing files: nothing hangs, nothing is lost, links and owners are kept."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlint import runner
from mlint.testing import settings_for
from mlint.types import FileResult, LintSettings
from tests.cli_helpers import invoke, spawn, unprivileged
from tests.conftest import ROOT

BAD = ROOT / "fixtures" / "ML501" / "bad.py"
FIXED = (ROOT / "fixtures" / "ML501" / "bad.fixed.py").read_bytes()
ORIGINAL = BAD.read_bytes()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.mlint]\nselect = ["ML501"]\n', encoding="utf-8")
    return tmp_path


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


# Reading ----------------------------------------------------------------------------------


def test_a_fifo_named_py_is_skipped_and_never_blocks(project: Path) -> None:
    os.mkfifo(project / "pipe.py")
    sub = project / "sub"
    sub.mkdir()
    os.mkfifo(sub / ".gitignore")
    shutil.copy(BAD, project / "bad.py")
    walked = spawn("check", "--no-cache", ".", cwd=project)
    assert walked.returncode == 1
    assert "Found 7 errors." in walked.stdout
    assert walked.stderr == ""
    named = spawn("check", "--no-cache", "pipe.py", cwd=project)
    assert named.returncode == 1
    assert named.stderr.strip() == "mlint: error: pipe.py: not a regular file; skipped"


def test_an_unreadable_folder_is_one_warning_and_the_rest_is_checked(project: Path) -> None:
    prefix = unprivileged()
    locked = project / "locked"
    locked.mkdir()
    (locked / "hidden.py").write_text("x = 1\n", encoding="utf-8")
    shutil.copy(BAD, project / "bad.py")
    locked.chmod(0)
    try:
        result = spawn("check", "--no-cache", ".", cwd=project, prefix=prefix)
    finally:
        locked.chmod(0o755)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == ["mlint: error: locked: Permission denied"]
    assert "Found 7 errors." in result.stdout


def test_python_m_mlint_ignores_modules_in_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "click.py").write_text("raise SystemExit('imported the wrong click')\n")
    result = spawn("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("mlint")


# Writing fixes ----------------------------------------------------------------------------


def test_fix_writes_through_a_symlink(project: Path) -> None:
    (project / "real.py").write_bytes(ORIGINAL)
    (project / "link.py").symlink_to("real.py")
    assert invoke("check", "--fix", "--no-cache", "link.py", cwd=project).returncode == 1
    assert (project / "link.py").is_symlink()
    assert (project / "real.py").read_bytes() == FIXED


def test_fix_keeps_hard_links(project: Path) -> None:
    (project / "a.py").write_bytes(ORIGINAL)
    os.link(project / "a.py", project / "b.py")
    assert invoke("check", "--fix", "--no-cache", "a.py", cwd=project).returncode == 1
    assert (project / "b.py").read_bytes() == FIXED
    assert (project / "a.py").stat().st_ino == (project / "b.py").stat().st_ino
    assert [p.name for p in project.iterdir() if p.suffix == ".mlint"] == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_fix_keeps_the_owner_and_mode(project: Path) -> None:
    target = project / "theirs.py"
    target.write_bytes(ORIGINAL)
    os.chown(target, 65534, 65534)
    target.chmod(0o664)
    assert invoke("check", "--fix", "--no-cache", "theirs.py", cwd=project).returncode == 1
    info = target.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o664)
    assert target.read_bytes() == FIXED


def test_a_read_only_file_is_not_fixed(project: Path) -> None:
    target = project / "frozen.py"
    target.write_bytes(ORIGINAL)
    target.chmod(0o444)
    (project / "other.py").write_bytes(ORIGINAL)
    result = invoke("check", "--fix", "--no-cache", "frozen.py", "other.py", cwd=project)
    assert result.returncode == 2  # a fix that could not be written is an error, not a pass
    assert result.stderr.strip() == (
        "mlint: error: frozen.py: cannot write fix: the file is read-only"
    )
    assert target.read_bytes() == ORIGINAL
    assert (project / "other.py").read_bytes() == FIXED


def test_a_fix_the_file_encoding_cannot_hold_names_the_file_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mlint]\nselect = ["ML401", "ML501"]\n')
    ascii_file = tmp_path / "cfg.py"
    ascii_file.write_text(
        "# -*- coding: ascii -*-\n"
        "config = {'\\u03bb': 3e-4, 'batch_size': 32, 'epochs': 10}\n\n\n"
        "def train(model):\n"
        "    return model.fit(config['\\u03bb'], config['epochs'], config['batch_size'])\n",
        encoding="ascii",
    )
    before = ascii_file.read_bytes()
    (tmp_path / "other.py").write_bytes(ORIGINAL)
    result = invoke(
        "check", "--fix", "--unsafe-fixes", "--no-cache", "cfg.py", "other.py", cwd=tmp_path
    )
    assert result.returncode == 2  # a fix that could not be written is an error
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "mlint: error: cfg.py: cannot write fix: the fixed text has `λ`, which ascii cannot encode"
    )
    assert ascii_file.read_bytes() == before
    assert (tmp_path / "other.py").read_bytes() != ORIGINAL


def test_a_file_changed_while_being_fixed_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model.py"
    target.write_bytes(ORIGINAL)
    edited = ORIGINAL + b"# saved by the editor meanwhile\n"
    real_lint = runner._lint_text

    def lint_while_the_user_saves(
        text: str, path: str, lint: LintSettings, mode: runner.Mode
    ) -> FileResult:
        target.write_bytes(edited)
        return real_lint(text, path, lint, mode)

    monkeypatch.setattr(runner, "_lint_text", lint_while_the_user_saves)
    result, _ = runner.process_file(str(target), settings_for("ML501"), "fix")
    assert target.read_bytes() == edited
    assert result.error == (
        "cannot write fix: changed on disk while mlint was fixing it; left as it is now"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]


def test_new_files_follow_the_umask(project: Path, umask_022: None) -> None:
    shutil.copy(BAD, project / "bad.py")
    result = invoke("check", "bad.py", "--write-baseline", "baseline.json", cwd=project)
    assert result.returncode == 0, result.stderr
    assert invoke("check", "bad.py", cwd=project).returncode == 1
    cached = [p for p in (project / ".mlint_cache").rglob("*") if p.is_file()]
    written = [project / "baseline.json", *cached]
    modes = {
        p.relative_to(project).as_posix(): oct(stat.S_IMODE(p.stat().st_mode)) for p in written
    }
    assert set(modes.values()) == {"0o644"}, modes
