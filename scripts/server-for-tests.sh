# Sourced by scripts/schemathesis.sh and scripts/soak.sh: starts the real server on loopback
# with a temporary data directory, the bundled content and the 5,000 demo accounts, and an
# admin API token. Needs BIN (the playbook binary). Sets SERVER_PID, SERVER_URL, TOKEN, DATA_DIR;
# stops the server and removes the data directory on exit.

DATA_DIR=$(mktemp -d)
SERVER_LOG="$DATA_DIR/server.log"
ADMIN_PASSWORD="admin-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

stop_server() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$DATA_DIR"
}
trap stop_server EXIT

echo "$ADMIN_PASSWORD" | "$BIN" user add admin --role admin --data-dir "$DATA_DIR/data" >/dev/null
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
SERVER_URL="http://127.0.0.1:$PORT"
TOKEN=$(
  python3 - "$SERVER_URL" "$ADMIN_PASSWORD" <<'PY'
import json, sys, urllib.request
url, password = sys.argv[1], sys.argv[2]
def call(path, body, headers):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(req) as r:
        return r.headers, json.load(r)
headers, session = call("/api/v1/session", {"name": "admin", "password": password}, {})
cookie = headers["Set-Cookie"].split(";")[0]
_, token = call("/api/v1/tokens", {"label": "tests"}, {"Cookie": cookie, "Origin": url, "X-CSRF-Token": session["csrf_token"]})
print(token["token"])
PY
)
export SERVER_PID SERVER_URL TOKEN DATA_DIR
