//! CSV import over the API: mapping, a report of accepted and rejected rows, idempotency.

use serde_json::Value;

use crate::both_backends;
use crate::helpers::{assert_problem, TestApp};

both_backends!(csv_import_reports_rows);

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
