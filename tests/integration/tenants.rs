//! Tenant walls, route by route. One workspace (the owner) holds one of everything: a survey
//! with a response, a webhook source and a feed source, an interview, feedback with pain points,
//! a label correction, a dictionary word, a category, an extra key, a digest subscription and a
//! delivery. Another workspace's key then tries every route of the OpenAPI document with the
//! owner's ids: a route with an id answers 404, a list or an aggregate answers empty or zero,
//! and the owner's data, read again with the owner's key afterwards, is unchanged.
//!
//! The table below must name every operation of `GET /api/openapi.json`: a route added to the
//! document without a row here fails the test until it is checked, or listed as not holding
//! any workspace's data with the reason.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::both_backends;
use crate::helpers::{assert_problem, TestApp};
use crate::social::{feed_server, rss, FeedServer};

both_backends!(every_route_keeps_to_its_workspace);

/// How a route is held to the wall.
enum Wall {
    /// Another workspace's key and the owner's id: 404, nothing changes.
    Id,
    /// A list or an aggregate: the other workspace sees none of the owner's data.
    Aggregate,
    /// Acts on the key's own workspace only (its settings, its analysis).
    Own,
    /// Creates in the caller's workspace: the owner's idempotency keys, addresses and ids do
    /// not collide with another workspace's, and the owner's data is unchanged.
    Create,
    /// Not keyed to a workspace by an API key; the reason says what guards it.
    Public(&'static str),
    /// Answers without an API key, the same whoever asks (the reason says what it tells):
    /// tried with another workspace's key all the same, it tells no more of the owner's.
    Keyless(&'static str),
}

// Why the routes without an API key hold no wall to test.
const HEALTH: Wall = Wall::Public("process health and readiness, no workspace data");
const METRICS: Wall =
    Wall::Public("process-wide counters by route pattern and channel, no ids or texts");
const DESCRIPTION: Wall = Wall::Public("the API's description, the same for everyone");
const STATIC: Wall = Wall::Public("a static file");
const CONSOLE: Wall = Wall::Public(
    "a redirect to sign in, or to the signed-in member's own first workspace; a session's \
     wall is tested in console_auth.rs",
);
const SURVEY: Wall = Wall::Public(
    "public survey endpoints: the survey id is what respondents are given, no key, no workspace",
);
const UNSUBSCRIBE: Wall =
    Wall::Public("the token (32 random bytes, only in the subscriber's mail) is the credential");
const HOOK_CHECK: Wall = Wall::Keyless(
    "a tool checking its webhook URL before saving it: 200 {\"ok\": true} for a live webhook \
     source, else 404, and nothing of its workspace",
);

/// Every operation of the OpenAPI document, in the order they are tried: reads and attempts on
/// the owner's ids first (while the other workspace is still empty), creations last.
const TABLE: &[(&str, &str, Wall)] = &[
    ("GET", "/healthz", HEALTH),
    ("HEAD", "/healthz", HEALTH),
    ("GET", "/readyz", HEALTH),
    ("HEAD", "/readyz", HEALTH),
    ("GET", "/metrics", METRICS),
    ("GET", "/api/openapi.json", DESCRIPTION),
    ("GET", "/api/docs", DESCRIPTION),
    ("GET", "/embed.js", STATIC),
    ("GET", "/frame.js", STATIC),
    ("GET", "/console", CONSOLE),
    ("GET", "/s/{id}", SURVEY),
    ("GET", "/s/{id}/definition.json", SURVEY),
    ("OPTIONS", "/s/{id}/responses", SURVEY),
    ("POST", "/s/{id}/responses", SURVEY),
    ("GET", "/unsubscribe/{token}", UNSUBSCRIBE),
    ("POST", "/unsubscribe/{token}", UNSUBSCRIBE),
    ("GET", "/api/v1/keys", Wall::Aggregate),
    ("DELETE", "/api/v1/keys/{id}", Wall::Id),
    ("GET", "/api/v1/members", Wall::Aggregate),
    ("PATCH", "/api/v1/members/{id}", Wall::Id),
    ("DELETE", "/api/v1/members/{id}", Wall::Id),
    ("POST", "/api/v1/members/{id}/sign-in-link", Wall::Id),
    ("GET", "/api/v1/surveys", Wall::Aggregate),
    ("GET", "/api/v1/surveys/{id}", Wall::Id),
    ("PATCH", "/api/v1/surveys/{id}", Wall::Id),
    ("POST", "/api/v1/surveys/{id}/archive", Wall::Id),
    ("GET", "/api/v1/sources", Wall::Aggregate),
    ("GET", "/api/v1/sources/{id}", Wall::Id),
    ("PATCH", "/api/v1/sources/{id}", Wall::Id),
    ("DELETE", "/api/v1/sources/{id}", Wall::Id),
    ("POST", "/api/v1/sources/{id}/rotate-secret", Wall::Id),
    ("POST", "/api/v1/sources/{id}/poll", Wall::Id),
    ("POST", "/api/v1/sources/{id}/test", Wall::Id),
    ("GET", "/hooks/{source_id}", HOOK_CHECK),
    ("HEAD", "/hooks/{source_id}", HOOK_CHECK),
    ("GET", "/api/v1/feedback", Wall::Aggregate),
    ("GET", "/api/v1/feedback/count", Wall::Aggregate),
    ("GET", "/api/v1/feedback/export", Wall::Aggregate),
    ("GET", "/api/v1/feedback/{id}", Wall::Id),
    ("PUT", "/api/v1/feedback/{id}/labels", Wall::Id),
    ("POST", "/api/v1/label-corrections", Wall::Own),
    ("DELETE", "/api/v1/feedback/{id}", Wall::Id),
    ("DELETE", "/api/v1/respondents/{id}", Wall::Id),
    ("GET", "/api/v1/respondents/{id}", Wall::Id),
    ("GET", "/api/v1/respondents", Wall::Aggregate),
    ("GET", "/api/v1/dictionary", Wall::Aggregate),
    ("DELETE", "/api/v1/dictionary/{word}", Wall::Id),
    ("GET", "/api/v1/pain-point-categories", Wall::Aggregate),
    ("DELETE", "/api/v1/pain-point-categories/{id}", Wall::Id),
    ("POST", "/api/v1/analyze", Wall::Own),
    ("GET", "/api/v1/workspace", Wall::Own),
    ("PATCH", "/api/v1/workspace", Wall::Own),
    ("GET", "/api/v1/workspace/export", Wall::Aggregate),
    ("GET", "/api/v1/pain-points/emerging", Wall::Aggregate),
    ("GET", "/api/v1/insights/trends", Wall::Aggregate),
    ("GET", "/api/v1/insights/pain-points", Wall::Aggregate),
    ("GET", "/api/v1/insights/drivers", Wall::Aggregate),
    ("GET", "/api/v1/insights/segments", Wall::Aggregate),
    ("GET", "/api/v1/digest-subscriptions", Wall::Aggregate),
    ("GET", "/api/v1/digest-subscriptions/{id}", Wall::Id),
    ("DELETE", "/api/v1/digest-subscriptions/{id}", Wall::Id),
    ("GET", "/api/v1/digest-deliveries", Wall::Aggregate),
    ("GET", "/api/v1/digests/{period}", Wall::Aggregate),
    ("POST", "/api/v1/digests/{period}/send", Wall::Aggregate),
    ("POST", "/api/v1/keys", Wall::Create),
    ("POST", "/api/v1/members", Wall::Create),
    ("POST", "/api/v1/surveys", Wall::Create),
    ("POST", "/api/v1/sources", Wall::Create),
    ("POST", "/hooks/{source_id}", Wall::Create),
    ("POST", "/api/v1/interviews", Wall::Create),
    ("POST", "/api/v1/mentions", Wall::Create),
    ("POST", "/api/v1/imports/csv", Wall::Create),
    ("POST", "/api/v1/dictionary", Wall::Create),
    ("POST", "/api/v1/pain-point-categories", Wall::Create),
    ("POST", "/api/v1/digest-subscriptions", Wall::Create),
];

const RESPONDENT: &str = "u-wall";
const WORD: &str = "喵购省钱卡";
const CATEGORY: &str = "coupon";
const EMAIL: &str = "owner@example.com";
/// The owner's member (with a password, so inviting the address sends no mail).
const MEMBER: &str = "member@example.com";
const INTERVIEW_EXTERNAL_ID: &str = "wall-interview-1";
const MENTIONS: &str = r#"{"items": [{"platform": "weibo", "id": "wall-m-1", "text": "手表电池续航太差了"},
    {"platform": "weibo", "id": "wall-m-2", "text": "这个电池续航真差，失望"},
    {"platform": "weibo", "id": "wall-m-3", "text": "电池续航差到离谱"}]}"#;
const CSV: &str = "编号,评论\nc1,退款申请三天了没人处理\n";
const CSV_QUERY: &str =
    "map=text%3D%E8%AF%84%E8%AE%BA&map=external_id%3D%E7%BC%96%E5%8F%B7&source=wall";

/// The owner's workspace, seeded, and the other workspaces' keys.
struct Walled {
    app: TestApp,
    /// An admin key of another workspace: it tries the owner's ids.
    other: String,
    other_ws: String,
    /// An admin key of a third workspace, for the creating routes, so the other one stays
    /// empty for its lists and aggregates.
    newcomer: String,
    feed: FeedServer,
    survey: String,
    webhook: String,
    feed_source: String,
    interview: String,
    feedback: Vec<String>,
    labelled: String,
    extra_key_id: String,
    extra_key: String,
    member: String,
    subscription: String,
    delivery: String,
    /// Yesterday in the owner's zone: a finished day holding the webhook items.
    day: String,
    /// A range around everything seeded now, for trends and rankings.
    range: String,
}

/// Filters of the feedback list, each matching some of the owner's items.
fn feedback_filters(o: &Walled) -> Vec<String> {
    vec![
        String::new(),
        format!("source={}", o.survey),
        format!("source={}", o.webhook),
        format!("source={}", o.feed_source),
        format!("source=interview:{}", o.interview),
        "source=import:wall".into(),
        "source=mentions:weibo".into(),
        format!("respondent_id={RESPONDENT}"),
        "pain_point=payment".into(),
        "q=%E5%A4%B1%E8%B4%A5".into(),
    ]
}

/// Standard Webhooks signature, as the docs describe it (not the app's own signer).
fn signature(secret: &str, id: &str, ts: &str, body: &str) -> String {
    let key = B64
        .decode(secret.trim_start_matches("whsec_"))
        .expect("a whsec_ secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

async fn deliver(
    app: &TestApp,
    source: &str,
    secret: &str,
    id: &str,
    body: &str,
) -> reqwest::Response {
    let ts = chrono::Utc::now().timestamp().to_string();
    app.client
        .post(app.url(&format!("/hooks/{source}")))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", &ts)
        .header("webhook-signature", signature(secret, id, &ts, body))
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// The body of a 2xx answer with this status.
async fn body(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {v}"))
}

impl Walled {
    fn with(&self, key: &str, method: &str, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .request(method.parse().unwrap(), self.app.url(path))
            .bearer_auth(key)
    }

    /// The other workspace's request.
    fn other(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        self.with(&self.other, method, path)
    }

    async fn other_get(&self, path: &str) -> Value {
        body(self.other("GET", path).send().await.unwrap(), 200).await
    }

    async fn owner_get(&self, path: &str) -> Value {
        body(self.app.get(path).await, 200).await
    }

    /// The other workspace's request answers 404 `not_found`.
    async fn not_found(&self, req: reqwest::RequestBuilder) {
        let req = req.build().unwrap();
        let what = format!("{} {}", req.method(), req.url().path());
        let res = self.app.client.execute(req).await.unwrap();
        let status = res.status().as_u16();
        assert_eq!(status, 404, "{what} with another workspace's key");
        assert_problem(res, 404, "not_found").await;
    }

    async fn seed(app: TestApp) -> Self {
        let (other_ws, other) = app.other_workspace().await;
        let (_, newcomer) = app.other_workspace().await;
        let now = chrono::Utc::now();
        let local = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        // Shanghai keeps no daylight saving: 24 hours ago is yesterday there.
        let day = local.pred_opt().unwrap().to_string();
        let range = format!(
            "from={}&to={}",
            local - chrono::Duration::days(14),
            local.succ_opt().unwrap()
        );

        // A survey and a response of the respondent.
        let survey = crate::surveys::create_survey(&app, &crate::surveys::nps_survey()).await;
        let res = app
            .client
            .post(app.url(&format!("/s/{survey}/responses")))
            .json(
                &json!({"answers": {"q1": 3, "q2": "结账的时候支付失败了好几次", "q4": 2},
                "respondent": {"id": RESPONDENT}, "response_id": "wall-response-1"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(body(res, 201).await["feedback_count"], 1);

        // A webhook source and a delivery: complaints with pain points, a day old.
        let src = body(
            app.post_json(
                "/api/v1/sources",
                &json!({"kind": "webhook", "name": "客服系统"}),
            )
            .await,
            201,
        )
        .await;
        let webhook = src["id"].as_str().unwrap().to_owned();
        let secret = src["secret"].as_str().unwrap().to_owned();
        let at = (now - chrono::Duration::hours(24)).to_rfc3339();
        let items_json = json!({"items": [
            {"text": "扫码付款一直失败，钱扣了订单没成功", "external_id": "wh-1", "respondent_id": RESPONDENT, "occurred_at": at},
            {"text": "支付失败三次了，太耽误事", "external_id": "wh-2", "occurred_at": at},
            {"text": "这个功能设计得很有想法", "external_id": "wh-3", "occurred_at": at}
        ]})
        .to_string();
        let out = body(
            deliver(&app, &webhook, &secret, "wall-msg-1", &items_json).await,
            200,
        )
        .await;
        assert_eq!(out["stored"], 3, "{out}");

        // A feed source, polled once by its owner.
        let feed = feed_server().await;
        *feed.body.lock().unwrap() = (rss(&[("wall-f1", "听见 又闪退了")]), "application/rss+xml");
        let src = body(
            app.post_json(
                "/api/v1/sources",
                &json!({"kind": "feed", "name": "微博", "url": feed.url, "keywords": ["听见"]}),
            )
            .await,
            201,
        )
        .await;
        let feed_source = src["id"].as_str().unwrap().to_owned();
        let out = body(
            app.post_json(&format!("/api/v1/sources/{feed_source}/poll"), &json!({}))
                .await,
            200,
        )
        .await;
        assert_eq!(out["stored"], 1, "{out}");

        // An interview with the respondent.
        let out = body(
            app.post_json(
                "/api/v1/interviews",
                &json!({"title": "访谈", "external_id": INTERVIEW_EXTERNAL_ID,
                    "interviewee": {"id": RESPONDENT},
                    "transcript": "主持人：最近用得怎么样？\n用户：登录的时候验证码一直收不到。"}),
            )
            .await,
            201,
        )
        .await;
        assert_eq!(out["feedback_count"], 1, "{out}");
        let interview = out["id"].as_str().unwrap().to_owned();

        // Uncategorised complaints (an emerging cluster) and a CSV import.
        let mentions: Value = serde_json::from_str(MENTIONS).unwrap();
        let out = body(app.post_json("/api/v1/mentions", &mentions).await, 200).await;
        assert_eq!(out["stored"], 3, "{out}");
        let out = body(
            app.client
                .post(app.url(&format!("/api/v1/imports/csv?{CSV_QUERY}")))
                .bearer_auth(&app.api_key)
                .header("content-type", "text/csv")
                .body(CSV)
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        assert_eq!(out["stored"], 1, "{out}");

        // A label correction.
        let feedback: Vec<String> = app
            .all_feedback("")
            .await
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(feedback.len(), 10);
        let labelled = app.all_feedback("q=%E8%AE%BE%E8%AE%A1").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let out = body(
            app.client
                .put(app.url(&format!("/api/v1/feedback/{labelled}/labels")))
                .bearer_auth(&app.api_key)
                .json(&json!({"sentiment": "negative", "pain_points": ["ui"]}))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        assert_eq!(out["corrected"], true, "{out}");

        // A dictionary word, a category, a second key.
        body(
            app.post_json("/api/v1/dictionary", &json!({"words": [WORD]}))
                .await,
            200,
        )
        .await;
        body(
            app.post_json(
                "/api/v1/pain-point-categories",
                &json!({"id": CATEGORY, "name": "优惠券", "keywords": ["优惠券", "满减"]}),
            )
            .await,
            201,
        )
        .await;
        let key = body(
            app.post_json("/api/v1/keys", &json!({"name": "看板", "scopes": ["read"]}))
                .await,
            201,
        )
        .await;
        let extra_key_id = key["id"].as_str().unwrap().to_owned();
        let extra_key = key["api_key"].as_str().unwrap().to_owned();

        // A subscription, and a delivery of yesterday's digest to it (an .eml file: no SMTP).
        let sub = body(
            app.post_json("/api/v1/digest-subscriptions", &json!({"email": EMAIL}))
                .await,
            201,
        )
        .await;
        let subscription = sub["id"].as_str().unwrap().to_owned();
        let sent = body(
            app.post_json(&format!("/api/v1/digests/{day}/send"), &json!({}))
                .await,
            202,
        )
        .await;
        assert_eq!(sent["queued"], 1, "{sent}");
        assert_eq!(sent["deliveries"][0]["status"], "sent", "{sent}");
        let delivery = sent["deliveries"][0]["id"].as_str().unwrap().to_owned();

        let member = app.add_member_to(&app.workspace_id, MEMBER, "admin").await;
        Walled {
            app,
            other,
            other_ws,
            newcomer,
            feed,
            survey,
            webhook,
            feed_source,
            interview,
            feedback,
            labelled,
            extra_key_id,
            extra_key,
            member,
            subscription,
            delivery,
            day,
            range,
        }
    }

    /// Everything the owner can read, each under a name, plus the mail sent and the feed's
    /// fetches: compared before and after the other workspace's attempts.
    async fn owner_view(&self) -> Vec<(String, Value)> {
        let mut paths = vec![
            "/api/v1/keys".to_owned(),
            "/api/v1/members".into(),
            "/api/v1/workspace".into(),
            "/api/v1/surveys".into(),
            "/api/v1/surveys?status=archived".into(),
            format!("/api/v1/surveys/{}", self.survey),
            "/api/v1/sources".into(),
            format!("/api/v1/sources/{}", self.webhook),
            format!("/api/v1/sources/{}", self.feed_source),
            "/api/v1/dictionary".into(),
            "/api/v1/pain-point-categories".into(),
            "/api/v1/digest-subscriptions".into(),
            format!("/api/v1/digest-subscriptions/{}", self.subscription),
            "/api/v1/digest-deliveries".into(),
            format!("/api/v1/digests/{}", self.day),
            "/api/v1/pain-points/emerging".into(),
            format!(
                "/api/v1/insights/trends?metric=volume&interval=day&{}",
                self.range
            ),
            format!(
                "/api/v1/insights/trends?metric=nps&interval=day&{}",
                self.range
            ),
            format!("/api/v1/insights/pain-points?{}", self.range),
        ];
        paths.extend(
            self.feedback
                .iter()
                .map(|id| format!("/api/v1/feedback/{id}")),
        );
        let mut view = Vec::new();
        for path in paths {
            let v = self.owner_get(&path).await;
            view.push((path, v));
        }
        view.push((
            "all feedback".into(),
            json!(self.app.all_feedback("").await),
        ));
        let mails = std::fs::read_dir(self.app.data_dir.join("mail"))
            .map(|d| d.count())
            .unwrap_or(0);
        view.push(("mail files".into(), json!(mails)));
        view.push((
            "feed fetches".into(),
            json!(self.feed.hits.load(Ordering::SeqCst)),
        ));
        view
    }

    /// Another workspace's try at one documented operation.
    async fn cross(&self, method: &str, path: &str) {
        let o = self;
        match (method, path) {
            ("GET", "/api/v1/keys") => {
                let theirs = o.other_get("/api/v1/keys").await;
                let ours = o.owner_get("/api/v1/keys").await;
                assert_eq!(items(&ours).len(), 2, "{ours}");
                assert_eq!(items(&theirs).len(), 1, "only its own key: {theirs}");
                assert!(items(&ours).iter().all(|k| !items(&theirs).contains(k)));
            }
            ("DELETE", "/api/v1/keys/{id}") => {
                o.not_found(o.other("DELETE", &format!("/api/v1/keys/{}", o.extra_key_id)))
                    .await;
                // The key still opens the owner's workspace.
                let res = o
                    .with(&o.extra_key, "GET", "/api/v1/feedback?limit=1")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(items(&body(res, 200).await).len(), 1);
            }
            ("GET", "/api/v1/surveys") => {
                assert_eq!(items(&o.owner_get("/api/v1/surveys").await).len(), 1);
                for q in ["", "?status=archived", "?status=active"] {
                    let theirs = o.other_get(&format!("/api/v1/surveys{q}")).await;
                    assert!(items(&theirs).is_empty(), "{q}: {theirs}");
                }
            }
            ("GET", "/api/v1/surveys/{id}") => {
                o.not_found(o.other("GET", &format!("/api/v1/surveys/{}", o.survey)))
                    .await
            }
            ("PATCH", "/api/v1/surveys/{id}") => {
                o.not_found(
                    o.other("PATCH", &format!("/api/v1/surveys/{}", o.survey))
                        .json(&json!({"title": "改掉", "status": "closed"})),
                )
                .await
            }
            ("POST", "/api/v1/surveys/{id}/archive") => {
                o.not_found(
                    o.other("POST", &format!("/api/v1/surveys/{}/archive", o.survey))
                        .json(&json!({})),
                )
                .await
            }
            ("GET", "/api/v1/sources") => {
                assert_eq!(items(&o.owner_get("/api/v1/sources").await).len(), 2);
                assert!(items(&o.other_get("/api/v1/sources").await).is_empty());
            }
            ("GET", "/api/v1/sources/{id}") => {
                for id in [&o.webhook, &o.feed_source] {
                    o.not_found(o.other("GET", &format!("/api/v1/sources/{id}")))
                        .await;
                }
            }
            ("PATCH", "/api/v1/sources/{id}") => {
                o.not_found(
                    o.other("PATCH", &format!("/api/v1/sources/{}", o.webhook))
                        .json(&json!({"name": "改掉", "mapping": {"text": "/x"}})),
                )
                .await;
                o.not_found(
                    o.other("PATCH", &format!("/api/v1/sources/{}", o.feed_source))
                        .json(&json!({"name": "改掉", "url": "http://127.0.0.1:9/feed"})),
                )
                .await;
            }
            ("DELETE", "/api/v1/sources/{id}") => {
                for id in [&o.webhook, &o.feed_source] {
                    o.not_found(o.other("DELETE", &format!("/api/v1/sources/{id}")))
                        .await;
                }
            }
            ("POST", "/api/v1/sources/{id}/rotate-secret") => {
                for id in [&o.webhook, &o.feed_source] {
                    o.not_found(
                        o.other("POST", &format!("/api/v1/sources/{id}/rotate-secret"))
                            .json(&json!({})),
                    )
                    .await;
                }
            }
            ("POST", "/api/v1/sources/{id}/poll") => {
                let hits = o.feed.hits.load(Ordering::SeqCst);
                for id in [&o.feed_source, &o.webhook] {
                    o.not_found(
                        o.other("POST", &format!("/api/v1/sources/{id}/poll"))
                            .json(&json!({})),
                    )
                    .await;
                }
                assert_eq!(
                    o.feed.hits.load(Ordering::SeqCst),
                    hits,
                    "the feed was fetched"
                );
            }
            ("POST", "/api/v1/sources/{id}/test") => {
                // The owner's source does not read (with the owner's mapping and dictionary)
                // a sample sent with another workspace's key.
                for id in [&o.webhook, &o.feed_source] {
                    o.not_found(
                        o.other("POST", &format!("/api/v1/sources/{id}/test"))
                            .json(&json!({"text": "不该被读的样本", "external_id": "wh-1"})),
                    )
                    .await;
                }
            }
            ("GET", "/hooks/{source_id}") => {
                // Whoever asks, and with whatever key: the owner's live webhook answers as it
                // does to a tool checking its URL, and a feed's id is no webhook.
                let res = o
                    .other("GET", &format!("/hooks/{}", o.webhook))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(body(res, 200).await, json!({"ok": true}));
                o.not_found(o.other("GET", &format!("/hooks/{}", o.feed_source)))
                    .await;
            }
            ("HEAD", "/hooks/{source_id}") => {
                let res = o
                    .other("HEAD", &format!("/hooks/{}", o.webhook))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
                assert!(res.bytes().await.unwrap().is_empty());
                let res = o
                    .other("HEAD", &format!("/hooks/{}", o.feed_source))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 404);
            }
            ("GET", "/api/v1/feedback") => {
                for f in &feedback_filters(o) {
                    let ours = o.owner_get(&format!("/api/v1/feedback?{f}")).await;
                    assert!(!items(&ours).is_empty(), "the owner's {f}: {ours}");
                    let theirs = o.other_get(&format!("/api/v1/feedback?{f}")).await;
                    assert!(items(&theirs).is_empty(), "{f}: {theirs}");
                    assert!(theirs["next_cursor"].is_null(), "{f}: {theirs}");
                }
                // The owner's cursor does not page into the owner's items either, in either
                // order.
                for sort in ["occurred", "received"] {
                    let page = o
                        .owner_get(&format!("/api/v1/feedback?limit=2&sort={sort}"))
                        .await;
                    let cursor = page["next_cursor"].as_str().unwrap();
                    let theirs = o
                        .other_get(&format!("/api/v1/feedback?sort={sort}&cursor={cursor}"))
                        .await;
                    assert!(items(&theirs).is_empty(), "{theirs}");
                }
            }
            ("GET", "/api/v1/feedback/count") => {
                for f in feedback_filters(o) {
                    let ours = o.owner_get(&format!("/api/v1/feedback/count?{f}")).await;
                    assert!(
                        ours["total"].as_u64().unwrap() > 0,
                        "the owner's {f}: {ours}"
                    );
                    let theirs = o.other_get(&format!("/api/v1/feedback/count?{f}")).await;
                    assert_eq!(
                        theirs,
                        json!({"total": 0, "by_sentiment":
                            {"positive": 0, "negative": 0, "neutral": 0, "mixed": 0, "unknown": 0}}),
                        "{f}"
                    );
                }
            }
            ("GET", "/api/v1/feedback/export") => {
                // The other workspace's export is its header row alone, in either format.
                for f in feedback_filters(o) {
                    for format in ["csv", "xlsx"] {
                        let path = format!("/api/v1/feedback/export?format={format}&{f}");
                        let ours = o.app.get(&path).await;
                        assert_eq!(ours.status(), 200, "{path}");
                        let ours = ours.bytes().await.unwrap();
                        let theirs = o.other("GET", &path).send().await.unwrap();
                        assert_eq!(theirs.status(), 200, "{path}");
                        let theirs = theirs.bytes().await.unwrap();
                        assert!(ours.len() > theirs.len(), "{path}");
                        if format == "csv" {
                            let text = String::from_utf8(theirs.to_vec()).unwrap();
                            assert_eq!(text.lines().count(), 1, "{path}: {text}");
                            assert!(text.starts_with("\u{feff}时间,"), "{path}: {text}");
                        } else {
                            use calamine::Reader;
                            let mut book: calamine::Xlsx<_> =
                                calamine::open_workbook_from_rs(std::io::Cursor::new(theirs))
                                    .unwrap();
                            let range = book.worksheet_range("反馈").unwrap();
                            assert_eq!(range.rows().count(), 1, "{path}");
                        }
                    }
                }
            }
            ("GET", "/api/v1/feedback/{id}") => {
                for id in &o.feedback {
                    o.not_found(o.other("GET", &format!("/api/v1/feedback/{id}")))
                        .await;
                }
            }
            ("GET", "/api/v1/members") => {
                let ours = o.owner_get("/api/v1/members").await;
                assert_eq!(items(&ours)[0]["email"], MEMBER, "{ours}");
                assert!(items(&o.other_get("/api/v1/members").await).is_empty());
            }
            ("PATCH", "/api/v1/members/{id}") => {
                o.not_found(
                    o.other("PATCH", &format!("/api/v1/members/{}", o.member))
                        .json(&json!({"role": "viewer"})),
                )
                .await
            }
            ("DELETE", "/api/v1/members/{id}") => {
                o.not_found(o.other("DELETE", &format!("/api/v1/members/{}", o.member)))
                    .await
            }
            ("POST", "/api/v1/members/{id}/sign-in-link") => {
                // No link to set the owner's member's password, in the answer or by mail.
                o.not_found(
                    o.other(
                        "POST",
                        &format!("/api/v1/members/{}/sign-in-link", o.member),
                    )
                    .json(&json!({})),
                )
                .await
            }
            ("POST", "/api/v1/label-corrections") => {
                // The owner's ids are unknown in another workspace: 404, all or nothing.
                let ids: Vec<&String> = o.feedback.iter().chain([&o.labelled]).collect();
                o.not_found(
                    o.other("POST", "/api/v1/label-corrections")
                        .json(&json!({"ids": ids, "sentiment": "positive", "pain_points": []})),
                )
                .await;
                o.not_found(
                    o.other("POST", "/api/v1/label-corrections")
                        .json(&json!({"ids": [&o.feedback[0]], "add_pain_points": ["payment"]})),
                )
                .await;
            }
            ("PUT", "/api/v1/feedback/{id}/labels") => {
                for id in [&o.labelled, &o.feedback[0]] {
                    o.not_found(
                        o.other("PUT", &format!("/api/v1/feedback/{id}/labels"))
                            .json(&json!({"sentiment": "positive", "pain_points": []})),
                    )
                    .await;
                }
            }
            ("DELETE", "/api/v1/feedback/{id}") => {
                for id in &o.feedback {
                    o.not_found(o.other("DELETE", &format!("/api/v1/feedback/{id}")))
                        .await;
                }
            }
            ("DELETE", "/api/v1/respondents/{id}") => {
                // Erasure answers 200 with what it erased: nothing, in another workspace.
                let res = o
                    .other("DELETE", &format!("/api/v1/respondents/{RESPONDENT}"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    body(res, 200).await,
                    json!({"respondent_id": RESPONDENT,
                        "erased": {"feedback": 0, "survey_responses": 0, "interviews": 0}})
                );
            }
            ("GET", "/api/v1/respondents/{id}") => {
                let q = format!("/api/v1/respondents/{RESPONDENT}");
                o.owner_get(&q).await;
                o.not_found(o.other("GET", &q)).await
            }
            ("GET", "/api/v1/respondents") => {
                assert!(!items(&o.owner_get("/api/v1/respondents").await).is_empty());
                let theirs = o.other_get("/api/v1/respondents").await;
                assert!(items(&theirs).is_empty(), "{theirs}");
            }
            ("GET", "/api/v1/dictionary") => {
                assert_eq!(
                    o.owner_get("/api/v1/dictionary").await["words"],
                    json!([WORD])
                );
                assert_eq!(o.other_get("/api/v1/dictionary").await["words"], json!([]));
            }
            ("DELETE", "/api/v1/dictionary/{word}") => {
                o.not_found(o.other(
                    "DELETE",
                    "/api/v1/dictionary/%E5%96%B5%E8%B4%AD%E7%9C%81%E9%92%B1%E5%8D%A1",
                ))
                .await
            }
            ("GET", "/api/v1/pain-point-categories") => {
                let custom = |v: &Value| -> Vec<Value> {
                    items(v)
                        .iter()
                        .filter(|c| c["custom"] == true)
                        .map(|c| c["id"].clone())
                        .collect()
                };
                let ours = o.owner_get("/api/v1/pain-point-categories").await;
                assert_eq!(custom(&ours), [json!(CATEGORY)]);
                let theirs = o.other_get("/api/v1/pain-point-categories").await;
                assert!(custom(&theirs).is_empty(), "{theirs}");
                assert_eq!(items(&theirs).len(), 12, "the defaults: {theirs}");
            }
            ("DELETE", "/api/v1/pain-point-categories/{id}") => {
                o.not_found(o.other(
                    "DELETE",
                    &format!("/api/v1/pain-point-categories/{CATEGORY}"),
                ))
                .await
            }
            ("POST", "/api/v1/analyze") => {
                // The owner's word and category take part in the owner's analysis only.
                let text =
                    json!({"items": [{"text": "喵购省钱卡的优惠券用不了，喵购省钱卡太坑了"}]});
                let ours = body(o.app.post_json("/api/v1/analyze", &text).await, 200).await;
                let theirs = body(
                    o.other("POST", "/api/v1/analyze")
                        .json(&text)
                        .send()
                        .await
                        .unwrap(),
                    200,
                )
                .await;
                let of = |v: &Value, field: &str, key: Option<&str>| -> Vec<Value> {
                    v["items"][0][field]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| key.map_or(x.clone(), |k| x[k].clone()))
                        .collect()
                };
                assert!(
                    of(&ours, "pain_points", None).contains(&json!(CATEGORY)),
                    "{ours}"
                );
                assert!(
                    of(&ours, "keywords", Some("word")).contains(&json!(WORD)),
                    "{ours}"
                );
                assert!(
                    !of(&theirs, "pain_points", None).contains(&json!(CATEGORY)),
                    "{theirs}"
                );
                assert!(
                    !of(&theirs, "keywords", Some("word")).contains(&json!(WORD)),
                    "{theirs}"
                );
            }
            ("GET", "/api/v1/workspace") => {
                let theirs = o.other_get("/api/v1/workspace").await;
                assert_eq!(theirs["id"], o.other_ws.as_str(), "{theirs}");
                assert_eq!(theirs["name"], "别的团队");
                let ours = o.owner_get("/api/v1/workspace").await;
                assert_eq!(ours["id"], o.app.workspace_id.as_str(), "{ours}");
            }
            ("PATCH", "/api/v1/workspace") => {
                let res = o
                    .other("PATCH", "/api/v1/workspace")
                    .json(&json!({"name": "改了名的团队", "timezone": "Europe/Berlin", "redact_pii": false, "retention_days": 30}))
                    .send()
                    .await
                    .unwrap();
                let theirs = body(res, 200).await;
                assert_eq!(theirs["id"], o.other_ws.as_str(), "{theirs}");
                assert_eq!(theirs["name"], "改了名的团队");
                let ours = o.owner_get("/api/v1/workspace").await;
                assert_eq!(
                    (&ours["name"], &ours["timezone"], &ours["redact_pii"]),
                    (&json!("测试团队"), &json!("Asia/Shanghai"), &json!(true)),
                    "{ours}"
                );
                assert_eq!(ours["retention_days"], Value::Null, "{ours}");
            }
            ("GET", "/api/v1/workspace/export") => {
                let ours = o.app.get("/api/v1/workspace/export").await;
                assert_eq!(ours.status(), 200);
                let ours = ours.text().await.unwrap();
                let res = o
                    .other("GET", "/api/v1/workspace/export")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
                let theirs = res.text().await.unwrap();
                let first: Value = serde_json::from_str(theirs.lines().next().unwrap()).unwrap();
                assert_eq!(first["id"], o.other_ws.as_str(), "{first}");
                let ids = [
                    &o.app.workspace_id,
                    &o.survey,
                    &o.webhook,
                    &o.feed_source,
                    &o.interview,
                    &o.labelled,
                    &o.member,
                    &o.subscription,
                    &o.delivery,
                    &o.extra_key_id,
                ];
                for id in ids.into_iter().chain(&o.feedback) {
                    assert!(ours.contains(id.as_str()), "the owner's export holds {id}");
                    assert!(!theirs.contains(id.as_str()), "another's export holds {id}");
                }
                for mark in [RESPONDENT, WORD, MEMBER, EMAIL] {
                    assert!(!theirs.contains(mark), "another's export holds {mark}");
                }
            }
            ("GET", "/api/v1/pain-points/emerging") => {
                let q = "/api/v1/pain-points/emerging";
                assert!(!items(&o.owner_get(q).await).is_empty());
                let theirs = o.other_get(q).await;
                assert_eq!(theirs, json!({"items": [], "considered": 0}));
            }
            ("GET", "/api/v1/insights/trends") => {
                for metric in ["volume", "nps", "csat", "sentiment"] {
                    let q = format!(
                        "/api/v1/insights/trends?metric={metric}&interval=day&{}",
                        o.range
                    );
                    let n = |v: &Value| -> u64 {
                        v["series"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .flat_map(|s| s["points"].as_array().unwrap())
                            .map(|p| p["n"].as_u64().unwrap())
                            .sum()
                    };
                    assert!(n(&o.owner_get(&q).await) > 0, "{metric}");
                    assert_eq!(n(&o.other_get(&q).await), 0, "{metric}");
                    let grouped = o.other_get(&format!("{q}&group_by=source")).await;
                    assert_eq!(grouped["series"], json!([]), "{metric}: {grouped}");
                }
            }
            ("GET", "/api/v1/insights/pain-points") => {
                let q = format!("/api/v1/insights/pain-points?{}", o.range);
                assert!(!items(&o.owner_get(&q).await).is_empty());
                let theirs = o.other_get(&q).await;
                assert!(items(&theirs).is_empty(), "{theirs}");
            }
            ("GET", "/api/v1/insights/drivers") => {
                let q = format!("/api/v1/insights/drivers?{}", o.range);
                assert!(o.owner_get(&q).await["n"].as_u64().unwrap_or(0) > 0);
                let theirs = o.other_get(&q).await;
                assert_eq!(theirs["n"], 0, "{theirs}");
                assert!(items(&theirs).is_empty(), "{theirs}");
            }
            ("GET", "/api/v1/insights/segments") => {
                let q = format!("/api/v1/insights/segments?attr=channel&{}", o.range);
                o.owner_get(&q).await;
                let theirs = o.other_get(&q).await;
                assert_eq!(theirs["segments"], json!([]), "{theirs}");
            }
            ("GET", "/api/v1/digest-subscriptions") => {
                let q = "/api/v1/digest-subscriptions";
                assert_eq!(items(&o.owner_get(q).await).len(), 1);
                assert!(items(&o.other_get(q).await).is_empty());
            }
            ("GET", "/api/v1/digest-subscriptions/{id}") => {
                o.not_found(o.other(
                    "GET",
                    &format!("/api/v1/digest-subscriptions/{}", o.subscription),
                ))
                .await
            }
            ("DELETE", "/api/v1/digest-subscriptions/{id}") => {
                o.not_found(o.other(
                    "DELETE",
                    &format!("/api/v1/digest-subscriptions/{}", o.subscription),
                ))
                .await
            }
            ("GET", "/api/v1/digest-deliveries") => {
                for q in ["", "?status=sent", "?limit=500"] {
                    let path = format!("/api/v1/digest-deliveries{q}");
                    let ours = o.owner_get(&path).await;
                    assert_eq!(items(&ours)[0]["id"], o.delivery.as_str(), "{ours}");
                    assert!(items(&o.other_get(&path).await).is_empty(), "{q}");
                }
            }
            ("GET", "/api/v1/digests/{period}") => {
                let path = format!("/api/v1/digests/{}", o.day);
                let volume = |v: &Value| v["digest"]["headline"][3]["value"].as_f64().unwrap();
                let ours = o.owner_get(&path).await;
                assert_eq!(volume(&ours), 3.0, "{ours}");
                let theirs = o.other_get(&path).await;
                let d = &theirs["digest"];
                assert_eq!(d["workspace_id"], o.other_ws.as_str());
                assert_eq!(volume(&theirs), 0.0, "{theirs}");
                assert_eq!(
                    (&d["pain_points"], &d["new_complaints"], &d["channels"]),
                    (&json!([]), &json!([]), &json!([])),
                    "{theirs}"
                );
                for format in ["text", "markdown", "html"] {
                    let res = o
                        .other("GET", &format!("{path}?format={format}"))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 200);
                    let text = res.text().await.unwrap();
                    for owner_text in ["支付", "测试团队", "扫码付款"] {
                        assert!(!text.contains(owner_text), "{format}: {text}");
                    }
                }
            }
            ("POST", "/api/v1/digests/{period}/send") => {
                // The day before `o.day`: over in any zone the other workspace may have been
                // moved to by its PATCH row (Europe/Berlin ends Shanghai's yesterday at 23:00
                // UTC, so `o.day` is still running there for part of the day).
                let earlier = chrono::NaiveDate::parse_from_str(&o.day, "%Y-%m-%d")
                    .unwrap()
                    .pred_opt()
                    .unwrap();
                let res = o
                    .other("POST", &format!("/api/v1/digests/{earlier}/send"))
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap();
                let out = body(res, 202).await;
                assert_eq!(out["queued"], 0, "{out}");
                assert_eq!(out["deliveries"], json!([]), "{out}");
            }
            // The creating routes, with a third workspace's key: what would be a duplicate in
            // the owner's workspace is new in another one.
            ("POST", "/api/v1/keys") => {
                let res = o
                    .with(&o.newcomer, "POST", "/api/v1/keys")
                    .json(&json!({"name": "看板", "scopes": ["read"]}))
                    .send()
                    .await
                    .unwrap();
                let key = body(res, 201).await;
                let ours = o.owner_get("/api/v1/keys").await;
                assert!(!items(&ours).iter().any(|k| k["id"] == key["id"]), "{ours}");
            }
            ("POST", "/api/v1/members") => {
                // Another workspace may invite the same person: the owner's member joins it
                // (no link: they have a password), and nothing of the owner's changes.
                let res = o
                    .with(&o.newcomer, "POST", "/api/v1/members")
                    .json(&json!({"email": MEMBER, "role": "viewer"}))
                    .send()
                    .await
                    .unwrap();
                let out = body(res, 201).await;
                assert_eq!(out["member_id"], o.member.as_str(), "{out}");
                assert_eq!(
                    (&out["sign_in_url"], &out["mailed"]),
                    (&Value::Null, &json!(false)),
                    "{out}"
                );
            }
            ("POST", "/api/v1/surveys") => {
                let res = o
                    .with(&o.newcomer, "POST", "/api/v1/surveys")
                    .json(&crate::surveys::nps_survey())
                    .send()
                    .await
                    .unwrap();
                let made = body(res, 201).await;
                assert_ne!(made["id"], o.survey.as_str());
            }
            ("POST", "/api/v1/sources") => {
                let res = o
                    .with(&o.newcomer, "POST", "/api/v1/sources")
                    .json(&json!({"kind": "webhook", "name": "客服系统"}))
                    .send()
                    .await
                    .unwrap();
                body(res, 201).await;
            }
            ("POST", "/hooks/{source_id}") => {
                // A delivery signed with another workspace's source secret does not get into
                // the owner's source.
                let res = o
                    .with(&o.newcomer, "POST", "/api/v1/sources")
                    .json(&json!({"kind": "webhook", "name": "别人的"}))
                    .send()
                    .await
                    .unwrap();
                let theirs = body(res, 201).await;
                let secret = theirs["secret"].as_str().unwrap();
                let payload = json!({"text": "不该进来的反馈", "external_id": "wh-1"}).to_string();
                let res = deliver(&o.app, &o.webhook, secret, "wall-msg-1", &payload).await;
                assert_problem(res, 401, "invalid_signature").await;
                // Its own source takes it, the owner's message id and external id being
                // nothing to it.
                let own = theirs["id"].as_str().unwrap();
                let out = body(
                    deliver(&o.app, own, secret, "wall-msg-1", &payload).await,
                    200,
                )
                .await;
                assert_eq!(
                    out,
                    json!({"stored": 1, "duplicates": 0, "replayed": false})
                );
            }
            ("POST", "/api/v1/interviews") => {
                let res = o
                    .with(&o.newcomer, "POST", "/api/v1/interviews")
                    .json(
                        &json!({"title": "访谈", "external_id": INTERVIEW_EXTERNAL_ID,
                        "transcript": "主持人：怎么样？\n用户：还行。"}),
                    )
                    .send()
                    .await
                    .unwrap();
                let out = body(res, 201).await;
                assert_eq!(out["replayed"], false, "{out}");
                assert_ne!(out["id"], o.interview.as_str());
            }
            ("POST", "/api/v1/mentions") => {
                let res = o
                    .with(&o.newcomer, "POST", "/api/v1/mentions")
                    .header("content-type", "application/json")
                    .body(MENTIONS)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(body(res, 200).await, json!({"stored": 3, "duplicates": 0}));
            }
            ("POST", "/api/v1/imports/csv") => {
                let res = o
                    .with(
                        &o.newcomer,
                        "POST",
                        &format!("/api/v1/imports/csv?{CSV_QUERY}"),
                    )
                    .header("content-type", "text/csv")
                    .body(CSV)
                    .send()
                    .await
                    .unwrap();
                let out = body(res, 200).await;
                assert_eq!(
                    (&out["stored"], &out["duplicates"]),
                    (&json!(1), &json!(0)),
                    "{out}"
                );
            }
            ("POST", "/api/v1/dictionary") => {
                let res = o
                    .with(&o.newcomer, "POST", "/api/v1/dictionary")
                    .json(&json!({"words": [WORD]}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(body(res, 200).await, json!({"added": 1, "words": [WORD]}));
            }
            ("POST", "/api/v1/pain-point-categories") => {
                let res = o
                    .with(&o.newcomer, "POST", "/api/v1/pain-point-categories")
                    .json(&json!({"id": CATEGORY, "name": "别人的优惠券", "keywords": ["券"]}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(body(res, 201).await["name"], "别人的优惠券");
            }
            ("POST", "/api/v1/digest-subscriptions") => {
                let res = o
                    .with(&o.newcomer, "POST", "/api/v1/digest-subscriptions")
                    .json(&json!({"email": EMAIL}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(body(res, 201).await["email"], EMAIL);
            }
            _ => panic!("{method} {path} is in the tenant-wall table but has no check here"),
        }
    }
}

/// The operations of the running app's OpenAPI document.
async fn documented(app: &TestApp) -> BTreeSet<(String, String)> {
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    let doc = body(res, 200).await;
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ]
            .contains(&method.as_str())
            {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

async fn every_route_keeps_to_its_workspace(app: TestApp) {
    let ops = documented(&app).await;
    assert!(ops.len() > 50, "{ops:?}");
    let table: BTreeSet<(String, String)> = TABLE
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(table.len(), TABLE.len(), "a route is in the table twice");
    let missing: Vec<_> = ops.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "documented routes the tenant-wall table does not cover (check them, or list them as \
         Public with the reason): {missing:?}"
    );
    let stale: Vec<_> = table.difference(&ops).collect();
    assert!(
        stale.is_empty(),
        "table rows for routes the document does not have: {stale:?}"
    );

    let w = Walled::seed(app).await;
    let before = w.owner_view().await;
    for (method, path, wall) in TABLE {
        match wall {
            Wall::Public(reason) => assert!(!reason.is_empty()),
            Wall::Keyless(reason) => {
                assert!(!reason.is_empty());
                w.cross(method, path).await
            }
            Wall::Id => {
                assert!(path.contains('{'), "{path} has no id");
                w.cross(method, path).await
            }
            Wall::Aggregate | Wall::Own | Wall::Create => w.cross(method, path).await,
        }
    }
    let after = w.owner_view().await;
    assert_eq!(before.len(), after.len());
    for ((what, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "the owner's {what} changed");
    }
}
