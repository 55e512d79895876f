//! CSV import over the API: mapping, a report of accepted and rejected rows, idempotency.

use serde_json::Value;

use crate::both_backends;
use crate::helpers::{assert_problem, TestApp};

both_backends!(csv_import_reports_rows, utf16_csv_imports);

async fn csv_import_reports_rows(app: TestApp) {
    let csv = "\u{feff}id;content;nps;plan\n1;\"物流太慢了，\n等了一周\";3;pro\n2;好;11;free\n3;客服回复很快;9;free\n";
    let url = app.url("/api/v1/imports/csv?map=text%3Dcontent&map=external_id%3Did&map=nps%3Dnps&map=attr.plan%3Dplan&source=wjx");
    let send = || {
        app.client
            .post(&url)
            .bearer_auth(&app.api_key)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
    };
    let res = send().await.unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["accepted"], 2);
    assert_eq!(report["stored"], 2);
    assert_eq!(report["rejected"].as_array().unwrap().len(), 1);
    assert_eq!(report["rejected"][0]["row"], 3);
    let again: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(again["stored"], 0);
    let items = app.all_feedback("channel=import").await;
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|i| i["text"] == "物流太慢了，\n等了一周"
        && i["scores"]["nps"] == 3
        && i["attributes"]["plan"] == "pro"));
    // A mapping naming a column the file lacks refuses the whole import.
    let res = app
        .client
        .post(app.url("/api/v1/imports/csv?map=text%3Dcomment"))
        .bearer_auth(&app.api_key)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .client
        .post(app.url("/api/v1/imports/csv"))
        .bearer_auth(&app.api_key)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "validation_failed").await;
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

/// Excel's "Unicode text" (UTF-16LE with a BOM, tab-separated) imports like any other file;
/// a NUL character in the decoded text still refuses the file.
async fn utf16_csv_imports(app: TestApp) {
    let url = app.url("/api/v1/imports/csv?map=text%3D%E8%AF%84%E8%AE%BA&map=csat%3D%E8%AF%84%E5%88%86&map=attr.city%3D%E5%9F%8E%E5%B8%82&source=excel");
    let send = |body: Vec<u8>| {
        app.client
            .post(&url)
            .bearer_auth(&app.api_key)
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    let res = send(utf16le(
        "评论\t评分\t城市\r\n很好用\t5\t上海\r\n太卡了\t1\t北京\r\n",
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["stored"], 2, "{report}");
    let items = app.all_feedback("channel=import").await;
    assert!(items.iter().any(|i| i["text"] == "很好用"
        && i["scores"]["csat"] == 5
        && i["attributes"]["city"] == "上海"));

    let res = send(utf16le("评论\t评分\t城市\r\n坏\u{0}字\t1\t北京\r\n"))
        .await
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "file");
    assert_eq!(app.all_feedback("channel=import").await.len(), 2);
}
