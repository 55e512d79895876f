//! Understanding over HTTP and the CLI: every ingested item is analysed and stored with its
//! version; filters by sentiment, pain point and keyword; personal data redacted (unless the
//! workspace opts out); the analyze endpoint; dictionary, categories and label corrections;
//! `tingjian analyze`, `eval` and `reanalyze`.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, run_ok, tingjian, TestApp};

both_backends!(
    ingested_items_are_analysed_and_filterable,
    personal_data_is_redacted_unless_opted_out,
    interview_turns_and_survey_answers_are_redacted,
    analyze_endpoint_dictionary_and_categories,
    label_corrections_apply_at_once_and_survive_reanalysis,
);

async fn push(app: &TestApp, texts: &[&str]) {
    let items: Vec<Value> = texts
        .iter()
        .map(|t| json!({"platform": "weibo", "text": t}))
        .collect();
    let res = app
        .post_json("/api/v1/mentions", &json!({"items": items}))
        .await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["stored"], texts.len(), "{out}");
}

async fn ingested_items_are_analysed_and_filterable(app: TestApp) {
    push(
        &app,
        &[
            "打开就闪退，气死了",
            "物流太慢了，等了一周",
            "界面很好看，推荐给大家",
            "希望增加夜间模式",
        ],
    )
    .await;
    let all = app.all_feedback("").await;
    assert_eq!(all.len(), 4);
    for f in &all {
        assert!(f["analysis"]["version"].is_string(), "{f}");
        assert!(f["sentiment"].is_string(), "{f}");
    }
    let crash = app.all_feedback("pain_point=crash").await;
    assert_eq!(crash.len(), 1);
    assert_eq!(crash[0]["sentiment"], "negative");
    assert_eq!(crash[0]["analysis"]["pain_points"], json!(["crash"]));
    assert_eq!(app.all_feedback("pain_point=delivery").await.len(), 1);
    let positive = app.all_feedback("sentiment=positive").await;
    assert_eq!(positive.len(), 1);
    assert!(positive[0]["text"].as_str().unwrap().contains("界面很好看"));
    assert_eq!(app.all_feedback("sentiment=neutral").await.len(), 1);
    let night = app
        .all_feedback("keyword=%E5%A4%9C%E9%97%B4%E6%A8%A1%E5%BC%8F")
        .await;
    assert_eq!(night.len(), 1, "keyword filter finds 夜间模式");
    assert_problem(
        app.get("/api/v1/feedback?sentiment=angry").await,
        422,
        "validation_failed",
    )
    .await;
}

async fn personal_data_is_redacted_unless_opted_out(app: TestApp) {
    push(
        &app,
        &["我手机号13812345678收不到验证码，邮箱 zhang.san@example.com"],
    )
    .await;
    let stored = app.all_feedback("").await;
    let text = stored[0]["text"].as_str().unwrap();
    assert!(
        text.contains("[手机号]") && text.contains("[邮箱]"),
        "{text}"
    );
    assert!(!text.contains("13812345678") && !text.contains("zhang.san"));
    let res = app
        .patch_json("/api/v1/workspace", &json!({"redact_pii": false}))
        .await;
    assert_eq!(res.status(), 200);
    let ws: Value = res.json().await.unwrap();
    assert_eq!(
        (&ws["id"], &ws["redact_pii"]),
        (&json!(app.workspace_id), &json!(false)),
        "{ws}"
    );
    push(&app, &["客服电话回拨到13900001111了吗"]).await;
    let kept = app.all_feedback("q=13900001111").await;
    assert_eq!(kept.len(), 1, "the workspace opted out");
    let ws: Value = app.get("/api/v1/workspace").await.json().await.unwrap();
    assert_eq!(ws["redact_pii"], false);
    assert_problem(
        app.patch_json("/api/v1/workspace", &json!({"timezone": "Mars/Olympus"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
}

async fn analyze_endpoint_dictionary_and_categories(app: TestApp) {
    let res = app
        .post_json("/api/v1/analyze", &json!({"items": [{"id": "a", "text": "客服态度很差，物流也慢"}, {"id": 2, "text": "并不难用"}]}))
        .await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    let items = out["items"].as_array().unwrap();
    assert_eq!(items[0]["id"], "a");
    assert_eq!(items[1]["id"], 2);
    assert_eq!(items[0]["sentiment"]["label"], "negative");
    assert!(items[0]["pain_points"]
        .as_array()
        .unwrap()
        .contains(&json!("customer_service")));
    assert!(items[0]["aspects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["aspect"] == "物流"));
    assert_eq!(items[1]["sentiment"]["label"], "positive");
    assert_eq!(
        app.all_feedback("").await.len(),
        0,
        "analyze stores nothing"
    );
    let too_many: Vec<Value> = (0..1001).map(|i| json!({"id": i, "text": "好"})).collect();
    assert_problem(
        app.post_json("/api/v1/analyze", &json!({"items": too_many}))
            .await,
        422,
        "validation_failed",
    )
    .await;

    // A product name from the workspace dictionary stays one keyword.
    let res = app
        .post_json("/api/v1/dictionary", &json!({"words": ["喵购省钱卡"]}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"added": 1, "words": ["喵购省钱卡"]})
    );
    let out: Value = app
        .post_json(
            "/api/v1/analyze",
            &json!({"items": [{"text": "喵购省钱卡续费老是失败，喵购省钱卡太坑了"}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        out["items"][0]["keywords"][0]["word"], "喵购省钱卡",
        "{out}"
    );
    let words: Value = app.get("/api/v1/dictionary").await.json().await.unwrap();
    assert_eq!(words["words"], json!(["喵购省钱卡"]));
    assert_eq!(
        app.delete(&format!(
            "/api/v1/dictionary/{}",
            "%E5%96%B5%E8%B4%AD%E7%9C%81%E9%92%B1%E5%8D%A1"
        ))
        .await
        .status(),
        204
    );

    // A workspace category.
    let cat = json!({"id": "membership", "name": "会员权益", "keywords": ["会员权益", "积分过期"], "examples": ["积分莫名其妙就过期了"]});
    let res = app.post_json("/api/v1/pain-point-categories", &cat).await;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    assert_eq!(
        (&made["id"], &made["name"], &made["custom"]),
        (&json!("membership"), &json!("会员权益"), &json!(true)),
        "{made}"
    );
    assert_problem(
        app.post_json("/api/v1/pain-point-categories", &cat).await,
        409,
        "conflict",
    )
    .await;
    let default = json!({"id": "crash", "name": "x", "keywords": ["x"]});
    assert_problem(
        app.post_json("/api/v1/pain-point-categories", &default)
            .await,
        409,
        "conflict",
    )
    .await;
    let list: Value = app
        .get("/api/v1/pain-point-categories")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 13);
    push(&app, &["我的积分过期了也没提醒，太坑"]).await;
    assert_eq!(app.all_feedback("pain_point=membership").await.len(), 1);
    assert_eq!(
        app.delete("/api/v1/pain-point-categories/membership")
            .await
            .status(),
        204
    );
}

async fn label_corrections_apply_at_once_and_survive_reanalysis(app: TestApp) {
    push(&app, &["这个功能设计得很有想法"]).await;
    let item = &app.all_feedback("").await[0];
    let id = item["id"].as_str().unwrap();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/feedback/{id}/labels")))
        .bearer_auth(&app.api_key)
        .json(&json!({"sentiment": "negative", "pain_points": ["ui"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let corrected: Value = res.json().await.unwrap();
    assert_eq!(corrected["sentiment"], "negative");
    assert_eq!(corrected["corrected"], true);
    assert_eq!(app.all_feedback("pain_point=ui").await.len(), 1);
    assert_eq!(app.all_feedback("sentiment=negative").await.len(), 1);
    let bad = app
        .client
        .put(app.url(&format!("/api/v1/feedback/{id}/labels")))
        .bearer_auth(&app.api_key)
        .json(&json!({"pain_points": ["teleport"]}))
        .send()
        .await
        .unwrap();
    assert_problem(bad, 422, "validation_failed").await;
    let missing = app
        .client
        .put(app.url("/api/v1/feedback/fb_nope/labels"))
        .bearer_auth(&app.api_key)
        .json(&json!({"sentiment": "positive"}))
        .send()
        .await
        .unwrap();
    assert_problem(missing, 404, "not_found").await;

    // Re-analysing everything keeps the person's labels.
    let mut cmd = tingjian(&app);
    cmd.args(["reanalyze", "--all", "--workspace", &app.workspace_id]);
    let out = run_ok(cmd).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("re-analysed 1 items"));
    // Correcting only the sentiment of an item leaves its pain points to the engine.
    push(&app, &["打开就闪退，气死"]).await;
    let crash = app.all_feedback("pain_point=crash").await;
    let crash_id = crash[0]["id"].as_str().unwrap().to_owned();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/feedback/{crash_id}/labels")))
        .bearer_auth(&app.api_key)
        .json(&json!({"sentiment": "neutral"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let partly: Value = res.json().await.unwrap();
    assert_eq!(
        (
            &partly["sentiment"],
            &partly["analysis"]["pain_points"],
            &partly["corrected"]
        ),
        (&json!("neutral"), &json!(["crash"]), &json!(true)),
        "the sentiment corrected, the pain points the engine's: {partly}"
    );
    let mut cmd = tingjian(&app);
    cmd.args(["reanalyze", "--all", "--workspace", &app.workspace_id]);
    run_ok(cmd).await;
    let crash = app.all_feedback("pain_point=crash").await;
    assert_eq!(crash.len(), 1, "pain-point rows follow the engine");
    assert_eq!(
        crash[0]["sentiment"], "neutral",
        "the corrected sentiment stays"
    );
    assert_eq!(crash[0]["analysis"]["pain_points"], json!(["crash"]));
    let after = app
        .all_feedback("")
        .await
        .into_iter()
        .find(|f| f["id"] != crash_id.as_str())
        .unwrap();
    let after = &after;
    assert_eq!(after["sentiment"], "negative");
    assert_eq!(after["analysis"]["sentiment"]["label"], "negative");
    assert_eq!(app.all_feedback("pain_point=ui").await.len(), 1);
}

#[test]
fn analyze_command_reads_json_lines_in_order() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tingjian"))
        .arg("analyze")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input = "{\"id\": \"1\", \"text\": \"太卡了，根本用不了\"}\nnot json\n{\"id\": 3, \"text\": \"客服很耐心，点赞\"}\n{\"id\": 4}\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["id"], "1");
    assert_eq!(lines[0]["sentiment"]["label"], "negative");
    assert!(lines[0]["pain_points"]
        .as_array()
        .unwrap()
        .contains(&json!("slow")));
    assert!(lines[1]["error"].is_string());
    assert_eq!(lines[2]["sentiment"]["label"], "positive");
    assert!(lines[2]["keywords"].is_array() && lines[2]["aspects"].is_array());
    assert!(lines[3]["error"].is_string());
}

#[test]
fn eval_command_reports_the_measures() {
    let dir = tempfile::tempdir().unwrap();
    let gold = dir.path().join("gold.jsonl");
    std::fs::write(
        &gold,
        "{\"id\":\"g1\",\"text\":\"打开就闪退\",\"sentiment\":\"negative\",\"pain_points\":[\"crash\"]}\n{\"id\":\"g2\",\"text\":\"很好用，推荐\",\"sentiment\":\"positive\",\"pain_points\":[]}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tingjian"))
        .args(["eval", "--json"])
        .arg(&gold)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["items"], 2);
    assert_eq!(report["binary_accuracy"], 1.0);
    assert_eq!(report["pain_point_micro_f1"], 1.0);
    let text = Command::new(env!("CARGO_BIN_EXE_tingjian"))
        .arg("eval")
        .arg(&gold)
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("confusion") && text.contains("precision"));
}

async fn interview_turns_and_survey_answers_are_redacted(app: TestApp) {
    let transcript = "主持人：方便留个手机号吗，比如13812345678这种？\n用户：我邮箱是 li.si@example.com，手机13900001111一直收不到验证码。\n";
    let res = app
        .post_json(
            "/api/v1/interviews",
            &json!({"title": "t", "transcript": transcript}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let item = &app.all_feedback("channel=interview").await[0];
    let all = item.to_string();
    assert!(
        !all.contains("13812345678") && !all.contains("13900001111") && !all.contains("li.si"),
        "{all}"
    );
    assert!(item["context"]["question"]
        .as_str()
        .unwrap()
        .contains("[手机号]"));

    let survey =
        json!({"title": "t", "questions": [{"id": "q1", "type": "text", "title": "说说看"}]});
    let id = crate::surveys::create_survey(&app, &survey).await;
    let res = app
        .client
        .post(app.url(&format!("/s/{id}/responses")))
        .json(&json!({"answers": {"q1": "打我电话13700002222"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.state.store.connection();
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT answers FROM survey_response",
        ))
        .await
        .unwrap();
    let stored: Value = rows[0].try_get_by_index(0).unwrap();
    assert_eq!(stored["q1"], "打我电话[手机号]");
}

both_backends!(uncategorised_complaints_form_emerging_clusters);

async fn uncategorised_complaints_form_emerging_clusters(app: TestApp) {
    push(
        &app,
        &[
            "手表电池续航太差了",
            "这个电池续航真差，失望",
            "电池续航差到离谱",
            "打开就闪退",
            "界面很好看",
        ],
    )
    .await;
    let res = app.get("/api/v1/pain-points/emerging?min_size=3").await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    let items = out["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{out}");
    assert_eq!(items[0]["count"], 3);
    assert!(
        items[0]["label"].as_str().unwrap().contains("续航"),
        "{out}"
    );
    assert!(items[0]["id"].as_str().unwrap().starts_with("cluster:"));
    assert_problem(
        app.get("/api/v1/pain-points/emerging?min_size=1").await,
        422,
        "validation_failed",
    )
    .await;
}
