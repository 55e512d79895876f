//! The console's survey pages: who may see and change what, results that add up to what
//! respondents submitted, the QR code, the CSV export and a preview that stores nothing.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::surveys::{create_survey, nps_survey};

both_backends!(
    pages_answer_by_role,
    results_match_what_was_submitted,
    qr_code_is_an_svg_of_the_share_link,
    responses_export_as_csv,
    preview_stores_nothing,
    builder_works_in_a_real_browser,
    erasing_a_respondent_takes_their_answers_out_of_the_results
);

async fn submit(app: &TestApp, survey: &str, answers: Value) {
    let res = app
        .client
        .post(app.url(&format!("/s/{survey}/responses")))
        .json(&json!({"answers": answers}))
        .send()
        .await
        .expect("submit");
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
}

/// A page's HTML with the template's escaped slashes (`&#x2f;`) read back as `/`, so links
/// can be looked for as they are.
async fn html_of(c: &crate::helpers::ConsoleClient, path: &str) -> String {
    c.page(path).await.replace("&#x2f;", "/")
}

async fn response_count(app: &TestApp, survey: &str) -> u64 {
    let got: Value = app
        .get(&format!("/api/v1/surveys/{survey}"))
        .await
        .json()
        .await
        .unwrap();
    got["response_count"].as_u64().expect("response_count")
}

async fn pages_answer_by_role(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    let viewer = app.console("viewer").await;
    let editor = app.console("editor").await;

    for path in [
        "/surveys".to_owned(),
        format!("/surveys/{id}"),
        format!("/surveys/{id}/responses"),
        format!("/surveys/{id}/share"),
    ] {
        let page = html_of(&viewer, &path).await;
        assert!(page.contains("听见满意度调查"), "{path} names the survey");
        assert!(
            !page.contains(&format!("/surveys/{id}/edit")) && !page.contains("关闭问卷"),
            "{path} shows a viewer no edit controls"
        );
        let page = html_of(&editor, &path).await;
        assert!(page.contains(&format!("/surveys/{id}/edit")), "{path}");
    }
    assert!(html_of(&editor, "/surveys").await.contains("新建问卷"));
    assert!(!html_of(&viewer, "/surveys").await.contains("新建问卷"));

    // The builder is for editors; the API refuses a viewer too.
    for path in ["/surveys/new".to_owned(), format!("/surveys/{id}/edit")] {
        assert_eq!(viewer.get(&path).await.status(), 403, "{path}");
    }
    let builder = html_of(&editor, &format!("/surveys/{id}/edit")).await;
    assert!(builder.contains("data-survey-builder"));
    assert!(builder.contains(&format!("data-url=\"/api/v1/surveys/{id}\"")));
    assert!(
        builder.contains("data-qid=\"q3\""),
        "questions are in the form"
    );
    assert!(
        builder.contains(&format!("/surveys/{id}/preview")),
        "with a preview"
    );
    let new = html_of(&editor, "/surveys/new").await;
    assert!(new.contains("data-method=\"POST\""));
    let res = viewer
        .api(
            "PATCH",
            &format!("/api/v1/surveys/{id}"),
            Some(&json!({"status": "closed"})),
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = editor
        .api(
            "PATCH",
            &format!("/api/v1/surveys/{id}"),
            Some(&json!({"status": "closed"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let list = html_of(&viewer, "/surveys").await;
    assert!(list.contains("已关闭"), "the list shows the status");
    assert!(html_of(&editor, &format!("/surveys/{id}"))
        .await
        .contains("重新开放"));

    // The console's pages may frame the preview, and nothing else may frame them.
    let res = editor.get("/surveys").await;
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-src 'self'") && csp.contains("frame-ancestors 'none'"));

    // Another workspace's survey is not found, and unknown ones neither.
    let (other_ws, other_key) = app.other_workspace().await;
    let res = app
        .client
        .post(app.url("/api/v1/surveys"))
        .bearer_auth(&other_key)
        .json(&nps_survey())
        .send()
        .await
        .unwrap();
    let other: Value = res.json().await.unwrap();
    let other_id = other["id"].as_str().unwrap();
    for path in [
        format!("/surveys/{other_id}"),
        format!("/surveys/{other_id}/qr.svg"),
        format!("/surveys/{other_id}/responses.csv"),
        "/surveys/sv_nope".to_owned(),
    ] {
        assert_eq!(editor.get(&path).await.status(), 404, "{path}");
    }
    let res = editor
        .client
        .get(format!("{}/console/w/{other_ws}/surveys", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "a workspace the member is not in");
}

async fn results_match_what_was_submitted(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    // NPS 10, 10, 9, 9, 8, 3, 0: four promoters, one passive, two detractors of seven.
    let given = [
        json!({"q1": 10, "q3": ["下单", "客服"], "q4": 5, "q5": "结账很顺畅"}),
        json!({"q1": 10, "q3": ["下单"], "q4": 4}),
        json!({"q1": 9, "q3": ["优惠券"], "q4": 4}),
        json!({"q1": 9, "q4": 3}),
        json!({"q1": 8, "q3": ["下单"]}),
        json!({"q1": 3, "q2": "物流太慢了，等了一个星期", "q4": 1}),
        json!({"q1": 0, "q2": "客服一直不回复，退款也没消息", "q5": "<b>不要再发短信了</b>"}),
    ];
    for answers in given {
        submit(&app, &id, answers).await;
    }
    let c = app.console("viewer").await;
    let page = html_of(&c, &format!("/surveys/{id}")).await;
    assert!(page.contains("共 <strong>7</strong> 份回答"), "{page}");
    // 100 × (4 − 2) / 7 = 28.6
    assert!(page.contains("data-nps>+28.6<"), "the NPS score");
    assert!(page.contains("57.1%"), "promoters 4 of 7");
    assert!(page.contains("n=7"), "the NPS's sample size");
    assert!(page.contains(">2 · 28.6%<"), "two answered 10");
    // CSAT 5, 4, 4, 3, 1: mean 3.4, three of five satisfied.
    assert!(page.contains(">3.4<") && page.contains(">60%<"), "CSAT");
    // Multi-choice: 下单 chosen by three of the four who answered.
    assert!(page.contains(">3 · 75%<"), "下单 3 of 4");
    assert!(page.contains("多选：比例按回答了这道题的 4 人计算"));
    // Text answers, newest first, with their analysis; markup stays text.
    let q2 = page.find("客服一直不回复").expect("q2's newest answer");
    let q2_older = page.find("物流太慢了").expect("q2's older answer");
    assert!(q2 < q2_older, "newest first");
    assert!(page.contains("tag neg"), "the negative answers are tagged");
    assert!(
        page.contains("&lt;b&gt;不要再发短信了&lt;/b&gt;"),
        "markup shown as text"
    );
    assert!(!page.contains("<b>不要再发短信了"));

    // The text answers of one question, paged.
    let answers = html_of(&c, &format!("/surveys/{id}/answers/q5")).await;
    assert!(answers.contains("结账很顺畅") && answers.contains("共 2 条"));
    assert!(
        !answers.contains("物流太慢了"),
        "only this question's answers"
    );
    assert_eq!(
        c.get(&format!("/surveys/{id}/answers/q1")).await.status(),
        404,
        "q1 is no text question"
    );

    // The NPS over time, drawn by the digest's chart code.
    assert!(page.contains(&format!("/surveys/{id}/nps/q1.png")));
    let res = c.get(&format!("/surveys/{id}/nps/q1.png")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    let png = res.bytes().await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);

    // The list counts them too.
    let list = html_of(&c, "/surveys").await;
    assert!(
        list.contains("data-label=\"回答\" class=\"num\">7<"),
        "{list}"
    );
    assert!(
        !list.contains("data-label=\"最近回答\"><span class=\"muted\">还没有"),
        "the last response's time: {list}"
    );

    // The counts come from `survey_answer`, written with each response. Made again from the
    // stored answers alone (as the migration that brought the table does for responses stored
    // before it), they give the same results.
    use sea_orm::ConnectionTrait;
    let db = app.state.store.connection();
    assert_tally_matches_rows(&app).await;
    db.execute_unprepared("DELETE FROM survey_answer")
        .await
        .unwrap();
    assert_tally_matches_rows(&app).await;
    let empty = html_of(&c, &format!("/surveys/{id}")).await;
    assert!(!empty.contains(">2 · 28.6%<"), "nothing left to count");
    db.execute_unprepared(migration::survey_answer_backfill(db.get_database_backend()))
        .await
        .unwrap();
    let again = html_of(&c, &format!("/surveys/{id}")).await;
    for part in [
        "data-nps>+28.6<",
        "57.1%",
        "n=7",
        ">2 · 28.6%<",
        ">3.4<",
        ">60%<",
        ">3 · 75%<",
        "多选：比例按回答了这道题的 4 人计算",
        "结账很顺畅",
    ] {
        assert!(again.contains(part), "{part} after the backfill");
    }
    assert_tally_matches_rows(&app).await;
}

async fn qr_code_is_an_svg_of_the_share_link(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    let c = app.console("viewer").await;
    let share = html_of(&c, &format!("/surveys/{id}/share")).await;
    let link = format!("{}/s/{id}", app.address);
    assert!(share.contains(&link), "the share link");
    assert!(share.contains(&format!(
        "&lt;script src=&quot;{}/embed.js&quot; data-survey=&quot;{id}&quot; async&gt;&lt;/script&gt;",
        app.address
    )));
    assert!(share.contains("&lt;iframe src="));
    assert!(share.contains("data-copy-from=\"snippet-script\""));
    assert!(
        share.contains("https://shop.example"),
        "the allowed origins"
    );
    assert!(share.contains(&format!("/surveys/{id}/qr.svg")) && share.contains("download="));

    let res = c.get(&format!("/surveys/{id}/qr.svg")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    let svg = res.text().await.unwrap();
    assert!(svg.starts_with("<?xml"), "{svg:.80}");
    let open = svg.find("<svg").expect("an svg element");
    assert!(svg[open..].contains("xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("viewBox") || svg.contains("width=\""));
    // The dark modules are drawn as one path (qrcode's SVG renderer): a real code has many.
    let path = svg.split(" d=\"").nth(1).expect("a path of modules");
    assert!(path.matches('M').count() > 100, "modules drawn");
    // Mostly different survey → different code.
    let other = create_survey(&app, &nps_survey()).await;
    let svg2 = c
        .get(&format!("/surveys/{other}/qr.svg"))
        .await
        .text()
        .await
        .unwrap();
    assert_ne!(svg, svg2);
}

async fn responses_export_as_csv(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    submit(
        &app,
        &id,
        json!({"q1": 9, "q3": ["下单", "优惠券"], "q5": "=HYPERLINK(\"http://evil\")"}),
    )
    .await;
    submit(&app, &id, json!({"q1": 2, "q2": "太慢, \"真的\"\n很慢"})).await;
    let c = app.console("viewer").await;

    let page = html_of(&c, &format!("/surveys/{id}/responses")).await;
    assert!(page.contains("共 2 份回答"));
    assert!(page.contains("下单、优惠券"));
    assert!(page.contains("导出 CSV"));

    let res = c.get(&format!("/surveys/{id}/responses.csv")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        headers,
        [
            "回答 ID",
            "提交时间",
            "答题者",
            "1. 您有多大可能向朋友推荐我们？",
            "2. 最需要改进的是什么？",
            "3. 您常用哪些功能？",
            "4. 对客服满意吗？",
            "5. 还有什么想说的？",
            "属性"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "one row per response");
    assert_eq!(&rows[0][3], "9", "oldest first");
    assert_eq!(&rows[0][5], "下单、优惠券");
    assert_eq!(
        &rows[0][7], "'=HYPERLINK(\"http://evil\")",
        "a formula is neutralised"
    );
    assert_eq!(&rows[1][4], "太慢, \"真的\"\n很慢", "quoted, not broken");
    assert!(rows[0][0].starts_with("sr_"));
}

async fn preview_stores_nothing(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    let c = app.console("viewer").await;
    let res = c.get(&format!("/surveys/{id}/preview")).await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'self'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    let form = res.text().await.unwrap();
    assert!(form.contains("预览"), "says it is a preview");
    let action = format!("/console/w/{}/surveys/{id}/preview", c.workspace_id);
    assert!(form.contains(&format!("action=\"{action}\"")));
    assert!(
        !form.contains("/responses\""),
        "it does not post to the survey"
    );

    // A missing required answer is shown like on the real form; a valid one thanks.
    let post = |body: &'static str| {
        c.client
            .post(format!("{}{action}", app.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let res = post("q5=hi").await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("必填"));
    let res = post("q1=3&q2=%E5%A4%AA%E6%85%A2&q4=2").await.unwrap();
    assert_eq!(res.status(), 200);
    let thanks = res.text().await.unwrap();
    assert!(thanks.contains("data-tingjian-thanks") && thanks.contains("回答没有保存"));
    assert_eq!(response_count(&app, &id).await, 0, "nothing stored");
    assert!(app.all_feedback("channel=survey").await.is_empty());

    // A closed survey can still be previewed (the hosted page says "closed").
    app.patch_json(
        &format!("/api/v1/surveys/{id}"),
        &json!({"status": "closed"}),
    )
    .await;
    let form = html_of(&c, &format!("/surveys/{id}/preview")).await;
    assert!(form.contains("data-tingjian-form"));
}

/// tests/browser/surveys.mjs in Chromium: build a survey in the builder (a mistake first),
/// save, preview, close and reopen, copy the embed snippet, find it listed.
async fn builder_works_in_a_real_browser(app: TestApp) {
    if !crate::browser::browser_ready() {
        return;
    }
    let email = format!("builder-{}@example.com", uuid::Uuid::new_v4().simple());
    app.add_member_to(&app.workspace_id, &email, "editor").await;
    let screenshot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "surveys-{}.png",
        app.address.rsplit(':').next().unwrap_or("x")
    ));
    let report = crate::browser::node_report(
        "surveys.mjs",
        vec![
            app.address.clone(),
            app.workspace_id.clone(),
            email,
            crate::helpers::MEMBER_PASSWORD.to_owned(),
        ],
        screenshot,
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["problems"], json!([]), "no script errors: {report}");
    let error = report["errorShown"].as_str().unwrap();
    assert!(
        error.contains("第 3 题 · 选项：需要 2 到 50 个选项"),
        "the API's error, said where: {error}"
    );
    assert_eq!(report["invalidMarked"], "true");
    assert_eq!(report["savedNotice"], "已保存。");
    assert_eq!(report["previewTitle"], "门店服务回访");
    assert_eq!(report["previewBrand"], "鲜到家");
    assert_eq!(report["previewAccent"], "rgb(0, 170, 119)");
    assert_eq!(report["refusedStatus"], 403);
    assert_eq!(report["refusedNamed"], "https://m.shop.example", "{report}");
    assert_eq!(report["originsAfterAdd"], "https://m.shop.example");
    assert_eq!(report["warningAfterSave"], 0, "allowed now: {report}");
    assert_eq!(report["statusAfterClose"], "已关闭");
    assert_eq!(report["statusAfterOpen"], "收集中");
    assert_eq!(report["toast"], "已复制");
    assert_eq!(report["qrLoaded"], true);
    let id = report["surveyId"].as_str().unwrap();
    assert_eq!(
        report["clipboard"],
        format!(
            "<script src=\"{}/embed.js\" data-survey=\"{id}\" async></script>",
            app.address
        )
    );
    assert!(report["listed"].as_str().unwrap().contains("门店服务回访"));

    // What the builder saved.
    let got: Value = app
        .get(&format!("/api/v1/surveys/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["status"], "active");
    let q = &got["questions"];
    assert_eq!(q.as_array().unwrap().len(), 3, "{got}");
    assert_eq!(q[0]["type"], "nps");
    assert_eq!(q[1]["type"], "text");
    assert_eq!(q[2]["type"], "single_choice");
    assert_eq!(q[2]["options"], json!(["App", "小程序", "门店"]));
    assert_eq!(q[2]["show_if"], json!({"question": "q1", "max": 6.0}));
    assert_eq!(got["product_name"], "鲜到家");
    assert_eq!(got["accent_color"], "#00aa77");
    assert_eq!(got["privacy_url"], "https://shop.example/privacy");
    assert!(got.get("logo_url").is_none(), "left empty: {got}");
    assert_eq!(got["allowed_origins"], json!(["https://m.shop.example"]));
    assert_eq!(got["refused_embeds"]["total"], 0);
}

async fn erasing_a_respondent_takes_their_answers_out_of_the_results(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    let res = app
        .client
        .post(app.url(&format!("/s/{id}/responses")))
        .json(&json!({"answers": {"q1": 10, "q3": ["下单"]}, "respondent": {"id": "u1"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    submit(&app, &id, json!({"q1": 0, "q3": ["客服"]})).await;
    let res = app.delete("/api/v1/respondents/u1").await;
    assert_eq!(res.status(), 200);
    use sea_orm::ConnectionTrait;
    let db = app.state.store.connection();
    let left = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM survey_answer",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(left, 2, "the anonymous response's two answers");
    assert_tally_matches_rows(&app).await;
    let c = app.console("viewer").await;
    let page = html_of(&c, &format!("/surveys/{id}")).await;
    assert!(page.contains("共 <strong>1</strong> 份回答"), "{page}");
    assert!(page.contains("n=1"), "only the detractor's NPS is left");
}

/// The database's survey counters (`survey_answer_tally`, kept by triggers) equal a count made
/// here from the rows they count: every answer row and every response, by survey, question,
/// value and UTC hour.
pub(crate) async fn assert_tally_matches_rows(app: &TestApp) {
    use chrono::{DateTime, Utc};
    use sea_orm::{ConnectionTrait, Statement};
    use std::collections::BTreeMap;
    let db = app.state.store.connection();
    let backend = db.get_database_backend();
    let rows = |sql: &str| db.query_all(Statement::from_string(backend, sql.to_owned()));
    type Key = (String, String, String, String, String);
    let mut expected: BTreeMap<Key, (i64, i64)> = BTreeMap::new();
    for r in rows("SELECT workspace_id, survey_id, question_id, value, ordinal, received_at FROM survey_answer")
        .await
        .unwrap()
    {
        let at: DateTime<Utc> = r.try_get_by_index(5).unwrap();
        let ordinal: i32 = r.try_get_by_index(4).unwrap();
        let key = (
            r.try_get_by_index(0).unwrap(),
            r.try_get_by_index(1).unwrap(),
            r.try_get_by_index(2).unwrap(),
            r.try_get_by_index(3).unwrap(),
            at.format("%Y-%m-%dT%H").to_string(),
        );
        let e = expected.entry(key).or_default();
        e.0 += 1;
        e.1 += i64::from(ordinal == 0);
    }
    for r in rows("SELECT workspace_id, survey_id, received_at FROM survey_response")
        .await
        .unwrap()
    {
        let at: DateTime<Utc> = r.try_get_by_index(2).unwrap();
        let key = (
            r.try_get_by_index(0).unwrap(),
            r.try_get_by_index(1).unwrap(),
            String::new(),
            String::new(),
            at.format("%Y-%m-%dT%H").to_string(),
        );
        let e = expected.entry(key).or_default();
        e.0 += 1;
        e.1 += 1;
    }
    let mut got: BTreeMap<Key, (i64, i64)> = BTreeMap::new();
    for r in rows(
        "SELECT workspace_id, survey_id, question_id, value, hour, answers, responses \
         FROM survey_answer_tally",
    )
    .await
    .unwrap()
    {
        let key = (
            r.try_get_by_index(0).unwrap(),
            r.try_get_by_index(1).unwrap(),
            r.try_get_by_index(2).unwrap(),
            r.try_get_by_index(3).unwrap(),
            r.try_get_by_index(4).unwrap(),
        );
        got.insert(
            key,
            (
                r.try_get_by_index(5).unwrap(),
                r.try_get_by_index(6).unwrap(),
            ),
        );
    }
    assert_eq!(got, expected, "survey counters against the rows they count");
    assert_insight_tally_matches_rows(app).await;
}

/// The database's insight counters (`feedback_tally` and `pain_point_tally`, kept by
/// triggers) equal a count made here from the rows they count: items by UTC hour, channel and
/// source with their sentiment, complaints and (when they answer no response) scores; scored
/// survey responses under their survey; pain-point rows by hour, category and channel.
pub(crate) async fn assert_insight_tally_matches_rows(app: &TestApp) {
    use chrono::{DateTime, Utc};
    use sea_orm::{ConnectionTrait, Statement};
    use std::collections::BTreeMap;
    let db = app.state.store.connection();
    let backend = db.get_database_backend();
    let rows = |sql: &str| db.query_all(Statement::from_string(backend, sql.to_owned()));
    type Key = (String, String, String, String);
    let mut expected: BTreeMap<Key, [i64; 14]> = BTreeMap::new();
    let scores = |c: &mut [i64; 14], nps: Option<i16>, csat: Option<i16>, ces: Option<i16>| {
        if let Some(n) = nps {
            c[6 + usize::from(n <= 8) + usize::from(n <= 6)] += 1;
        }
        if let Some(s) = csat {
            c[9] += 1;
            c[10] += i64::from(s >= 4);
        }
        if let Some(e) = ces {
            c[11] += 1;
            c[12] += i64::from(e);
            c[13] += i64::from(e) * i64::from(e);
        }
    };
    for r in rows(
        "SELECT workspace_id, occurred_at, channel, source_id, sentiment, has_pain_point, \
         nps, csat, ces, response_id FROM feedback",
    )
    .await
    .unwrap()
    {
        let at: DateTime<Utc> = r.try_get_by_index(1).unwrap();
        let source: Option<String> = r.try_get_by_index(3).unwrap();
        let key = (
            r.try_get_by_index(0).unwrap(),
            at.format("%Y-%m-%dT%H").to_string(),
            r.try_get_by_index(2).unwrap(),
            source.unwrap_or_default(),
        );
        let sentiment: Option<String> = r.try_get_by_index(4).unwrap();
        let pain: bool = r.try_get_by_index(5).unwrap();
        let c = expected.entry(key).or_default();
        let s = sentiment.as_deref();
        c[0] += 1;
        c[1] += i64::from(s.is_some_and(|s| s != "unknown"));
        c[2] += i64::from(s == Some("positive"));
        c[3] += i64::from(s == Some("negative"));
        c[4] += i64::from(s == Some("mixed"));
        c[5] += i64::from(matches!(s, Some("negative" | "mixed")) || pain);
        if r.try_get_by_index::<Option<String>>(9).unwrap().is_none() {
            scores(
                c,
                r.try_get_by_index(6).unwrap(),
                r.try_get_by_index(7).unwrap(),
                r.try_get_by_index(8).unwrap(),
            );
        }
    }
    for r in rows(
        "SELECT workspace_id, occurred_at, survey_id, nps, csat, ces FROM survey_response \
         WHERE occurred_at IS NOT NULL AND (nps IS NOT NULL OR csat IS NOT NULL OR ces IS NOT NULL)",
    )
    .await
    .unwrap()
    {
        let at: DateTime<Utc> = r.try_get_by_index(1).unwrap();
        let survey: String = r.try_get_by_index(2).unwrap();
        let channel = if survey.starts_with("sv_") { "survey" } else { "webhook" };
        let key = (
            r.try_get_by_index(0).unwrap(),
            at.format("%Y-%m-%dT%H").to_string(),
            channel.to_owned(),
            survey,
        );
        scores(
            expected.entry(key).or_default(),
            r.try_get_by_index(3).unwrap(),
            r.try_get_by_index(4).unwrap(),
            r.try_get_by_index(5).unwrap(),
        );
    }
    let mut got: BTreeMap<Key, [i64; 14]> = BTreeMap::new();
    for r in rows(
        "SELECT workspace_id, hour, channel, source, items, analysed, positive, negative, mixed, \
         complaints, promoters, passives, detractors, csat_n, csat_satisfied, ces_n, ces_sum, \
         ces_sum_sq FROM feedback_tally",
    )
    .await
    .unwrap()
    {
        let key = (
            r.try_get_by_index(0).unwrap(),
            r.try_get_by_index(1).unwrap(),
            r.try_get_by_index(2).unwrap(),
            r.try_get_by_index(3).unwrap(),
        );
        let mut c = [0i64; 14];
        for (i, v) in c.iter_mut().enumerate() {
            *v = r.try_get_by_index(4 + i).unwrap();
        }
        got.insert(key, c);
    }
    assert_eq!(
        got, expected,
        "insight counters against the rows they count"
    );

    let mut expected: BTreeMap<Key, i64> = BTreeMap::new();
    for r in rows("SELECT workspace_id, occurred_at, category, channel FROM feedback_pain_point")
        .await
        .unwrap()
    {
        let at: DateTime<Utc> = r.try_get_by_index(1).unwrap();
        let key = (
            r.try_get_by_index(0).unwrap(),
            at.format("%Y-%m-%dT%H").to_string(),
            r.try_get_by_index(2).unwrap(),
            r.try_get_by_index(3).unwrap(),
        );
        *expected.entry(key).or_default() += 1;
    }
    let mut got: BTreeMap<Key, i64> = BTreeMap::new();
    for r in rows("SELECT workspace_id, hour, category, channel, items FROM pain_point_tally")
        .await
        .unwrap()
    {
        let key = (
            r.try_get_by_index(0).unwrap(),
            r.try_get_by_index(1).unwrap(),
            r.try_get_by_index(2).unwrap(),
            r.try_get_by_index(3).unwrap(),
        );
        got.insert(key, r.try_get_by_index(4).unwrap());
    }
    assert_eq!(
        got, expected,
        "pain-point counters against the rows they count"
    );
}
