//! The data lifecycle: webhook markers and finished deliveries pruned after their time, a
//! workspace's retention deleting old feedback with everything hanging off it, the online
//! backup of a SQLite database that is being written, and a workspace's export as JSON lines.
//! The clock is a manual one the test moves, so nothing here waits for days to pass.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use tingjian::collect::webhook::sign;
use tingjian::domain::Clock;
use tingjian::lifecycle::Lifecycle;
use tingjian::store::Store;

use crate::helpers::{assert_problem, tingjian, Backend, TestApp};
use crate::{both_backends, each_backend};

each_backend!(
    markers_and_finished_deliveries_are_pruned_after_their_time,
    pruning_in_batches_on_two_replicas_at_once,
    the_loop_prunes_by_itself,
    retention_deletes_old_feedback_with_what_hangs_off_it,
    backup_copies_a_database_being_written,
);

both_backends!(
    retention_is_a_validated_workspace_setting,
    export_holds_the_workspace_and_nothing_of_another
);

fn now_in_seconds() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

async fn spawn_at(backend: Backend, clock: &Clock) -> Option<TestApp> {
    let clock = clock.clone();
    TestApp::spawn_with(backend, move |s| s.clock = clock).await
}

/// A webhook source of the app's workspace (or of the workspace `key` belongs to): its id
/// and signing secret.
async fn webhook_source(app: &TestApp, key: &str) -> (String, String) {
    let res = app
        .client
        .post(app.url("/api/v1/sources"))
        .bearer_auth(key)
        .json(&json!({"kind": "webhook", "name": "客服系统"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let src: Value = res.json().await.unwrap();
    (
        src["id"].as_str().unwrap().to_owned(),
        src["secret"].as_str().unwrap().to_owned(),
    )
}

/// Delivers `body` signed as Standard Webhooks message `msg_id`, stamped with the clock's
/// time; returns the answer's body (asserting a 200).
async fn deliver(
    app: &TestApp,
    (source, secret): &(String, String),
    msg_id: &str,
    body: &Value,
    clock: &Clock,
) -> Value {
    let body = body.to_string();
    let ts = clock.now().timestamp().to_string();
    let sig = sign(secret, msg_id, &ts, body.as_bytes()).unwrap();
    let res = app
        .client
        .post(app.url(&format!("/hooks/{source}")))
        .header("content-type", "application/json")
        .header("webhook-id", msg_id)
        .header("webhook-timestamp", ts)
        .header("webhook-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, 200, "{msg_id}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// One number from SQL run on the app's database.
async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.state.store.connection();
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap_or_else(|_| {
        // SUM over no rows is NULL; PostgreSQL's SUM of BIGINT is NUMERIC.
        row.try_get_by_index::<Option<i64>>(0)
            .ok()
            .flatten()
            .unwrap_or(0)
    })
}

async fn json_of(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// A marker is kept for seven days, so a sender's retry within them is a replay; after them
/// it is gone and the id is new again. A sent delivery stays in the outbox for 90 days, a
/// pending one until it is sent.
async fn markers_and_finished_deliveries_are_pruned_after_their_time(backend: Backend) {
    let clock = Clock::manual(now_in_seconds());
    let Some(app) = spawn_at(backend, &clock).await else {
        return;
    };
    let lifecycle = &app.workers.lifecycle;
    let src = webhook_source(&app, &app.api_key).await;
    let item = json!({"text": "客服回复太慢了"});
    assert_eq!(
        deliver(&app, &src, "msg-1", &item, &clock).await["replayed"],
        false
    );

    clock.advance(Duration::days(7) - Duration::minutes(1));
    assert_eq!(
        lifecycle.prune(clock.now()).await.unwrap().webhook_markers,
        0
    );
    assert_eq!(
        deliver(&app, &src, "msg-1", &item, &clock).await["replayed"],
        true,
        "a retry within the week is a replay"
    );
    clock.advance(Duration::minutes(2));
    assert_eq!(
        lifecycle.prune(clock.now()).await.unwrap().webhook_markers,
        1
    );
    assert_eq!(
        lifecycle.prune(clock.now()).await.unwrap().webhook_markers,
        0,
        "a second prune finds nothing"
    );
    assert_eq!(
        deliver(&app, &src, "msg-1", &item, &clock).await["replayed"],
        false,
        "after the week the id is new again"
    );

    // One sent delivery and one pending one.
    json_of(
        app.post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": "ops@example.com"}),
        )
        .await,
    )
    .await;
    let sent = json_of(
        app.post_json("/api/v1/digests/2026-W47/send", &json!({}))
            .await,
    )
    .await;
    assert_eq!(sent["queued"], 1, "{sent}");
    let store = &app.state.store;
    let sub = store
        .subscriptions(&app.workspace_id)
        .await
        .unwrap()
        .remove(0);
    assert!(store
        .enqueue_delivery(&sub, "digest", "2026-W46", None)
        .await
        .unwrap());
    let statuses = |log: Value| -> Vec<String> {
        let mut s: Vec<String> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["status"].as_str().unwrap().to_owned())
            .collect();
        s.sort();
        s
    };
    let log = json_of(app.get("/api/v1/digest-deliveries").await).await;
    assert_eq!(statuses(log), ["pending", "sent"]);

    clock.advance(Duration::days(90) - Duration::minutes(1));
    assert_eq!(lifecycle.prune(clock.now()).await.unwrap().deliveries, 0);
    clock.advance(Duration::minutes(2));
    let pruned = lifecycle.prune(clock.now()).await.unwrap();
    assert_eq!(pruned.deliveries, 1, "{pruned:?}");
    let log = json_of(app.get("/api/v1/digest-deliveries").await).await;
    assert_eq!(
        statuses(log),
        ["pending"],
        "a pending delivery is never pruned"
    );
}

/// Many markers go in batches; two replicas pruning at the same moment delete each row once
/// between them, and only one of them claims a round in an interval.
async fn pruning_in_batches_on_two_replicas_at_once(backend: Backend) {
    let clock = Clock::manual(now_in_seconds());
    let Some(app) = spawn_at(backend, &clock).await else {
        return;
    };
    let src = webhook_source(&app, &app.api_key).await;
    for i in 0..25 {
        let item = json!({"text": format!("第{i}条：页面加载太慢")});
        deliver(&app, &src, &format!("msg-{i}"), &item, &clock).await;
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM webhook_delivery").await,
        25
    );
    clock.advance(Duration::days(8));
    let now = clock.now();

    let mut one = app.workers.lifecycle.clone();
    one.batch = 4;
    let other = Store::connect(&app.database_url)
        .await
        .unwrap()
        .with_clock(clock.clone());
    let mut two = Lifecycle::new(other, clock.clone());
    two.batch = 4;
    let (a, b) = tokio::join!(one.prune(now), two.prune(now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.webhook_markers + b.webhook_markers, 25, "{a:?} {b:?}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM webhook_delivery").await,
        0
    );
    let items = app.all_feedback("").await;
    assert_eq!(items.len(), 25, "pruning markers leaves the feedback alone");

    let every = Duration::hours(1);
    let (x, y) = tokio::join!(
        one.store.claim_job("lifecycle", now, every),
        two.store.claim_job("lifecycle", now, every)
    );
    assert!(
        x.unwrap() ^ y.unwrap(),
        "exactly one of two replicas claims the round"
    );
    let later = now + Duration::minutes(30);
    assert!(!one
        .store
        .claim_job("lifecycle", later, every)
        .await
        .unwrap());
    assert!(!two
        .store
        .claim_job("lifecycle", later, every)
        .await
        .unwrap());
    let next = now + every;
    assert!(two.store.claim_job("lifecycle", next, every).await.unwrap());
    assert!(!one.store.claim_job("lifecycle", next, every).await.unwrap());
}

/// `serve`'s own loop prunes without being asked.
async fn the_loop_prunes_by_itself(backend: Backend) {
    let clock = Clock::manual(now_in_seconds());
    let loop_clock = clock.clone();
    let Some(app) = TestApp::spawn_with(backend, move |s| {
        s.clock = loop_clock;
        s.run_lifecycle = true;
        s.lifecycle_tick = std::time::Duration::from_millis(50);
    })
    .await
    else {
        return;
    };
    let src = webhook_source(&app, &app.api_key).await;
    deliver(&app, &src, "msg-loop", &json!({"text": "支付失败"}), &clock).await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM webhook_delivery").await,
        1
    );
    clock.advance(Duration::days(8));
    let mut left = 1;
    for _ in 0..400 {
        left = count(&app, "SELECT COUNT(*) FROM webhook_delivery").await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "the loop pruned the week-old marker");
}

async fn retention_is_a_validated_workspace_setting(app: TestApp) {
    let ws = json_of(app.get("/api/v1/workspace").await).await;
    assert_eq!(
        ws["retention_days"],
        Value::Null,
        "kept for ever by default"
    );
    let set = json_of(
        app.patch_json("/api/v1/workspace", &json!({"retention_days": 30}))
            .await,
    )
    .await;
    assert_eq!(set["retention_days"], 30);
    let set = json_of(
        app.patch_json("/api/v1/workspace", &json!({"name": "新名字"}))
            .await,
    )
    .await;
    assert_eq!(set["retention_days"], 30, "a patch without it keeps it");
    for bad in [
        json!(29),
        json!(3651),
        json!(0),
        json!(-5),
        json!(90.5),
        json!("90"),
        json!(true),
    ] {
        let res = app
            .patch_json("/api/v1/workspace", &json!({"retention_days": bad}))
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "/retention_days", "{bad}");
    }
    let set = json_of(
        app.patch_json("/api/v1/workspace", &json!({"retention_days": 3650}))
            .await,
    )
    .await;
    assert_eq!(set["retention_days"], 3650);
    let set = json_of(
        app.patch_json("/api/v1/workspace", &json!({"retention_days": null}))
            .await,
    )
    .await;
    assert_eq!(set["retention_days"], Value::Null);

    // Admins only: a read key may look, not change.
    let read = app.key_with("read,ingest").await;
    let res = app
        .client
        .patch(app.url("/api/v1/workspace"))
        .bearer_auth(&read)
        .json(&json!({"retention_days": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // The console's settings page offers it to admins, prefilled.
    json_of(
        app.patch_json("/api/v1/workspace", &json!({"retention_days": 400}))
            .await,
    )
    .await;
    let admin = app.console("admin").await;
    let page = admin.page("/manage/settings").await;
    assert!(page.contains("反馈保留天数"), "{page}");
    assert!(page.contains("name=\"retention_days\""));
    assert!(page.contains("value=\"400\""));
    let res = admin
        .api(
            "PATCH",
            "/api/v1/workspace",
            Some(&json!({"retention_days": null})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let viewer = app.console("viewer").await;
    let res = viewer.get("/manage/settings").await;
    assert_eq!(res.status(), 403);
}

async fn upload_interview(app: &TestApp, title: &str, who: &str) {
    let body = json!({"title": title, "format": "text",
        "transcript": "主持人：最近用得怎么样？\n用户：支付老是失败，闪退也很频繁。\n",
        "interviewee": {"id": who}});
    assert_eq!(
        app.post_json("/api/v1/interviews", &body).await.status(),
        201
    );
}

/// Old feedback, survey responses and interviews go, with their pain points, label
/// corrections, answers and survey counts; new ones stay, and so does another workspace's
/// old feedback.
async fn retention_deletes_old_feedback_with_what_hangs_off_it(backend: Backend) {
    let start = now_in_seconds();
    let clock = Clock::manual(start);
    let Some(app) = spawn_at(backend, &clock).await else {
        return;
    };
    let ws = app.workspace_id.clone();
    let src = webhook_source(&app, &app.api_key).await;
    let (other_ws, other_key) = app.other_workspace().await;
    let other_src = webhook_source(&app, &other_key).await;
    let survey = json_of(
        app.post_json(
            "/api/v1/surveys",
            &json!({"title": "满意度", "questions": [
                {"id": "q1", "type": "nps", "title": "推荐我们吗？"},
                {"id": "q2", "type": "multi_choice", "title": "常用功能", "options": ["下单", "客服"]},
                {"id": "q3", "type": "text", "title": "想说的话"}]}),
        )
        .await,
    )
    .await;
    let survey = survey["id"].as_str().unwrap().to_owned();
    let respond = |who: &'static str, text: &'static str| {
        let url = app.url(&format!("/s/{survey}/responses"));
        let client = app.client.clone();
        async move {
            let res = client
                .post(url)
                .json(&json!({"respondent": {"id": who},
                    "answers": {"q1": 3, "q2": ["下单", "客服"], "q3": text}}))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{}", res.status());
        }
    };

    // What is old by the end: given now.
    let old: Vec<Value> = (0..5)
        .map(|i| json!({"text": format!("第{i}次闪退了，太卡了"), "respondent_id": "u-old", "external_id": format!("old-{i}")}))
        .collect();
    deliver(&app, &src, "old-batch", &json!({ "items": old }), &clock).await;
    for text in ["老是闪退", "支付失败", "客服太慢"] {
        respond("u-old", text).await;
    }
    upload_interview(&app, "旧访谈", "u-old").await;
    deliver(
        &app,
        &other_src,
        "other-old",
        &json!({"text": "别家的旧反馈：闪退", "respondent_id": "u-old"}),
        &clock,
    )
    .await;
    let corrected = app.all_feedback("respondent_id=u-old").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/feedback/{corrected}/labels")))
        .bearer_auth(&app.api_key)
        .json(&json!({"sentiment": "negative", "pain_points": ["crash"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // What is new: given 40 days later.
    clock.advance(Duration::days(40));
    let new: Vec<Value> = (0..2)
        .map(|i| json!({"text": format!("新版本第{i}次闪退"), "respondent_id": "u-new", "external_id": format!("new-{i}")}))
        .collect();
    deliver(&app, &src, "new-batch", &json!({ "items": new }), &clock).await;
    for text in ["还是闪退", "优惠券用不了"] {
        respond("u-new", text).await;
    }
    upload_interview(&app, "新访谈", "u-new").await;

    let feedback_before = app.all_feedback("").await.len();
    let old_items = app.all_feedback("respondent_id=u-old").await.len();
    assert_eq!(
        old_items,
        5 + 3 + 1,
        "5 webhook items, 3 text answers, 1 interview turn"
    );
    json_of(
        app.patch_json("/api/v1/workspace", &json!({"retention_days": 30}))
            .await,
    )
    .await;

    let mut lifecycle = app.workers.lifecycle.clone();
    lifecycle.batch = 2;
    let done = lifecycle.apply_retention(clock.now()).await.unwrap();
    assert_eq!(
        done.len(),
        1,
        "only the workspace that set a retention: {done:?}"
    );
    let r = &done[0];
    assert_eq!(r.workspace_id, ws);
    assert_eq!(r.retention_days, 30);
    assert_eq!(r.before, clock.now() - Duration::days(30));
    assert_eq!(
        (r.feedback, r.survey_responses, r.interviews),
        (old_items as u64, 3, 1),
        "{r:?}"
    );

    let left = app.all_feedback("").await;
    assert_eq!(left.len(), feedback_before - old_items);
    assert!(
        left.iter().all(|i| i["respondent_id"] == "u-new"),
        "{left:?}"
    );
    assert_eq!(
        app.get("/api/v1/respondents/u-old").await.status(),
        404,
        "the old respondent's portrait is gone"
    );
    let portrait = json_of(app.get("/api/v1/respondents/u-new").await).await;
    assert_eq!(portrait["response_count"], 2, "{portrait}");

    let q = |sql: String| {
        let app = &app;
        async move { count(app, &sql).await }
    };
    assert_eq!(
        q(format!(
            "SELECT COUNT(*) FROM feedback_label WHERE workspace_id = '{ws}'"
        ))
        .await,
        0
    );
    assert_eq!(
        q(format!(
            "SELECT COUNT(*) FROM feedback_pain_point p WHERE workspace_id = '{ws}' AND NOT EXISTS \
             (SELECT 1 FROM feedback f WHERE f.id = p.feedback_id)"
        ))
        .await,
        0
    );
    assert!(
        q(format!(
            "SELECT COUNT(*) FROM feedback_pain_point WHERE workspace_id = '{ws}'"
        ))
        .await
            > 0,
        "the new items keep their pain points"
    );
    assert_eq!(
        q(format!(
            "SELECT COUNT(*) FROM interview WHERE workspace_id = '{ws}'"
        ))
        .await,
        1
    );
    // The survey's counts are what is left: the triggers took the deleted answers off.
    assert_eq!(
        q(format!(
            "SELECT COUNT(*) FROM survey_response WHERE survey_id = '{survey}'"
        ))
        .await,
        2
    );
    assert_eq!(
        q(format!(
            "SELECT CAST(SUM(responses) AS BIGINT) FROM survey_answer_tally \
             WHERE survey_id = '{survey}' AND question_id = ''"
        ))
        .await,
        2
    );
    assert_eq!(
        q(format!(
            "SELECT CAST(SUM(answers) AS BIGINT) FROM survey_answer_tally \
             WHERE survey_id = '{survey}' AND question_id <> ''"
        ))
        .await,
        q(format!(
            "SELECT COUNT(*) FROM survey_answer WHERE survey_id = '{survey}'"
        ))
        .await
    );
    assert_eq!(
        q(format!(
            "SELECT CAST(SUM(answers) AS BIGINT) FROM survey_answer_tally \
             WHERE survey_id = '{survey}' AND question_id = 'q2'"
        ))
        .await,
        4,
        "two responses of two options each"
    );
    assert_eq!(
        q(format!(
            "SELECT COUNT(*) FROM feedback WHERE workspace_id = '{other_ws}'"
        ))
        .await,
        1,
        "another workspace keeps its old feedback"
    );

    let again = lifecycle.apply_retention(clock.now()).await.unwrap();
    assert_eq!(
        (
            again[0].feedback,
            again[0].survey_responses,
            again[0].interviews
        ),
        (0, 0, 0)
    );
    json_of(
        app.patch_json("/api/v1/workspace", &json!({"retention_days": null}))
            .await,
    )
    .await;
    assert!(lifecycle
        .apply_retention(clock.now() + Duration::days(400))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(app.all_feedback("").await.len(), left.len());
}

/// `tingjian backup` copies the SQLite file while the service takes writes: the copy is
/// whole, holds every item acknowledged before it began, and no existing file is
/// overwritten. On PostgreSQL it refuses and says what to use.
async fn backup_copies_a_database_being_written(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let file = app.data_dir.join("backup.db");
    std::fs::create_dir_all(&app.data_dir).unwrap();
    if let Backend::Postgres = backend {
        let mut cmd = tingjian(&app);
        cmd.arg("backup").arg(&file);
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("pg_dump") && err.contains("PostgreSQL"),
            "{err}"
        );
        assert!(!file.exists());
        return;
    }
    let app = Arc::new(app);
    let src = webhook_source(&app, &app.api_key).await;
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let clock = app.state.clock.clone();
    let writer = {
        let (app, src, acked, stop) = (app.clone(), src.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let items: Vec<Value> = (0..20)
                    .map(|j| json!({"text": format!("第{i}批第{j}条：加载很慢")}))
                    .collect();
                let out = deliver(
                    &app,
                    &src,
                    &format!("w-{i}"),
                    &json!({ "items": items }),
                    &clock,
                )
                .await;
                acked.fetch_add(out["stored"].as_u64().unwrap(), Ordering::SeqCst);
                i += 1;
            }
        })
    };
    while acked.load(Ordering::SeqCst) < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before = acked.load(Ordering::SeqCst);
    let mut cmd = tingjian(&app);
    cmd.arg("backup").arg(&file);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let after_backup = acked.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["backend"], "sqlite");
    assert!(printed["bytes"].as_u64().unwrap() > 0);
    assert!(
        acked.load(Ordering::SeqCst) > after_backup || after_backup > before,
        "writes went on while the backup ran or after it"
    );

    let copy = Store::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let db = copy.connection();
    let check = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
    let n = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM feedback",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap() as u64;
    assert!(
        n >= before && n <= acked.load(Ordering::SeqCst),
        "the copy holds {n} items; {before} were acknowledged before it began"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only its owner may read a backup");
    }

    let size = std::fs::metadata(&file).unwrap().len();
    let mut cmd = tingjian(&app);
    cmd.arg("backup").arg(&file);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists"));
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        size,
        "not overwritten"
    );
}

/// Everything of one workspace, each record once with its `type`, across several pages;
/// nothing of another workspace, and nothing that signs in or signs (password and key
/// hashes, secrets, tokens).
async fn export_holds_the_workspace_and_nothing_of_another(app: TestApp) {
    let clock = app.state.clock.clone();
    let src = webhook_source(&app, &app.api_key).await;
    let (other_ws, other_key) = app.other_workspace().await;
    let other_src = webhook_source(&app, &other_key).await;
    deliver(
        &app,
        &other_src,
        "other",
        &json!({"text": "别家的秘密反馈", "respondent_id": "别家用户"}),
        &clock,
    )
    .await;
    // More items than one page holds.
    for batch in 0..2 {
        let items: Vec<Value> = (0..600)
            .map(|i| json!({"text": format!("第{batch}-{i}条：闪退太频繁"), "respondent_id": format!("u-{}", i % 7), "attributes": {"plan": "pro"}}))
            .collect();
        deliver(
            &app,
            &src,
            &format!("b-{batch}"),
            &json!({ "items": items }),
            &clock,
        )
        .await;
    }
    let survey = json_of(
        app.post_json(
            "/api/v1/surveys",
            &json!({"title": "满意度", "questions": [{"id": "q1", "type": "nps", "title": "推荐吗？"}]}),
        )
        .await,
    )
    .await;
    let res = app
        .client
        .post(app.url(&format!("/s/{}/responses", survey["id"].as_str().unwrap())))
        .json(&json!({"answers": {"q1": 9}, "respondent": {"id": "u-1"}}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(
        app.post_json(
            "/api/v1/interviews",
            &json!({"title": "访谈", "format": "text",
                "transcript": "主持人：最近用得怎么样？\n用户：支付老是失败。\n"}),
        )
        .await
        .status(),
        201
    );
    json_of(
        app.post_json(
            "/api/v1/digest-subscriptions",
            &json!({"email": "ops@example.com"}),
        )
        .await,
    )
    .await;
    json_of(
        app.post_json("/api/v1/dictionary", &json!({"words": ["听见"]}))
            .await,
    )
    .await;
    app.add_member_to(&app.workspace_id, "li@example.com", "editor")
        .await;
    app.add_member_to(&other_ws, "other@example.com", "admin")
        .await;

    let file = app.data_dir.join("export.jsonl");
    std::fs::create_dir_all(&app.data_dir).unwrap();
    let mut cmd = tingjian(&app);
    cmd.args(["export-workspace", "--workspace", &app.workspace_id])
        .arg(&file);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is one JSON object"))
        .collect();
    assert_eq!(lines[0]["type"], "workspace");
    assert_eq!(lines[0]["id"], app.workspace_id.as_str());
    let end = lines.last().unwrap();
    assert_eq!(end["type"], "end", "the last line closes the export: {end}");
    assert_eq!(end["records"], printed["records"]);
    let lines = &lines[..lines.len() - 1];
    let mut by_type = std::collections::BTreeMap::<String, u64>::new();
    for l in lines {
        *by_type
            .entry(l["type"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let printed_counts: std::collections::BTreeMap<String, u64> = printed["records"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .filter(|(_, v)| *v > 0)
        .collect();
    assert_eq!(by_type, printed_counts, "the printed counts are the lines");
    let n = |t: &str| by_type.get(t).copied().unwrap_or(0);
    assert_eq!(
        n("feedback"),
        1200 + 1,
        "the webhook items and the interview's turn (the survey's answer is a score only): {by_type:?}"
    );
    assert_eq!(
        (
            n("source"),
            n("survey"),
            n("survey_response"),
            n("interview")
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(
        (n("member"), n("subscription"), n("dictionary_word")),
        (1, 1, 1)
    );
    assert_eq!(n("key"), 1);
    assert_eq!(n("respondent"), 7);
    let ids: std::collections::HashSet<&str> = lines
        .iter()
        .filter(|l| l["type"] == "feedback")
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len() as u64, n("feedback"), "each item once");
    let item = lines.iter().find(|l| l["type"] == "feedback").unwrap();
    assert!(item["analysis"]["sentiment"].is_object(), "{item}");
    assert_eq!(item["attributes"]["plan"], "pro");

    for secret in [
        other_ws.as_str(),
        "别家",
        "other@example.com",
        app.api_key.as_str(),
        src.1.as_str(),
        "password_hash",
        "unsubscribe",
        "$argon2",
    ] {
        assert!(!text.contains(secret), "the export holds {secret:?}");
    }
    let key = lines.iter().find(|l| l["type"] == "key").unwrap();
    assert!(
        key.get("hash").is_none() && key["prefix"].is_string(),
        "{key}"
    );

    // The API streams the same lines, to admins only.
    let res = app.get("/api/v1/workspace/export").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/x-ndjson"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".jsonl"));
    assert_eq!(res.text().await.unwrap(), text);
    let read = app.key_with("read,ingest").await;
    let res = app
        .client
        .get(app.url("/api/v1/workspace/export"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "forbidden").await;

    let mut cmd = tingjian(&app);
    cmd.args(["export-workspace", "--workspace", &app.workspace_id])
        .arg(&file);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success(), "an existing file is not overwritten");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}
