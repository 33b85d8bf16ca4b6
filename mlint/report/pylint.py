"""``path:line: [CODE(name)] message``, the format pylint-aware tools parse."""

from __future__ import annotations

from collections.abc import Sequence

from mlint.report import ReportContext
from mlint.report.common import display_path, not_checked, not_checked_message
from mlint.report.sources import Sources
from mlint.types import FileResult


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    sources = Sources(list(results))
    lines = []
    for result in results:
        for diag in result.diagnostics:
            # Parsers expect `path:line:` of the file on disk: for a notebook the JSON line
            # holding the cell's line, and the cell and its line go into the message.
            line = diag.start.line
            cell = ""
            if diag.cell is not None:
                line = (sources.file_lines(diag) or (1, 1))[0]
                cell = f" (cell {diag.cell}, line {diag.start.line})"
            lines.append(
                f"{display_path(diag.path)}:{line}: [{diag.code}({diag.name})] {diag.message}{cell}"
            )
    for result in not_checked(results):
        lines.append(f"{display_path(result.path)}:1: [error] {not_checked_message(result)}")
    return "".join(line + "\n" for line in lines)
