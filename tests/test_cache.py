"""The results cache serves unchanged files and never serves changed ones."""

from __future__ import annotations

import os
from pathlib import Path

from mlint.runner import RunOptions, run
from mlint.testing import settings_for
from tests.conftest import SAFE_ML501_MODULE


def _check(path: Path, cache: Path) -> tuple[bool, int]:
    options = RunOptions(lint=settings_for("ML501"), cache_dir=str(cache), jobs=1)
    (result,) = run([str(path)], options)
    return result.cached, len(result.diagnostics)


def test_a_touched_but_identical_file_is_still_a_hit(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    target.write_text(SAFE_ML501_MODULE, encoding="utf-8")
    cache = tmp_path / "cache"
    assert _check(target, cache) == (False, 1)
    assert _check(target, cache) == (True, 1)
    info = target.stat()
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns + 5_000_000_000))  # `git checkout`
    assert _check(target, cache) == (True, 1)


def test_same_size_new_content_is_relinted(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    target.write_text(SAFE_ML501_MODULE, encoding="utf-8")
    cache = tmp_path / "cache"
    _check(target, cache)
    info = target.stat()
    # Same length, different meaning: `forward(` becomes `fxrward(`.
    target.write_text(SAFE_ML501_MODULE.replace(".forward(", ".fxrward("), encoding="utf-8")
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns + 5_000_000_000))
    assert _check(target, cache) == (False, 0)
