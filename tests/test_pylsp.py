"""The pylsp plugin (`mlint[pylsp]`): mlint's diagnostics next to pylsp's own, in-process."""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

import pytest

from tests.conftest import ROOT

pytest.importorskip("pylsp")

from pylsp import uris
from pylsp.config.config import Config
from pylsp.workspace import Document, Workspace

from mlint import pylsp_plugin

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MODEL = """\
import os
from torch import nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x):
        return self.proj.forward(x)
"""


def workspace_with(tmp_path: Path, name: str, text: str) -> tuple[Config, Workspace, Document]:
    if not (tmp_path / "pyproject.toml").exists():  # ML501, the sample rule here, is opt-in
        (tmp_path / "pyproject.toml").write_text('[tool.mlint]\nextend-select = ["ML501"]\n')
    root = uris.from_fs_path(str(tmp_path))
    config = Config(root, {}, 0, {})
    # The `pylsp` entry point registers the plugin when mlint is installed; a source
    # checkout run without installing needs it done by hand.
    if config.plugin_manager.get_plugin("mlint") is None:
        config.plugin_manager.register(pylsp_plugin, "mlint")
    workspace = Workspace(root, mock.Mock(), config)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    uri = uris.from_fs_path(str(path))
    workspace.put_document(uri, text)
    return config, workspace, workspace.get_document(uri)


def test_the_entry_point_names_the_plugin_module() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pylsp"] == {"mlint": "mlint.pylsp_plugin"}
    assert any(
        dep.startswith("python-lsp-server") for dep in project["optional-dependencies"]["pylsp"]
    )


def test_lint_hook_returns_mlint_diagnostics_and_pylsp_keeps_its_features(
    tmp_path: Path,
) -> None:
    config, workspace, document = workspace_with(tmp_path, "model.py", MODEL)
    results = config.plugin_manager.hook.pylsp_lint(
        config=config, workspace=workspace, document=document, is_saved=True
    )
    mlint = [d for found in results for d in found if d["source"] == "mlint"]
    [ml501] = mlint
    assert ml501["code"] == "ML501"
    assert ml501["severity"] == 2
    assert ml501["codeDescription"]["href"].endswith("ML501.md")
    line = MODEL.splitlines()[10]
    start = line.index("self.proj.forward(x)")
    assert ml501["range"] == {
        "start": {"line": 10, "character": start},
        "end": {"line": 10, "character": start + len("self.proj.forward(x)")},
    }
    # pylsp's own completion (jedi) answers in the same workspace.
    completions = config.plugin_manager.hook.pylsp_completions(
        config=config,
        workspace=workspace,
        document=document,
        position={"line": 10, "character": len("        return self.proj.for")},
        ignored_names=None,
    )
    labels = [item["label"] for found in completions for item in found]
    assert any(label.startswith("forward") for label in labels), labels


def test_config_in_pyproject_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mlint]\nignore = ["ML501"]\n')
    _, workspace, document = workspace_with(tmp_path, "model.py", MODEL)
    assert pylsp_plugin.pylsp_lint(workspace, document) == []


def test_code_action_for_a_cursor_on_the_line_fixes_it(tmp_path: Path) -> None:
    config, workspace, document = workspace_with(tmp_path, "model.py", MODEL)
    point = {"line": 10, "character": 0}
    actions = pylsp_plugin.pylsp_code_actions(
        config, workspace, document, {"start": point, "end": point}, {"diagnostics": []}
    )
    [action] = actions
    assert action["title"] == "mlint (ML501): Call the module"
    [edit] = action["edit"]["changes"][document.uri]
    line = MODEL.splitlines()[10]
    assert edit["range"]["start"] == {"line": 10, "character": line.index("self.proj.forward")}
    assert edit["newText"] == "self.proj"
    other = {"line": 9, "character": 0}
    none = pylsp_plugin.pylsp_code_actions(
        config, workspace, document, {"start": other, "end": other}, {"diagnostics": []}
    )
    assert none == []


def test_astral_characters_count_as_two_utf16_units(tmp_path: Path) -> None:
    text = MODEL.replace("return self.proj.forward(x)", 'return ("😀", self.proj.forward(x))')
    _, workspace, document = workspace_with(tmp_path, "model.py", text)
    [diag] = pylsp_plugin.pylsp_lint(workspace, document)
    line = text.splitlines()[10]
    index = line.index("self.proj.forward(x)")
    assert diag["range"]["start"]["character"] == index + 1  # 😀 is one code point, two units
