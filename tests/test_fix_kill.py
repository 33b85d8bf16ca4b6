"""SIGKILL in the middle of a large `--fix` leaves every file original or fully fixed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT

FIXTURE = ROOT / "fixtures" / "ML501"
ORIGINAL = (FIXTURE / "bad.py").read_bytes()
FIXED = (FIXTURE / "bad.fixed.py").read_bytes()
COPIES = 200
TEMP = re.compile(r"\.m\d{3}\.py\.[0-9a-f]{8}\.mlint")


def _states(project: Path) -> tuple[int, list[str], list[str]]:
    """(files fully fixed, files neither original nor fixed, temporary files)."""
    fixed, odd, temps = 0, [], []
    for path in project.iterdir():
        if path.name == "pyproject.toml":
            continue
        if TEMP.fullmatch(path.name):
            temps.append(path.name)
            continue
        data = path.read_bytes() if path.suffix == ".py" else None
        if data == FIXED:
            fixed += 1
        elif data != ORIGINAL:
            odd.append(path.name)
    return fixed, odd, temps


def _fix_and_kill(project: Path, jobs: str, when_fixed: int | None, timeout: float = 60) -> bool:
    """Run `mlint check --fix` and SIGKILL it (all its processes) once copy number
    ``when_fixed`` is fixed (files are fixed roughly in name order); True if it was
    killed before it finished."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "mlint", "check", "--fix", "--no-cache", "-j", jobs, "."],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    watched = None if when_fixed is None else project / f"m{when_fixed:03}.py"
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if watched is not None and watched.stat().st_size == len(FIXED):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return True
            time.sleep(0.005)
        return False
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_sigkill_during_fix_leaves_each_file_original_or_fixed(tmp_path: Path) -> None:
    """A kill between a fixed copy's creation and its rename over the file can leave
    the copy (never a damaged file); the next `--fix` run removes it."""
    (tmp_path / "pyproject.toml").write_text('[tool.mlint]\nselect = ["ML501"]\n', encoding="utf-8")
    for i in range(COPIES):
        (tmp_path / f"m{i:03}.py").write_bytes(ORIGINAL)
    kills = []
    # Moments: at the first write, mid-run, near the end; with one process (the main
    # one writes) and with a pool (the workers write).
    for jobs, when_fixed in (("1", 1), ("2", 60), ("2", 150)):
        killed = _fix_and_kill(tmp_path, jobs, when_fixed)
        fixed, odd, temps = _states(tmp_path)
        assert odd == [], f"half-written files after a kill: {odd}"
        kills.append((when_fixed, killed, fixed, len(temps)))
    assert sum(killed for _, killed, _, _ in kills) >= 2, kills
    assert not _fix_and_kill(tmp_path, "2", None)  # a last run finishes the job
    assert _states(tmp_path) == (COPIES, [], [])
