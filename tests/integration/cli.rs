//! The binary itself: `tingjian workspace create`, `tingjian import csv`, `tingjian migrate`
//! and `tingjian serve`'s environment, against the same database the service uses.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{run_ok, tingjian, Backend, PgDatabase, TestApp};

both_backends!(
    workspace_create_prints_a_working_key,
    csv_import_from_the_command_line
);

async fn workspace_create_prints_a_working_key(app: TestApp) {
    let mut cmd = tingjian(&app);
    cmd.args(["workspace", "create", "增长团队"]);
    let out = run_ok(cmd).await;
    let created: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    let key = created["api_key"].as_str().unwrap();
    assert!(created["workspace_id"].as_str().unwrap().starts_with("ws_"));
    let res = app
        .client
        .get(app.url("/api/v1/keys"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "the printed key is an admin key of the new workspace"
    );
    let keys: Value = res.json().await.unwrap();
    let keys = keys["items"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(
        keys[0]["scopes"],
        serde_json::json!(["ingest", "read", "admin"])
    );
    assert!(key.starts_with(keys[0]["prefix"].as_str().unwrap()));
    let res = app
        .client
        .get(app.url("/api/v1/feedback"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert!(
        body["items"].as_array().unwrap().is_empty(),
        "a new workspace sees nothing of others"
    );
}

async fn csv_import_from_the_command_line(app: TestApp) {
    std::fs::create_dir_all(&app.data_dir).unwrap();
    let file = app.data_dir.join("reviews.csv");
    std::fs::write(&file, "评论ID,评论内容,评分,时间,城市\nr1,闪退太频繁了,1,2026-11-20 10:00,上海\nr2,,5,2026-11-20 11:00,北京\nr3,很好用,5,2026/11/21 09:30,杭州\n").unwrap();
    let run = |app: &TestApp| {
        let mut cmd = tingjian(app);
        cmd.args(["import", "csv"]).arg(&file).args([
            "--workspace",
            &app.workspace_id,
            "--map",
            "text=评论内容",
            "--map",
            "external_id=评论ID",
            "--map",
            "rating=评分",
            "--map",
            "occurred_at=时间",
            "--map",
            "attr.city=城市",
            "--source",
            "appstore",
        ]);
        cmd
    };
    let out = run_ok(run(&app)).await;
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stored"], 2);
    assert_eq!(report["rejected"][0]["row"], 3);
    // Importing the same file again stores nothing new.
    let out = run_ok(run(&app)).await;
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["stored"].as_u64(), report["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
    let items = app.all_feedback("channel=import").await;
    assert_eq!(items.len(), 2);
    let crash = items.iter().find(|i| i["external_id"] == "r1").unwrap();
    assert_eq!(crash["scores"]["csat"], 1);
    assert_eq!(crash["attributes"]["city"], "上海");
    assert_eq!(
        crash["occurred_at"].as_str().unwrap()[..19],
        *"2026-11-20T02:00:00"
    );
}

/// Replicas starting together on a fresh PostgreSQL database each run the migrations; they
/// take turns (an advisory lock), so every one of them succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_on_postgres_all_succeed() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let url = db.url.clone();
    let outputs = tokio::task::spawn_blocking(move || {
        // All four are started before any is waited for, so they race for the empty schema.
        let children: Vec<_> = (0..4)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_tingjian"))
                    .arg("migrate")
                    .env("DATABASE_URL", &url)
                    .env("RUST_LOG", "warn")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("start tingjian migrate")
            })
            .collect();
        children
            .into_iter()
            .map(|c| c.wait_with_output().expect("tingjian migrate"))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (i, out) in outputs.iter().enumerate() {
        assert!(
            out.status.success(),
            "migration {i} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The schema is complete: every migration the binary ships is recorded, once, and
    // nothing else.
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    let rows = conn
        .query_all(Statement::from_string(
            DbBackend::Postgres,
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await
        .unwrap();
    let recorded: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect();
    let mut shipped: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    shipped.sort();
    assert!(!shipped.is_empty());
    assert_eq!(recorded, shipped);
    conn.execute_unprepared("SELECT count(*) FROM feedback")
        .await
        .unwrap();
    conn.close().await.unwrap();
}

/// A `tingjian serve` started from `cmd`: its port (from its JSON log), killed on drop.
pub(crate) struct Served {
    child: Child,
    pub(crate) port: u16,
}

impl Served {
    /// Whether the process is still running (it has not exited or been killed).
    pub(crate) fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on a free port, waits until it listens; `Err(stderr)` if it exits first.
pub(crate) fn serve(mut cmd: Command) -> Result<Served, String> {
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--workers", "1"])
        .env("TINGJIAN_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start tingjian serve");
    let stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    let mut lines = BufReader::new(stderr).lines();
    while let Some(Ok(line)) = lines.next() {
        seen.push_str(&line);
        seen.push('\n');
        let Ok(entry) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if entry["fields"]["message"] == "listening" {
            let port = entry["fields"]["port"].as_u64().expect("port") as u16;
            // Keep reading its log, so a full pipe never blocks the server.
            std::thread::spawn(move || lines.for_each(drop));
            return Ok(Served { child, port });
        }
    }
    let _ = child.wait();
    Err(seen)
}

async fn post_from(port: u16, survey: &str, forwarded_for: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/s/{survey}/responses"))
        .header("X-Forwarded-For", forwarded_for)
        .json(&serde_json::json!({"answers": {"q1": 9}}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `TINGJIAN_TRUST_PROXY` and `TINGJIAN_NO_POLLER` read booleans the way clap's boolish
/// parser does (1/0, yes/no, on/off, true/false), and an empty value as false.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boolean_environment_variables() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let survey = crate::surveys::create_survey(&app, &crate::surveys::nps_survey()).await;
    let start = |trust: &str, no_poller: &str| {
        let mut cmd = tingjian(&app);
        cmd.env("TINGJIAN_TRUST_PROXY", trust)
            .env("TINGJIAN_NO_POLLER", no_poller)
            .env("TINGJIAN_SURVEY_RATE", "1");
        tokio::task::spawn_blocking(move || serve(cmd))
    };

    // "on": the forwarded address is the client, so two clients get a budget each.
    let trusting = start("on", "yes").await.unwrap().expect("serve starts");
    assert_eq!(post_from(trusting.port, &survey, "203.0.113.1").await, 201);
    assert_eq!(post_from(trusting.port, &survey, "203.0.113.2").await, 201);
    drop(trusting);

    // Empty: false. The header is ignored; both posts come from the one peer.
    let plain = start("", "0").await.unwrap().expect("serve starts");
    assert_eq!(post_from(plain.port, &survey, "203.0.113.1").await, 201);
    assert_eq!(post_from(plain.port, &survey, "203.0.113.2").await, 429);
    drop(plain);

    let refused = start("maybe", "false").await.unwrap();
    let stderr = refused.err().expect("an invalid boolean stops serve");
    assert!(stderr.contains("invalid value 'maybe'"), "{stderr}");
}
