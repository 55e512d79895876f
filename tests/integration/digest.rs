//! The weekly digest end to end: eight weeks of seeded feedback, insights that match an
//! independent computation from the raw data, and delivery that arrives exactly once through
//! a real SMTP server that misbehaves, and to group robots that check signatures.

use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{json, Value};
use tingjian::collect::webhook::parse_delivery;

use crate::helpers::{assert_problem, Backend, TestApp};
use crate::robot_server::RobotServer;
use crate::smtp_server::{Fault, SmtpServer};

/// ISO weeks seeded, oldest first; 2026-W47 is Monday 16 to Sunday 22 November.
const WEEKS: [&str; 8] = [
    "2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47",
];

const PAYMENT: [&str; 5] = [
    "支付失败，钱扣了订单却没成功",
    "微信付款一直失败，提示网络错误",
    "银行卡扣款了但显示未支付，退款也没到账",
    "付不了款，点支付就转圈然后失败",
    "支付宝支付失败三次了，太耽误事",
];

/// Monday of week `i` (0 = W40) at 10:00 Shanghai time, plus `day` days.
fn at(i: usize, day: usize) -> String {
    let monday =
        chrono::NaiveDate::from_isoywd_opt(2026, 40 + i as u32, chrono::Weekday::Mon).unwrap();
    format!(
        "{}T10:00:00+08:00",
        monday + chrono::Duration::days(day as i64)
    )
}

/// NPS scores of week `i`: (10 + i) promoters, 5 passives, (10 − i) detractors.
fn nps_counts(i: usize) -> (usize, usize, usize) {
    (10 + i, 5, 10 - i)
}

fn hand_nps(i: usize) -> f64 {
    let (p, pa, d) = nps_counts(i);
    100.0 * (p as f64 - d as f64) / (p + pa + d) as f64
}

/// Seeds eight weeks: NPS answers, praise, a steady crash complaint, and payment failures
/// that jump in the last week. Analysed by the same pipeline as every ingest path.
async fn seed(app: &TestApp) {
    ingest(app, seed_items()).await;
}

/// The items [`seed`] stores.
fn seed_items() -> Vec<Value> {
    let mut items = Vec::new();
    for i in 0..WEEKS.len() {
        let (p, pa, d) = nps_counts(i);
        let scores = std::iter::repeat_n(10, p)
            .chain(std::iter::repeat_n(8, pa))
            .chain(std::iter::repeat_n(3, d));
        for (k, score) in scores.enumerate() {
            items.push(
                json!({"text": "给这个应用打个分", "scores": {"nps": score}, "channel": "survey",
                "occurred_at": at(i, k % 7), "external_id": format!("nps-{i}-{k}")}),
            );
        }
        for k in 0..6 {
            items.push(
                json!({"text": "打开就闪退，重装了也没用", "channel": "social",
                "occurred_at": at(i, k % 7), "external_id": format!("crash-{i}-{k}")}),
            );
        }
        let payments = if i == WEEKS.len() - 1 { 30 } else { 3 };
        for k in 0..payments {
            items.push(
                json!({"text": PAYMENT[k % PAYMENT.len()], "channel": "webhook",
                "occurred_at": at(i, k % 7), "external_id": format!("pay-{i}-{k}")}),
            );
        }
    }
    items
}

/// Stores webhook-shaped items, analysed by the same pipeline as every ingest path.
async fn ingest(app: &TestApp, items: Vec<Value>) {
    ingest_from(app, items, |_| None).await;
}

/// [`ingest`], each item's origin (`survey:sv_…`, `mentions:xiaohongshu`) given by `origin`
/// from its channel, as the survey, mention and import paths would record it.
async fn ingest_from(app: &TestApp, items: Vec<Value>, origin: impl Fn(&str) -> Option<String>) {
    let mut parsed =
        parse_delivery(&json!({"items": items}), None, "seed", chrono::Utc::now()).unwrap();
    for item in &mut parsed {
        if let Some(key) = origin(item.channel.as_str()) {
            item.source_key = key;
        }
    }
    app.store_parsed(parsed).await;
}

async fn json_of(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

async fn insights_match_the_raw_data(app: TestApp) {
    seed(&app).await;
    let trend = json_of(
        app.get("/api/v1/insights/trends?metric=nps&interval=week&from=2026-09-28&to=2026-11-23")
            .await,
    )
    .await;
    let points = trend["series"][0]["points"].as_array().unwrap();
    let periods: Vec<&str> = points
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, WEEKS);
    for (i, p) in points.iter().enumerate() {
        let want = (hand_nps(i) * 10.0).round() / 10.0;
        assert_eq!(p["value"].as_f64().unwrap(), want, "{}", WEEKS[i]);
        assert_eq!(p["n"], 25);
        assert!(p["low"].as_f64().unwrap() < want && want < p["high"].as_f64().unwrap());
    }

    let volume = json_of(
        app.get("/api/v1/insights/trends?metric=volume&interval=week&from=2026-11-09&to=2026-11-23&group_by=channel")
            .await,
    )
    .await;
    let series = volume["series"].as_array().unwrap();
    let webhook = series.iter().find(|s| s["group"] == "webhook").unwrap();
    assert_eq!(webhook["points"][0]["value"], 3.0);
    assert_eq!(webhook["points"][1]["value"], 30.0);

    // Pain points of W47 against W46, checked against the feedback list itself.
    let ranked = json_of(
        app.get("/api/v1/insights/pain-points?from=2026-11-16&to=2026-11-23")
            .await,
    )
    .await;
    let top = &ranked["items"][0];
    assert_eq!(top["id"], "payment", "{ranked}");
    let listed = app
        .all_feedback("pain_point=payment&from=2026-11-16&to=2026-11-23")
        .await
        .len();
    assert!(listed >= 25, "the engine tags payment failures: {listed}");
    assert_eq!(top["count"], listed);
    assert_eq!(top["significant"], true);
    assert!(top["change"].as_f64().unwrap() > 5.0);
    let quotes = top["quotes"].as_array().unwrap();
    assert!((2..=3).contains(&quotes.len()), "{top}");
    let texts: std::collections::HashSet<&str> =
        quotes.iter().map(|q| q["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), quotes.len(), "quotes are not duplicates");
    let crash = ranked["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "crash")
        .unwrap();
    assert_eq!(
        crash["significant"], false,
        "a steady complaint is not a trend: {crash}"
    );
    assert_eq!(crash["new"], false);

    // The digest's headline numbers are the same numbers.
    let preview = json_of(app.get("/api/v1/digests/2026-W47").await).await;
    let headline = preview["digest"]["headline"].as_array().unwrap();
    assert_eq!(headline[0]["metric"], "nps");
    assert_eq!(
        headline[0]["value"].as_f64().unwrap(),
        (hand_nps(7) * 10.0).round() / 10.0
    );
    assert_eq!(
        headline[0]["previous"].as_f64().unwrap(),
        (hand_nps(6) * 10.0).round() / 10.0
    );
    let volume_now = headline[3]["value"].as_f64().unwrap();
    assert_eq!(volume_now, (25 + 6 + 30) as f64);
    assert_eq!(preview["digest"]["pain_points"][0]["id"], "payment");
    let subject = preview["subject"].as_str().unwrap();
    // 25 NPS answers a week are too few for a rate: the subject leads with the sentiment index.
    assert!(
        subject.starts_with("【听见周报】2026年第47周：情感指数 "),
        "{subject}"
    );
    assert_eq!(
        preview["digest"]["charts"][0]["points"]
            .as_array()
            .unwrap()
            .len(),
        10
    );

    // Bad input changes nothing and says what is wrong.
    assert_problem(
        app.get("/api/v1/insights/trends?metric=mood").await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/insights/trends?metric=nps&group_by=attr:a%20b")
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/insights/trends?metric=nps&interval=day&from=2000-01-01")
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/insights/pain-points?from=2026-11-23&to=2026-11-16")
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/digests/2026-W99").await,
        422,
        "validation_failed",
    )
    .await;
    let this_week = tingjian::insight::period::period_key(
        chrono::Utc::now(),
        chrono_tz::Asia::Shanghai,
        tingjian::insight::period::Granularity::Week,
    );
    let p = assert_problem(
        app.post_json(&format!("/api/v1/digests/{this_week}/send"), &json!({}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(p.to_string().contains("not over yet"), "{p}");
}

async fn digest_arrives_once_through_a_faulty_smtp_server(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.smtp_url = Some(url);
        s.retry_base = Duration::from_millis(50);
        s.smtp_timeout = Duration::from_millis(1500);
        s.public_url = Some("https://feedback.example.com".into());
    })
    .await
    else {
        return;
    };
    seed(&app).await;
    let sub = json_of(
        app.post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": "ops@example.com", "alerts": true}),
        )
        .await,
    )
    .await;
    assert_eq!(sub["frequency"], "weekly");
    assert_eq!(sub["timezone"], "Asia/Shanghai");

    // Every kind of trouble once, in turn: a refused greeting, a deferral, a dropped
    // connection after the data, a stall longer than our patience.
    let faults = [
        Fault::RefuseGreeting,
        Fault::TempFailData,
        Fault::DropAfterData,
        Fault::StallGreeting(Duration::from_secs(3)),
    ];
    smtp.fail(faults[0].clone(), 1);
    let res = app
        .post_json("/api/v1/digests/2026-W47/send", &json!({}))
        .await;
    assert_eq!(res.status(), 202);
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["queued"], 1, "{first}");
    assert_eq!(first["deliveries"].as_array().unwrap().len(), 1, "{first}");
    assert_eq!(
        first["deliveries"][0]["status"], "pending",
        "refused greeting: to be retried: {first}"
    );
    let mut sent = false;
    for (i, fault) in faults.iter().enumerate() {
        if i > 0 {
            smtp.fail(fault.clone(), 1);
            tokio::time::sleep(Duration::from_millis(400)).await;
            app.workers.outbox.deliver_pending().await;
        }
        let log = json_of(app.get("/api/v1/digest-deliveries").await).await;
        if log["items"][0]["status"] == "sent" {
            sent = true;
            break;
        }
        assert_eq!(log["items"][0]["status"], "pending", "{fault:?}: {log}");
        assert!(smtp.messages().is_empty(), "{fault:?}");
    }
    if !sent {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            app.workers.outbox.deliver_pending().await;
        }
    }
    let got = smtp.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1, "exactly one digest");
    let log = json_of(app.get("/api/v1/digest-deliveries?status=sent").await).await;
    assert_eq!(log["items"].as_array().unwrap().len(), 1, "{log}");
    assert_eq!(
        log["items"][0]["attempts"], 5,
        "four faults, then success: {log}"
    );

    // Sending the same period again queues nothing and sends nothing.
    let again = json_of(
        app.post_json("/api/v1/digests/2026-W47/send", &json!({}))
            .await,
    )
    .await;
    assert_eq!(again["queued"], 0);
    app.workers.outbox.deliver_pending().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(smtp.messages().len(), 1);

    // The message read back: envelope, headers, both parts, inline charts.
    let received = &got[0];
    assert_eq!(received.rcpt_to, ["ops@example.com"]);
    let msg = MessageParser::default().parse(&received.data).unwrap();
    let subject = msg.subject().unwrap();
    // 25 NPS answers a week are too few for a rate: the subject leads with the sentiment index.
    assert!(
        subject.starts_with("【听见周报】2026年第47周：情感指数 "),
        "{subject}"
    );
    assert!(subject.contains("痛点："), "{subject}");
    let unsubscribe = msg
        .header_raw("List-Unsubscribe")
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(
        msg.header_raw("List-Unsubscribe-Post").unwrap().trim(),
        "List-Unsubscribe=One-Click"
    );
    assert!(
        unsubscribe.starts_with("<https://feedback.example.com/unsubscribe/"),
        "{unsubscribe}"
    );
    let raw = String::from_utf8_lossy(&received.data);
    assert!(raw.contains("multipart/alternative"));
    assert!(raw.contains("multipart/related"));
    let html = msg.body_html(0).unwrap();
    let text = msg.body_text(0).unwrap();
    assert!(html.contains("cid:nps-trend@tingjian"));
    assert!(html.contains("支付"), "the top pain point is in the digest");
    assert!(!html.contains("<script"));
    assert!(text.contains("支付") && !text.contains("<table"));
    let pngs: Vec<_> = msg
        .attachments()
        .filter(|a| {
            a.content_type()
                .is_some_and(|c| c.ctype() == "image" && c.subtype() == Some("png"))
        })
        .collect();
    assert!(
        pngs.len() >= 3,
        "charts for NPS, sentiment and volume: {}",
        pngs.len()
    );
    for png in &pngs {
        assert!(png.contents().starts_with(b"\x89PNG\r\n\x1a\n"));
        let cid = png.content_id().unwrap();
        assert!(html.contains(&format!("cid:{cid}")), "{cid}");
    }

    // One-click unsubscribe: GET only shows a page, POST ends the subscription.
    let link = unsubscribe
        .trim_matches(['<', '>'])
        .replace("https://feedback.example.com", &app.address);
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(html.contains("<form method=\"post\""), "{html}");
    assert!(
        html.contains("ops@example.com"),
        "names the address: {html}"
    );
    assert_eq!(
        json_of(app.get("/api/v1/digest-subscriptions").await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let res = app
        .client
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "no redirect");
    let html = res.text().await.unwrap();
    assert!(html.contains("已退订"), "{html}");
    assert_eq!(
        json_of(app.get("/api/v1/digest-subscriptions").await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let again = json_of(
        app.post_json("/api/v1/digests/2026-W46/send", &json!({}))
            .await,
    )
    .await;
    assert_eq!(again["queued"], 0, "an ended subscription gets nothing");
    // The page of an ended subscription says so; an unknown token is a page too.
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("已退订"));
    let bogus = app
        .client
        .post(app.url("/unsubscribe/not-a-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(bogus.status(), 404);
    assert!(bogus.text().await.unwrap().contains("链接无效"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_arrives_once_sqlite() {
    digest_arrives_once_through_a_faulty_smtp_server(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_arrives_once_postgres() {
    digest_arrives_once_through_a_faulty_smtp_server(Backend::Postgres).await;
}

async fn robots_and_failures(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.smtp_url = Some(url);
        s.retry_base = Duration::from_millis(50);
    })
    .await
    else {
        return;
    };
    seed(&app).await;
    let robots = RobotServer::start().await;
    let mentions = |kind: &str| match kind {
        "wecom" => json!(["13800138000", "all"]),
        "dingtalk" => json!(["+86 139-0013-9000", "13800138000", "13800138000"]),
        _ => json!(["ou_7d8a6e6df7621556ce0d21922b676706"]),
    };
    for kind in ["wecom", "dingtalk", "feishu"] {
        let mut robot = json!({"kind": kind, "webhook_url": robots.webhook_url(kind), "mentions": mentions(kind)});
        if let Some(secret) = robots.secret(kind) {
            robot["secret"] = json!(secret);
        }
        let sub = json_of(
            app.post_json("/api/v1/digest-subscriptions", &json!({"robot": robot}))
                .await,
        )
        .await;
        let shown = sub["robot"]["webhook_url"].as_str().unwrap();
        assert!(
            shown.ends_with('…') && shown != robots.webhook_url(kind),
            "the token is not shown: {sub}"
        );
        assert!(sub.get("secret").is_none() && sub["robot"].get("secret").is_none());
        let stored = &sub["robot"]["mentions"];
        match kind {
            "dingtalk" => assert_eq!(*stored, json!(["13900139000", "13800138000"]), "{sub}"),
            _ => assert_eq!(*stored, mentions(kind), "{sub}"),
        }
    }
    // A recipient the server refuses for good.
    json_of(
        app.post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": "gone@example.com"}),
        )
        .await,
    )
    .await;
    smtp.set_fault(Fault::RejectRecipient);
    robots.fail_next("dingtalk", 1);

    let sent = json_of(
        app.post_json("/api/v1/digests/2026-W47/send", &json!({}))
            .await,
    )
    .await;
    assert_eq!(sent["queued"], 4, "three robots and one address: {sent}");
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        app.workers.outbox.deliver_pending().await;
    }
    // WeCom's markdown cannot @ by mobile number: its @ is a text message of its own.
    let got = robots.wait_for(4, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 4, "rejected: {:?}", robots.rejected());
    assert!(robots.rejected().is_empty(), "{:?}", robots.rejected());
    let digests: Vec<_> = got.iter().filter(|m| m.text.contains("支付")).collect();
    let mut kinds: Vec<&str> = digests.iter().map(|m| m.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(kinds, ["dingtalk", "feishu", "wecom"]);
    let mentioned = |kind: &str| -> Vec<Vec<String>> {
        got.iter()
            .filter(|m| m.kind == kind)
            .map(|m| m.mentions.clone())
            .collect()
    };
    assert_eq!(mentioned("dingtalk"), [["13900139000", "13800138000"]]);
    assert_eq!(
        mentioned("feishu"),
        [["ou_7d8a6e6df7621556ce0d21922b676706"]]
    );
    assert_eq!(
        mentioned("wecom"),
        [vec![], vec!["13800138000".to_owned(), "all".to_owned()]],
        "the digest, then the @ message"
    );

    let failed = json_of(app.get("/api/v1/digest-deliveries?status=failed").await).await;
    let failed = failed["items"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["last_error"].as_str().unwrap().contains("550"));
    assert_eq!(
        failed[0]["attempts"], 1,
        "a permanent refusal is not retried"
    );
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tingjian_outbox_deliveries{status=\"failed\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains(
        "tingjian_deliveries_total{channel=\"dingtalk\",kind=\"digest\",outcome=\"retry\"} 1"
    ));

    // Subscriptions refuse what cannot work, and a duplicate.
    for (body, field) in [
        (json!({}), "/email"),
        (json!({"email": "not-an-address"}), "/email"),
        (
            json!({"email": "a@example.com", "frequency": "hourly"}),
            "/frequency",
        ),
        (json!({"email": "a@example.com", "hour": 24}), "/hour"),
        (json!({"email": "a@example.com", "weekday": 0}), "/weekday"),
        (
            json!({"email": "a@example.com", "timezone": "Mars/Base"}),
            "/timezone",
        ),
        (
            json!({"robot": {"kind": "wecom", "webhook_url": "ftp://x"}}),
            "/robot/webhook_url",
        ),
        (
            json!({"robot": {"kind": "wecom", "webhook_url": "http://example.com/hook"}}),
            "/robot/webhook_url",
        ),
        (
            json!({"robot": {"kind": "dingtalk", "webhook_url": robots.webhook_url("dingtalk"), "mentions": ["12345"]}}),
            "/robot/mentions",
        ),
        (
            json!({"robot": {"kind": "feishu", "webhook_url": robots.webhook_url("feishu"), "mentions": ["13800138000"]}}),
            "/robot/mentions",
        ),
    ] {
        let p = assert_problem(
            app.post_json("/api/v1/digest-subscriptions", &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(p.to_string().contains(field), "{body}: {p}");
    }
    assert_problem(
        app.post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": "gone@example.com"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    assert_problem(
        app.post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": "Gone@Example.com"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    // Another workspace sees none of it.
    let (_, other_key) = app.other_workspace().await;
    let res = app
        .client
        .get(app.url("/api/v1/digest-subscriptions"))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let id = json_of(app.get("/api/v1/digest-subscriptions").await).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/digest-subscriptions/{id}")))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        app.delete(&format!("/api/v1/digest-subscriptions/{id}"))
            .await
            .status(),
        204
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_and_failures_sqlite() {
    robots_and_failures(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_and_failures_postgres() {
    robots_and_failures(Backend::Postgres).await;
}

/// Payment complaints pour in over the last hours: one alert per subscription with alerts
/// on, once a day however often the check runs; and the weekly scheduler queues each
/// subscription's digest once.
async fn spikes_alert_once_and_the_scheduler_queues_once(app: TestApp) {
    let now = chrono::Utc::now();
    let mut items = Vec::new();
    for k in 0..12 {
        items.push(
            json!({"text": PAYMENT[k % PAYMENT.len()], "external_id": format!("spike-{k}"),
            "occurred_at": (now - chrono::Duration::minutes(10 + k as i64)).to_rfc3339()}),
        );
    }
    ingest(&app, items).await;
    json_of(
        app.post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": "oncall@example.com", "alerts": true}),
        )
        .await,
    )
    .await;
    json_of(
        app.post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": "quiet@example.com"}),
        )
        .await,
    )
    .await;

    let spikes = app
        .workers
        .alerts
        .find_spikes(&app.workspace_id, now)
        .await
        .unwrap();
    assert!(
        spikes.iter().any(|s| s.key == "pain_point:payment"),
        "{spikes:?}"
    );
    let queued = app.workers.alerts.check_spikes(now).await.unwrap();
    assert!(queued >= 1);
    assert_eq!(
        app.workers.alerts.check_spikes(now).await.unwrap(),
        0,
        "once a day"
    );
    app.workers.outbox.deliver_pending().await;
    let sent = json_of(app.get("/api/v1/digest-deliveries?status=sent").await).await;
    let alerts: Vec<&Value> = sent["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "alert")
        .collect();
    assert_eq!(alerts.len(), queued);
    assert!(alerts.iter().any(|d| d["period"]
        .as_str()
        .unwrap()
        .starts_with("pain_point:payment@")));
    // Without SMTP the mail went to DATA_DIR/mail as .eml files: one per alert, every one of
    // them to the subscription with alerts on (read in name order, each one checked).
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(app.data_dir.join("mail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), queued, "{files:?}");
    let mut subjects = Vec::new();
    for path in &files {
        let eml = std::fs::read(path).unwrap();
        let msg = MessageParser::default().parse(&eml).unwrap();
        let subject = msg.subject().unwrap().to_owned();
        assert!(subject.starts_with("【听见预警】"), "{path:?}: {subject}");
        let to: Vec<&str> = msg
            .to()
            .unwrap()
            .iter()
            .map(|a| a.address().unwrap())
            .collect();
        assert_eq!(to, ["oncall@example.com"], "{path:?}: {subject}");
        assert!(
            msg.body_text(0).unwrap().contains("/unsubscribe/"),
            "alerts carry the link too: {path:?}"
        );
        subjects.push(subject);
    }
    assert!(
        subjects.iter().any(|s| s.contains("支付问题")),
        "{subjects:?}"
    );

    // A week on, both subscriptions are due their weekly digest: queued once each.
    let later = now + chrono::Duration::days(8);
    assert_eq!(app.workers.outbox.schedule_due(later).await.unwrap(), 2);
    assert_eq!(app.workers.outbox.schedule_due(later).await.unwrap(), 0);
}

/// A survey response counts once in NPS and CSAT however many text answers it has (each
/// becomes a feedback item carrying the response's scores), and a response with no text
/// counts too.
async fn survey_scores_count_once_per_response(app: TestApp) {
    let id = crate::surveys::create_survey(&app, &crate::surveys::nps_survey()).await;
    let answers = [
        json!({"q1": 3, "q2": "支付老是失败", "q4": 2, "q5": "客服也不回"}),
        json!({"q1": 10, "q4": 5, "q5": "很好用"}),
        json!({"q1": 9}),
        json!({"q1": 7, "q4": 4}),
    ];
    // Today in the workspace's zone, with the responses and the questions below inside it:
    // within a minute of its midnight, wait for the next day, so that one day holds them all.
    let today = {
        let local = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
        let midnight = local
            .date_naive()
            .succ_opt()
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let left = midnight - local.naive_local();
        if left < chrono::Duration::seconds(60) {
            tokio::time::sleep((left + chrono::Duration::seconds(1)).to_std().unwrap()).await;
        }
        chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
    };
    for a in answers {
        let res = app
            .client
            .post(app.url(&format!("/s/{id}/responses")))
            .json(&json!({"answers": a}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    // From today's midnight to now: the day the responses were received, whatever today is.
    let day = |query: &str| {
        let path = format!("/api/v1/insights/trends?interval=day&from={today}&{query}");
        let app = &app;
        async move {
            let trend = json_of(app.get(&path).await).await;
            let series = trend["series"].as_array().unwrap().clone();
            for s in &series {
                let points = s["points"].as_array().unwrap();
                assert_eq!(points.len(), 1, "one day: {trend}");
                assert_eq!(points[0]["period"], today.to_string(), "{trend}");
            }
            series
        }
    };
    let nps = day("metric=nps").await;
    let point = &nps[0]["points"][0];
    // Two promoters, one passive, one detractor: (2 − 1) / 4 = 25 points.
    assert_eq!(point["n"], 4, "{point}");
    assert_eq!(point["value"], 25.0);
    let csat = day("metric=csat").await;
    let point = &csat[0]["points"][0];
    assert_eq!(point["n"], 3, "{point}");
    assert_eq!(point["value"], 66.7);
    let by_source = day("metric=nps&group_by=source").await;
    let survey = by_source
        .iter()
        .find(|s| s["group"] == id.as_str())
        .expect("the survey's series");
    assert_eq!(survey["points"][0]["n"], 4);
    assert_eq!(
        by_source.len(),
        1,
        "only the survey has scores: {by_source:?}"
    );
    let volume = day("metric=volume").await;
    assert_eq!(
        volume[0]["points"][0]["value"], 3.0,
        "three text answers are three feedback items"
    );
}

/// `tingjian digest preview` and `digest send` against the service's database: the preview
/// writes the digest, and sending twice mails once.
async fn digest_from_the_command_line(app: TestApp) {
    use crate::helpers::{run_ok, tingjian};
    seed(&app).await;
    let smtp = SmtpServer::start().await;
    json_of(
        app.post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": "cli@example.com"}),
        )
        .await,
    )
    .await;
    let mut cmd = tingjian(&app);
    cmd.args([
        "digest",
        "preview",
        "--workspace",
        &app.workspace_id,
        "--period",
        "2026-W47",
        "--format",
        "markdown",
    ]);
    let out = String::from_utf8(run_ok(cmd).await.stdout).unwrap();
    assert!(
        out.contains("2026年第47周") && out.contains("支付"),
        "{out}"
    );
    let mut cmd = tingjian(&app);
    cmd.args([
        "digest",
        "preview",
        "--workspace",
        &app.workspace_id,
        "--period",
        "2026-W47",
        "--format",
        "json",
    ]);
    let preview: Value = serde_json::from_slice(&run_ok(cmd).await.stdout).unwrap();
    assert_eq!(preview["digest"]["pain_points"][0]["id"], "payment");
    for expected in [1, 0] {
        let mut cmd = tingjian(&app);
        cmd.args([
            "digest",
            "send",
            "--workspace",
            &app.workspace_id,
            "--period",
            "2026-W47",
        ])
        .env("TINGJIAN_SMTP_URL", smtp.url());
        let sent: Value = serde_json::from_slice(&run_ok(cmd).await.stdout).unwrap();
        assert_eq!(sent["queued"], expected, "{sent}");
        assert_eq!(sent["deliveries"][0]["status"], "sent", "{sent}");
    }
    assert_eq!(
        smtp.messages().len(),
        1,
        "sent once however often the command runs"
    );
    assert_eq!(smtp.messages()[0].rcpt_to, ["cli@example.com"]);
}

/// "Send now" for one workspace sends that workspace's deliveries and leaves another's to
/// the outbox's own round.
async fn send_now_sends_only_its_own_workspace(app: TestApp) {
    let (other_ws, other_key) = app.other_workspace().await;
    json_of(
        app.post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": "a@example.com"}),
        )
        .await,
    )
    .await;
    let res = app
        .client
        .post(app.url("/api/v1/digest-subscriptions"))
        .bearer_auth(&other_key)
        .json(&json!({"email": "b@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["email"], "b@example.com");
    let theirs = app.state.store.subscriptions(&other_ws).await.unwrap();
    assert!(app
        .state
        .store
        .enqueue_delivery(&theirs[0], "digest", "2026-W46", None)
        .await
        .unwrap());
    let sent = json_of(
        app.post_json("/api/v1/digests/2026-W47/send", &json!({}))
            .await,
    )
    .await;
    assert_eq!(sent["deliveries"][0]["status"], "sent", "{sent}");
    let pending = app
        .state
        .store
        .deliveries(
            &other_ws,
            Some(tingjian::domain::DeliveryStatus::Pending),
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        pending.len(),
        1,
        "the other workspace's delivery waits for the outbox"
    );
    assert_eq!(app.workers.outbox.deliver_pending().await, 1);
    let sent = app
        .state
        .store
        .deliveries(&other_ws, Some(tingjian::domain::DeliveryStatus::Sent), 10)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
}

/// Channel codes, which people must never read in a digest.
const CHANNEL_CODES: [&str; 6] = [
    "survey",
    "webhook",
    "interview",
    "social",
    "import",
    "review",
];

/// A digest read back from a mail: its subject, plain-text part and HTML part, and the
/// content ids of its PNG charts.
struct ReadBack {
    subject: String,
    text: String,
    html: String,
    charts: Vec<String>,
}

fn read_back(raw: &[u8]) -> ReadBack {
    let msg = MessageParser::default().parse(raw).unwrap();
    let charts = msg
        .attachments()
        .filter(|a| {
            a.content_type()
                .is_some_and(|c| c.ctype() == "image" && c.subtype() == Some("png"))
        })
        .map(|a| {
            assert!(a.contents().starts_with(b"\x89PNG\r\n\x1a\n"));
            a.content_id().unwrap().to_owned()
        })
        .collect();
    ReadBack {
        subject: msg.subject().unwrap().to_owned(),
        text: msg.body_text(0).unwrap().into_owned(),
        html: msg.body_html(0).unwrap().into_owned(),
        charts,
    }
}

/// What a reader sees of `text`: every word but links.
fn words(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| !w.contains("http://") && !w.contains("https://"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rules every digest mail keeps, whatever its period: Chinese names only, each quote
/// once, the arrow note only with an arrow, one meaning of new, a chart per PNG with at least
/// two points.
fn assert_reads_right(mail: &ReadBack, digest: &Value) {
    let (text, seen) = (&mail.text, words(&mail.text));
    for code in CHANNEL_CODES {
        assert!(
            !seen
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == code),
            "channel code {code} in: {text}"
        );
    }
    let quotes: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('“') && l.contains("——"))
        .collect();
    assert!(!quotes.is_empty(), "{text}");
    let mut unique = quotes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), quotes.len(), "each quote once: {quotes:#?}");
    let arrows = text.contains('↑') || text.contains('↓');
    assert_eq!(
        arrows,
        text.contains("只有带箭头的变化在统计上显著"),
        "the arrow note with an arrow only: {text}"
    );
    let marked_new = text
        .lines()
        .any(|l| l.trim_end().ends_with("· 新") || l.contains("· 新（"));
    assert_eq!(
        marked_new,
        !digest["new_complaints"].as_array().unwrap().is_empty(),
        "{text}"
    );
    assert_eq!(marked_new, !text.contains("没有新的痛点"), "{text}");
    // Every chart drawn is in the digest with two points or more, and no other is.
    let drawn: Vec<&str> = digest["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let values = c["points"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| !p["value"].is_null())
                .count();
            assert!(values >= 2, "a chart of one point: {c}");
            c["cid"].as_str().unwrap()
        })
        .collect();
    let mut attached: Vec<&str> = mail.charts.iter().map(String::as_str).collect();
    attached.sort();
    let mut expected = drawn.clone();
    expected.sort();
    assert_eq!(attached, expected);
    for cid in &drawn {
        assert!(mail.html.contains(&format!("cid:{cid}")), "{cid}");
    }
}

/// A daily and a weekly digest over eight seeded weeks, mailed through a real SMTP server to a
/// daily and a weekly subscriber and read back: the period's own charts, a rate from too few
/// answers shown as a count, Chinese names for channels and sources, each quote once.
async fn daily_and_weekly_digests_read_back(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.smtp_url = Some(url);
        s.public_url = Some("https://feedback.example.com".into());
    })
    .await
    else {
        return;
    };
    let survey = json_of(
        app.post_json(
            "/api/v1/surveys",
            &json!({"title": "十一月满意度调查", "questions": [{"id": "q1", "type": "nps", "title": "您愿意推荐吗？"}]}),
        )
        .await,
    )
    .await;
    let survey_key = format!("survey:{}", survey["id"].as_str().unwrap());
    let mut items = seed_items();
    // The same complaint, about paying and about the app closing, under both pain points.
    for k in 0..6 {
        items.push(
            json!({"text": "支付的时候应用闪退，钱扣了订单却没成功", "channel": "social",
            "occurred_at": at(7, 2), "external_id": format!("both-{k}")}),
        );
    }
    for k in 0..4 {
        items.push(
            json!({"text": "导入的旧反馈：退款到账太慢了", "channel": "import",
            "occurred_at": at(7, 2), "external_id": format!("import-{k}")}),
        );
    }
    ingest_from(&app, items, |channel| match channel {
        "survey" => Some(survey_key.clone()),
        "social" => Some("mentions:xiaohongshu".into()),
        "import" => Some("import:csv".into()),
        _ => None,
    })
    .await;
    for (email, frequency) in [("week@example.com", "weekly"), ("day@example.com", "daily")] {
        json_of(
            app.post_json(
                "/api/v1/digest-subscriptions",
                &json!({"email": email, "frequency": frequency}),
            )
            .await,
        )
        .await;
    }

    // Wednesday 18 November, a day of week 47.
    for (period, cadence, points, last) in [
        ("2026-11-18", "日报", 14, "2026-11-18"),
        ("2026-W47", "周报", 10, "2026-W47"),
    ] {
        let before = smtp.messages().len();
        let sent = json_of(
            app.post_json(&format!("/api/v1/digests/{period}/send"), &json!({}))
                .await,
        )
        .await;
        assert_eq!(sent["queued"], 2, "{sent}");
        let got = smtp.wait_for(before + 2, Duration::from_secs(10)).await;
        assert_eq!(got.len(), before + 2);
        if let Ok(dir) = std::env::var("DIGEST_MAIL_DIR") {
            let res = app
                .get(&format!("/api/v1/digests/{period}?format=markdown"))
                .await;
            std::fs::write(format!("{dir}/{period}.md"), res.text().await.unwrap()).unwrap();
        }
        let digest = json_of(app.get(&format!("/api/v1/digests/{period}")).await).await;
        let digest = &digest["digest"];
        for chart in digest["charts"].as_array().unwrap() {
            let keys: Vec<&str> = chart["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["period"].as_str().unwrap())
                .collect();
            assert_eq!(keys.len(), points, "{period}: {chart}");
            assert_eq!(
                *keys.last().unwrap(),
                last,
                "charts stop at the period's end"
            );
            let span = if cadence == "日报" {
                "近14天"
            } else {
                "近10周"
            };
            assert!(chart["title"].as_str().unwrap().contains(span), "{chart}");
        }
        assert!(
            digest["charts"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["metric"] != "csat"),
            "no CSAT answers, no CSAT chart"
        );
        let nps = &digest["headline"][0];
        assert!(nps["n"].as_u64().unwrap() < 30, "{nps}");
        for m in &got[before..] {
            // DIGEST_MAIL_DIR=dir keeps the mails for eyes (and a browser).
            if let Ok(dir) = std::env::var("DIGEST_MAIL_DIR") {
                let name = format!("{dir}/{period}-{}.eml", m.rcpt_to[0]);
                std::fs::write(name, &m.data).unwrap();
            }
            let mail = read_back(&m.data);
            assert!(
                mail.subject.starts_with(&format!("【听见{cadence}】")),
                "{}",
                mail.subject
            );
            assert!(
                !mail.subject.contains("NPS"),
                "no rate from too few: {}",
                mail.subject
            );
            assert_reads_right(&mail, digest);
            let text = &mail.text;
            assert!(
                text.contains(&format!(
                    "NPS：样本少（仅 {} 份评分，不足 30 不计算比率）",
                    nps["n"]
                )),
                "{text}"
            );
            assert!(text.contains("社交媒体："), "{text}");
            if cadence == "日报" {
                assert!(
                    text.contains("NPS 近14天：每期样本不足 30，不作比较"),
                    "a chart's summary compares no rates from a handful: {text}"
                );
            }
            // A channel's rate from a handful: its count only (a day has 4 NPS answers).
            assert!(!text.contains("· NPS "), "{text}");
            assert!(text.contains("—— 小红书"), "{text}");
            let weekly_reader = m.rcpt_to == ["week@example.com"];
            let note = match (weekly_reader, cadence) {
                (true, "周报") | (false, "日报") => format!(
                    "是因为订阅了「{}」的听见{cadence}",
                    digest["workspace_name"].as_str().unwrap()
                ),
                (true, _) => {
                    "您订阅的是".to_owned()
                        + "「"
                        + digest["workspace_name"].as_str().unwrap()
                        + "」的听见周报"
                }
                (false, _) => {
                    "您订阅的是".to_owned()
                        + "「"
                        + digest["workspace_name"].as_str().unwrap()
                        + "」的听见日报"
                }
            };
            assert!(text.contains(&note), "{note}: {text}");
            assert!(
                text.contains("https://feedback.example.com/unsubscribe/"),
                "{text}"
            );
        }
    }

    // The unsubscribe page names what was subscribed to, with a styled button.
    let mail = read_back(&smtp.messages().last().unwrap().data);
    let link = mail
        .text
        .lines()
        .find_map(|l| l.strip_prefix("退订："))
        .unwrap()
        .replace("https://feedback.example.com", &app.address);
    let page = app
        .client
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    if let Ok(dir) = std::env::var("DIGEST_MAIL_DIR") {
        std::fs::write(format!("{dir}/unsubscribe.html"), &page).unwrap();
    }
    let reader = smtp.messages().last().unwrap().rcpt_to[0].clone();
    let report = if reader == "day@example.com" {
        "听见日报"
    } else {
        "听见周报"
    };
    assert!(
        page.contains(&format!("<title>退订{report}</title>")),
        "{page}"
    );
    assert!(
        page.contains("<style>") && page.contains("button{"),
        "{page}"
    );
    assert!(!page.contains('你'), "{page}");

    // The browser preview embeds its charts.
    let html = app
        .get("/api/v1/digests/2026-W47?format=html")
        .await
        .text()
        .await
        .unwrap();
    if let Ok(dir) = std::env::var("DIGEST_MAIL_DIR") {
        std::fs::write(format!("{dir}/preview.html"), &html).unwrap();
    }
    assert!(
        !html.contains("cid:"),
        "no image only a mail client resolves"
    );
    assert!(
        html.contains("src=\"data:image/png;base64,iVBORw0KGgo"),
        "charts embedded"
    );

    // The command line links where `serve --public-url` said the service is, without a flag.
    let mut cmd = crate::helpers::tingjian(&app);
    cmd.args([
        "digest",
        "preview",
        "--workspace",
        &app.workspace_id,
        "--period",
        "2026-11-18",
    ])
    .env_remove("TINGJIAN_PUBLIC_URL");
    let out = String::from_utf8(crate::helpers::run_ok(cmd).await.stdout).unwrap();
    assert!(
        out.contains("https://feedback.example.com/console/w/"),
        "{out}"
    );
    assert!(!out.contains("127.0.0.1"), "{out}");
    let mut cmd = crate::helpers::tingjian(&app);
    cmd.args([
        "digest",
        "preview",
        "--workspace",
        &app.workspace_id,
        "--period",
        "2026-W47",
        "--format",
        "html",
    ]);
    let out = String::from_utf8(crate::helpers::run_ok(cmd).await.stdout).unwrap();
    assert!(
        !out.contains("cid:") && out.contains("src=\"data:image/png;base64,"),
        "the command's HTML opens in a browser with its charts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_and_weekly_digests_read_back_sqlite() {
    daily_and_weekly_digests_read_back(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_and_weekly_digests_read_back_postgres() {
    daily_and_weekly_digests_read_back(Backend::Postgres).await;
}

crate::both_backends!(
    send_now_sends_only_its_own_workspace,
    digest_from_the_command_line,
    survey_scores_count_once_per_response,
    insights_match_the_raw_data,
    spikes_alert_once_and_the_scheduler_queues_once
);
