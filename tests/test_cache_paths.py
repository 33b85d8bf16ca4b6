"""A result served from the cache is reported under the path of the current run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SAFE_ML501_MODULE, run_mlint


def test_cached_results_are_readdressed_to_the_current_run(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mlint]\nselect = ["ML501"]\n')
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(SAFE_ML501_MODULE, encoding="utf-8")
    first = run_mlint("check", "--output-format", "concise", cwd=tmp_path)
    assert first.returncode == 1 and first.stdout.startswith("pkg/m.py:"), first.stdout
    # The same file from its own folder: served from the cache filled above.
    second = run_mlint("check", "--output-format", "concise", cwd=tmp_path / "pkg")
    assert second.returncode == 1
    assert second.stdout.startswith("m.py:"), second.stdout
    data = json.loads(run_mlint("check", "--output-format", "json", cwd=tmp_path / "pkg").stdout)
    assert {d["filename"] for d in data} == {str(tmp_path / "pkg" / "m.py")}
