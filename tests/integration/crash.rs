//! Crash and outage tests against the real binary (`tingjian serve`, started and SIGKILLed as
//! a process): mixed write load from concurrent clients that retry the way a client would, and
//! a count of what was stored at the end.
//!
//! - `kills_under_load`: the service is killed with SIGKILL at random moments (12 times) and
//!   started again on the same data; every acknowledged item must be stored exactly once, and
//!   an item whose client gave up without an answer at most once (a batch or an interview
//!   whole or not at all).
//! - `postgres_outage_under_load`: PostgreSQL "stopped" under load through a TCP proxy in
//!   front of it (the machine's server is shared with other tests, so it is never stopped
//!   itself); requests meanwhile get 503 with `Retry-After`, never a 500, and the same process
//!   takes writes again once the database is back.
//! - `robot_delivery_killed_mid_send`: the process is killed while a group robot holds its
//!   answer to a digest; after the restart the delivery is `unconfirmed` and not sent again.
//!   `mail_delivery_killed_mid_send`: the same with a mail server holding its 250; mail is
//!   sent again, under the same `Message-ID`.
//!
//! The random moments come from a seeded generator; the seed is printed, and
//! `TINGJIAN_CRASH_SEED=N` replays the same kill times and request mix (the interleaving of
//! concurrent requests is the machine's).

use std::collections::HashMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;

use crate::cli::{serve, Served};
use crate::each_backend;
use crate::helpers::{pg_admin_url, run_ok, Backend, PgDatabase, LOCAL_URLS};
use crate::robot_server::RobotServer;
use crate::smtp_server::{Fault, SmtpServer};

each_backend!(
    kills_under_load,
    robot_delivery_killed_mid_send,
    mail_delivery_killed_mid_send
);

/// Kills per store in `kills_under_load`.
const KILLS: usize = 12;
/// Requests acknowledged after each start before the next kill may come.
const ACKS_BETWEEN_KILLS: usize = 4;
/// Concurrent clients writing.
const CLIENTS: usize = 4;
/// Longest a client keeps retrying one request before the test calls it never acknowledged.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);

const TEXTS: [&str; 6] = [
    "支付总是失败，提示网络错误",
    "客服态度很好，问题很快解决了",
    "更新以后一打开就闪退",
    "物流太慢了，等了一个星期",
    "界面挺好看的，就是广告太多",
    "登录收不到验证码",
];

fn seed() -> u64 {
    std::env::var("TINGJIAN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen())
}

/// A fresh store, migrated, with one workspace: where `serve` keeps its data.
struct Store {
    _dir: tempfile::TempDir,
    data_dir: std::path::PathBuf,
    /// `None`: the SQLite file in `data_dir`.
    pg: Option<PgDatabase>,
    workspace_id: String,
    key: String,
}

impl Store {
    async fn create(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("data");
        std::fs::create_dir_all(&data_dir).expect("data dir");
        let pg = match backend {
            Backend::Postgres => Some(PgDatabase::create().await?),
            Backend::Sqlite => None,
        };
        let mut store = Self {
            _dir: dir,
            data_dir,
            pg,
            workspace_id: String::new(),
            key: String::new(),
        };
        let mut migrate = store.command(None);
        migrate.arg("migrate");
        run_ok(migrate).await;
        let mut create = store.command(None);
        create.args(["workspace", "create", "压测团队"]);
        let out = run_ok(create).await;
        let created: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        store.workspace_id = created["workspace_id"].as_str().unwrap().to_owned();
        store.key = created["api_key"].as_str().unwrap().to_owned();
        Some(store)
    }

    /// The database as the test reads it.
    fn url(&self) -> String {
        match &self.pg {
            Some(db) => db.url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("tingjian.db").display()
            ),
        }
    }

    /// `tingjian` on this store; `database_url` overrides PostgreSQL's address (the proxy).
    fn command(&self, database_url: Option<&str>) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tingjian"));
        cmd.env("TINGJIAN_DATA_DIR", &self.data_dir)
            .env("TINGJIAN_ALLOW_PRIVATE_URLS", LOCAL_URLS)
            .env("TINGJIAN_NO_POLLER", "true")
            .env("TINGJIAN_NO_DELIVERY", "true")
            .env("TINGJIAN_SURVEY_RATE", "1000000")
            .env("TINGJIAN_DB_ACQUIRE_TIMEOUT", "2")
            .env("RUST_LOG", "warn");
        match (&self.pg, database_url) {
            (_, Some(url)) => cmd.env("DATABASE_URL", url),
            (Some(db), None) => cmd.env("DATABASE_URL", &db.url),
            (None, None) => cmd.env_remove("DATABASE_URL"),
        };
        cmd
    }

    async fn raw(&self) -> DatabaseConnection {
        Database::connect(self.url()).await.expect("connect")
    }
}

async fn start(cmd: Command) -> Served {
    tokio::task::spawn_blocking(move || serve(cmd))
        .await
        .expect("join")
        .unwrap_or_else(|log| panic!("serve did not start:\n{log}"))
}

/// What the clients write to: a signed webhook source and a public survey.
#[derive(Clone)]
struct Targets {
    source: String,
    secret: String,
    survey: String,
}

async fn targets(port: u16, key: &str) -> Targets {
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let res = client
        .post(format!("{base}/api/v1/sources"))
        .bearer_auth(key)
        .json(&json!({"kind": "webhook", "name": "压测来源"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let src: Value = res.json().await.unwrap();
    let res = client
        .post(format!("{base}/api/v1/surveys"))
        .bearer_auth(key)
        .json(&json!({"title": "压测问卷", "questions": [
            {"id": "q1", "type": "nps", "title": "您有多大可能推荐我们？", "required": true},
            {"id": "q5", "type": "text", "title": "还有什么想说的？"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let survey: Value = res.json().await.unwrap();
    Targets {
        source: src["id"].as_str().unwrap().to_owned(),
        secret: src["secret"].as_str().unwrap().to_owned(),
        survey: survey["id"].as_str().unwrap().to_owned(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// One signed webhook item, `external_id` = the tag.
    Single,
    /// A signed batch of n items, `external_id` = `tag.i`.
    Batch(usize),
    /// A public survey submission, `response_id` and respondent = the tag, one text answer.
    Survey,
    /// An interview of two answering turns, `external_id` and interviewee = the tag.
    Interview,
}

/// One request as its client sends it, every time it sends it.
struct Req {
    tag: String,
    kind: Kind,
    path: String,
    body: String,
    /// Standard Webhooks: the `webhook-id` (the tag), signed afresh on each attempt.
    webhook: bool,
    bearer: bool,
}

fn make(rng: &mut StdRng, client: usize, n: usize, t: &Targets) -> Req {
    let text = |rng: &mut StdRng| TEXTS[rng.gen_range(0..TEXTS.len())];
    let roll = rng.gen_range(0..100);
    let (kind, prefix) = match roll {
        0..=44 => (Kind::Single, "w"),
        45..=59 => (Kind::Batch(rng.gen_range(2..=25)), "b"),
        60..=89 => (Kind::Survey, "s"),
        _ => (Kind::Interview, "i"),
    };
    let tag = format!("{prefix}-c{client}-n{n:05}");
    let (path, body, webhook, bearer) = match kind {
        Kind::Single => (
            format!("/hooks/{}", t.source),
            json!({"text": text(rng), "external_id": tag}),
            true,
            false,
        ),
        Kind::Batch(k) => {
            let items: Vec<Value> = (0..k)
                .map(|i| json!({"text": text(rng), "external_id": format!("{tag}.{i}")}))
                .collect();
            (
                format!("/hooks/{}", t.source),
                json!({ "items": items }),
                true,
                false,
            )
        }
        Kind::Survey => (
            format!("/s/{}/responses", t.survey),
            json!({"answers": {"q1": rng.gen_range(0..=10), "q5": text(rng)},
                   "respondent": {"id": tag}, "response_id": tag}),
            false,
            false,
        ),
        Kind::Interview => (
            "/api/v1/interviews".to_owned(),
            json!({"title": format!("访谈 {tag}"), "format": "text", "external_id": tag,
                   "interviewee": {"id": tag},
                   "transcript": format!("主持人：最近用得怎么样？\n用户：{}\n主持人：还有呢？\n用户：{}\n",
                       text(rng), text(rng))}),
            false,
            true,
        ),
    };
    Req {
        tag,
        kind,
        path,
        body: body.to_string(),
        webhook,
        bearer,
    }
}

#[derive(Debug)]
struct Sent {
    kind: Kind,
    acked: bool,
}

/// What the clients share: where the service is now (0: down), what they sent, and what
/// answers broke the rules.
struct Ctx {
    port: watch::Receiver<u16>,
    client: reqwest::Client,
    key: String,
    targets: Targets,
    stop: AtomicBool,
    ledger: Mutex<HashMap<String, Sent>>,
    anomalies: Mutex<Vec<String>>,
    unavailable: AtomicUsize,
    no_answer: AtomicUsize,
    /// Requests acknowledged so far.
    acked: AtomicUsize,
}

impl Ctx {
    fn anomaly(&self, what: String) {
        eprintln!("anomaly: {what}");
        self.anomalies.lock().unwrap().push(what);
    }
}

enum Outcome {
    Acked,
    /// No answer came and the client gave up on it.
    Abandoned,
    /// An answer that is neither 2xx nor 503 (recorded as an anomaly).
    Refused,
}

/// Sends `req` until it is answered 2xx. Without an answer (connection refused or cut, a
/// timeout) the client cannot know whether it was stored: it sends the same request again,
/// or (if `may_abandon`, now and then) gives up. A 503 is retried after its `Retry-After`
/// (at most a second here).
async fn deliver(ctx: &Ctx, req: &Req, rng: &mut StdRng, may_abandon: bool) -> Outcome {
    let mut port = ctx.port.clone();
    let began = Instant::now();
    loop {
        if began.elapsed() > GIVE_UP_AFTER {
            ctx.anomaly(format!("{} {}: never acknowledged", req.tag, req.path));
            return Outcome::Refused;
        }
        let now = *port.borrow_and_update();
        if now == 0 {
            let _ = tokio::time::timeout(Duration::from_secs(5), port.changed()).await;
            continue;
        }
        let mut rb = ctx
            .client
            .post(format!("http://127.0.0.1:{now}{}", req.path))
            .header("content-type", "application/json")
            .body(req.body.clone())
            .timeout(Duration::from_secs(30));
        if req.webhook {
            let ts = chrono::Utc::now().timestamp().to_string();
            let sig = tingjian::collect::webhook::sign(
                &ctx.targets.secret,
                &req.tag,
                &ts,
                req.body.as_bytes(),
            )
            .unwrap();
            rb = rb
                .header("webhook-id", &req.tag)
                .header("webhook-timestamp", ts)
                .header("webhook-signature", sig);
        }
        if req.bearer {
            rb = rb.bearer_auth(&ctx.key);
        }
        match rb.send().await {
            Ok(res) if res.status().is_success() => match res.bytes().await {
                Ok(_) => return Outcome::Acked,
                // The answer was cut off: as good as none.
                Err(_) => {
                    ctx.no_answer.fetch_add(1, Ordering::Relaxed);
                }
            },
            Ok(res) => {
                let status = res.status().as_u16();
                let header = |name: &str| {
                    res.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let retry = header("retry-after").and_then(|v| v.parse::<u64>().ok());
                let ct = header("content-type").unwrap_or_default();
                let body = res.text().await.unwrap_or_default();
                if status != 503 {
                    ctx.anomaly(format!("{} POST {} → {status}: {body}", req.tag, req.path));
                    return Outcome::Refused;
                }
                ctx.unavailable.fetch_add(1, Ordering::Relaxed);
                let problem = serde_json::from_str::<Value>(&body).unwrap_or_default();
                if retry.is_none()
                    || !ct.starts_with("application/problem+json")
                    || problem["code"] != "unavailable"
                {
                    ctx.anomaly(format!(
                        "{} POST {} → 503 without Retry-After or the problem (retry-after {retry:?}, {ct}): {body}",
                        req.tag, req.path
                    ));
                }
                let wait = retry.unwrap_or(1).min(1);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            Err(_) => {
                ctx.no_answer.fetch_add(1, Ordering::Relaxed);
            }
        }
        if may_abandon && rng.gen_bool(0.2) {
            return Outcome::Abandoned;
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(20..200))).await;
    }
}

/// Writes until told to stop, then finishes the request in hand.
async fn client_loop(ctx: Arc<Ctx>, c: usize, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(1 + c as u64));
    let mut n = 0;
    while !ctx.stop.load(Ordering::SeqCst) {
        let req = make(&mut rng, c, n, &ctx.targets);
        n += 1;
        ctx.ledger.lock().unwrap().insert(
            req.tag.clone(),
            Sent {
                kind: req.kind,
                acked: false,
            },
        );
        if let Outcome::Acked = deliver(&ctx, &req, &mut rng, true).await {
            ctx.ledger.lock().unwrap().get_mut(&req.tag).unwrap().acked = true;
            ctx.acked.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn spawn_clients(ctx: &Arc<Ctx>, seed: u64) -> Vec<tokio::task::JoinHandle<()>> {
    (0..CLIENTS)
        .map(|c| tokio::spawn(client_loop(ctx.clone(), c, seed)))
        .collect()
}

async fn counts(
    db: &DatabaseConnection,
    sql: &str,
    into: &mut HashMap<String, i64>,
    key: impl Fn(&str) -> &str,
) {
    let rows = db
        .query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    for row in rows {
        let id: Option<String> = row.try_get_by_index(0).unwrap();
        let n: i64 = row.try_get_by_index(1).unwrap();
        if let Some(id) = id {
            *into.entry(key(&id).to_owned()).or_default() += n;
        }
    }
}

/// Compares what the store holds with what the clients sent: every acknowledged request
/// stored exactly once, every other one at most once and whole, nothing nobody sent.
async fn check_ledger(ctx: &Ctx, store: &Store) -> Vec<String> {
    let db = store.raw().await;
    let ws = &store.workspace_id;
    let mut items = HashMap::new();
    counts(
        &db,
        &format!("SELECT external_id, count(*) FROM feedback WHERE workspace_id = '{ws}' AND channel = 'webhook' GROUP BY external_id"),
        &mut items,
        |id| id,
    )
    .await;
    let mut by_tag = HashMap::new();
    for (id, n) in &items {
        *by_tag
            .entry(id.split('.').next().unwrap().to_owned())
            .or_insert(0) += n;
    }
    let mut turns = HashMap::new();
    counts(
        &db,
        &format!("SELECT respondent_id, count(*) FROM feedback WHERE workspace_id = '{ws}' AND channel IN ('survey', 'interview') GROUP BY respondent_id"),
        &mut turns,
        |id| id,
    )
    .await;
    let mut responses = HashMap::new();
    counts(
        &db,
        &format!("SELECT respondent_id, count(*) FROM survey_response WHERE workspace_id = '{ws}' GROUP BY respondent_id"),
        &mut responses,
        |id| id,
    )
    .await;
    let mut interviews = HashMap::new();
    counts(
        &db,
        &format!("SELECT interviewee_id, count(*) FROM interview WHERE workspace_id = '{ws}' GROUP BY interviewee_id"),
        &mut interviews,
        |id| id,
    )
    .await;
    let _ = db.close().await;

    let mut problems = Vec::new();
    for (id, n) in &items {
        if *n != 1 {
            problems.push(format!("item {id} stored {n} times"));
        }
    }
    let ledger = ctx.ledger.lock().unwrap();
    for (tag, sent) in ledger.iter() {
        let get = |m: &HashMap<String, i64>| m.get(tag).copied().unwrap_or(0);
        // (records, items those records gave, items per record)
        let (records, feedback, per) = match sent.kind {
            Kind::Single => (get(&by_tag), get(&by_tag), 1),
            Kind::Batch(k) => {
                let got = get(&by_tag);
                if got != 0 && got != k as i64 {
                    problems.push(format!("batch {tag}: {got} of its {k} items stored"));
                }
                (got / k as i64, got, k as i64)
            }
            Kind::Survey => (get(&responses), get(&turns), 1),
            Kind::Interview => (get(&interviews), get(&turns), 2),
        };
        let want = if sent.acked { 1..=1 } else { 0..=1 };
        if !want.contains(&records) {
            problems.push(format!(
                "{tag} ({:?}, {}): stored {records} times",
                sent.kind,
                if sent.acked {
                    "acknowledged"
                } else {
                    "never answered"
                }
            ));
        }
        if feedback != records * per {
            problems.push(format!(
                "{tag} ({:?}): {records} records but {feedback} feedback items",
                sent.kind
            ));
        }
    }
    for (what, map) in [
        ("items", &by_tag),
        ("response or turns", &turns),
        ("response", &responses),
        ("interview", &interviews),
    ] {
        for tag in map.keys() {
            if !ledger.contains_key(tag) {
                problems.push(format!("{what} {tag} stored but never sent"));
            }
        }
    }
    problems
}

fn summary(ctx: &Ctx) -> String {
    let ledger = ctx.ledger.lock().unwrap();
    let acked = ledger.values().filter(|s| s.acked).count();
    format!(
        "{} requests ({acked} acknowledged, {} given up without an answer), {} attempts without an answer, {} answered 503",
        ledger.len(),
        ledger.len() - acked,
        ctx.no_answer.load(Ordering::Relaxed),
        ctx.unavailable.load(Ordering::Relaxed),
    )
}

/// Mixed writes from four clients while the service is SIGKILLed and restarted 12 times.
async fn kills_under_load(backend: Backend) {
    let Some(store) = Store::create(backend).await else {
        return;
    };
    let seed = seed();
    eprintln!("crash harness ({backend:?}): seed {seed} (replay with TINGJIAN_CRASH_SEED={seed})");
    let began = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut served = start(store.command(None)).await;
    let (port_tx, port_rx) = watch::channel(served.port);
    let ctx = Arc::new(Ctx {
        port: port_rx,
        client: reqwest::Client::new(),
        key: store.key.clone(),
        targets: targets(served.port, &store.key).await,
        stop: AtomicBool::new(false),
        ledger: Mutex::new(HashMap::new()),
        anomalies: Mutex::new(Vec::new()),
        unavailable: AtomicUsize::new(0),
        no_answer: AtomicUsize::new(0),
        acked: AtomicUsize::new(0),
    });
    let clients = spawn_clients(&ctx, seed);
    for _ in 0..KILLS {
        // A random moment, once the clients have had a few requests through since the start:
        // every kill is under load, however slow the machine.
        let since = ctx.acked.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(rng.gen_range(200..1200))).await;
        let deadline = Instant::now() + GIVE_UP_AFTER;
        while ctx.acked.load(Ordering::SeqCst) < since + ACKS_BETWEEN_KILLS {
            assert!(
                Instant::now() < deadline,
                "seed {seed}: the clients are stuck"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        port_tx.send_replace(0);
        // `Served` is killed with SIGKILL (`Child::kill`) and reaped when dropped.
        drop(served);
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..300))).await;
        served = start(store.command(None)).await;
        port_tx.send_replace(served.port);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    ctx.stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.expect("client");
    }
    drop(served);
    let problems = check_ledger(&ctx, &store).await;
    eprintln!(
        "crash harness ({backend:?}, seed {seed}): {KILLS} kills, {}, {:.1} s",
        summary(&ctx),
        began.elapsed().as_secs_f64()
    );
    let anomalies = ctx.anomalies.lock().unwrap().clone();
    assert!(
        anomalies.is_empty() && problems.is_empty(),
        "seed {seed}: answers {anomalies:#?}\nstored {problems:#?}"
    );
    let acked = ctx
        .ledger
        .lock()
        .unwrap()
        .values()
        .filter(|s| s.acked)
        .count();
    assert!(acked >= KILLS * ACKS_BETWEEN_KILLS, "{acked}");
}

/// A TCP proxy to PostgreSQL that can be "stopped": open connections cut, new ones refused
/// (nothing listens on its port), until it is started again on the same port.
struct Proxy {
    port: u16,
    up: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let (up, rx) = watch::channel(true);
        let task = tokio::spawn(proxy_loop(port, upstream, rx));
        // Wait until it listens.
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Proxy { port, up, task }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn listen(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(([127, 0, 0, 1], port).into())?;
    socket.listen(128)
}

async fn proxy_loop(port: u16, upstream: String, mut up: watch::Receiver<bool>) {
    loop {
        if up.wait_for(|u| *u).await.is_err() {
            return;
        }
        let listener = {
            let mut tries = 0;
            loop {
                match listen(port) {
                    Ok(l) => break l,
                    Err(e) if tries < 100 => {
                        tries += 1;
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => panic!("the proxy cannot listen on {port} again: {e}"),
                }
            }
        };
        let mut down = up.clone();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((mut inbound, _)) = accepted else { continue };
                    let mut cut = up.clone();
                    let upstream = upstream.clone();
                    tokio::spawn(async move {
                        let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = cut.wait_for(|u| !*u) => {}
                        }
                    });
                }
                _ = down.wait_for(|u| !*u) => break,
            }
        }
        drop(listener);
    }
}

/// PostgreSQL stopped twice under load (through [`Proxy`]): 503 with `Retry-After` while it
/// is away, no 500, nothing half stored, and the same process writing again afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_under_load() {
    let Some(store) = Store::create(Backend::Postgres).await else {
        return;
    };
    let seed = seed();
    eprintln!("outage harness: seed {seed} (replay with TINGJIAN_CRASH_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);
    let admin = url::Url::parse(&pg_admin_url()).expect("the PostgreSQL URL");
    let upstream = format!(
        "{}:{}",
        admin.host_str().unwrap_or("127.0.0.1"),
        admin.port().unwrap_or(5432)
    );
    let proxy = Proxy::start(upstream).await;
    let mut through = url::Url::parse(&store.url()).unwrap();
    through.set_host(Some("127.0.0.1")).unwrap();
    through.set_port(Some(proxy.port)).unwrap();
    let mut served = start(store.command(Some(through.as_str()))).await;
    let port = served.port;
    let (_port_tx, port_rx) = watch::channel(port);
    let ctx = Arc::new(Ctx {
        port: port_rx,
        client: reqwest::Client::new(),
        key: store.key.clone(),
        targets: targets(port, &store.key).await,
        stop: AtomicBool::new(false),
        ledger: Mutex::new(HashMap::new()),
        anomalies: Mutex::new(Vec::new()),
        unavailable: AtomicUsize::new(0),
        no_answer: AtomicUsize::new(0),
        acked: AtomicUsize::new(0),
    });
    let clients = spawn_clients(&ctx, seed);
    for outage in 0..2 {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(800..2000))).await;
        proxy.up.send_replace(false);
        // While it is away, a write is answered 503 with Retry-After (the clients check
        // every answer they get; this one is sure to come while it is away).
        let probe = make(&mut rng, 99, outage, &ctx.targets);
        ctx.ledger.lock().unwrap().insert(
            probe.tag.clone(),
            Sent {
                kind: probe.kind,
                acked: false,
            },
        );
        let mut rb = ctx
            .client
            .post(format!("http://127.0.0.1:{port}/api/v1/keys"))
            .bearer_auth(&store.key)
            .json(&json!({"name": "停库时", "scopes": ["read"]}));
        rb = rb.timeout(Duration::from_secs(30));
        let res = rb
            .send()
            .await
            .expect("an answer while the database is away");
        assert_eq!(res.status(), 503, "{:?}", res.text().await);
        assert!(res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.parse::<u64>().is_ok()));
        crate::helpers::assert_problem(res, 503, "unavailable").await;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(1500..3000))).await;
        proxy.up.send_replace(true);
        // Back, without a restart: the probe is stored by the same process.
        let mut probe_rng = StdRng::seed_from_u64(seed);
        match deliver(&ctx, &probe, &mut probe_rng, false).await {
            Outcome::Acked => {
                ctx.ledger
                    .lock()
                    .unwrap()
                    .get_mut(&probe.tag)
                    .unwrap()
                    .acked = true
            }
            _ => panic!("seed {seed}: no write taken after the database came back"),
        }
        assert!(served.running(), "the service is the same process");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    ctx.stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.expect("client");
    }
    assert!(served.running(), "the service never stopped");
    drop(served);
    let problems = check_ledger(&ctx, &store).await;
    eprintln!("outage harness (seed {seed}): 2 outages, {}", summary(&ctx));
    let anomalies = ctx.anomalies.lock().unwrap().clone();
    assert!(
        anomalies.is_empty() && problems.is_empty(),
        "seed {seed}: answers {anomalies:#?}\nstored {problems:#?}"
    );
}

/// Subscribes with `subscription`, asks for 2026-W45's digest, waits until `handed_over()`
/// says the transport has the message (and holds its answer), kills the process, ends the
/// claim's five-minute lease in the database (as if a replica looked five minutes later),
/// calls `release()`, starts the process again and waits until the delivery is no longer
/// pending. Returns the delivery as the API lists it, and the restarted service.
async fn kill_mid_send(
    store: &Store,
    subscription: Value,
    smtp_url: Option<String>,
    handed_over: &dyn Fn() -> usize,
    release: &dyn Fn(),
) -> (Value, Served) {
    let command = || {
        let mut cmd = store.command(None);
        cmd.env_remove("TINGJIAN_NO_DELIVERY");
        if let Some(url) = &smtp_url {
            cmd.env("TINGJIAN_SMTP_URL", url);
        }
        cmd
    };
    let served = start(command()).await;
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}", served.port);
    let res = client
        .post(format!("{base}/api/v1/digest-subscriptions"))
        .bearer_auth(&store.key)
        .json(&subscription)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let send = {
        let (client, url, key) = (
            client.clone(),
            format!("{base}/api/v1/digests/2026-W45/send"),
            store.key.clone(),
        );
        tokio::spawn(async move { client.post(url).bearer_auth(key).send().await })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while handed_over() == 0 {
        assert!(
            Instant::now() < deadline,
            "the digest never reached the transport"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Killed while the transport holds its answer.
    drop(served);
    assert!(
        send.await.unwrap().is_err(),
        "the request was cut off with the process"
    );
    let db = store.raw().await;
    let left = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT status, attempts FROM digest_delivery",
        ))
        .await
        .unwrap()
        .expect("one delivery");
    let status: String = left.try_get_by_index(0).unwrap();
    let attempts: i32 = left.try_get_by_index(1).unwrap();
    assert_eq!(
        (status.as_str(), attempts),
        ("pending", 1),
        "what the dead attempt left"
    );
    db.execute_unprepared("UPDATE digest_delivery SET locked_until = NULL")
        .await
        .unwrap();
    let _ = db.close().await;
    release();
    let served = start(command()).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    // The delivery loop's first round runs at start.
    let deadline = Instant::now() + Duration::from_secs(60);
    let delivery = loop {
        let list: Value = client
            .get(format!("{base}/api/v1/digest-deliveries"))
            .bearer_auth(&store.key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let d = list["items"][0].clone();
        if d["status"] != "pending" {
            break d;
        }
        assert!(
            Instant::now() < deadline,
            "the delivery stayed pending: {d}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    (delivery, served)
}

/// The outbox killed while a group robot holds its answer: the robot has posted the digest,
/// the process never learned it. After the restart the delivery is `unconfirmed`, naming its
/// `编号`, and not posted a second time, even when the client asks for the digest again
/// (docs/design.md, "A robot message sent once").
async fn robot_delivery_killed_mid_send(backend: Backend) {
    let Some(store) = Store::create(backend).await else {
        return;
    };
    let robots = RobotServer::start().await;
    robots.hold_replies(Some(Duration::from_secs(120)));
    let (delivery, served) = kill_mid_send(
        &store,
        json!({"robot": {"kind": "wecom", "webhook_url": robots.webhook_url("wecom")}}),
        None,
        &|| robots.received().len(),
        // A robot answering at once now: a resend would be posted and counted.
        &|| robots.hold_replies(None),
    )
    .await;
    let id = delivery["id"].as_str().unwrap().to_owned();
    assert_eq!(delivery["status"], "unconfirmed", "{delivery}");
    let why = delivery["last_error"].as_str().unwrap_or_default();
    assert!(why.contains(&id), "{why}");
    // The client asks again: the period's delivery exists, nothing is posted.
    let res = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/api/v1/digests/2026-W45/send",
            served.port
        ))
        .bearer_auth(&store.key)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let got = robots.received();
    assert_eq!(got.len(), 1, "posted once: {got:?}");
    assert!(
        got[0].text.contains(&format!("编号 {id}")),
        "{}",
        got[0].text
    );
}

/// The outbox killed while the mail server holds its 250 after taking the message: mail is
/// at least once, so the next attempt sends it again, with the same `Message-ID` (the
/// delivery id) for the recipient's systems to fold (operations.md, "The lost-reply window").
async fn mail_delivery_killed_mid_send(backend: Backend) {
    let Some(store) = Store::create(backend).await else {
        return;
    };
    let smtp = SmtpServer::start().await;
    smtp.set_fault(Fault::HoldReplyAfterData(Duration::from_secs(120)));
    let (delivery, _served) = kill_mid_send(
        &store,
        json!({"email": "ops@example.com"}),
        Some(smtp.url()),
        &|| smtp.messages().len(),
        &|| smtp.set_fault(Fault::None),
    )
    .await;
    let id = delivery["id"].as_str().unwrap().to_owned();
    assert_eq!(delivery["status"], "sent", "{delivery}");
    let got = smtp.messages();
    assert_eq!(got.len(), 2, "sent again after the lost reply");
    for m in &got {
        let raw = String::from_utf8_lossy(&m.data);
        assert!(
            raw.contains(&format!("Message-ID: <{id}@tingjian>")),
            "{raw}"
        );
    }
}
