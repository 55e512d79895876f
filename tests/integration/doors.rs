//! The inbound doors of issue 15, each shown closed from outside: bodies that stop arriving
//! or announce too much, times outside the window, duplicate JSON keys, invisible text,
//! addresses the mailer refuses, query strings that are not UTF-8, forwarded headers without
//! `--trust-proxy`, pages without a Content-Security-Policy, attribute names with quotes, and
//! a database that goes away and comes back.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::both_backends;
use crate::helpers::{assert_problem, Backend, TestApp};
use crate::surveys::{create_survey, nps_survey};

both_backends!(
    occurred_at_has_a_window,
    duplicate_keys_are_refused,
    invisible_text_is_empty,
    addresses_the_mailer_refuses_are_refused,
    attribute_names_keep_their_quotes,
);

// ---- helpers ----------------------------------------------------------------------------

fn host_port(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Opens a connection and sends a request head (and the start of a body), leaving the
/// connection open.
async fn send_head(app: &TestApp, head: &str, body_start: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(host_port(app)).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(body_start).await.expect("body start");
    stream
}

/// Reads the answer's status line and headers (lower-cased), waiting at most `limit`.
async fn read_head(stream: &mut TcpStream, limit: Duration) -> Option<(u16, String)> {
    let mut buf = Vec::new();
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        Some(())
    };
    tokio::time::timeout(limit, read).await.ok()??;
    let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    Some((status, text))
}

fn api_head(app: &TestApp, path: &str, length: u64) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n",
        host_port(app),
        app.api_key
    )
}

async fn webhook_source(app: &TestApp, body: Value) -> (String, String) {
    let res = app.post_json("/api/v1/sources", &body).await;
    assert_eq!(res.status(), 201);
    let src: Value = res.json().await.unwrap();
    (
        src["id"].as_str().unwrap().to_owned(),
        src["secret"].as_str().unwrap().to_owned(),
    )
}

async fn deliver(
    app: &TestApp,
    source: &str,
    secret: &str,
    msg_id: &str,
    body: &str,
) -> reqwest::Response {
    crate::webhooks::deliver(app, source, secret, msg_id, crate::webhooks::now(), body).await
}

async fn post_raw(app: &TestApp, path: &str, body: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(&app.api_key)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// The field errors of a 422, as (field, message).
async fn field_errors(res: reqwest::Response) -> Vec<(String, String)> {
    let body = assert_problem(res, 422, "validation_failed").await;
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

// ---- 1. bodies ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_is_cut_off_and_healthz_still_answers() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.body_read_timeout = Duration::from_secs(2)
    })
    .await
    .unwrap();
    // Several bodies that send a few bytes and stop, on an authenticated route, a webhook
    // and a public survey.
    let survey = create_survey(&app, &nps_survey()).await;
    let mut slow = Vec::new();
    for i in 0..12 {
        let head = match i % 3 {
            0 => api_head(&app, "/api/v1/analyze", 100),
            1 => format!(
                "POST /s/{survey}/responses HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
                host_port(&app)
            ),
            _ => format!(
                "POST /api/v1/keys HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
                host_port(&app),
                app.api_key
            ),
        };
        slow.push(send_head(&app, &head, b"{\"ite").await);
    }
    // While they hang, the service answers others.
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // Each is answered 408 and closed, not left open.
    for stream in &mut slow {
        let (status, head) = read_head(stream, Duration::from_secs(30))
            .await
            .expect("a slow body is answered, not left hanging");
        assert_eq!(status, 408, "{head}");
        assert!(head.contains("application/problem+json"), "{head}");
        assert!(head.contains("connection: close"), "{head}");
    }
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let keys: Value = app.get("/api/v1/keys").await.json().await.unwrap();
    assert_eq!(
        keys["items"].as_array().unwrap().len(),
        1,
        "no key was made"
    );
    // A body that keeps coming, however slowly, is read: each pause is under the limit.
    let body = br#"{"items":[{"text":"slow but steady"}]}"#;
    let mut stream = send_head(
        &app,
        &api_head(&app, "/api/v1/analyze", body.len() as u64),
        b"",
    )
    .await;
    for part in body.chunks(12) {
        tokio::time::sleep(Duration::from_millis(700)).await;
        stream.write_all(part).await.unwrap();
    }
    let (status, head) = read_head(&mut stream, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(status, 200, "{head}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_length_over_the_limit_is_refused_before_the_body() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for path in [
        "/api/v1/analyze",
        "/api/v1/imports/csv",
        "/hooks/src_nope",
        "/s/sv_nope/responses",
    ] {
        let mut stream = send_head(&app, &api_head(&app, path, 1_000_000_000_000), b"").await;
        // Nothing of the body is sent: the answer cannot be waiting for it.
        let (status, head) = read_head(&mut stream, Duration::from_secs(10))
            .await
            .expect("answered at once");
        assert_eq!(status, 413, "{path}: {head}");
        assert!(head.contains("application/problem+json"), "{head}");
    }
    // One byte over, declared: refused too; at the limit, read (and refused for its content).
    let limit = tingjian::config::MAX_BODY_BYTES;
    let res = post_raw(&app, "/api/v1/analyze", &" ".repeat(limit + 1)).await;
    assert_problem(res, 413, "payload_too_large").await;
    let res = post_raw(&app, "/api/v1/analyze", &" ".repeat(limit)).await;
    assert_problem(res, 400, "invalid_json").await;
}

// ---- 2. occurred_at -------------------------------------------------------------------------

async fn occurred_at_has_a_window(app: TestApp) {
    let (src, secret) = webhook_source(&app, json!({"kind": "webhook", "name": "客服"})).await;
    let year_10000 = 253_402_300_800_i64;
    let year_minus_1 = -62_198_755_200_i64;
    let tomorrow_and_more = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    for (i, bad) in [
        json!(year_10000),
        json!(year_minus_1),
        json!(tomorrow_and_more),
        json!(0),
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({"text": "时间不对", "occurred_at": bad}).to_string();
        let res = deliver(&app, &src, &secret, &format!("w{i}"), &body).await;
        let errors = field_errors(res).await;
        assert_eq!(errors[0].0, "/occurred_at", "{bad}: {errors:?}");
        // A batch names the item.
        let body = json!({"items": [{"text": "好"}, {"text": "时间不对", "occurred_at": bad}]})
            .to_string();
        let res = deliver(&app, &src, &secret, &format!("b{i}"), &body).await;
        assert_eq!(field_errors(res).await[0].0, "/items/1/occurred_at");
    }
    // A mapped payload, read with the workspace's time formats.
    let (mapped, mapped_secret) = webhook_source(
        &app,
        json!({"kind": "webhook", "name": "表单", "mapping": {"text": "/answer", "occurred_at": "/at"}}),
    )
    .await;
    for (i, bad) in [json!("2099-01-01 08:00:00"), json!(year_10000)]
        .into_iter()
        .enumerate()
    {
        let body = json!({"answer": "时间不对", "at": bad}).to_string();
        let res = deliver(&app, &mapped, &mapped_secret, &format!("m{i}"), &body).await;
        assert_eq!(field_errors(res).await[0].0, "/at", "{bad}");
    }
    // An interview.
    for bad in [
        "+10000-01-01T00:00:00Z",
        "-0001-01-01T00:00:00Z",
        "2099-01-01T00:00:00Z",
    ] {
        let res = app
            .post_json(
                "/api/v1/interviews",
                &json!({"title": "访谈", "transcript": "用户：太慢了", "occurred_at": bad}),
            )
            .await;
        assert_eq!(field_errors(res).await[0].0, "/occurred_at", "{bad}");
    }
    // A CSV row outside the window is rejected; the rest are taken.
    let csv = "text,at\n还不错,2026-11-01 09:30\n太远了,2099-01-01\n";
    let res = app
        .client
        .post(app.url("/api/v1/imports/csv?map=text%3Dtext&map=occurred_at%3Dat"))
        .bearer_auth(&app.api_key)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["accepted"], 1, "{report}");
    assert!(report.to_string().contains("2000-01-01"), "{report}");
    // Nothing out of the window was stored; the edges are taken and print as RFC 3339.
    let body = json!({"items": [
        {"text": "最早", "occurred_at": "2000-01-01T00:00:00Z"},
        {"text": "今天", "occurred_at": chrono::Utc::now().to_rfc3339()}
    ]})
    .to_string();
    let res = deliver(&app, &src, &secret, "edges", &body).await;
    assert_eq!(res.status(), 200);
    let items = app.all_feedback("").await;
    assert_eq!(items.len(), 3, "{items:?}");
    for item in &items {
        let at = item["occurred_at"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
    }
    // SQLite's time filters find the earliest one.
    let found = app.all_feedback("from=1999-12-31&to=2000-01-02").await;
    assert_eq!(found.len(), 1);
}

// ---- 4. duplicate keys ------------------------------------------------------------------------

async fn duplicate_keys_are_refused(app: TestApp) {
    // The admin key that a read key's body would have become.
    let res = post_raw(
        &app,
        "/api/v1/keys",
        r#"{"name":"只读","scopes":["read"],"scopes":["admin"]}"#,
    )
    .await;
    let errors = field_errors(res).await;
    assert_eq!(errors[0].0, "/scopes");
    assert!(errors[0].1.contains("duplicate"), "{errors:?}");
    let keys: Value = app.get("/api/v1/keys").await.json().await.unwrap();
    assert_eq!(keys["items"].as_array().unwrap().len(), 1);
    // Deep inside a document, named by pointer.
    let res = post_raw(
        &app,
        "/api/v1/surveys",
        r#"{"title":"t","questions":[{"id":"q1","type":"text","title":"a","title":"b"}]}"#,
    )
    .await;
    assert_eq!(field_errors(res).await[0].0, "/questions/0/title");
    // A key escaped differently is the same key.
    let res = post_raw(
        &app,
        "/api/v1/keys",
        r#"{"name":"a","n\u0061me":"b","scopes":["read"]}"#,
    )
    .await;
    assert_eq!(field_errors(res).await[0].0, "/name");
    // The typed path (analyze) and a webhook delivery.
    let res = post_raw(
        &app,
        "/api/v1/analyze",
        r#"{"items":[{"text":"a","text":"b"}]}"#,
    )
    .await;
    assert_problem(res, 422, "validation_failed").await;
    let (src, secret) = webhook_source(&app, json!({"kind": "webhook", "name": "客服"})).await;
    let res = deliver(
        &app,
        &src,
        &secret,
        "d1",
        r#"{"text":"好","attributes":{"plan":"free","plan":"pro"}}"#,
    )
    .await;
    assert_eq!(field_errors(res).await[0].0, "/attributes/plan");
    let res = app
        .client
        .post(app.url(&format!(
            "/s/{}/responses",
            create_survey(&app, &nps_survey()).await
        )))
        .header("content-type", "application/json")
        .body(r#"{"answers":{"q1":9,"q1":0}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(field_errors(res).await[0].0, "/answers/q1");
    assert!(app.all_feedback("").await.is_empty());
    // The same key in two objects is no duplicate.
    let res = post_raw(
        &app,
        "/api/v1/analyze",
        r#"{"items":[{"text":"a"},{"text":"b"}]}"#,
    )
    .await;
    assert_eq!(res.status(), 200);
}

// ---- 9. invisible text ------------------------------------------------------------------------

async fn invisible_text_is_empty(app: TestApp) {
    let (src, secret) = webhook_source(&app, json!({"kind": "webhook", "name": "客服"})).await;
    for (i, blank) in [
        "\u{200B}",
        "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}",
        " \u{3000}\u{200B} ",
        "\u{202E}\u{FE0F}",
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({"text": blank}).to_string();
        let res = deliver(&app, &src, &secret, &format!("z{i}"), &body).await;
        let errors = field_errors(res).await;
        assert_eq!(errors[0].0, "/text");
        assert!(errors[0].1.contains("empty"), "{errors:?}");
    }
    let res = app
        .post_json("/api/v1/surveys", &json!({"title": "\u{200B}\u{200D}", "questions": [{"id": "q1", "type": "text", "title": "a"}]}))
        .await;
    assert_eq!(field_errors(res).await[0].0, "/title");
    // A survey's required text answer of zero-width characters is not an answer.
    let def = json!({"title": "t", "questions": [{"id": "q1", "type": "text", "title": "说说看", "required": true}]});
    let survey = create_survey(&app, &def).await;
    let res = app
        .client
        .post(app.url(&format!("/s/{survey}/responses")))
        .json(&json!({"answers": {"q1": "\u{200B}\u{FEFF}"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_errors(res).await[0].0, "/answers/q1");
    assert!(app.all_feedback("").await.is_empty());
    // Text with something visible among them is kept as sent.
    let res = deliver(
        &app,
        &src,
        &secret,
        "ok",
        &json!({"text": "\u{200B}好"}).to_string(),
    )
    .await;
    assert_eq!(res.status(), 200);
}

// ---- 5. mail addresses ------------------------------------------------------------------------

async fn addresses_the_mailer_refuses_are_refused(app: TestApp) {
    for bad in [
        "a..b@example.com",
        "li,lei@example.com",
        "li<x>@example.com",
        "li@-example.com",
    ] {
        let res = app
            .post_json("/api/v1/members", &json!({"email": bad, "role": "viewer"}))
            .await;
        assert_eq!(field_errors(res).await[0].0, "/email", "{bad}");
        let res = app
            .post_json(
                "/api/v1/digest-subscriptions",
                &json!({"email": bad, "frequency": "weekly"}),
            )
            .await;
        assert_eq!(field_errors(res).await[0].0, "/email", "{bad}");
    }
    let members: Value = app.get("/api/v1/members").await.json().await.unwrap();
    assert!(!members.to_string().contains("example.com"), "{members}");
    let res = app
        .post_json(
            "/api/v1/members",
            &json!({"email": "li.lei@example.com", "role": "viewer"}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
}

// ---- 10. attribute names ------------------------------------------------------------------------

async fn attribute_names_keep_their_quotes(app: TestApp) {
    let (src, secret) = webhook_source(&app, json!({"kind": "webhook", "name": "客服"})).await;
    let body = json!({"items": [
        {"text": "一", "attributes": {"a\"b": "x", "ab": "y", "c\\d": true}},
        {"text": "二", "attributes": {"ab": "x"}}
    ]})
    .to_string();
    assert_eq!(deliver(&app, &src, &secret, "q", &body).await.status(), 200);
    // `a"b` is its own name: the item that has it, not the one with `ab`.
    let found = app.all_feedback("attr.a%22b=x").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["text"], "一");
    assert!(app.all_feedback("attr.ab=x").await[0]["text"] == "二");
    let found = app.all_feedback("attr.c%5Cd=true").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(app.all_feedback("attr.%22=x").await.is_empty());
}

// ---- 6. query strings ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_strings_must_be_utf8() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for path in [
        "/api/v1/feedback?q=%ff",
        "/api/v1/feedback?q=%e4%bd",
        "/api/v1/feedback?attr.%ff=1",
        "/api/v1/feedback/%ff",
        "/console/login?next=%c3",
    ] {
        let res = app.get(path).await;
        assert_problem(res, 400, "bad_request").await;
    }
    // Encoded UTF-8, and a lone `%`, are fine.
    assert_eq!(
        app.get("/api/v1/feedback?q=%E6%94%AF%E4%BB%98")
            .await
            .status(),
        200
    );
    assert_eq!(app.get("/api/v1/feedback?q=100%").await.status(), 200);
}

// ---- 7. forwarded headers -----------------------------------------------------------------------

async fn links_of(app: &TestApp) -> String {
    let forged = |req: reqwest::RequestBuilder| {
        req.header("X-Forwarded-Host", "evil.example")
            .header("X-Forwarded-Proto", "https")
            .header("Forwarded", "host=evil.example;proto=https")
            .header("X-Forwarded-For", "203.0.113.9")
    };
    let mut out = String::new();
    let res = forged(
        app.client
            .post(app.url("/api/v1/sources"))
            .bearer_auth(&app.api_key),
    )
    .json(&json!({"kind": "webhook", "name": "客服"}))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    out.push_str(&res.text().await.unwrap());
    let res = forged(
        app.client
            .post(app.url("/api/v1/surveys"))
            .bearer_auth(&app.api_key),
    )
    .json(&nps_survey())
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    out.push_str(&res.text().await.unwrap());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_are_read_only_behind_trust_proxy() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let printed = links_of(&app).await;
    assert!(!printed.contains("evil.example"), "{printed}");
    assert!(
        printed.contains(&format!("{}/hooks/", app.address)),
        "{printed}"
    );
    let trusted = TestApp::spawn_with(Backend::Sqlite, |s| s.trust_proxy = true)
        .await
        .unwrap();
    let printed = links_of(&trusted).await;
    assert!(printed.contains("https://evil.example/hooks/"), "{printed}");
}

// ---- 8. Content-Security-Policy -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_html_page_has_a_strict_csp() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let survey = create_survey(&app, &nps_survey()).await;
    let console = app.console("admin").await;
    let ws = format!("/console/w/{}", app.workspace_id);
    let mut pages: Vec<(String, bool)> = [
        "/",
        "/console",
        "/console/login",
        "/console/set-password",
        "/api/docs",
        "/unsubscribe/nope",
        "/console/nope",
    ]
    .iter()
    .map(|p| (p.to_string(), false))
    .collect();
    pages.push((format!("/s/{survey}"), false));
    pages.push(("/s/sv_nope".into(), false));
    for p in [
        "",
        "/inbox",
        "/pain-points",
        "/surveys",
        "/surveys/new",
        "/manage",
        "/manage/keys",
        "/manage/members",
        "/manage/sources",
        "/manage/settings",
        "/manage/subscriptions",
        "/manage/categories",
        "/manage/dictionary",
        "/manage/import",
        "/manage/interviews",
        "/inbox/fb_nope",
    ] {
        pages.push((format!("{ws}{p}"), true));
    }
    pages.push((format!("{ws}/surveys/{survey}"), true));
    pages.push((format!("{ws}/surveys/{survey}/preview"), true));
    let period = chrono::Utc::now().format("%G-W%V").to_string();
    pages.push((format!("{ws}/manage/subscriptions/preview/{period}"), true));
    pages.push((format!("/api/v1/digests/{period}?format=html"), false));
    let mut seen = 0;
    for (path, signed_in) in pages {
        let req = if signed_in {
            console.client.get(format!("{}{path}", app.address))
        } else if path.starts_with("/api/v1") {
            app.client.get(app.url(&path)).bearer_auth(&app.api_key)
        } else {
            app.client.get(app.url(&path))
        };
        let res = req.header("accept", "text/html").send().await.unwrap();
        let html = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if !html {
            continue;
        }
        seen += 1;
        let csp = res
            .headers()
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path} ({}) has no CSP", res.status()))
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        let script = csp
            .split(';')
            .find(|d| d.trim_start().starts_with("script-src"))
            .unwrap_or("");
        assert!(
            !script.contains("unsafe-inline") && !script.contains('*'),
            "{path}: {csp}"
        );
        // Survey pages are framed by the sites the survey allows (a missing survey's page
        // too, inside a stale embed); everything else by no one, or the console itself.
        if !path.starts_with("/s/") {
            assert!(csp.contains("frame-ancestors"), "{path}: {csp}");
        }
    }
    assert!(seen >= 20, "only {seen} HTML pages answered");
}

// ---- 3. losing the database ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_postgres_answers_503_and_recovers_without_restart() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, |s| {
        s.db_acquire_timeout = Duration::from_secs(2)
    })
    .await
    else {
        return;
    };
    assert_eq!(app.get("/api/v1/feedback").await.status(), 200);
    let console = app.console("viewer").await;
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let admin = sea_orm::Database::connect(crate::helpers::pg_admin_url())
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    let cut = |allow: bool| {
        let sql = format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}");
        let admin = &admin;
        async move { admin.execute_unprepared(&sql).await.unwrap() }
    };
    cut(false).await;
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    for path in ["/api/v1/feedback", "/api/v1/surveys", "/readyz"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 503, "{path}");
        let retry = res
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        assert!(retry.is_some_and(|r| r.parse::<u64>().is_ok()), "{path}");
        let body = assert_problem(res, 503, "unavailable").await;
        assert!(!body.to_string().contains(&name), "{body}");
    }
    // A console page says so in a page of its own.
    let res = console.get("/inbox").await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.text().await.unwrap().contains("稍后"));
    // A write too.
    let res = app
        .post_json("/api/v1/keys", &json!({"name": "k", "scopes": ["read"]}))
        .await;
    assert_eq!(res.status(), 503);
    cut(true).await;
    // Back without a restart.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = app.get("/api/v1/feedback").await.status();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(std::time::Instant::now() < deadline, "did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.get("/readyz").await.status(), 200);
    let _ = admin.close().await;
}
