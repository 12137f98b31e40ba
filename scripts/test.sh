#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the browser tests need, then runs
# formatting, lints and every test. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Browser tests drive Debian's Chromium through chromedriver (test tools cannot download
# browsers here), so install both when missing.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "==> installing chromium and chromium-driver"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The accessibility checker (axe-core) the browser tests inject, from npm into the project.
if [ ! -f tests/browser-tools/node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null; then
    echo "==> installing npm (for axe-core)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  echo "==> installing axe-core into tests/browser-tools"
  bash scripts/install-browser-tools.sh
fi

# A throwaway PostgreSQL server for the store's second backend (Debian's PostgreSQL, installed
# when missing; initdb in a temporary directory, a free port), stopped when this script ends.
echo "==> starting a throwaway PostgreSQL server"
eval "$(bash scripts/postgres-for-tests.sh start)"
trap 'bash scripts/postgres-for-tests.sh stop "$PLAYBOOK_TEST_PGDATA"' EXIT
# Tests that need it fail (rather than skip) when it is missing.
export PLAYBOOK_REQUIRE_POSTGRES=1

echo "==> cargo fmt --check"
cargo fmt --check

echo "==> links of README.md, ARCHITECTURE.md and docs/ (files and headings exist)"
python3 scripts/check-docs.py

echo "==> cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

echo "==> benchmarks, quick smoke pass (cargo bench runs them in full)"
cargo test --bench '*'

echo "==> cargo test (unit, integration and browser tests; property tests at PLAYBOOK_FUZZ_CASES or their small default)"
cargo test --lib --bins --tests

echo "==> the API suite again, every server on PostgreSQL (a database per test)"
PLAYBOOK_TEST_BACKEND=postgres cargo test --test api

echo "==> schemathesis against the live server (20 examples per operation)"
bash scripts/schemathesis.sh
