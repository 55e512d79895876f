//! Why: drivers (what each pain point costs NPS), segments (where a pain point is
//! over-represented) and respondent portraits, on survey responses submitted through the
//! public endpoint like a user's page would, checked against a computation from the plan the
//! test seeded.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, Backend, TestApp};

both_backends!(
    portraits,
    quiet_digest_has_no_why,
    segment_alert_fires_once_for_a_jump
);

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
    seed_plan(app, plan()).await
}

/// Submits `plan` to a new NPS survey, each response with its own respondent `u-{index}`.
async fn seed_plan(app: &TestApp, plan: Vec<Planned>) -> Vec<Planned> {
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
    app.store_items(items, "seed", chrono::Utc::now()).await;
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

/// The digest's plan: payment complaints from detractors, one text each and as many from
/// version 3.0 as from 3.1; slowness from a mix like everyone's; crashes from 3.2 above all.
fn digest_plan() -> Vec<Planned> {
    let mut out = Vec::new();
    let old = |k: usize| if k.is_multiple_of(2) { "3.0" } else { "3.1" };
    let mut add = |scores: Vec<i16>, version: Option<&'static str>, text: &'static str| {
        for (k, nps) in scores.into_iter().enumerate() {
            out.push(Planned {
                nps,
                version: version.unwrap_or(old(k)),
                texts: vec![text],
            });
        }
    };
    add(vec![2; 60], None, PAYMENT[0]);
    add(mix(25, 10, 25), None, SLOW);
    add(mix(60, 30, 30), None, PRAISE);
    add(mix(15, 10, 15), Some("3.2"), CRASH);
    add(mix(15, 10, 15), Some("3.2"), PRAISE);
    add(mix(8, 4, 8), None, CRASH);
    out
}

/// Today's daily digest as JSON and as text, and its range as the API's query.
async fn todays_digest(app: &TestApp) -> (Value, String, String) {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string();
    let body = json_of(app.get(&format!("/api/v1/digests/{today}")).await).await;
    let digest = body["digest"].clone();
    let res = app
        .get(&format!("/api/v1/digests/{today}?format=text"))
        .await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let range = serde_urlencoded::to_string([
        ("from", digest["from"].as_str().unwrap()),
        ("to", digest["to"].as_str().unwrap()),
    ])
    .unwrap();
    (digest, text, range)
}

/// The feedback a console link lists, asked of the API with the link's own filters.
async fn feedback_behind(app: &TestApp, link: &str) -> Vec<Value> {
    let query = link.split_once('?').unwrap().1;
    assert!(
        link.contains(&format!("/console/w/{}/inbox?", app.workspace_id)),
        "{link}"
    );
    app.all_feedback(query).await
}

async fn why_in_the_digest(app: TestApp) {
    let plan = seed_plan(&app, digest_plan()).await;
    let (digest, text, range) = todays_digest(&app).await;
    println!("{text}");

    // 什么在拉低满意度: the API's significant drivers that pull NPS down, in its order.
    let api = json_of(
        app.get(&format!("/api/v1/insights/drivers?metric=nps&{range}"))
            .await,
    )
    .await;
    let want: Vec<&Value> = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["significant"] == true && i["high"].as_f64().unwrap() < 0.0)
        .take(3)
        .collect();
    let drivers = &digest["drivers"];
    assert_eq!(drivers["metric"], "nps");
    assert_eq!(drivers["n"], plan.len());
    let got = drivers["items"].as_array().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        for field in [
            "id",
            "n_with",
            "impact",
            "low",
            "high",
            "value_with",
            "value_without",
        ] {
            assert_eq!(g[field], w[field], "{field}");
        }
    }
    let pay = &got[0];
    assert_eq!(pay["id"], "payment", "{drivers}");
    // The sentence: the gap between those who mention it and the rest, with the interval
    // of the impact divided by their share of all responses.
    let payers = mentioning(&app, "payment").await;
    assert_eq!(payers, (0..60).collect());
    let (n, impact, low, high) = by_hand(&plan, &payers);
    let w = n as f64 / plan.len() as f64;
    let others: Vec<f64> = plan[60..].iter().map(|p| value(p.nps)).collect();
    let gap = mean_var(&others).0 + 100.0;
    assert!((gap - impact / -w).abs() < 1e-9);
    let name = pay["name"].as_str().unwrap();
    let sentence = format!(
        "1. 提到「{name}」的 {n} 位受访者，NPS 比其余受访者低 {:.0} 分（95% 区间 {:.0} 到 {:.0} 分），把整体 NPS 拉低约 {:.0} 分。",
        gap,
        -high / w,
        -low / w,
        -impact
    );
    assert!(text.contains(&sentence), "{sentence}\n{text}");
    assert!(text.contains(&format!(
        "【什么在拉低满意度】\n按当天 {} 份 NPS 评分计算；只列出在统计上显著的痛点。",
        plan.len()
    )));
    let url = pay["url"].as_str().unwrap();
    assert!(text.contains(&format!("   查看：{url}")));
    let listed = feedback_behind(&app, url).await;
    assert_eq!(listed.len(), 60, "one payment text per payment response");

    // 值得关注的人群: 3.2 reports crashes far more than everyone else: 40 of its 80 items
    // against 20 of the other 260.
    let segs = digest["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 1, "{segs:?}");
    let crash = &segs[0];
    assert_eq!(
        (&crash["attr"], &crash["value"], &crash["id"]),
        (&json!("app_version"), &json!("3.2"), &json!("crash"))
    );
    assert_eq!(
        (crash["items"].as_u64(), crash["count"].as_u64()),
        (Some(80), Some(40))
    );
    // The same share and lift as the segments endpoint's.
    let api = json_of(
        app.get(&format!(
            "/api/v1/insights/segments?attr=app_version&{range}"
        ))
        .await,
    )
    .await;
    let v32 = api["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["value"] == "3.2")
        .unwrap();
    let lifted = v32["over_represented"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "crash")
        .unwrap();
    assert_eq!(lifted["significant"], true);
    for field in ["share", "rest_share", "lift"] {
        assert_eq!(crash[field], lifted[field], "{field}");
    }
    let lift = (40.0 / 80.0) / (20.0 / 260.0);
    assert!((crash["lift"].as_f64().unwrap() - lift).abs() < 1e-3);
    let crash_name = crash["name"].as_str().unwrap();
    let sentence = format!(
        "1. 版本为 3.2 的用户反馈中，提到「{crash_name}」的比例是其他用户的 {lift:.1} 倍：80 条中有 40 条（50%），其他用户为 8%。"
    );
    assert!(text.contains("【值得关注的人群】\n"), "{text}");
    assert!(text.contains(&sentence), "{sentence}\n{text}");
    let url = crash["url"].as_str().unwrap();
    assert!(
        url.contains("attr.app_version=3.2&pain_point=crash"),
        "{url}"
    );
    let listed = feedback_behind(&app, url).await;
    assert_eq!(listed.len(), 40);
    assert!(listed
        .iter()
        .all(|f| f["attributes"]["app_version"] == "3.2"));

    // The robot's markdown and the mail's HTML carry both sections and their links.
    let today = digest["period"].as_str().unwrap();
    let md = app
        .get(&format!("/api/v1/digests/{today}?format=markdown"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        md.contains("**什么在拉低满意度**") && md.contains("**值得关注的人群**"),
        "{md}"
    );
    assert!(md.contains(&format!("[查看相关反馈]({url})")), "{md}");
    let html = app
        .get(&format!("/api/v1/digests/{today}?format=html"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("什么在拉低满意度") && html.contains("值得关注的人群"));
    assert!(html.contains(&url.replace('&', "&amp;")));
}

mod why_in_the_digest {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        if let Some(app) =
            TestApp::spawn_with(Backend::Sqlite, |s| s.survey_rate_per_minute = 100_000).await
        {
            super::why_in_the_digest(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) =
            TestApp::spawn_with(Backend::Postgres, |s| s.survey_rate_per_minute = 100_000).await
        {
            super::why_in_the_digest(app).await;
        }
    }
}

/// Every version writes every text with every score equally often: nothing drives NPS and
/// no version stands out, so the digest has neither section. Stored as webhook items (the
/// survey endpoint's rate limit stays as it is).
async fn quiet_digest_has_no_why(app: TestApp) {
    let now = chrono::Utc::now();
    let mut items = Vec::new();
    for k in 0..162 {
        let version = ["3.0", "3.1", "3.2"][k % 3];
        let text = [SLOW, PRAISE, CRASH][(k / 3) % 3];
        let nps = [10, 8, 3][(k / 9) % 3];
        items.push(
            json!({"text": text, "channel": "survey", "scores": {"nps": nps},
            "attributes": {"app_version": version}, "external_id": format!("q-{k}"),
            "occurred_at": (now - chrono::Duration::seconds(k as i64)).to_rfc3339()}),
        );
    }
    ingest(&app, items).await;
    let (digest, text, range) = todays_digest(&app).await;
    // There is something to read: the drivers exist, none is significant.
    let api = json_of(
        app.get(&format!("/api/v1/insights/drivers?metric=nps&{range}"))
            .await,
    )
    .await;
    assert!(!api["items"].as_array().unwrap().is_empty(), "{api}");
    assert!(api["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["significant"] == false));
    assert!(digest["drivers"].is_null(), "{digest}");
    assert_eq!(digest["segments"], json!([]));
    assert!(
        !text.contains("什么在拉低满意度") && !text.contains("值得关注的人群"),
        "{text}"
    );
    assert!(text.contains("【主要痛点】") && text.contains("【各渠道】"));
}

/// One version's crash share: steady at 5 % for a week and a day, then a jump on one version
/// within the last hours, which alerts once; the steady data alone alert nothing.
async fn segment_alert_fires_once_for_a_jump(app: TestApp) {
    let now = chrono::Utc::now();
    let mut items = Vec::new();
    let mut add = |version: &str, n: usize, crashes: usize, hours_back: (i64, i64), tag: &str| {
        for k in 0..n {
            let span = hours_back.1 - hours_back.0;
            let at = now
                - chrono::Duration::hours(hours_back.0)
                - chrono::Duration::minutes((k as i64 * 60 * span) / n as i64 + 1);
            items.push(json!({"text": if k < crashes { CRASH } else { PRAISE },
                "attributes": {"app_version": version}, "external_id": format!("{tag}-{version}-{k}"),
                "occurred_at": at.to_rfc3339()}));
        }
    };
    // The 7 days before the last 24 hours, then the last 24 hours: 5 % everywhere.
    add("3.1", 280, 14, (24, 24 * 8), "before");
    add("3.2", 280, 14, (24, 24 * 8), "before");
    add("3.1", 100, 5, (0, 23), "day");
    add("3.2", 100, 5, (0, 23), "day");
    ingest(&app, items).await;
    json_of(
        app.post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": "oncall@example.com", "alerts": true}),
        )
        .await,
    )
    .await;
    let segment_keys = |spikes: &[tingjian::tell::alerts::Spike]| -> Vec<String> {
        spikes
            .iter()
            .filter(|s| s.segment.is_some())
            .map(|s| s.key.clone())
            .collect()
    };
    let steady = app
        .workers
        .alerts
        .find_spikes(&app.workspace_id, now)
        .await
        .unwrap();
    assert_eq!(segment_keys(&steady), Vec::<String>::new(), "{steady:?}");

    // 40 crash reports from 3.2 within the last two hours.
    let mut jump = Vec::new();
    for k in 0..40 {
        jump.push(json!({"text": CRASH, "attributes": {"app_version": "3.2"},
            "external_id": format!("jump-{k}"),
            "occurred_at": (now - chrono::Duration::minutes(k + 1)).to_rfc3339()}));
    }
    ingest(&app, jump).await;
    let spikes = app
        .workers
        .alerts
        .find_spikes(&app.workspace_id, now)
        .await
        .unwrap();
    assert_eq!(
        segment_keys(&spikes),
        ["segment:app_version=3.2:crash"],
        "{spikes:?}"
    );
    let s = spikes.iter().find(|s| s.segment.is_some()).unwrap();
    let r = s.segment.as_ref().unwrap();
    assert_eq!((r.items, r.count), (140, 45));
    assert_eq!((r.rest_items, r.rest_count), (100, 5));
    assert_eq!(
        (r.baseline_items, r.baseline_count, r.own_baseline),
        (280, 14, true)
    );
    assert_eq!(s.quotes.len().min(1), 1);

    let queued = app.workers.alerts.check_spikes(now).await.unwrap();
    assert!(queued >= 1);
    assert_eq!(
        app.workers.alerts.check_spikes(now).await.unwrap(),
        0,
        "once a day"
    );
    let later = now + chrono::Duration::minutes(30);
    assert_eq!(
        app.workers.alerts.check_spikes(later).await.unwrap(),
        0,
        "once a day"
    );
    app.workers.outbox.deliver_pending().await;
    let sent = json_of(app.get("/api/v1/digest-deliveries?status=sent").await).await;
    let segment_alerts: Vec<&Value> = sent["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "alert" && d["period"].as_str().unwrap().starts_with("segment:"))
        .collect();
    assert_eq!(segment_alerts.len(), 1, "{sent}");
    // The mail as the on-call reads it.
    let mut found = false;
    for e in std::fs::read_dir(app.data_dir.join("mail")).unwrap() {
        let eml = std::fs::read(e.unwrap().path()).unwrap();
        let msg = mail_parser::MessageParser::default().parse(&eml).unwrap();
        let subject = msg.subject().unwrap_or_default().to_owned();
        if !subject.contains("版本为 3.2 的用户") {
            continue;
        }
        found = true;
        let body = msg.body_text(0).unwrap().into_owned();
        println!("{subject}\n{body}");
        assert_eq!(
            subject,
            format!(
                "【听见预警】版本为 3.2 的用户反馈中「{}」升至 32%（平时 5%）",
                s.name
            )
        );
        assert!(body.contains(&format!(
            "过去 24 小时，版本为 3.2 的用户反馈共 140 条，其中 45 条提到「{}」（32%）；前 7 天同一人群为 280 条中 14 条（5%）。同期其他用户为 100 条中 5 条（5%）。",
            s.name
        )), "{body}");
        assert!(
            body.contains("attr.app_version=3.2&pain_point=crash"),
            "{body}"
        );
    }
    assert!(found);
}

/// The drivers and segments read whole days from `insight_day_cache`. A cached day follows
/// every write to it: after a label correction and a late item in an already cached day, the
/// answers equal a computation with the cache emptied, and the warmer fills what it keeps.
async fn cached_days_follow_writes(app: TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    seed(&app).await;
    let today = chrono::Utc::now().date_naive();
    let range = format!(
        "from={}&to={}",
        today - chrono::Duration::days(2),
        today + chrono::Duration::days(2)
    );
    let paths = [
        format!("/api/v1/insights/drivers?metric=nps&{range}"),
        format!("/api/v1/insights/drivers?metric=sentiment&{range}"),
        format!("/api/v1/insights/segments?attr=app_version&metric=nps&{range}"),
        format!("/api/v1/insights/segments?attr=channel&metric=sentiment&{range}"),
    ];
    let read_all = || async {
        let mut out = Vec::new();
        for p in &paths {
            out.push(json_of(app.get(p).await).await);
        }
        out
    };
    let db = app.state.store.connection();
    let backend = db.get_database_backend();
    let cached = || async {
        db.query_one(Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM insight_day_cache",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
    };
    let empty_cache = || async {
        db.execute_unprepared("DELETE FROM insight_day_cache")
            .await
            .unwrap();
    };
    let first = read_all().await;
    assert!(cached().await > 0, "whole days are cached");
    assert_eq!(read_all().await, first, "read back from the cache");

    // Take payment off one response's answers: the cached day is stale and read again.
    let payment = app.all_feedback("pain_point=payment").await;
    let who = payment[0]["respondent_id"].clone();
    for f in payment.iter().filter(|f| f["respondent_id"] == who) {
        let res = app
            .client
            .put(app.url(&format!(
                "/api/v1/feedback/{}/labels",
                f["id"].as_str().unwrap()
            )))
            .bearer_auth(&app.api_key)
            .json(&json!({"sentiment": "positive", "pain_points": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // And an item that happened yesterday arrives late.
    ingest(
        &app,
        vec![
            json!({"text": "客服电话一直打不通，等了半个小时也没人接", "scores": {"nps": 0},
            "occurred_at": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()}),
        ],
    )
    .await;
    let after = read_all().await;
    let n_with = |body: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "payment")
            .map(|i| i["n_with"].clone())
    };
    let was = n_with(&first[0]).and_then(|n| n.as_u64()).unwrap();
    assert_eq!(n_with(&after[0]), Some(json!(was - 1)), "{}", after[0]);
    assert_ne!(after[0]["n"], first[0]["n"], "the late item counts");
    empty_cache().await;
    assert_eq!(
        read_all().await,
        after,
        "cached days equal a fresh computation"
    );

    // The warmer keeps the default ranges' whole days; what it stored reads back the same.
    empty_cache().await;
    let warmed = app
        .state
        .store
        .warm_insight_days(chrono::Utc::now() + chrono::Duration::days(2), 0)
        .await
        .unwrap();
    assert!(warmed >= 1);
    assert!(cached().await > 0, "the warmer stored days");
    assert_eq!(read_all().await, after, "warmed days read the same");
}

mod cached_days_follow_writes {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        if let Some(app) =
            TestApp::spawn_with(Backend::Sqlite, |s| s.survey_rate_per_minute = 100_000).await
        {
            super::cached_days_follow_writes(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) =
            TestApp::spawn_with(Backend::Postgres, |s| s.survey_rate_per_minute = 100_000).await
        {
            super::cached_days_follow_writes(app).await;
        }
    }
}
