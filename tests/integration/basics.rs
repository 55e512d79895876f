//! Health, readiness, metrics, the OpenAPI document, and errors for routes and methods.

use serde_json::Value;

use crate::both_backends;
use crate::helpers::{assert_problem, TestApp};

both_backends!(
    health_ready_and_metrics,
    unknown_routes_and_methods_are_problems,
    openapi_and_docs_are_served
);

async fn health_ready_and_metrics(app: TestApp) {
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("tingjian_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/readyz\""), "{text}");
}

async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    let res = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_problem(res, 404, "route_not_found").await;
    let res = app.client.put(app.url("/healthz")).send().await.unwrap();
    assert_problem(res, 405, "method_not_allowed").await;
}

async fn openapi_and_docs_are_served(app: TestApp) {
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let res = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("openapi.json"));
    assert!(
        !html.contains("https://"),
        "the docs page must work offline"
    );
}
