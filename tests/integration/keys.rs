//! API keys: authentication, scopes, revocation, and the wall between workspaces.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, TestApp};

both_backends!(
    keys_authenticate_and_carry_scopes,
    keys_can_be_listed_created_and_revoked,
    workspaces_are_walls
);

async fn keys_authenticate_and_carry_scopes(app: TestApp) {
    let res = app
        .client
        .get(app.url("/api/v1/feedback"))
        .send()
        .await
        .unwrap();
    let res_h = res.headers().get("www-authenticate").cloned();
    assert_problem(res, 401, "unauthorized").await;
    assert!(res_h.is_some());
    let res = app
        .client
        .get(app.url("/api/v1/feedback"))
        .bearer_auth("tj_not_a_key")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthorized").await;
    let res = app
        .client
        .get(app.url("/api/v1/feedback"))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthorized").await;

    let ingest_only = app.key_with("ingest").await;
    let res = app
        .client
        .get(app.url("/api/v1/feedback"))
        .bearer_auth(&ingest_only)
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "forbidden").await;
    let res = app
        .client
        .post(app.url("/api/v1/mentions"))
        .bearer_auth(&ingest_only)
        .json(&json!({"items": [{"platform": "weibo", "text": "好用"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"stored": 1, "duplicates": 0})
    );
    let read_only = app.key_with("read").await;
    let res = app
        .client
        .get(app.url("/api/v1/feedback"))
        .bearer_auth(&read_only)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["items"][0]["text"], "好用", "{list}");
    let res = app
        .client
        .get(app.url("/api/v1/keys"))
        .bearer_auth(&read_only)
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "forbidden").await;
}

async fn keys_can_be_listed_created_and_revoked(app: TestApp) {
    let res = app
        .post_json(
            "/api/v1/keys",
            &json!({"name": "collector", "scopes": ["ingest"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let key = created["api_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("tj_"));
    assert_eq!(created["scopes"], json!(["ingest"]));

    let listed: Value = app.get("/api/v1/keys").await.json().await.unwrap();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|k| k.get("api_key").is_none() && k.get("hash").is_none()),
        "keys are never shown again"
    );

    let res = app
        .post_json("/api/v1/keys", &json!({"name": "x", "scopes": ["root"]}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .post_json("/api/v1/keys", &json!({"name": "", "scopes": ["read"]}))
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/name");

    // Used, so that this process has checked it (and keeps it for a moment), then revoked:
    // refused at once.
    let mention = |key: String| {
        app.client
            .post(app.url("/api/v1/mentions"))
            .bearer_auth(key)
            .json(&json!({"items": [{"platform": "weibo", "text": "好用"}]}))
            .send()
    };
    assert_eq!(mention(key.clone()).await.unwrap().status(), 200);
    let id = created["id"].as_str().unwrap();
    let res = app.delete(&format!("/api/v1/keys/{id}")).await;
    assert_eq!(res.status(), 204);
    let res = mention(key.clone()).await.unwrap();
    assert_problem(res, 401, "unauthorized").await;
    let res = app.delete("/api/v1/keys/key_nope").await;
    assert_problem(res, 404, "not_found").await;
}

async fn workspaces_are_walls(app: TestApp) {
    let (_, other_key) = app.other_workspace().await;
    // Our workspace stores an item, a source and a survey.
    let res = app
        .post_json(
            "/api/v1/mentions",
            &json!({"items": [{"platform": "weibo", "text": "我们的反馈"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let ours = app.all_feedback("").await;
    let fb_id = ours[0]["id"].as_str().unwrap().to_owned();
    let src: Value = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "ours"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let src_id = src["id"].as_str().unwrap().to_owned();
    let key_list: Value = app.get("/api/v1/keys").await.json().await.unwrap();
    let key_id = key_list["items"][0]["id"].as_str().unwrap().to_owned();

    let other = |path: String| {
        app.client
            .get(app.url(&path))
            .bearer_auth(&other_key)
            .send()
    };
    let list: Value = other("/api/v1/feedback".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    assert_problem(
        other(format!("/api/v1/feedback/{fb_id}")).await.unwrap(),
        404,
        "not_found",
    )
    .await;
    assert_problem(
        other(format!("/api/v1/sources/{src_id}")).await.unwrap(),
        404,
        "not_found",
    )
    .await;
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/feedback/{fb_id}")))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/keys/{key_id}")))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/sources/{src_id}/rotate-secret")))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    // Still ours, untouched.
    let res = app.get(&format!("/api/v1/feedback/{fb_id}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), ours[0]);
}
