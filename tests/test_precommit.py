"""The pre-commit hooks mlint ships, run by the real `pre-commit` in a throwaway git repo."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SAFE_ML501_MODULE

pytest.importorskip("pre_commit")
if shutil.which("git") is None:  # pragma: no cover - every CI image has git
    pytest.skip("git is not installed", allow_module_level=True)

MANIFEST = ROOT / ".pre-commit-hooks.yaml"

# `self.proj` is built in `__init__`, so ML501's fix is safe and `mlint-fix` applies it.
BAD = SAFE_ML501_MODULE
FIXED = BAD.replace("self.proj.forward(x)", "self.proj(x)")


def _hooks() -> dict[str, dict[str, object]]:
    return {hook["id"]: hook for hook in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))}


def test_manifest_is_valid_for_pre_commit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_manifest_hooks_lint_python_stubs_and_notebooks_serially() -> None:
    hooks = _hooks()
    assert set(hooks) == {"mlint", "mlint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi", "jupyter"]
        assert hook["require_serial"] is True
        assert "--force-exclude" in str(hook["entry"])
    assert "--fix" in str(hooks["mlint-fix"]["entry"]).split()
    assert "--fix" not in str(hooks["mlint"]["entry"]).split()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A git repo whose local hooks are the manifest's hooks, run with this checkout's mlint.

    `language: system` instead of `python` keeps the test offline: pre-commit would otherwise
    build a virtualenv and pip-install mlint and its dependencies.
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "mlint"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mlint "$@"\n', encoding="utf-8")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "NO_COLOR": "1",
    }
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)

    project = tmp_path / "project"
    project.mkdir()
    hooks = [{**hook, "language": "system"} for hook in _hooks().values()]
    config = {"repos": [{"repo": "local", "hooks": hooks}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (project / "pyproject.toml").write_text(
        '[tool.mlint]\noutput-format = "concise"\nextend-exclude = ["generated"]\n'
        'extend-select = ["ML501"]\n',
        encoding="utf-8",
    )
    (project / "model.py").write_text(BAD, encoding="utf-8")
    (project / "notes.txt").write_text("model.forward(x)\n", encoding="utf-8")
    # Excluded in the config: `--force-exclude` must keep it out although pre-commit names it.
    (project / "generated").mkdir()
    (project / "generated" / "model_pb.py").write_text(BAD, encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, env=env, check=True)
    subprocess.run(["git", "add", "."], cwd=project, env=env, check=True)
    return project, env


def _pre_commit(project: Path, env: dict[str, str], hook: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_hook_fails_on_a_violation_and_mlint_fix_repairs_it(
    repo: tuple[Path, dict[str, str]],
) -> None:
    project, env = repo

    failed = _pre_commit(project, env, "mlint")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "ML501" in failed.stdout
    assert "model.py" in failed.stdout
    assert "model_pb.py" not in failed.stdout

    fixed = _pre_commit(project, env, "mlint-fix")
    # pre-commit fails a hook that modified files, so the user reviews the fix before committing.
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    assert "files were modified by this hook" in fixed.stdout
    assert (project / "model.py").read_text(encoding="utf-8") == FIXED
    assert (project / "generated" / "model_pb.py").read_text(encoding="utf-8") == BAD

    subprocess.run(["git", "add", "model.py"], cwd=project, env=env, check=True)
    passed = _pre_commit(project, env, "mlint")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    commit = subprocess.run(
        ["git", "commit", "-m", "fixed"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr
    # The installed git hook ran both hooks, and both passed.
    output = commit.stdout + commit.stderr
    assert re.search(r"^mlint\.+Passed$", output, re.MULTILINE), output
    assert re.search(r"^mlint \(fix\)\.+Passed$", output, re.MULTILINE), output
