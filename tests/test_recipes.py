"""The CI recipes in docs/recipes/: every mlint command line in them runs as the docs promise."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, SAFE_ML501_MODULE, run_mlint

RECIPES = ROOT / "docs" / "recipes"

BAD = SAFE_ML501_MODULE
CLEAN = "import torch\n\nx = torch.zeros(2)\n"


def _load(name: str) -> Any:
    return yaml.safe_load((RECIPES / name).read_text(encoding="utf-8"))


def _mlint_lines(script: str) -> Iterator[str]:
    for line in script.splitlines():
        if line.strip().startswith("mlint "):
            yield line.strip()


def github_commands() -> list[str]:
    jobs = _load("github-actions.yml")["jobs"]
    return [
        line
        for job in jobs.values()
        for step in job["steps"]
        for line in _mlint_lines(step.get("run", ""))
    ]


def gitlab_commands() -> list[str]:
    job = _load("gitlab-ci.yml")["mlint"]
    return [line for entry in job["script"] for line in _mlint_lines(entry)]


def pre_commit_commands() -> list[str]:
    """What pre-commit runs for each configured hook: its entry (local hooks carry their own,
    others take the manifest's) plus the hook's args."""
    manifest = {
        hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    }
    hooks = [hook for repo in _load(".pre-commit-config.yaml")["repos"] for hook in repo["hooks"]]
    return [
        shlex.join([*shlex.split(h.get("entry") or manifest[h["id"]]["entry"]), *h.get("args", [])])
        for h in hooks
    ]


def install_commands() -> list[str]:
    """The `pip install` lines of the CI recipes."""
    steps = [
        step.get("run", "")
        for job in _load("github-actions.yml")["jobs"].values()
        for step in job["steps"]
    ]
    lines = [*steps, *_load("gitlab-ci.yml")["mlint"]["before_script"]]
    return [line.strip() for text in lines for line in text.splitlines() if "pip install" in line]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    # ML501 (opt-in) is the sample rule the recipes must report.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mlint]\nextend-select = ["ML501"]\n', encoding="utf-8"
    )
    (tmp_path / "model.py").write_text(BAD, encoding="utf-8")
    (tmp_path / "clean.py").write_text(CLEAN, encoding="utf-8")
    return tmp_path


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command)
    assert argv[0] == "mlint"
    return run_mlint(*argv[1:], cwd=cwd)


def _option(command: str, *names: str) -> str | None:
    argv = shlex.split(command)
    for index, arg in enumerate(argv[:-1]):
        if arg in names:
            return argv[index + 1]
    return None


def test_recipes_hold_the_expected_commands() -> None:
    assert github_commands() == [
        "mlint check --output-format github .",
        "mlint check --output-format sarif -o mlint.sarif --exit-zero .",
    ]
    assert gitlab_commands() == [
        "mlint check --output-format gitlab -o gl-code-quality-report.json .",
    ]
    assert pre_commit_commands() == ["mlint check --fix --force-exclude"]


def test_github_annotations_fail_the_step(project: Path) -> None:
    (command,) = [c for c in github_commands() if "github" in c]
    result = _run(command, project)
    assert result.returncode == 1, result.stderr
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1
    assert annotations[0].startswith("::error title=mlint (ML501),file=model.py,line=10,")


def test_github_sarif_is_written_and_does_not_fail_the_step(project: Path) -> None:
    (command,) = [c for c in github_commands() if "sarif" in c]
    result = _run(command, project)
    assert result.returncode == 0, result.stderr
    output = project / str(_option(command, "-o", "--output-file"))
    sarif = json.loads(output.read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "mlint"
    assert [r["ruleId"] for r in run["results"]] == ["ML501"]
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "model.py"
    assert location["region"]["startLine"] == 10


def test_gitlab_code_quality_report(project: Path) -> None:
    (command,) = gitlab_commands()
    result = _run(command, project)
    assert result.returncode == 1, result.stderr
    output = project / str(_option(command, "-o", "--output-file"))
    report = json.loads(output.read_text(encoding="utf-8"))
    assert [(i["check_name"], i["location"]["path"]) for i in report] == [("ML501", "model.py")]
    issue = report[0]
    assert issue["location"]["lines"]["begin"] == 10
    assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
    assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]


def test_gitlab_report_is_an_empty_list_on_a_clean_project(project: Path) -> None:
    (project / "model.py").unlink()
    (command,) = gitlab_commands()
    result = _run(command, project)
    assert result.returncode == 0, result.stderr
    output = project / str(_option(command, "-o", "--output-file"))
    assert json.loads(output.read_text(encoding="utf-8")) == []


def test_pre_commit_config_is_valid() -> None:
    pytest.importorskip("pre_commit")
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=RECIPES,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_hook_fixes_the_staged_files(project: Path) -> None:
    (command,) = pre_commit_commands()
    # pre-commit appends the staged file names to the entry.
    result = _run(f"{command} model.py clean.py", project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "model.py").read_text(encoding="utf-8") == BAD.replace(
        "self.proj.forward(x)", "self.proj(x)"
    )
    assert (project / "clean.py").read_text(encoding="utf-8") == CLEAN


def test_ci_recipes_install_the_wheel_this_checkout_builds(tmp_path: Path) -> None:
    """mlint is on no package index: the recipes install the wheel built from a checkout."""
    from mlint import __version__

    commands = install_commands()
    assert len(commands) == 2
    wheel = f"tools/mlint-{__version__}-py3-none-any.whl"
    assert all(shlex.split(c)[-1] == wheel for c in commands), commands
    pytest.importorskip("hatchling")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "tools"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert (tmp_path / wheel).is_file(), sorted(p.name for p in (tmp_path / "tools").iterdir())
    # The wheel carries a working mlint (installed without touching this environment).
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(tmp_path / wheel),
        ],
        check=True,
        timeout=300,
    )
    (tmp_path / "model.py").write_text(BAD, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlint",
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "ML501",
            "model.py",
        ],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1 and "ML501" in result.stdout, result.stdout + result.stderr


def test_pre_commit_recipe_runs_as_written(tmp_path: Path) -> None:
    """The recipe file itself, in a throwaway repo, run by the real pre-commit."""
    pytest.importorskip("pre_commit")
    import os
    import shutil
    import stat

    if shutil.which("git") is None:  # pragma: no cover
        pytest.skip("git is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "mlint"  # the `mlint` on PATH where the user commits: this checkout's
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mlint "$@"\n', encoding="utf-8")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(RECIPES / ".pre-commit-config.yaml", project / ".pre-commit-config.yaml")
    (project / "model.py").write_text(BAD, encoding="utf-8")
    (project / "pyproject.toml").write_text(
        '[tool.mlint]\nextend-select = ["ML501"]\n', encoding="utf-8"
    )
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "HOME": str(tmp_path),
        "GIT_CONFIG_NOSYSTEM": "1",
        "NO_COLOR": "1",
    }
    subprocess.run(["git", "init", "-q"], cwd=project, env=env, check=True)
    subprocess.run(["git", "add", "."], cwd=project, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr  # files were modified
    assert "mlint (fix)" in result.stdout
    assert (project / "model.py").read_text(encoding="utf-8") == BAD.replace(
        "self.proj.forward(x)", "self.proj(x)"
    )
