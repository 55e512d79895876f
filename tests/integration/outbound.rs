//! Requests the service makes itself (feeds, app stores, group robots) go to public addresses
//! only: loopback, private, link-local and the like are refused in every spelling, after DNS
//! resolution and on every redirect, unless `TINGJIAN_ALLOW_PRIVATE_URLS` lists them; and a
//! refusal reads like any other unreachable server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{assert_problem, Backend, TestApp};
use crate::robot_server::RobotServer;
use crate::social::rss;
use tingjian::domain::net::AllowPrivate;

each_backend!(
    literal_private_addresses_are_refused_when_saved,
    names_are_judged_by_what_they_resolve_to,
    redirects_to_private_addresses_are_refused,
    refusals_read_like_a_closed_port,
    robots_on_private_addresses_are_refused,
);

/// The app with `allow` as its `TINGJIAN_ALLOW_PRIVATE_URLS` ("" for none).
async fn spawn(backend: Backend, allow: &str) -> Option<TestApp> {
    let allow = AllowPrivate::parse(allow).expect("allow list");
    TestApp::spawn_with(backend, move |s| s.allow_private_urls = allow).await
}

/// A feed at `/feed` (counting its requests) and `/away`, which redirects to `to` + `/feed`
/// where `to` is set after start.
struct Server {
    port: u16,
    feed_hits: Arc<AtomicUsize>,
}

async fn server(redirect_host: &'static str) -> Server {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let port_cell = Arc::new(std::sync::OnceLock::<u16>::new());
    let p = port_cell.clone();
    let server = HttpServer::new(move || {
        let (h, p) = (h.clone(), p.clone());
        App::new()
            .route(
                "/feed",
                web::get().to(move || {
                    let h = h.clone();
                    async move {
                        h.fetch_add(1, Ordering::SeqCst);
                        HttpResponse::Ok()
                            .content_type("application/rss+xml")
                            .body(rss(&[("o1", "听见 很好用")]))
                    }
                }),
            )
            .route(
                "/away",
                web::get().to(move || {
                    let port = *p.get().unwrap();
                    async move {
                        HttpResponse::Found()
                            .insert_header((
                                "Location",
                                format!("http://{redirect_host}:{port}/feed"),
                            ))
                            .finish()
                    }
                }),
            )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    port_cell.set(port).unwrap();
    tokio::spawn(server.run());
    Server {
        port,
        feed_hits: hits,
    }
}

async fn create_feed(app: &TestApp, url: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/sources",
        &json!({"kind": "feed", "name": "f", "url": url, "keywords": ["听见"]}),
    )
    .await
}

async fn poll(app: &TestApp, id: &str) -> reqwest::Response {
    app.post_json(&format!("/api/v1/sources/{id}/poll"), &json!({}))
        .await
}

/// The spellings of non-public addresses a URL parser reads, each refused with 422.
const PRIVATE: &[&str] = &[
    "http://127.0.0.1/feed",
    "http://127.1/feed",
    "http://0x7f.1/feed",
    "http://0177.0.0.1/feed",
    "http://2130706433/feed",
    "http://[::ffff:127.0.0.1]/feed",
    "http://[::ffff:7f00:1]/feed",
    "http://[::127.0.0.1]/feed",
    "http://[::1]/feed",
    "http://0.0.0.0/feed",
    "http://[::]/feed",
    "http://10.0.0.1/feed",
    "http://172.16.5.4/feed",
    "http://192.168.1.1/feed",
    "http://100.64.0.1/feed",
    "http://169.254.169.254/latest/meta-data",
    "http://[::ffff:169.254.169.254]/",
    "http://[fe80::1]/feed",
    "http://[fd00::1]/feed",
    "http://[fc00::1]/feed",
    "https://0xa9.0xfe.0xa9.0xfe/",
];

async fn literal_private_addresses_are_refused_when_saved(backend: Backend) {
    let Some(app) = spawn(backend, "").await else {
        return;
    };
    for url in PRIVATE {
        let res = create_feed(&app, url).await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "/url", "{url}: {body}");
        // An app store's base URL, the same.
        let res = app
            .post_json(
                "/api/v1/sources",
                &json!({"kind": "app_store", "name": "a", "app_id": "1234567", "country": "cn", "url": url}),
            )
            .await;
        assert_problem(res, 422, "validation_failed").await;
    }
    // A public address, and any host name, are accepted (names are judged when fetched).
    for url in ["http://93.184.215.14/feed", "https://feeds.example.com/rss"] {
        assert_eq!(create_feed(&app, url).await.status(), 201, "{url}");
    }
    // Saving a private address for a source that exists is refused too.
    let src: Value = create_feed(&app, "https://feeds.example.com/b")
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .patch_json(
            &format!("/api/v1/sources/{}", src["id"].as_str().unwrap()),
            &json!({"url": "http://0x7f.1/"}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;

    // Listed by the operator: accepted.
    let Some(app) = spawn(backend, "127.0.0.0/8, 10.0.0.0/8").await else {
        return;
    };
    for url in [
        "http://127.1/feed",
        "http://[::ffff:127.0.0.1]/feed",
        "http://10.1.2.3/",
    ] {
        assert_eq!(create_feed(&app, url).await.status(), 201, "{url}");
    }
    assert_problem(
        create_feed(&app, "http://192.168.1.1/").await,
        422,
        "validation_failed",
    )
    .await;
}

/// `localhost` is a name: accepted when saved, refused when fetched (it resolves to loopback),
/// as a name that resolved elsewhere when saved and to 127.0.0.1 later would be.
async fn names_are_judged_by_what_they_resolve_to(backend: Backend) {
    let srv = server("127.0.0.1").await;
    let url = format!("http://localhost:{}/feed", srv.port);
    let Some(app) = spawn(backend, "").await else {
        return;
    };
    let res = create_feed(&app, &url).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(poll(&app, &id).await, 502, "feed_unreachable").await;
    assert_eq!(srv.feed_hits.load(Ordering::SeqCst), 0, "nothing was sent");

    // The operator lists the host: the same poll reads the feed.
    let Some(app) = spawn(backend, "localhost").await else {
        return;
    };
    let id = create_feed(&app, &url).await.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = poll(&app, &id).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["stored"], 1);
    assert_eq!(srv.feed_hits.load(Ordering::SeqCst), 1);
}

/// A host the operator allows redirects to 127.0.0.1, which is not allowed: refused, and the
/// feed behind the redirect is never asked.
async fn redirects_to_private_addresses_are_refused(backend: Backend) {
    let srv = server("127.0.0.1").await;
    let Some(app) = spawn(backend, "localhost").await else {
        return;
    };
    let res = create_feed(&app, &format!("http://localhost:{}/away", srv.port)).await;
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(poll(&app, &id).await, 502, "feed_unreachable").await;
    assert_eq!(srv.feed_hits.load(Ordering::SeqCst), 0);

    // The same redirect to an allowed host is followed.
    let back = server("localhost").await;
    let res = create_feed(&app, &format!("http://localhost:{}/away", back.port)).await;
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(poll(&app, &id).await.status(), 200);
    assert_eq!(back.feed_hits.load(Ordering::SeqCst), 1);
}

/// A refused address and a closed port read the same, in the answer and in the poll state.
async fn refusals_read_like_a_closed_port(backend: Backend) {
    // 127.0.0.1 is allowed; its /away redirects to 127.0.0.2, which is not.
    let srv = server("127.0.0.2").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let Some(app) = spawn(backend, "127.0.0.1").await else {
        return;
    };
    let mut seen = Vec::new();
    for url in [
        format!("http://127.0.0.1:{}/away", srv.port),
        format!("http://127.0.0.1:{closed_port}/feed"),
    ] {
        let src: Value = create_feed(&app, &url).await.json().await.unwrap();
        let id = src["id"].as_str().unwrap();
        let body = assert_problem(poll(&app, id).await, 502, "feed_unreachable").await;
        let detail = body["detail"].as_str().unwrap().to_owned();
        // After the host the detail names: the reason, the same for both.
        let reason = detail.split_once(": ").unwrap().1.to_owned();
        let src: Value = app
            .get(&format!("/api/v1/sources/{id}"))
            .await
            .json()
            .await
            .unwrap();
        let last = poll_error(&src);
        for leak in ["refused", "127.0.0.2", "redirect", "tcp", "dns", "os error"] {
            assert!(!reason.to_lowercase().contains(leak), "{detail}");
            assert!(!last.to_lowercase().contains(leak), "{last}");
        }
        seen.push((reason, last));
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(srv.feed_hits.load(Ordering::SeqCst), 0);
}

/// The poll state's last error, wherever the source's JSON keeps it.
fn poll_error(src: &Value) -> String {
    let found = src
        .pointer("/last_poll/last_error")
        .cloned()
        .unwrap_or(Value::Null);
    assert!(found.is_string(), "a last error is shown: {src}");
    found.as_str().unwrap().to_owned()
}

/// Group robots: a literal private webhook is refused when subscribed; a name that resolves
/// to loopback is refused when sent, and the delivery's error says only that the robot could
/// not be reached.
async fn robots_on_private_addresses_are_refused(backend: Backend) {
    let robots = RobotServer::start().await;
    let Some(app) = spawn(backend, "").await else {
        return;
    };
    let literal = robots.webhook_url("wecom");
    let res = app
        .post_json(
            "/api/v1/digest-subscriptions",
            &json!({"robot": {"kind": "wecom", "webhook_url": literal}}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/robot/webhook_url");

    let by_name = literal.replace("127.0.0.1", "localhost");
    let res = app
        .post_json(
            "/api/v1/digest-subscriptions",
            &json!({"robot": {"kind": "wecom", "webhook_url": by_name}}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let period = "2026-W45";
    app.workers
        .outbox
        .send_now(&app.workspace_id, period)
        .await
        .expect("queued");
    let list: Value = app
        .get("/api/v1/digest-deliveries")
        .await
        .json()
        .await
        .unwrap();
    let d = &list["items"][0];
    let error = d["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("could not be reached"), "{d}");
    for leak in [
        "refused",
        "127.0.0.1",
        "::1",
        "localhost",
        "tcp",
        "dns",
        "os error",
    ] {
        assert!(!error.contains(leak), "{d}");
    }
    assert!(robots.received().is_empty(), "nothing reached the robot");
}
