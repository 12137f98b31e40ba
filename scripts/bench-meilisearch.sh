#!/usr/bin/env bash
# Playbook and Meilisearch side by side on the benchmark suite's corpus, query class by query
# class, with wrk: requests per second at 32 connections (docs/performance.md, "Side by side").
#
#   cargo bench --bench suite -- --docs 100000 --accounts 1000000 --keep /tmp/keep100k
#   MEILI_BIN=/path/to/meilisearch scripts/bench-meilisearch.sh /tmp/keep100k
#
# The kept directory holds the corpus (content/), the store and index (data/), a rep's API
# token (bench-token) and the classes' queries (classes.json). Playbook is measured twice:
# with its kept answers (the default; wrk repeats one query, so nearly every answer is kept)
# and with none (`--search-cache 0`: every request searched afresh). Meilisearch, when
# MEILI_BIN names its binary, gets the same documents and is asked each class twice: plain
# (ten hits, nothing else) and as Playbook answers (facet counts of the five fields and
# highlighted snippets of the body). Meilisearch has no Debian or PyPI package and its build
# needs sources from GitHub, so CI does not run this script; it is a manual run on a machine
# that has a Meilisearch binary (1.x; https://github.com/meilisearch/meilisearch/releases).
#
# Environment: MEILI_BIN (optional), SECONDS_PER_RUN (default 10), CONNECTIONS (default 32),
# PLAYBOOK_BIN (default target/release/playbook, built if missing).
set -euo pipefail

keep=${1:?usage: scripts/bench-meilisearch.sh KEPT_SUITE_DIR}
keep=$(cd "$keep" && pwd)
seconds=${SECONDS_PER_RUN:-10}
connections=${CONNECTIONS:-32}
root=$(cd "$(dirname "$0")/.." && pwd)
playbook=${PLAYBOOK_BIN:-$root/target/release/playbook}
for needed in wrk python3 curl; do
    command -v "$needed" > /dev/null || { echo "needs $needed (apt-get install $needed)" >&2; exit 2; }
done
[ -f "$keep/classes.json" ] && [ -f "$keep/bench-token" ] || {
    echo "$keep has no classes.json or bench-token: run the suite with --keep $keep first" >&2
    exit 2
}
[ -x "$playbook" ] || (cd "$root" && cargo build --release --bin playbook)
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
    for _ in $(seq 1 600); do
        curl -fsS -o /dev/null "$1" 2> /dev/null && return 0
        sleep 0.2
    done
    echo "$1 did not answer" >&2
    exit 1
}
# Requests per second of one wrk run: URL, then optional wrk arguments (-s script).
rate() {
    local url=$1
    shift
    wrk -t2 -c"$connections" -d"${seconds}s" "$@" "$url" | awk '/Requests\/sec/ {printf "%.0f", $2}'
}

# The classes, one per line: name TAB Playbook query string TAB Meilisearch JSON (plain)
# TAB Meilisearch JSON (facets and highlights).
python3 - "$keep/classes.json" > "$work/classes.tsv" << 'EOF'
import json, sys, urllib.parse
for c in json.load(open(sys.argv[1])):
    params = [("q", c["q"])]
    if c["kind"]: params.append(("kind", c["kind"]))
    if c["tier"]: params.append(("tier", c["tier"]))
    filters = []
    if c["kind"]: filters.append(f'kind = "{c["kind"]}"')
    if c["tier"]: filters.append(f'tiers = "{c["tier"]}"')
    plain = {"q": c["q"], "limit": 10}
    full = dict(plain,
                facets=["kind", "tiers", "scenarios", "tags", "lang"],
                attributesToHighlight=["body"], attributesToCrop=["body"], cropLength=60,
                highlightPreTag="<mark>", highlightPostTag="</mark>")
    if filters:
        plain["filter"] = full["filter"] = " AND ".join(filters)
    print("\t".join([c["name"], urllib.parse.urlencode(params),
                     json.dumps(plain, ensure_ascii=False), json.dumps(full, ensure_ascii=False)]))
EOF

token=$(cat "$keep/bench-token")
declare -A cached uncached plain full
playbook_rates() {
    local cache=$1 port
    port=$(free_port)
    "$playbook" serve --addr "127.0.0.1:$port" --data-dir "$keep/data" --content-dir "$keep/content" \
        --search-cache "$cache" > "$work/playbook-$cache.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    wait_for "http://127.0.0.1:$port/healthz"
    while IFS=$'\t' read -r name query _ _; do
        local r
        r=$(rate "http://127.0.0.1:$port/api/v1/search?$query" -H "Authorization: Bearer $token")
        if [ "$cache" = 0 ]; then uncached[$name]=$r; else cached[$name]=$r; fi
        echo "playbook (search cache $cache) $name: $r req/s" >&2
    done < "$work/classes.tsv"
    kill "$pid"
    wait "$pid" 2> /dev/null || true
}
playbook_rates 512
playbook_rates 0

if [ -n "${MEILI_BIN:-}" ]; then
    port=$(free_port)
    "$MEILI_BIN" --db-path "$work/meili" --http-addr "127.0.0.1:$port" --no-analytics \
        > "$work/meili.log" 2>&1 &
    pids+=("$!")
    meili="http://127.0.0.1:$port"
    wait_for "$meili/health"
    echo "loading the corpus into Meilisearch…" >&2
    python3 - "$keep/content" "$meili" << 'EOF'
import json, os, sys, time, urllib.request, yaml
content, meili = sys.argv[1], sys.argv[2]
def call(method, path, body=None):
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(meili + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
def wait(task):
    while True:
        state = call("GET", f"/tasks/{task['taskUid']}")
        if state["status"] in ("succeeded", "failed"):
            assert state["status"] == "succeeded", state
            return
        time.sleep(0.5)
wait(call("POST", "/indexes", {"uid": "docs", "primaryKey": "id"}))
wait(call("PATCH", "/indexes/docs/settings", {
    "searchableAttributes": ["title", "body"],
    "filterableAttributes": ["kind", "tiers", "scenarios", "tags", "lang", "status"],
}))
batch, tasks = [], []
def flush():
    if batch:
        tasks.append(call("POST", "/indexes/docs/documents", batch))
        batch.clear()
for folder, _, files in os.walk(content):
    for name in files:
        if not name.endswith(".md"):
            continue
        text = open(os.path.join(folder, name), encoding="utf-8").read()
        _, front, body = text.split("---\n", 2)
        meta = yaml.safe_load(front)
        if meta.get("status", "published") != "published":
            continue  # Playbook's rep sees published items only
        batch.append({"id": meta["id"], "title": meta["title"], "body": body,
                      "kind": meta["kind"], "tiers": meta.get("tiers", []),
                      "scenarios": meta.get("scenarios", []), "tags": meta.get("tags", []),
                      "lang": meta.get("lang", "zh")})
        if len(batch) == 5000:
            flush()
flush()
for task in tasks:
    wait(task)
EOF
    while IFS=$'\t' read -r name _ plain_json full_json; do
        for mode in plain full; do
            body=$plain_json
            [ "$mode" = full ] && body=$full_json
            lua="$work/post-$mode.lua"
            python3 -c 'import json,sys; print("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = " + json.dumps(sys.argv[1]))' "$body" > "$lua"
            r=$(rate "$meili/indexes/docs/search" -s "$lua")
            if [ "$mode" = plain ]; then plain[$name]=$r; else full[$name]=$r; fi
            echo "meilisearch ($mode) $name: $r req/s" >&2
        done
    done < "$work/classes.tsv"
fi

docs=$(find "$keep/content" -name '*.md' | wc -l)
echo
echo "$docs documents, wrk at $connections connections for ${seconds} s per class, $(nproc) cores."
echo
if [ -n "${MEILI_BIN:-}" ]; then
    echo "| class | Playbook, kept answers | Playbook, none kept | Meilisearch plain | Meilisearch with facets and highlights | kept ÷ plain | none kept ÷ plain | none kept ÷ with facets |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
else
    echo "| class | Playbook, kept answers | Playbook, none kept |"
    echo "|---|---:|---:|"
fi
while IFS=$'\t' read -r name _ _ _; do
    if [ -n "${MEILI_BIN:-}" ]; then
        python3 -c 'import sys; n,c,u,p,f=sys.argv[1:]; c,u,p,f=map(float,(c,u,p,f)); print(f"| {n} | {c:.0f} | {u:.0f} | {p:.0f} | {f:.0f} | {c/p:.1f}× | {u/p:.1f}× | {u/f:.1f}× |")' \
            "$name" "${cached[$name]}" "${uncached[$name]}" "${plain[$name]}" "${full[$name]}"
    else
        echo "| $name | ${cached[$name]} | ${uncached[$name]} |"
    fi
done < "$work/classes.tsv"
