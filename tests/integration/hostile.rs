//! The hostile corpus (`tests/fixtures/hostile/*.jsonl`): malformed and malicious requests,
//! each with the status it must get. Every one is sent to a fresh app on each store; each
//! must be answered with that status as problem+json (or, for a console page, as an HTML page),
//! must leave every table as it was, and must not send back any markup it was sent unescaped.
//! A second test stores markup in every text field a client can fill and reads every console
//! and survey page that shows it.

use base64::Engine as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::surveys::{create_survey, nps_survey};

both_backends!(
    hostile_requests_are_refused_and_store_nothing,
    stored_markup_comes_back_escaped_on_every_page
);

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
    /// `html` for a console page's refusal; problem+json otherwise.
    #[serde(default)]
    expect_type: Option<String>,
    /// Sent by a signed-in admin member's browser (its session cookie) instead of a bare client.
    #[serde(default)]
    session: bool,
}

/// Markup that must never come back as sent.
const MARKUP: [&str; 5] = ["<script", "<img", "<svg", "<iframe", "javascript:"];

/// `{pad:N}` becomes N copies of `a`, for bodies too large to write out.
fn expand_pads(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("{pad:") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 5..];
        let end = tail.find('}').expect("a closed {pad:N}");
        let n: usize = tail[..end].parse().expect("{pad:N} takes a number");
        out.extend(std::iter::repeat_n('a', n));
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
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

/// What the corpus's placeholders stand for: the workspace's own things, a second workspace's
/// (which the first workspace's key must not reach), and a source of every preset.
struct Fixture {
    words: Vec<(String, String)>,
}

impl Fixture {
    async fn build(app: &TestApp) -> Self {
        let mut words = Vec::new();
        let mut put = |k: &str, v: &str| words.push((format!("{{{k}}}"), v.to_owned()));
        put("key", &app.api_key);
        put("read_key", &app.key_with("read").await);
        put("workspace", &app.workspace_id);
        put("survey", &create_survey(app, &nps_survey()).await);
        put("source", &new_source(app, &app.api_key, &json!({})).await);
        for (preset, secret) in [
            ("typeform", Some("tf-secret-1")),
            ("tally", Some("tally-secret-1")),
            ("surveymonkey", Some("sm-secret-1")),
            ("survicate", Some("sv-secret-1")),
            ("formbricks", Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")),
            ("wjx", Some("wjx-secret-1")),
            ("tencent_wj", None),
        ] {
            let mut extra = json!({"preset": preset});
            if let Some(s) = secret {
                extra["signing_secret"] = json!(s);
            }
            put(
                &format!("source.{preset}"),
                &new_source(app, &app.api_key, &extra).await,
            );
        }
        let res = app
            .post_json(
                "/api/v1/mentions",
                &json!({"items": [{"platform": "weibo", "text": "登录太慢了", "url": "https://weibo.com/1/a"}]}),
            )
            .await;
        assert!(res.status().is_success(), "a mention: {}", res.status());
        let items = app.all_feedback("").await;
        put("feedback", items[0]["id"].as_str().expect("an id"));
        put(
            "member",
            &app.add_member_to(&app.workspace_id, "member@example.com", "viewer")
                .await,
        );
        let (other, other_key) = app.other_workspace().await;
        put("other_workspace", &other);
        put(
            "other_source",
            &new_source(app, &other_key, &json!({})).await,
        );
        let res = app
            .client
            .post(app.url("/api/v1/surveys"))
            .bearer_auth(&other_key)
            .json(&nps_survey())
            .send()
            .await
            .expect("request");
        let other_survey = res.json::<Value>().await.expect("json")["id"]
            .as_str()
            .expect("an id")
            .to_owned();
        put("other_survey", &other_survey);
        put("other_key", &other_key);
        Fixture { words }
    }

    fn fill(&self, s: &str) -> String {
        let mut s = expand_pads(s);
        for (k, v) in &self.words {
            s = s.replace(k, v);
        }
        s.replace("{now}", &chrono::Utc::now().timestamp().to_string())
    }
}

async fn new_source(app: &TestApp, key: &str, extra: &Value) -> String {
    let mut body = json!({"kind": "webhook", "name": "客服"});
    for (k, v) in extra.as_object().expect("an object") {
        body[k] = v.clone();
    }
    let res = app
        .client
        .post(app.url("/api/v1/sources"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(res.status().is_success(), "a source: {}", res.status());
    res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

async fn hostile_requests_are_refused_and_store_nothing(app: TestApp) {
    let fixture = Fixture::build(&app).await;
    let console = app.console("admin").await;
    let fixture = Fixture {
        words: [
            fixture.words,
            vec![("{csrf}".to_owned(), console.csrf.clone())],
        ]
        .concat(),
    };
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let mut before = rows(&db).await;
    let fill = |s: &str| fixture.fill(s);
    let cases = corpus();
    assert!(cases.len() >= 200, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
        let client = if case.session {
            &console.client
        } else {
            &app.client
        };
        let sent_markup: Vec<&str> = MARKUP
            .into_iter()
            .filter(|m| {
                let all = format!("{} {:?} {:?}", case.path, case.headers, case.body);
                all.to_lowercase().contains(m)
            })
            .collect();
        let mut req = client.request(method, app.url(&fill(&case.path)));
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
        if case.expect_type.as_deref() == Some("html") {
            if !ct.starts_with("text/html") {
                wrong.push(format!("not an HTML page ({ct})"));
            }
        } else if !ct.starts_with("application/problem+json") || problem["status"] != status {
            wrong.push(format!("not a problem document ({ct})"));
        }
        let lower = text.to_lowercase();
        for m in &sent_markup {
            if lower.contains(m) {
                wrong.push(format!("sent back {m} unescaped"));
            }
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

/// Markup, script and SQL in one string; every text field below is filled with it.
const PAYLOAD: &str = "\"'><img src=x onerror=alert(1)><script>alert(1)</script>' OR 1=1--";

/// What of [`PAYLOAD`] must never appear as sent in a page.
const RAW: [&str; 2] = ["<img src=x onerror", "<script>alert(1)"];

async fn stored_markup_comes_back_escaped_on_every_page(app: TestApp) {
    let p = PAYLOAD;
    let survey = json!({
        "title": format!("调查{p}"),
        "description": format!("说明{p}"),
        "questions": [
            {"id": "q1", "type": "nps", "title": format!("推荐吗{p}"), "required": true},
            {"id": "q2", "type": "single_choice", "title": format!("选{p}"), "options": ["甲", format!("乙{p}")]},
            {"id": "q3", "type": "text", "title": format!("说说{p}"), "placeholder": format!("写{p}")}
        ],
        "thank_you": format!("谢谢{p}")
    });
    let survey = create_survey(&app, &survey).await;
    let res = app
        .client
        .post(app.url(&format!("/s/{survey}/responses")))
        .json(&json!({
            "answers": {"q1": 3, "q2": format!("乙{p}"), "q3": format!("太慢了{p}")},
            "respondent": {"id": format!("u{p}"), "attributes": {"plan": format!("专业版{p}")}}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        201,
        "a response: {}",
        res.text().await.unwrap()
    );
    let calls = [
        (
            "/api/v1/sources",
            json!({"kind": "webhook", "name": format!("客服{p}")}),
        ),
        (
            "/api/v1/keys",
            json!({"name": format!("钥匙{p}"), "scopes": ["read"]}),
        ),
        (
            "/api/v1/pain-point-categories",
            json!({"id": "checkout", "name": "支付<script>alert(1)</script>", "keywords": ["付款"]}),
        ),
        (
            "/api/v1/mentions",
            json!({"items": [{"platform": "weibo", "text": format!("登录失败{p}"),
                "author": format!("小明{p}"), "url": "https://weibo.com/1/x"}]}),
        ),
        (
            "/api/v1/interviews",
            json!({"title": format!("访谈{p}"), "transcript": format!("主持人：怎么样？\n用户：付款总失败{p}"),
                "interviewee": {"id": format!("iv{p}")}}),
        ),
        (
            "/api/v1/digest-subscriptions",
            json!({"email": "ops@example.com", "frequency": "weekly"}),
        ),
    ];
    for (path, body) in &calls {
        let res = app.post_json(path, body).await;
        assert!(
            res.status().is_success(),
            "POST {path}: {} {}",
            res.status(),
            res.text().await.unwrap()
        );
    }
    let res = app
        .patch_json("/api/v1/workspace", &json!({"name": format!("团队{p}")}))
        .await;
    assert!(res.status().is_success(), "workspace: {}", res.status());
    let items = app.all_feedback("").await;
    assert!(items.len() >= 3, "{} items", items.len());

    let console = app.console("admin").await;
    let mut pages: Vec<String> = [
        "/",
        "/inbox",
        "/pain-points",
        "/surveys",
        "/manage/sources",
        "/manage/keys",
        "/manage/interviews",
        "/manage/categories",
        "/manage/dictionary",
        "/manage/members",
        "/manage/subscriptions",
        "/manage/import",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for s in [
        "",
        "/responses",
        "/share",
        "/edit",
        "/preview",
        "/answers/q3",
    ] {
        pages.push(format!("/surveys/{survey}{s}"));
    }
    for item in &items {
        pages.push(format!("/inbox/{}", item["id"].as_str().unwrap()));
    }
    let mut failures = Vec::new();
    // Pages that show the markup as text (escaped), so the test sees what it checks.
    let mut shown = 0;
    for path in &pages {
        let res = console.get(path).await;
        let status = res.status();
        let html = res.text().await.unwrap();
        if status != 200 {
            failures.push(format!("{path}: {status}"));
        }
        for raw in RAW {
            if html.contains(raw) {
                failures.push(format!("{path}: {raw} unescaped"));
            }
        }
        if html.contains("&lt;script&gt;alert(1)") {
            shown += 1;
        }
    }
    assert!(shown >= 8, "only {shown} pages show the stored markup");
    let public = app
        .client
        .get(app.url(&format!("/s/{survey}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for raw in RAW {
        if public.contains(raw) {
            failures.push(format!("/s/{survey}: {raw} unescaped"));
        }
    }
    assert!(
        public.contains("&lt;script&gt;") || public.contains("\\u003cscript"),
        "the survey page shows the title as text"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
