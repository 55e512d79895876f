//! Social feeds polled from a local feed server (RSS, Atom, JSON Feed, conditional GET), the
//! background poller, and mentions pushed in batches.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, Backend, TestApp};

both_backends!(
    feeds_are_polled_filtered_and_deduplicated,
    manual_polls_reschedule_and_fail_as_bad_gateway,
    mentions_are_pushed_once
);

/// A feed server on a random port. It serves whatever body is set, with an ETag, and
/// answers 304 to a matching If-None-Match.
pub(crate) struct FeedServer {
    pub(crate) url: String,
    pub(crate) body: Arc<Mutex<(String, &'static str)>>,
    pub(crate) hits: Arc<AtomicUsize>,
}

pub(crate) async fn feed_server() -> FeedServer {
    let body = Arc::new(Mutex::new((String::new(), "application/rss+xml")));
    let hits = Arc::new(AtomicUsize::new(0));
    let (b, h) = (body.clone(), hits.clone());
    let server = HttpServer::new(move || {
        let (b, h) = (b.clone(), h.clone());
        App::new().route(
            "/feed",
            web::get().to(move |req: HttpRequest| {
                let (b, h) = (b.clone(), h.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    let (text, ct) = b.lock().unwrap().clone();
                    let etag = format!("\"{}\"", text.len());
                    if req
                        .headers()
                        .get("if-none-match")
                        .and_then(|v| v.to_str().ok())
                        == Some(etag.as_str())
                    {
                        return HttpResponse::NotModified().finish();
                    }
                    HttpResponse::Ok()
                        .content_type(ct)
                        .insert_header(("ETag", etag))
                        .body(text)
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    FeedServer {
        url: format!("http://127.0.0.1:{port}/feed"),
        body,
        hits,
    }
}

pub(crate) fn rss(items: &[(&str, &str)]) -> String {
    let entries: String = items
        .iter()
        .map(|(guid, text)| format!("<item><guid>{guid}</guid><title>微博用户</title><link>https://weibo.com/{guid}</link><description><![CDATA[<p>{text}</p><br/><a href='#'>#微博#</a>]]></description><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>"))
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>微博搜索</title><link>https://weibo.com</link><description>d</description>{entries}</channel></rss>")
}

async fn feeds_are_polled_filtered_and_deduplicated(app: TestApp) {
    let feed = feed_server().await;
    *feed.body.lock().unwrap() = (
        rss(&[
            ("a1", "听见App又闪退了，气死"),
            ("a2", "今天天气不错"),
            ("a3", "TINGJIAN 的客服回复很快"),
        ]),
        "application/rss+xml",
    );
    let res = app.post_json("/api/v1/sources", &json!({"kind": "feed", "name": "微博", "url": feed.url, "keywords": ["听见", "tingjian"], "interval_secs": 600})).await;
    assert_eq!(res.status(), 201);
    let src: Value = res.json().await.unwrap();
    let id = src["id"].as_str().unwrap();
    let poll_url = format!("/api/v1/sources/{id}/poll");
    let empty = json!({});
    let poll = || app.post_json(&poll_url, &empty);
    let out: Value = poll().await.json().await.unwrap();
    assert_eq!(
        (out["fetched"].as_u64(), out["stored"].as_u64()),
        (Some(3), Some(2))
    );
    // Unchanged feed: a conditional GET answered 304, nothing new.
    let out: Value = poll().await.json().await.unwrap();
    assert_eq!(out["stored"], 0);
    assert_eq!(out["not_modified"], true);
    // A new entry beside the old ones: only it is stored.
    *feed.body.lock().unwrap() = (
        rss(&[("a1", "听见App又闪退了，气死"), ("a4", "听见的新版本卡顿")]),
        "application/rss+xml",
    );
    let out: Value = poll().await.json().await.unwrap();
    assert_eq!(
        (out["fetched"].as_u64(), out["stored"].as_u64()),
        (Some(2), Some(1))
    );
    let items = app.all_feedback("channel=social").await;
    assert_eq!(items.len(), 3);
    let crash = items.iter().find(|i| i["external_id"] == "a1").unwrap();
    assert!(crash["text"].as_str().unwrap().contains("听见App又闪退了"));
    assert!(
        !crash["text"].as_str().unwrap().contains("<p>"),
        "HTML is stripped"
    );
    assert_eq!(crash["context"]["platform"], "weibo");
    // JSON Feed 1.1 and Atom too.
    *feed.body.lock().unwrap() = (json!({"version": "https://jsonfeed.org/version/1.1", "title": "知乎", "items": [
        {"id": "z1", "url": "https://www.zhihu.com/question/1", "content_html": "<b>听见</b> 的报表很好看", "date_published": "2026-11-21T10:00:00+08:00"}
    ]}).to_string(), "application/feed+json");
    let out: Value = poll().await.json().await.unwrap();
    assert_eq!(out["stored"], 1);
    *feed.body.lock().unwrap() = ("<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>B站</title><id>urn:b</id><updated>2026-11-22T00:00:00Z</updated><entry><id>urn:b:1</id><title>听见评测</title><updated>2026-11-22T00:00:00Z</updated><link href=\"https://www.bilibili.com/video/1\"/><content type=\"html\">听见 登录不了</content></entry></feed>".into(), "application/atom+xml");
    let out: Value = poll().await.json().await.unwrap();
    assert_eq!(out["stored"], 1);
    assert_eq!(app.all_feedback("channel=social").await.len(), 5);
    let src: Value = app
        .get(&format!("/api/v1/sources/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(src["last_poll"]["last_stored"], 1);
    // A broken feed is reported, not stored.
    *feed.body.lock().unwrap() = ("<html>not a feed".into(), "text/html");
    assert_problem(poll().await, 502, "feed_unreachable").await;
    assert_eq!(app.all_feedback("channel=social").await.len(), 5);
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "feed", "name": "x", "url": "ftp://example.com/feed"}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "feed", "name": "x", "url": feed.url, "interval_secs": 5}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_poller_fetches_due_feeds() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.run_poller = true;
        s.poll_tick = Duration::from_millis(100);
    })
    .await
    else {
        return;
    };
    let feed = feed_server().await;
    *feed.body.lock().unwrap() = (rss(&[("p1", "听见 收不到验证码")]), "application/rss+xml");
    let res = app.post_json("/api/v1/sources", &json!({"kind": "feed", "name": "w", "url": feed.url, "keywords": ["听见"], "interval_secs": 3600})).await;
    assert_eq!(res.status(), 201);
    for _ in 0..100 {
        if !app.all_feedback("channel=social").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.all_feedback("channel=social").await.len(), 1);
    // Claimed once: not fetched again within its interval.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(feed.hits.load(Ordering::SeqCst), 1);
}

/// A manual poll moves the next background poll one interval ahead, like the poller's claim;
/// a feed that cannot be fetched is a 502 that names the host and nothing more of the URL.
async fn manual_polls_reschedule_and_fail_as_bad_gateway(app: TestApp) {
    use chrono::{DateTime, Duration as Span, Utc};
    let feed = feed_server().await;
    *feed.body.lock().unwrap() = (rss(&[("m1", "听见 很好用")]), "application/rss+xml");
    let src: Value = app.post_json("/api/v1/sources", &json!({"kind": "feed", "name": "w", "url": feed.url, "keywords": ["听见"], "interval_secs": 600})).await.json().await.unwrap();
    let id = src["id"].as_str().unwrap();
    let next =
        |src: &Value| -> DateTime<Utc> { src["next_poll_at"].as_str().unwrap().parse().unwrap() };
    assert!(next(&src) <= Utc::now(), "a new feed is due at once");
    let before = Utc::now();
    let res = app
        .post_json(&format!("/api/v1/sources/{id}/poll"), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"fetched": 1, "stored": 1, "not_modified": false})
    );
    let src: Value = app
        .get(&format!("/api/v1/sources/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        next(&src) >= before + Span::seconds(600) - Span::seconds(1)
            && next(&src) <= Utc::now() + Span::seconds(600),
        "next poll one interval ahead: {src}"
    );

    // Nothing listens on port 9; the path and query (a token) are not echoed.
    let res = app.post_json("/api/v1/sources", &json!({"kind": "feed", "name": "内网", "url": "http://127.0.0.1:9/private/feed.xml?token=s3cr3t"})).await;
    assert_eq!(res.status(), 201);
    let dead: Value = res.json().await.unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/sources/{}/poll", dead["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    let body = assert_problem(res, 502, "feed_unreachable").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("127.0.0.1"), "{detail}");
    for secret in ["s3cr3t", "private", "feed.xml", ":9"] {
        assert!(!detail.contains(secret), "{detail}");
    }
    // The feed server answering an error is a 502 too.
    *feed.body.lock().unwrap() = ("<html>oops".into(), "text/html");
    let res = app
        .post_json(&format!("/api/v1/sources/{id}/poll"), &json!({}))
        .await;
    assert_problem(res, 502, "feed_unreachable").await;
}

/// After a manual poll, the background poller leaves the feed alone for an interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_poller_skips_a_feed_polled_by_hand() {
    let tick = Duration::from_millis(1500);
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.run_poller = true;
        s.poll_tick = tick;
    })
    .await
    else {
        return;
    };
    let feed = feed_server().await;
    *feed.body.lock().unwrap() = (rss(&[("h1", "听见 又卡了")]), "application/rss+xml");
    let res = app.post_json("/api/v1/sources", &json!({"kind": "feed", "name": "w", "url": feed.url, "keywords": ["听见"], "interval_secs": 3600})).await;
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post_json(&format!("/api/v1/sources/{id}/poll"), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    // Usually the manual poll came first and the poller, waking up, finds nothing due. If
    // the poller got there first, it claimed the feed itself; either way no more fetches.
    let hits = feed.hits.load(Ordering::SeqCst);
    tokio::time::sleep(tick * 2).await;
    assert_eq!(feed.hits.load(Ordering::SeqCst), hits);
    assert_eq!(app.all_feedback("channel=social").await.len(), 1);
}

async fn mentions_are_pushed_once(app: TestApp) {
    let batch = json!({"items": [
        {"platform": "xiaohongshu", "url": "https://www.xiaohongshu.com/explore/1", "text": "听见的问卷嵌入好方便", "author": "小红", "published_at": "2026-11-20T09:00:00+08:00"},
        {"platform": "weibo", "text": "听见 付款失败三次", "author": "阿强"}
    ]});
    let out: Value = app
        .post_json("/api/v1/mentions", &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(out["stored"], 2);
    let out: Value = app
        .post_json("/api/v1/mentions", &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (out["stored"].as_u64(), out["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
    let items = app.all_feedback("channel=social").await;
    assert_eq!(items.len(), 2);
    assert!(items
        .iter()
        .any(|i| i["source_key"] == "mentions:xiaohongshu" && i["author"] == "小红"));
    let res = app.post_json("/api/v1/mentions", &json!({"items": [{"platform": "Weibo!", "text": "x"}, {"platform": "weibo", "text": "y", "url": "javascript:alert(1)"}]})).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["/items/0/platform", "/items/1/url"]);
}
