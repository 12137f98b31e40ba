#!/usr/bin/env bash
# Peak memory of the server under a burst of concurrent sign-ins (issue 15, finding 4).
#
# Starts the server (debug build by default, `--release` for the release build) on loopback
# with a temporary data directory and the bundled content, then fires two bursts of 100
# sign-ins released at the same instant:
#   1. from one client address: 50 unknown user names and 50 wrong passwords for `admin`;
#   2. from 100 different client addresses (X-Forwarded-For, honoured because the server runs
#      with PLAYBOOK_TRUSTED_PROXIES=127.0.0.1), so the per-client throttle does not stop them:
#      only the bound on password checks running at once keeps memory down.
# After each burst it prints the answers by status and the peak resident memory of the
# server process so far (VmHWM of /proc/PID/status). The target is under 300 MiB.
#
# Usage: scripts/login-memory.sh [--release]
# Needs cargo, python3 and Linux's /proc. Not part of the test suite: memory figures belong in
# a measurement, not in an assertion.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=debug
CARGO_FLAGS=()
if [ "${1:-}" = "--release" ]; then
  PROFILE=release
  CARGO_FLAGS=(--release)
fi
cargo build --quiet --bin playbook "${CARGO_FLAGS[@]}"
BIN="${CARGO_TARGET_DIR:-target}/$PROFILE/playbook"

DATA_DIR=$(mktemp -d)
SERVER_LOG="$DATA_DIR/server.log"
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
}
trap 'stop_server; rm -rf "$DATA_DIR"' EXIT

# Starts a fresh server (new store, empty throttle counters); sets SERVER_PID and PORT.
start_server() {
  rm -rf "$DATA_DIR/data"
  echo "admin-password-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" |
    "$BIN" user add admin --role admin --data-dir "$DATA_DIR/data" >/dev/null
  PLAYBOOK_TRUSTED_PROXIES=127.0.0.1 NO_COLOR=1 "$BIN" serve --addr 127.0.0.1:0 \
    --data-dir "$DATA_DIR/data" --content-dir playbooks --log-level "warn,playbook::startup=info" \
    >/dev/null 2>"$SERVER_LOG" &
  SERVER_PID=$!
  PORT=""
  for _ in $(seq 1 600); do
    PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$SERVER_LOG" | grep -o '[0-9]*$' || true)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG"; echo "the server did not start" >&2; exit 1; }
    sleep 0.2
  done
  [ -n "$PORT" ] || { cat "$SERVER_LOG"; echo "the server did not report its port" >&2; exit 1; }
}

# Sends 100 sign-ins released at the same instant (burst `one-client` or `many-clients`) and
# prints the answers by status and the server's resident memory before and after.
burst() {
  python3 - "http://127.0.0.1:$PORT" "$SERVER_PID" "$1" <<'PY'
import collections, json, sys, threading, urllib.error, urllib.request

url, pid, kind = sys.argv[1:4]

def memory(label):
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    mib = lambda key: int(fields[key].split()[0]) / 1024
    print(f"  {label}: VmRSS {mib('VmRSS'):.0f} MiB, peak (VmHWM) {mib('VmHWM'):.0f} MiB", flush=True)

if kind == "one-client":
    print("burst from one client address: 50 unknown names + 50 wrong passwords for admin")
    requests = [(f"nobody-{i}", None) for i in range(50)] + [("admin", None)] * 50
else:
    print("burst from 100 client addresses (X-Forwarded-For): 100 unknown names")
    requests = [(f"stranger-{i}", f"10.0.0.{i + 1}") for i in range(100)]

barrier = threading.Barrier(len(requests))
statuses = collections.Counter()
lock = threading.Lock()

def sign_in(name, forwarded_for):
    headers = {"Content-Type": "application/json"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    body = json.dumps({"name": name, "password": "not the password"}).encode()
    request = urllib.request.Request(url + "/api/v1/session", data=body, headers=headers)
    barrier.wait()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except Exception as error:  # refused or reset connections are worth seeing
        status = type(error).__name__
    with lock:
        statuses[status] += 1

memory("before")
threads = [threading.Thread(target=sign_in, args=r) for r in requests]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("  answers: " + ", ".join(f"{n} × {s}" for s, n in sorted(statuses.items(), key=str)))
memory("after ")
PY
}

echo "server: $BIN"
for kind in one-client many-clients; do
  start_server
  burst "$kind"
  stop_server
done
