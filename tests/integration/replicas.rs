//! Two `tingjian serve` processes against one PostgreSQL database, as two replicas behind a
//! load balancer: ingestion spread over both, each digest delivered once, each feed polled by
//! one replica per interval, and one replica killed (SIGKILL) while it holds a feed and a
//! delivery, which the other takes over when the claims' leases end. The replicas run with
//! short ticks and leases (`TINGJIAN_*_TICK_SECS`, `TINGJIAN_*_LEASE_SECS`); which replica
//! claimed what is read from their logs.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use chrono::Utc;
use serde_json::{json, Value};
use tingjian::collect::webhook::sign;
use tingjian::domain::Clock;

use crate::helpers::{Backend, TestApp, LOCAL_URLS};
use crate::smtp_server::SmtpServer;

/// A replica: the process, its port and every line it logged.
struct Replica {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<Value>>>,
}

impl Replica {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Whether it logged `message` with `field` = `value`.
    fn logged(&self, message: &str, field: &str, value: &str) -> bool {
        self.log.lock().unwrap().iter().any(|e| {
            e["fields"]["message"] == message && e["fields"][field].as_str() == Some(value)
        })
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tingjian serve` against `database_url` and waits until it listens.
fn start_replica(database_url: &str, smtp_url: &str, data_dir: &std::path::Path) -> Replica {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tingjian"))
        .args(["serve", "--bind", "127.0.0.1:0", "--workers", "1"])
        .env("DATABASE_URL", database_url)
        .env("TINGJIAN_DATA_DIR", data_dir)
        .env("TINGJIAN_ALLOW_PRIVATE_URLS", LOCAL_URLS)
        .env("TINGJIAN_SMTP_URL", smtp_url)
        .env("TINGJIAN_SURVEY_RATE", "100000")
        .env("TINGJIAN_POLL_TICK_SECS", "1")
        .env("TINGJIAN_POLL_LEASE_SECS", "10")
        .env("TINGJIAN_DELIVERY_TICK_SECS", "1")
        .env("TINGJIAN_DELIVERY_LEASE_SECS", "10")
        .env("TINGJIAN_LOG_FORMAT", "json")
        .env(
            "RUST_LOG",
            "warn,tingjian=info,tingjian::tell::outbox=debug,tingjian::collect::poller=debug",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tingjian serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.expect("read the replica's log");
        seen.push_str(&line);
        seen.push('\n');
        let Ok(entry) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let port = (entry["fields"]["message"] == "listening")
            .then(|| entry["fields"]["port"].as_u64())
            .flatten();
        log.lock().unwrap().push(entry);
        if let Some(port) = port {
            let keep = log.clone();
            // Keep reading, so the log is there to look at and a full pipe never blocks it.
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    if let Ok(entry) = serde_json::from_str::<Value>(&line) {
                        keep.lock().unwrap().push(entry);
                    }
                }
            });
            return Replica {
                child,
                port: port as u16,
                log,
            };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("tingjian serve stopped before listening:\n{seen}");
}

/// What the replicas fetch from and post to: feeds at `/feed/{name}` and a WeCom-shaped
/// robot at `/cgi-bin/webhook/send?key={name}`. Every request is counted by name; names
/// starting with `hang` are held unanswered until [`Outside::release`].
#[derive(Default)]
struct Seen {
    feed_hits: Mutex<HashMap<String, usize>>,
    /// Robot messages by the delivery id they end with (`编号 dlv_…`).
    robot_posts: Mutex<HashMap<String, usize>>,
    robot_keys: Mutex<HashMap<String, usize>>,
    released: AtomicBool,
}

struct Outside {
    port: u16,
    seen: Arc<Seen>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Outside {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn hold(seen: &Seen, name: &str) {
    if name.starts_with("hang") {
        while !seen.released.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn feed(seen: web::Data<Seen>, name: web::Path<String>) -> HttpResponse {
    *seen
        .feed_hits
        .lock()
        .unwrap()
        .entry(name.clone())
        .or_default() += 1;
    hold(&seen, &name).await;
    let items: String = (1..=3)
        .map(|k| {
            format!(
                "<item><guid>{name}-{k}</guid><title>t</title><description>听见 第{k}条：{name}</description>\
                 <pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>"
            )
        })
        .collect();
    HttpResponse::Ok()
        .content_type("application/rss+xml")
        .body(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
             <title>f</title><link>https://example.com</link><description>d</description>{items}</channel></rss>"
        ))
}

async fn robot(seen: web::Data<Seen>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let key = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("key").cloned())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let delivery = text
        .split("编号 ")
        .nth(1)
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .unwrap_or_default();
    *seen
        .robot_keys
        .lock()
        .unwrap()
        .entry(key.clone())
        .or_default() += 1;
    *seen
        .robot_posts
        .lock()
        .unwrap()
        .entry(delivery)
        .or_default() += 1;
    hold(&seen, &key).await;
    HttpResponse::Ok().json(json!({"errcode": 0, "errmsg": "ok"}))
}

impl Outside {
    async fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Seen::default());
        let data = web::Data::from(seen.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .route("/feed/{name}", web::get().to(feed))
                        .route("/cgi-bin/webhook/send", web::post().to(robot))
                })
                .workers(2)
                .disable_signals()
                .shutdown_timeout(1)
                .listen(listener)
                .unwrap()
                .run();
                let _ = tx.send(server.handle());
                let _ = server.await;
            })
        });
        let handle = rx.await.unwrap();
        Self { port, seen, handle }
    }

    fn feed_url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/feed/{name}", self.port)
    }

    fn robot_url(&self, name: &str) -> String {
        format!(
            "http://127.0.0.1:{}/cgi-bin/webhook/send?key={name}",
            self.port
        )
    }

    fn feed_hits(&self, name: &str) -> usize {
        *self.seen.feed_hits.lock().unwrap().get(name).unwrap_or(&0)
    }

    fn robot_hits(&self, key: &str) -> usize {
        *self.seen.robot_keys.lock().unwrap().get(key).unwrap_or(&0)
    }
}

/// Waits until `cond` (an expression that may `.await`) holds, checking every 50 ms, at
/// most `secs` seconds (then fails with `what`). A bound on a wait, not a timed assertion.
macro_rules! wait_until {
    ($secs:expr, $what:expr, $cond:expr) => {{
        let deadline = tokio::time::Instant::now() + Duration::from_secs($secs);
        while !$cond {
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited too long for {}",
                $what
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }};
}

/// One client's writes, sent to the replicas in turn; a request that gets no answer, or a
/// 5xx, is retried on the next replica with the same ids (as a client behind a load balancer
/// would). Returns the external ids of the items whose request was acknowledged.
struct Load {
    client: reqwest::Client,
    ports: Arc<Mutex<Vec<u16>>>,
    source: String,
    secret: String,
    survey: String,
}

impl Load {
    async fn send(&self, i: usize, tag: &str) -> Vec<String> {
        let (path, body, ids, headers): (String, Value, Vec<String>, bool) = match i % 3 {
            0 => {
                let id = format!("{tag}-w{i}");
                (
                    format!("/hooks/{}", self.source),
                    json!({"text": format!("第{i}条反馈：打开就闪退"), "external_id": id}),
                    vec![id],
                    true,
                )
            }
            1 => {
                let ids: Vec<String> = (0..20).map(|k| format!("{tag}-b{i}-{k}")).collect();
                let items: Vec<Value> = ids
                    .iter()
                    .map(|id| json!({"text": format!("批量{id}：客服回复太慢"), "external_id": id}))
                    .collect();
                (
                    format!("/hooks/{}", self.source),
                    json!({ "items": items }),
                    ids,
                    true,
                )
            }
            _ => {
                // A survey answer's item is known by its text (its external id is the
                // service's own response id, not the client's).
                let rid = format!("{tag}-resp-{i}");
                let text = format!("问卷{tag}{i}：页面加载太慢");
                (
                    format!("/s/{}/responses", self.survey),
                    json!({"response_id": rid, "answers": {"q1": 3, "q2": text}}),
                    vec![format!("survey:{text}")],
                    false,
                )
            }
        };
        let raw = body.to_string();
        let msg_id = format!("msg-{tag}-{i}");
        for attempt in 0..40 {
            let port = {
                let ports = self.ports.lock().unwrap();
                ports[(i + attempt) % ports.len()]
            };
            let mut req = self
                .client
                .post(format!("http://127.0.0.1:{port}{path}"))
                .header("content-type", "application/json")
                .body(raw.clone());
            if headers {
                let ts = Utc::now().timestamp().to_string();
                let sig = sign(&self.secret, &msg_id, &ts, raw.as_bytes()).unwrap();
                req = req
                    .header("webhook-id", &msg_id)
                    .header("webhook-timestamp", ts)
                    .header("webhook-signature", sig);
            }
            match req.send().await {
                Ok(res) if res.status().is_success() => return ids,
                Ok(res) if res.status().is_server_error() => {}
                Ok(res) => panic!("{path}: {} {}", res.status(), res.text().await.unwrap()),
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{path} {i}: no replica took it");
    }
}

async fn deliveries(app: &TestApp) -> Vec<Value> {
    let res = app.get("/api/v1/digest-deliveries?limit=500").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

async fn create(app: &TestApp, path: &str, body: Value) -> String {
    let res = app.post_json(path, &body).await;
    assert_eq!(res.status(), 201, "{path}");
    let v: Value = res.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_as_one() {
    // The test's own app only sets things up and reads them back (its poller and outbox are
    // off). Its clock stands a week back, so the subscriptions made through it existed
    // before their last send time and are due as soon as a replica looks.
    let week_ago = Utc::now() - chrono::Duration::days(8);
    let Some(app) =
        TestApp::spawn_with(Backend::Postgres, |s| s.clock = Clock::manual(week_ago)).await
    else {
        return;
    };
    let smtp = SmtpServer::start().await;
    let outside = Outside::start().await;

    // Before the replicas start: five subscriptions (mail and robots) and four feeds, all due.
    let mut emails = Vec::new();
    for n in 0..3 {
        let email = format!("ops{n}@example.com");
        create(
            &app,
            "/api/v1/digest-subscriptions",
            json!({"email": email, "frequency": "daily", "hour": 0}),
        )
        .await;
        emails.push(email);
    }
    for n in 0..2 {
        let url = outside.robot_url(&format!("robot{n}"));
        create(&app, "/api/v1/digest-subscriptions", json!({"robot": {"kind": "wecom", "webhook_url": url}, "frequency": "daily", "hour": 0})).await;
    }
    let mut feeds = Vec::new();
    for n in 0..4 {
        let name = format!("feed{n}");
        create(&app, "/api/v1/sources", json!({"kind": "feed", "name": name, "url": outside.feed_url(&name), "keywords": ["听见"], "interval_secs": 3600})).await;
        feeds.push(name);
    }
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "客服系统"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let hook: Value = res.json().await.unwrap();
    let survey = crate::surveys::create_survey(&app, &crate::surveys::nps_survey()).await;

    let dirs = tempfile::tempdir().unwrap();
    let (db, smtp_url) = (app.database_url.clone(), smtp.url());
    let (a, b) = {
        let (db2, smtp2) = (db.clone(), smtp_url.clone());
        let (d1, d2) = (dirs.path().join("a"), dirs.path().join("b"));
        let a = tokio::task::spawn_blocking(move || start_replica(&db, &smtp_url, &d1));
        let b = tokio::task::spawn_blocking(move || start_replica(&db2, &smtp2, &d2));
        (a.await.unwrap(), b.await.unwrap())
    };
    let mut replicas = [a, b];
    let load = Arc::new(Load {
        client: reqwest::Client::new(),
        ports: Arc::new(Mutex::new(replicas.iter().map(|r| r.port).collect())),
        source: hook["id"].as_str().unwrap().to_owned(),
        secret: hook["secret"].as_str().unwrap().to_owned(),
        survey,
    });

    // Phase one: writes through both, digests and feeds on their own.
    let mut acked: Vec<String> = Vec::new();
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let load = load.clone();
            tokio::spawn(async move { load.send(i, "one").await })
        })
        .collect();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    wait_until!(
        30,
        "the five digests sent",
        async {
            let d = deliveries(&app).await;
            d.len() == 5 && d.iter().all(|d| d["status"] == "sent")
        }
        .await
    );
    wait_until!(
        30,
        "every feed polled",
        async { feeds.iter().all(|f| outside.feed_hits(f) >= 1) }.await
    );

    // Phase two: load keeps coming while one replica holds a robot delivery and a feed
    // mid-request (their servers hold those requests), and is killed.
    let background = {
        let load = load.clone();
        tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..90 {
                acked.extend(load.send(i, "two").await);
            }
            acked
        })
    };
    let hang_sub = create(&app, "/api/v1/digest-subscriptions", json!({"robot": {"kind": "wecom", "webhook_url": outside.robot_url("hang")}, "frequency": "daily", "hour": 0})).await;
    let mut hang_delivery = String::new();
    wait_until!(
        30,
        "the held robot delivery claimed and posted",
        async {
            if let Some(d) = deliveries(&app)
                .await
                .into_iter()
                .find(|d| d["subscription_id"] == hang_sub.as_str())
            {
                hang_delivery = d["id"].as_str().unwrap().to_owned();
            }
            outside.robot_hits("hang") == 1
        }
        .await
    );
    let victim = replicas
        .iter()
        .position(|r| r.logged("claimed a delivery", "delivery", &hang_delivery))
        .expect("a replica logged its claim");
    let survivor = 1 - victim;
    // A held feed the victim claimed: if the survivor takes the first one, its poller waits
    // on it, and the next one can only go to the victim.
    let mut held_feeds: Vec<(String, String)> = Vec::new();
    let victims_feed = loop {
        assert!(held_feeds.len() < 4, "the victim never claimed a held feed");
        let name = format!("hang{}", held_feeds.len());
        let id = create(&app, "/api/v1/sources", json!({"kind": "feed", "name": name, "url": outside.feed_url(&name), "keywords": ["听见"], "interval_secs": 3600})).await;
        wait_until!(
            30,
            "the held feed claimed",
            async { outside.feed_hits(&name) == 1 }.await
        );
        held_feeds.push((name.clone(), id.clone()));
        if replicas[victim].logged("claimed a due source", "source", &id) {
            break name;
        }
    };
    replicas[victim].child.kill().expect("SIGKILL the victim");
    replicas[victim].child.wait().unwrap();
    load.ports
        .lock()
        .unwrap()
        .retain(|p| *p == replicas[survivor].port);
    outside.seen.released.store(true, Ordering::SeqCst);
    acked.extend(background.await.unwrap());

    // The survivor takes over once the leases end: the victim's feed is polled again and
    // its robot delivery is closed without a second post (it may have reached the group).
    wait_until!(
        40,
        "the victim's feed polled by the survivor",
        async { outside.feed_hits(&victims_feed) == 2 }.await
    );
    wait_until!(
        40,
        "every delivery finished",
        async {
            deliveries(&app)
                .await
                .iter()
                .all(|d| d["status"] != "pending")
        }
        .await
    );
    let ready = reqwest::get(replicas[survivor].url("/readyz"))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200, "the survivor keeps serving");

    // Each digest once: one mail per address, one post per robot and per delivery.
    let mails = smtp.messages();
    for email in &emails {
        let n = mails
            .iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r.contains(email.as_str())))
            .count();
        assert_eq!(n, 1, "mails to {email}");
    }
    assert_eq!(mails.len(), emails.len());
    for key in ["robot0", "robot1", "hang"] {
        assert_eq!(outside.robot_hits(key), 1, "posts to robot {key}");
    }
    assert!(outside
        .seen
        .robot_posts
        .lock()
        .unwrap()
        .values()
        .all(|n| *n == 1));
    let finished: HashMap<String, String> = deliveries(&app)
        .await
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_owned(),
                d["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(finished.len(), 6);
    assert_eq!(
        finished[&hang_delivery], "unconfirmed",
        "cut off mid-post: not posted again"
    );
    assert!(
        finished
            .iter()
            .all(|(id, s)| id == &hang_delivery || s == "sent"),
        "{finished:?}"
    );

    // Each feed once per interval; the victim's twice (its own poll, cut off, and the
    // survivor's after the lease); the held feeds the survivor polled, once.
    for f in &feeds {
        assert_eq!(outside.feed_hits(f), 1, "polls of {f}");
    }
    for (name, _) in &held_feeds {
        let want = if *name == victims_feed { 2 } else { 1 };
        assert_eq!(outside.feed_hits(name), want, "polls of {name}");
    }

    // Nothing acknowledged lost or doubled; each feed entry stored once.
    let items = app.all_feedback("").await;
    let mut stored: HashMap<String, usize> = HashMap::new();
    for item in &items {
        let key = match (item["channel"].as_str(), item["external_id"].as_str()) {
            (Some("survey"), _) => format!("survey:{}", item["text"].as_str().unwrap()),
            (_, Some(id)) => id.to_owned(),
            _ => continue,
        };
        *stored.entry(key).or_default() += 1;
    }
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored twice: {twice:?}");
    let acked: HashSet<String> = acked.into_iter().collect();
    let missing: Vec<_> = acked
        .iter()
        .filter(|id| !stored.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not stored: {missing:?}"
    );
    for name in feeds.iter().chain(held_feeds.iter().map(|(n, _)| n)) {
        for k in 1..=3 {
            let id = format!("{name}-{k}");
            assert_eq!(stored.get(&id), Some(&1), "feed entry {id}");
        }
    }
}
