//! Several nodes on one PostgreSQL database (issue 20): what one node acknowledges, the others
//! find; the sign-in throttle holds across them; the database restarted under load gives clean
//! errors and then service again without restarting a node; `playbook migrate` moves a store
//! to PostgreSQL and back without changing a byte of its export.
//!
//! Skipped with a note when no test server is configured (`PLAYBOOK_TEST_POSTGRES`);
//! scripts/test.sh starts one and makes a missing one a failure.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{
    fixture_content, postgres_server, share_database, spawn_app_on, Backend, TestApp,
};

/// Two nodes on one fresh database; the data directories (each node's index) live as long as
/// the returned guards.
async fn two_nodes() -> (TestApp, TestApp, [tempfile::TempDir; 2]) {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = spawn_app_on(Backend::Postgres, dir_a.path(), &fixture_content(), |_| {}).await;
    share_database(dir_a.path(), &a, dir_b.path());
    let b = spawn_app_on(Backend::Postgres, dir_b.path(), &fixture_content(), |_| {}).await;
    (a, b, [dir_a, dir_b])
}

async fn search_finds(app: &TestApp, q: &str, id: &str) -> bool {
    let Ok(response) = app
        .admin
        .get(app.url("/api/v1/search"))
        .query(&[("q", q)])
        .send()
        .await
    else {
        return false;
    };
    let body: Value = response.json().await.unwrap_or_default();
    body["hits"]
        .as_array()
        .is_some_and(|hits| hits.iter().any(|h| h["id"] == id))
}

/// Polls `check` every 20 ms until it holds; panics after `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_node_acknowledges_the_other_finds_content_accounts_and_overrides() {
    if postgres_server().is_none() {
        return;
    }
    let (a, b, _dirs) = two_nodes().await;

    // Content written on A is found by a search on B; the time from A's answer to B finding it
    // is the visibility lag.
    let mut lags = Vec::new();
    for n in 0..20 {
        let id = format!("node-a-{n}");
        let word = format!("nodeword{n}x");
        let written = a
            .admin
            .post(a.url("/api/v1/content"))
            .json(
                &json!({"id": id, "kind": "playbook", "title": format!("多节点手册 {n}"),
                          "body": format!("回款的做法 {word}")}),
            )
            .send()
            .await
            .unwrap();
        assert!(written.status().is_success(), "{}", written.status());
        let lag = eventually(Duration::from_secs(20), &format!("B finds {id}"), || {
            search_finds(&b, &word, &id)
        })
        .await;
        lags.push(lag);
    }
    lags.sort();
    println!(
        "visibility on the other node after an acknowledged write: p50 {:?}, p99 {:?}, max {:?} ({} writes)",
        percentile(&lags, 0.5),
        percentile(&lags, 0.99),
        lags.last().unwrap(),
        lags.len()
    );

    // Accounts imported on A are on B with the same tiers.
    let (status, body) = a
        .import_accounts(
            "id,name,region,owner,revenue,profit\n\
             N1,节点甲公司,华北,li.na,9000000,1000000\n\
             N2,节点乙公司,华东,li.na,1000,10\n",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, on_a) = a.get_account("N1").await;
    eventually(
        Duration::from_secs(20),
        "B has N1 with A's tier",
        || async {
            let (status, on_b) = b.get_account("N1").await;
            status == 200 && on_b["tier"]["tier"] == on_a["tier"]["tier"]
        },
    )
    .await;

    // An override set on B is on A (B's account book took the shared writer's lock, caught up
    // with A's import first, and A follows B's recompute).
    let (status, body) = b
        .put_override(
            "N2",
            json!({"tier": "strategic", "reason": "节点乙的框架协议"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    eventually(Duration::from_secs(20), "A shows B's override", || async {
        let (_, on_a) = a.get_account("N2").await;
        on_a["tier"]["override"]["reason"] == "节点乙的框架协议"
    })
    .await;
    let (_, n1_on_b) = b.get_account("N1").await;
    assert_eq!(
        n1_on_b["tier"]["tier"], on_a["tier"]["tier"],
        "A's import kept"
    );

    // Both nodes say they are up to date.
    for node in [&a, &b] {
        eventually(Duration::from_secs(20), "healthz shows no lag", || async {
            let (status, health) = node.get_json("/healthz").await;
            status == 200
                && health["store"] == "postgres"
                && health["index_lag"] == 0
                && health["tiers_lag"] == 0
        })
        .await;
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_throttle_holds_across_nodes() {
    if postgres_server().is_none() {
        return;
    }
    let (a, b, _dirs) = two_nodes().await;
    let attempt = |node: &TestApp, password: &str| {
        crate::helpers::plain_client()
            .post(node.url("/api/v1/session"))
            .json(&json!({"name": "admin", "password": password}))
            .send()
    };
    // Five wrong passwords, alternating between the nodes: each node saw only two or three.
    for n in 0..5 {
        let node = if n % 2 == 0 { &a } else { &b };
        let status = attempt(node, "wrong password").await.unwrap().status();
        assert_eq!(status, 401, "attempt {n}");
    }
    // The sixth is refused on both, even with the right password.
    for node in [&a, &b] {
        let response = attempt(node, &a.admin_password).await.unwrap();
        assert_eq!(response.status(), 429);
        assert!(response.headers().contains_key("retry-after"));
    }
    a.stop().await;
    b.stop().await;
}

/// A PostgreSQL server of the test's own (it is restarted, which other tests must not see).
struct OwnServer {
    /// The server (its `postgres` database).
    url: String,
    data: String,
    bin: String,
}

impl OwnServer {
    fn start() -> OwnServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/postgres-for-tests.sh");
        let output = Command::new("bash")
            .arg(&script)
            .arg("start")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .unwrap()
                .to_owned()
        };
        OwnServer {
            url: value("PLAYBOOK_TEST_POSTGRES"),
            data: value("PLAYBOOK_TEST_PGDATA"),
            bin: value("PLAYBOOK_TEST_PGBIN"),
        }
    }
}

/// Runs `pg_ctl` on the cluster in `data` as its owner (`nobody` when the tests run as root).
fn pg_ctl(data: &str, bin: &str, args: &[&str]) {
    {
        let pg_ctl = format!("{bin}/pg_ctl");
        let cluster = format!("{data}/cluster");
        let mut command = if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--", &pg_ctl]);
            c
        } else {
            Command::new(&pg_ctl)
        };
        let status = command
            .args(["-D", &cluster, "-w", "-t", "60"])
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl {args:?}");
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/postgres-for-tests.sh");
        let _ = Command::new("bash")
            .arg(script)
            .args(["stop", &self.data])
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restarted_under_load_gives_clean_errors_then_service_without_restarting_nodes()
{
    if postgres_server().is_none() {
        return;
    }
    let server = OwnServer::start();
    let url = playbook::store::kv::create_database(&server.url, "playbook").unwrap();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let on_own_server = |c: &mut playbook::config::Config| c.store = Some(url.clone());
    let a = spawn_app_on(
        Backend::Sled,
        dir_a.path(),
        &fixture_content(),
        on_own_server,
    )
    .await;
    std::fs::write(dir_b.path().join("test-admin-password"), &a.admin_password).unwrap();
    let b = spawn_app_on(
        Backend::Sled,
        dir_b.path(),
        &fixture_content(),
        on_own_server,
    )
    .await;

    // Load on both nodes: reads, searches and writes, every answer kept.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for (n, node) in [&a, &b].into_iter().enumerate() {
        let (client, base, stop) = (node.admin.clone(), node.address.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut answers: Vec<(u16, String)> = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                i += 1;
                let request = match i % 3 {
                    0 => client.get(format!("{base}/api/v1/accounts?limit=3")),
                    1 => client.get(format!("{base}/api/v1/search?q=回款")),
                    _ => client.post(format!("{base}/api/v1/content")).json(&json!({
                        "id": format!("load-{n}-{i}"), "kind": "playbook",
                        "title": format!("负载 {n} {i}"), "body": "回款"})),
                };
                match request.timeout(Duration::from_secs(30)).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let body: Value = response.json().await.unwrap_or_default();
                        let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
                        answers.push((status, code));
                    }
                    Err(e) => answers.push((0, e.to_string())),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            answers
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Down for a second and a half, then back: the nodes are not restarted.
    tokio::task::spawn_blocking({
        let (data, bin) = (server.data.clone(), server.bin.clone());
        move || {
            pg_ctl(&data, &bin, &["stop", "-m", "fast"]);
            std::thread::sleep(Duration::from_millis(1_500));
            pg_ctl(&data, &bin, &["start", "-l", &format!("{data}/server.log")]);
        }
    })
    .await
    .unwrap();
    // Service comes back by itself: a write on A is found on B.
    let back = eventually(
        Duration::from_secs(30),
        "a write on A succeeds again",
        || async {
            a.admin
                .post(a.url("/api/v1/content"))
                .json(&json!({"id": "after-restart", "kind": "playbook",
                          "title": "重启之后", "body": "afterrestartword"}))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        },
    )
    .await;
    eventually(Duration::from_secs(30), "B finds A's write", || {
        search_finds(&b, "afterrestartword", "after-restart")
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut unclean = Vec::new();
    let (mut total, mut unavailable) = (0, 0);
    for task in load {
        for (status, code) in task.await.unwrap() {
            total += 1;
            match status {
                200 | 201 => {}
                503 if code == "database_unavailable" => unavailable += 1,
                _ => unclean.push(format!("{status} {code}")),
            }
        }
    }
    println!(
        "database restart under load: {total} answers, {unavailable} × 503 database_unavailable, \
         writes accepted again {back:?} after the restart"
    );
    assert!(
        unclean.is_empty(),
        "answers other than 2xx or 503 database_unavailable: {unclean:?}"
    );
    assert!(unavailable > 0, "the outage was seen");
    let (status, health) = a.get_json("/healthz").await;
    assert_eq!(status, 200, "{health}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_moves_the_demo_store_to_postgres_and_back_with_identical_exports() {
    let Some(server) = postgres_server() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let (original, copy) = (work.path().join("original"), work.path().join("copy"));
    // The demo store, changed a little as it would be in use.
    let app = spawn_app_on(Backend::Sled, &original, &fixture_content(), |c| {
        c.demo = true
    })
    .await;
    let (status, _) = app
        .put_override(
            "DEMO-002",
            json!({"tier": "strategic", "reason": "迁移前的调整"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, _, tiers_before) = app.tiers_csv().await;
    app.stop().await;

    let playbook = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_playbook"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "playbook {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let database = playbook::store::kv::create_database(&server, "migrate_round_trip").unwrap();
    let there = playbook(&["migrate", "--from", &path(&original), "--to", &database]);
    assert!(there.contains("copied and verified"), "{there}");
    let back = playbook(&["migrate", "--from", &database, "--to", &path(&copy)]);
    assert!(back.contains("copied and verified"), "{back}");
    // Into a store that holds data: refused.
    let output = Command::new(env!("CARGO_BIN_EXE_playbook"))
        .args(["migrate", "--from", &path(&original), "--to", &database])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("already holds data"));

    let (export_a, export_b) = (work.path().join("export-a"), work.path().join("export-b"));
    playbook(&["export", &path(&export_a), "--data-dir", &path(&original)]);
    playbook(&["export", &path(&export_b), "--data-dir", &path(&copy)]);
    assert_eq!(read_tree(&export_a), read_tree(&export_b));
    assert!(read_tree(&export_a).len() > 10, "the library was exported");

    // The tiers read the same from the database and from the copy.
    let on_postgres = spawn_app_on(
        Backend::Sled,
        &work.path().join("node"),
        &fixture_content(),
        |c| c.store = Some(database.clone()),
    )
    .await;
    let (_, _, tiers_postgres) = on_postgres.tiers_csv().await;
    on_postgres.stop().await;
    let on_copy = spawn_app_on(Backend::Sled, &copy, &fixture_content(), |_| {}).await;
    let (_, _, tiers_copy) = on_copy.tiers_csv().await;
    on_copy.stop().await;
    assert_eq!(tiers_postgres, tiers_before);
    assert_eq!(tiers_copy, tiers_before);
}

/// Every file below `dir`: relative path → bytes.
fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(dir).unwrap();
            files.insert(
                relative.display().to_string(),
                std::fs::read(entry.path()).unwrap(),
            );
        }
    }
    files
}
