#!/usr/bin/env python3
"""Soak test driver: a steady mix of requests against a running Playbook server.

Started by scripts/soak.sh (which starts the server). Sends requests at a fixed rate from a pool
of worker threads: search, customer lookup, briefing, account reads, and writes (tier overrides,
imports and user changes over fixed pools of ids, so the data stops growing). Samples the server's RSS from /proc/PID/status every 5 s. Prints
requests, errors and p50/p90/p99 latency per kind, and RSS start/end/max. Exits 1 on any error.
"""

import argparse
import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

QUERIES = ["客户", "回访", "拜访", "战略", "催收", "满意度", "visit", "renewal", "价格", "投诉"]
LOOKUPS = ["jia", "zg", "中国", "银行", "C-0", "集团", "xian", "东莞", "cq", "长沙"]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--duration", type=float, default=600)
    parser.add_argument("--rate", type=float, default=50, help="requests per second")
    args = parser.parse_args()
    headers = {"Authorization": f"Bearer {args.token}"}

    def call(method, path, body=None, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(args.url + path, data=data, method=method, headers=dict(headers))
        if data is not None:
            req.add_header("Content-Type", content_type)
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()

    accounts = json.loads(call("GET", "/api/v1/accounts?limit=1000")[1])["accounts"]
    ids = [a["id"] for a in accounts]
    rng = random.Random(1)
    counter = {"n": 0}
    lock = threading.Lock()

    def next_request():
        kind = rng.choices(
            ["search", "lookup", "briefing", "account", "override", "import", "user"],
            weights=[30, 30, 20, 10, 5, 3, 2],
        )[0]
        with lock:
            counter["n"] += 1
            n = counter["n"]
        if kind == "search":
            return kind, ("GET", "/api/v1/search?" + urllib.parse.urlencode({"q": rng.choice(QUERIES)}), None, None)
        if kind == "lookup":
            return kind, ("GET", "/api/v1/accounts/lookup?" + urllib.parse.urlencode({"q": rng.choice(LOOKUPS)}), None, None)
        if kind == "briefing":
            return kind, ("GET", f"/api/v1/accounts/{rng.choice(ids)}/briefing", None, None)
        if kind == "account":
            return kind, ("GET", f"/api/v1/accounts/{rng.choice(ids)}", None, None)
        if kind == "override":
            body = json.dumps({"tier": rng.choice(["strategic", "major", "ordinary", "small"]), "reason": f"soak {n}"})
            return kind, ("PUT", f"/api/v1/accounts/{rng.choice(ids)}/override", body, "application/json")
        # Writes re-use a fixed pool of ids, so the data stops growing after the warm-up and a
        # growing RSS means a leak, not more accounts: imports update one of 50 batches of 20
        # accounts, user changes set the position of one of 20 users made before the run.
        if kind == "import":
            batch = n % 50
            rows = "".join(f"SOAK-{batch}-{i},Soak {batch} {i},{1000 + i + n % 7}\n" for i in range(20))
            return kind, ("POST", "/api/v1/accounts/import", "id,name,revenue\n" + rows, "text/csv")
        body = json.dumps({"position": f"销售代表 L{n % 3 + 1}", "region": rng.choice(["江苏", "浙江", "上海"])})
        return kind, ("PUT", f"/api/v1/users/soak-{n % 20}", body, "application/json")

    for i in range(20):
        try:
            call("POST", "/api/v1/users", json.dumps({"name": f"soak-{i}", "role": "rep"}))
        except urllib.error.HTTPError as e:
            if e.code != 409:  # already there from an earlier run
                raise
    # The server runs at most 2 imports at once (a third gets 429): so does this client.
    imports = threading.BoundedSemaphore(2)

    latencies = {}
    errors = {}
    rss = [(0.0, rss_kib(args.pid))]

    def run(kind, request):
        method, path, body, content_type = request
        gate = imports if kind == "import" else None
        if gate:
            gate.acquire()
        start = time.perf_counter()
        try:
            status, _ = call(method, path, body, content_type or "application/json")
            ok = 200 <= status < 300
        except urllib.error.HTTPError as e:
            ok, status = False, e.code
        except Exception as e:  # connection errors count as errors too
            ok, status = False, repr(e)
        finally:
            if gate:
                gate.release()
        elapsed = (time.perf_counter() - start) * 1000
        with lock:
            latencies.setdefault(kind, []).append(elapsed)
            if not ok:
                errors.setdefault(kind, []).append(status)

    began = time.monotonic()
    interval = 1.0 / args.rate
    next_at = began
    next_sample = began + 5
    sent = 0
    with ThreadPoolExecutor(max_workers=32) as pool:
        while True:
            now = time.monotonic()
            if now - began >= args.duration:
                break
            if now >= next_sample:
                rss.append((now - began, rss_kib(args.pid)))
                next_sample += 5
            if now < next_at:
                time.sleep(min(next_at - now, 0.05))
                continue
            kind, request = next_request()
            pool.submit(run, kind, request)
            sent += 1
            next_at += interval
    rss.append((time.monotonic() - began, rss_kib(args.pid)))

    total_errors = sum(len(v) for v in errors.values())
    print(f"soak: {args.duration:.0f} s at {args.rate:g} req/s, {sent} requests, {total_errors} errors")
    print(f"{'kind':10} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in sorted(latencies):
        values = sorted(latencies[kind])
        pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
        print(f"{kind:10} {len(values):9} {len(errors.get(kind, [])):7} {pick(0.5):8.1f} {pick(0.9):8.1f} {pick(0.99):8.1f} {values[-1]:8.1f}")
    for kind, statuses in errors.items():
        print(f"errors of {kind}: {sorted(set(map(str, statuses)))[:10]}")
    values = [kib for _, kib in rss]
    # Flatness is judged after the warm-up (caches, the first recomputes): the first quarter
    # of the run, at most a minute.
    warm = min(60.0, args.duration / 4)
    steady = [kib for t, kib in rss if t >= warm] or values
    first_half = steady[: len(steady) // 2] or steady
    second_half = steady[len(steady) // 2 :] or steady
    growth = max(second_half) - max(first_half)
    flat = growth <= 0.05 * max(first_half)
    print(
        f"RSS (MiB): start {values[0] / 1024:.1f}, end {values[-1] / 1024:.1f}, max {max(values) / 1024:.1f}; "
        f"max of the second half vs the first: {growth / 1024:+.1f} MiB ({'flat' if flat else 'GROWING'}); "
        f"{len(values)} samples every 5 s"
    )
    raise SystemExit(1 if total_errors or not flat else 0)


if __name__ == "__main__":
    main()
