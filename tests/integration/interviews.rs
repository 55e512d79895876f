//! Interview transcripts: plain text with speaker labels, SRT and WebVTT, JSON and multipart.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, TestApp};

both_backends!(
    text_transcript_turns_become_feedback,
    subtitle_uploads_and_retries,
    turns_are_dated_from_occurred_at_or_the_upload
);

async fn text_transcript_turns_become_feedback(app: TestApp) {
    let transcript = "主持人：您平时怎么用我们的App？\n用户：主要是下单，但是支付经常失败。\n有时候还会闪退。\n主持人：客服帮您解决了吗？\n用户：没有，客服态度很差。\n";
    let res = app
        .post_json("/api/v1/interviews", &json!({"title": "11月用户访谈 #3", "format": "text", "transcript": transcript,
            "interviewee": {"id": "u-42", "attributes": {"plan": "pro", "city": "成都"}}, "occurred_at": "2026-11-18T14:00:00+08:00"}))
        .await;
    assert_eq!(res.status(), 201);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["feedback_count"], 2);
    let mut items = app.all_feedback("channel=interview").await;
    items.reverse();
    assert_eq!(items.len(), 2);
    assert!(items[0]["text"].as_str().unwrap().contains("支付经常失败"));
    assert!(
        items[0]["text"].as_str().unwrap().contains("闪退"),
        "continuation lines stay with their turn"
    );
    assert_eq!(items[0]["context"]["question"], "您平时怎么用我们的App？");
    assert_eq!(items[1]["text"], "没有，客服态度很差。");
    assert_eq!(items[1]["respondent_id"], "u-42");
    assert_eq!(items[1]["attributes"]["city"], "成都");
    assert!(items
        .iter()
        .all(|i| !i["text"].as_str().unwrap().contains("主持人")));

    let res = app
        .post_json(
            "/api/v1/interviews",
            &json!({"title": "空", "transcript": "   "}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/transcript");
    let res = app
        .post_json(
            "/api/v1/interviews",
            &json!({"title": "x", "format": "docx", "transcript": "用户：好"}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    assert_eq!(app.all_feedback("").await.len(), 2);
}

async fn subtitle_uploads_and_retries(app: TestApp) {
    let vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v 访谈者>最近一次使用遇到什么问题？\n\n00:00:05.000 --> 00:00:09.500\n<v 受访者>登录的时候验证码一直收不到\n\n00:00:10.000 --> 00:00:12.000\n<v 受访者>等了五分钟\n";
    let boundary = "tingjian-test-boundary";
    let mut body = String::new();
    for (name, value) in [
        ("title", "VTT 访谈"),
        ("interviewee_id", "u-7"),
        ("external_id", "meeting-2026-11-19"),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"meeting.vtt\"\r\nContent-Type: text/vtt\r\n\r\n{vtt}\r\n--{boundary}--\r\n"));
    let res = app
        .client
        .post(app.url("/api/v1/interviews"))
        .bearer_auth(&app.api_key)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let out: Value = res.json().await.unwrap();
    assert_eq!(
        out["feedback_count"], 1,
        "consecutive cues of one speaker are one turn"
    );
    let items = app.all_feedback("channel=interview").await;
    assert!(items[0]["text"]
        .as_str()
        .unwrap()
        .contains("验证码一直收不到"));
    assert_eq!(items[0]["context"]["start_ms"], 5000);
    assert_eq!(items[0]["respondent_id"], "u-7");

    let srt = "1\n00:00:01,000 --> 00:00:03,000\n主持人：价格怎么样？\n\n2\n00:00:03,500 --> 00:00:06,000\n用户：有点贵，广告也太多\n";
    let body = json!({"title": "SRT", "format": "srt", "transcript": srt, "external_id": "call-9"});
    let res = app.post_json("/api/v1/interviews", &body).await;
    assert_eq!(res.status(), 201);
    let first: Value = res.json().await.unwrap();
    assert_eq!(
        (
            first["feedback_count"].as_u64(),
            first["replayed"].as_bool()
        ),
        (Some(1), Some(false)),
        "{first}"
    );
    // The same upload again (a retry): nothing new.
    let res = app.post_json("/api/v1/interviews", &body).await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["replayed"], true);
    assert_eq!(out["id"], first["id"], "the same interview");
    assert_eq!(app.all_feedback("channel=interview").await.len(), 2);
    let res = app
        .post_json(
            "/api/v1/interviews",
            &json!({"title": "bad", "format": "srt", "transcript": "1\nnot a time\n用户：x\n"}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

/// With `occurred_at`, a turn is dated that plus its offset; without it, every turn is dated
/// the upload time (not the upload time plus offsets, which lie in the future).
async fn turns_are_dated_from_occurred_at_or_the_upload(app: TestApp) {
    use chrono::{DateTime, Duration, Utc};
    let srt = "1\n00:00:01,000 --> 00:00:03,000\n主持人：价格怎么样？\n\n2\n00:10:00,000 --> 00:10:05,000\n用户：有点贵\n\n3\n00:20:00,000 --> 00:20:05,000\n主持人：还有呢？\n\n4\n01:30:00,000 --> 01:30:05,000\n用户：广告太多\n";
    let dates = |items: &[Value]| {
        let mut d: Vec<DateTime<Utc>> = items
            .iter()
            .map(|i| i["occurred_at"].as_str().unwrap().parse().unwrap())
            .collect();
        d.sort();
        d
    };

    let before = Utc::now() - Duration::seconds(1);
    let res = app
        .post_json(
            "/api/v1/interviews",
            &json!({"title": "无时间", "format": "srt", "transcript": srt}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let after = Utc::now() + Duration::seconds(1);
    let items = app.all_feedback("channel=interview").await;
    let undated = dates(&items);
    assert_eq!(undated.len(), 2);
    assert_eq!(undated[0], undated[1], "every turn gets the upload time");
    assert!(before <= undated[0] && undated[0] <= after, "{undated:?}");

    let res = app
        .post_json(
            "/api/v1/interviews",
            &json!({"title": "有时间", "format": "srt", "transcript": srt,
            "occurred_at": "2026-11-18T14:00:00+08:00"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let items = app.all_feedback(&format!("source=interview:{id}")).await;
    let start: DateTime<Utc> = "2026-11-18T06:00:00Z".parse().unwrap();
    assert_eq!(
        dates(&items),
        [start + Duration::minutes(10), start + Duration::minutes(90)]
    );
}
