//! The service goes by its clock, not the machine's: a manual clock the test holds and moves
//! decides a webhook secret's grace and the signature tolerance, the local day an alert
//! belongs to, the times rows are written with, and when the background poller finds a feed
//! due. Each clock starts at the real time (rounded), so nothing here expires with the date.

use std::sync::atomic::Ordering;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{json, Value};
use tingjian::collect::webhook::sign;
use tingjian::config::Settings;
use tingjian::domain::Clock;

use crate::each_backend;
use crate::helpers::{assert_problem, Backend, TestApp};
use crate::social::{feed_server, rss, FeedServer};

each_backend!(
    old_webhook_secret_ends_with_its_grace,
    alerts_once_per_local_day,
    background_poller_polls_when_the_clock_says,
    switched_off_poller_leaves_feeds_to_requests,
);

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

/// Today's noon in the workspace's zone (Asia/Shanghai), as UTC: 04:00 UTC, so that the next
/// local day begins while the UTC date is still the same.
fn local_noon_today() -> DateTime<Utc> {
    let today = Utc::now().with_timezone(&Shanghai).date_naive();
    Shanghai
        .from_local_datetime(&today.and_hms_opt(12, 0, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

const PAYMENT: [&str; 5] = [
    "支付失败，钱扣了订单却没成功",
    "微信付款一直失败，提示网络错误",
    "银行卡扣款了但显示未支付，退款也没到账",
    "付不了款，点支付就转圈然后失败",
    "支付宝支付失败三次了，太耽误事",
];

/// Twelve payment failures in the half hour before `now`, analysed by the same pipeline as
/// every ingest path: a spike against an empty week before.
async fn seed_payment_spike(app: &TestApp, now: DateTime<Utc>) {
    let items: Vec<Value> = (0..12)
        .map(|k| {
            json!({"text": PAYMENT[k % PAYMENT.len()], "external_id": format!("spike-{k}"),
            "occurred_at": (now - Duration::minutes(10 + k as i64)).to_rfc3339()})
        })
        .collect();
    app.store_items(items, "seed", now).await;
}

async fn subscribe(app: &TestApp, email: &str, alerts: bool) -> Value {
    let res = app
        .post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": email, "alerts": alerts}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// Every delivery of the workspace.
async fn all_deliveries(app: &TestApp) -> Vec<Value> {
    let res = app.get("/api/v1/digest-deliveries?limit=500").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

/// The alert deliveries of one subscription for one local day, by spike key.
fn alerts_of<'a>(deliveries: &'a [Value], sub: &Value, day: &str) -> Vec<&'a Value> {
    let suffix = format!("@{day}");
    let mut out: Vec<&Value> = deliveries
        .iter()
        .filter(|d| {
            d["kind"] == "alert"
                && d["subscription_id"] == sub["id"]
                && d["period"].as_str().unwrap().ends_with(&suffix)
        })
        .collect();
    out.sort_by_key(|d| d["period"].as_str().unwrap().to_owned());
    out
}

fn periods(alerts: &[&Value]) -> Vec<String> {
    alerts
        .iter()
        .map(|d| d["period"].as_str().unwrap().to_owned())
        .collect()
}

/// A spike alerts each subscription with alerts on once per local day of the workspace
/// (Asia/Shanghai), however often the check runs: the same instant twice, later the same
/// day, then past local midnight (still the same UTC date) once more. The delivery rows
/// carry the clock's times, so the store writes by the clock.
async fn alerts_once_per_local_day(backend: Backend) {
    let noon = local_noon_today();
    let clock = Clock::manual(noon);
    let Some(app) = spawn_at(backend, &clock, |_| {}).await else {
        return;
    };
    seed_payment_spike(&app, noon).await;
    let oncall = subscribe(&app, "oncall@example.com", true).await;
    let lead = subscribe(&app, "lead@example.com", true).await;
    let quiet = subscribe(&app, "quiet@example.com", false).await;
    assert_eq!(time_of(&oncall["created_at"]), noon);
    let alerting = [&oncall, &lead];

    let today = noon.with_timezone(&Shanghai).date_naive().to_string();
    let queued = app.workers.alerts.check_spikes(clock.now()).await.unwrap();
    assert!(
        queued >= 2 && queued % 2 == 0,
        "per spike and subscription: {queued}"
    );
    assert_eq!(
        app.workers.alerts.check_spikes(clock.now()).await.unwrap(),
        0,
        "the same instant again"
    );
    let rows = all_deliveries(&app).await;
    assert_eq!(rows.len(), queued, "{rows:#?}");
    let first = periods(&alerts_of(&rows, &oncall, &today));
    assert!(
        first.contains(&format!("pain_point:payment@{today}")),
        "{rows:#?}"
    );
    for sub in alerting {
        let mine = alerts_of(&rows, sub, &today);
        assert_eq!(
            periods(&mine),
            first,
            "one of each alert for {}",
            sub["email"]
        );
        for d in mine {
            assert_eq!(time_of(&d["created_at"]), noon, "{d}");
            assert_eq!(time_of(&d["next_attempt_at"]), noon, "{d}");
        }
    }
    assert!(rows.iter().all(|d| d["subscription_id"] != quiet["id"]));

    // Sent a minute later: the outbox finds them due by the clock and stamps its time.
    clock.advance(Duration::minutes(1));
    assert_eq!(app.workers.outbox.deliver_pending().await, queued);
    for d in all_deliveries(&app).await {
        assert_eq!(d["status"], "sent", "{d}");
        assert_eq!(time_of(&d["sent_at"]), noon + Duration::minutes(1), "{d}");
    }

    // 23:00 the same local day: the spike is still there, and still alerted already.
    clock.set(noon + Duration::hours(11));
    assert_eq!(
        app.workers.alerts.check_spikes(clock.now()).await.unwrap(),
        0,
        "later the same local day"
    );

    // 01:00 the next local day (17:00 UTC, the same UTC date), the spike still within the
    // last 24 hours: alerted again, once.
    let next = noon + Duration::hours(13);
    clock.set(next);
    assert_eq!(next.date_naive(), noon.date_naive(), "same UTC date");
    let tomorrow = next.with_timezone(&Shanghai).date_naive().to_string();
    assert_ne!(tomorrow, today);
    let again = app.workers.alerts.check_spikes(clock.now()).await.unwrap();
    assert!(again >= 2 && again % 2 == 0, "the next local day: {again}");
    assert_eq!(
        app.workers.alerts.check_spikes(clock.now()).await.unwrap(),
        0
    );
    let rows = all_deliveries(&app).await;
    assert_eq!(rows.len(), queued + again, "{rows:#?}");
    let second = periods(&alerts_of(&rows, &oncall, &tomorrow));
    assert!(
        second.contains(&format!("pain_point:payment@{tomorrow}")),
        "{rows:#?}"
    );
    for sub in alerting {
        let mine = alerts_of(&rows, sub, &tomorrow);
        assert_eq!(
            periods(&mine),
            second,
            "one of each alert for {}",
            sub["email"]
        );
        for d in mine {
            assert_eq!(d["status"], "pending", "{d}");
            assert_eq!(time_of(&d["created_at"]), next, "{d}");
        }
        assert_eq!(
            alerts_of(&rows, sub, &today).len(),
            first.len(),
            "yesterday's stay as they were"
        );
    }
    assert!(rows.iter().all(|d| d["subscription_id"] != quiet["id"]));
}

/// Waits (up to ten seconds) until the feed server has been hit `n` times; returns the hits.
async fn wait_for_hits(feed: &FeedServer, n: usize) -> usize {
    for _ in 0..200 {
        if feed.hits.load(Ordering::SeqCst) >= n {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    feed.hits.load(Ordering::SeqCst)
}

async fn feed_source(app: &TestApp, feed: &FeedServer) -> Value {
    *feed.body.lock().unwrap() = (rss(&[("c1", "听见 收不到验证码")]), "application/rss+xml");
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "feed", "name": "微博", "url": feed.url, "keywords": ["听见"], "interval_secs": 60}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn source(app: &TestApp, id: &str) -> Value {
    let res = app.get(&format!("/api/v1/sources/{id}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

const TICK: StdDuration = StdDuration::from_millis(50);

/// The background poller, ticking every 50 ms, fetches a new feed once and then leaves it
/// while the clock stands still, however many ticks go by; once the clock passes the
/// feed's interval it fetches again, once.
async fn background_poller_polls_when_the_clock_says(backend: Backend) {
    let start = now_in_seconds();
    let clock = Clock::manual(start);
    let Some(app) = spawn_at(backend, &clock, |s| {
        s.run_poller = true;
        s.poll_tick = TICK;
    })
    .await
    else {
        return;
    };
    let feed = feed_server().await;
    let src = feed_source(&app, &feed).await;
    let id = src["id"].as_str().unwrap();
    assert_eq!(time_of(&src["next_poll_at"]), start, "due at once");

    assert_eq!(wait_for_hits(&feed, 1).await, 1, "fetched by the poller");
    tokio::time::sleep(TICK * 8).await;
    assert_eq!(
        feed.hits.load(Ordering::SeqCst),
        1,
        "not again while the clock stands still"
    );
    let polled = source(&app, id).await;
    assert_eq!(
        time_of(&polled["next_poll_at"]),
        start + Duration::seconds(60)
    );
    assert_eq!(time_of(&polled["last_poll"]["last_polled_at"]), start);
    assert_eq!(polled["last_poll"]["last_stored"], 1);

    // 59 seconds on, the feed is not due yet.
    clock.advance(Duration::seconds(59));
    tokio::time::sleep(TICK * 8).await;
    assert_eq!(feed.hits.load(Ordering::SeqCst), 1, "not due at 59 s");

    // 61 seconds on, it is: fetched again (the unchanged feed answers 304), once.
    clock.advance(Duration::seconds(2));
    assert_eq!(wait_for_hits(&feed, 2).await, 2, "fetched again at 61 s");
    tokio::time::sleep(TICK * 8).await;
    assert_eq!(feed.hits.load(Ordering::SeqCst), 2, "and only once");
    let polled = source(&app, id).await;
    let at = start + Duration::seconds(61);
    assert_eq!(time_of(&polled["next_poll_at"]), at + Duration::seconds(60));
    assert_eq!(time_of(&polled["last_poll"]["last_polled_at"]), at);
    assert_eq!(app.all_feedback("channel=social").await.len(), 1);
}

/// With `run_poller = false` no background poll happens, however long the ticks and however
/// far the clock moves; a poll asked for by request still fetches, and reschedules the feed
/// one interval past the clock's time.
async fn switched_off_poller_leaves_feeds_to_requests(backend: Backend) {
    let start = now_in_seconds();
    let clock = Clock::manual(start);
    let Some(app) = spawn_at(backend, &clock, |s| {
        s.run_poller = false;
        s.poll_tick = TICK;
    })
    .await
    else {
        return;
    };
    let feed = feed_server().await;
    let src = feed_source(&app, &feed).await;
    let id = src["id"].as_str().unwrap();
    tokio::time::sleep(TICK * 8).await;
    assert_eq!(feed.hits.load(Ordering::SeqCst), 0, "due, but nobody polls");
    clock.advance(Duration::hours(2));
    tokio::time::sleep(TICK * 8).await;
    assert_eq!(
        feed.hits.load(Ordering::SeqCst),
        0,
        "long overdue, still nobody"
    );

    let res = app
        .post_json(&format!("/api/v1/sources/{id}/poll"), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"fetched": 1, "stored": 1, "not_modified": false})
    );
    assert_eq!(feed.hits.load(Ordering::SeqCst), 1);
    let polled = source(&app, id).await;
    let at = start + Duration::hours(2);
    assert_eq!(time_of(&polled["next_poll_at"]), at + Duration::seconds(60));
    assert_eq!(time_of(&polled["last_poll"]["last_polled_at"]), at);
    assert_eq!(app.all_feedback("channel=social").await.len(), 1);
    tokio::time::sleep(TICK * 4).await;
    assert_eq!(feed.hits.load(Ordering::SeqCst), 1);
}
