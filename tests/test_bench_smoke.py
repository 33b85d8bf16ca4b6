"""The benchmark harness runs end to end on three fixture files and prints its table.

Nothing here is timed: the numbers of a run this small mean nothing, only that a fresh clone's
`python benchmarks/bench.py` reaches the table (and writes it) without a corpus download.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

FILES = ("fixtures/ML501/bad.py", "fixtures/ML501/good.py", "fixtures/ML201/bad.py")


def test_quick_run_on_three_files_prints_the_table(tmp_path: Path) -> None:
    results = tmp_path / "results.md"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench.py"),
            "--quick",
            "--no-fixit",
            "--no-ruff",
            "--work-dir",
            str(tmp_path / "work"),
            "--results",
            str(results),
            "--files",
            *(str(ROOT / f) for f in FILES),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    table = done.stdout
    assert "| what | median wall s |" in table
    for row in ("parse floor", "`mlint check` cold", "`mlint check` warm", "cache hit"):
        assert row in table, row
    assert "failed" not in table
    assert "## Targets (issue 4)" in table
    assert "3 files" in table
    assert results.read_text(encoding="utf-8") == table.rstrip("\n") + "\n"
