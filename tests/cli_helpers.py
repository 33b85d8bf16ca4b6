"""Run the CLI in this process (fast) or, where it must be a real process, unprivileged."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlint.cli import main
from tests.conftest import ROOT


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def invoke(*args: str, cwd: Path) -> Outcome:
    """``mlint ARGS`` run in-process from ``cwd``; an uncaught exception fails the test."""
    # click < 8.2 mixes stderr into stdout unless told not to.
    separate = "mix_stderr" in inspect.signature(CliRunner.__init__).parameters
    runner = CliRunner(**({"mix_stderr": False} if separate else {}))  # type: ignore[arg-type]
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(main, list(args), env={"NO_COLOR": "1"})
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


def unprivileged() -> list[str]:
    """A command prefix under which file permissions apply (root ignores them)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be tested")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


def spawn(
    *args: str, cwd: Path, prefix: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m mlint ARGS`` as its own process, killed after 60 s (a hang fails)."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(  # noqa: PLW1510  (callers assert on the exit code)
        [*(prefix or []), sys.executable, "-m", "mlint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
