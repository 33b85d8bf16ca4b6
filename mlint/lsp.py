"""``mlint server``: a language server (pygls) that lints with the CLI's own ``lint_source``.

Diagnostics on open, save and (debounced) change; code actions for each fix, for a
``# noqa`` comment, and ``source.fixAll.mlint`` for every safe fix. Notebook documents (LSP
3.17) are linted as ``mlint check nb.ipynb`` lints the file: all cells together, each
diagnostic published on its cell.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import dataclasses
import json
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from mlint import __version__
from mlint.cells import CellsLint
from mlint.docs import rule_url
from mlint.settings import ConfigError, Overrides, Settings, find_config_file, resolve_settings
from mlint.types import Applicability, Diagnostic, Edit, Fix

log = logging.getLogger(__name__)

SOURCE = "mlint"
FIX_ALL_KIND = f"{lsp.CodeActionKind.SourceFixAll.value}.mlint"
DEBOUNCE_SECONDS = 0.2
ERROR_CODES = frozenset({"ML001"})
UNNECESSARY_CODES = frozenset({"ML002"})
PYTHON_SUFFIXES = (".py", ".pyi")
CONFIG_NAMES = frozenset({"pyproject.toml", "mlint.toml", ".mlint.toml"})
NOTEBOOK_SYNC = lsp.NotebookDocumentSyncOptions(
    notebook_selector=[
        lsp.NotebookDocumentFilterWithCells(
            notebook="jupyter-notebook", cells=[lsp.NotebookCellLanguage(language="python")]
        )
    ],
    save=True,
)


# Positions -------------------------------------------------------------------------------


class Positions:
    """Converts between code-point offsets into a text and LSP positions in the client's units.

    Lines end at ``\\r\\n``, ``\\r`` or ``\\n``, as LSP and libcst agree.
    """

    _BREAK = re.compile(r"\r\n|\r|\n")

    def __init__(self, text: str, encoding: str = lsp.PositionEncodingKind.Utf16.value) -> None:
        self.text = text
        self.encoding = encoding
        self.starts = [0, *(m.end() for m in self._BREAK.finditer(text))]

    def _line(self, index: int) -> str:
        """Line ``index`` (0-based) without its line break."""
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[index] : end].rstrip("\r\n")

    def _units(self, text: str) -> int:
        if text.isascii() or self.encoding == lsp.PositionEncodingKind.Utf32.value:
            return len(text)
        if self.encoding == lsp.PositionEncodingKind.Utf8.value:
            return len(text.encode("utf-8", "surrogatepass"))
        return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)

    def position(self, offset: int) -> lsp.Position:
        """The LSP position of a code-point offset."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self.starts, offset) - 1
        line = self._line(index)
        column = min(offset - self.starts[index], len(line))
        return lsp.Position(line=index, character=self._units(line[:column]))

    def location(self, line: int, column: int) -> lsp.Position:
        """The LSP position of mlint's 1-based line and 1-based code-point column."""
        return self.position(self.offset_of(line, column))

    def offset_of(self, line: int, column: int) -> int:
        """The code-point offset of mlint's 1-based line and column."""
        if line > len(self.starts):
            return len(self.text)
        index = max(line - 1, 0)
        return self.starts[index] + min(max(column - 1, 0), len(self._line(index)))

    def offset(self, position: lsp.Position) -> int:
        """The code-point offset of an LSP position (clamped to its line, as LSP asks)."""
        if position.line >= len(self.starts):
            return len(self.text)
        line = self._line(position.line)
        units = 0
        for column, char in enumerate(line):
            if units >= position.character:
                return self.starts[position.line] + column
            units += self._units(char)
        return self.starts[position.line] + len(line)

    def range(self, start: int, end: int) -> lsp.Range:
        return lsp.Range(start=self.position(start), end=self.position(end))


# Conversions -----------------------------------------------------------------------------


def to_lsp_diagnostic(diag: Diagnostic, positions: Positions) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=lsp.Range(
            start=positions.location(diag.start.line, diag.start.column),
            end=positions.location(diag.end.line, diag.end.column),
        ),
        message=diag.message,
        severity=(
            lsp.DiagnosticSeverity.Error
            if diag.code in ERROR_CODES
            else lsp.DiagnosticSeverity.Warning
        ),
        code=diag.code,
        code_description=lsp.CodeDescription(href=rule_url(diag.code)),
        source=SOURCE,
        tags=[lsp.DiagnosticTag.Unnecessary] if diag.code in UNNECESSARY_CODES else None,
    )


def text_edits(edits: Iterable[Edit], positions: Positions) -> list[lsp.TextEdit]:
    return [
        lsp.TextEdit(range=positions.range(edit.start, edit.end), new_text=edit.content)
        for edit in sorted(edits)
    ]


def minimal_edit(old: str, new: str) -> Edit | None:
    """One edit turning ``old`` into ``new`` that leaves their common ends alone."""
    if old == new:
        return None
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    if prefix and old[prefix - 1] == "\r" and old[prefix : prefix + 1] == "\n":
        prefix -= 1  # an LSP position cannot sit inside a `\r\n`
    return Edit(prefix, len(old) - suffix, new[prefix : len(new) - suffix])


def fix_title(diag: Diagnostic, fix: Fix) -> str:
    title = f"{SOURCE} ({diag.code}): {fix.message or 'Apply fix'}"
    return f"{title} (unsafe)" if fix.applicability is Applicability.UNSAFE else title


def kind_wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Whether the client asked for ``kind`` (``source.fixAll`` also asks for ``source.fixAll.mlint``)."""
    if not only:
        return True
    return any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


# The server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Linted:
    """One lint of one document version."""

    source: str
    diagnostics: tuple[Diagnostic, ...]
    settings: Settings | None
    config_error: str | None = None
    internal_error: str | None = None


# A notebook's cells: (cell URI, text, or None for a cell that is not Python code).
Cells = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class NotebookLinted:
    """One lint of one notebook's cells, all together."""

    source: Cells
    path: Path
    lint: CellsLint | None
    settings: Settings | None
    config_error: str | None = None
    internal_error: str | None = None

    def cell(self, uri: str, text: str) -> Linted:
        """The lint of one cell, as if it were a document of its own."""
        index = next((i for i, (cell, _) in enumerate(self.source) if cell == uri), None)
        diagnostics = () if self.lint is None or index is None else self.lint.of_cell(index)
        return Linted(text, diagnostics, self.settings)


AnyLinted = TypeVar("AnyLinted", Linted, NotebookLinted)


class MlintServer(LanguageServer):
    """Holds the per-session state: settings per config file, pending lints, last results."""

    def __init__(self) -> None:
        super().__init__(SOURCE, __version__, notebook_document_sync=NOTEBOOK_SYNC)
        # config path (None: defaults) -> ((mtime, size) of that file, settings)
        self.settings_cache: dict[str | None, tuple[tuple[int, int], Settings]] = {}
        # Keyed by the URI of a text document or of a notebook.
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.running: dict[str, asyncio.Future[Linted | NotebookLinted]] = {}
        self.results: dict[str, Linted | NotebookLinted] = {}
        self.published_cells: dict[str, set[str]] = {}  # notebook URI -> cell URIs
        self.reported_config_errors: set[str] = set()

    # Transport ---------------------------------------------------------------------------

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve on stdin/stdout, framing messages with ``mlint.lsp_io`` (survives bad headers)."""
        from pygls.io_ import StdoutWriter

        from mlint.lsp_io import serve

        source = stdin or sys.stdin.buffer
        self._stop_event = stop = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def run() -> None:
            loop = asyncio.get_running_loop()
            pool = self.thread_pool
            await serve(
                lambda limit: loop.run_in_executor(pool, source.readline, limit),
                lambda size: loop.run_in_executor(pool, source.read, size),
                self.dispatch,
                stop.is_set,
            )

        try:
            asyncio.run(run())
        except BrokenPipeError:
            log.error("connection to the client lost, shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    def dispatch(self, body: bytes) -> None:
        """Handle one message body; raises ``json.JSONDecodeError`` only (the reader resyncs)."""
        from pygls.exceptions import JsonRpcException

        try:
            message = json.loads(body, object_hook=self.protocol.structure_message)
            self.protocol.handle_message(message)
        except json.JSONDecodeError:
            raise
        except Exception as exc:  # as pygls does: log it, tell the client, keep serving
            log.exception("unable to handle a message")
            self._report_server_error(exc, JsonRpcException)

    # Settings ----------------------------------------------------------------------------

    def settings_for(self, path: Path) -> Settings:
        """The settings of the closest config file, re-read when that file changes."""
        config = find_config_file(path)
        key = str(config) if config else None
        try:
            info = config.stat() if config else None
            stamp = (info.st_mtime_ns, info.st_size) if info else (0, 0)
        except OSError:
            stamp = (-1, -1)
        cached = self.settings_cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        settings = resolve_settings(None, Overrides(), search_from=path)
        self.settings_cache[key] = (stamp, settings)
        return settings

    # Linting -----------------------------------------------------------------------------

    def lint(self, document: TextDocument, source: str) -> Linted:
        """Lint one snapshot of a document; never raises (runs in a worker thread, so it only
        returns problems: the event loop sends them to the client)."""
        from mlint.engine import lint_source

        path = document_path(document)
        try:
            settings = self.settings_for(path)
        except ConfigError as exc:
            return Linted(source, (), None, config_error=str(exc))
        if is_excluded(path, settings):
            return Linted(source, (), settings)
        try:
            diagnostics = lint_source(source, str(path), settings.lint)
        except Exception:  # a crashing rule must not take the editor's linter down
            log.exception("mlint failed on %s", path)
            return Linted(source, (), settings, internal_error=f"mlint: internal error on {path}")
        return Linted(source, tuple(diagnostics), settings)

    def lint_notebook(self, uri: str, cells: Cells) -> NotebookLinted:
        """Lint one snapshot of a notebook's cells together; never raises (as ``lint``)."""
        from mlint.cells import lint_cells

        path = notebook_path(uri)
        try:
            settings = self.settings_for(path)
        except ConfigError as exc:
            return NotebookLinted(cells, path, None, None, config_error=str(exc))
        if is_excluded(path, settings):
            return NotebookLinted(cells, path, None, settings)
        try:
            result = lint_cells([text for _, text in cells], str(path), settings.lint)
        except Exception:  # a crashing rule must not take the editor's linter down
            log.exception("mlint failed on %s", path)
            message = f"mlint: internal error on {path}"
            return NotebookLinted(cells, path, None, settings, internal_error=message)
        return NotebookLinted(cells, path, result, settings)

    def cells_of(self, notebook: lsp.NotebookDocument) -> Cells:
        """The current text of each cell of ``notebook`` (None: not a Python code cell)."""
        cells: list[tuple[str, str | None]] = []
        for cell in notebook.cells:
            document = self.workspace.get_text_document(cell.document)
            code = cell.kind == lsp.NotebookCellKind.Code and is_python(document)
            cells.append((cell.document, document.source if code else None))
        return tuple(cells)

    def report_problems(self, linted: Linted | NotebookLinted) -> None:
        if linted.internal_error:
            self.window_log_message(
                lsp.LogMessageParams(type=lsp.MessageType.Error, message=linted.internal_error)
            )
        message = linted.config_error
        if message and message not in self.reported_config_errors:
            self.reported_config_errors.add(message)  # once, not on every keystroke
            self.window_show_message(
                lsp.ShowMessageParams(type=lsp.MessageType.Error, message=f"mlint: {message}")
            )

    async def current(self, uri: str, force: bool = False) -> tuple[TextDocument, Linted]:
        """The document and a lint of its current text, reusing the last one when it matches.

        A notebook cell is linted with the rest of its notebook.
        """
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:
            notebook_linted = await self.current_notebook(notebook.uri, force)
            document = self.workspace.get_text_document(uri)
            return document, notebook_linted.cell(uri, document.source)
        document = self.workspace.get_text_document(uri)
        linted = await self._latest(
            uri,
            Linted,
            lambda: self.workspace.get_text_document(uri).source,
            lambda source: self.lint(self.workspace.get_text_document(uri), source),
            force,
        )
        return self.workspace.get_text_document(uri), linted

    async def current_notebook(self, uri: str, force: bool = False) -> NotebookLinted:
        """A lint of the notebook's current cells, reusing the last one when it matches."""

        def cells() -> Cells:
            notebook = self.workspace.get_notebook_document(notebook_uri=uri)
            return () if notebook is None else self.cells_of(notebook)

        return await self._latest(
            uri, NotebookLinted, cells, lambda snapshot: self.lint_notebook(uri, snapshot), force
        )

    async def _latest(
        self,
        uri: str,
        kind: type[AnyLinted],
        snapshot: Callable[[], Any],
        run: Callable[[Any], AnyLinted],
        force: bool,
    ) -> AnyLinted:
        """The last lint of ``uri`` if its source still matches, else a new one.

        At most one lint per document runs at a time: a lint cannot be interrupted once in its
        thread, so lints started on every pause in typing would pile up on a big file.
        """
        running = self.running.get(uri)
        if running is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(running)
        source = snapshot()
        linted = self.results.get(uri)
        if force or not isinstance(linted, kind) or linted.source != source:
            future: asyncio.Future[Linted | NotebookLinted] = asyncio.ensure_future(
                asyncio.to_thread(run, source)
            )
            self.running[uri] = future
            future.add_done_callback(lambda done: self._finished(uri, done))
            linted = await asyncio.shield(future)
        assert isinstance(linted, kind)
        return linted

    def _finished(self, uri: str, future: asyncio.Future[Linted | NotebookLinted]) -> None:
        """Keep a finished lint even when the edit that asked for it has moved on."""
        if self.running.get(uri) is future:
            del self.running[uri]
        if future.cancelled() or future.exception() is not None:
            return
        linted = future.result()
        self.report_problems(linted)
        if isinstance(linted, NotebookLinted):
            still_open = self.workspace.get_notebook_document(notebook_uri=uri) is not None
        else:
            still_open = uri in self.workspace.text_documents
        if still_open:
            self.results[uri] = linted

    async def lint_and_publish(self, uri: str, delay: float = 0.0, force: bool = False) -> None:
        if delay:
            await asyncio.sleep(delay)
        if not is_python(self.workspace.get_text_document(uri)):
            return
        document, linted = await self.current(uri, force)
        if document.source != linted.source:
            return  # edited meanwhile: the lint scheduled by that edit publishes
        positions = Positions(linted.source, self.encoding)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(
                uri=uri,
                version=document.version,
                diagnostics=[to_lsp_diagnostic(d, positions) for d in linted.diagnostics],
            )
        )

    async def lint_and_publish_notebook(
        self, uri: str, delay: float = 0.0, force: bool = False
    ) -> None:
        """Lint a notebook's cells together and publish each cell's diagnostics on its URI."""
        if delay:
            await asyncio.sleep(delay)
        linted = await self.current_notebook(uri, force)
        notebook = self.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is None or self.cells_of(notebook) != linted.source:
            return  # closed or edited meanwhile: the lint scheduled by that edit publishes
        for index, (cell_uri, _) in enumerate(linted.source):
            document = self.workspace.get_text_document(cell_uri)
            positions = Positions(document.source, self.encoding)
            found = linted.lint.of_cell(index) if linted.lint else ()
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(
                    uri=cell_uri,
                    version=document.version,
                    diagnostics=[to_lsp_diagnostic(d, positions) for d in found],
                )
            )
        cells = {cell_uri for cell_uri, _ in linted.source}
        for gone in self.published_cells.get(uri, set()) - cells:
            self.clear(gone)
        self.published_cells[uri] = cells

    def clear(self, uri: str) -> None:
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def schedule(self, uri: str, delay: float = 0.0, force: bool = False) -> None:
        """(Re)start the lint of ``uri`` (a text document or a notebook), replacing any lint
        still pending for it.

        ``force`` lints even an unchanged text (after a save: the config may have changed).
        """
        self.cancel(uri)
        if self.workspace.get_notebook_document(notebook_uri=uri) is not None:
            publish = self.lint_and_publish_notebook(uri, delay, force)
        else:
            publish = self.lint_and_publish(uri, delay, force)
        task = asyncio.get_running_loop().create_task(publish)
        self.pending[uri] = task
        task.add_done_callback(lambda done: self._forget(uri, done))

    def _forget(self, uri: str, task: asyncio.Task[None]) -> None:
        if self.pending.get(uri) is task:
            del self.pending[uri]
        if not task.cancelled() and task.exception() is not None:
            log.error("mlint: lint of %s failed", uri, exc_info=task.exception())

    def cancel(self, uri: str) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()

    @property
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding
        return str(getattr(encoding, "value", encoding) or lsp.PositionEncodingKind.Utf16.value)

    # Code actions ------------------------------------------------------------------------

    def workspace_edit(
        self, *changes: tuple[TextDocument, list[lsp.TextEdit]]
    ) -> lsp.WorkspaceEdit:
        caps = self.client_capabilities.workspace
        versioned = bool(caps and caps.workspace_edit and caps.workspace_edit.document_changes)
        if versioned:
            return lsp.WorkspaceEdit(
                document_changes=[
                    lsp.TextDocumentEdit(
                        text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                            uri=document.uri, version=document.version
                        ),
                        edits=edits,
                    )
                    for document, edits in changes
                ]
            )
        return lsp.WorkspaceEdit(changes={document.uri: edits for document, edits in changes})

    def fix_edit(
        self,
        document: TextDocument,
        fix: Fix,
        positions: Positions,
        notebook: NotebookLinted | None,
    ) -> lsp.WorkspaceEdit:
        """The edit of one fix; in a notebook its edits may fall in several cells."""
        if notebook is None or notebook.lint is None:
            return self.workspace_edit((document, text_edits(fix.edits, positions)))
        changes = []
        for index, edits in notebook.lint.edits_by_cell(fix).items():
            cell = self.workspace.get_text_document(notebook.source[index][0])
            cell_positions = Positions(cell.source, self.encoding)
            changes.append((cell, text_edits(edits, cell_positions)))
        return self.workspace_edit(*changes)

    def code_actions(
        self,
        document: TextDocument,
        linted: Linted,
        params: lsp.CodeActionParams,
        notebook: NotebookLinted | None = None,
    ) -> list[lsp.CodeAction]:
        """Quick fixes for the diagnostics on the lines of ``params.range`` or named in its
        context (a cursor anywhere on a flagged line gets them), then "Fix all"."""
        from mlint.noqa import add_noqa

        source = linted.source
        positions = Positions(source, self.encoding)
        only = [str(getattr(kind, "value", kind)) for kind in params.context.only or ()]
        asked = {
            (str(d.code), d.range.start.line, d.range.start.character)
            for d in params.context.diagnostics
            if d.source == SOURCE
        }
        actions: list[lsp.CodeAction] = []
        noqa_actions: list[lsp.CodeAction] = []
        disabled: set[tuple[str, int]] = set()
        quick_fix = kind_wanted(lsp.CodeActionKind.QuickFix.value, only)
        for diag in linted.diagnostics if quick_fix else ():
            lsp_diag = to_lsp_diagnostic(diag, positions)
            on_lines = (
                lsp_diag.range.start.line <= params.range.end.line
                and lsp_diag.range.end.line >= params.range.start.line
            )
            key = (diag.code, lsp_diag.range.start.line, lsp_diag.range.start.character)
            if not on_lines and key not in asked:
                continue
            fix = diag.fix
            if (
                fix is not None
                and fix.edits
                and fix.applicability is not Applicability.DISPLAY_ONLY
            ):
                actions.append(
                    lsp.CodeAction(
                        title=fix_title(diag, fix),
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[lsp_diag],
                        is_preferred=fix.applicability is Applicability.SAFE,
                        edit=self.fix_edit(document, fix, positions, notebook),
                    )
                )
            noqa_key = (diag.code, diag.noqa_line or diag.start.line)
            if noqa_key in disabled:
                continue  # one "Disable" per code and line, however many diagnostics share it
            disabled.add(noqa_key)
            noqa = minimal_edit(source, add_noqa(source, [diag])[0])
            if noqa is not None:
                noqa_actions.append(
                    lsp.CodeAction(
                        title=f"Disable {diag.code} for this line",
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[lsp_diag],
                        edit=self.workspace_edit((document, text_edits([noqa], positions))),
                    )
                )
        actions.extend(noqa_actions)
        if notebook is not None:
            fix_all = self.fix_all_cells(notebook, only)
        else:
            fix_all = self.fix_all(document, linted, positions, only)
        if fix_all is not None:
            actions.append(fix_all)
        return actions

    def fix_all(
        self, document: TextDocument, linted: Linted, positions: Positions, only: list[str]
    ) -> lsp.CodeAction | None:
        """``source.fixAll.mlint``: every safe fix (unsafe ones never run unasked, e.g. on save)."""
        from mlint.fix import fix_source

        if linted.settings is None or not kind_wanted(FIX_ALL_KIND, only):
            return None
        if not only and not any(
            d.fix is not None and d.fix.applicability is Applicability.SAFE
            for d in linted.diagnostics
        ):
            return None  # keep the light-bulb menu short; an explicit request still computes
        settings = dataclasses.replace(linted.settings.lint, applicability=Applicability.SAFE)
        try:
            outcome = fix_source(linted.source, str(document_path(document)), settings)
        except Exception:
            log.exception("mlint: fix all failed on %s", document.uri)
            return None
        edit = minimal_edit(linted.source, outcome.source)
        if edit is None:
            return None
        return lsp.CodeAction(
            title=f"{SOURCE}: Fix all auto-fixable problems",
            kind=FIX_ALL_KIND,
            edit=self.workspace_edit((document, text_edits([edit], positions))),
        )

    def fix_all_cells(self, notebook: NotebookLinted, only: list[str]) -> lsp.CodeAction | None:
        """``source.fixAll.mlint`` for a notebook: every safe fix, in every cell."""
        from mlint.cells import fix_cells

        if (
            notebook.settings is None
            or notebook.lint is None
            or not kind_wanted(FIX_ALL_KIND, only)
        ):
            return None
        if not only and not any(
            d.fix is not None and d.fix.applicability is Applicability.SAFE
            for d in notebook.lint.diagnostics
        ):
            return None
        settings = dataclasses.replace(notebook.settings.lint, applicability=Applicability.SAFE)
        texts = [text for _, text in notebook.source]
        try:
            fixed = fix_cells(texts, str(notebook.path), settings)
        except Exception:
            log.exception("mlint: fix all failed on a notebook")
            return None
        changes = []
        for (uri, old), new in zip(notebook.source, fixed, strict=True):
            edit = None if old is None or new is None else minimal_edit(old, new)
            if edit is not None:
                cell = self.workspace.get_text_document(uri)
                changes.append((cell, text_edits([edit], Positions(old or "", self.encoding))))
        if not changes:
            return None
        return lsp.CodeAction(
            title=f"{SOURCE}: Fix all auto-fixable problems",
            kind=FIX_ALL_KIND,
            edit=self.workspace_edit(*changes),
        )


def document_path(document: TextDocument) -> Path:
    """The file a document is (or will be) saved as; unsaved buffers lint as if in the cwd."""
    if document.path:
        return Path(document.path)
    return Path.cwd() / (Path(document.uri.rsplit("/", 1)[-1]).name or "untitled.py")


def notebook_path(uri: str) -> Path:
    """The file a notebook is (or will be) saved as; unsaved ones lint as if in the cwd."""
    from pygls.uris import to_fs_path

    path = to_fs_path(uri)
    if path:
        return Path(path)
    return Path.cwd() / (Path(uri.rsplit("/", 1)[-1]).name or "untitled.ipynb")


def is_python(document: TextDocument) -> bool:
    if document.language_id:
        return document.language_id == "python"
    return document.uri.endswith(PYTHON_SUFFIXES)


def is_excluded(path: Path, settings: Settings) -> bool:
    """Whether ``exclude``/``extend-exclude`` keeps this file out (as ``--force-exclude`` would)."""
    if not path.is_file():
        return False
    from mlint.files import force_excluded

    return force_excluded(
        str(path),
        settings.project_root,
        settings.exclude,
        settings.extend_exclude,
        respect_gitignore=False,
    )


def create_server() -> MlintServer:
    """A server with every feature registered (built on demand: nothing runs at import)."""
    server = MlintServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: MlintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: MlintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, DEBOUNCE_SECONDS)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    async def did_save(ls: MlintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.rsplit("/", 1)[-1] in CONFIG_NAMES:
            for open_uri, document in list(ls.workspace.text_documents.items()):
                if (
                    is_python(document)
                    and ls.workspace.get_notebook_document(cell_uri=open_uri) is None
                ):
                    ls.schedule(open_uri, force=True)
            for notebook_uri in list(ls.workspace.notebook_documents):
                ls.schedule(notebook_uri, force=True)
            return
        ls.schedule(uri, force=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: MlintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.cancel(uri)
        ls.results.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_OPEN)
    async def notebook_did_open(ls: MlintServer, params: lsp.DidOpenNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CHANGE)
    async def notebook_did_change(
        ls: MlintServer, params: lsp.DidChangeNotebookDocumentParams
    ) -> None:
        ls.schedule(params.notebook_document.uri, DEBOUNCE_SECONDS)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_SAVE)
    async def notebook_did_save(ls: MlintServer, params: lsp.DidSaveNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, force=True)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CLOSE)
    async def notebook_did_close(
        ls: MlintServer, params: lsp.DidCloseNotebookDocumentParams
    ) -> None:
        uri = params.notebook_document.uri
        ls.cancel(uri)
        ls.results.pop(uri, None)
        cells = {cell.uri for cell in params.cell_text_documents}
        for cell in sorted(cells | ls.published_cells.pop(uri, set())):
            ls.clear(cell)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: MlintServer, params: lsp.DidChangeConfigurationParams
    ) -> None:
        """mlint reads its settings from pyproject.toml/mlint.toml, not from the client."""

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[
                lsp.CodeActionKind.QuickFix,
                lsp.CodeActionKind.SourceFixAll,
                FIX_ALL_KIND,
            ],
            resolve_provider=False,
        ),
    )
    async def code_action(
        ls: MlintServer, params: lsp.CodeActionParams
    ) -> list[lsp.CodeAction] | None:
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        if not is_python(document):
            return None
        notebook = ls.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:
            notebook_linted = await ls.current_notebook(notebook.uri)
            document = ls.workspace.get_text_document(uri)
            linted = notebook_linted.cell(uri, document.source)
            return ls.code_actions(document, linted, params, notebook_linted) or None
        document, linted = await ls.current(uri)
        return ls.code_actions(document, linted, params) or None

    return server


def start() -> None:
    """Serve on stdin/stdout until the client says ``exit``."""
    logging.basicConfig(level=logging.WARNING, format="mlint server: %(message)s")
    create_server().start_io()
