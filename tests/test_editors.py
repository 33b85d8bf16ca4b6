"""The VS Code extension's manifest: the settings and commands users see, the documents it serves."""

from __future__ import annotations

import json

from tests.conftest import ROOT

EXTENSION = ROOT / "editors" / "vscode"


def test_settings_and_commands_are_declared() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    settings = manifest["contributes"]["configuration"]["properties"]
    assert {"mlint.enable", "mlint.path", "mlint.args"} <= set(settings)
    commands = {
        c["command"]: f"{c['category']}: {c['title']}" for c in manifest["contributes"]["commands"]
    }
    assert commands == {"mlint.fixAll": "mlint: Fix all", "mlint.restart": "mlint: Restart server"}
    assert {"onLanguage:python", "onNotebook:jupyter-notebook"} <= set(manifest["activationEvents"])
    assert "vscode-languageclient" in manifest["dependencies"]
    assert manifest["version"] == __import__("mlint").__version__


def test_notebook_cells_are_in_the_document_selector() -> None:
    source = (EXTENSION / "src" / "extension.ts").read_text(encoding="utf-8")
    assert '{ notebook: "jupyter-notebook", language: "python" }' in source
    assert '["-m", "mlint", "server"' in source  # the workspace interpreter's mlint by default
    lock = json.loads((EXTENSION / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["name"] == "mlint"
