//! `spawn_app` starts the real application on port 0 with a temporary data directory;
//! `TestApp` has one method per endpoint the tests use.

use std::path::{Path, PathBuf};

use actix_web::dev::ServerHandle;
use playbook::config::Config;
use playbook::startup::Application;
use tempfile::TempDir;

/// The fixture content shared by most tests (read-only).
pub fn fixture_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/content")
}

/// The administrator every test app has (created in the store before the server starts).
pub const ADMIN: &str = "admin";

pub struct TestApp {
    pub address: String,
    /// Signed in as [`ADMIN`] by session cookie, sending `Origin` and `X-CSRF-Token` like the
    /// app's own pages do.
    pub client: reqwest::Client,
    /// Always the admin (`client` may be switched to another user by `sign_in_as`).
    pub admin: reqwest::Client,
    pub admin_password: String,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _data: Option<TempDir>,
}

/// Starts the server over the fixture content with a fresh data directory.
pub async fn spawn_app() -> TestApp {
    let data = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_with(data.path(), &fixture_content()).await;
    app._data = Some(data);
    app
}

/// Starts the server over `content_dir`, keeping its store in `data_dir` (the caller owns it,
/// so a test can restart the server on the same data).
pub async fn spawn_app_with(data_dir: &Path, content_dir: &Path) -> TestApp {
    spawn_app_configured(data_dir, content_dir, |_| {}).await
}

/// Starts the server over the fixture content with a fresh data directory and a changed
/// configuration (e.g. demo accounts on, a small import limit).
pub async fn spawn_app_with_config(change: impl FnOnce(&mut Config)) -> TestApp {
    let data = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_configured(data.path(), &fixture_content(), change).await;
    app._data = Some(data);
    app
}

/// Which store a test server keeps its data in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// sled in the data directory (the embedded default).
    Sled,
    /// A database of its own on the test PostgreSQL server (`PLAYBOOK_TEST_POSTGRES`).
    Postgres,
}

impl Backend {
    /// The backend of this run: `PLAYBOOK_TEST_BACKEND=postgres` runs the suite on PostgreSQL
    /// (scripts/test.sh runs it on both).
    pub fn of_this_run() -> Backend {
        match std::env::var("PLAYBOOK_TEST_BACKEND").as_deref() {
            Ok("postgres") => Backend::Postgres,
            _ => Backend::Sled,
        }
    }

    /// The store setting for a server whose data directory is `data_dir`: for PostgreSQL one
    /// database per data directory, created on first use and kept for restarts on the same
    /// directory (its URL is remembered in the directory).
    pub fn store_for(self, data_dir: &Path) -> Option<String> {
        if self == Backend::Sled {
            return None;
        }
        let marker = data_dir.join("test-database-url");
        if let Ok(url) = std::fs::read_to_string(&marker) {
            return Some(url);
        }
        let server = std::env::var("PLAYBOOK_TEST_POSTGRES").expect(
            "PLAYBOOK_TEST_POSTGRES: the PostgreSQL server for the tests (scripts/test.sh starts one)",
        );
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        let url = playbook::store::kv::create_database(&server, &name).expect("test database");
        std::fs::create_dir_all(data_dir).expect("data dir");
        std::fs::write(&marker, &url).expect("database marker");
        Some(url)
    }
}

/// `--store URL` for a command run on the data of a test server on `data_dir`, when this
/// run's backend is PostgreSQL (sled needs nothing: the store is in the data directory).
pub fn store_args(data_dir: &Path) -> Vec<String> {
    match Backend::of_this_run().store_for(data_dir) {
        Some(url) => vec!["--store".to_owned(), url],
        None => Vec::new(),
    }
}

/// Opens the store a test server on `data_dir` uses (this run's backend), e.g. to write behind
/// a stopped server's back.
pub fn open_store(data_dir: &Path) -> playbook::store::Store {
    let config = Config {
        store: Backend::of_this_run().store_for(data_dir),
        ..Config::for_tests(data_dir, data_dir)
    };
    playbook::store::Store::open_at(&config.store_location()).expect("store opens")
}

/// The test PostgreSQL server's URL, or `None` when none is configured: the calling test then
/// skips itself with a note, unless `PLAYBOOK_REQUIRE_POSTGRES=1` (scripts/test.sh sets it),
/// which makes a missing server a failure.
pub fn postgres_server() -> Option<String> {
    match std::env::var("PLAYBOOK_TEST_POSTGRES") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("PLAYBOOK_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
            panic!("PLAYBOOK_TEST_POSTGRES is not set: run the suite with scripts/test.sh")
        }
        Err(_) => {
            eprintln!("skipped: no PostgreSQL server for the tests (PLAYBOOK_TEST_POSTGRES)");
            None
        }
    }
}

/// Makes a second node of `app`: a server started on `data_dir` with
/// [`Backend::Postgres`] uses `app`'s database and its admin password (instead of a database
/// and an admin of its own).
pub fn share_database(app_data_dir: &Path, app: &TestApp, data_dir: &Path) {
    std::fs::create_dir_all(data_dir).expect("data dir");
    std::fs::copy(
        app_data_dir.join("test-database-url"),
        data_dir.join("test-database-url"),
    )
    .expect("the first node's database");
    std::fs::write(data_dir.join("test-admin-password"), &app.admin_password)
        .expect("admin password");
}

static NEXT_DATABASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Starts the server with its store in `data_dir` and a changed configuration, on this run's
/// backend.
pub async fn spawn_app_configured(
    data_dir: &Path,
    content_dir: &Path,
    change: impl FnOnce(&mut Config),
) -> TestApp {
    spawn_app_on(Backend::of_this_run(), data_dir, content_dir, change).await
}

/// Starts the server on `backend` with its data in `data_dir` and a changed configuration.
pub async fn spawn_app_on(
    backend: Backend,
    data_dir: &Path,
    content_dir: &Path,
    change: impl FnOnce(&mut Config),
) -> TestApp {
    playbook::telemetry::init("warn");
    let mut config = Config::for_tests(data_dir, content_dir);
    config.store = backend.store_for(data_dir);
    change(&mut config);
    let admin_password = ensure_admin(&config);
    let application = Application::build(config)
        .await
        .expect("application builds");
    let port = application.port();
    let handle = application.handle();
    let task = tokio::spawn(application.run_until_stopped());
    let address = format!("http://127.0.0.1:{port}");
    let client = signed_in_client(&address, ADMIN, &admin_password).await;
    TestApp {
        address,
        admin: client.clone(),
        client,
        admin_password,
        handle,
        task,
        _data: None,
    }
}

/// Creates (or resets) the test administrator directly in the store, before the server opens
/// it; returns the password.
fn ensure_admin(config: &Config) -> String {
    // A second node on a shared database: the admin exists, with this password.
    if let Ok(password) = std::fs::read_to_string(config.data_dir.join("test-admin-password")) {
        return password;
    }
    std::fs::create_dir_all(config.store_dir()).expect("store dir");
    let store = playbook::store::Store::open_at(&config.store_location()).expect("store opens");
    let auth =
        playbook::app::users::Auth::new(store, playbook::app::users::AuthSettings::default());
    let password = playbook::app::users::generate_password();
    match auth.add_user(
        ADMIN,
        playbook::domain::policy::Role::Admin,
        Some(&password),
    ) {
        Ok(_) => {}
        Err(playbook::app::users::AuthError::Exists(_)) => {
            auth.set_password(ADMIN, Some(&password))
                .expect("admin password reset");
        }
        Err(e) => panic!("cannot create the test admin: {e}"),
    }
    password
}

/// A client that does not follow redirects and keeps cookies.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

/// Signs in through `POST /api/v1/session` and returns a client that carries the session
/// cookie and, like the app's pages, the `Origin` and the session's CSRF token.
pub async fn signed_in_client(address: &str, name: &str, password: &str) -> reqwest::Client {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let login = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .build()
        .expect("client");
    let response = login
        .post(format!("{address}/api/v1/session"))
        .header("Origin", address)
        .json(&serde_json::json!({ "name": name, "password": password }))
        .send()
        .await
        .expect("sign-in request");
    assert_eq!(response.status(), 200, "{name} signs in");
    let body: serde_json::Value = response.json().await.expect("session JSON");
    let csrf = body["csrf_token"]
        .as_str()
        .expect("a CSRF token")
        .to_owned();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("Origin", address.parse().expect("origin header"));
    headers.insert("X-CSRF-Token", csrf.parse().expect("csrf header"));
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar)
        .default_headers(headers)
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// From now on, this app's helper methods act as a new user `name` with `role` (created
    /// through the API by the admin).
    pub async fn sign_in_as(&mut self, name: &str, role: &str) {
        self.client = self.client_as(name, role).await;
    }

    /// Adds a user with `role` through the API (as the admin) and returns a client signed in
    /// as them.
    pub async fn client_as(&self, name: &str, role: &str) -> reqwest::Client {
        let password = self.add_user(name, role).await;
        signed_in_client(&self.address, name, &password).await
    }

    /// Adds a user with `role` through the API (as the admin); returns the password.
    pub async fn add_user(&self, name: &str, role: &str) -> String {
        let password = format!("pw-{name}-0123456789");
        let response = self
            .admin
            .post(self.url("/api/v1/users"))
            .json(&serde_json::json!({ "name": name, "role": role, "password": password }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "user {name} created");
        password
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_with_lang(&self, path: &str, accept_language: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("Accept-Language", accept_language)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        let body = response.json().await.expect("a JSON body");
        (status, body)
    }

    pub async fn get_html(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("a text body"))
    }

    pub async fn get_content(&self, id: &str) -> (u16, serde_json::Value) {
        self.get_json(&format!("/api/v1/content/{id}")).await
    }

    pub async fn get_coverage(&self) -> (u16, serde_json::Value) {
        self.get_json("/api/v1/coverage").await
    }

    pub async fn search(&self, query: &[(&str, &str)]) -> (u16, serde_json::Value) {
        let response = self
            .client
            .get(self.url("/api/v1/search"))
            .query(query)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// Waits until a search by `client` for `q` finds `id` (the index follows the store within
    /// moments); returns whether it did.
    pub async fn finds(&self, client: &reqwest::Client, q: &str, id: &str) -> bool {
        for _ in 0..50 {
            let response = client
                .get(self.url("/api/v1/search"))
                .query(&[("q", q)])
                .send()
                .await
                .expect("request");
            let body: serde_json::Value = response.json().await.expect("a JSON body");
            if body["hits"]
                .as_array()
                .is_some_and(|hits| hits.iter().any(|h| h["id"] == id))
            {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    }

    async fn json_of(response: reqwest::Response) -> (u16, serde_json::Value) {
        let status = response.status().as_u16();
        let body = response.json().await.expect("a JSON body");
        (status, body)
    }

    /// `POST /api/v1/accounts/import` with a `text/csv` body.
    pub async fn import_accounts(&self, csv: impl Into<Vec<u8>>) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(self.url("/api/v1/accounts/import"))
            .header("Content-Type", "text/csv")
            .body(csv.into())
            .send()
            .await
            .expect("request");
        Self::json_of(response).await
    }

    pub async fn get_tier_model(&self) -> (u16, serde_json::Value) {
        self.get_json("/api/v1/tier-model").await
    }

    pub async fn put_tier_model(&self, json: &str) -> (u16, serde_json::Value) {
        let response = self
            .client
            .put(self.url("/api/v1/tier-model"))
            .header("Content-Type", "application/json")
            .body(json.to_owned())
            .send()
            .await
            .expect("request");
        Self::json_of(response).await
    }

    /// `GET /api/v1/accounts?{query}`.
    pub async fn list_accounts(&self, query: &str) -> (u16, serde_json::Value) {
        self.get_json(&format!("/api/v1/accounts?{query}")).await
    }

    pub async fn get_account(&self, id: &str) -> (u16, serde_json::Value) {
        self.get_json(&format!("/api/v1/accounts/{id}")).await
    }

    pub async fn put_override(
        &self,
        id: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self
            .client
            .put(self.url(&format!("/api/v1/accounts/{id}/override")))
            .json(&body)
            .send()
            .await
            .expect("request");
        Self::json_of(response).await
    }

    pub async fn delete_override(&self, id: &str) -> (u16, serde_json::Value) {
        let response = self
            .client
            .delete(self.url(&format!("/api/v1/accounts/{id}/override")))
            .send()
            .await
            .expect("request");
        Self::json_of(response).await
    }

    pub async fn tier_changes(&self, limit: usize) -> (u16, serde_json::Value) {
        self.get_json(&format!("/api/v1/tier-changes?limit={limit}"))
            .await
    }

    pub async fn pareto(&self, indicator: &str) -> (u16, serde_json::Value) {
        self.get_json(&format!("/api/v1/pareto?indicator={indicator}"))
            .await
    }

    /// `GET /api/v1/tiers.csv`: status, content type and the raw bytes.
    pub async fn tiers_csv(&self) -> (u16, String, Vec<u8>) {
        let response = self.get("/api/v1/tiers.csv").await;
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        let bytes = response.bytes().await.expect("a body").to_vec();
        (status, content_type, bytes)
    }

    /// Stops the server gracefully and waits until the store is flushed and released.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        self.task
            .await
            .expect("server task")
            .expect("server stopped cleanly");
    }
}

/// Writes a file below `dir`, creating parent directories.
pub fn write_file(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// Copies the fixture content into a fresh directory the test may change.
pub fn copy_fixture_content() -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixture_content(), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
