"""Lint a list of cells as one module, as ``mlint check nb.ipynb`` does, with results per cell.

For front ends that hold cells rather than an ``.ipynb`` file: the language server's notebook
documents and the IPython extension. The joining, masking and position mapping are
``mlint.notebook``'s own.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlint.types import Diagnostic, Edit, Fix, LintSettings


@dataclass(frozen=True)
class CellsLint:
    """The diagnostics of a list of cells.

    Each diagnostic's lines and columns are relative to its cell and ``cell`` is the 1-based
    index of that cell in the list given; its fix's edits still hold offsets into the joined
    source (a fix may edit another cell: an import goes into the first one), which
    ``edits_by_cell`` turns into edits per cell.
    """

    diagnostics: tuple[Diagnostic, ...]
    starts: tuple[int, ...]  # offset of each linted cell in the joined source
    indexes: tuple[int, ...]  # 0-based index in the list given of each linted cell

    def of_cell(self, index: int) -> tuple[Diagnostic, ...]:
        """The diagnostics of cell ``index`` (0-based)."""
        return tuple(d for d in self.diagnostics if d.cell == index + 1)

    def edits_by_cell(self, fix: Fix) -> dict[int, list[Edit]]:
        """The fix's edits, relative to their cells, keyed by the 0-based cell index."""
        edits: dict[int, list[Edit]] = {}
        for edit in fix.edits:
            slot = max(0, bisect.bisect_right(self.starts, edit.start) - 1)
            base = self.starts[slot]
            edits.setdefault(self.indexes[slot], []).append(
                Edit(edit.start - base, edit.end - base, edit.content)
            )
        return edits


def _notebook(cells: Sequence[str | None]) -> dict[str, Any]:
    """A notebook holding ``cells``; ``None`` stands for a cell that is not Python code."""
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ""}
            if text is None
            else {"cell_type": "code", "metadata": {}, "source": text}
            for text in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def lint_cells(cells: Sequence[str | None], path: str, lint: LintSettings) -> CellsLint:
    """Lint the Python code ``cells`` (``None``: any other cell) together, as one notebook."""
    from mlint.notebook import _Layout, _lint, _map, _usable_fix, split_cells

    layout = _Layout.of(split_cells(_notebook(cells)))
    diagnostics = tuple(
        _map(diag, layout, _usable_fix(diag, layout)) for diag in _lint(layout, path, lint)
    )
    return CellsLint(diagnostics, layout.starts, tuple(cell.index - 1 for cell in layout.cells))


def fix_cells(cells: Sequence[str | None], path: str, lint: LintSettings) -> list[str | None]:
    """The text of each cell after ``mlint check --fix`` (at ``lint.applicability``), or
    ``None`` for a cell the fixes leave alone."""
    from mlint.notebook import lint_notebook

    result = lint_notebook(json.dumps(_notebook(cells)), path, lint, "fix")
    if result.fixed_source is None:
        return [None] * len(cells)
    fixed = json.loads(result.fixed_source)["cells"]
    return [
        None if old is None or cell["source"] == old else str(cell["source"])
        for old, cell in zip(cells, fixed, strict=True)
    ]
