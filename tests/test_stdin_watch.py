"""Standard input as editor plugins send it, and `--watch`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from mlint.watch import CLEAR_SCREEN, poll_changes, run_watch
from tests.conftest import ROOT, SAFE_ML501_MODULE, run_mlint

ARGS = ("--no-cache", "--isolated", "--select", "ML501", "--output-format", "concise")


def test_stdin_filename_alone_reads_standard_input(tmp_path: Path) -> None:
    result = run_mlint(
        "check", *ARGS, "--stdin-filename", "pkg/model.py", cwd=tmp_path, stdin=SAFE_ML501_MODULE
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("pkg/model.py:")


def test_force_exclude_applies_to_the_stdin_filename(tmp_path: Path) -> None:
    shown = run_mlint(
        "check", *ARGS, "--stdin-filename", "build/model.py", cwd=tmp_path, stdin=SAFE_ML501_MODULE
    )
    assert shown.returncode == 1 and "build/model.py:" in shown.stdout
    excluded = run_mlint(
        "check",
        *ARGS,
        "--force-exclude",
        "--stdin-filename",
        "build/model.py",
        cwd=tmp_path,
        stdin=SAFE_ML501_MODULE,
    )
    assert excluded.returncode == 0 and excluded.stdout == "", excluded.stdout
    # With --fix an excluded input comes back unchanged, as editors expect.
    fixed = run_mlint(
        "check",
        *ARGS,
        "--fix",
        "--force-exclude",
        "--stdin-filename",
        "build/model.py",
        "-",
        cwd=tmp_path,
        stdin=SAFE_ML501_MODULE,
    )
    assert fixed.returncode == 0 and fixed.stdout == SAFE_ML501_MODULE


def test_polling_reports_changed_added_and_removed_files(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("ignored\n")
    deadline = time.monotonic() + 30
    changes = poll_changes(
        [str(tmp_path)], interval=0.05, should_stop=lambda: time.monotonic() > deadline
    )
    time.sleep(0.01)
    (tmp_path / "a.py").write_text("x = 22\n")
    assert next(changes) == {str(tmp_path / "a.py")}
    (tmp_path / "b.py").write_text("y = 1\n")
    assert next(changes) == {str(tmp_path / "b.py")}
    (tmp_path / "a.py").unlink()
    assert next(changes) == {str(tmp_path / "a.py")}


def test_run_watch_clears_the_screen_and_lints_after_each_change() -> None:
    runs: list[int] = []
    written: list[str] = []
    run_watch(["."], lambda: runs.append(1), written.append, iter([{"a.py"}, {"b.py"}]))
    assert len(runs) == 3
    assert all(text.startswith(CLEAR_SCREEN) for text in written)
    assert "watch mode" in written[0] and "change detected" in written[1]


def test_watch_relints_when_a_file_changes(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    target.write_text("x = 1\n", encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlint", "check", *ARGS, "--watch", "."],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        seen = ""
        deadline = time.monotonic() + 60
        while "Watching for file changes." not in seen and time.monotonic() < deadline:
            seen += proc.stdout.readline()
        assert "All checks passed!" in seen, seen
        target.write_text(SAFE_ML501_MODULE, encoding="utf-8")
        later = ""
        while "Watching for file changes." not in later and time.monotonic() < deadline:
            later += proc.stdout.readline()
        assert "File change detected" in later and "model.py:" in later and "ML501" in later, later
    finally:
        proc.terminate()
        proc.wait(timeout=10)
