#!/usr/bin/env bash
# Soak: the release server on loopback with the demo data, a steady mix of search, lookup,
# briefing, account reads and writes for SOAK_SECONDS (default 600) at SOAK_RATE requests per
# second (default 50); reports requests, errors (must be 0), p50/p90/p99 per kind and RSS.
#   bash scripts/soak.sh                 # the 10-minute soak
#   SOAK_SECONDS=30 bash scripts/soak.sh # a smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin playbook
BIN=target/release/playbook
source scripts/server-for-tests.sh
python3 scripts/soak.py --url "$SERVER_URL" --token "$TOKEN" --pid "$SERVER_PID" \
  --duration "${SOAK_SECONDS:-600}" --rate "${SOAK_RATE:-50}"
