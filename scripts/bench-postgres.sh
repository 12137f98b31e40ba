#!/usr/bin/env bash
# sled and PostgreSQL side by side, on this machine (issue 20): the import of ACCOUNTS accounts
# (parse, store, first recompute), a model change's recompute, the cold start with them, and over
# HTTP (wrk, release build, the bundled library) search and briefing on one node — and, on
# PostgreSQL, on two nodes sharing the database (the pair's throughput). Prints a Markdown table.
#
#   bash scripts/bench-postgres.sh                 # ACCOUNTS=1000000 DURATION=10 CONNECTIONS=32
#
# Needs wrk (apt-get install wrk); starts its own throwaway PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS="${ACCOUNTS:-1000000}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
cargo build --release --quiet
BIN="$PWD/target/release/playbook"
work="$(mktemp -d /tmp/playbook-bench-pg.XXXXXX)"
eval "$(bash scripts/postgres-for-tests.sh start)"
cleanup() {
  pkill -9 -f "serve --addr 127.0.0.1:.* --data-dir $work" 2>/dev/null || true
  bash scripts/postgres-for-tests.sh stop "$PLAYBOOK_TEST_PGDATA"
  rm -rf "$work"
}
trap cleanup EXIT
export PLAYBOOK_LOG=warn
"$BIN" demo accounts --count "$ACCOUNTS" >"$work/accounts.csv"
ms() { date +%s%3N; }
psql_run() { "$PLAYBOOK_TEST_PGBIN/psql" -q "$PLAYBOOK_TEST_POSTGRES" -c "$1" >/dev/null; }
psql_run "CREATE DATABASE bench"
PG_URL="${PLAYBOOK_TEST_POSTGRES%/postgres}/bench"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_node DATA_DIR STORE PORT: starts a node in the background, prints ms to /healthz.
start_node() {
  local data="$1" store="$2" port="$3" t0
  t0=$(ms)
  "$BIN" serve --addr "127.0.0.1:$port" --data-dir "$data" ${store:+--store "$store"} \
    --content-dir playbooks >"$data.log.$port" 2>&1 &
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
    if ! pgrep -f "127.0.0.1:$port" >/dev/null; then
      echo "the node on port $port stopped:" >&2
      tail -5 "$data.log.$port" >&2
      exit 1
    fi
    sleep 0.02
  done
  echo $(( $(ms) - t0 ))
}
# Stops every node and waits until they are gone (a sled store is free again).
stop_nodes() {
  pkill -f "serve --addr 127.0.0.1:.* --data-dir $work" 2>/dev/null || true
  while pgrep -f "serve --addr 127.0.0.1:.* --data-dir $work" >/dev/null; do sleep 0.1; done
}
token() {
  local base="http://127.0.0.1:$1" jar="$work/jar.$1" csrf
  csrf=$(curl -s -c "$jar" -H "Origin: $base" -H 'Content-Type: application/json' \
    -d '{"name":"bench","password":"a bench password"}' "$base/api/v1/session" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
  curl -s -b "$jar" -H "Origin: $base" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
    -d '{"label":"bench"}' "$base/api/v1/tokens" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
# wrk_run PORT PATH TOKEN: "req/s p99"
wrk_run() {
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $3" \
    "http://127.0.0.1:$1$2" | awk '/Requests\/sec/ {r=$2} /^ +99%/ {p=$2} END {print r, p}'
}

declare -A result
for backend in sled postgres; do
  data="$work/$backend"
  store=""
  [ "$backend" = postgres ] && store="$PG_URL"
  mkdir -p "$data"
  echo "a bench password" | "$BIN" user add bench --role admin --data-dir "$data" ${store:+--store "$store"} >/dev/null
  t0=$(ms)
  "$BIN" import accounts "$work/accounts.csv" --data-dir "$data" ${store:+--store "$store"} >/dev/null
  result[$backend,import]=$(( $(ms) - t0 ))
  port=$(free_port)
  start_node "$data" "$store" "$port" >/dev/null    # the first start syncs the content files
  stop_nodes
  result[$backend,start]=$(start_node "$data" "$store" "$port")
  tok=$(token "$port")
  base="http://127.0.0.1:$port"
  # A model change: the recompute of every account, as the server reports it.
  model=$(curl -s -H "Authorization: Bearer $tok" "$base/api/v1/tier-model" |
    python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["model"]))')
  t0=$(ms)
  curl -s -o /dev/null -X PUT -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
    -d "$model" "$base/api/v1/tier-model"
  result[$backend,recompute]=$(( $(ms) - t0 ))
  result[$backend,search]=$(wrk_run "$port" "/api/v1/search?q=%E5%9B%9E%E6%AC%BE" "$tok")
  result[$backend,briefing]=$(wrk_run "$port" "/api/v1/accounts/C-00123/briefing?scenario=collections" "$tok")
  if [ "$backend" = postgres ]; then
    port2=$(free_port)
    start_node "$work/postgres-node2" "$store" "$port2" >/dev/null
    (wrk_run "$port" "/api/v1/search?q=%E5%9B%9E%E6%AC%BE" "$tok" >"$work/pair1") &
    first=$!
    (wrk_run "$port2" "/api/v1/search?q=%E5%9B%9E%E6%AC%BE" "$tok" >"$work/pair2") &
    wait "$first" "$!"   # not the nodes, which are children too
    result[pair,search]="$(awk '{s+=$1} END {print s}' "$work/pair1" "$work/pair2")"
  fi
  stop_nodes
done

cat <<TABLE
| measure ($ACCOUNTS accounts, bundled library, wrk -c$CONNECTIONS ${DURATION}s, $(nproc) cores) | sled | PostgreSQL |
|---|---:|---:|
| import of the accounts (command line: parse, store, first recompute) | ${result[sled,import]} ms | ${result[postgres,import]} ms |
| model change over HTTP (recompute of every account, recorded) | ${result[sled,recompute]} ms | ${result[postgres,recompute]} ms |
| cold start (process start → /healthz) | ${result[sled,start]} ms | ${result[postgres,start]} ms |
| search \`回款\` over HTTP, one node: req/s, p99 | ${result[sled,search]} | ${result[postgres,search]} |
| briefing over HTTP, one node: req/s, p99 | ${result[sled,briefing]} | ${result[postgres,briefing]} |
| search over HTTP, two nodes on one database (both under load at once): req/s of the pair | — | ${result[pair,search]} |
TABLE
