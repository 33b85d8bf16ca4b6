"""mlint as a python-lsp-server plugin (``pip install 'mlint[pylsp]'``).

pylsp finds it through the ``pylsp`` entry point group, as it finds python-lsp-ruff, so one
language server gives pylsp's completion and hover and mlint's diagnostics and quick fixes:
in JupyterLab (jupyterlab-lsp starts one server per language) and in any editor using pylsp.
Settings come from ``[tool.mlint]`` as for ``mlint check``; ``pylsp.plugins.mlint.enabled``
turns the plugin off.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pluggy

from mlint.types import Applicability, Diagnostic, Edit, Settings

SOURCE = "mlint"
hookimpl = pluggy.HookimplMarker("pylsp")  # pylsp's own marker, without importing pylsp
_BREAK = re.compile(r"\r\n|\r|\n")
_ERROR = 1
_WARNING = 2
_UNNECESSARY = 1


class _Lines:
    """Code-point offsets and mlint's 1-based columns to LSP (UTF-16) positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in _BREAK.finditer(text))]

    def position(self, offset: int) -> dict[str, int]:
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self.starts, offset) - 1
        before = self.text[self.starts[index] : offset].rstrip("\r\n")
        return {"line": index, "character": len(before.encode("utf-16-le")) // 2}

    def offset(self, line: int, column: int) -> int:
        if line > len(self.starts):
            return len(self.text)
        start = self.starts[max(line - 1, 0)]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return start + min(max(column - 1, 0), len(self.text[start:end].rstrip("\r\n")))

    def range(self, start: int, end: int) -> dict[str, dict[str, int]]:
        return {"start": self.position(start), "end": self.position(end)}


@lru_cache(maxsize=32)
def _settings(config: str | None, stamp: tuple[int, int], search_from: str) -> Settings:
    """Settings per config file, rebuilt when that file changes (``stamp``)."""
    from mlint.settings import Overrides, resolve_settings

    return resolve_settings(None, Overrides(), search_from=Path(search_from))


def settings_for(path: Path) -> Settings:
    from mlint.settings import find_config_file

    config = find_config_file(path)
    try:
        info = config.stat() if config else None
        stamp = (info.st_mtime_ns, info.st_size) if info else (0, 0)
    except OSError:
        stamp = (-1, -1)
    folder = str(config.parent) if config else str(path.parent)
    return _settings(str(config) if config else None, stamp, folder)


def _path(document: Any) -> Path:
    path = getattr(document, "path", None)
    return Path(path) if path else Path.cwd() / "untitled.py"


def lint(document: Any) -> tuple[Settings, list[Diagnostic]]:
    from mlint.engine import lint_source

    path = _path(document)
    settings = settings_for(path)
    return settings, lint_source(document.source, str(path), settings.lint)


def to_lsp(diag: Diagnostic, lines: _Lines) -> dict[str, Any]:
    from mlint.docs import rule_url

    start = lines.offset(diag.start.line, diag.start.column)
    end = lines.offset(diag.end.line, diag.end.column)
    result: dict[str, Any] = {
        "source": SOURCE,
        "code": diag.code,
        "codeDescription": {"href": rule_url(diag.code)},
        "message": diag.message,
        "severity": _ERROR if diag.code == "ML001" else _WARNING,
        "range": lines.range(start, end),
    }
    if diag.code == "ML002":
        result["tags"] = [_UNNECESSARY]
    return result


def _edits(edits: tuple[Edit, ...], lines: _Lines) -> list[dict[str, Any]]:
    return [
        {"range": lines.range(edit.start, edit.end), "newText": edit.content}
        for edit in sorted(edits)
    ]


@hookimpl
def pylsp_settings(config: Any) -> dict[str, Any]:
    return {"plugins": {"mlint": {"enabled": True}}}


@hookimpl
def pylsp_lint(workspace: Any, document: Any) -> list[dict[str, Any]]:
    """mlint's diagnostics for one document (pylsp publishes them with its own)."""
    _, diagnostics = lint(document)
    lines = _Lines(document.source)
    return [to_lsp(diag, lines) for diag in diagnostics]


@hookimpl
def pylsp_code_actions(
    config: Any, workspace: Any, document: Any, range: dict[str, Any], context: dict[str, Any]
) -> list[dict[str, Any]]:
    """A quick fix for each fixable diagnostic on the lines of ``range``."""
    _, diagnostics = lint(document)
    lines = _Lines(document.source)
    first, last = range["start"]["line"], range["end"]["line"]
    actions = []
    for diag in diagnostics:
        fix = diag.fix
        if fix is None or not fix.edits or fix.applicability is Applicability.DISPLAY_ONLY:
            continue
        lsp_diag = to_lsp(diag, lines)
        if lsp_diag["range"]["start"]["line"] > last or lsp_diag["range"]["end"]["line"] < first:
            continue
        title = f"{SOURCE} ({diag.code}): {fix.message or 'Apply fix'}"
        if fix.applicability is Applicability.UNSAFE:
            title += " (unsafe)"
        actions.append(
            {
                "title": title,
                "kind": "quickfix",
                "diagnostics": [lsp_diag],
                "isPreferred": fix.applicability is Applicability.SAFE,
                "edit": {"changes": {document.uri: _edits(fix.edits, lines)}},
            }
        )
    return actions
