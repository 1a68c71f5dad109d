#!/usr/bin/env bash
# `npm run test:node-red-5`: the whole test suite on Node.js 22 and Node-RED 5, the same tests
# as `npm test` (Node.js 20, Node-RED 4). test/support/runtime.ts reads NODE_RED_HOME to load
# Node-RED from .nr5/ instead of the devDependency. Extra arguments go to mocha.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE22_BIN="$PWD/.node22/node_modules/node/bin"
if [ ! -x "$NODE22_BIN/node" ] || [ ! -f .nr5/node_modules/node-red/package.json ]; then
  bash scripts/install-node-red-5.sh
fi
export PATH="$NODE22_BIN:$PATH"
export NODE_RED_HOME="$PWD/.nr5"
export EXPECT_NODE_RED_MAJOR=5

node scripts/build.js
echo "== mocha on Node.js $(node --version), Node-RED $(node -p "require('./.nr5/node_modules/node-red/package.json').version")"
exec node node_modules/mocha/bin/mocha.js "$@"
