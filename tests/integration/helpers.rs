//! Spawns the real application on a random port against a fresh database: a SQLite file in a
//! temporary directory, or a PostgreSQL database created for the test and dropped after it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use tingjian::analysis::Analyzer;
use tingjian::config::Settings;
use tingjian::domain::Scopes;
use tingjian::http::AppState;
use tingjian::startup::{Application, Workers};

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub workspace_id: String,
    /// An admin key of the workspace.
    pub api_key: String,
    pub state: Arc<AppState>,
    /// The poller, the outbox and the spike check, driven by the functions their loops call.
    pub workers: Workers,
    pub database_url: String,
    pub data_dir: std::path::PathBuf,
    _dir: tempfile::TempDir,
    pg_database: Option<String>,
}

pub fn pg_admin_url() -> String {
    std::env::var("TINGJIAN_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// One analyzer for every app in this test process (building one takes a moment and 40 MB).
pub fn analyzer() -> Arc<Analyzer> {
    static ANALYZER: once_cell::sync::Lazy<Arc<Analyzer>> =
        once_cell::sync::Lazy::new(|| Arc::new(Analyzer::new()));
    ANALYZER.clone()
}

static WARNED_PG: AtomicBool = AtomicBool::new(false);

pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A test that cannot run here: under `CI=true` that is a failure; elsewhere the test passes
/// and says so loudly, straight to stderr (past the harness's capture), once per `flag`.
pub fn skip_or_fail(flag: &AtomicBool, msg: &str) {
    if under_ci() {
        panic!("required under CI=true: {msg}");
    }
    if !flag.swap(true, Ordering::SeqCst) {
        let _ = writeln!(std::io::stderr(), "\n!!! SKIPPING: {msg}\n");
    }
}

/// A fresh PostgreSQL database, or `None` (and a loud notice) when PostgreSQL is not there.
/// Under `CI=true` a missing PostgreSQL fails the test instead. Returns its URL and name;
/// drop it with [`drop_pg_database`] (or hold a [`PgDatabase`]).
pub async fn fresh_pg_database() -> Option<(String, String)> {
    let admin_url = pg_admin_url();
    let admin = match Database::connect(&admin_url).await {
        Ok(db) => db,
        Err(e) => {
            skip_or_fail(
                &WARNED_PG,
                &format!("PostgreSQL tests: {admin_url} is not answering ({e}); start PostgreSQL or set TINGJIAN_TEST_PG"),
            );
            return None;
        }
    };
    let name = format!("tj_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create the test database");
    let _ = admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or(admin_url);
    Some((format!("{base}/{name}"), name))
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Option<Self> {
        tingjian::telemetry::init_with("warn");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::new(dir.path().join("data"));
        settings.bind = "127.0.0.1:0".into();
        settings.run_poller = false;
        // Tests drive the outbox themselves, by the functions its loop calls.
        settings.run_delivery = false;
        // Tests that prune or apply retention do it themselves (lifecycle.rs).
        settings.run_lifecycle = false;
        settings.workers = 1;
        // The tests' feed, store, tool and robot servers listen on 127.0.0.1, which the
        // service refuses to fetch from unless the operator allows it (outbound.rs shows the
        // refusals without it).
        settings.allow_private_urls =
            tingjian::domain::net::AllowPrivate::parse(LOCAL_URLS).expect("the allow list parses");
        let mut pg_database = None;
        if let Backend::Postgres = backend {
            let (url, name) = fresh_pg_database().await?;
            settings.database_url = Some(url);
            pg_database = Some(name);
        }
        tweak(&mut settings);
        let database_url = settings.database_url();
        let data_dir = settings.data_dir.clone();
        let app = Application::build_with(settings, analyzer())
            .await
            .expect("build the app");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        let workers = app.workers();
        tokio::spawn(app.run_until_stopped());
        let ws = state
            .store
            .create_workspace("测试团队", "Asia/Shanghai")
            .await
            .expect("workspace");
        let (_, api_key) = state
            .store
            .create_key(&ws.id, "test admin", &Scopes::all())
            .await
            .expect("key");
        Some(Self {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            workspace_id: ws.id,
            api_key,
            state,
            workers,
            database_url,
            data_dir,
            _dir: dir,
            pg_database,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Stores webhook-shaped `items` of `source_id` directly, analysed by the same pipeline
    /// as every ingest path (a seed shorter than signed deliveries).
    pub async fn store_items(&self, items: Vec<Value>, source_id: &str, now: DateTime<Utc>) {
        let parsed = tingjian::collect::webhook::parse_delivery(
            &serde_json::json!({"items": items}),
            None,
            source_id,
            now,
        )
        .unwrap();
        self.store_parsed(parsed).await;
    }

    /// Analyses and stores items already read from a delivery.
    pub async fn store_parsed(&self, parsed: Vec<tingjian::domain::NewFeedback>) {
        let prepared = self
            .state
            .pipeline
            .prepare(&self.workspace_id, parsed)
            .await
            .unwrap();
        self.state
            .store
            .ingest(&self.workspace_id, &prepared)
            .await
            .unwrap();
    }

    /// A second workspace with its own admin key, for tenant-wall tests.
    pub async fn other_workspace(&self) -> (String, String) {
        let ws = self
            .state
            .store
            .create_workspace("别的团队", "Asia/Shanghai")
            .await
            .expect("workspace");
        let (_, key) = self
            .state
            .store
            .create_key(&ws.id, "other", &Scopes::all())
            .await
            .expect("key");
        (ws.id, key)
    }

    pub async fn key_with(&self, scopes: &str) -> String {
        let (_, key) = self
            .state
            .store
            .create_key(&self.workspace_id, "scoped", &Scopes::from_stored(scopes))
            .await
            .expect("key");
        key
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.api_key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(&self.api_key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .expect("request")
    }

    /// All feedback of the workspace (following cursors), oldest last.
    pub async fn all_feedback(&self, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q = format!(
                "/api/v1/feedback?limit=200{}{}",
                if query.is_empty() { "" } else { "&" },
                query
            );
            if let Some(c) = &cursor {
                q.push_str(&format!("&cursor={c}"));
            }
            let res = self.get(&q).await;
            assert_eq!(res.status(), 200, "list feedback {q}");
            let body: Value = res.json().await.expect("json");
            out.extend(body["items"].as_array().expect("items").iter().cloned());
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return out,
            }
        }
    }
}

/// A fresh, empty PostgreSQL database (not migrated), dropped with this value.
pub struct PgDatabase {
    pub url: String,
    name: Option<String>,
}

impl PgDatabase {
    /// `None` (and a loud notice) when PostgreSQL is not there, as for [`fresh_pg_database`].
    pub async fn create() -> Option<Self> {
        let (url, name) = fresh_pg_database().await?;
        Some(Self {
            url,
            name: Some(name),
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            drop_pg_database(name);
        }
    }
}

/// What the tests allow outgoing requests to reach: the loopback servers they run
/// (`TINGJIAN_ALLOW_PRIVATE_URLS`).
pub const LOCAL_URLS: &str = "127.0.0.0/8,::1";

/// The `tingjian` binary, pointed at this app's database.
pub fn tingjian(app: &TestApp) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tingjian"));
    cmd.env("DATABASE_URL", &app.database_url)
        .env("TINGJIAN_DATA_DIR", &app.data_dir)
        .env("RUST_LOG", "warn")
        .env("TINGJIAN_ALLOW_PRIVATE_URLS", LOCAL_URLS);
    cmd
}

/// Runs a command off the async executor and asserts it succeeded.
pub async fn run_ok(mut cmd: std::process::Command) -> std::process::Output {
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run the command"))
        .await
        .expect("join the command");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(name) = self.pg_database.take() {
            drop_pg_database(name);
        }
    }
}

/// Drops a test database, from sync code (a `Drop`), closing its connections first.
pub fn drop_pg_database(name: String) {
    // Drop runs outside async; use a private runtime on a plain thread.
    let admin_url = pg_admin_url();
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            if let Ok(db) = Database::connect(&admin_url).await {
                let _ = db
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
                let _ = db.close().await;
            }
        });
    })
    .join();
}

/// Asserts a problem+json answer with this status and code; returns the body.
pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type was {ct}"
    );
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["code"], code, "problem {body}");
    assert_eq!(body["status"], status);
    body
}

/// Runs each named test on SQLite and on PostgreSQL: `name::sqlite`, `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::helpers::{Backend, TestApp};
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = TestApp::spawn(Backend::Sqlite).await {
                    super::$name(app).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = TestApp::spawn(Backend::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
}

/// Runs each named `async fn(Backend)` on SQLite and on PostgreSQL, for tests that build
/// their app themselves (settings, clock, binaries): `name::sqlite`, `name::postgres`.
#[macro_export]
macro_rules! each_backend {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::helpers::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Backend::Postgres).await;
            }
        }
    )*};
}

/// A member of the test workspace signed in to the console: a client that keeps the session
/// cookie, and the CSRF token the console's pages carry.
#[allow(dead_code)] // email, password and member_id serve the tests that sign in again
pub struct ConsoleClient {
    pub client: reqwest::Client,
    pub address: String,
    pub workspace_id: String,
    pub email: String,
    pub password: String,
    pub member_id: String,
    pub csrf: String,
}

pub const MEMBER_PASSWORD: &str = "correct horse 1";

impl TestApp {
    /// Adds a member with `role` (`admin`, `editor` or `viewer`) and a password to `workspace`.
    pub async fn add_member_to(&self, workspace: &str, email: &str, role: &str) -> String {
        let role = tingjian::domain::Role::parse(role).expect("role");
        let email = tingjian::domain::Email::parse(email).expect("email");
        let hash = tingjian::domain::hash_password(MEMBER_PASSWORD).expect("hash");
        let (m, _) = self
            .state
            .store
            .add_member(workspace, &email, role, Some(hash))
            .await
            .expect("member");
        m.id
    }

    /// A new member of the test workspace with `role`, signed in through the login form.
    pub async fn console(&self, role: &str) -> ConsoleClient {
        let email = format!("{role}-{}@example.com", uuid::Uuid::new_v4().simple());
        let member_id = self.add_member_to(&self.workspace_id, &email, role).await;
        self.sign_in(&email, MEMBER_PASSWORD, member_id).await
    }

    /// Signs `email` in through `/console/login` as a browser would (the login cookie and the
    /// form's hidden token), and keeps the session's CSRF token.
    pub async fn sign_in(&self, email: &str, password: &str, member_id: String) -> ConsoleClient {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client");
        let form = client
            .get(self.url("/console/login"))
            .send()
            .await
            .expect("login form")
            .text()
            .await
            .expect("login form body");
        let token = hidden_field(&form, "csrf_token").expect("csrf_token in the login form");
        let res = client
            .post(self.url("/console/login"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .expect("sign in");
        assert_eq!(res.status(), 303, "sign-in answers a redirect");
        // The session's CSRF token, as every page of any role carries it (read from the store,
        // since a viewer may open no page that exists in every branch).
        let cookie = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("tj_session="))
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let csrf = self
            .state
            .store
            .session(&cookie, chrono::Duration::hours(1))
            .await
            .expect("session")
            .expect("a live session")
            .csrf_token;
        ConsoleClient {
            client,
            address: self.address.clone(),
            workspace_id: self.workspace_id.clone(),
            email: email.to_owned(),
            password: password.to_owned(),
            member_id,
            csrf,
        }
    }
}

/// The value of the first `<input name="{name}" value="…">` in a page, unescaped.
pub fn hidden_field(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\""))?;
    let rest = &page[at..];
    let v = rest.split("value=\"").nth(1)?;
    Some(html_escape::decode_html_entities(v.split('"').next()?).into_owned())
}

impl ConsoleClient {
    /// `/console/w/{workspace}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/console/w/{}{}", self.address, self.workspace_id, path)
    }

    /// GETs a console page of the workspace (whatever the status).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// A console page's HTML, asserting it answers 200.
    pub async fn page(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.text().await.expect("page body")
    }

    /// Calls the JSON API with the session and its CSRF token, as the console's script does.
    pub async fn api(&self, method: &str, path: &str, body: Option<&Value>) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path))
            .header("X-CSRF-Token", &self.csrf)
            .header("X-Tingjian-Workspace", &self.workspace_id);
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }
}
