//! Why: drivers (what each pain point costs NPS), segments (where a pain point is
//! over-represented) and respondent portraits, on survey responses submitted through the
//! public endpoint like a user's page would, checked against a computation from the plan the
//! test seeded.

use serde_json::{json, Value};

use tingjian::collect::webhook::parse_delivery;

use crate::both_backends;
use crate::helpers::{assert_problem, Backend, TestApp};

both_backends!(portraits);

const PAYMENT: [&str; 4] = [
    "支付失败，钱扣了订单却没成功",
    "微信付款一直失败，提示网络错误",
    "银行卡扣款了但显示未支付，退款也没到账",
    "支付宝付款失败了，钱却被扣了",
];
const SLOW: &str = "加载太慢了，每次都要转半天";
const CRASH: &str = "打开就闪退，重装了也没用";
const PRAISE: &str = "用起来挺顺手的，界面也清爽";

/// One planned response: its NPS, app version and text answers (q2, q3).
struct Planned {
    nps: i16,
    version: &'static str,
    texts: Vec<&'static str>,
}

/// `p` promoters (10), `pa` passives (8), `d` detractors (3).
fn mix(p: usize, pa: usize, d: usize) -> Vec<i16> {
    [vec![10; p], vec![8; pa], vec![3; d]].concat()
}

/// Payment complaints come from detractors (every other one with two payment texts, which
/// must count once); slowness is complained of by a mix like everyone's; crashes come from
/// app version 3.2 above all.
fn plan() -> Vec<Planned> {
    let mut out = Vec::new();
    let old = |k: usize| if k.is_multiple_of(2) { "3.0" } else { "3.1" };
    for k in 0..60 {
        let mut texts = vec![PAYMENT[k % 4]];
        if k.is_multiple_of(2) {
            texts.push(PAYMENT[(k + 1) % 4]);
        }
        out.push(Planned {
            nps: 2,
            version: old(k),
            texts,
        });
    }
    for (k, nps) in mix(25, 10, 25).into_iter().enumerate() {
        out.push(Planned {
            nps,
            version: old(k),
            texts: vec![SLOW],
        });
    }
    for (k, nps) in mix(60, 30, 30).into_iter().enumerate() {
        out.push(Planned {
            nps,
            version: old(k),
            texts: vec![PRAISE],
        });
    }
    for nps in mix(15, 10, 15) {
        out.push(Planned {
            nps,
            version: "3.2",
            texts: vec![CRASH],
        });
    }
    for nps in mix(15, 10, 15) {
        out.push(Planned {
            nps,
            version: "3.2",
            texts: vec![PRAISE],
        });
    }
    for (k, nps) in mix(8, 4, 8).into_iter().enumerate() {
        out.push(Planned {
            nps,
            version: old(k),
            texts: vec![CRASH],
        });
    }
    // Scores without a comment count among all responses.
    for _ in 0..20 {
        out.push(Planned {
            nps: 10,
            version: "3.0",
            texts: vec![],
        });
    }
    out
}

async fn seed(app: &TestApp) -> Vec<Planned> {
    let survey = json!({
        "title": "满意度",
        "questions": [
            {"id": "q1", "type": "nps", "title": "推荐意愿", "required": true},
            {"id": "q2", "type": "text", "title": "原因"},
            {"id": "q3", "type": "text", "title": "还有吗"}
        ]
    });
    let res = app.post_json("/api/v1/surveys", &survey).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let plan = plan();
    for (k, p) in plan.iter().enumerate() {
        let mut answers = json!({"q1": p.nps});
        for (t, q) in p.texts.iter().zip(["q2", "q3"]) {
            answers[q] = json!(t);
        }
        let body = json!({"answers": answers, "response_id": format!("resp-{k:04}"),
            "respondent": {"id": format!("u-{k}"), "attributes": {"app_version": p.version}}});
        let res = app
            .client
            .post(app.url(&format!("/s/{id}/responses")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    plan
}

fn value(nps: i16) -> f64 {
    match nps {
        9..=10 => 100.0,
        7..=8 => 0.0,
        _ => -100.0,
    }
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (
        m,
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

/// The planned responses (by index) whose stored texts carry `pain_point`, read from the
/// feedback list: each response has its own respondent `u-{index}`.
async fn mentioning(app: &TestApp, pain_point: &str) -> std::collections::BTreeSet<usize> {
    app.all_feedback(&format!("pain_point={pain_point}"))
        .await
        .iter()
        .map(|f| f["respondent_id"].as_str().unwrap()[2..].parse().unwrap())
        .collect()
}

/// Impact, low and high of the responses in `with`, from the plan's scores.
fn by_hand(plan: &[Planned], with: &std::collections::BTreeSet<usize>) -> (usize, f64, f64, f64) {
    let all: Vec<f64> = plan.iter().map(|p| value(p.nps)).collect();
    let values = |mentioned: bool| -> Vec<f64> {
        plan.iter()
            .enumerate()
            .filter(|(k, _)| with.contains(k) == mentioned)
            .map(|(_, p)| value(p.nps))
            .collect()
    };
    let (with, without) = (values(true), values(false));
    let (mw, vw) = mean_var(&with);
    let (mo, vo) = mean_var(&without);
    let w = with.len() as f64 / all.len() as f64;
    let impact = mean_var(&all).0 - mo;
    assert!((impact - w * (mw - mo)).abs() < 1e-9);
    let se = w * (vw / with.len() as f64 + vo / without.len() as f64).sqrt();
    (
        with.len(),
        impact,
        impact - 1.959_964 * se,
        impact + 1.959_964 * se,
    )
}

async fn json_of(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn close(got: &Value, want: f64) {
    let got = got.as_f64().unwrap();
    assert!((got - want).abs() <= 0.006, "{got} vs {want}");
}

async fn drivers_and_segments(app: TestApp) {
    let plan = seed(&app).await;
    let today = chrono::Utc::now().date_naive();
    let range = format!(
        "from={}&to={}",
        today - chrono::Duration::days(1),
        today + chrono::Duration::days(2)
    );
    let body = json_of(
        app.get(&format!("/api/v1/insights/drivers?metric=nps&{range}"))
            .await,
    )
    .await;
    assert_eq!(body["metric"], "nps");
    assert_eq!(body["n"], plan.len());
    let items = body["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids[0], "payment", "{body}");

    let pay = &items[0];
    let payers = mentioning(&app, "payment").await;
    let (n, impact, low, high) = by_hand(&plan, &payers);
    assert_eq!(pay["n_with"], n);
    // Each payment response once, though 30 of them have two payment texts.
    assert_eq!(payers, (0..60).collect());
    close(&pay["impact"], impact);
    close(&pay["low"], low);
    close(&pay["high"], high);
    close(&pay["value_with"], -100.0);
    assert_eq!(pay["significant"], true);
    assert!(impact < 0.0 && high < 0.0);
    assert!(pay["url"].as_str().unwrap().contains("pain_point=payment"));

    let slow = items.iter().find(|i| i["id"] == "slow").expect("slow");
    // The evenly spread complaint: the 60 slow responses, a mix like everyone's.
    let slow_ones = mentioning(&app, "slow").await;
    assert_eq!(slow_ones, (60..120).collect());
    let (n, impact, low, high) = by_hand(&plan, &slow_ones);
    assert_eq!(slow["n_with"], n);
    close(&slow["impact"], impact);
    close(&slow["low"], low);
    close(&slow["high"], high);
    assert_eq!(slow["significant"], false);
    // Every listed item has enough responses on both sides.
    assert!(items.iter().all(|i| i["n_with"].as_u64().unwrap() >= 30));

    // Segments by app version: 3.2 reports crashes far more often than the rest.
    let body = json_of(
        app.get(&format!(
            "/api/v1/insights/segments?attr=app_version&metric=nps&{range}"
        ))
        .await,
    )
    .await;
    assert_eq!(body["attr"], "app_version");
    let segs = body["segments"].as_array().unwrap();
    let v32 = segs.iter().find(|s| s["value"] == "3.2").expect("3.2");
    assert_eq!(v32["n"], 80);
    assert_eq!(v32["items"], 80);
    let crash = &v32["over_represented"][0];
    assert_eq!(crash["id"], "crash", "{v32}");
    assert_eq!(crash["significant"], true);
    // By hand from the stored items: crash texts per version against all texts per version.
    let crashed = app.all_feedback("pain_point=crash").await;
    let everything = app.all_feedback("").await;
    let of = |items: &[Value], v32: bool| {
        items
            .iter()
            .filter(|f| (f["attributes"]["app_version"] == "3.2") == v32)
            .count() as f64
    };
    let share = of(&crashed, true) / of(&everything, true);
    let rest_share = of(&crashed, false) / of(&everything, false);
    assert_eq!(of(&everything, true), 80.0);
    close(&crash["share"], share);
    assert!(share >= 0.5, "{share}");
    assert!((crash["lift"].as_f64().unwrap() - share / rest_share).abs() < 0.01);
    // Its NPS is (30 − 30)/80 = 0 with the normal interval of the mean.
    close(&v32["metric"]["value"], 0.0);
    for other in segs.iter().filter(|s| s["value"] != "3.2") {
        assert!(other["over_represented"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["id"] != "crash" || o["significant"] == false));
    }

    // By channel: everything is the survey's, so nothing to compare against.
    let body = json_of(
        app.get(&format!("/api/v1/insights/segments?attr=channel&{range}"))
            .await,
    )
    .await;
    assert_eq!(body["segments"][0]["value"], "survey");
    assert!(body["segments"][0]["metric"].is_null());

    // Other metrics answer on the same shape (no CSAT here: no items).
    let csat = json_of(
        app.get(&format!("/api/v1/insights/drivers?metric=csat&{range}"))
            .await,
    )
    .await;
    assert_eq!(csat["n"], 0);
    assert_eq!(csat["items"], json!([]));
    let sentiment = json_of(
        app.get(&format!(
            "/api/v1/insights/drivers?metric=sentiment&{range}"
        ))
        .await,
    )
    .await;
    assert!(sentiment["n"].as_u64().unwrap() > 0);

    for (path, code) in [
        (
            "/api/v1/insights/drivers?metric=volume",
            "validation_failed",
        ),
        ("/api/v1/insights/drivers?group=x", "validation_failed"),
        ("/api/v1/insights/segments?metric=nps", "validation_failed"),
        ("/api/v1/insights/segments?attr=a%20b", "validation_failed"),
        (
            "/api/v1/insights/segments?attr=plan&from=2026-01-01&to=2025-01-01",
            "validation_failed",
        ),
    ] {
        assert_problem(app.get(path).await, 422, code).await;
    }
}

mod drivers_and_segments {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        if let Some(app) =
            TestApp::spawn_with(Backend::Sqlite, |s| s.survey_rate_per_minute = 100_000).await
        {
            super::drivers_and_segments(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) =
            TestApp::spawn_with(Backend::Postgres, |s| s.survey_rate_per_minute = 100_000).await
        {
            super::drivers_and_segments(app).await;
        }
    }
}

/// Stores webhook-shaped items, analysed by the same pipeline as every ingest path.
async fn ingest(app: &TestApp, items: Vec<Value>) {
    let parsed =
        parse_delivery(&json!({"items": items}), None, "seed", chrono::Utc::now()).unwrap();
    let prepared = app
        .state
        .pipeline
        .prepare(&app.workspace_id, parsed)
        .await
        .unwrap();
    app.state
        .store
        .ingest(&app.workspace_id, &prepared)
        .await
        .unwrap();
}

async fn get_with(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

async fn portraits(app: TestApp) {
    let survey = json!({"title": "满意度", "questions": [
        {"id": "q1", "type": "nps", "title": "推荐意愿", "required": true},
        {"id": "q2", "type": "text", "title": "原因"}]});
    let res = app.post_json("/api/v1/surveys", &survey).await;
    let sid = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post(app.url(&format!("/s/{sid}/responses")))
        .json(
            &json!({"answers": {"q1": 3, "q2": PAYMENT[0]}, "response_id": "resp-u7-0001",
            "respondent": {"id": "u-7", "attributes": {"app_version": "3.1", "plan": "pro"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    ingest(
        &app,
        vec![
            json!({"text": CRASH, "channel": "social", "respondent_id": "u-7",
                "scores": {"nps": 9}, "attributes": {"app_version": "3.0"},
                "occurred_at": "2026-11-01T10:00:00+08:00", "external_id": "old-1"}),
            json!({"text": PRAISE, "channel": "webhook", "respondent_id": "u-8",
                "scores": {"nps": 10}, "occurred_at": "2026-11-02T10:00:00+08:00",
                "external_id": "old-2"}),
        ],
    )
    .await;

    let p = json_of(app.get("/api/v1/respondents/u-7").await).await;
    assert_eq!(p["respondent_id"], "u-7");
    assert_eq!(p["first_seen"], "2026-11-01T02:00:00Z");
    assert_eq!(
        (p["feedback_count"].as_u64(), p["response_count"].as_u64()),
        (Some(2), Some(1))
    );
    let mut channels: Vec<(String, u64)> = p["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["channel"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    channels.sort();
    assert_eq!(
        channels,
        [("social".to_owned(), 1), ("survey".to_owned(), 1)]
    );
    // The newest thing they sent is the survey response.
    assert_eq!(
        p["attributes"],
        json!({"app_version": "3.1", "plan": "pro"})
    );
    let nps: Vec<i64> = p["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["nps"].as_i64().unwrap())
        .collect();
    assert_eq!(nps, [9, 3], "the response's score once, oldest first");
    assert_eq!(p["sentiment"].as_array().unwrap().len(), 2);
    let pains: Vec<&str> = p["pain_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert!(
        pains.contains(&"payment") && pains.contains(&"crash"),
        "{pains:?}"
    );
    assert_eq!(p["pain_points"][0]["count"], 1);
    assert_eq!(p["recent"].as_array().unwrap().len(), 2);
    assert_eq!(p["recent"][0]["channel"], "survey");

    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["respondent_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = json_of(app.get("/api/v1/respondents").await).await;
    assert_eq!(ids(&all), ["u-7", "u-8"]);
    assert_eq!(all["items"][0]["feedback_count"], 2);
    assert_eq!(all["items"][0]["response_count"], 1);
    for (query, want) in [
        ("nps=detractor", vec!["u-7"]),
        ("nps=promoter", vec!["u-8"]),
        ("nps=passive", vec![]),
        ("pain_point=crash", vec!["u-7"]),
        ("attr.plan=pro", vec!["u-7"]),
        ("attr.app_version=3.0", vec!["u-7"]),
        ("channel=webhook", vec!["u-8"]),
        (&format!("source={sid}"), vec!["u-7"]),
        ("last_seen_to=2026-11-03", vec!["u-8"]),
        ("last_seen_from=2026-11-03", vec!["u-7"]),
    ] {
        let body = json_of(app.get(&format!("/api/v1/respondents?{query}")).await).await;
        assert_eq!(ids(&body), want, "{query}");
    }
    // Paging: one at a time, each once.
    let first = json_of(app.get("/api/v1/respondents?limit=1").await).await;
    assert_eq!(ids(&first), ["u-7"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = json_of(
        app.get(&format!("/api/v1/respondents?limit=1&cursor={cursor}"))
            .await,
    )
    .await;
    assert_eq!(ids(&second), ["u-8"]);
    assert!(second["next_cursor"].is_null());
    assert_problem(
        app.get("/api/v1/respondents?cursor=x").await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get("/api/v1/respondents?nps=angry").await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/respondents/nobody").await,
        404,
        "not_found",
    )
    .await;

    // Another workspace's key sees nothing of them.
    let (_, other) = app.other_workspace().await;
    assert_eq!(
        get_with(&app, &other, "/api/v1/respondents/u-7")
            .await
            .status(),
        404
    );
    let body: Value = get_with(&app, &other, "/api/v1/respondents")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["items"], json!([]));
    let body: Value = get_with(&app, &other, "/api/v1/insights/drivers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["n"], 0);

    // Erasing the respondent erases the portrait.
    let res = app.delete("/api/v1/respondents/u-7").await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get("/api/v1/respondents/u-7").await, 404, "not_found").await;
    let all = json_of(app.get("/api/v1/respondents").await).await;
    assert_eq!(ids(&all), ["u-8"]);
}
