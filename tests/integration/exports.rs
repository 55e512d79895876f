//! Exports of the feedback list: CSV (a BOM, Chinese headers) and XLSX (read back), the list's
//! filters and order, formulas neutralised, a Chinese file name, and the session's access.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, TestApp};

both_backends!(
    csv_has_a_bom_chinese_headers_and_neutralised_formulas,
    exports_honour_the_list_filters_and_order,
    xlsx_reads_back_with_numbers_times_and_text,
    bad_requests_and_a_signed_in_member
);

/// Ten analysed items from a webhook source named 官网意见箱 (four with formula-like text);
/// returns the source's id.
async fn seed(app: &TestApp) -> String {
    let src: Value = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "官网意见箱"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let src_id = src["id"].as_str().unwrap().to_owned();
    let texts = [
        "=HYPERLINK(\"http://evil.example\",\"点我领券\")",
        "+1，我也遇到了闪退",
        "-5分，支付失败了，钱扣了订单没成功",
        "@客服 物流太慢了",
        "打开就闪退，太烂了",
        "界面很好看，用着顺手",
        "非常好用，推荐给朋友了",
        "客服很耐心，解决得很快",
        "请问怎么修改收货地址？",
        "功能不错但是老是卡顿",
    ];
    let items: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({
                "text": t,
                "external_id": format!("e{i}"),
                "respondent_id": format!("u-{i}"),
                "occurred_at": format!("2026-11-{:02}T09:30:00+08:00", 10 + i),
                "scores": {"nps": i},
                "attributes": {"city": if i % 2 == 0 { "杭州" } else { "北京" }, "plan": "pro"}
            })
        })
        .collect();
    app.store_items(items, &src_id, chrono::Utc::now()).await;
    src_id
}

const HEADER: [&str; 14] = [
    "时间",
    "收到时间",
    "渠道",
    "来源",
    "用户",
    "内容",
    "情感",
    "痛点",
    "关键词",
    "NPS",
    "CSAT",
    "CES",
    "评分",
    "属性",
];

/// An export's bytes, asserting 200 and the content type.
async fn download(
    app: &TestApp,
    query: &str,
    content_type: &str,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.get(&format!("/api/v1/feedback/export?{query}")).await;
    assert_eq!(res.status(), 200, "{query}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(content_type),
        "{:?}",
        res.headers()["content-type"]
    );
    let headers = res.headers().clone();
    (headers, res.bytes().await.unwrap().to_vec())
}

/// The rows of a CSV export (header included), after checking its BOM.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a UTF-8 BOM first");
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn csv_has_a_bom_chinese_headers_and_neutralised_formulas(app: TestApp) {
    seed(&app).await;
    let (headers, bytes) = download(&app, "format=csv", "text/csv").await;
    let rows = csv_rows(&bytes);
    assert_eq!(rows[0], HEADER);
    assert_eq!(rows.len(), 11);
    // Newest given first, like the list.
    let body = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(body.contains("\r\n"), "CRLF line ends");
    let first = &rows[1];
    assert_eq!(first[0], "2026-11-19 09:30:00", "in the workspace's zone");
    assert_eq!(first[2], "Webhook 推送");
    assert_eq!(first[3], "官网意见箱");
    assert_eq!(first[4], "u-9");
    assert_eq!(first[5], "功能不错但是老是卡顿");
    assert_eq!(first[9], "9");
    assert_eq!(first[10], "");
    assert_eq!(first[13], "city=北京; plan=pro");
    let by_text = |start: &str| -> Vec<String> {
        rows.iter()
            .find(|r| r[5].starts_with(start))
            .unwrap_or_else(|| panic!("no row starting {start}: {rows:?}"))
            .clone()
    };
    // Formula starts are shown as text; other text is left alone.
    assert_eq!(
        by_text("'=")[5],
        "'=HYPERLINK(\"http://evil.example\",\"点我领券\")"
    );
    assert_eq!(by_text("'+1")[5], "'+1，我也遇到了闪退");
    assert!(by_text("'@")[5].starts_with("'@客服"));
    let pay = by_text("'-5分");
    assert_eq!(pay[6], "负面");
    assert!(pay[7].contains("支付问题"), "pain points by name: {pay:?}");
    assert!(!pay[8].is_empty(), "keywords: {pay:?}");
    let crash = by_text("打开就闪退");
    let names: Vec<&str> = crash[7].split('、').collect();
    assert!(names.contains(&"闪退崩溃"), "{crash:?}");
    assert!(
        names.iter().all(|n| !n.is_ascii()),
        "names, not ids: {crash:?}"
    );
    for row in &rows[1..] {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a live formula: {row:?}"
            );
        }
    }

    // The file name: Chinese in RFC 5987 form, with an ASCII fallback, dated today in the
    // workspace's zone.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string();
    let cd = headers["content-disposition"].to_str().unwrap().to_owned();
    assert!(cd.starts_with("attachment;"), "{cd}");
    assert!(
        cd.contains(&format!("filename=\"feedback-export-{today}.csv\"")),
        "{cd}"
    );
    assert!(
        cd.contains(&format!(
            "filename*=UTF-8''%E5%8F%8D%E9%A6%88%E5%AF%BC%E5%87%BA-{today}.csv"
        )),
        "反馈导出-{today}.csv: {cd}"
    );
    assert_eq!(headers["cache-control"], "no-store");
}

async fn exports_honour_the_list_filters_and_order(app: TestApp) {
    let src = seed(&app).await;
    // Enough unanalysed items that the export reads several pages.
    let many: Vec<Value> = (0..2300)
        .map(|i| {
            json!({"text": format!("批量反馈 {i}"), "external_id": format!("m{i}"),
            "occurred_at": format!("2026-10-{:02}T08:00:00+08:00", 1 + i % 28)})
        })
        .collect();
    for chunk in many.chunks(1000) {
        let parsed = tingjian::collect::webhook::parse_delivery(
            &json!({ "items": chunk }),
            None,
            "src_bulk",
            chrono::Utc::now(),
        )
        .unwrap();
        app.state
            .store
            .ingest(&app.workspace_id, &parsed)
            .await
            .unwrap();
    }

    let (_, all) = download(&app, "format=csv", "text/csv").await;
    let all = csv_rows(&all);
    assert_eq!(all.len(), 1 + 2310, "every item once, across pages");
    let mut texts: Vec<&String> = all[1..].iter().map(|r| &r[5]).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 2310, "no item twice");
    let times: Vec<&String> = all[1..].iter().map(|r| &r[0]).collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest given first");

    // The same filters as the list, and the same answers.
    for q in [
        "sentiment=negative".to_owned(),
        "attr.city=%E6%9D%AD%E5%B7%9E".into(),
        format!("source={src}"),
        "q=%E5%AE%A2%E6%9C%8D".into(),
        "from=2026-11-12&to=2026-11-15".into(),
        "pain_point=crash".into(),
    ] {
        let listed = app.all_feedback(&q).await;
        let (_, bytes) = download(&app, &format!("format=csv&{q}"), "text/csv").await;
        let rows = csv_rows(&bytes);
        assert_eq!(rows.len() - 1, listed.len(), "{q}");
        assert!(!listed.is_empty(), "{q} matches something");
        let listed_texts: Vec<String> = listed
            .iter()
            .map(|f| tingjian::export::neutralise(f["text"].as_str().unwrap()))
            .collect();
        let exported: Vec<String> = rows[1..].iter().map(|r| r[5].clone()).collect();
        assert_eq!(exported, listed_texts, "{q}: in the list's order");
    }

    // The received order: the bulk delivery came last, so it comes first.
    let (_, bytes) = download(&app, "format=csv&sort=received", "text/csv").await;
    let rows = csv_rows(&bytes);
    assert!(rows[1][5].starts_with("批量反馈"), "{:?}", rows[1]);
    assert!(rows[2310][5].starts_with(['\'', '打', '界', '非', '客', '请', '功']));
}

async fn xlsx_reads_back_with_numbers_times_and_text(app: TestApp) {
    seed(&app).await;
    let (headers, bytes) = download(
        &app,
        "format=xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    .await;
    let cd = headers["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        cd.contains(".xlsx\"") && cd.contains("filename*=UTF-8''%E5%8F%8D"),
        "{cd}"
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx file");
    assert_eq!(book.sheet_names(), ["反馈"]);
    let range = book.worksheet_range("反馈").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows.len(), 11);
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, HEADER);
    let first = rows[1];
    match &first[0] {
        Data::DateTime(d) => assert_eq!(
            d.as_datetime().unwrap().to_string(),
            "2026-11-19 09:30:00",
            "a real time, in the workspace's zone"
        ),
        other => panic!("time cell: {other:?}"),
    }
    assert_eq!(first[3], Data::String("官网意见箱".into()));
    assert_eq!(first[5], Data::String("功能不错但是老是卡顿".into()));
    assert_eq!(first[9], Data::Float(9.0), "scores are numbers");
    assert_eq!(first[10], Data::Empty);
    assert_eq!(first[13], Data::String("city=北京; plan=pro".into()));
    let texts: Vec<String> = rows[1..].iter().map(|r| r[5].to_string()).collect();
    assert!(
        texts.contains(&"'=HYPERLINK(\"http://evil.example\",\"点我领券\")".to_owned()),
        "{texts:?}"
    );
    for t in &texts {
        assert!(!t.starts_with(['=', '+', '-', '@']), "{t}");
    }
    // Filters apply to XLSX too.
    let (_, bytes) = download(
        &app,
        "format=xlsx&attr.city=%E6%9D%AD%E5%B7%9E",
        "application/vnd.openxmlformats",
    )
    .await;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("反馈").unwrap();
    assert_eq!(range.rows().count(), 1 + 5);
}

async fn bad_requests_and_a_signed_in_member(app: TestApp) {
    seed(&app).await;
    for q in ["format=pdf", "", "format="] {
        let res = app.get(&format!("/api/v1/feedback/export?{q}")).await;
        assert_problem(res, 400, "bad_request").await;
    }
    let res = app
        .get("/api/v1/feedback/export?format=csv&colour=red")
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .get("/api/v1/feedback/export?format=csv&sort=received&cursor=o.1.0.fb_1")
        .await;
    assert_problem(res, 400, "bad_request").await;
    // Without a key: 401.
    let res = app
        .client
        .get(app.url("/api/v1/feedback/export?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // A viewer signed in to the console exports through the session, as its button does (a
    // GET needs no CSRF token).
    let email = "viewer-export@example.com";
    app.add_member_to(&app.workspace_id, email, "viewer").await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser
        .get(app.url("/console/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::helpers::hidden_field(&form, "csrf_token").unwrap();
    let res = browser
        .post(app.url("/console/login"))
        .form(&[
            ("email", email),
            ("password", crate::helpers::MEMBER_PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = browser
        .get(app.url("/api/v1/feedback/export?format=csv&sentiment=negative"))
        .header("X-Tingjian-Workspace", &app.workspace_id)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rows = csv_rows(&res.bytes().await.unwrap());
    assert_eq!(rows[0], HEADER);
    assert!(rows.len() > 1);
    assert!(rows[1..].iter().all(|r| r[6] == "负面"), "{rows:?}");
}
