"""The cache: `mlint clean` deletes only what mlint made, and stale results are never served."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlint import cache as cache_module
from mlint.runner import RunOptions, run
from mlint.testing import settings_for
from tests.cli_helpers import invoke
from tests.conftest import SAFE_ML501_MODULE

CLEAN_MODULE = SAFE_ML501_MODULE.replace("self.proj.forward(x)", "self.proj(x)        ")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.mlint]\nselect = ["ML501"]\n', encoding="utf-8")
    (tmp_path / "model.py").write_text(SAFE_ML501_MODULE, encoding="utf-8")
    return tmp_path


def _configure(project: Path, cache_dir: str) -> None:
    (project / "pyproject.toml").write_text(
        f'[tool.mlint]\nselect = ["ML501"]\ncache-dir = "{cache_dir}"\n', encoding="utf-8"
    )


def _one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_clean_with_the_project_as_cache_dir_deletes_nothing(project: Path) -> None:
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    _configure(project, ".")
    check = invoke("check", "model.py", cwd=project)
    assert check.returncode == 2
    assert "cache-dir `.` is the project folder" in _one_line_error(check.stderr)
    result = invoke("clean", cwd=project)
    assert result.returncode == 2
    assert "is the project folder or a folder above it" in _one_line_error(result.stderr)
    assert (project / ".git" / "HEAD").is_file()
    assert (project / "model.py").is_file()
    assert not (project / ".gitignore").exists()


def test_a_cache_dir_outside_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "model.py").write_text(SAFE_ML501_MODULE, encoding="utf-8")
    _configure(project, "../outside")
    sibling = tmp_path / "outside"
    check = invoke("check", "model.py", cwd=project)
    assert check.returncode == 2
    assert "is outside the project" in _one_line_error(check.stderr)
    assert not sibling.exists()
    # Even a folder that happens to exist there is never deleted.
    sibling.mkdir()
    (sibling / "keep.txt").write_text("mine\n", encoding="utf-8")
    assert invoke("clean", cwd=project).returncode == 2
    assert (sibling / "keep.txt").is_file()
    flag = invoke("check", "--cache-dir", "..", "model.py", cwd=project)
    assert flag.returncode == 2
    assert "--cache-dir `..` is the project folder or a folder above it" in flag.stderr


def test_an_existing_folder_of_the_user_is_neither_filled_nor_deleted(project: Path) -> None:
    _configure(project, "src")
    (project / "src").mkdir()
    (project / "src" / "lib.py").write_text("x = 1\n", encoding="utf-8")
    assert invoke("check", "model.py", cwd=project).returncode == 1
    assert sorted(p.name for p in (project / "src").iterdir()) == ["lib.py"]
    result = invoke("clean", cwd=project)
    assert result.returncode == 2
    assert "not created by mlint" in _one_line_error(result.stderr)
    assert (project / "src" / "lib.py").is_file()


def test_clean_removes_tagged_caches_below_and_leaves_untagged_ones(project: Path) -> None:
    nested = project / "pkg"
    nested.mkdir()
    (nested / "pyproject.toml").write_text('[tool.mlint]\nselect = ["ML501"]\n', encoding="utf-8")
    (nested / "model.py").write_text(SAFE_ML501_MODULE, encoding="utf-8")
    assert invoke("check", "model.py", cwd=nested).returncode == 1
    assert invoke("check", "model.py", cwd=project).returncode == 1
    assert (nested / ".mlint_cache" / "CACHEDIR.TAG").is_file()
    impostor = project / "data" / ".mlint_cache"
    impostor.mkdir(parents=True)
    (impostor / "results.csv").write_text("precious\n", encoding="utf-8")
    result = invoke("clean", cwd=project)
    assert result.returncode == 0, result.stderr
    assert not (project / ".mlint_cache").exists()
    assert not (nested / ".mlint_cache").exists()
    assert (impostor / "results.csv").is_file()
    assert "Removing cache at: .mlint_cache" in result.stderr
    assert "data/.mlint_cache: not created by mlint" in result.stderr


def test_no_cache_writes_nothing(project: Path) -> None:
    assert invoke("check", "--no-cache", "model.py", cwd=project).returncode == 1
    assert not (project / ".mlint_cache").exists()


def test_same_size_edit_with_restored_mtime_is_relinted(project: Path) -> None:
    target = project / "model.py"
    target.write_text(CLEAN_MODULE, encoding="utf-8")
    first = invoke("check", "model.py", cwd=project)
    assert first.returncode == 0
    info = target.stat()
    target.write_text(SAFE_ML501_MODULE, encoding="utf-8")  # same size, now with a problem
    assert target.stat().st_size == info.st_size
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))  # `touch -r`
    second = invoke("check", "model.py", cwd=project)
    assert second.returncode == 1, second.stdout
    assert "All checks passed!" not in second.stdout
    target.write_text(CLEAN_MODULE, encoding="utf-8")  # and back
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    third = invoke("check", "model.py", cwd=project)
    assert third.returncode == 0, third.stdout


def test_the_stamp_is_trusted_only_while_the_ctime_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files older than the racy window are served on their stamp alone; `touch -r`
    cannot restore the ctime, so the edited file is read and hashed again."""
    monkeypatch.setattr(cache_module, "_RACY_NS", 0, raising=False)
    target = tmp_path / "model.py"
    target.write_text(CLEAN_MODULE, encoding="utf-8")
    options = RunOptions(lint=settings_for("ML501"), cache_dir=str(tmp_path / "cache"), jobs=1)
    assert [len(r.diagnostics) for r in run([str(target)], options)] == [0]
    assert [r.cached for r in run([str(target)], options)] == [True]
    info = target.stat()
    target.write_text(SAFE_ML501_MODULE, encoding="utf-8")
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    (result,) = run([str(target)], options)
    assert (result.cached, len(result.diagnostics)) == (False, 1)


def test_a_cache_file_of_the_wrong_shape_is_rebuilt(project: Path) -> None:
    first = invoke("check", "model.py", "--output-format", "concise", cwd=project)
    assert first.returncode == 1
    files = list((project / ".mlint_cache").glob("*/*.json"))
    assert len(files) == 2  # the results and the resolved settings
    key = json.dumps(str(project / "model.py"))
    shapes = [
        "[1, 2, 3]",
        "null",
        '{"a": 5}',
        "\x00\xff garbage",
        f'{{{key}: [1, 2, [{{"code": 5}}]]}}',
    ]
    for content in shapes:
        for path in files:
            path.write_bytes(content.encode("utf-8", "surrogateescape"))
        again = invoke("check", "model.py", "--output-format", "concise", cwd=project)
        assert (again.returncode, again.stdout, again.stderr) == (1, first.stdout, ""), content
    final = invoke("check", "model.py", "--output-format", "concise", cwd=project)
    assert (final.returncode, final.stdout) == (1, first.stdout)
