//! The binary itself: `tingjian workspace create` and `tingjian import csv`, against the same
//! database the service uses.

use std::process::Command;

use serde_json::Value;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    workspace_create_prints_a_working_key,
    csv_import_from_the_command_line
);

fn tingjian(app: &TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tingjian"));
    cmd.env("DATABASE_URL", &app.database_url)
        .env("TINGJIAN_DATA_DIR", &app.data_dir)
        .env("RUST_LOG", "warn");
    cmd
}

async fn workspace_create_prints_a_working_key(app: TestApp) {
    let out = tokio::task::spawn_blocking({
        let mut cmd = tingjian(&app);
        cmd.args(["workspace", "create", "增长团队"]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    let key = created["api_key"].as_str().unwrap();
    assert!(created["workspace_id"].as_str().unwrap().starts_with("ws_"));
    let res = app
        .client
        .get(app.url("/api/v1/keys"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "the printed key is an admin key of the new workspace"
    );
    let res = app
        .client
        .get(app.url("/api/v1/feedback"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert!(
        body["items"].as_array().unwrap().is_empty(),
        "a new workspace sees nothing of others"
    );
}

async fn csv_import_from_the_command_line(app: TestApp) {
    std::fs::create_dir_all(&app.data_dir).unwrap();
    let file = app.data_dir.join("reviews.csv");
    std::fs::write(&file, "评论ID,评论内容,评分,时间,城市\nr1,闪退太频繁了,1,2026-11-20 10:00,上海\nr2,,5,2026-11-20 11:00,北京\nr3,很好用,5,2026/11/21 09:30,杭州\n").unwrap();
    let run = |app: &TestApp| {
        let mut cmd = tingjian(app);
        cmd.args(["import", "csv"]).arg(&file).args([
            "--workspace",
            &app.workspace_id,
            "--map",
            "text=评论内容",
            "--map",
            "external_id=评论ID",
            "--map",
            "rating=评分",
            "--map",
            "occurred_at=时间",
            "--map",
            "attr.city=城市",
            "--source",
            "appstore",
        ]);
        move || cmd.output().unwrap()
    };
    let out = tokio::task::spawn_blocking(run(&app)).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stored"], 2);
    assert_eq!(report["rejected"][0]["row"], 3);
    // Importing the same file again stores nothing new.
    let out = tokio::task::spawn_blocking(run(&app)).await.unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["stored"].as_u64(), report["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
    let items = app.all_feedback("channel=import").await;
    assert_eq!(items.len(), 2);
    let crash = items.iter().find(|i| i["external_id"] == "r1").unwrap();
    assert_eq!(crash["scores"]["csat"], 1);
    assert_eq!(crash["attributes"]["city"], "上海");
    assert_eq!(
        crash["occurred_at"].as_str().unwrap()[..19],
        *"2026-11-20T02:00:00"
    );
}
