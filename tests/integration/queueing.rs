//! The outbox across deaths: a period's digests are queued in one transaction and a tick
//! that died is made good by the next; a robot message whose sending was cut off is not sent
//! a second time, and every robot message carries its delivery's number.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::robot_server::RobotServer;

both_backends!(
    a_tick_that_died_is_made_good_by_the_next,
    a_tick_that_fails_midway_queues_nothing,
    robot_messages_carry_their_delivery_number,
    a_robot_message_cut_off_mid_send_is_not_sent_again,
    a_robot_that_answers_too_late_is_not_sent_again,
);

async fn subscribe(app: &TestApp, body: Value) -> Value {
    let res = app.post_json("/api/v1/digest-subscriptions", &body).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// The database itself, beside the app's own connections: for what a dead process leaves.
async fn raw(app: &TestApp) -> DatabaseConnection {
    Database::connect(&app.database_url).await.expect("connect")
}

fn is_postgres(app: &TestApp) -> bool {
    app.database_url.starts_with("postgres")
}

/// The digest deliveries of `period`, as (subscription, status) pairs.
async fn queued(app: &TestApp, period: &str) -> Vec<(String, String)> {
    let mut rows: Vec<_> = app
        .state
        .store
        .deliveries(&app.workspace_id, None, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.kind == "digest" && d.period == period)
        .map(|d| (d.subscription_id, d.status))
        .collect();
    rows.sort();
    rows
}

/// The period the scheduler queues at `at` for a weekly subscription of the workspace.
fn weekly_period(at: chrono::DateTime<Utc>) -> String {
    use tingjian::insight::period::Granularity;
    let tz = chrono_tz::Asia::Shanghai;
    let due = tingjian::tell::outbox::last_due("weekly", 1, 9, tz, at).expect("a due time");
    tingjian::tell::build::last_complete_period(due, tz, Granularity::Week)
}

/// A run queued one subscription's digest and died: the next tick queues the other two, once.
async fn a_tick_that_died_is_made_good_by_the_next(app: TestApp) {
    for e in ["a@example.com", "b@example.com", "c@example.com"] {
        subscribe(&app, json!({"email": e})).await;
    }
    let later = Utc::now() + chrono::Duration::days(8);
    let period = weekly_period(later);
    let subs = app.state.store.live_subscriptions().await.unwrap();
    assert_eq!(subs.len(), 3);
    assert!(app
        .state
        .store
        .enqueue_delivery(&subs[1], "digest", &period, None)
        .await
        .unwrap());

    assert_eq!(app.workers.outbox.schedule_due(later).await.unwrap(), 2);
    assert_eq!(app.workers.outbox.schedule_due(later).await.unwrap(), 0);
    let rows = queued(&app, &period).await;
    let mut want: Vec<_> = subs
        .iter()
        .map(|s| (s.id.clone(), "pending".to_owned()))
        .collect();
    want.sort();
    assert_eq!(rows, want, "each subscription once");
}

/// An insert that fails for the last subscription (a trigger standing in for a kill or a lost
/// connection mid-run) leaves no digest of the period queued; once it passes, all are.
async fn a_tick_that_fails_midway_queues_nothing(app: TestApp) {
    for e in ["a@example.com", "b@example.com", "c@example.com"] {
        subscribe(&app, json!({"email": e})).await;
    }
    let later = Utc::now() + chrono::Duration::days(8);
    let period = weekly_period(later);
    let subs = app.state.store.live_subscriptions().await.unwrap();
    let last = &subs[2].id;
    let db = raw(&app).await;
    if is_postgres(&app) {
        db.execute_unprepared(&format!(
            "CREATE FUNCTION tj_fail() RETURNS trigger AS $$ BEGIN \
             IF NEW.subscription_id = '{last}' THEN RAISE EXCEPTION 'injected'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER tj_fail BEFORE INSERT ON digest_delivery \
             FOR EACH ROW EXECUTE FUNCTION tj_fail();"
        ))
        .await
        .unwrap();
    } else {
        db.execute_unprepared(&format!(
            "CREATE TRIGGER tj_fail BEFORE INSERT ON digest_delivery \
             WHEN NEW.subscription_id = '{last}' BEGIN SELECT RAISE(ABORT, 'injected'); END;"
        ))
        .await
        .unwrap();
    }
    assert!(app.workers.outbox.schedule_due(later).await.is_err());
    assert_eq!(queued(&app, &period).await, vec![], "all or nothing");

    let drop = if is_postgres(&app) {
        "DROP TRIGGER tj_fail ON digest_delivery"
    } else {
        "DROP TRIGGER tj_fail"
    };
    db.execute_unprepared(drop).await.unwrap();
    assert_eq!(app.workers.outbox.schedule_due(later).await.unwrap(), 3);
    assert_eq!(app.workers.outbox.schedule_due(later).await.unwrap(), 0);
    assert_eq!(queued(&app, &period).await.len(), 3);
}

async fn robot(app: &TestApp, robots: &RobotServer) {
    subscribe(
        app,
        json!({"robot": {"kind": "wecom", "webhook_url": robots.webhook_url("wecom")}}),
    )
    .await;
}

async fn deliveries(app: &TestApp) -> Vec<Value> {
    let list: Value = app
        .get("/api/v1/digest-deliveries")
        .await
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().clone()
}

/// The message ends with `编号 dlv_…`, the delivery's id, so a repeat can be recognised.
async fn robot_messages_carry_their_delivery_number(app: TestApp) {
    let robots = RobotServer::start().await;
    robot(&app, &robots).await;
    app.workers
        .outbox
        .send_now(&app.workspace_id, "2026-W45")
        .await
        .unwrap();
    let got = robots.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1, "{:?}", robots.rejected());
    let d = &deliveries(&app).await[0];
    assert_eq!(d["status"], "sent", "{d}");
    let id = d["id"].as_str().unwrap();
    assert!(
        got[0].text.contains(&format!("编号 {id}")),
        "{}",
        got[0].text
    );
}

/// What a process that died leaves: the delivery claimed (attempt 1), its lease over, and —
/// if it died after handing the message over — attempt 1 marked as sending.
async fn as_if_died(app: &TestApp, id: &str, after_handing_over: bool) {
    let mark = if after_handing_over { "1" } else { "NULL" };
    raw(app)
        .await
        .execute_unprepared(&format!(
            "UPDATE digest_delivery SET attempts = 1, locked_until = NULL, \
             sending_attempt = {mark} WHERE id = '{id}'"
        ))
        .await
        .unwrap();
}

/// Died between handing the message to the robot and recording the answer: the next worker
/// does not send it again, and says so; died before handing it over: sent, once.
async fn a_robot_message_cut_off_mid_send_is_not_sent_again(app: TestApp) {
    let robots = RobotServer::start().await;
    robot(&app, &robots).await;
    let sub = &app.state.store.live_subscriptions().await.unwrap()[0];
    for (period, after) in [("2026-W44", true), ("2026-W45", false)] {
        assert!(app
            .state
            .store
            .enqueue_delivery(sub, "digest", period, None)
            .await
            .unwrap());
        let id = deliveries(&app)
            .await
            .into_iter()
            .find(|d| d["period"] == period)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        as_if_died(&app, &id, after).await;
    }
    for _ in 0..3 {
        app.workers.outbox.deliver_pending().await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = robots.received();
    assert_eq!(got.len(), 1, "only the one never handed over: {got:?}");
    let all = deliveries(&app).await;
    let of = |p: &str| all.iter().find(|d| d["period"] == p).unwrap().clone();
    let cut = of("2026-W44");
    assert_eq!(cut["status"], "unconfirmed", "{cut}");
    let why = cut["last_error"].as_str().unwrap();
    assert!(why.contains("not sent again"), "{why}");
    assert!(why.contains(cut["id"].as_str().unwrap()), "{why}");
    let sent = of("2026-W45");
    assert_eq!(sent["status"], "sent", "{sent}");
    assert!(got[0].text.contains(sent["id"].as_str().unwrap()));
    // The unconfirmed one stays as it is.
    app.workers.outbox.deliver_pending().await;
    assert_eq!(robots.received().len(), 1);
    let status = app
        .get("/api/v1/digest-deliveries?status=unconfirmed")
        .await;
    assert_eq!(status.status(), 200);
}

/// A robot that posts the message but answers only after the outbound requests' 30-second
/// cut-off: the outcome is unknown, so the delivery is `unconfirmed` at once and never posted
/// a second time (it used to be retried a minute later, and the group saw it twice).
async fn a_robot_that_answers_too_late_is_not_sent_again(app: TestApp) {
    let robots = RobotServer::start().await;
    robots.hold_replies(Some(Duration::from_secs(45)));
    robot(&app, &robots).await;
    app.workers
        .outbox
        .send_now(&app.workspace_id, "2026-W45")
        .await
        .unwrap();
    robots.hold_replies(None);
    let d = &deliveries(&app).await[0];
    assert_eq!(d["status"], "unconfirmed", "{d}");
    let id = d["id"].as_str().unwrap();
    let why = d["last_error"].as_str().unwrap();
    assert!(why.contains("did not answer") && why.contains(id), "{why}");
    app.workers.outbox.deliver_pending().await;
    let got = robots.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].text.contains(&format!("编号 {id}")));
}
