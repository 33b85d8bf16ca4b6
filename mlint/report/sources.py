"""Source text for reports: code frames, fix locations and stable fingerprints.

Cached results carry no source, so the file is read again; a file that has gone or
no longer decodes yields ``None`` and the formatter degrades (no frame, no edit positions).
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlint.lines import LINE_BREAK, LineOffsets
from mlint.types import Diagnostic, FileResult, Location

if TYPE_CHECKING:
    from mlint.report.ipynb import NotebookLines


@dataclass(frozen=True)
class SourceLines:
    """One text (a file, or a notebook cell) split into lines, with offsets for edits."""

    text: str
    lines: tuple[str, ...]

    table: LineOffsets

    @classmethod
    def of(cls, text: str) -> SourceLines:
        table = LineOffsets(text)
        return cls(text, tuple(LINE_BREAK.split(text)), table)

    def line(self, number: int) -> str | None:
        """The 1-based line ``number`` without its line break."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return None

    def location(self, offset: int) -> Location:
        """1-based line and column of a character offset."""
        return self.table.location(offset)


class Sources:
    """Per-report lookup of source text; reads each file at most once."""

    def __init__(self, results: tuple[FileResult, ...] | list[FileResult]) -> None:
        self._given = {r.path: r.source for r in results if r.source is not None}
        self._files: dict[str, SourceLines | None] = {}
        self._notebooks: dict[str, list[SourceLines] | None] = {}
        self._notebook_lines: dict[str, NotebookLines | None] = {}
        self._layouts: dict[str, tuple[list[int], list[tuple[int, SourceLines]]] | None] = {}

    def text(self, path: str) -> str | None:
        if path in self._given:
            return self._given[path]
        if path == "-":
            return None
        from mlint.files import SourceError, read_source

        try:
            return read_source(path).text
        except (SourceError, OSError, ValueError):
            return None

    def file(self, path: str) -> SourceLines | None:
        if path not in self._files:
            text = self.text(path)
            self._files[path] = SourceLines.of(text) if text is not None else None
        return self._files[path]

    def for_diagnostic(self, diag: Diagnostic) -> SourceLines | None:
        """The text the diagnostic's lines and columns count in: the file, or its notebook cell."""
        if diag.cell is None:
            return self.file(diag.path)
        cells = self._cells(diag.path)
        if cells is None or not 1 <= diag.cell <= len(cells):
            return None
        return cells[diag.cell - 1]

    def edits_resolvable(self, diag: Diagnostic) -> SourceLines | None:
        """The text a fix's character offsets index into, when known (not for notebooks)."""
        return None if diag.cell is not None else self.file(diag.path)

    def notebook_edit_location(self, diag: Diagnostic, offset: int) -> tuple[int, Location] | None:
        """For a notebook fix: ``(cell, position in that cell)`` of an edit offset.

        A notebook's edits index the joined code cells; masking keeps every length, so an
        offset falls in one cell at the same place as in the notebook's own cell text.
        """
        if diag.path not in self._layouts:
            self._layouts[diag.path] = _notebook_layout(self.text(diag.path))
        layout = self._layouts[diag.path]
        if layout is None:
            return None
        starts, cells = layout
        index = bisect.bisect_right(starts, offset) - 1
        if index < 0:
            return None
        number, lines = cells[index]
        return number, lines.location(offset - starts[index])

    def file_lines(self, diag: Diagnostic) -> tuple[int, int] | None:
        """The diagnostic's first and last line in the file on disk.

        For a notebook, the lines of the ``.ipynb`` JSON that hold the cell's source
        lines; ``None`` when they cannot be found.
        """
        if diag.cell is None:
            return diag.start.line, diag.end.line
        if diag.path not in self._notebook_lines:
            from mlint.report.ipynb import NotebookLines

            self._notebook_lines[diag.path] = NotebookLines.of(self.text(diag.path))
        lines = self._notebook_lines[diag.path]
        if lines is None:
            return None
        first = lines.file_line(diag.cell, diag.start.line)
        last = lines.file_line(diag.cell, diag.end.line)
        if first is None or last is None:
            return None
        return first, last

    def _cells(self, path: str) -> list[SourceLines] | None:
        if path not in self._notebooks:
            self._notebooks[path] = _notebook_cells(self.text(path))
        return self._notebooks[path]


def _notebook_layout(
    text: str | None,
) -> tuple[list[int], list[tuple[int, SourceLines]]] | None:
    """Offsets of the linted cells in the joined source, with each cell's number and text."""
    if text is None:
        return None
    from mlint.notebook import NotebookError, load, split_cells

    try:
        cells = split_cells(load(text))
    except NotebookError:
        return None
    starts, out, offset = [], [], 0
    for cell in cells:
        starts.append(offset)
        out.append((cell.index, SourceLines.of(cell.text)))
        offset += len(cell.text)
    return starts, out


def _notebook_cells(text: str | None) -> list[SourceLines] | None:
    """Every cell of a notebook (cells numbered over all cells, 1-based, as ruff shows them)."""
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return None
    out = []
    for cell in cells:
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        if isinstance(source, list):
            source = "".join(str(part) for part in source)
        out.append(SourceLines.of(str(source)))
    return out
