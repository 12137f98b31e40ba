//! The crash test: the real server as a child process, writes driven concurrently over the API,
//! `kill -9` at random points, and after each restart a check that every acknowledged write is
//! there, that no import is half-applied, and that the search index agrees with the store.
//!
//! Writes: account imports (CSV batches of unique ids, 1–300 rows, and a 10,000-row batch in the
//! first round and every tenth), tier overrides on accounts of acknowledged imports (each
//! account overridden once, with a unique reason), and user creations. A write counts as
//! acknowledged when it got a 2xx answer; one that got no answer may or may not be stored, but
//! an import must then be stored whole or not at all, and an override or user exactly as sent.
//! Content: playbooks created and then saved again over the API (an unacknowledged save may or
//! may not have landed, but the item holds one of the two titles, never anything else), and
//! case reviews attached to accounts of acknowledged imports.
//!
//! `PLAYBOOK_CRASH_KILLS` sets the number of kills (default 6, the CI run); `PLAYBOOK_CRASH_SEED`
//! the seed of the random points. The long run:
//! `PLAYBOOK_CRASH_KILLS=200 cargo test --release --test api crash -- --nocapture`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::fixture_content;

const ADMIN_PASSWORD: &str = "crash-test-admin-password";
const TIERS: [&str; 4] = ["strategic", "major", "ordinary", "small"];

/// A tiny xorshift generator: the kill points are reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The server, started as `playbook serve` on a free port.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        Server::start_on(data, None)
    }

    /// A node on the PostgreSQL database `store` (its data directory holds its index).
    fn start_on(data: &Path, store: Option<&str>) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_playbook"))
            .arg("serve")
            .args(["--addr", "127.0.0.1:0", "--workers", "2"])
            .arg("--data-dir")
            .arg(data)
            .args(store.map(|url| ["--store", url]).into_iter().flatten())
            .arg("--content-dir")
            .arg(fixture_content())
            .args(["--log-level", "warn,playbook::startup=info"])
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        // Read the log for the port, then keep draining it so the server never blocks on it.
        let stderr = child.stderr.take().expect("stderr");
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut port_tx = Some(port_tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    if let (Some(tx), Ok(port)) = (port_tx.take(), digits.parse::<u16>()) {
                        let _ = tx.send(port);
                    }
                } else if line.contains("ERROR")
                    || line.contains("Error")
                    || line.contains("panicked")
                {
                    eprintln!("server: {line}");
                }
            }
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the server reports its port");
        Server {
            child,
            address: format!("http://127.0.0.1:{port}"),
        }
    }

    /// SIGKILL: no flush, no graceful stop.
    fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

/// `playbook user add admin --role admin`, the password on standard input.
fn add_admin(data: &Path, store: Option<&str>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_playbook"))
        .args(["user", "add", "admin", "--role", "admin", "--data-dir"])
        .arg(data)
        .args(store.map(|url| ["--store", url]).into_iter().flatten())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user add");
    writeln!(child.stdin.take().expect("stdin"), "{ADMIN_PASSWORD}").expect("password");
    assert!(child.wait().expect("user add").success());
}

/// Signs in as the admin and creates an API token: a Bearer client needs no CSRF headers and
/// keeps working across restarts.
async fn admin_token(address: &str) -> String {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let session: Value = client
        .post(format!("{address}/api/v1/session"))
        .header("Origin", address)
        .json(&json!({"name": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("session JSON");
    let csrf = session["csrf_token"].as_str().expect("csrf").to_owned();
    let token: Value = client
        .post(format!("{address}/api/v1/tokens"))
        .header("Origin", address)
        .header("X-CSRF-Token", csrf)
        .json(&json!({"label": "crash test"}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    token["token"].as_str().expect("a token").to_owned()
}

fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "Authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// An import batch: ids `B{n}-{row}`, names and revenue derived from them.
#[derive(Clone)]
struct Batch {
    n: u64,
    rows: u64,
}

impl Batch {
    fn id(&self, row: u64) -> String {
        format!("B{}-{row}", self.n)
    }
    fn name(&self, row: u64) -> String {
        format!("Crash {} {row}", self.n)
    }
    fn revenue(&self, row: u64) -> u64 {
        (self.n * 7919 + row * 104_729) % 10_000_000
    }
    fn csv(&self) -> String {
        let mut csv = String::from("id,name,revenue\n");
        for row in 0..self.rows {
            csv.push_str(&format!(
                "{},{},{}\n",
                self.id(row),
                self.name(row),
                self.revenue(row)
            ));
        }
        csv
    }
}

/// What was sent and what was acknowledged, over every round.
#[derive(Default)]
struct Ledger {
    /// Every import attempted, with whether it was acknowledged.
    batches: Vec<(Batch, bool)>,
    /// account id → (tier, reason, acknowledged).
    overrides: BTreeMap<String, (String, String, bool)>,
    /// user name → acknowledged.
    users: BTreeMap<String, bool>,
    /// Accounts of acknowledged imports not overridden yet.
    override_candidates: Vec<String>,
    /// content id → (acknowledged title, title of a save sent but not acknowledged).
    content: BTreeMap<String, (Option<String>, Option<String>)>,
    /// Acknowledged case reviews: item id → account id.
    reviews: BTreeMap<String, String>,
    /// Case reviews sent.
    reviews_sent: usize,
    /// Accounts of acknowledged imports to attach reviews to.
    review_candidates: Vec<String>,
}

impl Ledger {
    fn copy(&self) -> Ledger {
        Ledger {
            batches: self.batches.clone(),
            overrides: self.overrides.clone(),
            users: self.users.clone(),
            override_candidates: Vec::new(),
            content: self.content.clone(),
            reviews: self.reviews.clone(),
            reviews_sent: self.reviews_sent,
            review_candidates: Vec::new(),
        }
    }

    fn acknowledged(&self) -> usize {
        self.batches.iter().filter(|(_, ack)| *ack).count()
            + self.overrides.values().filter(|o| o.2).count()
            + self.users.values().filter(|ack| **ack).count()
            + self.content.values().filter(|c| c.0.is_some()).count()
            + self.reviews.len()
    }
}

fn ok(result: &Result<reqwest::Response, reqwest::Error>) -> bool {
    matches!(result, Ok(r) if r.status().is_success())
}

/// What every writer of a round holds: its client, the server, the shared ledger and the stop
/// flag. Each writer destructures its own clone.
#[derive(Clone)]
struct Worker {
    client: reqwest::Client,
    address: String,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
}

/// One round of writers, until `stop`.
async fn drive(
    address: String,
    token: String,
    round: u64,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    batch_no: Arc<AtomicU64>,
) {
    let worker = Worker {
        client: bearer_client(&token),
        address,
        ledger,
        stop,
    };
    let big = round.is_multiple_of(10);
    let importer = {
        let Worker {
            client,
            address,
            ledger,
            stop,
        } = worker.clone();
        async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (round + 1));
            let mut first = true;
            while !stop.load(Ordering::SeqCst) {
                let n = batch_no.fetch_add(1, Ordering::SeqCst);
                let rows = if first && big {
                    10_000
                } else {
                    1 + rng.below(300)
                };
                first = false;
                let batch = Batch { n, rows };
                let index = {
                    let mut l = ledger.lock().unwrap();
                    l.batches.push((batch.clone(), false));
                    l.batches.len() - 1
                };
                let result = client
                    .post(format!("{address}/api/v1/accounts/import"))
                    .header("Content-Type", "text/csv")
                    .body(batch.csv())
                    .send()
                    .await;
                if !ok(&result) {
                    break; // the server is gone (or refused): this round is over for us
                }
                let mut l = ledger.lock().unwrap();
                l.batches[index].1 = true;
                let ids: Vec<String> = (0..batch.rows.min(5)).map(|r| batch.id(r)).collect();
                l.override_candidates.extend(ids);
                l.review_candidates.push(batch.id(batch.rows - 1));
            }
        }
    };
    let overrider = {
        let Worker {
            client,
            address,
            ledger,
            stop,
        } = worker.clone();
        async move {
            let mut seq = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let next = {
                    let mut l = ledger.lock().unwrap();
                    l.override_candidates.pop()
                };
                let Some(id) = next else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                seq += 1;
                let tier = TIERS[(seq % 4) as usize].to_owned();
                let reason = format!("crash round {round} override {seq}");
                ledger
                    .lock()
                    .unwrap()
                    .overrides
                    .insert(id.clone(), (tier.clone(), reason.clone(), false));
                let result = client
                    .put(format!("{address}/api/v1/accounts/{id}/override"))
                    .json(&json!({"tier": tier, "reason": reason}))
                    .send()
                    .await;
                if !ok(&result) {
                    break;
                }
                if let Some(o) = ledger.lock().unwrap().overrides.get_mut(&id) {
                    o.2 = true;
                }
            }
        }
    };
    let writer = {
        let Worker {
            client,
            address,
            ledger,
            stop,
        } = worker.clone();
        async move {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let id = format!("crash-r{round}-{n}");
                let title = format!("crash {round} {n} first");
                ledger
                    .lock()
                    .unwrap()
                    .content
                    .insert(id.clone(), (None, Some(title.clone())));
                let created = client
                    .post(format!("{address}/api/v1/content"))
                    .json(&json!({"id": id, "kind": "playbook", "title": title, "body": "回款 first"}))
                    .send()
                    .await;
                if !ok(&created) {
                    break;
                }
                ledger
                    .lock()
                    .unwrap()
                    .content
                    .insert(id.clone(), (Some(title), None));
                let second = format!("crash {round} {n} second");
                if let Some(c) = ledger.lock().unwrap().content.get_mut(&id) {
                    c.1 = Some(second.clone());
                }
                let saved = client
                    .put(format!("{address}/api/v1/content/{id}"))
                    .json(&json!({"kind": "playbook", "title": second, "body": "回款 second"}))
                    .send()
                    .await;
                if !ok(&saved) {
                    break;
                }
                ledger
                    .lock()
                    .unwrap()
                    .content
                    .insert(id, (Some(second), None));
                let account = ledger.lock().unwrap().review_candidates.pop();
                if let Some(account) = account {
                    ledger.lock().unwrap().reviews_sent += 1;
                    let review = client
                        .post(format!("{address}/api/v1/accounts/{account}/reviews"))
                        .json(&json!({"background": format!("crash {round} {n}"), "actions": "对账", "result": "won", "moves": ["先对账"]}))
                        .send()
                        .await;
                    let Ok(response) = review else { break };
                    if !response.status().is_success() {
                        break;
                    }
                    let Ok(body) = response.json::<Value>().await else {
                        break;
                    };
                    if let Some(item) = body["id"].as_str() {
                        ledger
                            .lock()
                            .unwrap()
                            .reviews
                            .insert(item.to_owned(), account);
                    }
                }
            }
        }
    };
    let user_maker = {
        let Worker {
            client,
            address,
            ledger,
            stop,
        } = worker;
        async move {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let name = format!("crash-{round}-{n}");
                ledger.lock().unwrap().users.insert(name.clone(), false);
                let result = client
                    .post(format!("{address}/api/v1/users"))
                    .json(&json!({"name": name, "role": "rep", "password": "crash-user-password"}))
                    .send()
                    .await;
                if !ok(&result) {
                    break;
                }
                ledger.lock().unwrap().users.insert(name, true);
            }
        }
    };
    tokio::join!(importer, overrider, writer, user_maker);
}

/// Problems found after a restart.
#[derive(Default)]
struct Findings {
    lost: Vec<String>,
    half_applied: Vec<String>,
    wrong: Vec<String>,
}

/// Checks the restarted server against the ledger.
async fn verify(address: &str, token: &str, ledger: &Ledger) -> Findings {
    let client = bearer_client(token);
    let mut findings = Findings::default();

    // Accounts: every id and name from tiers.csv.
    let csv = client
        .get(format!("{address}/api/v1/tiers.csv"))
        .send()
        .await
        .expect("tiers.csv")
        .text()
        .await
        .expect("tiers.csv text");
    let stored: HashMap<&str, &str> = csv
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.trim_start_matches('\u{feff}').split(',');
            Some((fields.next()?, fields.next()?))
        })
        .collect();
    for (batch, acknowledged) in &ledger.batches {
        let present = (0..batch.rows)
            .filter(|&row| stored.get(batch.id(row).as_str()) == Some(&batch.name(row).as_str()))
            .count() as u64;
        if present != 0 && present != batch.rows {
            findings.half_applied.push(format!(
                "import batch {} has {present} of its {} rows",
                batch.n, batch.rows
            ));
        } else if *acknowledged && present == 0 {
            findings
                .lost
                .push(format!("acknowledged import batch {} is missing", batch.n));
        }
    }
    // Values of a few rows per acknowledged batch (first and last).
    for (batch, _) in ledger.batches.iter().filter(|(_, ack)| *ack).rev().take(20) {
        for row in [0, batch.rows - 1] {
            let body: Value = client
                .get(format!("{address}/api/v1/accounts/{}", batch.id(row)))
                .send()
                .await
                .expect("account")
                .json()
                .await
                .expect("account JSON");
            if body["account"]["indicators"]["revenue"] != json!(batch.revenue(row)) {
                findings.wrong.push(format!(
                    "account {} has revenue {}, sent {} 元",
                    batch.id(row),
                    body["account"]["indicators"]["revenue"],
                    batch.revenue(row)
                ));
            }
        }
    }

    // Overrides.
    for (id, (tier, reason, acknowledged)) in &ledger.overrides {
        let body: Value = client
            .get(format!("{address}/api/v1/accounts/{id}"))
            .send()
            .await
            .expect("account")
            .json()
            .await
            .expect("account JSON");
        let stored = &body["tier"]["override"];
        if stored.is_null() {
            if *acknowledged {
                findings
                    .lost
                    .push(format!("acknowledged override of {id} is missing"));
            }
        } else if stored["reason"] != json!(reason) || stored["tier"] != json!(tier) {
            findings.wrong.push(format!(
                "override of {id} is {stored}, sent {tier} / {reason}"
            ));
        }
    }

    // Users.
    let users: Vec<Value> = client
        .get(format!("{address}/api/v1/users"))
        .send()
        .await
        .expect("users")
        .json()
        .await
        .expect("users JSON");
    let names: HashSet<&str> = users.iter().filter_map(|u| u["name"].as_str()).collect();
    for (name, acknowledged) in &ledger.users {
        if *acknowledged && !names.contains(name.as_str()) {
            findings
                .lost
                .push(format!("acknowledged user {name} is missing"));
        }
    }

    // Content saves and case reviews.
    for (id, (acknowledged, pending)) in &ledger.content {
        let response = client
            .get(format!("{address}/api/v1/content/{id}"))
            .send()
            .await
            .expect("content");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let title = body["title"].as_str();
        if status == 404 {
            if acknowledged.is_some() {
                findings
                    .lost
                    .push(format!("acknowledged item {id} is missing"));
            }
        } else if title != acknowledged.as_deref() && title != pending.as_deref() {
            findings.wrong.push(format!(
                "item {id} has title {title:?}, expected {acknowledged:?} or {pending:?}"
            ));
        }
    }
    for (id, account) in &ledger.reviews {
        let body: Value = client
            .get(format!("{address}/api/v1/content/{id}"))
            .send()
            .await
            .expect("review")
            .json()
            .await
            .unwrap_or(Value::Null);
        if body["account"] != json!(account) {
            findings.lost.push(format!(
                "acknowledged case review {id} of {account} is missing"
            ));
        }
    }

    // The search index agrees with the store within seconds.
    let started = Instant::now();
    loop {
        let health: Value = client
            .get(format!("{address}/healthz"))
            .send()
            .await
            .expect("healthz")
            .json()
            .await
            .expect("healthz JSON");
        let search: Value = client
            .get(format!("{address}/api/v1/search?limit=1"))
            .send()
            .await
            .expect("search")
            .json()
            .await
            .expect("search JSON");
        if health["content_items"] == search["total"] && health["content_items"].as_u64() > Some(0)
        {
            break;
        }
        if started.elapsed() > Duration::from_secs(10) {
            findings.wrong.push(format!(
                "the index disagrees with the store after 10 s: {} stored, {} found",
                health["content_items"], search["total"]
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    findings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_and_imports_are_all_or_nothing() {
    let kills = env_u64("PLAYBOOK_CRASH_KILLS", 6);
    let seed = env_u64("PLAYBOOK_CRASH_SEED", 0x5EED_CAFE).max(1);
    let mut rng = Rng(seed);
    let data = tempfile::tempdir().unwrap();
    add_admin(data.path(), None);

    let server = Server::start(data.path());
    let token = admin_token(&server.address).await;
    let mut server = Some(server);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let batch_no = Arc::new(AtomicU64::new(0));
    let mut problems = Problems::default();

    for round in 0..kills {
        let running = server.take().expect("a running server");
        let (writers, stop) = start_writers(&running, &token, round, &ledger, &batch_no);
        // A random point: early (during the first import) or later; a round that starts with
        // the 10,000-row import runs longer, so that import is sometimes answered, sometimes cut.
        let wait = if round.is_multiple_of(10) {
            1_000 + rng.below(4_000)
        } else {
            50 + rng.below(1_500)
        };
        tokio::time::sleep(Duration::from_millis(wait)).await;
        tokio::task::spawn_blocking(move || running.kill())
            .await
            .unwrap();
        stop.store(true, Ordering::SeqCst);
        writers.await.expect("writers");

        let restarted = Server::start(data.path());
        // The writers are done; check against a copy of the ledger (no lock across awaits).
        let snapshot = ledger.lock().unwrap().copy();
        let findings = verify(&restarted.address, &token, &snapshot).await;
        problems.add(findings, round + 1);
        server = Some(restarted);
    }
    if let Some(server) = server {
        server.kill();
    }
    problems.conclude(&format!("crash test (seed {seed}): {kills} kills"), &ledger);
}

/// Starts a round of writers against `server`; they run until the returned flag is set.
fn start_writers(
    server: &Server,
    token: &str,
    round: u64,
    ledger: &Arc<Mutex<Ledger>>,
    batch_no: &Arc<AtomicU64>,
) -> (tokio::task::JoinHandle<()>, Arc<AtomicBool>) {
    let stop = Arc::new(AtomicBool::new(false));
    let writers = tokio::spawn(drive(
        server.address.clone(),
        token.to_owned(),
        round,
        ledger.clone(),
        stop.clone(),
        batch_no.clone(),
    ));
    (writers, stop)
}

/// Problems found after the kills, each once, with the kill after which it was first seen.
#[derive(Default)]
struct Problems {
    lost: BTreeMap<String, u64>,
    half_applied: BTreeMap<String, u64>,
    wrong: BTreeMap<String, u64>,
}

impl Problems {
    fn add(&mut self, findings: Findings, kill: u64) {
        for (found, seen) in [
            (findings.lost, &mut self.lost),
            (findings.half_applied, &mut self.half_applied),
            (findings.wrong, &mut self.wrong),
        ] {
            for line in found {
                seen.entry(line).or_insert(kill);
            }
        }
    }

    /// Prints what was written and found, and fails on any problem.
    fn conclude(&self, what: &str, ledger: &Mutex<Ledger>) {
        let (lost, half_applied, wrong) = (&self.lost, &self.half_applied, &self.wrong);

        let l = ledger.lock().unwrap();
        let rows: u64 = l
            .batches
            .iter()
            .filter(|(_, ack)| *ack)
            .map(|(b, _)| b.rows)
            .sum();
        println!(
            "{what}, {} acknowledged writes ({} imports with {rows} rows, \
         {} overrides, {} users, {} content items created and saved, {} case reviews; {} writes \
         unanswered), lost {}, half-applied {}, wrong {}",
            l.acknowledged(),
            l.batches.iter().filter(|(_, a)| *a).count(),
            l.overrides.values().filter(|o| o.2).count(),
            l.users.values().filter(|a| **a).count(),
            l.content.values().filter(|c| c.0.is_some()).count(),
            l.reviews.len(),
            l.batches.iter().filter(|(_, a)| !*a).count()
                + l.overrides.values().filter(|o| !o.2).count()
                + l.users.values().filter(|a| !**a).count()
                + l.content.values().filter(|c| c.1.is_some()).count()
                + (l.reviews_sent - l.reviews.len()),
            lost.len(),
            half_applied.len(),
            wrong.len(),
        );
        let reports: Vec<String> = lost
            .iter()
            .chain(half_applied.iter())
            .chain(wrong.iter())
            .map(|(line, kill)| format!("after kill {kill}: {line}"))
            .collect();
        assert!(
            reports.is_empty(),
            "{} problems:\n{}",
            reports.len(),
            reports.join("\n")
        );
        assert!(l.acknowledged() > 0, "some writes were acknowledged");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_during_writes_loses_nothing_acknowledged_and_the_other_keeps_serving() {
    // Two nodes on one PostgreSQL database: writes go to A, A is killed (-9) at random points,
    // and B — never restarted — must hold every write A acknowledged, whole, in its store, its
    // tiers and its index. A then starts again and the writes go on.
    let Some(server) = crate::helpers::postgres_server() else {
        return;
    };
    let kills = env_u64("PLAYBOOK_CRASH_NODE_KILLS", 3);
    let seed = env_u64("PLAYBOOK_CRASH_SEED", 0x5EED_CAFE).max(1);
    let mut rng = Rng(seed ^ 0x2_0DE5);
    let url = playbook::store::kv::create_database(&server, "crash_two_nodes").unwrap();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    add_admin(dir_a.path(), Some(&url));
    let b = Server::start_on(dir_b.path(), Some(&url));
    let token = admin_token(&b.address).await;
    let mut a = Some(Server::start_on(dir_a.path(), Some(&url)));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let batch_no = Arc::new(AtomicU64::new(0));
    let mut problems = Problems::default();
    let probe = bearer_client(&token);
    for round in 0..kills {
        let running = a.take().expect("node A runs");
        let (writers, stop) = start_writers(&running, &token, round, &ledger, &batch_no);
        tokio::time::sleep(Duration::from_millis(300 + rng.below(1_500))).await;
        tokio::task::spawn_blocking(move || running.kill())
            .await
            .unwrap();
        stop.store(true, Ordering::SeqCst);
        writers.await.expect("writers");

        // B follows the store by itself: wait until its index and tiers show all of it.
        let started = Instant::now();
        loop {
            let health: Value = match probe.get(format!("{}/healthz", b.address)).send().await {
                Ok(r) => r.json().await.unwrap_or_default(),
                Err(_) => Value::Null,
            };
            if health["index_lag"] == 0 && health["tiers_lag"] == 0 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "node B did not catch up: {health}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let snapshot = ledger.lock().unwrap().copy();
        problems.add(verify(&b.address, &token, &snapshot).await, round + 1);
        a = Some(Server::start_on(dir_a.path(), Some(&url)));
    }
    if let Some(a) = a {
        a.kill();
    }
    b.kill();
    problems.conclude(
        &format!("two nodes on PostgreSQL (seed {seed}): node A killed {kills} times"),
        &ledger,
    );
}
