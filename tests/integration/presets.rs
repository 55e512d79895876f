//! Survey tools delivering as they send: each preset's documented payload, signed by the
//! tool's own scheme over the exact bytes, lands in the right fields; a wrong signature gets
//! 401 and stores nothing; a redelivery and a later version of the same response store
//! nothing twice; test pings are answered and store nothing. Both backends.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn hmac_sha256_b64(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    B64.encode(mac.finalize().into_bytes())
}

fn fixture(path: &str) -> Vec<u8> {
    let full = format!(
        "{}/tests/fixtures/presets/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Creates a webhook source of `preset` through the API; returns its answer.
pub async fn create_preset(app: &TestApp, preset: &str, secret: Option<&str>) -> Value {
    let mut body = json!({"kind": "webhook", "name": format!("{preset} 来源"), "preset": preset});
    if let Some(s) = secret {
        body["signing_secret"] = json!(s);
    }
    let res = app.post_json("/api/v1/sources", &body).await;
    assert_eq!(res.status(), 201, "{preset}");
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["preset"], preset);
    assert!(out.get("secret").is_none() || preset == "standard");
    assert!(
        !out.to_string().contains(secret.unwrap_or("\u{0}")),
        "the signing secret is never shown"
    );
    out
}

/// Posts raw bytes to a hook URL (absolute, as the source's answer gives it).
pub async fn deliver(
    app: &TestApp,
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> reqwest::Response {
    let path = url.split_once("/hooks/").map(|(_, p)| p).unwrap();
    let mut req = app
        .client
        .post(app.url(&format!("/hooks/{path}")))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.send().await.unwrap()
}

async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn items(app: &TestApp, source: &str) -> Vec<Value> {
    app.all_feedback(&format!("source={source}")).await
}

/// NPS responses counted over a range: a response is counted once however many text answers
/// it has.
async fn nps_n(app: &TestApp, from: &str, to: &str) -> u64 {
    let res = app
        .get(&format!(
            "/api/v1/insights/trends?metric=nps&interval=month&from={from}&to={to}"
        ))
        .await;
    let body: Value = res.json().await.unwrap();
    body["series"][0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["n"].as_u64().unwrap())
        .sum()
}

async fn typeform_delivers_as_typeform_sends(app: TestApp) {
    let secret = "tf-秘密-123";
    let src = create_preset(&app, "typeform", Some(secret)).await;
    assert_eq!(src["protection"]["kind"], "signature");
    assert_eq!(src["protection"]["scheme"], "typeform_signature");
    let url = src["url"].as_str().unwrap().to_owned();
    let id = src["id"].as_str().unwrap().to_owned();
    let body = fixture("typeform/typeform_form_response_constructed.json");
    let sign = |b: &[u8]| {
        vec![(
            "typeform-signature",
            format!("sha256={}", hmac_sha256_b64(secret, b)),
        )]
    };

    // A wrong secret, a changed byte and no signature at all: 401, nothing stored.
    let wrong = vec![(
        "typeform-signature",
        format!("sha256={}", hmac_sha256_b64("other", &body)),
    )];
    assert_problem(
        deliver(&app, &url, &wrong, &body).await,
        401,
        "invalid_signature",
    )
    .await;
    let mut changed = body.clone();
    let at = changed.iter().position(|b| *b == b'9').unwrap();
    changed[at] = b'8';
    assert_problem(
        deliver(&app, &url, &sign(&body), &changed).await,
        401,
        "invalid_signature",
    )
    .await;
    assert_problem(
        deliver(&app, &url, &[], &body).await,
        401,
        "invalid_signature",
    )
    .await;
    assert!(items(&app, &id).await.is_empty());

    let out = ok_json(deliver(&app, &url, &sign(&body), &body).await).await;
    assert_eq!(
        (out["stored"].as_u64(), out["responses"].as_u64()),
        (Some(1), Some(1)),
        "{out}"
    );
    let stored = items(&app, &id).await;
    assert_eq!(stored.len(), 1);
    let item = &stored[0];
    assert_eq!(item["text"], "Export to CSV is hard to find.");
    assert_eq!(item["context"]["question"], "What should we improve?");
    assert_eq!(item["respondent_id"], "user-4711");
    assert_eq!(item["attributes"]["plan"], "pro");
    assert_eq!(item["scores"], json!({"nps": 9, "rating": 4}));
    assert_eq!(item["occurred_at"], "2026-03-02T09:14:05Z");
    assert_eq!(item["channel"], "webhook");

    // Typeform retries with the same bytes: nothing twice.
    let again = ok_json(deliver(&app, &url, &sign(&body), &body).await).await;
    assert_eq!(again["stored"], 0, "{again}");
    // The respondent edits the answer (a new event): the one item takes the new text.
    let edited = String::from_utf8(body.clone())
        .unwrap()
        .replace(
            "Export to CSV is hard to find.",
            "导出报表太难找了，每次都要找半天",
        )
        .replace("01JNB3Q6ZK7T2W8Y4X5V9R1M0P", "01JNB3Q6ZK7T2W8Y4X5V9R1M0Q")
        .into_bytes();
    let out = ok_json(deliver(&app, &url, &sign(&edited), &edited).await).await;
    assert_eq!(
        (out["stored"].as_u64(), out["changed"].as_u64()),
        (Some(0), Some(1)),
        "{out}"
    );
    let stored = items(&app, &id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["text"], "导出报表太难找了，每次都要找半天");
    assert_eq!(stored[0]["id"], item["id"], "the item keeps its id");
    // One response, one NPS answer, whatever number of deliveries.
    assert_eq!(nps_n(&app, "2026-03-01", "2026-04-01").await, 1);

    // Typeform's test delivery is answered and stored nowhere.
    let test = fixture("typeform/typeform_test_delivery_constructed.json");
    let out = ok_json(deliver(&app, &url, &sign(&test), &test).await).await;
    assert_eq!(out["ping"], true);
    assert_eq!(items(&app, &id).await.len(), 1);
}

async fn tally_delivers_as_tally_sends(app: TestApp) {
    let secret = "tally_test_secret";
    let src = create_preset(&app, "tally", Some(secret)).await;
    assert_eq!(src["protection"]["scheme"], "tally_signature");
    let url = src["url"].as_str().unwrap().to_owned();
    let id = src["id"].as_str().unwrap().to_owned();
    let body = fixture("tally/tally_FORM_RESPONSE.json");
    // The vector from Tally's own documented example, computed independently (research).
    let sig = hmac_sha256_b64(secret, &body);
    assert_eq!(sig, "1UhGd7+KggcoF1hpI07mgTSZgxgsT7lbwpd/J+6CTZI=");
    let wrong = vec![("tally-signature", hmac_sha256_b64("nope", &body))];
    assert_problem(
        deliver(&app, &url, &wrong, &body).await,
        401,
        "invalid_signature",
    )
    .await;
    let signed = vec![("tally-signature", sig)];
    let out = ok_json(deliver(&app, &url, &signed, &body).await).await;
    assert_eq!(out["responses"], 1, "{out}");
    let stored = items(&app, &id).await;
    let hello = stored
        .iter()
        .find(|i| i["text"] == "Hello")
        .expect("the text answer is stored");
    assert_eq!(hello["context"]["question"], "Text");
    assert_eq!(hello["attributes"]["utm_campaign"], "newsletter");
    assert_eq!(hello["occurred_at"], "2023-06-28T15:00:21Z");
    // Emails and phone numbers are not feedback text.
    assert!(stored.iter().all(|i| i["text"] != "alice@example.com"));
    let again = ok_json(deliver(&app, &url, &signed, &body).await).await;
    assert_eq!(again["stored"], 0, "{again}");
    assert_eq!(items(&app, &id).await.len(), stored.len());
}

async fn formbricks_lifecycle_ends_as_one_response(app: TestApp) {
    let secret = tingjian::collect::webhook::generate_secret();
    let src = create_preset(&app, "formbricks", Some(&secret)).await;
    assert_eq!(src["protection"]["scheme"], "standard_webhooks");
    let url = src["url"].as_str().unwrap().to_owned();
    let id = src["id"].as_str().unwrap().to_owned();
    let mut n = 0;
    let mut sign = |b: &[u8]| {
        n += 1;
        let msg = format!("msg_{n}");
        let ts = chrono::Utc::now().timestamp().to_string();
        let sig = tingjian::collect::webhook::sign(&secret, &msg, &ts, b).unwrap();
        vec![
            ("webhook-id", msg),
            ("webhook-timestamp", ts),
            ("webhook-signature", sig),
        ]
    };
    // The test ping Formbricks sends before it saves the webhook.
    let ping = fixture("formbricks/formbricks_testEndpoint.json");
    let out = ok_json(deliver(&app, &url, &sign(&ping), &ping).await).await;
    assert_eq!(out["ping"], true);

    let finished = fixture("formbricks/formbricks_responseFinished_constructed.json");
    let text = String::from_utf8(finished.clone()).unwrap();
    // Created with the first answers, updated as the respondent goes on, finished.
    let created = text
        .replace(
            "\"event\":\"responseFinished\"",
            "\"event\":\"responseCreated\"",
        )
        .replace(
            "\"what_to_improve\":\"Export to CSV is hard to find.\",",
            "",
        )
        .replace("2026-03-02T09:14:41.877Z", "2026-03-02T09:14:06.000Z");
    let updated = text
        .replace(
            "\"event\":\"responseFinished\"",
            "\"event\":\"responseUpdated\"",
        )
        .replace("Export to CSV is hard to find.", "CSV 导出")
        .replace("2026-03-02T09:14:41.877Z", "2026-03-02T09:14:30.000Z");
    for body in [created.as_bytes(), updated.as_bytes()] {
        ok_json(deliver(&app, &url, &sign(body), body).await).await;
    }
    let out = ok_json(deliver(&app, &url, &sign(&finished), &finished).await).await;
    assert_eq!(out["changed"], 1, "{out}");
    // Formbricks sends responseUpdated beside responseFinished with the same data.
    let same = text.replace(
        "\"event\":\"responseFinished\"",
        "\"event\":\"responseUpdated\"",
    );
    let out = ok_json(deliver(&app, &url, &sign(same.as_bytes()), same.as_bytes()).await).await;
    assert_eq!(
        (out["stored"].as_u64(), out["changed"].as_u64()),
        (Some(0), Some(0)),
        "{out}"
    );
    // A delivery retried with the same webhook-id is recognised as such.
    let headers = sign(&finished);
    ok_json(deliver(&app, &url, &headers, &finished).await).await;
    let replay = ok_json(deliver(&app, &url, &headers, &finished).await).await;
    assert_eq!(replay["replayed"], true);

    let stored = items(&app, &id).await;
    let texts: Vec<&str> = stored.iter().filter_map(|i| i["text"].as_str()).collect();
    assert!(
        texts.contains(&"Export to CSV is hard to find."),
        "{texts:?}"
    );
    assert!(
        !texts.contains(&"CSV 导出"),
        "the edited answer replaced the earlier text"
    );
    let answer = stored
        .iter()
        .find(|i| i["text"] == "Export to CSV is hard to find.")
        .unwrap();
    assert_eq!(answer["respondent_id"], "user-4711");
    assert_eq!(answer["scores"]["nps"], 9);
    assert_eq!(nps_n(&app, "2026-03-01", "2026-04-01").await, 1);

    // An older version arriving late changes nothing.
    let out =
        ok_json(deliver(&app, &url, &sign(updated.as_bytes()), updated.as_bytes()).await).await;
    assert_eq!(out["stale"], 1, "{out}");
    assert!(items(&app, &id)
        .await
        .iter()
        .any(|i| i["text"] == "Export to CSV is hard to find."));
}

/// A URL check (SurveyMonkey's HEAD, others' GET) is answered for a live webhook source.
async fn tools_can_check_the_url(app: TestApp) {
    let src = create_preset(&app, "typeform", Some("typeform-url-check-secret")).await;
    let path = format!("/hooks/{}", src["id"].as_str().unwrap());
    for method in [reqwest::Method::HEAD, reqwest::Method::GET] {
        let res = app
            .client
            .request(method, app.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = app
        .client
        .head(app.url("/hooks/src_nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn wjx_delivers_as_wjx_sends(app: TestApp) {
    let key = "wjx_push_key_demo";
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "问卷星回访", "preset": "wjx",
                    "signing_secret": key, "score_questions": {"nps": "q7"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let src: Value = res.json().await.unwrap();
    assert_eq!(src["tool"], "问卷星");
    assert_eq!(src["protection"]["scheme"], "wjx_sign");
    assert!(src["protection"]["detail"]
        .as_str()
        .unwrap()
        .contains("签名"));
    let url = src["url"].as_str().unwrap().to_owned();
    let id = src["id"].as_str().unwrap().to_owned();
    // Signed as 问卷星 signs: sha1(activity + index + 推送密钥), in the body.
    let body = fixture("wjx/wjx_constructed_signed_push.json");
    let forged = String::from_utf8(body.clone()).unwrap().replace(
        "C0B5BF9A86BDC16B87D979E0B52D974B7B70D4CC",
        "0000BF9A86BDC16B87D979E0B52D974B7B70D4CC",
    );
    assert_problem(
        deliver(&app, &url, &[], forged.as_bytes()).await,
        401,
        "invalid_signature",
    )
    .await;
    let out = ok_json(deliver(&app, &url, &[], &body).await).await;
    assert_eq!(out["responses"], 1, "{out}");
    let stored = items(&app, &id).await;
    let item = stored
        .iter()
        .find(|i| i["text"] == "价格有点贵，希望多一些优惠")
        .expect("the text answer");
    assert_eq!(item["respondent_id"], "u_10086;vip");
    // 问卷星 writes China time without an offset: read in the workspace's zone.
    assert_eq!(item["occurred_at"], "2016-08-23T02:01:59Z");
    assert_eq!(
        item["scores"]["nps"], 10,
        "q7 is the NPS question, as the source says"
    );
    assert_eq!(item["context"]["question_id"], "q3");
    assert_eq!(item["platform_name"], "问卷星");
    assert!(
        stored.iter().all(|i| i["text"] != "1,3"),
        "choices are not text"
    );
    let again = ok_json(deliver(&app, &url, &[], &body).await).await;
    assert_eq!(again["stored"], 0);
    assert_eq!(nps_n(&app, "2016-08-01", "2016-09-01").await, 1);
}

async fn tencent_wj_is_protected_by_its_url_token(app: TestApp) {
    let src = create_preset(&app, "tencent_wj", None).await;
    assert_eq!(src["protection"]["kind"], "url_token");
    assert!(src["protection"]["detail"]
        .as_str()
        .unwrap()
        .contains("腾讯问卷"));
    let url = src["url"].as_str().unwrap().to_owned();
    assert!(
        url.contains("?token="),
        "the URL to paste carries the token"
    );
    let id = src["id"].as_str().unwrap().to_owned();
    // The token is shown when made, never listed.
    let listed = app.get(&format!("/api/v1/sources/{id}")).await;
    let listed: Value = listed.json().await.unwrap();
    assert!(!listed["url"].as_str().unwrap().contains("token"));
    // A signing secret makes no sense for a tool that cannot sign.
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "x", "preset": "tencent_wj", "signing_secret": "x"}),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/signing_secret");

    let update = fixture("tencent_wj/tencent_wj_constructed_answer_update.json");
    let bare = url.split('?').next().unwrap().to_owned();
    assert_problem(
        deliver(&app, &bare, &[], &update).await,
        401,
        "invalid_signature",
    )
    .await;
    let wrong = format!("{bare}?token=wrong");
    assert_problem(
        deliver(&app, &wrong, &[], &update).await,
        401,
        "invalid_signature",
    )
    .await;
    let out = ok_json(deliver(&app, &url, &[], &update).await).await;
    assert_eq!(out["responses"], 1, "{out}");
    let stored = items(&app, &id).await;
    let slow = stored
        .iter()
        .find(|i| i["text"] == "快递太慢了，客服也不回消息。")
        .expect("the text answer, trimmed");
    assert_eq!(slow["respondent_id"], "wx_u_8848");
    assert_eq!(slow["scores"], json!({"nps": 9, "rating": 4}));
    assert_eq!(slow["occurred_at"], "2021-01-26T05:58:39Z");
    let night = stored
        .iter()
        .find(|i| i["text"] == "希望增加夜间配送")
        .unwrap();
    assert_eq!(night["context"]["question"], "还有什么想对我们说的？");
    // The same answer as first created, arriving after its update: an older version.
    let created = String::from_utf8(update)
        .unwrap()
        .replace("answer.update", "answer.create")
        .replace(
            "7f0c2a4e-6b1d-4c8e-9a51-2f3d4e5f6a7b",
            "1a2b3c4d-6b1d-4c8e-9a51-2f3d4e5f6a7b",
        )
        .replace("2021-01-27 09:30:00", "2021-01-26 14:00:00")
        .replace("希望增加夜间配送", "希望");
    let out = ok_json(deliver(&app, &url, &[], created.as_bytes()).await).await;
    assert_eq!(out["stale"], 1, "{out}");
    assert!(items(&app, &id)
        .await
        .iter()
        .any(|i| i["text"] == "希望增加夜间配送"));
    // Rotating gives a new token and refuses the old one.
    let rotated = app
        .client
        .post(app.url(&format!("/api/v1/sources/{id}/rotate-secret")))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    let rotated: Value = rotated.json().await.unwrap();
    let new_url = rotated["url"].as_str().unwrap().to_owned();
    assert_ne!(new_url, url);
    let gh = fixture("tencent_wj/tencent_wj_github_copy_answer_create.json");
    assert_problem(
        deliver(&app, &url, &[], &gh).await,
        401,
        "invalid_signature",
    )
    .await;
    ok_json(deliver(&app, &new_url, &[], &gh).await).await;
}

async fn survicate_delivers_as_survicate_sends(app: TestApp) {
    let secret = "my_signing_secret";
    let src = create_preset(&app, "survicate", Some(secret)).await;
    assert_eq!(src["protection"]["scheme"], "survicate_hmac");
    let url = src["url"].as_str().unwrap().to_owned();
    let id = src["id"].as_str().unwrap().to_owned();
    let body = fixture("survicate/survicate_question_answered_text_constructed.json");
    let hex = |secret: &str, b: &[u8]| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(b);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_problem(
        deliver(&app, &url, &[("hmac", hex("other", &body))], &body).await,
        401,
        "invalid_signature",
    )
    .await;
    // Survicate sends one event per question: the NPS answer (a later event) and the text
    // answer (an earlier one) join in one response, neither undoing the other.
    let text = String::from_utf8(body.clone()).unwrap();
    let nps = text
        .replace(
            "5d1e3c0a9b7f4e21a8c6d2f0e1b3a4c5",
            "6e2f4d1b0c8a5f32b9d7e3a1f2c4b5d6",
        )
        .replace("2026-03-02T08:15:30+00:00", "2026-03-02T08:16:00+00:00")
        .replace(
            "\"id\": 12124,\n        \"body\": \"What could we do better?\"",
            "\"id\": 12123,\n        \"body\": \"How likely are you to recommend us?\"",
        )
        .replace(
            "\"text\": \"结账页面加载太慢，希望能支持微信支付。\"",
            "\"choice\": {\"id\": 9, \"body\": \"promoter\", \"comment\": null}",
        );
    assert_ne!(nps, text);
    let out = ok_json(
        deliver(
            &app,
            &url,
            &[("hmac", hex(secret, nps.as_bytes()))],
            nps.as_bytes(),
        )
        .await,
    )
    .await;
    assert_eq!(out["responses"], 1, "{out}");
    let out = ok_json(deliver(&app, &url, &[("hmac", hex(secret, &body))], &body).await).await;
    assert_eq!(out["stored"], 1, "{out}");
    let stored = items(&app, &id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["text"], "结账页面加载太慢，希望能支持微信支付。");
    assert_eq!(stored[0]["context"]["question"], "What could we do better?");
    assert_eq!(stored[0]["respondent_id"], "u-20260302-77");
    assert_eq!(stored[0]["attributes"]["plan"], "pro");
    assert_eq!(
        stored[0]["scores"]["nps"], 9,
        "the earlier NPS answer joins the text's response"
    );
    assert_eq!(stored[0]["platform_name"], "Survicate");
    assert_eq!(nps_n(&app, "2026-03-01", "2026-04-01").await, 1);
    // The merged response's counters follow its rows (the text answer counted as open).
    crate::console_surveys::assert_tally_matches_rows(&app).await;
    // A redelivery of the same message is recognised by its messageId.
    let again = ok_json(deliver(&app, &url, &[("hmac", hex(secret, &body))], &body).await).await;
    assert_eq!(again["replayed"], true, "{again}");
}

/// SurveyMonkey's callback carries ids only: the response is read from its API (a local
/// server answering as the documented endpoints do), with the team's token.
async fn surveymonkey_is_read_through_its_api(app: TestApp) {
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
    let response = String::from_utf8(fixture(
        "surveymonkey/response_details_nps_constructed.json",
    ))
    .unwrap();
    let survey =
        String::from_utf8(fixture("surveymonkey/survey_details_nps_constructed.json")).unwrap();
    let server = HttpServer::new(move || {
        let (response, survey) = (response.clone(), survey.clone());
        App::new().default_service(web::to(move |req: HttpRequest| {
            let (response, survey) = (response.clone(), survey.clone());
            async move {
                let auth = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !auth.eq_ignore_ascii_case("bearer sm-token-1") {
                    return HttpResponse::Unauthorized().body("{}");
                }
                match req.path() {
                    "/v3/surveys/400000001/responses/900000001/details" => HttpResponse::Ok()
                        .content_type("application/json")
                        .body(response),
                    "/v3/surveys/400000001/details" => HttpResponse::Ok()
                        .content_type("application/json")
                        .body(survey),
                    _ => HttpResponse::NotFound().body("{}"),
                }
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());

    let secret = "my_client_id&my_client_secret";
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "SurveyMonkey", "preset": "surveymonkey",
                    "signing_secret": secret, "api_token": "sm-token-1",
                    "url": format!("http://127.0.0.1:{port}")}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let src: Value = res.json().await.unwrap();
    assert!(
        !src.to_string().contains("sm-token-1"),
        "the API token is never shown"
    );
    assert_eq!(src["api_token_set"], true);
    let url = src["url"].as_str().unwrap().to_owned();
    let id = src["id"].as_str().unwrap().to_owned();
    // The documented callback, pointed at the response the local API serves.
    let callback = String::from_utf8(fixture("surveymonkey/webhook_response_event_data.json"))
        .unwrap()
        .replace("\"object_id\": \"123456\"", "\"object_id\": \"900000001\"")
        .replace(
            "\"survey_id\": \"123456789\"",
            "\"survey_id\": \"400000001\"",
        );
    let sha1 = |b: &[u8]| {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(b);
        B64.encode(mac.finalize().into_bytes())
    };
    let body = callback.as_bytes();
    assert_problem(
        deliver(&app, &url, &[("sm-signature", sha1(b"other"))], body).await,
        401,
        "invalid_signature",
    )
    .await;
    let out = ok_json(deliver(&app, &url, &[("sm-signature", sha1(body))], body).await).await;
    assert_eq!(out["responses"], 1, "{out}");
    let stored = items(&app, &id).await;
    assert!(!stored.is_empty(), "text answers stored");
    assert!(stored.iter().all(|i| i["respondent_id"] == "u_42"));
    assert!(stored.iter().all(|i| i["scores"]["nps"].is_number()));
    assert_eq!(nps_n(&app, "2026-03-01", "2026-04-01").await, 1);
    // Without a token the tool's API cannot be read: 502, which the tool retries.
    let res = app
        .patch_json(
            &format!("/api/v1/sources/{id}"),
            &json!({"api_token": null}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let again = callback.replace("\"event_id\": \"123456789\"", "\"event_id\": \"2\"");
    let res = deliver(
        &app,
        &url,
        &[("sm-signature", sha1(again.as_bytes()))],
        again.as_bytes(),
    )
    .await;
    assert_problem(res, 502, "tool_unreachable").await;
}

/// A generic mapping reads a tool without a preset as the tool sends it: answers beside
/// their envelope, titles looked up by id, a composite id, a local time; an answer without
/// text is skipped with its reason and the rest stored. And a sample can be tried first.
async fn mapping_takes_a_real_payload_and_a_sample_first(app: TestApp) {
    let mapping = json!({
        "items": "$/form_response/answers",
        "where": {"/type": ["text", "number"]},
        "text": "/text",
        "external_id": "{$/form_response/token}:{/field/id}",
        "question": {"from": "$/form_response/definition/fields", "key": "/id",
                     "match": "/field/id", "title": "/title"},
        "respondent_id": "$/form_response/hidden/user_id",
        "occurred_at": "$/form_response/submitted_at",
        "nps": "$/form_response/answers/0/number"
    });
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "mapped", "mapping": mapping}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let src: Value = res.json().await.unwrap();
    let (id, secret) = (
        src["id"].as_str().unwrap().to_owned(),
        src["secret"].as_str().unwrap().to_owned(),
    );
    let body = String::from_utf8(fixture("typeform/typeform_form_response_constructed.json"))
        .unwrap()
        .replace("2026-03-02T09:14:05Z", "2026-03-02 17:14:05");
    // Tried first: what would be stored, analysed, nothing stored.
    let res = app
        .post_json(
            &format!("/api/v1/sources/{id}/test"),
            &serde_json::from_str(&body).unwrap(),
        )
        .await;
    let tried: Value = res.json().await.unwrap();
    assert_eq!(tried["stored"], false);
    assert_eq!(tried["items"].as_array().unwrap().len(), 1, "{tried}");
    assert_eq!(
        tried["items"][0]["context"]["question"],
        "What should we improve?"
    );
    assert!(tried["items"][0]["sentiment"].is_string());
    assert_eq!(
        tried["skipped"][0]["reason"],
        "no text to store at the mapped pointers"
    );
    assert!(items(&app, &id).await.is_empty());

    let ts = chrono::Utc::now().timestamp().to_string();
    let sig = tingjian::collect::webhook::sign(&secret, "m1", &ts, body.as_bytes()).unwrap();
    let headers = vec![
        ("webhook-id", "m1".to_owned()),
        ("webhook-timestamp", ts),
        ("webhook-signature", sig),
    ];
    let out = ok_json(
        deliver(
            &app,
            src["url"].as_str().unwrap(),
            &headers,
            body.as_bytes(),
        )
        .await,
    )
    .await;
    assert_eq!(out["stored"], 1, "{out}");
    assert_eq!(out["skipped"].as_array().unwrap().len(), 2, "{out}");
    let item = &items(&app, &id).await[0];
    assert_eq!(
        item["external_id"],
        "x8w2k4n6p0r1t3v5x8w2k4n6p0r1t3v5:Lt2XyZ9qWeRt"
    );
    assert_eq!(item["respondent_id"], "user-4711");
    assert_eq!(item["scores"]["nps"], 9);
    // A local time is read in the workspace's zone (Asia/Shanghai).
    assert_eq!(item["occurred_at"], "2026-03-02T09:14:05Z");

    // A preset's sample: the tool's test ping is recognised as one.
    let tf = create_preset(&app, "typeform", Some("typeform-sample-secret")).await;
    let ping: Value =
        serde_json::from_slice(&fixture("typeform/typeform_test_delivery_constructed.json"))
            .unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/sources/{}/test", tf["id"].as_str().unwrap()),
            &ping,
        )
        .await;
    let tried: Value = res.json().await.unwrap();
    assert_eq!(tried["ping"], true, "{tried}");
}

/// A pushed mention keeps its rating and scores.
async fn mentions_keep_their_rating(app: TestApp) {
    let res = app
        .post_json(
            "/api/v1/mentions",
            &json!({"items": [{"platform": "xiaohongshu", "text": "这个 App 的客服太慢了", "rating": 2,
                                "scores": {"nps": 3}, "published_at": "2026-11-20 08:30:05"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let item = &app.all_feedback("channel=social").await[0];
    assert_eq!(item["scores"], json!({"nps": 3, "rating": 2}));
    assert_eq!(item["occurred_at"], "2026-11-20T00:30:05Z");
    assert_eq!(item["channel_name"], "社交媒体");
    let res = app
        .post_json(
            "/api/v1/mentions",
            &json!({"items": [{"platform": "weibo", "text": "x", "rating": 6}]}),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/items/0/rating");
}

/// A standard source takes a Standard Webhooks secret the team already has (imported), as
/// well as one made for it; anything else is refused by name.
async fn standard_takes_an_imported_secret(app: TestApp) {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "imported", "signing_secret": secret}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let src: Value = res.json().await.unwrap();
    assert!(
        src.get("secret").is_none(),
        "an imported secret is not echoed"
    );
    assert_eq!(src["protection"]["scheme"], "standard_webhooks");
    let body = r#"{"text": "导入的密钥也能验签", "external_id": "imp-1"}"#.as_bytes();
    let ts = chrono::Utc::now().timestamp().to_string();
    let sig = tingjian::collect::webhook::sign(secret, "imp-1", &ts, body).unwrap();
    let headers = vec![
        ("webhook-id", "imp-1".to_owned()),
        ("webhook-timestamp", ts),
        ("webhook-signature", sig),
    ];
    let out = ok_json(deliver(&app, src["url"].as_str().unwrap(), &headers, body).await).await;
    assert_eq!(out["stored"], 1);
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "bad", "signing_secret": "not base64 !!"}),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/signing_secret");
}

crate::both_backends!(
    standard_takes_an_imported_secret,
    mapping_takes_a_real_payload_and_a_sample_first,
    mentions_keep_their_rating,
    wjx_delivers_as_wjx_sends,
    tencent_wj_is_protected_by_its_url_token,
    survicate_delivers_as_survicate_sends,
    surveymonkey_is_read_through_its_api,
    typeform_delivers_as_typeform_sends,
    tally_delivers_as_tally_sends,
    formbricks_lifecycle_ends_as_one_response,
    tools_can_check_the_url,
);
