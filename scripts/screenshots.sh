#!/usr/bin/env bash
# Screenshots of every role's home and a few key pages at 1366 and 390 px, in Chinese and
# English, into target/screenshots/ (or $1). Starts `playbook serve --demo` on loopback with a
# temporary data directory and the bundled content, reads the demo users' passwords from its
# log, and drives the Debian Chromium through chromedriver (scripts/screenshots.py).
#
#   scripts/screenshots.sh [OUT_DIR]
#
# Needs /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium chromium-driver)
# and python3. BIN may name a built playbook binary; otherwise it is built (debug).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT_DIR=${1:-target/screenshots}
if [ -z "${BIN:-}" ]; then
  cargo build --quiet --bin playbook
  BIN="${CARGO_TARGET_DIR:-target}/debug/playbook"
fi

DATA_DIR=$(mktemp -d)
SERVER_LOG="$DATA_DIR/server.log"
stop_server() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$DATA_DIR"
}
trap stop_server EXIT

NO_COLOR=1 "$BIN" serve --addr 127.0.0.1:0 --demo --data-dir "$DATA_DIR/data" --content-dir playbooks \
  --log-level "warn,playbook::startup=info" >/dev/null 2>"$SERVER_LOG" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 600); do
  PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$SERVER_LOG" | grep -o '[0-9]*$' || true)
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG"; echo "the server did not start" >&2; exit 1; }
  sleep 0.2
done
[ -n "$PORT" ] || { cat "$SERVER_LOG"; echo "the server did not report its port" >&2; exit 1; }

# The users the server created, as printed once on its console: "  name  role  password".
grep -E '^  [a-z0-9._-]+ +(admin|manager|trainer|rep) +[^ ]+$' "$SERVER_LOG" | awk '{print $1, $2, $3}' \
  > "$DATA_DIR/users.txt"
python3 scripts/screenshots.py "http://127.0.0.1:$PORT" "$OUT_DIR" "$DATA_DIR/users.txt"
