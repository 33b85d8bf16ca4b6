"""The VS Code extension's manifest: the settings and commands users see, the documents it serves."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXTENSION = ROOT / "editors" / "vscode"


@pytest.fixture(autouse=True)
def _select_ml501(tmp_path: Path) -> None:
    """ML501 (opt-in) is the sample rule of these tests: each test's folder selects it."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mlint]\nextend-select = ["ML501"]\n', encoding="utf-8"
    )


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


# Neovim reads diagnostics and asks for a code action with the cursor at column 0.
NVIM_CHECK = """\
vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 100)
local out = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out, string.format("diag %s %d:%d %s", d.code, d.lnum, d.col, d.source))
end
local d = vim.diagnostic.get(0)[1]
if d then
  local point = { line = d.lnum, character = 0 }
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(),
    range = { start = point, ["end"] = point },
    context = { diagnostics = {} },
  }
  for _, r in pairs(vim.lsp.buf_request_sync(0, "textDocument/codeAction", params, 10000) or {}) do
    for _, a in ipairs(r.result or {}) do table.insert(out, "action " .. a.title) end
  end
end
vim.fn.writefile(out, "result.txt")
vim.cmd("qa!")
"""


@pytest.mark.skipif(shutil.which("nvim") is None, reason="needs Neovim (Debian 12: 0.7.2)")
def test_the_readme_neovim_0_7_config_shows_diagnostics_and_fixes(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```lua\n(-- Neovim 0\.7–0\.9.*?)```", readme, re.DOTALL)
    assert match is not None
    init = match.group(1).replace(
        '{ "mlint", "server" }', f'{{ "{sys.executable}", "-m", "mlint", "server" }}'
    )
    (tmp_path / "init.lua").write_text(init, encoding="utf-8")
    (tmp_path / "check.lua").write_text(NVIM_CHECK, encoding="utf-8")
    (tmp_path / "model.py").write_text(
        "from torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n"
        "        return x\n\n\nnet = Net()\nout = net.forward(1)\n",
        encoding="utf-8",
    )
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    subprocess.run(
        ["nvim", "--headless", "-u", "init.lua", "model.py", "-c", "luafile check.lua"],
        cwd=tmp_path,
        env=env,
        timeout=90,
        check=True,
        capture_output=True,
    )
    result = (tmp_path / "result.txt").read_text(encoding="utf-8").splitlines()
    assert result[0] == "diag ML501 9:6 mlint"
    assert "action mlint (ML501): Call the module" in result


E2E = ROOT / "editors" / "e2e"


@pytest.mark.skipif(
    not (E2E / ".cache" / "cs" / "node_modules" / ".bin" / "code-server").exists()
    or not (E2E / ".cache" / "venv" / "bin" / "jupyter").exists()
    or shutil.which("chromium") is None,
    reason="editor e2e set-up absent (editors/e2e/setup.sh, minutes, needs npm/PyPI)",
)
def test_real_editors_show_mlint_diagnostics_and_fixes() -> None:
    """code-server with the .vsix (a .py file and a notebook) and JupyterLab with pylsp's mlint
    plugin, driven by Playwright; screenshots in editors/e2e/.cache/shots."""
    result = subprocess.run(
        [str(E2E / "run.sh")], capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
