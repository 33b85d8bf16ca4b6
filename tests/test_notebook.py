"""Jupyter notebooks: diagnostics per cell, magics masked, fixes written back in place."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mlint.notebook import _Layout, diff, lint_notebook, mask_cell, split_cells
from mlint.settings import LintSettings
from mlint.types import Edit
from tests.conftest import ROOT, run_mlint

NOTEBOOKS = ROOT / "fixtures" / "notebooks"
TRAIN = NOTEBOOKS / "train.ipynb"
# Exact assertions only for the rules whose behaviour this file specifies.
SELECT = ("--select", "ML0,ML501", "--no-cache", "--isolated")


def _notebook(*sources: str, **dump: object) -> str:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": source.splitlines(keepends=True),
        }
        for source in sources
    ]
    data = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    options = {"indent": 1, "sort_keys": True, "ensure_ascii": False, **dump}
    return json.dumps(data, **options) + "\n"  # type: ignore[arg-type]


def test_diagnostics_name_the_cell_and_the_line_within_it() -> None:
    result = run_mlint("check", str(TRAIN), *SELECT, "--output-format", "concise")
    assert result.returncode == 1
    hits = re.findall(r"train\.ipynb:(cell \d+:\d+:\d+): (ML\d+)", result.stdout)
    # Cells count markdown too (as in ruff and Jupyter); line 5 of cell 5 carries a `noqa`.
    assert hits == [
        ("cell 3:11:16", "ML501"),
        ("cell 5:4:7", "ML501"),
        ("cell 5:6:21", "ML002"),
        ("cell 7:5:12", "ML501"),
    ]
    assert "ML001" not in result.stdout  # every magic was masked


def test_fix_writes_the_expected_notebook(tmp_path: Path) -> None:
    target = tmp_path / "train.ipynb"
    shutil.copy(TRAIN, target)
    result = run_mlint("check", "--fix", str(target), *SELECT, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 fixed, 0 remaining" in result.stdout
    assert target.read_bytes() == (NOTEBOOKS / "train.fixed.ipynb").read_bytes()


def test_diff_shows_the_change_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "train.ipynb"
    shutil.copy(TRAIN, target)
    result = run_mlint("check", "--diff", str(target), *SELECT, cwd=tmp_path)
    assert result.returncode == 1
    # One diff per changed cell, in the cell's own text (not the notebook's JSON).
    assert f"+++ {target}:cell 5" in result.stdout
    assert "\n+out = net(batch)  # ML501, fixed\n" in result.stdout
    assert target.read_bytes() == TRAIN.read_bytes()


@pytest.mark.parametrize(
    "style",
    [
        {},
        {"indent": 2, "ensure_ascii": True},
        {"indent": None, "sort_keys": False},
        {"indent": "\t", "sort_keys": False},
    ],
    ids=["jupyter", "indent2-ascii", "compact", "tabs"],
)
def test_fix_on_a_clean_notebook_leaves_it_byte_identical(
    tmp_path: Path, style: dict[str, object]
) -> None:
    text = _notebook(
        "%pip install torch\nimport torch\n\nnet = torch.nn.Linear(2, 2)\n", "net(x)  # ü", **style
    )
    target = tmp_path / "clean.ipynb"
    target.write_bytes(text.encode("utf-8"))
    pristine = tmp_path / "pristine.ipynb"
    shutil.copy(target, pristine)
    result = run_mlint("check", "--fix", str(target), *SELECT, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert target.read_bytes() == pristine.read_bytes()
    git = subprocess.run(
        ["git", "diff", "--no-index", "--exit-code", str(pristine), str(target)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert git.returncode == 0, git.stdout


@pytest.mark.parametrize(
    "style",
    [{"indent": 2, "ensure_ascii": True}, {"indent": None, "separators": (",", ":")}],
    ids=["indent2-ascii", "minified"],
)
def test_fix_keeps_the_notebook_formatting(tmp_path: Path, style: dict[str, object]) -> None:
    before = _notebook(
        "import torch\nnet = torch.nn.Linear(2, 2)\ny = net.forward(x)  # é\n", **style
    )
    after = _notebook("import torch\nnet = torch.nn.Linear(2, 2)\ny = net(x)  # é\n", **style)
    target = tmp_path / "nb.ipynb"
    target.write_text(before, encoding="utf-8")
    run_mlint("check", "--fix", str(target), *SELECT, cwd=tmp_path)
    assert target.read_text(encoding="utf-8") == after


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"cells": [', "invalid notebook: not valid JSON"),
        ('{"cells": [], "nbformat": 3}', "only nbformat 4 is linted"),
        ("[1, 2]", "invalid notebook: no `cells` list"),
    ],
    ids=["broken-json", "nbformat-3", "not-a-notebook"],
)
def test_an_unreadable_notebook_is_one_error_line_and_the_rest_is_linted(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "broken.ipynb").write_text(content, encoding="utf-8")
    shutil.copy(TRAIN, tmp_path / "train.ipynb")
    result = run_mlint("check", str(tmp_path), *SELECT, "--output-format", "concise", cwd=tmp_path)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "broken.ipynb" in errors[0] and message in errors[0]
    assert "Traceback" not in result.stderr
    assert "train.ipynb:cell 5:4:7: ML501" in result.stdout


def test_a_notebook_in_another_language_is_skipped(tmp_path: Path) -> None:
    data = json.loads(_notebook("x <- model$forward(1)"))
    data["metadata"] = {"language_info": {"name": "R"}}
    target = tmp_path / "r.ipynb"
    target.write_text(json.dumps(data), encoding="utf-8")
    result = run_mlint("check", str(target), *SELECT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("source", "masked_lines"),
    [
        ("%matplotlib inline\nimport torch\n", [1]),
        ("for f in files:\n    !rm {f}\n", [2]),
        ("files = !ls \\\n  -la\nnp.zeros?\n??torch\n", [1, 2, 3, 4]),
        ("ratio = (10\n         % 3)\n", []),
        ('"""Why?\n%d items\n"""\n', []),
        ("x = 1  # comment ending in \\\n%time f()\n", [2]),
        ("%%time\nnet(x)\n", [1]),
    ],
    ids=[
        "line-magic",
        "indented-shell",
        "continued-and-help",
        "modulo",
        "docstring",
        "comment",
        "time",
    ],
)
def test_only_ipython_syntax_is_masked(source: str, masked_lines: list[int]) -> None:
    masked, masks, linted = mask_cell(source)
    assert linted
    lines = source.splitlines(keepends=True)
    starts = [sum(len(line) for line in lines[:i]) for i in range(len(lines))]
    assert [starts.index(mask.offset) + 1 for mask in masks] == masked_lines
    assert len(masked) == len(source)  # columns and offsets stay the notebook's
    compile(masked, "<cell>", "exec")


def test_a_non_python_cell_magic_is_not_linted() -> None:
    _, _, linted = mask_cell("%%bash\necho model.forward(x)\n")
    assert not linted


def test_a_fix_touching_a_magic_or_crossing_cells_is_dropped() -> None:
    data = json.loads(_notebook("a = 1\n%time f()\nb = 2\n", "c = 3\n"))
    layout = _Layout.of(split_cells(data))
    source = layout.source
    magic = source.index("...")
    second_cell = source.index("c = 3")
    assert layout.cell_of_edit(Edit(0, 5, "a = 2")) == 0
    assert layout.cell_of_edit(Edit(0, 0, "import torch\n")) == 0
    assert layout.cell_of_edit(Edit(magic, magic, "")) == 0  # insert before the magic line
    assert layout.cell_of_edit(Edit(magic + 1, magic + 3, "")) is None
    assert layout.cell_of_edit(Edit(0, magic + 3, "")) is None
    assert layout.cell_of_edit(Edit(second_cell - 6, second_cell + 1, "")) is None
    assert layout.cell_of_edit(Edit(second_cell, second_cell, "# x\n")) == 1


def test_noqa_inside_a_cell_suppresses() -> None:
    settings = LintSettings(enabled=frozenset({"ML501", "ML002"}), fixable=frozenset())
    text = _notebook(
        "%pip install torch\nimport torch\nnet = torch.nn.Linear(2, 2)\n",
        "y = net.forward(x)  # noqa: ML501\nz = net.forward(x)\n",
    )
    result = lint_notebook(text, "nb.ipynb", settings, "check")
    assert [(d.cell, d.start.line, d.code) for d in result.diagnostics] == [(2, 2, "ML501")]


def test_a_syntax_error_names_its_cell_without_joined_positions() -> None:
    settings = LintSettings(enabled=frozenset({"ML001", "ML501"}), fixable=frozenset())
    text = _notebook(
        "import torch\nnet = torch.nn.Linear(2, 2)\n", "%time f()\ndef f(:\n    pass\n"
    )
    (diag,) = lint_notebook(text, "nb.ipynb", settings, "check").diagnostics
    assert (diag.code, diag.cell, diag.start.line) == ("ML001", 2, 2)
    assert "error at" not in diag.message


def test_the_notebook_diff_shows_changed_cells_only() -> None:
    text = diff(
        TRAIN.read_text(encoding="utf-8"),
        (NOTEBOOKS / "train.fixed.ipynb").read_text(encoding="utf-8"),
        "train.ipynb",
    )
    headers = [line for line in text.splitlines() if line.startswith("+++")]
    assert headers == ["+++ train.ipynb:cell 3", "+++ train.ipynb:cell 5", "+++ train.ipynb:cell 7"]
    assert "-out = net.forward(batch)  # ML501, fixed\n+out = net(batch)  # ML501, fixed\n" in text


def _nb(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": "code", "metadata": {}, "outputs": [], "source": c} for c in cells
            ],
            "metadata": {"language_info": {"name": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def test_ipython_only_cells_are_not_syntax_errors(tmp_path: Path) -> None:
    """Automagic lines (`pip install x`) and cells IPython dedents run fine in Jupyter."""
    notebook = _nb(
        "pip install -q transformers\ncd data\nimport torch\n",
        "    cfg = dict(\n        lr=1e-3,\n    )\n    print(cfg)\n",
        "time = 5\nprint(time)\n",
    )
    (tmp_path / "nb.ipynb").write_text(notebook, encoding="utf-8")
    result = run_mlint(
        "check", "--no-cache", "--isolated", "--select", "ML001", "nb.ipynb", cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # A real syntax error in a cell is still reported, in that cell.
    (tmp_path / "bad.ipynb").write_text(_nb("x = 1\n", "tensor([1, 2], grad_fn=<Add>)\n"))
    bad = run_mlint(
        "check",
        "--no-cache",
        "--isolated",
        "--select",
        "ML001",
        "--output-format",
        "concise",
        "bad.ipynb",
        cwd=tmp_path,
    )
    assert bad.returncode == 1 and "bad.ipynb:cell 2:1:" in bad.stdout, bad.stdout


def test_json_fix_edits_of_a_notebook_carry_cell_relative_locations(tmp_path: Path) -> None:
    shutil.copy(ROOT / "fixtures" / "notebooks" / "train.ipynb", tmp_path / "train.ipynb")
    result = run_mlint(
        "check",
        "--no-cache",
        "--isolated",
        "--select",
        "ML501",
        "--output-format",
        "json",
        "train.ipynb",
        cwd=tmp_path,
    )
    first = json.loads(result.stdout)[0]
    (edit,) = first["fix"]["edits"]
    assert first["cell"] == edit["cell"] == 3
    assert edit["location"] == first["location"] == {"row": 11, "column": 16}
    assert edit["end_location"] == {"row": 11, "column": 33}
    # An added import lands in the first cell: the edit says which cell it is in.
    (tmp_path / "cfg.ipynb").write_text(
        _nb(
            "import torch\n\nseed = 0\n",
            'config = {"lr": 3e-4, "batch_size": 32, "epochs": 10}\nprint(config["lr"])\n',
        )
    )
    data = json.loads(
        run_mlint(
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "ML401",
            "--output-format",
            "json",
            "cfg.ipynb",
            cwd=tmp_path,
        ).stdout
    )
    cells = {edit["cell"] for edit in data[0]["fix"]["edits"]}
    assert data[0]["cell"] == 2 and cells == {1, 2}
    assert all(edit["location"] is not None for edit in data[0]["fix"]["edits"])
