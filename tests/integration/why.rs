//! Why: drivers (what each pain point costs NPS), segments (where a pain point is
//! over-represented) and respondent portraits, on survey responses submitted through the
//! public endpoint like a user's page would, checked against a computation from the plan the
//! test seeded.

use serde_json::{json, Value};

use crate::helpers::{assert_problem, Backend, TestApp};

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
    let old = |k: usize| if k % 2 == 0 { "3.0" } else { "3.1" };
    for k in 0..60 {
        let mut texts = vec![PAYMENT[k % 4]];
        if k % 2 == 0 {
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
    let (with, without): (Vec<(usize, &Planned)>, Vec<(usize, &Planned)>) =
        plan.iter().enumerate().partition(|(k, _)| with.contains(k));
    let with: Vec<f64> = with.iter().map(|(_, p)| value(p.nps)).collect();
    let without: Vec<f64> = without.iter().map(|(_, p)| value(p.nps)).collect();
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
