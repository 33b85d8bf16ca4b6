#!/usr/bin/env bash
# Build the mlint VS Code extension into mlint-<version>.vsix, everything from npm.
# Usage: editors/vscode/build.sh   (vsce needs Node >= 22: an older node is replaced by
# Node 24 from the npm package node-<os>-<arch>, installed into the ignored .node/ folder.)
set -euo pipefail
cd "$(dirname "$0")"

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 22 ]; then
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  package="node-$os-$arch"
  if [ ! -x ".node/node_modules/$package/bin/node" ]; then
    echo "node $(node --version 2>/dev/null || echo missing) is too old for vsce: installing $package@24 from npm" >&2
    mkdir -p .node
    (cd .node && { [ -f package.json ] || echo '{"name": "mlint-build-node", "private": true}' > package.json; } && npm install --no-audit --no-fund "$package@24")
  fi
  export PATH="$PWD/.node/node_modules/$package/bin:$PATH"
  export npm_config_nodedir="$PWD/.node/node_modules/$package"
fi

npm ci --no-audit --no-fund
npm run compile
version=$(node -p 'require("./package.json").version')
npx vsce package --skip-license -o "mlint-$version.vsix"
echo "built $(pwd)/mlint-$version.vsix" >&2
