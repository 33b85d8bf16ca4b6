"""Notebook documents in `mlint server` (LSP 3.17), driven by a raw JSON-RPC client over stdio.

The cells of a notebook are linted together, as `mlint check nb.ipynb` lints the file, and each
diagnostic and fix lands on its own cell's URI with positions relative to that cell.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_mlint
from tests.rawlsp import RawClient, diagnostics_for

CELL_1 = """\
import torch.nn as nn


class Net(nn.Module):
    def forward(self, x):
        return x
"""
CELL_2 = "net = Net()\nout = net.forward(x)\n"
CAPABILITIES = {
    "notebookDocument": {"synchronization": {"dynamicRegistration": False}},
    "workspace": {"workspaceEdit": {"documentChanges": True}},
}
CODE, MARKUP = 2, 1


@pytest.fixture(autouse=True)
def _select_ml501(tmp_path: Path) -> None:
    """ML501 (opt-in) is the sample rule of these tests: each test's folder selects it."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mlint]\nextend-select = ["ML501"]\n', encoding="utf-8"
    )


@pytest.fixture
def client() -> Iterator[RawClient]:
    client = RawClient("--stdio")
    client.initialize(CAPABILITIES)
    yield client
    code, stderr = client.close()
    assert code == 0
    assert "Traceback" not in stderr, stderr


def cell_uri(notebook: Path, index: int) -> str:
    """A cell URI as VS Code makes them: the notebook's path and a fragment per cell."""
    return f"vscode-notebook-cell:{notebook.as_posix()}#W{index}sZmlsZQ%3D%3D"


def open_notebook(client: RawClient, path: Path, cells: list[tuple[int, str]]) -> list[str]:
    """Send `notebookDocument/didOpen` for ``cells`` (kind, text); the cells' URIs."""
    uris = [cell_uri(path, i) for i in range(len(cells))]
    client.notify(
        "notebookDocument/didOpen",
        {
            "notebookDocument": {
                "uri": path.as_uri(),
                "notebookType": "jupyter-notebook",
                "version": 1,
                "cells": [
                    {"kind": kind, "document": uri}
                    for uri, (kind, _) in zip(uris, cells, strict=True)
                ],
            },
            "cellTextDocuments": [
                {
                    "uri": uri,
                    "languageId": "python" if kind == CODE else "markdown",
                    "version": 1,
                    "text": text,
                }
                for uri, (kind, text) in zip(uris, cells, strict=True)
            ],
        },
    )
    return uris


def code_actions(
    client: RawClient, uri: str, line: int, character: int, only: list[str] | None = None
) -> list[dict[str, Any]]:
    context: dict[str, Any] = {"diagnostics": []}
    if only:
        context["only"] = only
    point = {"line": line, "character": character}
    result = client.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": uri}, "range": {"start": point, "end": point}, "context": context},
    )
    return list(result or [])


def edits_by_uri(action: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    edit = action["edit"]
    if "documentChanges" in edit:
        return {c["textDocument"]["uri"]: c["edits"] for c in edit["documentChanges"]}
    return dict(edit["changes"])


def apply(text: str, edits: list[dict[str, Any]]) -> str:
    """Apply LSP text edits (ASCII text: characters are UTF-16 units)."""
    lines = text.splitlines(keepends=True)

    def offset(position: dict[str, int]) -> int:
        return sum(len(line) for line in lines[: position["line"]]) + position["character"]

    spans = [(offset(e["range"]["start"]), offset(e["range"]["end"]), e["newText"]) for e in edits]
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def test_capabilities_advertise_python_cells_of_jupyter_notebooks() -> None:
    client = RawClient()
    result = client.initialize(CAPABILITIES)
    client.close()
    sync = result["capabilities"]["notebookDocumentSync"]
    assert sync["notebookSelector"] == [
        {"notebook": "jupyter-notebook", "cells": [{"language": "python"}]}
    ]


def test_a_cell_is_linted_with_the_cells_before_it(client: RawClient, tmp_path: Path) -> None:
    notebook = tmp_path / "nb.ipynb"
    first, second = open_notebook(client, notebook, [(CODE, CELL_1), (CODE, CELL_2)])

    assert diagnostics_for(client, first) == []
    [diag] = diagnostics_for(client, second)
    assert diag["code"] == "ML501"
    assert diag["source"] == "mlint"
    start = CELL_2.splitlines()[1].index("net.forward(x)")
    assert diag["range"] == {
        "start": {"line": 1, "character": start},
        "end": {"line": 1, "character": start + len("net.forward(x)")},
    }

    # The cursor at column 0 of the flagged line: the quick fix is offered, on the cell's URI.
    actions = code_actions(client, second, 1, 0)
    [fix] = [a for a in actions if a["title"].startswith("mlint (ML501)")]
    assert fix["kind"] == "quickfix"
    assert fix["diagnostics"][0]["code"] == "ML501"
    edits = edits_by_uri(fix)
    assert list(edits) == [second]
    assert apply(CELL_2, edits[second]) == "net = Net()\nout = net(x)\n"
    assert any(a["title"] == "Disable ML501 for this line" for a in actions)


def test_alone_the_second_cell_is_not_flagged(client: RawClient, tmp_path: Path) -> None:
    """The control for the test above: without cell 1, nothing says `Net` is a module."""
    [second] = open_notebook(client, tmp_path / "nb.ipynb", [(CODE, CELL_2)])
    assert diagnostics_for(client, second) == []


def test_every_diagnostic_matches_mlint_check_on_the_file(
    client: RawClient, tmp_path: Path
) -> None:
    source = ROOT / "fixtures" / "notebooks" / "train.ipynb"
    data = json.loads(source.read_text(encoding="utf-8"))
    cells = [
        (CODE if cell["cell_type"] == "code" else MARKUP, "".join(cell["source"]))
        for cell in data["cells"]
    ]
    notebook = tmp_path / "train.ipynb"
    notebook.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    uris = open_notebook(client, notebook, cells)
    seen = set()
    for index, uri in enumerate(uris):
        for diag in diagnostics_for(client, uri):
            start = diag["range"]["start"]
            seen.add((index + 1, start["line"] + 1, start["character"] + 1, diag["code"]))

    result = run_mlint("check", "--output-format", "json", str(notebook))
    expected = {
        (d["cell"], d["location"]["row"], d["location"]["column"], d["code"])
        for d in json.loads(result.stdout)
    }
    assert len(expected) == 4
    assert seen == expected


def test_fix_all_edits_every_cell_as_check_fix_does(client: RawClient, tmp_path: Path) -> None:
    source = ROOT / "fixtures" / "notebooks" / "train.ipynb"
    data = json.loads(source.read_text(encoding="utf-8"))
    cells = [
        (CODE if cell["cell_type"] == "code" else MARKUP, "".join(cell["source"]))
        for cell in data["cells"]
    ]
    uris = open_notebook(client, tmp_path / "train.ipynb", cells)
    flagged = uris[4]  # cell 5
    diagnostics_for(client, flagged)

    [fix_all] = code_actions(client, flagged, 0, 0, only=["source.fixAll"])
    edits = edits_by_uri(fix_all)
    fixed = json.loads((ROOT / "fixtures" / "notebooks" / "train.fixed.ipynb").read_text("utf-8"))
    expected = {
        uris[i]: "".join(cell["source"])
        for i, cell in enumerate(fixed["cells"])
        if "".join(cell["source"]) != cells[i][1]
    }
    assert len(expected) == 3  # cells 3, 5 and 7
    assert {uri: apply(cells[uris.index(uri)][1], e) for uri, e in edits.items()} == expected


def test_a_fix_that_adds_an_import_edits_the_first_cell(client: RawClient, tmp_path: Path) -> None:
    """ML401's fix in cell 2 puts its import above cell 1's (its own stdlib group): one
    action, edits in two cells."""
    first = "import torch\n\nseed = 0\n"
    second = 'config = {"lr": 3e-4, "batch_size": 32, "epochs": 10}\nprint(config["lr"])\n'
    (tmp_path / "pyproject.toml").write_text(  # ML401 is opt-in
        '[tool.mlint]\nextend-select = ["ML401"]\n', encoding="utf-8"
    )
    uris = open_notebook(client, tmp_path / "nb.ipynb", [(CODE, first), (CODE, second)])
    diagnostics_for(client, uris[0])
    [diag] = diagnostics_for(client, uris[1])
    assert diag["code"] == "ML401"

    actions = code_actions(client, uris[1], 0, 0)
    [fix] = [a for a in actions if a["title"].startswith("mlint (ML401)")]
    edits = edits_by_uri(fix)
    assert (
        apply(first, edits[uris[0]])
        == "from dataclasses import dataclass\n\nimport torch\n\nseed = 0\n"
    )
    fixed = apply(second, edits[uris[1]])
    assert "class Config:" in fixed and "print(config.lr)" in fixed
    compile(apply(first, edits[uris[0]]) + fixed, "nb", "exec")


def test_editing_a_cell_relints_the_notebook_and_close_clears(
    client: RawClient, tmp_path: Path
) -> None:
    notebook = tmp_path / "nb.ipynb"
    first, second = open_notebook(client, notebook, [(CODE, CELL_1), (CODE, CELL_2)])
    diagnostics_for(client, first)
    assert [d["code"] for d in diagnostics_for(client, second)] == ["ML501"]

    # Edit cell 1 so that `Net` is no module any more: cell 2's diagnostic goes.
    client.notify(
        "notebookDocument/didChange",
        {
            "notebookDocument": {"uri": notebook.as_uri(), "version": 2},
            "change": {
                "cells": {
                    "textContent": [
                        {
                            "document": {"uri": first, "version": 2},
                            "changes": [{"text": "class Net:\n    pass\n"}],
                        }
                    ]
                }
            },
        },
    )
    diagnostics_for(client, first)
    assert diagnostics_for(client, second) == []

    client.notify(
        "notebookDocument/didClose",
        {
            "notebookDocument": {"uri": notebook.as_uri()},
            "cellTextDocuments": [{"uri": first}, {"uri": second}],
        },
    )
    assert diagnostics_for(client, first) == []
    assert diagnostics_for(client, second) == []


def test_a_removed_cell_loses_its_diagnostics(client: RawClient, tmp_path: Path) -> None:
    notebook = tmp_path / "nb.ipynb"
    first, second = open_notebook(client, notebook, [(CODE, CELL_1), (CODE, CELL_2)])
    diagnostics_for(client, first)
    assert diagnostics_for(client, second) != []
    client.notify(
        "notebookDocument/didChange",
        {
            "notebookDocument": {"uri": notebook.as_uri(), "version": 2},
            "change": {
                "cells": {
                    "structure": {
                        "array": {"start": 1, "deleteCount": 1, "cells": []},
                        "didClose": [{"uri": second}],
                    }
                }
            },
        },
    )
    assert diagnostics_for(client, second) == []


def test_cursor_at_column_0_of_a_flagged_line_gets_the_fix_in_a_python_file(
    client: RawClient, tmp_path: Path
) -> None:
    path = tmp_path / "model.py"
    text = CELL_1 + "\n\n" + CELL_2
    path.write_text(text, encoding="utf-8")
    client.notify(
        "textDocument/didOpen",
        {
            "textDocument": {
                "uri": path.as_uri(),
                "languageId": "python",
                "version": 1,
                "text": text,
            }
        },
    )
    [diag] = diagnostics_for(client, path.as_uri())
    line = diag["range"]["start"]["line"]
    assert diag["range"]["start"]["character"] > 0
    titles = [a["title"] for a in code_actions(client, path.as_uri(), line, 0)]
    assert any(title.startswith("mlint (ML501)") for title in titles), titles
    # A cursor on another line gets no quick fix for it.
    titles = [a["title"] for a in code_actions(client, path.as_uri(), line - 1, 0)]
    assert not any(title.startswith("mlint (ML501)") for title in titles), titles
