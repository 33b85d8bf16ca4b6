"""`mlint server` end to end: a real LSP client (pytest-lsp) talks to it over stdio."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from mlint.docs import rule_url
from mlint.lsp import Positions, minimal_edit
from mlint.types import Edit
from tests.conftest import ROOT

TIMEOUT = 30

MODEL = """\
import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x):
        return self.proj.forward(x)


def run(modèle):
    données = ("😀", modèle.forward("héllo😀"))
    return données
"""

SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "mlint", "server"],
    server_env={
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    },
)


# ML501 (opt-in) is the sample rule of these tests: each test's folder selects it.
ML501_CONFIG = '[tool.mlint]\nextend-select = ["ML501"]\n'


@pytest.fixture(autouse=True)
def _select_ml501(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(ML501_CONFIG, encoding="utf-8")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    )
    yield
    await lsp_client.shutdown_session()


# Helpers: a client-side view of the protocol, written independently of the server's code.


def utf16_offset(text: str, position: lsp.Position) -> int:
    lines = text.splitlines(keepends=True)
    before = sum(len(line) for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    return before + len(line.encode("utf-16-le")[: 2 * position.character].decode("utf-16-le"))


def utf16_column(line: str, index: int) -> int:
    return len(line[:index].encode("utf-16-le")) // 2


def apply(text: str, edits: Sequence[lsp.TextEdit]) -> str:
    spans = [
        (utf16_offset(text, e.range.start), utf16_offset(text, e.range.end), e.new_text)
        for e in edits
    ]
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def edits_of(action: lsp.CodeAction, uri: str) -> list[lsp.TextEdit]:
    assert action.edit is not None
    if action.edit.document_changes:
        changes = action.edit.document_changes
        return [e for change in changes if change.text_document.uri == uri for e in change.edits]  # type: ignore[union-attr]
    return list((action.edit.changes or {}).get(uri, []))


async def diagnostics_after(
    client: LanguageClient, uri: str, send: object = None
) -> list[lsp.Diagnostic]:
    """The next diagnostics published for ``uri`` (``send`` is called once the slate is clean)."""
    client.diagnostics.pop(uri, None)
    if callable(send):
        send()

    async def wait() -> list[lsp.Diagnostic]:
        while uri not in client.diagnostics:
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return list(client.diagnostics[uri])

    return await asyncio.wait_for(wait(), TIMEOUT)


def open_document(client: LanguageClient, path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    return uri


def change(client: LanguageClient, uri: str, version: int, edits: Sequence[lsp.TextEdit]) -> None:
    """Send edits as incremental changes, the way editors do."""
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                lsp.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                for e in sorted(
                    edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
                )
            ],
        )
    )


async def code_actions(
    client: LanguageClient, uri: str, rng: lsp.Range, only: list[str] | None = None
) -> list[lsp.CodeAction]:
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=lsp.CodeActionContext(diagnostics=[], only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, lsp.CodeAction)]


# Pure conversions.


def test_positions_count_utf16_units_for_astral_characters() -> None:
    text = 'x = "😀"; y = f(x)\nzé = 1\r\nlast'
    positions = Positions(text)
    after_emoji = text.index("; y")
    assert positions.position(after_emoji) == lsp.Position(0, 8)  # 😀 is two UTF-16 units
    assert positions.offset(lsp.Position(0, 8)) == after_emoji
    assert positions.location(2, 3) == lsp.Position(1, 2)  # 1-based code-point columns
    assert positions.offset(lsp.Position(2, 0)) == text.index("last")  # after a `\r\n`
    assert positions.offset(lsp.Position(1, 99)) == text.index("\r\n")  # clamped to the line
    assert Positions(text, "utf-8").position(after_emoji) == lsp.Position(0, 10)
    assert Positions(text, "utf-32").position(after_emoji) == lsp.Position(0, 7)


def test_minimal_edit_touches_only_what_changed() -> None:
    old = "a = 1\r\nb = m.forward(x)\r\n"
    new = "a = 1\r\nb = m.forward(x)  # noqa: ML501\r\n"
    edit = minimal_edit(old, new)
    assert edit == Edit(len(old) - 2, len(old) - 2, "  # noqa: ML501")
    assert minimal_edit(old, old) is None


# End to end.


@pytest.mark.asyncio(loop_scope="module")
async def test_open_publishes_diagnostics_with_utf16_ranges(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_document(client, tmp_path / "model.py", MODEL)
    diagnostics = await diagnostics_after(client, uri)

    assert [d.code for d in diagnostics] == ["ML501", "ML501"]
    for diag in diagnostics:
        assert diag.source == "mlint"
        assert diag.severity == lsp.DiagnosticSeverity.Warning
        assert diag.code_description is not None
        assert diag.code_description.href == rule_url("ML501")
    line_index = MODEL.splitlines().index('    données = ("😀", modèle.forward("héllo😀"))')
    line = MODEL.splitlines()[line_index]
    call = 'modèle.forward("héllo😀")'
    start, end = line.index(call), line.index(call) + len(call)
    assert diagnostics[1].range == lsp.Range(
        start=lsp.Position(line_index, utf16_column(line, start)),
        end=lsp.Position(line_index, utf16_column(line, end)),
    )


@pytest.mark.asyncio(loop_scope="module")
async def test_quick_fix_applies_and_the_diagnostic_clears(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_document(client, tmp_path / "model.py", MODEL)
    diagnostics = await diagnostics_after(client, uri)
    unproven = diagnostics[1]

    actions = await code_actions(client, uri, unproven.range)
    titles = [a.title for a in actions]
    assert titles[:2] == [
        "mlint (ML501): Call the module (unsafe)",
        "Disable ML501 for this line",
    ]
    assert all(a.kind == lsp.CodeActionKind.QuickFix for a in actions[:2])
    edits = edits_of(actions[0], uri)
    fixed = apply(MODEL, edits)
    assert '    données = ("😀", modèle("héllo😀"))\n' in fixed

    remaining = await diagnostics_after(client, uri, lambda: change(client, uri, 2, edits))
    assert [d.range.start.line for d in remaining] == [diagnostics[0].range.start.line]


@pytest.mark.asyncio(loop_scope="module")
async def test_disable_for_this_line_adds_a_noqa_comment(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_document(client, tmp_path / "model.py", MODEL)
    diagnostics = await diagnostics_after(client, uri)

    actions = await code_actions(client, uri, diagnostics[1].range)
    disable = next(a for a in actions if a.title == "Disable ML501 for this line")
    edits = edits_of(disable, uri)
    assert '    données = ("😀", modèle.forward("héllo😀"))  # noqa: ML501\n' in apply(MODEL, edits)

    remaining = await diagnostics_after(client, uri, lambda: change(client, uri, 2, edits))
    assert len(remaining) == 1


@pytest.mark.asyncio(loop_scope="module")
async def test_fix_all_applies_only_safe_fixes(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_document(client, tmp_path / "model.py", MODEL)
    await diagnostics_after(client, uri)
    everything = lsp.Range(start=lsp.Position(0, 0), end=lsp.Position(0, 0))

    actions = await code_actions(client, uri, everything, only=[lsp.CodeActionKind.SourceFixAll])
    assert [(a.title, a.kind) for a in actions] == [
        ("mlint: Fix all auto-fixable problems", "source.fixAll.mlint")
    ]
    edits = edits_of(actions[0], uri)
    fixed = apply(MODEL, edits)
    assert "return self.proj(x)" in fixed
    assert 'modèle.forward("héllo😀")' in fixed  # unsafe: left for the user

    remaining = await diagnostics_after(client, uri, lambda: change(client, uri, 2, edits))
    assert [d.code for d in remaining] == ["ML501"]


@pytest.mark.asyncio(loop_scope="module")
async def test_syntax_error_is_an_error_and_save_relints(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_document(client, tmp_path / "broken.py", "def f(:\n    pass\n")
    diagnostics = await diagnostics_after(client, uri)
    assert [(d.code, d.severity) for d in diagnostics] == [("ML001", lsp.DiagnosticSeverity.Error)]

    full = lsp.Range(start=lsp.Position(0, 0), end=lsp.Position(2, 0))
    edits = [lsp.TextEdit(range=full, new_text="def f():\n    pass\n")]
    await diagnostics_after(client, uri, lambda: change(client, uri, 2, edits))
    saved = await diagnostics_after(
        client,
        uri,
        lambda: client.text_document_did_save(
            lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        ),
    )
    assert saved == []


@pytest.mark.asyncio(loop_scope="module")
async def test_workspace_config_is_honoured(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mlint]\nignore = ["ML501"]\n', encoding="utf-8")
    package = tmp_path / "pkg"
    package.mkdir()
    uri = open_document(client, package / "model.py", MODEL)
    assert await diagnostics_after(client, uri) == []

    (tmp_path / "pyproject.toml").write_text(ML501_CONFIG, encoding="utf-8")
    # Editors send `didSave` for the config file when it is open; that re-lints open files.
    config_uri = (tmp_path / "pyproject.toml").as_uri()
    relinted = await diagnostics_after(
        client,
        uri,
        lambda: client.text_document_did_save(
            lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=config_uri))
        ),
    )
    assert [d.code for d in relinted] == ["ML501", "ML501"]


@pytest.mark.asyncio(loop_scope="module")
async def test_close_clears_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_document(client, tmp_path / "model.py", MODEL)
    assert await diagnostics_after(client, uri)
    cleared = await diagnostics_after(
        client,
        uri,
        lambda: client.text_document_did_close(
            lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        ),
    )
    assert cleared == []


@pytest.mark.asyncio(loop_scope="module")
async def test_fast_typing_ends_with_diagnostics_for_the_final_text(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_document(client, tmp_path / "model.py", MODEL)
    end = len(MODEL.splitlines())
    for version in range(2, 7):  # five edits faster than the debounce
        line = f"données{version} = modèle.forward({version})\n"
        insert = lsp.Range(start=lsp.Position(end, 0), end=lsp.Position(end, 0))
        change(client, uri, version, [lsp.TextEdit(range=insert, new_text=line)])
        end += 1

    async def settled() -> list[lsp.Diagnostic]:
        while True:
            diagnostics = await diagnostics_after(client, uri)
            if len(diagnostics) == 2 + 5:
                return diagnostics

    diagnostics = await asyncio.wait_for(settled(), TIMEOUT)
    assert diagnostics[-1].range.start.line == end - 1


@pytest.mark.asyncio(loop_scope="module")
async def test_one_disable_action_per_code_and_line(client: LanguageClient, tmp_path: Path) -> None:
    text = "import torch\n\n\ndef run(a, b):\n    return a.forward(1) + b.forward(2)\n"
    uri = open_document(client, tmp_path / "two.py", text)
    diagnostics = await diagnostics_after(client, uri)
    assert [d.code for d in diagnostics] == ["ML501", "ML501"]

    line = lsp.Range(start=lsp.Position(4, 0), end=lsp.Position(4, 40))
    titles = [a.title for a in await code_actions(client, uri, line)]
    assert titles == [
        "mlint (ML501): Call the module (unsafe)",
        "mlint (ML501): Call the module (unsafe)",
        "Disable ML501 for this line",
    ]


# Transport: what clients send besides the happy path (a raw stdio client, no LSP library).


def test_stdio_flag_and_configuration_notifications_are_accepted_quietly() -> None:
    from tests.rawlsp import RawClient

    client = RawClient("--stdio")  # vscode-languageclient appends it with TransportKind.stdio
    client.initialize()
    client.notify("workspace/didChangeConfiguration", {"settings": {"mlint": {}}})
    assert client.request("shutdown", None) is None
    client.notify("exit", None)
    code, stderr = client.close()
    assert code == 0
    assert stderr == ""  # no "Ignoring notification for unknown method" warning


@pytest.mark.parametrize(
    ("garbage", "logged"),
    [
        (b"Content-Length: 99999999999999999999\r\n\r\n{}", "over the 128 MiB limit"),
        (b"Content-Length: 2000000000\r\n\r\n{}", "over the 128 MiB limit"),
        (b'Content-Length: abc\r\n\r\n{"jsonrpc": "2.0", "method": "x"}', "bad Content-Length"),
        (b"Content-Length: -3\r\n\r\n{}\r\n", "bad Content-Length"),
        (b'Content-Length: 10\r\n\r\n{"jsonrpc": "2.0", "method": "x"}', "not JSON"),
    ],
)
def test_a_bad_content_length_is_skipped_and_the_server_keeps_serving(
    garbage: bytes, logged: str
) -> None:
    from tests.rawlsp import RawClient

    client = RawClient()
    client.send_bytes(garbage)  # before `initialize`: the next message must still be answered
    result = client.initialize()
    assert result["serverInfo"]["name"] == "mlint"
    code, stderr = client.close()
    assert code == 0
    lines = stderr.splitlines()
    assert len(lines) == 1 and logged in lines[0], stderr
