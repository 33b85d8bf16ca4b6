"""Jupyter notebooks: lint the code cells as one module, map diagnostics and fixes back to cells.

IPython syntax (``%magic``, ``!shell``, ``?help``, ``%%cell`` magics) is masked with a
placeholder of the same length, so lines and columns match the notebook exactly. Cells are
numbered like ruff: the 1-based index among *all* cells, markdown included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from mlint.types import Diagnostic, Edit, FileResult, Fix, LintSettings, Location

# Cell magics whose body is Python: only their first line is masked.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit"})
_ESCAPES = ("%", "!", "?", "/", ";", ",")
# `files = !ls`, `t = %timeit -o f()`: an assignment from a magic.
_MAGIC_ASSIGN = re.compile(r"[A-Za-z_][\w.]*\s*=\s*[!%]")
# `np.zeros?`, `model.fit??`: help requests.
_HELP_SUFFIX = re.compile(r"[A-Za-z_][\w.\[\]'\"]*\?{1,2}")
_PARSER_POSITION = re.compile(r"error at \d+:\d+: ")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
# Line magics IPython also runs without the `%` (automagic) and common shell aliases.
_AUTOMAGIC = re.compile(
    r"(?:pip|conda|mamba|cd|ls|pwd|env|matplotlib|load_ext|reload_ext|autoreload|run|timeit"
    r"|who|whos|mkdir|rmdir|cp|mv|rm|cat|clear|history|pinfo|pdb|store|sx|system)\s+\S"
)


class NotebookError(Exception):
    """A notebook that cannot be linted; the message is one line."""


@dataclass(frozen=True)
class Mask:
    """A masked line: its offset in the cell's text and the text it hides."""

    offset: int
    original: str
    placeholder: str


@dataclass(frozen=True)
class Cell:
    index: int  # 1-based among all cells
    text: str  # masked, ending in a newline
    masks: tuple[Mask, ...]
    # True when a newline was appended to join the cell; it is removed on write-back.
    added_newline: bool


def load(text: str) -> dict[str, Any]:
    """The notebook as JSON data, or ``NotebookError`` with a one-line reason."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"invalid notebook: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("invalid notebook: no `cells` list (is this a Jupyter notebook?)")
    if data.get("nbformat") != 4:
        raise NotebookError(
            f"unsupported notebook format {data.get('nbformat')!r}: only nbformat 4 is linted"
        )
    return data


def is_python(data: dict[str, Any]) -> bool:
    metadata = data.get("metadata") or {}
    language = (metadata.get("language_info") or {}).get("name") or (
        metadata.get("kernelspec") or {}
    ).get("language")
    return language is None or str(language).lower() == "python"


def cell_text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def cell_source(notebook_text: str, cell: int) -> str | None:
    """The unmasked text of cell ``cell`` (1-based among all cells); for reporters' code frames."""
    try:
        cells = load(notebook_text)["cells"]
    except NotebookError:
        return None
    if not 1 <= cell <= len(cells) or not isinstance(cells[cell - 1], dict):
        return None
    return cell_text(cells[cell - 1])


def _placeholder(line: str, continuation: bool) -> str:
    """Same length as ``line`` (newline kept): indentation, then ``...`` or ``0``, padded.

    A continuation line of a magic becomes blank: Python ignores it wherever it sits.
    """
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    if continuation:
        return " " * len(body) + ending
    indent = body[: len(body) - len(body.lstrip())]
    rest = len(body) - len(indent)
    stub = "..." if rest >= 3 else "0"
    return indent + stub + " " * (rest - len(stub)) + ending


def _is_magic(stripped: str) -> bool:
    if not stripped:
        return False
    return (
        stripped.startswith(_ESCAPES)
        or _MAGIC_ASSIGN.match(stripped) is not None
        or _HELP_SUFFIX.fullmatch(stripped.rstrip()) is not None
        or _is_automagic(stripped)
    )


def _is_automagic(stripped: str) -> bool:
    """``pip install x``, ``cd data``: IPython runs a line magic named without its ``%``
    (automagic, on by default) when the line is not Python on its own."""
    match = _AUTOMAGIC.match(stripped)
    if match is None:
        return False
    import ast

    try:
        ast.parse(stripped)
    except SyntaxError:
        return True
    return False


def _indented_cell(lines: Sequence[str]) -> bool:
    """IPython dedents a cell whose first code line is indented; mlint skips such a cell
    rather than report its indentation (columns must stay those of the notebook)."""
    for line in lines:
        if line.strip():
            return line[:1] in (" ", "\t")
    return False


class _Scanner:
    """Tracks brackets, strings and backslash continuations to find logical line starts."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None
        self.continued = False

    @property
    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        body = line.rstrip("\r\n")
        i = 0
        comment = False
        while i < len(body):
            char = body[i]
            if self.quote is not None:
                if char == "\\":
                    i += 2
                    continue
                if body.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                    continue
                i += 1
                continue
            if char == "#":
                comment = True
                break
            if char in "\"'":
                triple = body[i : i + 3]
                self.quote = triple if triple in ('"""', "'''") else char
                i += len(self.quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        ends_with_backslash = body.endswith("\\") and not comment
        if self.quote is not None and len(self.quote) == 1 and not ends_with_backslash:
            self.quote = None  # an unterminated one-line string ends with its line
        self.continued = self.quote is None and ends_with_backslash


def mask_cell(text: str) -> tuple[str, tuple[Mask, ...], bool]:
    """``(masked text, masks, linted)``: ``linted`` is False for non-Python cell magics."""
    lines = _LINE.findall(text)
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        name = first[2:].split(maxsplit=1)[0] if len(first) > 2 else ""
        if name not in PYTHON_CELL_MAGICS:
            return text, (), False
    if _indented_cell(lines):
        return text, (), False
    scanner = _Scanner()
    masks: list[Mask] = []
    out: list[str] = []
    offset = 0
    magic_continues = False
    for line in lines:
        stripped = line.strip()
        if magic_continues or (scanner.at_statement_start and _is_magic(stripped)):
            placeholder = _placeholder(line, magic_continues)
            masks.append(Mask(offset, line, placeholder))
            out.append(placeholder)
            magic_continues = line.rstrip("\r\n").endswith("\\")
        else:
            scanner.feed(line)
            out.append(line)
        offset += len(line)
    return "".join(out), tuple(masks), True


def split_cells(data: dict[str, Any]) -> list[Cell]:
    """The code cells that are linted, masked and each ending in a newline."""
    cells: list[Cell] = []
    for number, raw in enumerate(data["cells"], start=1):
        if not isinstance(raw, dict) or raw.get("cell_type") != "code":
            continue
        text = cell_text(raw)
        masked, masks, linted = mask_cell(text)
        if not linted or not masked.strip():
            continue
        added = not masked.endswith(("\n", "\r"))
        cells.append(Cell(number, masked + ("\n" if added else ""), masks, added))
    return cells


@dataclass(frozen=True)
class _Layout:
    """Where each cell sits in the joined source."""

    cells: tuple[Cell, ...]
    starts: tuple[int, ...]  # character offset of each cell
    first_lines: tuple[int, ...]  # 1-based line of each cell's first line

    @classmethod
    def of(cls, cells: Sequence[Cell]) -> _Layout:
        starts, first_lines = [], []
        offset, line = 0, 1
        for cell in cells:
            starts.append(offset)
            first_lines.append(line)
            offset += len(cell.text)
            line += len(_LINE.findall(cell.text))
        return cls(tuple(cells), tuple(starts), tuple(first_lines))

    @property
    def source(self) -> str:
        return "".join(cell.text for cell in self.cells)

    @property
    def cell_lines(self) -> tuple[tuple[int, int], ...]:
        """``(first line, cell number)`` per cell, for rules (``FileContext.cells``)."""
        return tuple(zip(self.first_lines, (cell.index for cell in self.cells), strict=True))

    def cell_at_line(self, line: int) -> int:
        import bisect

        return max(0, bisect.bisect_right(self.first_lines, line) - 1)

    def cell_of_edit(self, edit: Edit) -> int | None:
        """The cell holding ``edit``, or None when it crosses a cell boundary or a magic."""
        import bisect

        # An insertion at a boundary belongs to the cell it starts.
        index = max(0, bisect.bisect_right(self.starts, edit.start) - 1)
        start = self.starts[index]
        cell = self.cells[index]
        if edit.end > start + len(cell.text):
            return None
        for mask in cell.masks:
            m_start = start + mask.offset
            m_end = m_start + len(mask.placeholder)
            if edit.start == edit.end:
                if m_start < edit.start < m_end:
                    return None
            elif edit.start < m_end and edit.end > m_start:
                return None
        return index


def _parse_error_in_cell(diag: Diagnostic, layout: _Layout) -> Diagnostic:
    """A parse error placed in the cell that holds it, with that cell's own error.

    Jupyter compiles each cell on its own, so the first cell that does not parse alone is
    the culprit: an error at the end of one cell is not reported in the next one.
    """
    from mlint.parse import ParseFailure, cpython_error, parse_module

    for index, cell in enumerate(layout.cells):
        failure: ParseFailure | None = None
        if diag.code == "ML001":
            failure = cpython_error(cell.text)
        else:
            try:
                parse_module(cell.text)
            except ParseFailure as exc:
                failure = exc
        if failure is None:
            continue
        lines = _LINE.findall(cell.text)
        line, column = failure.line, failure.column
        if line > len(lines):  # the end of the cell: its last line, after the last character
            line, column = len(lines), len(lines[-1].rstrip("\r\n")) + 1
        joined = Location(layout.first_lines[index] + line - 1, column)
        message = failure.message
        if diag.code == "ML003":
            message = f"mlint cannot parse this file: {message}"
        return replace(diag, start=joined, end=joined, noqa_line=joined.line, message=message)
    return diag


def _map(diag: Diagnostic, layout: _Layout, fix: Fix | None) -> Diagnostic:
    if diag.code in ("ML001", "ML003"):
        diag = _parse_error_in_cell(diag, layout)
    index = layout.cell_at_line(diag.start.line)
    message = diag.message
    if diag.code == "ML001":  # the parser's own position counts lines of the joined cells
        message = _PARSER_POSITION.sub("", message)
    first = layout.first_lines[index]
    lines = _LINE.findall(layout.cells[index].text)
    end = Location(diag.end.line - first + 1, diag.end.column)
    if end.line > len(lines):  # e.g. a syntax error at the end of the joined source
        end = Location(len(lines), len(lines[-1].rstrip("\r\n")) + 1)
    return replace(
        diag,
        start=Location(diag.start.line - first + 1, diag.start.column),
        end=end,
        noqa_line=(diag.noqa_line or diag.start.line) - first + 1,
        cell=layout.cells[index].index,
        fix=fix,
        message=message,
    )


def _usable_fix(diag: Diagnostic, layout: _Layout) -> Fix | None:
    """The fix with edits relative to its cell, or None when it touches a magic or crosses cells."""
    if diag.fix is None:
        return None
    if not diag.fix.edits:
        return diag.fix
    cells = {layout.cell_of_edit(edit) for edit in diag.fix.edits}
    if None in cells:
        return None
    return diag.fix


def _lint(layout: _Layout, path: str, lint: LintSettings) -> list[Diagnostic]:
    from mlint.engine import lint_source

    return lint_source(layout.source, path, lint, layout.cell_lines) if layout.cells else []


def _apply(layout: _Layout, fixes: Sequence[Fix]) -> list[Cell]:
    """Apply edits cell by cell, keeping the masks' offsets in step with the text."""
    per_cell: dict[int, list[Edit]] = {}
    for fix in fixes:
        for edit in fix.edits:
            index = layout.cell_of_edit(edit)
            assert index is not None  # filtered by _usable_fix
            base = layout.starts[index]
            per_cell.setdefault(index, []).append(
                Edit(edit.start - base, edit.end - base, edit.content)
            )
    cells = list(layout.cells)
    for index, edits in per_cell.items():
        cell = cells[index]
        text = cell.text
        for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
            text = text[: edit.start] + edit.content + text[edit.end :]
        masks = tuple(
            replace(
                mask,
                offset=mask.offset
                + sum(len(e.content) - (e.end - e.start) for e in edits if e.end <= mask.offset),
            )
            for mask in cell.masks
        )
        cells[index] = replace(cell, text=text, masks=masks)
    return cells


def _fix(
    layout: _Layout, path: str, lint: LintSettings
) -> tuple[_Layout, int, list[Diagnostic], list[str]]:
    from mlint.fix import fix_loop

    return fix_loop(
        layout,
        lambda state: state.source,
        lambda state: _lint(state, path, lint),
        lambda state, _, accepted: _Layout.of(_apply(state, accepted)),
        lint.applicability,
        lambda state, diag: _usable_fix(diag, state) is not None,
    )


def _unmask(cell: Cell) -> str:
    text = cell.text
    for mask in sorted(cell.masks, key=lambda m: m.offset, reverse=True):
        end = mask.offset + len(mask.placeholder)
        text = text[: mask.offset] + mask.original + text[end:]
    if cell.added_newline and text.endswith("\n"):
        text = text[:-1]
    return text


def _json_style(text: str, data: Any) -> dict[str, Any]:
    """The ``json.dumps`` arguments that reproduce ``text`` (best guess if none does)."""
    match = re.search(r"\n([ \t]+)\S", text)
    indent: int | str | None = None
    if match:
        whitespace = match.group(1)
        indent = len(whitespace) if set(whitespace) == {" "} else whitespace
    ascii_guess = not any(ord(c) > 127 for c in text)
    candidates: list[dict[str, Any]] = []
    for ensure_ascii in (False, True) if not ascii_guess else (True, False):
        if indent is not None:
            candidates.append({"indent": indent, "ensure_ascii": ensure_ascii})
        else:
            for separators in ((", ", ": "), (",", ":")):
                candidates.append(
                    {"indent": None, "ensure_ascii": ensure_ascii, "separators": separators}
                )
    body = text.rstrip("\r\n")
    for style in candidates:
        if json.dumps(data, **style) == body:
            return style
    return candidates[0]


def _serialize(text: str, data: dict[str, Any], changed: dict[int, str]) -> str:
    import copy

    style = _json_style(text, data)
    new = copy.deepcopy(data)
    for number, source in changed.items():
        cell = new["cells"][number - 1]
        if isinstance(cell.get("source"), list):
            cell["source"] = source.splitlines(keepends=True)
        else:
            cell["source"] = source
    trailing = text[len(text.rstrip("\r\n")) :]
    return json.dumps(new, **style) + trailing


def lint_notebook(text: str, path: str, lint: LintSettings, mode: str) -> FileResult:
    """Lint a notebook; in ``fix``/``diff`` mode ``fixed_source`` is the whole new notebook JSON."""
    try:
        data = load(text)
    except NotebookError as exc:
        return FileResult(path, error=str(exc))
    if not is_python(data):
        return FileResult(path)
    layout = _Layout.of(split_cells(data))
    if mode == "check":
        diagnostics = _lint(layout, path, lint)
        mapped = tuple(_map(d, layout, _usable_fix(d, layout)) for d in diagnostics)
        return FileResult(path, mapped)
    fixed, applied, remaining, codes = _fix(layout, path, lint)
    mapped = tuple(_map(d, fixed, _usable_fix(d, fixed)) for d in remaining)
    if not applied:
        return FileResult(path, mapped, source=text)
    changed = {
        new.index: _unmask(new)
        for old, new in zip(layout.cells, fixed.cells, strict=True)
        if old.text != new.text
    }
    return FileResult(
        path,
        mapped,
        fixed_source=_serialize(text, data, changed),
        fixes_applied=applied,
        source=text,
        applied_codes=tuple(codes),
    )


def diff(before: str, after: str, path: str) -> str:
    """A unified diff per changed code cell (``path:cell N`` headers), as ruff shows notebooks."""
    import difflib

    try:
        old_cells, new_cells = load(before)["cells"], load(after)["cells"]
    except NotebookError:
        return ""
    chunks: list[str] = []
    for number, (old, new) in enumerate(zip(old_cells, new_cells, strict=False), start=1):
        old_text, new_text = cell_text(old), cell_text(new)
        if old_text == new_text:
            continue
        lines = difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=f"{path}:cell {number}",
            tofile=f"{path}:cell {number}",
        )
        chunks.extend(line if line.endswith("\n") else line + "\n" for line in lines)
    return "".join(chunks)
