//! The console's everyday pages on real data: home, pain points, the inbox and one item,
//! narrowed by period and segment; corrections from the inbox; what a viewer and a member of
//! another workspace see.

use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(home_pain_points_and_inbox_show_the_workspace_feedback);
both_backends!(a_viewer_sees_no_correction_controls_and_another_workspace_sees_nothing);

async fn seed(app: &TestApp) {
    let mut items = Vec::new();
    for i in 0..40 {
        let (text, plan, nps) = if i % 2 == 0 {
            ("支付失败了好几次，钱扣了订单却没成功", "pro", 3)
        } else {
            ("界面很清爽，用起来挺顺手的", "free", 10)
        };
        items.push(json!({
            "text": text,
            "external_id": format!("x{i}"),
            "respondent_id": format!("u{}", i % 5),
            "attributes": {"plan": plan},
            "scores": {"nps": nps},
        }));
    }
    // Analysed by the same pipeline as every channel, stored directly to keep the seed short.
    app.store_items(
        items,
        "src_seed",
        chrono::Utc::now() - chrono::Duration::hours(1),
    )
    .await;
}

async fn home_pain_points_and_inbox_show_the_workspace_feedback(app: TestApp) {
    seed(&app).await;
    let editor = app.console("editor").await;
    let home = editor.page("").await;
    assert!(home.contains("NPS") && home.contains("情感指数"));
    assert!(
        home.contains("支付问题"),
        "the ranked pain points name payment"
    );
    assert!(home.contains("n=40"), "NPS shows its sample size");
    // A segment narrows everything: only the free plan, where nobody complains of payment.
    let free = editor.page("?period=month&seg=attr:plan%3Dfree").await;
    assert!(free.contains("n=20"));
    assert!(!free.contains("支付问题"));
    let chart = editor.get("/charts/nps.png?period=week&w=400").await;
    assert_eq!(chart.status(), 200);
    assert_eq!(chart.headers()["content-type"], "image/png");
    let pain = editor.page("/pain-points/payment?period=week").await;
    assert!(pain.contains("支付问题") && pain.contains("哪些人群里更多"));
    assert!(
        pain.contains("plan：<strong>pro</strong>"),
        "pro is where payment complaints are"
    );
    // The inbox filtered by the pain point lists only those, with Chinese names.
    let inbox = editor.page("/inbox?pain_point=payment").await;
    assert_eq!(inbox.matches("class=\"text\"").count(), 20);
    assert!(inbox.contains("Webhook 推送") || inbox.contains("导入") || inbox.contains("推送"));
    assert!(inbox.contains("修正标签"));
    // Correct one item in place, as the form does, then see it marked.
    let items = app.all_feedback("pain_point=payment").await;
    let id = items[0]["id"].as_str().unwrap();
    let res = editor
        .api(
            "PUT",
            &format!("/api/v1/feedback/{id}/labels"),
            Some(&json!({"sentiment": "mixed", "pain_points": ["payment", "bug"]})),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let detail = editor.page(&format!("/inbox/{id}")).await;
    assert!(detail.contains("已人工修正") && detail.contains("褒贬混合"));
    assert!(detail.contains("这位用户的其他反馈"));
    // The inbox's export buttons: the same filters, through the session.
    let csv = editor.get("/export?format=csv&pain_point=payment").await;
    assert_eq!(csv.status(), 200);
    let body = csv.text().await.unwrap();
    assert!(body.starts_with('\u{feff}'), "CSV opens right in Excel");
    assert_eq!(
        body.lines().count(),
        21,
        "a header and the 20 payment items"
    );
    let xlsx = editor.get("/export?format=xlsx&sentiment=positive").await;
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".xlsx"));
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    // A bad filter is said, not a 500.
    let bad = editor.page("/inbox?sentiment=angry").await;
    assert!(bad.contains("筛选条件有误"));
}

async fn a_viewer_sees_no_correction_controls_and_another_workspace_sees_nothing(app: TestApp) {
    seed(&app).await;
    let viewer = app.console("viewer").await;
    let inbox = viewer.page("/inbox").await;
    assert!(inbox.contains("class=\"text\""));
    assert!(!inbox.contains("修正标签"));
    let (other_ws, _) = app.other_workspace().await;
    app.add_member_to(&other_ws, "stranger@example.com", "admin")
        .await;
    let stranger = app
        .sign_in(
            "stranger@example.com",
            crate::helpers::MEMBER_PASSWORD,
            String::new(),
        )
        .await;
    for path in ["", "/inbox", "/pain-points/payment", "/charts/nps.png"] {
        let res = stranger
            .client
            .get(format!(
                "{}/console/w/{}{path}",
                app.address, app.workspace_id
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
}
