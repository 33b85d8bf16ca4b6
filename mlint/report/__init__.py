"""Output formats: one module per format, each a ``render(results, context) -> str``."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass

from mlint.types import FileResult

MODULES = {
    "full": "full",
    "concise": "concise",
    "grouped": "grouped",
    "json": "json_format",
    "json-lines": "json_lines",
    "github": "github",
    "gitlab": "gitlab",
    "sarif": "sarif",
    "junit": "junit",
    "pylint": "pylint",
    "rdjson": "rdjson",
}


@dataclass(frozen=True)
class ReportContext:
    """What a formatter may need beyond the results."""

    color: bool = False
    show_fixes: bool = False
    unsafe_fixes: bool = False
    # The directory paths are shown relative to (SARIF/GitLab want project-relative paths).
    project_root: str = "."


def render(name: str, results: Sequence[FileResult], context: ReportContext) -> str:
    """The whole report in one format, for results sorted by path."""
    module = importlib.import_module(f"mlint.report.{MODULES[name]}")
    text: str = module.render(results, context)
    return text
