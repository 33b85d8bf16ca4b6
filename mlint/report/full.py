"""The default format: ruff-style code frames with the span underlined, the fix title, and the fix."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence

from mlint.report import ReportContext
from mlint.report.common import display_path, fix_marker, location_text, paint
from mlint.report.sources import SourceLines, Sources
from mlint.types import Applicability, Diagnostic, FileResult, Fix

CONTEXT_LINES = 2
TAB = "    "
_FIX_LABEL = {
    Applicability.SAFE: "Safe fix",
    Applicability.UNSAFE: "Unsafe fix",
    Applicability.DISPLAY_ONLY: "Display-only fix",
}

_FIX_NOTE = {
    Applicability.UNSAFE: (
        "This is an unsafe fix and may change runtime behavior; "
        "apply it with `--fix --unsafe-fixes`"
    ),
    Applicability.DISPLAY_ONLY: "This fix is shown for review only and is never applied",
}


def _width(text: str) -> int:
    """Terminal cells ``text`` takes once tabs are expanded (wide characters count twice)."""
    width = 0
    for char in text:
        if char == "\t":
            width += len(TAB)
        elif unicodedata.combining(char):
            continue
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            width += 2
        else:
            width += 1
    return width


def _shown(line: str) -> str:
    return line.replace("\t", TAB).rstrip()


class _Frame:
    """Builds the lines of one code frame around a diagnostic."""

    def __init__(self, diag: Diagnostic, lines: SourceLines, context: ReportContext) -> None:
        self.diag = diag
        self.lines = lines
        self.context = context
        first = max(1, diag.start.line - CONTEXT_LINES)
        last = min(len(lines.lines), max(diag.end.line, diag.start.line) + CONTEXT_LINES)
        # Blank lines at the window's edges add nothing.
        while first < diag.start.line and not lines.lines[first - 1].strip():
            first += 1
        while last > diag.end.line and not lines.lines[last - 1].strip():
            last -= 1
        self.first, self.last = first, last
        self.gutter = len(str(last))

    def _bar(self, number: int | None = None) -> str:
        label = str(number) if number is not None else ""
        return paint(f"{label:>{self.gutter}} |", "cyan", self.context)

    def _red(self, text: str) -> str:
        return paint(text, "red", self.context)

    def _col(self, line_number: int, column: int) -> int:
        """Display offset of a 1-based character column on a line."""
        text = self.lines.line(line_number) or ""
        return _width(text[: max(0, column - 1)])

    def render(self) -> list[str]:
        diag = self.diag
        out = [self._bar()]
        code = paint(diag.code, "red", self.context)
        if diag.end.line <= diag.start.line:
            start = self._col(diag.start.line, diag.start.column)
            end = self._col(diag.start.line, diag.end.column)
            carets = paint("^" * max(1, end - start), "red", self.context)
            for n in range(self.first, self.last + 1):
                out.append(f"{self._bar(n)} {_shown(self.lines.lines[n - 1])}".rstrip())
                if n == diag.start.line:
                    out.append(f"{self._bar()} {' ' * start}{carets} {code}")
            out.append(self._bar())
            return out
        # A span over several lines: a bracket in the margin from its first to its last line.
        start_line = self.lines.line(diag.start.line) or ""
        indent = len(start_line) - len(start_line.lstrip())
        starts_line = diag.start.column - 1 <= indent
        start = self._col(diag.start.line, diag.start.column)
        end = max(1, self._col(diag.end.line, diag.end.column))
        for n in range(self.first, self.last + 1):
            text = _shown(self.lines.lines[n - 1])
            if n < diag.start.line or n > diag.end.line:
                margin = "  "
            elif n == diag.start.line:
                margin = self._red("/ ") if starts_line else "  "
            else:
                margin = self._red("| ")
            out.append(f"{self._bar(n)} {margin}{text}".rstrip())
            if n == diag.start.line and not starts_line:
                out.append(f"{self._bar()}  {self._red('_' * (start + 1) + '^')}")
            if n == diag.end.line:
                out.append(f"{self._bar()} {self._red('|' + '_' * end + '^')} {code}")
        out.append(self._bar())
        return out


def _fix_diff(fix: Fix, lines: SourceLines, context: ReportContext) -> list[str]:
    """The fix as a small numbered diff of the lines it changes."""
    if not fix.edits:
        return []
    edits = sorted(fix.edits, key=lambda e: (e.start, e.end))
    first = lines.location(edits[0].start).line
    last = lines.location(max(e.end for e in edits)).line
    region_start = lines.table.starts[first - 1]
    region_end = lines.table.starts[last] if last < len(lines.table.starts) else len(lines.text)
    region = lines.text[region_start:region_end]
    for edit in reversed(edits):
        lo, hi = edit.start - region_start, edit.end - region_start
        region = region[:lo] + edit.content + region[hi:]
    old = list(lines.lines[first - 1 : last])
    new = list(SourceLines.of(region).lines)
    if region_end < len(lines.text) and new and new[-1] == "":
        new.pop()  # the region kept its final line break: no extra empty line
    before = [n for n in range(max(1, first - CONTEXT_LINES), first)]
    after = [n for n in range(last + 1, min(len(lines.lines), last + CONTEXT_LINES) + 1)]
    # Blank lines at the diff's edges add nothing.
    while before and not lines.lines[before[0] - 1].strip():
        before.pop(0)
    while after and not lines.lines[after[-1] - 1].strip():
        after.pop()
    shift = len(new) - len(old)
    width = len(str(max(last + CONTEXT_LINES + max(shift, 0), 1)))

    def row(old_no: int | None, new_no: int | None, sign: str, text: str) -> str:
        numbers = f"{old_no if old_no else '':>{width}} {new_no if new_no else '':>{width}}"
        body = f"{numbers} |{sign}{_shown(text)}".rstrip()
        color = {"-": "red", "+": "green"}.get(sign)
        return paint(body, color, context) if color else body

    label = _FIX_LABEL[fix.applicability]
    out = [paint(label, "bold", context)]
    out += [row(n, n, " ", lines.lines[n - 1]) for n in before]
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += [
                row(first + i, first + j, " ", old[i]) for i, j in zip(range(i1, i2), range(j1, j2))
            ]
            continue
        out += [row(first + i, None, "-", old[i]) for i in range(i1, i2)]
        out += [row(None, first + j, "+", new[j]) for j in range(j1, j2)]
    out += [row(n, n + shift, " ", lines.lines[n - 1]) for n in after]
    return out


def render_diagnostic(diag: Diagnostic, sources: Sources, context: ReportContext) -> list[str]:
    """The block for one diagnostic, ending with an empty line."""
    header = (
        f"{paint(display_path(diag.path), 'bold', context)}:{location_text(diag)}: "
        f"{paint(diag.code, 'red', context)} {fix_marker(diag, context)}{diag.message}"
    )
    out = [header]
    lines = sources.for_diagnostic(diag)
    frame_ok = (
        lines is not None
        and lines.line(diag.start.line) is not None
        and lines.line(diag.end.line) is not None
    )
    frame = _Frame(diag, lines, context) if frame_ok and lines is not None else None
    if frame is not None:
        out += frame.render()
    fix = diag.fix
    prefix = f"{' ' * frame.gutter} = " if frame is not None else "  = "
    if fix is not None and fix.message:
        out.append(f"{prefix}{paint('help', 'cyan', context)}: {fix.message}")
    if fix is not None:
        note = _FIX_NOTE.get(fix.applicability)
        if note:
            out.append(f"{prefix}{paint('note', 'cyan', context)}: {note}")
        # What the fix would change, as ruff shows it: the reader reviews it before --fix.
        edit_lines = sources.edits_resolvable(diag)
        if edit_lines is not None:
            diff = _fix_diff(fix, edit_lines, context)
            if diff:
                out += ["", *diff]
    out.append("")
    return out


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    sources = Sources(list(results))
    lines = [
        line
        for result in results
        for diag in result.diagnostics
        for line in render_diagnostic(diag, sources, context)
    ]
    return "".join(line + "\n" for line in lines)
