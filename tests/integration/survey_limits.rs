//! What an unauthenticated caller can make a public survey store is bounded: submissions per
//! IPv4 address or IPv6 /64, responses per survey per hour (a cap its editor can raise), and a
//! text answer's length (2,000 characters unless the question allows more).

use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{assert_problem, Backend, TestApp};

each_backend!(
    an_ipv6_slash_64_shares_one_budget,
    a_survey_takes_its_hourly_cap,
    text_answers_are_bounded_by_default,
);

/// Behind a proxy (so that the test can be many clients), `rate` submissions per minute.
async fn spawn(backend: Backend, rate: u32) -> Option<TestApp> {
    TestApp::spawn_with(backend, move |s| {
        s.trust_proxy = true;
        s.survey_rate_per_minute = rate;
    })
    .await
}

fn one_question(extra: Value) -> Value {
    let mut def = json!({
        "title": "一题问卷",
        "questions": [
            {"id": "q1", "type": "nps", "title": "您有多大可能推荐我们？", "required": true},
            {"id": "q2", "type": "text", "title": "原因？"}
        ]
    });
    if let Value::Object(m) = extra {
        for (k, v) in m {
            def[k] = v;
        }
    }
    def
}

async fn submit(app: &TestApp, id: &str, from: &str, answers: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/s/{id}/responses")))
        .header("X-Forwarded-For", from)
        .json(&json!({ "answers": answers }))
        .send()
        .await
        .unwrap()
}

async fn response_count(app: &TestApp, id: &str) -> i64 {
    let s: Value = app
        .get(&format!("/api/v1/surveys/{id}"))
        .await
        .json()
        .await
        .unwrap();
    s["response_count"].as_i64().unwrap()
}

async fn an_ipv6_slash_64_shares_one_budget(backend: Backend) {
    let Some(app) = spawn(backend, 2).await else {
        return;
    };
    let id = crate::surveys::create_survey(&app, &one_question(json!({}))).await;
    let mut status = Vec::new();
    for from in [
        "2001:db8:1:2::1",
        "2001:db8:1:2:ffff:ffff:ffff:fffe",
        "2001:db8:1:2:abcd::9", // a third address of the same /64
        "2001:db8:1:3::1",      // the next /64: a budget of its own
        "203.0.113.7",
        "203.0.113.8", // IPv4: each address its own
        "[::ffff:203.0.113.7]:443",
        "203.0.113.7", // the same IPv4 address, in either form
    ] {
        status.push(
            submit(&app, &id, from, json!({"q1": 9}))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(status, [201, 201, 429, 201, 201, 201, 201, 429]);
    assert_eq!(response_count(&app, &id).await, 6);
}

async fn a_survey_takes_its_hourly_cap(backend: Backend) {
    let Some(app) = spawn(backend, 30).await else {
        return;
    };
    // Out of range: refused.
    for bad in [json!(0), json!(1_000_001), json!("many"), json!(2.5)] {
        let res = app
            .post_json(
                "/api/v1/surveys",
                &one_question(json!({"max_responses_per_hour": bad})),
            )
            .await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "/max_responses_per_hour");
    }
    let id =
        crate::surveys::create_survey(&app, &one_question(json!({"max_responses_per_hour": 3})))
            .await;
    for i in 0..3 {
        let res = submit(&app, &id, &format!("198.51.100.{i}"), json!({"q1": 9})).await;
        assert_eq!(res.status(), 201);
    }
    // The fourth, from yet another address: the survey's hour is full.
    let res = submit(&app, &id, "198.51.100.77", json!({"q1": 9})).await;
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    assert_problem(res, 429, "survey_full").await;
    // The hosted form: a calm page, the same status and header.
    let res = app
        .client
        .post(app.url(&format!("/s/{id}/responses")))
        .header("X-Forwarded-For", "198.51.100.78")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("q1=9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = res.text().await.unwrap();
    assert!(
        page.contains("请稍后再提交") && page.contains("分钟"),
        "{page}"
    );
    assert_eq!(response_count(&app, &id).await, 3, "nothing more stored");

    // The editor raises the cap: taken again at once.
    let res = app
        .patch_json(
            &format!("/api/v1/surveys/{id}"),
            &json!({"max_responses_per_hour": 5}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["max_responses_per_hour"],
        5
    );
    let res = submit(&app, &id, "198.51.100.79", json!({"q1": 9})).await;
    assert_eq!(res.status(), 201);

    // The per-network limit on the hosted form is a calm page too.
    let Some(app) = spawn(backend, 1).await else {
        return;
    };
    let id = crate::surveys::create_survey(&app, &one_question(json!({}))).await;
    let form = |from: &'static str| {
        app.client
            .post(app.url(&format!("/s/{id}/responses")))
            .header("X-Forwarded-For", from)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("q1=9")
            .send()
    };
    assert_eq!(form("203.0.113.50").await.unwrap().status(), 201);
    let res = form("203.0.113.50").await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "60");
    assert!(res.text().await.unwrap().contains("请稍后再提交"));
}

async fn text_answers_are_bounded_by_default(backend: Backend) {
    let Some(app) = spawn(backend, 100).await else {
        return;
    };
    let id = crate::surveys::create_survey(&app, &one_question(json!({}))).await;
    let res = submit(
        &app,
        &id,
        "192.0.2.1",
        json!({"q1": 3, "q2": "慢".repeat(2_001)}),
    )
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(
        body["errors"][0]["field"].as_str().unwrap().contains("q2"),
        "{body}"
    );
    let res = submit(
        &app,
        &id,
        "192.0.2.2",
        json!({"q1": 3, "q2": "慢".repeat(2_000)}),
    )
    .await;
    assert_eq!(res.status(), 201);

    // An editor may allow more, up to 10,000.
    let mut def = one_question(json!({}));
    def["questions"][1]["max_length"] = json!(5_000);
    let long = crate::surveys::create_survey(&app, &def).await;
    let res = submit(
        &app,
        &long,
        "192.0.2.3",
        json!({"q1": 3, "q2": "慢".repeat(5_000)}),
    )
    .await;
    assert_eq!(res.status(), 201);
    def["questions"][1]["max_length"] = json!(10_001);
    let res = app.post_json("/api/v1/surveys", &def).await;
    assert_problem(res, 422, "validation_failed").await;
    // The hosted page says the default limit too.
    let page = app
        .client
        .get(app.url(&format!("/s/{id}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("maxlength=\"2000\""), "{page}");
}
