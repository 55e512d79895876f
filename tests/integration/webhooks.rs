//! Signed webhooks (Standard Webhooks): verification, redelivery, batches, mappings, rotation.

use serde_json::{json, Value};
use tingjian::collect::webhook::sign;

use crate::both_backends;
use crate::helpers::{assert_problem, TestApp};

both_backends!(
    signed_delivery_is_stored_once,
    bad_signatures_store_nothing,
    batches_are_all_or_nothing,
    mapped_payloads_are_ingested,
    rotated_secret_stays_valid_for_a_day,
);

async fn webhook_source(app: &TestApp, body: Value) -> (String, String) {
    let res = app.post_json("/api/v1/sources", &body).await;
    assert_eq!(res.status(), 201);
    let src: Value = res.json().await.unwrap();
    let secret = src["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert!(src["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/hooks/{}", src["id"].as_str().unwrap())));
    (src["id"].as_str().unwrap().to_owned(), secret)
}

pub(crate) async fn deliver(
    app: &TestApp,
    source: &str,
    secret: &str,
    msg_id: &str,
    ts: i64,
    body: &str,
) -> reqwest::Response {
    let ts = ts.to_string();
    let sig = sign(secret, msg_id, &ts, body.as_bytes()).unwrap();
    app.client
        .post(app.url(&format!("/hooks/{source}")))
        .header("content-type", "application/json")
        .header("webhook-id", msg_id)
        .header("webhook-timestamp", ts)
        .header("webhook-signature", sig)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn signed_delivery_is_stored_once(app: TestApp) {
    let (src, secret) = webhook_source(&app, json!({"kind": "webhook", "name": "客服系统"})).await;
    let body = json!({"text": "客服态度很差，等了半小时", "external_id": "t-1", "author": "u***9", "occurred_at": "2026-11-20T10:00:00+08:00",
        "scores": {"csat": 1}, "attributes": {"plan": "pro", "city": "杭州"}}).to_string();
    let res = deliver(&app, &src, &secret, "msg_1", now(), &body).await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(
        out,
        json!({"stored": 1, "duplicates": 0, "replayed": false})
    );
    // The same delivery again: 2xx, nothing new.
    let res = deliver(&app, &src, &secret, "msg_1", now(), &body).await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(
        out,
        json!({"stored": 0, "duplicates": 1, "replayed": true}),
        "a redelivery: what the first delivery stored, as duplicates"
    );
    // A new delivery carrying the same external id: 2xx, counted as a duplicate.
    let res = deliver(&app, &src, &secret, "msg_2", now(), &body).await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(
        (out["stored"].as_u64(), out["duplicates"].as_u64()),
        (Some(0), Some(1))
    );

    let items = app.all_feedback("channel=webhook").await;
    assert_eq!(items.len(), 1);
    let f = &items[0];
    assert_eq!(f["text"], "客服态度很差，等了半小时");
    assert_eq!(f["scores"]["csat"], 1);
    assert_eq!(f["attributes"]["city"], "杭州");
    assert_eq!(f["source_id"], src.as_str());
    assert_eq!(
        f["occurred_at"].as_str().unwrap()[..19],
        *"2026-11-20T02:00:00"
    );
}

async fn bad_signatures_store_nothing(app: TestApp) {
    let (src, secret) = webhook_source(&app, json!({"kind": "webhook", "name": "s"})).await;
    let body = json!({"text": "不该被存下"}).to_string();
    let hook = app.url(&format!("/hooks/{src}"));
    // Unsigned.
    let res = app
        .client
        .post(&hook)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "invalid_signature").await;
    // Stale, both ways.
    assert_problem(
        deliver(&app, &src, &secret, "m1", now() - 301, &body).await,
        401,
        "invalid_signature",
    )
    .await;
    assert_problem(
        deliver(&app, &src, &secret, "m2", now() + 301, &body).await,
        401,
        "invalid_signature",
    )
    .await;
    // Wrong secret.
    let wrong = tingjian::collect::webhook::generate_secret();
    assert_problem(
        deliver(&app, &src, &wrong, "m3", now(), &body).await,
        401,
        "invalid_signature",
    )
    .await;
    // Empty and truncated signatures.
    let ts = now().to_string();
    let good = sign(&secret, "m4", &ts, body.as_bytes()).unwrap();
    for sig in ["v1,", "", &good[..good.len() - 6], "v1", "v2,abc"] {
        let res = app
            .client
            .post(&hook)
            .header("webhook-id", "m4")
            .header("webhook-timestamp", &ts)
            .header("webhook-signature", sig)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_problem(res, 401, "invalid_signature").await;
    }
    // Tampered body.
    let res = app
        .client
        .post(&hook)
        .header("webhook-id", "m4")
        .header("webhook-timestamp", &ts)
        .header("webhook-signature", &good)
        .body(json!({"text": "篡改"}).to_string())
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "invalid_signature").await;
    assert!(app.all_feedback("").await.is_empty());
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
        metrics.contains("tingjian_webhook_rejected_total{reason=\"bad_signature\"}"),
        "{metrics}"
    );
    // Unknown source.
    assert_problem(
        deliver(&app, "src_nope", &secret, "m5", now(), &body).await,
        404,
        "not_found",
    )
    .await;
}

async fn batches_are_all_or_nothing(app: TestApp) {
    let (src, secret) = webhook_source(&app, json!({"kind": "webhook", "name": "s"})).await;
    let good: Vec<Value> = (0..300)
        .map(|i| json!({"text": format!("第{i}条反馈：加载太慢"), "external_id": format!("e{i}")}))
        .collect();
    let mut bad = good.clone();
    bad[7] = json!({"text": "", "external_id": "e7"});
    bad[9] = json!({"text": "ok", "scores": {"nps": 11}});
    let res = deliver(
        &app,
        &src,
        &secret,
        "b1",
        now(),
        &json!({"items": bad}).to_string(),
    )
    .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["/items/7/text", "/items/9/scores/nps"]);
    assert!(
        app.all_feedback("").await.is_empty(),
        "a rejected batch stores nothing"
    );
    let res = deliver(
        &app,
        &src,
        &secret,
        "b2",
        now(),
        &json!({"items": good}).to_string(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"stored": 300, "duplicates": 0, "replayed": false})
    );
    assert_eq!(app.all_feedback("").await.len(), 300);
    let too_many: Vec<Value> = (0..1001).map(|i| json!({"text": format!("{i}")})).collect();
    let res = deliver(
        &app,
        &src,
        &secret,
        "b3",
        now(),
        &json!({"items": too_many}).to_string(),
    )
    .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = deliver(&app, &src, &secret, "b4", now(), "{not json").await;
    assert_problem(res, 400, "invalid_json").await;
}

async fn mapped_payloads_are_ingested(app: TestApp) {
    // A Typeform-like payload: answers under form_response, hidden fields for segments.
    let mapping = json!({
        "items": "/form_response/answers",
        "text": "/text",
        "external_id": "/field/id",
        "attributes": {"plan": "/plan"}
    });
    let (src, secret) = webhook_source(
        &app,
        json!({"kind": "webhook", "name": "typeform", "mapping": mapping}),
    )
    .await;
    let body = json!({"event_id": "ev1", "form_response": {"answers": [
        {"field": {"id": "f1"}, "text": "希望支持导出 Excel", "plan": "free"},
        {"field": {"id": "f2"}, "text": "付款总是失败"}
    ]}});
    let res = deliver(&app, &src, &secret, "tf1", now(), &body.to_string()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["stored"], 2);
    let items = app.all_feedback(&format!("source={src}")).await;
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|i| i["text"] == "希望支持导出 Excel"
        && i["attributes"]["plan"] == "free"
        && i["external_id"] == "f1"));
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "x", "mapping": {"text": "no-slash"}}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

async fn rotated_secret_stays_valid_for_a_day(app: TestApp) {
    let (src, old) = webhook_source(&app, json!({"kind": "webhook", "name": "s"})).await;
    let res = app
        .post_json(&format!("/api/v1/sources/{src}/rotate-secret"), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["previous_secret_expires_at"].is_string());
    for (secret, id, text) in [(&old, "r1", "旧密钥"), (&new, "r2", "新密钥")] {
        let res = deliver(
            &app,
            &src,
            secret,
            id,
            now(),
            &json!({"text": text}).to_string(),
        )
        .await;
        assert_eq!(res.status(), 200, "{text}");
        assert_eq!(res.json::<Value>().await.unwrap()["stored"], 1, "{text}");
    }
    assert_eq!(app.all_feedback("").await.len(), 2);
}
