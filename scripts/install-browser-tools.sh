#!/usr/bin/env bash
# Installs the tools the browser tests inject into pages (axe-core, the accessibility checker)
# into tests/browser-tools/node_modules with npm. Run once (scripts/test.sh does when the
# directory is missing); the tests then read the files from disk, with no network.
set -euo pipefail
cd "$(dirname "$0")/../tests/browser-tools"
if ! command -v npm >/dev/null; then
  echo "npm is missing: install Node.js (apt-get install npm) to run the accessibility tests" >&2
  exit 1
fi
npm install --no-audit --no-fund --ignore-scripts --loglevel=error
test -f node_modules/axe-core/axe.min.js
echo "axe-core $(node -p "require('./node_modules/axe-core/package.json').version") in tests/browser-tools/node_modules"
