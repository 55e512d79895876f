//! Surveys: definitions, the hosted page, the embed script, responses (JSON and form posts),
//! CORS by allowed origin, honeypot, rate limit, idempotent retries.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, Backend, TestApp};

both_backends!(
    survey_lifecycle,
    responses_are_validated_and_stored,
    hosted_form_posts_work_without_javascript,
    hosted_form_double_submit_stores_once,
    cors_follows_allowed_origins,
    missing_survey_page_for_browsers
);

pub fn nps_survey() -> Value {
    json!({
        "title": "听见满意度调查",
        "questions": [
            {"id": "q1", "type": "nps", "title": "您有多大可能向朋友推荐我们？", "required": true},
            {"id": "q2", "type": "text", "title": "最需要改进的是什么？", "show_if": {"question": "q1", "max": 6}},
            {"id": "q3", "type": "multi_choice", "title": "您常用哪些功能？", "options": ["下单", "客服", "优惠券"]},
            {"id": "q4", "type": "csat", "title": "对客服满意吗？"},
            {"id": "q5", "type": "text", "title": "还有什么想说的？"}
        ],
        "allowed_origins": ["https://shop.example"]
    })
}

pub async fn create_survey(app: &TestApp, def: &Value) -> String {
    let res = app.post_json("/api/v1/surveys", def).await;
    assert_eq!(res.status(), 201, "create survey");
    let body: Value = res.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

async fn survey_lifecycle(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    let got: Value = app
        .get(&format!("/api/v1/surveys/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["title"], "听见满意度调查");
    assert_eq!(got["status"], "active");
    assert!(got["links"]["script"]
        .as_str()
        .unwrap()
        .contains(&format!("data-survey=\"{id}\"")));
    assert!(got["links"]["iframe"]
        .as_str()
        .unwrap()
        .contains(&format!("/s/{id}")));
    let res = app
        .patch_json(
            &format!("/api/v1/surveys/{id}"),
            &json!({"title": "新标题", "status": "closed"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let got: Value = res.json().await.unwrap();
    assert_eq!(
        (got["title"].as_str(), got["status"].as_str()),
        (Some("新标题"), Some("closed"))
    );
    assert_eq!(
        got["questions"].as_array().unwrap().len(),
        5,
        "a patch keeps what it does not name"
    );
    let res = app
        .client
        .post(app.url(&format!("/s/{id}/responses")))
        .json(&json!({"answers": {"q1": 9}}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "survey_closed").await;
    let list: Value = app.get("/api/v1/surveys").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let res = app
        .post_json(&format!("/api/v1/surveys/{id}/archive"), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    let archived: Value = res.json().await.unwrap();
    assert_eq!(
        (archived["id"].as_str(), archived["status"].as_str()),
        (Some(id.as_str()), Some("archived")),
        "{archived}"
    );
    let list: Value = app.get("/api/v1/surveys").await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    let list: Value = app
        .get("/api/v1/surveys?status=archived")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_problem(
        app.client
            .get(app.url(&format!("/s/{id}")))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;

    // Invalid definitions name the field.
    let mut bad = nps_survey();
    bad["questions"][2]["options"] = json!([]);
    let body = assert_problem(
        app.post_json("/api/v1/surveys", &bad).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "/questions/2/options");
    let mut bad = nps_survey();
    bad["questions"][1]["show_if"] = json!({"question": "q5", "equals": "x"});
    assert_problem(
        app.post_json("/api/v1/surveys", &bad).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(app.get("/api/v1/surveys/sv_nope").await, 404, "not_found").await;
}

async fn responses_are_validated_and_stored(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    let url = app.url(&format!("/s/{id}/responses"));
    let good = json!({"answers": {"q1": 3, "q2": "结账页面太卡了", "q3": ["下单", "客服"], "q4": 2, "q5": "希望有夜间模式"},
        "respondent": {"id": "u-1", "attributes": {"plan": "pro", "city": "杭州"}}, "response_id": "resp-0001"});
    let res = app.client.post(&url).json(&good).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["feedback_count"], 2);
    assert_eq!(out["replayed"], false);
    // A retried submission with the same response id stores nothing new, and says so.
    let res = app.client.post(&url).json(&good).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(
        again,
        json!({"response_id": out["response_id"], "feedback_count": 2, "replayed": true})
    );
    let items = app.all_feedback(&format!("source={id}")).await;
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["scores"]["nps"] == 3
        && i["scores"]["csat"] == 2
        && i["attributes"]["city"] == "杭州"
        && i["channel"] == "survey"));
    assert!(items
        .iter()
        .any(|i| i["text"] == "结账页面太卡了" && i["context"]["question_id"] == "q2"));
    // Scores only: stored as a response, no feedback text.
    let res = app
        .client
        .post(&url)
        .json(&json!({"answers": {"q1": 10}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let scores_only: Value = res.json().await.unwrap();
    assert_eq!(scores_only["feedback_count"], 0, "{scores_only}");
    assert_ne!(scores_only["response_id"], out["response_id"]);
    let got: Value = app
        .get(&format!("/api/v1/surveys/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["response_count"], 2);

    for (answers, field) in [
        (json!({"q2": "x"}), "/answers/q1"),
        (json!({"q1": 11}), "/answers/q1"),
        (json!({"q1": 9, "q2": "hidden when q1 > 6"}), "/answers/q2"),
        (json!({"q1": 2, "q3": ["飞行"]}), "/answers/q3"),
        (json!({"q1": 2, "q9": 1}), "/answers/q9"),
    ] {
        let res = app
            .client
            .post(&url)
            .json(&json!({"answers": answers}))
            .send()
            .await
            .unwrap();
        let body = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], field, "{answers}");
    }
    // The honeypot: answered like a success, in the same shape, and nothing stored.
    let res = app
        .client
        .post(&url)
        .json(&json!({"answers": {"q1": 0, "q2": "spam", "q5": "more spam"}, "website": "http://spam"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let out: Value = res.json().await.unwrap();
    assert!(
        out["response_id"].as_str().unwrap().starts_with("sr_"),
        "{out}"
    );
    assert_eq!(out["feedback_count"], 2, "{out}");
    assert_eq!(out["replayed"], false, "{out}");
    assert_eq!(
        out.as_object().unwrap().len(),
        3,
        "no more fields than a real answer: {out}"
    );
    assert_eq!(app.all_feedback("").await.len(), 2);
    assert_problem(
        app.client
            .post(app.url("/s/sv_nope/responses"))
            .json(&good)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.client
            .post(&url)
            .header("content-type", "text/plain")
            .body("q1=9")
            .send()
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
}

async fn hosted_form_posts_work_without_javascript(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    let page = app
        .client
        .get(app.url(&format!("/s/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains("听见满意度调查")
            && html.contains(&format!("action=\"/s/{id}/responses\""))
            && html.contains("name=\"q1\"")
    );
    let res = app
        .client
        .post(app.url(&format!("/s/{id}/responses")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("q1=4&q2=%E5%8A%A0%E8%BD%BD%E5%A4%AA%E6%85%A2&q3=%E4%B8%8B%E5%8D%95&q3=%E4%BC%98%E6%83%A0%E5%88%B8&website=")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let thanks = res.text().await.unwrap();
    assert!(
        thanks.contains("<html") && thanks.contains("data-tingjian-thanks"),
        "the thank-you page: {thanks}"
    );
    let items = app.all_feedback("channel=survey").await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["text"], "加载太慢");
    // A bad form post shows the page again with the error, and stores nothing.
    let res = app
        .client
        .post(app.url(&format!("/s/{id}/responses")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("q1=&q5=hi")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let again = res.text().await.unwrap();
    assert!(again.contains("name=\"q1\""), "the form again: {again}");
    assert!(
        again.contains("此题为必填，请选择一项"),
        "with the error marked: {again}"
    );
    assert_eq!(app.all_feedback("").await.len(), 1);
    let js = app.client.get(app.url("/embed.js")).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/javascript"));
    let script = js.text().await.unwrap();
    assert!(
        script.contains("data-tingjian-form") && script.contains("/responses"),
        "the embed script"
    );
}

/// The `_response_id` hidden field of a hosted page.
fn hidden_response_id(html: &str) -> String {
    let marker = "name=\"_response_id\" value=\"";
    let start = html.find(marker).expect("a _response_id field") + marker.len();
    let len = html[start..].find('"').unwrap();
    html[start..start + len].to_owned()
}

async fn hosted_form_double_submit_stores_once(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    let page = |app: &TestApp| {
        let url = app.url(&format!("/s/{id}"));
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let rid = hidden_response_id(&page(&app).await);
    assert_ne!(
        rid,
        hidden_response_id(&page(&app).await),
        "each page view has its own response id"
    );
    let post = |body: String| {
        app.client
            .post(app.url(&format!("/s/{id}/responses")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    // A form with an error comes back with the same id...
    let res = post(format!("q1=&q5=hi&_response_id={rid}&website="))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(hidden_response_id(&res.text().await.unwrap()), rid);
    // ...so sending the corrected form twice (a double click) stores it once.
    let body = format!("q1=3&q2=%E5%A4%AA%E8%B4%B5&_response_id={rid}&website=");
    let first = post(body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.text().await.unwrap().contains("data-tingjian-thanks"));
    let second = post(body).await.unwrap();
    assert_eq!(second.status(), 200);
    assert!(second
        .text()
        .await
        .unwrap()
        .contains("data-tingjian-thanks"));
    let got: Value = app
        .get(&format!("/api/v1/surveys/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["response_count"], 1);
    assert_eq!(app.all_feedback("channel=survey").await.len(), 1);
    // A form post without an id that fails validation gets one for the next try.
    let res = post("q1=&q5=hi".into()).await.unwrap();
    assert_eq!(res.status(), 422);
    let fresh = hidden_response_id(&res.text().await.unwrap());
    assert!(fresh.len() >= 8 && fresh != rid);
}

async fn missing_survey_page_for_browsers(app: TestApp) {
    const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let id = create_survey(&app, &nps_survey()).await;
    app.post_json(&format!("/api/v1/surveys/{id}/archive"), &json!({}))
        .await;
    for path in ["/s/sv_nope".to_owned(), format!("/s/{id}")] {
        let res = app
            .client
            .get(app.url(&path))
            .header("accept", BROWSER)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert_eq!(res.headers()["vary"], "Accept");
        let html = res.text().await.unwrap();
        assert!(html.contains("问卷不存在或已关闭"), "{html}");
        assert!(html.contains("<html lang=\"zh-CN\">"));
        // API clients keep the problem document.
        for accept in [
            "application/json",
            "*/*",
            "application/problem+json, text/html;q=0.5",
        ] {
            let res = app
                .client
                .get(app.url(&path))
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(res.headers()["vary"], "Accept");
            assert_problem(res, 404, "not_found").await;
        }
    }
}

async fn cors_follows_allowed_origins(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    let url = app.url(&format!("/s/{id}/responses"));
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, &url)
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let res = app
        .client
        .post(&url)
        .header("Origin", "https://shop.example")
        .json(&json!({"answers": {"q1": 8}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let out: Value = res.json().await.unwrap();
    assert_eq!(
        (out["feedback_count"].as_u64(), out["replayed"].as_bool()),
        (Some(0), Some(false)),
        "{out}"
    );
    let res = app
        .client
        .get(app.url(&format!("/s/{id}/definition.json")))
        .header("Origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let def: Value = res.json().await.unwrap();
    assert_eq!(def["questions"].as_array().unwrap().len(), 5);
    assert!(def.get("allowed_origins").is_none());
    let res = app
        .client
        .post(&url)
        .header("Origin", "https://evil.example")
        .json(&json!({"answers": {"q1": 8}}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "origin_not_allowed").await;
    let res = app
        .client
        .get(app.url(&format!("/s/{id}/definition.json")))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "origin_not_allowed").await;
    let got: Value = app
        .get(&format!("/api/v1/surveys/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["response_count"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_are_rate_limited_per_address() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| s.survey_rate_per_minute = 3).await
    else {
        return;
    };
    let id = create_survey(&app, &nps_survey()).await;
    let url = app.url(&format!("/s/{id}/responses"));
    for _ in 0..3 {
        let res = app
            .client
            .post(&url)
            .json(&json!({"answers": {"q1": 9}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let res = app
        .client
        .post(&url)
        .json(&json!({"answers": {"q1": 9}}))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "rate_limited").await;
}

/// Behind a proxy, the client is the last `X-Forwarded-For` hop: the one the proxy added.
/// Whatever the client put before it does not buy a fresh budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_keys_on_the_last_forwarded_hop() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.survey_rate_per_minute = 1;
        s.trust_proxy = true;
    })
    .await
    else {
        return;
    };
    let id = create_survey(&app, &nps_survey()).await;
    let url = app.url(&format!("/s/{id}/responses"));
    let post = |forwarded: &[&str]| {
        let mut req = app.client.post(&url).json(&json!({"answers": {"q1": 9}}));
        for f in forwarded {
            req = req.header("X-Forwarded-For", *f);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(&["198.51.100.1, 203.0.113.7"]).await, 201);
    // Same last hop, another made-up first address: the same client.
    assert_eq!(post(&["198.51.100.2, 203.0.113.7"]).await, 429);
    assert_eq!(post(&["203.0.113.7"]).await, 429);
    // Several header lines are one list: its last entry counts.
    assert_eq!(
        post(&["203.0.113.8", "198.51.100.3, 203.0.113.7"]).await,
        429
    );
    assert_eq!(post(&["203.0.113.7", "203.0.113.9:4711"]).await, 201);
    assert_eq!(post(&["198.51.100.1, 203.0.113.8"]).await, 201);
}

/// The rate limiter forgets addresses whose budget has refilled, also in a process that runs
/// no feed poller (tests run none).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limiter_is_tidied_without_the_poller() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.run_poller = false;
        s.survey_rate_per_minute = 6_000; // one more every 10 ms
        s.housekeeping_tick = std::time::Duration::from_millis(50);
    })
    .await
    else {
        return;
    };
    let id = create_survey(&app, &nps_survey()).await;
    let res = app
        .client
        .post(app.url(&format!("/s/{id}/responses")))
        .json(&json!({"answers": {"q1": 9}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let mut forgotten = false;
    for _ in 0..100 {
        if app.state.survey_limiter.is_empty() {
            forgotten = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        forgotten,
        "the limiter still holds {} keys",
        app.state.survey_limiter.len()
    );
}
