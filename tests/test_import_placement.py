"""An import a fix adds goes where isort (ruff's ``I001``) would leave it, never above the header."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlint.fix import compiles, fix_source
from mlint.testing import settings_for
from tests.conftest import run_mlint

# ML304's fix adds `import asyncio`; ML401's adds `from dataclasses import dataclass`.
SLEEP = "\n\nasync def handle(path):\n    time.sleep(0.5)\n    return torch.zeros(2), os.sep\n"
SLEPT = SLEEP.replace("time.sleep", "await asyncio.sleep")
CONFIG = 'config = {"lr": 3e-4, "batch_size": 32, "epochs": 10}\nprint(config["lr"])\n'
TRY_IMPORT = "try:\n    import torch\nexcept ImportError:\n    torch = None\n"
CONFIG_CLASS = (
    "@dataclass(frozen=True)\n"
    "class Config:\n"
    "    lr: float = 3e-4\n"
    "    batch_size: int = 32\n"
    "    epochs: int = 10\n"
    "\n"
    "\n"
    "config = Config()\n"
    "print(config.lr)\n"
)


def _fixed(source: str, code: str) -> str:
    settings = settings_for(code, unsafe=True)
    fixed = fix_source(source, "t.py", settings).source
    assert compiles(fixed)
    assert fix_source(fixed, "t.py", settings).source == fixed  # a second fix changes nothing
    return fixed


def test_a_straight_stdlib_import_goes_first_in_the_stdlib_group() -> None:
    source = "import os\nimport time\n\nimport torch\n" + SLEEP
    assert _fixed(source, "ML304") == (
        "import asyncio\nimport os\nimport time\n\nimport torch\n" + SLEPT
    )


def test_a_from_import_goes_after_the_straight_ones_in_module_order() -> None:
    source = "import os\nimport sys\nfrom typing import Any\n\nimport torch\n\n" + CONFIG
    assert _fixed(source, "ML401") == (
        "import os\n"
        "import sys\n"
        "from dataclasses import dataclass\n"
        "from typing import Any\n"
        "\n"
        "import torch\n"
        "\n"
        "\n" + CONFIG_CLASS
    )


def test_a_comment_above_the_next_import_stays_with_it() -> None:
    source = "import os\n\n# Training\nimport torch\nfrom torch import nn\n\n" + CONFIG
    assert _fixed(source, "ML401").startswith(
        "import os\nfrom dataclasses import dataclass\n\n# Training\nimport torch\n"
    )


def test_with_only_third_party_imports_a_stdlib_group_opens_above_them() -> None:
    source = "import torch\nfrom transformers import AutoModel\n\n" + CONFIG
    assert _fixed(source, "ML401") == (
        "from dataclasses import dataclass\n"
        "\n"
        "import torch\n"
        "from transformers import AutoModel\n"
        "\n"
        "\n" + CONFIG_CLASS
    )


def test_the_docstring_and_future_imports_stay_first() -> None:
    source = '"""Training."""\n\nfrom __future__ import annotations\n\nimport torch\n\n' + CONFIG
    assert _fixed(source, "ML401") == (
        '"""Training."""\n'
        "\n"
        "from __future__ import annotations\n"
        "\n"
        "from dataclasses import dataclass\n"
        "\n"
        "import torch\n"
        "\n"
        "\n" + CONFIG_CLASS
    )


@pytest.mark.parametrize(
    ("imports", "fixed_imports"),
    [
        # Sections out of order: isort has not been here, so there is no group to join.
        (
            "import torch\nimport os\n",
            "import torch\nimport os\nfrom dataclasses import dataclass\n",
        ),
        # Imports under `try:`: the new one goes where the leading block would end.
        (TRY_IMPORT, "from dataclasses import dataclass\n" + TRY_IMPORT),
    ],
    ids=["unsorted", "conditional"],
)
def test_an_ungrouped_block_keeps_the_plain_placement(imports: str, fixed_imports: str) -> None:
    assert _fixed(imports + "\n" + CONFIG, "ML401") == fixed_imports + "\n\n" + CONFIG_CLASS


def test_crlf_file_gets_the_sorted_import_with_its_own_line_endings() -> None:
    source = "import os\nimport time\n\nimport torch\n" + SLEEP
    fixed = fix_source(source.replace("\n", "\r\n"), "t.py", settings_for("ML304", unsafe=True))
    assert fixed.source == _fixed(source, "ML304").replace("\n", "\r\n")


def _fix_notebook(tmp_path: Path, code: str, *cells: str) -> list[str]:
    """The code cells after ``mlint check --fix --unsafe-fixes``; a second run fixes nothing."""
    notebook = tmp_path / "nb.ipynb"
    data = {
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": c} for c in cells],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    notebook.write_text(json.dumps(data), encoding="utf-8")
    args = ("check", "--fix", "--unsafe-fixes", "--no-cache", "--isolated", "--select", code)
    first = run_mlint(*args, "nb.ipynb", cwd=tmp_path)
    assert "1 fixed, 0 remaining" in first.stdout, first.stdout + first.stderr
    fixed = [str(cell["source"]) for cell in json.loads(notebook.read_text("utf-8"))["cells"]]
    after = notebook.read_bytes()
    second = run_mlint(*args, "nb.ipynb", cwd=tmp_path)
    assert second.returncode == 0 and notebook.read_bytes() == after, second.stdout
    return fixed


def test_in_a_notebook_the_import_goes_after_the_leading_magics(tmp_path: Path) -> None:
    magics = "!pip install -q transformers\n%matplotlib inline\n"
    first, _ = _fix_notebook(tmp_path, "ML401", magics + "import os\n\nimport torch\n", CONFIG)
    assert first == magics + "import os\nfrom dataclasses import dataclass\n\nimport torch\n"

    first, _ = _fix_notebook(tmp_path, "ML401", magics + "import torch\n", CONFIG)
    assert first == magics + "from dataclasses import dataclass\n\nimport torch\n"


def test_in_a_notebook_cell_magic_lines_are_header_too(tmp_path: Path) -> None:
    cell = "%%capture\n!pip install -q transformers \\\n    accelerate\nimport torch\n"
    source = SLEEP.replace("time.sleep", "import time\n    time.sleep").replace(", os.sep", "")
    [fixed] = _fix_notebook(tmp_path, "ML304", cell + source)
    assert fixed.startswith(
        "%%capture\n!pip install -q transformers \\\n    accelerate\n"
        "import asyncio\n\nimport torch\n\n\nasync def handle(path):\n"
    )


def test_in_a_notebook_the_import_stays_in_the_cell_of_its_group(tmp_path: Path) -> None:
    # The group ends its cell (no final newline): the import must not slip into the next.
    first, second = _fix_notebook(tmp_path, "ML401", "%matplotlib inline\nimport os", CONFIG)
    assert first == "%matplotlib inline\nimport os\nfrom dataclasses import dataclass"
    assert "from dataclasses" not in second
    # A cell of magics only: the import goes into the next cell's group.
    first, second = _fix_notebook(
        tmp_path, "ML401", "!pip install torch\n", "import torch\n" + CONFIG
    )
    assert first == "!pip install torch\n"
    assert second.startswith("from dataclasses import dataclass\n\nimport torch\n")
