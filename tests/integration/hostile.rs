//! The hostile corpus (`tests/fixtures/hostile/*.jsonl`): malformed and malicious requests,
//! each with the status it must get. Every one is sent to a fresh app on each store; each
//! must be answered with that status as problem+json, and must leave every table as it was.

use base64::Engine as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::surveys::{create_survey, nps_survey};

both_backends!(hostile_requests_are_refused_and_store_nothing);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    method: String,
    path: String,
    #[serde(default)]
    headers: Map<String, Value>,
    body: Option<String>,
    /// For bodies that are not UTF-8 text.
    #[serde(default)]
    body_base64: Option<String>,
    expect_status: u16,
}

fn corpus() -> Vec<Case> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hostile");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the hostile corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read the corpus");
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Case = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), i + 1));
            cases.push(case);
        }
    }
    cases
}

/// Rows per table, every table the migrations made (their own bookkeeping aside).
async fn rows(db: &DatabaseConnection) -> Vec<(String, i64)> {
    let backend = db.get_database_backend();
    let list = match backend {
        DbBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
    };
    let tables: Vec<String> = db
        .query_all(Statement::from_string(backend, list))
        .await
        .expect("tables")
        .iter()
        .map(|r| r.try_get::<String>("", "name").expect("name"))
        .filter(|t| t != "seaql_migrations")
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let row = db
            .query_one(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM \"{t}\""),
            ))
            .await
            .expect("count")
            .expect("a row");
        out.push((t, row.try_get::<i64>("", "n").expect("n")));
    }
    out
}

async fn hostile_requests_are_refused_and_store_nothing(app: TestApp) {
    let survey = create_survey(&app, &nps_survey()).await;
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "客服"}),
        )
        .await;
    let source = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read_key = app.key_with("read").await;
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let mut before = rows(&db).await;
    let fill = |s: &str| {
        s.replace("{key}", &app.api_key)
            .replace("{read_key}", &read_key)
            .replace("{survey}", &survey)
            .replace("{source}", &source)
            .replace("{now}", &chrono::Utc::now().timestamp().to_string())
    };
    let cases = corpus();
    assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
        let mut req = app.client.request(method, app.url(&fill(&case.path)));
        for (name, value) in &case.headers {
            req = req.header(name.as_str(), fill(value.as_str().unwrap_or_default()));
        }
        if let Some(b64) = &case.body_base64 {
            req = req.body(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap(),
            );
        } else if let Some(body) = &case.body {
            req = req.body(fill(body));
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = res.text().await.unwrap_or_default();
        let problem: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let mut wrong = Vec::new();
        if status != case.expect_status {
            wrong.push(format!("status {status}, expected {}", case.expect_status));
        }
        if !ct.starts_with("application/problem+json") || problem["status"] != status {
            wrong.push(format!("not a problem document ({ct})"));
        }
        let after = rows(&db).await;
        if after != before {
            let changed: Vec<String> = after
                .iter()
                .filter(|row| !before.contains(row))
                .map(|(t, n)| format!("{t} now {n}"))
                .collect();
            wrong.push(format!("stored something ({})", changed.join(", ")));
            before = after;
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {} — {}",
                case.name,
                wrong.join(", "),
                clip(&text)
            ));
        }
    }
    let _ = db.close().await;
    assert!(
        failures.is_empty(),
        "{} of {} hostile requests went wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}
