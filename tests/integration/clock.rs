//! The service goes by its clock, not the machine's: a manual clock the test holds and moves
//! decides a webhook secret's grace and the signature tolerance. Each clock starts at the
//! real time (rounded), so nothing here expires with the date.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use tingjian::collect::webhook::sign;
use tingjian::config::Settings;
use tingjian::domain::Clock;

use crate::helpers::{assert_problem, Backend, TestApp};

/// Runs each named `async fn(Backend)` on SQLite and on PostgreSQL (these tests build their
/// app themselves, with a manual clock): `name::sqlite`, `name::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use crate::helpers::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Backend::Postgres).await;
            }
        }
    )*};
}

on_both_backends!(old_webhook_secret_ends_with_its_grace);

/// The real time to the whole second: what every clock here starts at.
fn now_in_seconds() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

/// The app on `backend`, going by `clock`.
async fn spawn_at(
    backend: Backend,
    clock: &Clock,
    tweak: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let clock = clock.clone();
    TestApp::spawn_with(backend, move |s| {
        s.clock = clock;
        tweak(s);
    })
    .await
}

fn time_of(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("a time, not {v}"))
        .parse()
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// A delivery of one item to `/hooks/{source}`, signed with `secret` and stamped `ts`.
async fn deliver(
    app: &TestApp,
    source: &str,
    secret: &str,
    msg_id: &str,
    ts: DateTime<Utc>,
) -> reqwest::Response {
    let body = json!({"text": format!("{msg_id}：客服回复太慢了")}).to_string();
    let ts = ts.timestamp().to_string();
    let sig = sign(secret, msg_id, &ts, body.as_bytes()).unwrap();
    app.client
        .post(app.url(&format!("/hooks/{source}")))
        .header("content-type", "application/json")
        .header("webhook-id", msg_id)
        .header("webhook-timestamp", ts)
        .header("webhook-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn accepted(res: reqwest::Response, what: &str) {
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{what}: {body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"stored": 1, "duplicates": 0, "replayed": false}),
        "{what}"
    );
}

async fn refused(res: reqwest::Response, what: &str) {
    let status = res.status();
    assert_eq!(status, 401, "{what}");
    assert_problem(res, 401, "invalid_signature").await;
}

/// A rotated secret's old value is good for 24 hours of the clock from the rotation, not a
/// second more; the new one goes on. The 5-minute tolerance of the signature timestamp is
/// measured from the clock too (checked a day ahead of the machine, where the two differ).
async fn old_webhook_secret_ends_with_its_grace(backend: Backend) {
    let start = now_in_seconds();
    let clock = Clock::manual(start);
    let Some(app) = spawn_at(backend, &clock, |_| {}).await else {
        return;
    };
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "客服系统"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let src: Value = res.json().await.unwrap();
    let id = src["id"].as_str().unwrap().to_owned();
    let old = src["secret"].as_str().unwrap().to_owned();
    assert_eq!(time_of(&src["created_at"]), start);

    // Rotated an hour after the source was made: the grace runs from the rotation.
    clock.advance(Duration::hours(1));
    let rotated_at = clock.now();
    let res = app
        .post_json(&format!("/api/v1/sources/{id}/rotate-secret"), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let expires = rotated_at + Duration::hours(24);
    assert_eq!(time_of(&rotated["previous_secret_expires_at"]), expires);
    let shown: Value = app
        .get(&format!("/api/v1/sources/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(time_of(&shown["previous_secret_expires_at"]), expires);
    let row = app
        .state
        .store
        .source(&app.workspace_id, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.previous_secret_expires_at, Some(expires));

    let mut stored = 0;
    accepted(
        deliver(&app, &id, &old, "old-at-rotation", clock.now()).await,
        "the old secret right after the rotation",
    )
    .await;
    accepted(
        deliver(&app, &id, &new, "new-at-rotation", clock.now()).await,
        "the new secret right after the rotation",
    )
    .await;
    stored += 2;
    for (after, name) in [
        (Duration::hours(23) + Duration::minutes(59), "old-at-23h59m"),
        (
            Duration::hours(24) - Duration::seconds(1),
            "old-at-23h59m59s",
        ),
    ] {
        clock.set(rotated_at + after);
        accepted(deliver(&app, &id, &old, name, clock.now()).await, name).await;
        stored += 1;
    }
    // At 24 hours the grace is over: the old secret is refused, the new one goes on.
    for (after, name) in [
        (Duration::hours(24), "at-24h"),
        (Duration::hours(24) + Duration::seconds(1), "at-24h+1s"),
    ] {
        clock.set(rotated_at + after);
        refused(
            deliver(&app, &id, &old, &format!("old-{name}"), clock.now()).await,
            &format!("the old secret {name}"),
        )
        .await;
        accepted(
            deliver(&app, &id, &new, &format!("new-{name}"), clock.now()).await,
            &format!("the new secret {name}"),
        )
        .await;
        stored += 1;
    }
    let row = app
        .state
        .store
        .source(&app.workspace_id, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.previous_secret_expires_at,
        Some(expires),
        "deliveries do not move the grace"
    );

    // The clock now stands a day ahead of the machine; the tolerance goes by the clock.
    let now = clock.now();
    for (offset, ok) in [(-6, false), (-4, true), (4, true), (6, false)] {
        let ts = now + Duration::minutes(offset);
        let name = format!("new-stamped-{offset}min");
        let res = deliver(&app, &id, &new, &name, ts).await;
        if ok {
            accepted(res, &name).await;
            stored += 1;
        } else {
            refused(res, &name).await;
        }
    }

    // What was refused stored nothing; what was taken was received at the clock's time.
    let items = app.all_feedback("channel=webhook").await;
    assert_eq!(items.len(), stored);
    let latest = items
        .iter()
        .map(|i| time_of(&i["received_at"]))
        .max()
        .unwrap();
    assert_eq!(latest, now);
    assert!(
        items
            .iter()
            .all(|i| !i["text"].as_str().unwrap().starts_with("old-at-24h")),
        "the old secret's refused deliveries left nothing"
    );
}
