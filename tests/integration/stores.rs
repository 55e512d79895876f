//! App-store reviews pulled from local servers that answer as the stores do: Apple's
//! customer-reviews feed, and Google's token endpoint (which checks the grant type and the
//! assertion's RS256 signature with the test key's public half) with the Android Publisher
//! reviews list (which checks the bearer token). Reviews are stored once, an edited review
//! replaces its text, and a service account's private key never comes back out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use serde_json::{json, Value};
use tingjian::collect::stores::jwt::{assertion, SigningKey};

use crate::both_backends;
use crate::helpers::{assert_problem, Backend, TestApp};

both_backends!(
    app_store_reviews_are_stored_once_and_edits_replace_them,
    app_store_settings_are_checked_and_failures_name_the_host,
    google_play_reviews_come_with_a_signed_assertion,
    google_play_keys_are_checked_and_never_shown,
);

/// A service account key file made for these tests only (tests/fixtures/stores/SOURCE.md).
const KEY_FILE: &str =
    include_str!("../fixtures/stores/google_play_service_account_TEST_ONLY.json");
const PUBLIC_PEM: &str = include_str!("../fixtures/stores/google_play_public_key_TEST_ONLY.pem");
const EMAIL: &str = "test-only-reviews@tingjian-test-only.iam.gserviceaccount.com";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const SCOPE: &str = "https://www.googleapis.com/auth/androidpublisher";

fn key_file() -> Value {
    serde_json::from_str(KEY_FILE).unwrap()
}

fn fixture(name: &str) -> Value {
    let text = match name {
        "constructed" => {
            include_str!("../fixtures/stores/app_store_customerreviews_constructed.json")
        }
        "2015" => {
            include_str!("../fixtures/stores/app_store_customerreviews_2015_jp_captured.json")
        }
        "empty" => {
            include_str!("../fixtures/stores/app_store_customerreviews_2015_empty_captured.json")
        }
        "play" => include_str!("../fixtures/stores/google_play_reviews_list.json"),
        "token" => {
            include_str!("../fixtures/stores/google_play_oauth_token_response_constructed.json")
        }
        _ => unreachable!(),
    };
    serde_json::from_str(text).unwrap()
}

/// What the local store server answers and what it was asked.
#[derive(Default)]
struct Served {
    /// App Store: page 1, 2 …; past the last, the empty feed. Google Play: page 1 (no token),
    /// then the page each `nextPageToken` names.
    pages: Mutex<Vec<Value>>,
    /// Answered instead of a page when set.
    fail_with: Mutex<Option<u16>>,
    /// Paths (and queries) of the review requests, in order.
    requests: Mutex<Vec<String>>,
    token_requests: AtomicUsize,
    /// Access tokens handed out; the reviews list takes only these.
    tokens: Mutex<Vec<String>>,
    /// The `aud` the token endpoint expects: its own URL.
    token_url: Mutex<String>,
}

struct StoreServer {
    base: String,
    served: Arc<Served>,
}

impl StoreServer {
    fn set_pages(&self, pages: Vec<Value>) {
        *self.served.pages.lock().unwrap() = pages;
    }

    fn requests(&self) -> Vec<String> {
        self.served.requests.lock().unwrap().clone()
    }
}

async fn store_server() -> StoreServer {
    let served = Arc::new(Served::default());
    let s = served.clone();
    let server = HttpServer::new(move || {
        let s = s.clone();
        App::new()
            .app_data(web::Data::from(s))
            .route("/token", web::post().to(token))
            .route(
                "/androidpublisher/v3/applications/{package}/reviews",
                web::get().to(play_reviews),
            )
            .default_service(web::to(app_store_page))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    let base = format!("http://127.0.0.1:{port}");
    *served.token_url.lock().unwrap() = format!("{base}/token");
    StoreServer { base, served }
}

/// `/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json`
async fn app_store_page(req: HttpRequest, s: web::Data<Served>) -> HttpResponse {
    s.requests.lock().unwrap().push(req.path().to_owned());
    if let Some(status) = *s.fail_with.lock().unwrap() {
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .finish();
    }
    let segs: Vec<&str> = req.path().trim_start_matches('/').split('/').collect();
    let page = match segs.as_slice() {
        [_country, "rss", "customerreviews", page, id, "sortby=mostrecent", "json"]
            if id.starts_with("id=") =>
        {
            page.strip_prefix("page=")
                .and_then(|n| n.parse::<usize>().ok())
        }
        _ => None,
    };
    let Some(page) = page.filter(|n| (1..=10).contains(n)) else {
        return HttpResponse::NotFound().finish();
    };
    let body = s
        .pages
        .lock()
        .unwrap()
        .get(page - 1)
        .cloned()
        .unwrap_or_else(|| fixture("empty"));
    // Apple serves JSON as text/javascript.
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(body.to_string())
}

/// The test key's public half, as openssl wrote it.
fn public_der() -> Vec<u8> {
    let body: String = PUBLIC_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    STANDARD.decode(body).unwrap()
}

/// Checks an assertion as Google does: the RS256 signature with the account's public key,
/// then the header and claims.
fn check_assertion(jwt: &str, audience: &str) -> Result<(), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, sig] = parts.as_slice() else {
        return Err("not a JWS".into());
    };
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|e| e.to_string())?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_der())
        .verify(format!("{header}.{claims}").as_bytes(), &sig)
        .map_err(|_| "Invalid JWT Signature.".to_owned())?;
    let decode = |p: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD.decode(p).map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    };
    if decode(header)? != json!({"alg": "RS256", "typ": "JWT"}) {
        return Err("bad header".into());
    }
    let c = decode(claims)?;
    let (iat, exp) = (
        c["iat"].as_i64().unwrap_or(0),
        c["exp"].as_i64().unwrap_or(0),
    );
    let now = chrono::Utc::now().timestamp();
    let ok = c["iss"] == EMAIL
        && c["scope"] == SCOPE
        && c["aud"] == audience
        && exp > iat
        && exp - iat <= 3600
        && (iat - now).abs() < 300;
    ok.then_some(())
        .ok_or_else(|| format!("Invalid JWT: claims {c}"))
}

async fn token(s: web::Data<Served>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    s.token_requests.fetch_add(1, Ordering::SeqCst);
    if form.get("grant_type").map(String::as_str) != Some(GRANT) {
        return HttpResponse::BadRequest().json(
            json!({"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}),
        );
    }
    let audience = s.token_url.lock().unwrap().clone();
    if let Err(why) = check_assertion(form.get("assertion").map_or("", String::as_str), &audience) {
        return HttpResponse::BadRequest()
            .json(json!({"error": "invalid_grant", "error_description": why}));
    }
    let mut answer = fixture("token");
    let issued = format!("ya29.test-{}", s.token_requests.load(Ordering::SeqCst));
    answer["access_token"] = json!(issued);
    s.tokens.lock().unwrap().push(issued);
    HttpResponse::Ok().json(answer)
}

async fn play_reviews(
    req: HttpRequest,
    s: web::Data<Served>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    s.requests
        .lock()
        .unwrap()
        .push(format!("{}?{}", req.path(), req.query_string()));
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !s.tokens.lock().unwrap().iter().any(|t| t == bearer) {
        return HttpResponse::Unauthorized()
            .json(json!({"error": {"code": 401, "status": "UNAUTHENTICATED"}}));
    }
    if let Some(status) = *s.fail_with.lock().unwrap() {
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .finish();
    }
    if query.get("maxResults").map(String::as_str) != Some("100") {
        return HttpResponse::BadRequest().finish();
    }
    let pages = s.pages.lock().unwrap().clone();
    // Page i's nextPageToken is "p{i+1}" unless the page says otherwise.
    let index = match query.get("token") {
        None => 0,
        Some(t) => match pages
            .iter()
            .position(|p| p["tokenPagination"]["nextPageToken"] == t.as_str())
        {
            Some(i) => i + 1,
            None => return HttpResponse::BadRequest().finish(),
        },
    };
    HttpResponse::Ok().json(pages.get(index).cloned().unwrap_or_else(|| json!({})))
}

async fn create(app: &TestApp, body: Value) -> Value {
    let res = app.post_json("/api/v1/sources", &body).await;
    assert_eq!(res.status(), 201, "{body}");
    res.json().await.unwrap()
}

async fn poll(app: &TestApp, id: &str) -> Value {
    let res = app
        .post_json(&format!("/api/v1/sources/{id}/poll"), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The fields of a 422 answer's errors.
async fn refused_fields(res: reqwest::Response) -> Vec<String> {
    let body = assert_problem(res, 422, "validation_failed").await;
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn app_store_reviews_are_stored_once_and_edits_replace_them(app: TestApp) {
    let store = store_server().await;
    // Page 1 as Apple answers today; page 2 as it did in 2015 (the app itself first, no times,
    // `last` = page 8); page 3 empty: the walk ends there.
    store.set_pages(vec![fixture("constructed"), fixture("2015")]);
    let src = create(
        &app,
        json!({"kind": "app_store", "name": "iOS 评价", "app_id": "310633997", "country": "US", "url": store.base}),
    )
    .await;
    assert_eq!(
        (
            src["kind"].as_str(),
            src["app_id"].as_str(),
            src["country"].as_str()
        ),
        (Some("app_store"), Some("310633997"), Some("us"))
    );
    assert_eq!(src["interval_secs"], 3600);
    assert!(src["next_poll_at"].is_string(), "due at once: {src}");
    let id = src["id"].as_str().unwrap();

    let out = poll(&app, id).await;
    assert_eq!(
        out,
        json!({"fetched": 52, "stored": 52, "changed": 0, "not_modified": false})
    );
    assert_eq!(
        store.requests(),
        (1..=3)
            .map(|n| format!(
                "/us/rss/customerreviews/page={n}/id=310633997/sortby=mostrecent/json"
            ))
            .collect::<Vec<_>>()
    );
    let items = app.all_feedback("channel=review").await;
    assert_eq!(items.len(), 52);
    let sync = items
        .iter()
        .find(|i| i["external_id"] == "us:14548543799")
        .unwrap();
    assert_eq!(sync["channel"], "review");
    assert_eq!(sync["channel_name"], "应用商店评价");
    assert_eq!(sync["platform_name"], "App Store");
    assert_eq!(sync["context"]["platform"], "app_store");
    assert_eq!(sync["context"]["country"], "us");
    assert_eq!(sync["source_id"], id);
    assert_eq!(sync["author"], "Night Owl Reader");
    assert_eq!(sync["scores"], json!({"rating": 2}));
    assert_eq!(sync["attributes"]["app_version"], "4.12.0");
    assert_eq!(sync["occurred_at"], "2026-09-14T11:24:23Z");
    assert!(sync["text"]
        .as_str()
        .unwrap()
        .starts_with("Sync keeps failing\nSince the last update"));
    assert!(sync["sentiment"].is_string(), "analysed: {sync}");
    let old = items
        .iter()
        .find(|i| i["external_id"] == "us:1205430410")
        .unwrap();
    assert_eq!(old["text"], "あまり\n利便性がわかりずらい");
    assert_eq!(old["context"]["time_approximate"], true);

    // Again: page 1 reaches back past the newest review already read; nothing new.
    let out = poll(&app, id).await;
    assert_eq!(
        (out["stored"].as_u64(), out["changed"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(store.requests().len(), 4, "one page is enough");
    assert_eq!(app.all_feedback("channel=review").await.len(), 52);

    // The reviewer edits the review: new text, new stars, a later time.
    let mut page = fixture("constructed");
    let first = &mut page["feed"]["entry"][0];
    first["updated"]["label"] = json!("2026-09-16T09:00:00-07:00");
    first["im:rating"]["label"] = json!("4");
    first["content"]["label"] = json!("更新到 4.12.1 以后同步好了，谢谢！");
    store.set_pages(vec![page]);
    let out = poll(&app, id).await;
    assert_eq!(
        (out["stored"].as_u64(), out["changed"].as_u64()),
        (Some(0), Some(1))
    );
    let items = app.all_feedback("channel=review").await;
    assert_eq!(items.len(), 52);
    let edited: Vec<&Value> = items
        .iter()
        .filter(|i| i["external_id"] == "us:14548543799")
        .collect();
    assert_eq!(edited.len(), 1);
    assert_eq!(
        edited[0]["text"],
        "Sync keeps failing\n更新到 4.12.1 以后同步好了，谢谢！"
    );
    assert_eq!(edited[0]["scores"], json!({"rating": 4}));
    assert_eq!(edited[0]["occurred_at"], "2026-09-16T16:00:00Z");
    assert_eq!(
        edited[0]["id"], sync["id"],
        "the same item, its text replaced"
    );

    // Apple's empty answer (no reviews, or throttled): recorded, nothing stored or lost.
    store.set_pages(vec![]);
    let out = poll(&app, id).await;
    assert_eq!(out["empty"], true);
    assert_eq!(out["stored"], 0);
    let src: Value = app
        .get(&format!("/api/v1/sources/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(src["last_poll"]["empty_polls"], 1);
    assert_eq!(src["last_poll"]["newest_at"], "2026-09-16T16:00:00Z");
    assert_eq!(app.all_feedback("channel=review").await.len(), 52);
    // The filter knows the channel; an unknown one is refused naming it.
    let res = app.get("/api/v1/feedback?channel=reviews").await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(body.to_string().contains("or review"), "{body}");
}

async fn app_store_settings_are_checked_and_failures_name_the_host(app: TestApp) {
    let store = store_server().await;
    for (body, field) in [
        (json!({"kind": "app_store", "name": "x"}), "/app_id"),
        (
            json!({"kind": "app_store", "name": "x", "app_id": "id123"}),
            "/app_id",
        ),
        (
            json!({"kind": "app_store", "name": "x", "app_id": "123", "country": "china"}),
            "/country",
        ),
        (
            json!({"kind": "app_store", "name": "x", "app_id": "123", "url": "itunes.apple.com"}),
            "/url",
        ),
        (
            json!({"kind": "app_store", "name": "x", "app_id": "123", "interval_secs": 10}),
            "/interval_secs",
        ),
        (
            json!({"kind": "app_store", "name": "x", "app_id": "123", "keywords": ["听见"]}),
            "/keywords",
        ),
        (
            json!({"kind": "app_store", "name": "x", "app_id": "123", "signing_secret": "s"}),
            "/signing_secret",
        ),
        (
            json!({"kind": "feed", "name": "x", "url": store.base, "app_id": "123"}),
            "/app_id",
        ),
        (json!({"kind": "store", "name": "x"}), "/kind"),
    ] {
        let res = app.post_json("/api/v1/sources", &body).await;
        assert_eq!(refused_fields(res).await, [field], "{body}");
    }
    let src = create(
        &app,
        json!({"kind": "app_store", "name": "x", "app_id": "123", "url": store.base, "interval_secs": 600}),
    )
    .await;
    assert_eq!(src["country"], "cn");
    let id = src["id"].as_str().unwrap();
    let path = format!("/api/v1/sources/{id}");
    let res = app.patch_json(&path, &json!({"country": "c1"})).await;
    assert_eq!(refused_fields(res).await, ["/country"]);
    let res = app
        .patch_json(&path, &json!({"package": "com.example.app"}))
        .await;
    assert_eq!(refused_fields(res).await, ["/package"]);
    store.set_pages(vec![fixture("constructed")]);
    assert_eq!(poll(&app, id).await["stored"], 2);
    let src: Value = app.get(&path).await.json().await.unwrap();
    assert!(src["last_poll"]["newest_at"].is_string());
    // Another storefront: what was read of the last one is forgotten.
    let res = app.patch_json(&path, &json!({"country": "jp"})).await;
    assert_eq!(res.status(), 200);
    let src: Value = res.json().await.unwrap();
    assert_eq!(
        (src["country"].as_str(), src["interval_secs"].as_u64()),
        (Some("jp"), Some(600))
    );
    assert_eq!(src["last_poll"], json!({}));
    let src: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(src["last_poll"], json!({}));

    // The store failing is a 502 naming the host, not the path (the app id) or the port.
    *store.served.fail_with.lock().unwrap() = Some(503);
    let res = app.post_json(&format!("{path}/poll"), &json!({})).await;
    let body = assert_problem(res, 502, "feed_unreachable").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("127.0.0.1") && detail.contains("503"),
        "{detail}"
    );
    assert!(
        !detail.contains("customerreviews") && !detail.contains("id=123"),
        "{detail}"
    );
    let src: Value = app.get(&path).await.json().await.unwrap();
    assert!(src["last_poll"]["last_error"]
        .as_str()
        .unwrap()
        .contains("503"));
    assert_eq!(app.all_feedback("channel=review").await.len(), 2);
}

/// Google's documented list as two pages: the example (two reviews, a `nextPageToken`), then
/// one more review and no token.
fn play_pages() -> Vec<Value> {
    let second = json!({"reviews": [{
        "reviewId": "gp-3",
        "authorName": "小李",
        "comments": [{"userComment": {
            "text": "更新后\t登录页面一直转圈，进不去",
            "lastModified": {"seconds": "1790000000", "nanos": 0},
            "starRating": 1,
            "reviewerLanguage": "zh_CN",
            "device": "HWELE",
            "androidOsVersion": 29,
            "appVersionName": "5.2.0"
        }}]
    }]});
    vec![fixture("play"), second]
}

async fn google_play_reviews_come_with_a_signed_assertion(app: TestApp) {
    let store = store_server().await;
    store.set_pages(play_pages());
    let src = create(
        &app,
        json!({"kind": "google_play", "name": "Android 评价", "package": "com.example.app",
               "service_account": key_file(), "url": store.base, "token_url": format!("{}/token", store.base)}),
    )
    .await;
    assert_eq!(src["service_account_email"], EMAIL);
    assert_eq!(src["package"], "com.example.app");
    let id = src["id"].as_str().unwrap();

    let out = poll(&app, id).await;
    assert_eq!(
        out,
        json!({"fetched": 3, "stored": 3, "changed": 0, "not_modified": false})
    );
    assert_eq!(store.served.token_requests.load(Ordering::SeqCst), 1);
    assert_eq!(
        store.requests(),
        [
            "/androidpublisher/v3/applications/com.example.app/reviews?maxResults=100",
            "/androidpublisher/v3/applications/com.example.app/reviews?maxResults=100&token=12334566",
        ]
    );
    let items = app.all_feedback("channel=review").await;
    assert_eq!(items.len(), 3);
    assert!(
        !items.iter().any(|i| i["text"] == "That's great to hear!"),
        "the developer's reply is not feedback"
    );
    let jane = items
        .iter()
        .find(|i| i["external_id"] == "12345678")
        .unwrap();
    assert_eq!(jane["text"], "This is the best app ever!");
    assert_eq!(jane["author"], "Jane Bloggs");
    assert_eq!(jane["scores"], json!({"rating": 5}));
    assert_eq!(jane["context"]["platform"], "google_play");
    assert_eq!(jane["platform_name"], "Google Play");
    assert_eq!(jane["occurred_at"], "2015-10-01T05:20:26.713Z");
    let li = items.iter().find(|i| i["external_id"] == "gp-3").unwrap();
    assert_eq!(li["text"], "更新后\n登录页面一直转圈，进不去");
    assert_eq!(
        li["attributes"],
        json!({"app_version": "5.2.0", "device": "HWELE", "android_os_version": 29, "reviewer_language": "zh_CN"})
    );

    // Again: every review already stored as it is.
    let out = poll(&app, id).await;
    assert_eq!(
        (out["stored"].as_u64(), out["changed"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(app.all_feedback("channel=review").await.len(), 3);

    // Jane edits her review a year later: fewer stars, new words.
    let mut pages = play_pages();
    let comment = &mut pages[0]["reviews"][0]["comments"][0]["userComment"];
    comment["text"] = json!("新版本广告太多了");
    comment["starRating"] = json!(2);
    comment["lastModified"] = json!({"seconds": "1475212826", "nanos": 0});
    store.set_pages(pages);
    let out = poll(&app, id).await;
    assert_eq!(
        (out["stored"].as_u64(), out["changed"].as_u64()),
        (Some(0), Some(1))
    );
    let items = app.all_feedback("channel=review").await;
    assert_eq!(items.len(), 3);
    let janes: Vec<&Value> = items
        .iter()
        .filter(|i| i["external_id"] == "12345678")
        .collect();
    assert_eq!(janes.len(), 1);
    assert_eq!(janes[0]["text"], "新版本广告太多了");
    assert_eq!(janes[0]["scores"], json!({"rating": 2}));
    assert_eq!(janes[0]["id"], jane["id"]);

    // A later poll of the old version changes nothing back.
    store.set_pages(play_pages());
    let out = poll(&app, id).await;
    assert_eq!(out["changed"], 0);
    let text = app.all_feedback("channel=review").await;
    assert!(text.iter().any(|i| i["text"] == "新版本广告太多了"));

    // Neither the access token nor the key is kept where the workspace can read it.
    let src: Value = app
        .get(&format!("/api/v1/sources/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let shown = src.to_string();
    assert!(
        !shown.contains("ya29") && !shown.contains("PRIVATE KEY"),
        "{shown}"
    );
    assert!(src["last_poll"]["last_error"].is_null());
}

async fn google_play_keys_are_checked_and_never_shown(app: TestApp) {
    let store = store_server().await;
    store.set_pages(play_pages());
    let pem = key_file()["private_key"].as_str().unwrap().to_owned();
    // A piece of the key's body, to look for in every answer.
    let secret_piece: String = pem.lines().nth(5).unwrap().to_owned();
    let base = json!({"kind": "google_play", "name": "Android", "package": "com.example.app",
                      "service_account": key_file(), "url": store.base,
                      "token_url": format!("{}/token", store.base)});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let mut broken = key_file();
    broken["private_key"] = json!(pem.replacen("MII", "MIX", 1));
    let mut no_email = key_file();
    no_email.as_object_mut().unwrap().remove("client_email");
    let mut no_key = key_file();
    no_key.as_object_mut().unwrap().remove("private_key");
    for (body, field) in [
        (
            with("service_account", broken.clone()),
            "/service_account/private_key",
        ),
        (
            with("service_account", no_key),
            "/service_account/private_key",
        ),
        (
            with("service_account", no_email),
            "/service_account/client_email",
        ),
        (with("service_account", json!(pem)), "/service_account"),
        (with("package", json!("example")), "/package"),
        (with("token_url", json!("oauth2")), "/token_url"),
        (with("app_id", json!("123")), "/app_id"),
    ] {
        let res = app.post_json("/api/v1/sources", &body).await;
        let text = res.text().await.unwrap();
        assert!(
            !text.contains(&secret_piece),
            "the key is not echoed: {text}"
        );
        let problem: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(problem["status"], 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let res = app.post_json("/api/v1/sources", &base).await;
    assert_eq!(res.status(), 201);
    let created = res.text().await.unwrap();
    for leak in [secret_piece.as_str(), "PRIVATE KEY", "private_key"] {
        assert!(!created.contains(leak), "{leak} in {created}");
    }
    let id = serde_json::from_str::<Value>(&created).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/sources/{id}");
    let res = app
        .patch_json(&path, &json!({"service_account": broken}))
        .await;
    assert_eq!(refused_fields(res).await, ["/service_account/private_key"]);
    let listed = app.get("/api/v1/sources").await.text().await.unwrap();
    assert!(!listed.contains(&secret_piece) && !listed.contains("PRIVATE KEY"));

    // The same key under another account's name: Google refuses the assertion, and the poll
    // says so without the token endpoint's path or anything of the key.
    let mut other = key_file();
    other["client_email"] = json!("someone-else@other.iam.gserviceaccount.com");
    let res = app
        .patch_json(&path, &json!({"service_account": other}))
        .await;
    assert_eq!(res.status(), 200);
    let patched = res.text().await.unwrap();
    assert!(patched.contains("someone-else@") && !patched.contains(&secret_piece));
    let res = app.post_json(&format!("{path}/poll"), &json!({})).await;
    let body = assert_problem(res, 502, "feed_unreachable").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("invalid_grant") && detail.contains("127.0.0.1"),
        "{detail}"
    );
    assert!(!detail.contains("/token"), "{detail}");
    assert!(
        store.requests().is_empty(),
        "no reviews asked for without a token"
    );
    let src: Value = app.get(&path).await.json().await.unwrap();
    assert!(src["last_poll"]["last_error"]
        .as_str()
        .unwrap()
        .contains("invalid_grant"));
    assert!(app.all_feedback("channel=review").await.is_empty());
}

/// The background poller claims app store sources as it claims feeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_poller_polls_app_stores() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.run_poller = true;
        s.poll_tick = Duration::from_millis(100);
    })
    .await
    else {
        return;
    };
    let store = store_server().await;
    store.set_pages(vec![fixture("constructed")]);
    create(
        &app,
        json!({"kind": "app_store", "name": "iOS", "app_id": "310633997", "url": store.base}),
    )
    .await;
    for _ in 0..100 {
        if !app.all_feedback("channel=review").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.all_feedback("channel=review").await.len(), 2);
    // Claimed once: not fetched again within its interval (pages 1 and 2, the empty one).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(store.requests().len(), 2);
}

/// The local token endpoint is as strict as the tests need it to be: a wrong grant type, a
/// forged signature and a stale assertion are refused; a good one gets a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_token_endpoint_refuses_what_google_would() {
    let store = store_server().await;
    let token_url = format!("{}/token", store.base);
    let b64 = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let now = chrono::Utc::now().timestamp();
    let header = b64(json!({"alg": "RS256", "typ": "JWT"}));
    let claims = |iat: i64| {
        b64(json!({"iss": EMAIL, "scope": SCOPE, "aud": token_url, "iat": iat, "exp": iat + 3600}))
    };
    let forged = format!(
        "{header}.{}.{}",
        claims(now),
        URL_SAFE_NO_PAD.encode([7u8; 256])
    );
    let key = SigningKey::from_pem(key_file()["private_key"].as_str().unwrap()).unwrap();
    let stale = assertion(
        &key,
        EMAIL,
        &token_url,
        chrono::Utc::now() - chrono::Duration::hours(2),
    )
    .unwrap();
    let good = assertion(&key, EMAIL, &token_url, chrono::Utc::now()).unwrap();
    let client = reqwest::Client::new();
    for (grant, assertion, error) in [
        (
            "client_credentials",
            good.as_str(),
            "unsupported_grant_type",
        ),
        (GRANT, forged.as_str(), "invalid_grant"),
        (GRANT, "not.a.jwt", "invalid_grant"),
        (GRANT, stale.as_str(), "invalid_grant"),
    ] {
        let res = client
            .post(&token_url)
            .form(&[("grant_type", grant), ("assertion", assertion)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["error"], error);
    }
    assert!(store.served.tokens.lock().unwrap().is_empty());
    let res = client
        .post(&token_url)
        .form(&[("grant_type", GRANT), ("assertion", good.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["token_type"], "Bearer");
}
