"""``%load_ext mlint``: lint every cell IPython runs, with the session's earlier cells as context.

Works wherever an IPython kernel runs (Jupyter, JupyterLab, VS Code, Colab, Kaggle) and in
terminal IPython. The diagnostics of a cell are shown under it: HTML in a notebook front end,
plain text in a terminal. ``%mlint on|off``, ``%mlint select ML5,ML2``, ``%mlint ignore CODES``,
``%mlint reset`` and ``%mlint`` (status) control it.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlint.types import Diagnostic, Overrides, Settings

USAGE = "usage: %mlint [on | off | select CODES | ignore CODES | reset | status]"


@dataclass(frozen=True)
class CellReport:
    """The diagnostics of one cell, shown by IPython's display machinery."""

    source: str
    diagnostics: tuple[Diagnostic, ...]

    def _lines(self) -> list[str]:
        return self.source.splitlines() or [""]

    def __repr__(self) -> str:
        count = len(self.diagnostics)
        lines = [f"mlint: {count} problem{'s' if count != 1 else ''} in this cell"]
        source = self._lines()
        for diag in self.diagnostics:
            fix = " [*]" if diag.fixable else ""
            lines.append(
                f"  line {diag.start.line}, col {diag.start.column}: {diag.code}{fix} "
                f"{diag.message}"
            )
            if 1 <= diag.start.line <= len(source):
                text = source[diag.start.line - 1]
                width = (
                    diag.end.column - diag.start.column
                    if diag.end.line == diag.start.line
                    else len(text) - diag.start.column + 1
                )
                lines.append(f"    | {text}")
                lines.append(f"    | {' ' * (diag.start.column - 1)}{'^' * max(width, 1)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from mlint.docs import rule_url

        source = self._lines()
        rows = []
        for diag in self.diagnostics:
            line = source[diag.start.line - 1] if 1 <= diag.start.line <= len(source) else ""
            fix = " <span title='fixable'>[*]</span>" if diag.fixable else ""
            rows.append(
                "<tr>"
                f"<td style='white-space:nowrap'>{diag.start.line}:{diag.start.column}</td>"
                f"<td><a href='{html.escape(rule_url(diag.code))}' target='_blank'>"
                f"<code>{diag.code}</code></a>{fix}</td>"
                f"<td>{html.escape(diag.message)}<br><code>{html.escape(line.strip())}</code></td>"
                "</tr>"
            )
        count = len(self.diagnostics)
        return (
            "<div class='mlint-report' style='border-left:3px solid #e6a700;padding-left:8px'>"
            f"<b>mlint</b>: {count} problem{'s' if count != 1 else ''} in this cell"
            f"<table>{''.join(rows)}</table></div>"
        )

    def _repr_markdown_(self) -> str:
        items = [f"- line {d.start.line}: **{d.code}** {d.message}" for d in self.diagnostics]
        return "**mlint**\n\n" + "\n".join(items)


@dataclass
class SessionLinter:
    """The extension's state for one IPython shell."""

    shell: Any
    enabled: bool = True
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)  # earlier cells that parsed
    _settings: Settings | None = None

    # Settings ---------------------------------------------------------------------------

    def settings(self) -> Settings:
        if self._settings is None:
            from mlint.settings import resolve_settings

            overrides = Overrides(select=self.select, ignore=list(self.ignore))
            self._settings = resolve_settings(None, overrides, search_from=Path.cwd())
        return self._settings

    def path(self) -> str:
        """The notebook's path when the front end tells it, else one in the working folder."""
        name = self.shell.user_ns.get("__vsc_ipynb_file__") or os.environ.get("JPY_SESSION_NAME")
        if name and str(name).endswith(".ipynb"):
            return str(name)
        return str(Path.cwd() / "ipython-session.ipynb")

    # Linting ----------------------------------------------------------------------------

    def lint(self, source: str) -> tuple[Diagnostic, ...]:
        """The diagnostics of ``source`` run after the earlier cells; remembers it as context
        when it parses."""
        from mlint.cells import lint_cells

        context = [cell for cell in self.cells if cell != source]
        found = lint_cells([*context, source], self.path(), self.settings().lint).of_cell(
            len(context)
        )
        if any(d.code == "ML001" for d in found):
            return ()  # Python has said so already; a broken cell is no context
        if source in self.cells:  # a cell run again: once, as the latest
            self.cells.remove(source)
        self.cells.append(source)
        return found

    def post_run_cell(self, result: Any) -> None:
        """Lint a cell the user ran; code the front end runs on its own behalf (completions,
        variable viewers) is silent or kept out of the history, and skipped."""
        info = getattr(result, "info", None)
        source = getattr(info, "raw_cell", None)
        if not self.enabled or not source or not getattr(info, "store_history", True):
            return
        if getattr(info, "silent", False):
            return
        if isinstance(getattr(result, "error_before_exec", None), SyntaxError):
            return  # Python has said so already; a broken cell is no context
        try:
            found = self.lint(source)
        except Exception as exc:  # noqa: BLE001  (never break the user's session)
            print(f"mlint: internal error ({type(exc).__name__}: {exc}); `%mlint off` disables it")
            return
        if found:
            self.show(CellReport(source, found))

    def show(self, report: CellReport) -> None:
        """Display ``report`` through this shell (what ``IPython.display.display`` does for the
        global one): every format, the front end picks the richest it renders."""
        data, metadata = self.shell.display_formatter.format(report)
        self.shell.display_pub.publish(data=data, metadata=metadata)

    # The %mlint magic -------------------------------------------------------------------

    def magic(self, line: str) -> None:
        from mlint.settings import ConfigError

        words = line.replace(",", " ").split()
        command, codes = (words[0].lower(), words[1:]) if words else ("status", [])
        if command in ("on", "off"):
            self.enabled = command == "on"
        elif command in ("select", "ignore"):
            old = (self.select, self.ignore, self._settings)
            if command == "select":
                self.select = [c.upper() for c in codes] or None
            else:
                self.ignore = [c.upper() for c in codes]
            self._settings = None
            try:
                self.settings()
            except ConfigError as exc:
                self.select, self.ignore, self._settings = old
                # Blamed on the magic that gave the selector, not on the CLI flag it stands for.
                print(f"mlint: {exc}".replace(f"--{command}:", f"%mlint {command}:", 1))
                return
        elif command == "reset":
            self.select, self.ignore, self._settings = None, [], None
            self.cells.clear()
        elif command != "status":
            print(USAGE)
            return
        print(self.status())

    def status(self) -> str:
        state = "on" if self.enabled else "off"
        select = ",".join(self.select) if self.select else "from config"
        ignore = f"; ignore {','.join(self.ignore)}" if self.ignore else ""
        return f"mlint is {state} (select {select}{ignore}; {len(self.cells)} cells of context)"


def load(shell: Any) -> SessionLinter:
    """Hook mlint into ``shell``; loading it twice keeps one linter."""
    linter = getattr(shell, "_mlint_linter", None)
    if isinstance(linter, SessionLinter):
        return linter
    linter = SessionLinter(shell)
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", [])
    # Cells run before `%load_ext mlint` are context too; the last one is the cell running it,
    # which post_run_cell lints.
    for earlier in history[1:-1]:
        if earlier.strip():
            linter.lint(earlier)
    shell.events.register("post_run_cell", linter.post_run_cell)
    shell.register_magic_function(linter.magic, magic_kind="line", magic_name="mlint")
    shell._mlint_linter = linter
    return linter


def unload(shell: Any) -> None:
    linter = getattr(shell, "_mlint_linter", None)
    if isinstance(linter, SessionLinter):
        shell.events.unregister("post_run_cell", linter.post_run_cell)
        del shell._mlint_linter
