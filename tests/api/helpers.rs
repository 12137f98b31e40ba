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

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
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
    playbook::telemetry::init("warn");
    let config = Config::for_tests(data_dir, content_dir);
    let application = Application::build(config)
        .await
        .expect("application builds");
    let port = application.port();
    let handle = application.handle();
    let task = tokio::spawn(application.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client"),
        handle,
        task,
        _data: None,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
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
