"""ML701 reads the project's declared torch version for `torch.load` without `weights_only`."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlint.analysis.requirements_torch import pins_below
from mlint.engine import lint_source
from mlint.testing import settings_for

SOURCE = "import torch\n\n\ndef load(path):\n    return torch.load(path)\n"


def _codes(path: Path) -> list[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SOURCE)
    return [d.code for d in lint_source(SOURCE, str(path), settings_for("ML701"))]


@pytest.mark.parametrize(
    ("name", "text", "reported"),
    [
        ("requirements.txt", "numpy\ntorch==1.13.1\n", True),
        ("requirements-dev.txt", "torch>=2.0,<2.4\n", True),
        ("pyproject.toml", '[project]\ndependencies = ["torch>=2.6"]\n', False),
        ("pyproject.toml", '[tool.poetry.dependencies]\ntorch = "^1.13"\n', True),
        ("environment.yml", "dependencies:\n  - pytorch=1.12\n", True),
        ("setup.cfg", "[options]\ninstall_requires =\n    torch\n", False),
        ("requirements.txt", "torch>=1.13\n", False),
        ("requirements.txt", "# torch==1.0\ntorchvision\n", False),
    ],
)
def test_declared_requirement_decides(tmp_path: Path, name: str, text: str, reported: bool) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / name).write_text(text)
    assert ("ML701" in _codes(tmp_path / "src" / "train.py")) is reported


def test_nearest_declaring_directory_wins(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("torch==1.13\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements.txt").write_text("torch==2.7.0\n")
    (tmp_path / "app" / "README.md").write_text("no requirement here\n")
    assert _codes(tmp_path / "app" / "serve.py") == []
    assert _codes(tmp_path / "train" / "fit.py") == ["ML701"]


def test_no_declared_torch_is_silent(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("numpy\n")
    assert _codes(tmp_path / "x.py") == []


def test_pins_below() -> None:
    assert pins_below("==2.5.1+cu121", (2, 6))
    assert pins_below("<2.6", (2, 6))
    assert not pins_below("<2.7", (2, 6))
    assert not pins_below("~=2.0", (2, 6))
    assert pins_below("~=2.3.0", (2, 6))


def test_walk_stops_at_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("torch==1.13\n")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert _codes(tmp_path / "project" / "src" / "load.py") == []
