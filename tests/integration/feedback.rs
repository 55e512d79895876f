//! The feedback API: filters, cursor pagination, one item, deletion, respondent erasure, and
//! bad input that changes nothing.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, TestApp};

both_backends!(
    filters_and_pagination,
    delete_and_erase_respondent,
    erasing_a_respondent_takes_their_responses_and_interviews,
    bad_input_is_refused_cleanly,
    attribute_filters_compare_booleans_alike,
    orders_and_their_cursors,
    counts_by_sentiment_with_the_list_filters,
    every_origin_has_a_chinese_name,
    counters_follow_batches_moves_and_deletes
);

async fn seed(app: &TestApp) -> String {
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "seed"}),
        )
        .await;
    let src: Value = res.json().await.unwrap();
    let src_id = src["id"].as_str().unwrap().to_owned();
    let mut items = Vec::new();
    for i in 0..120 {
        let (city, plan) = if i % 3 == 0 {
            ("杭州", "pro")
        } else {
            ("北京", "free")
        };
        items.push(json!({
            "text": if i % 10 == 0 { format!("支付失败 #{i}") } else { format!("界面不错 #{i}") },
            "external_id": format!("x{i}"),
            "respondent_id": format!("u{}", i % 7),
            "occurred_at": format!("2026-11-{:02}T12:00:00+08:00", 1 + i % 28),
            "attributes": {"city": city, "plan": plan, "version": 3}
        }));
    }
    // Stored directly through the store to keep the seed short; the webhook path has its own tests.
    let parsed = tingjian::collect::webhook::parse_delivery(
        &json!({"items": items}),
        None,
        &src_id,
        chrono::Utc::now(),
    )
    .unwrap();
    app.state
        .store
        .ingest(&app.workspace_id, &parsed)
        .await
        .unwrap();
    src_id
}

async fn filters_and_pagination(app: TestApp) {
    let src = seed(&app).await;
    let all = app.all_feedback("").await;
    assert_eq!(all.len(), 120);
    let keys: Vec<(&str, &str)> = all
        .iter()
        .map(|f| {
            (
                f["occurred_at"].as_str().unwrap(),
                f["id"].as_str().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted, "newest given first, no item twice");
    sorted.dedup();
    assert_eq!(sorted.len(), 120);

    let page: Value = app
        .get("/api/v1/feedback?limit=50")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    assert!(page["next_cursor"].is_string());

    assert_eq!(
        app.all_feedback("attr.city=%E6%9D%AD%E5%B7%9E").await.len(),
        40
    );
    assert_eq!(
        app.all_feedback("attr.city=%E6%9D%AD%E5%B7%9E&attr.plan=pro")
            .await
            .len(),
        40
    );
    assert_eq!(app.all_feedback("attr.version=3").await.len(), 120);
    assert_eq!(app.all_feedback("q=%E6%94%AF%E4%BB%98").await.len(), 12);
    assert_eq!(app.all_feedback("channel=webhook").await.len(), 120);
    assert_eq!(app.all_feedback("channel=survey").await.len(), 0);
    assert_eq!(app.all_feedback(&format!("source={src}")).await.len(), 120);
    assert_eq!(app.all_feedback("respondent_id=u0").await.len(), 18);
    // Dates are midnight in the workspace's zone (Asia/Shanghai); `to` is exclusive.
    let first_week = app.all_feedback("from=2026-11-01&to=2026-11-08").await;
    assert!(first_week
        .iter()
        .all(|f| f["occurred_at"].as_str().unwrap() < "2026-11-08"));
    assert_eq!(first_week.len(), 35);
    assert_eq!(
        app.all_feedback("from=2026-11-01T04:00:00Z&to=2026-11-01T05:00:00Z")
            .await
            .len(),
        5
    );
}

async fn delete_and_erase_respondent(app: TestApp) {
    seed(&app).await;
    let all = app.all_feedback("").await;
    let id = all[0]["id"].as_str().unwrap();
    let res = app.get(&format!("/api/v1/feedback/{id}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        all[0],
        "the item as listed"
    );
    assert_eq!(
        app.delete(&format!("/api/v1/feedback/{id}")).await.status(),
        204
    );
    assert_problem(
        app.get(&format!("/api/v1/feedback/{id}")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(&format!("/api/v1/feedback/{id}")).await,
        404,
        "not_found",
    )
    .await;

    let before = app.all_feedback("respondent_id=u3").await.len();
    assert!(before > 0);
    let res = app.delete("/api/v1/respondents/u3").await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["erased"]["feedback"].as_u64().unwrap() as usize, before);
    assert!(app.all_feedback("respondent_id=u3").await.is_empty());
    assert_eq!(app.all_feedback("").await.len(), 119 - before);
}

async fn bad_input_is_refused_cleanly(app: TestApp) {
    let bad_queries = [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=abc", "limit"),
        ("channel=fax", "channel"),
        ("from=yesterday", "from"),
        ("colour=red", "colour"),
    ];
    for (q, field) in bad_queries {
        let res = app.get(&format!("/api/v1/feedback?{q}")).await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], field, "{q}: {body}");
    }
    // Invalid JSON, wrong content type, invalid UTF-8, wrong types, oversized body.
    let res = app
        .client
        .post(app.url("/api/v1/mentions"))
        .bearer_auth(&app.api_key)
        .header("content-type", "application/json")
        .body("{\"items\": [")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_json").await;
    let res = app
        .client
        .post(app.url("/api/v1/mentions"))
        .bearer_auth(&app.api_key)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type").await;
    let res = app
        .client
        .post(app.url("/api/v1/mentions"))
        .bearer_auth(&app.api_key)
        .header("content-type", "application/json")
        .body(vec![b'"', 0xff, 0xfe, b'"'])
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_utf8").await;
    let res = app
        .post_json("/api/v1/mentions", &json!({"items": "many"}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .post_json(
            "/api/v1/mentions",
            &json!({"items": [{"platform": "weibo", "text": "字".repeat(10_001)}]}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/items/0/text");
    let huge = "x".repeat(1024 * 1024 + 1);
    let res = app
        .client
        .post(app.url("/api/v1/mentions"))
        .bearer_auth(&app.api_key)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_problem(res, 413, "payload_too_large").await;
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "carrier-pigeon", "name": "x"}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .post_json("/api/v1/sources", &json!({"kind": "webhook", "name": 5}))
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/name");
    assert!(
        app.all_feedback("").await.is_empty(),
        "nothing was stored by any of it"
    );
    let sources: Value = app.get("/api/v1/sources").await.json().await.unwrap();
    assert!(sources["items"].as_array().unwrap().is_empty());
}

/// `attr.KEY=VALUE` compares the attribute as text, booleans included: `true` matches a JSON
/// `true` (and the string "true") on both backends, and `1` does not.
async fn attribute_filters_compare_booleans_alike(app: TestApp) {
    let id = crate::surveys::create_survey(
        &app,
        &json!({"title": "会员调查", "questions": [{"id": "say", "type": "text", "title": "想说什么？"}]}),
    )
    .await;
    for (text, attributes) in [
        ("会员很好", json!({"vip": true, "level": 3})),
        ("不是会员", json!({"vip": false, "level": 1.5})),
        ("写成文字", json!({"vip": "true"})),
        ("写成数字", json!({"vip": "1"})),
    ] {
        let res = app
            .client
            .post(app.url(&format!("/s/{id}/responses")))
            .json(&json!({"answers": {"say": text}, "respondent": {"attributes": attributes}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let texts = |items: Vec<Value>| {
        let mut t: Vec<String> = items
            .iter()
            .map(|i| i["text"].as_str().unwrap().to_owned())
            .collect();
        t.sort();
        t
    };
    assert_eq!(
        texts(app.all_feedback("attr.vip=true").await),
        ["会员很好", "写成文字"]
    );
    assert_eq!(
        texts(app.all_feedback("attr.vip=false").await),
        ["不是会员"]
    );
    assert_eq!(texts(app.all_feedback("attr.vip=1").await), ["写成数字"]);
    assert!(app.all_feedback("attr.vip=0").await.is_empty());
    assert_eq!(texts(app.all_feedback("attr.level=3").await), ["会员很好"]);
    assert_eq!(
        texts(app.all_feedback("attr.level=1.5").await),
        ["不是会员"]
    );
}

/// Erasing a respondent takes their survey responses and their interviews with them, not only
/// the feedback items carrying their id; what the API shows of the survey and the interview no
/// longer has their words, and another respondent's stay.
async fn erasing_a_respondent_takes_their_responses_and_interviews(app: TestApp) {
    let survey = crate::surveys::create_survey(&app, &crate::surveys::nps_survey()).await;
    let respond =
        |respondent: &'static str, response_id: &'static str, nps: u8, text: &'static str| {
            let req = app
                .client
                .post(app.url(&format!("/s/{survey}/responses")))
                .json(&json!({"answers": {"q1": nps, "q5": text, "q4": 1},
                "respondent": {"id": respondent}, "response_id": response_id}));
            async move {
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                (status, res.json::<Value>().await.unwrap())
            }
        };
    let interview = |interviewee: &'static str, external_id: &'static str, said: &'static str| {
        let body = json!({"title": "访谈", "external_id": external_id, "interviewee": {"id": interviewee},
            "transcript": format!("主持人：最近用得怎么样？\n用户：{said}")});
        let app = &app;
        async move {
            let res = app.post_json("/api/v1/interviews", &body).await;
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let from = (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    const GONE: [&str; 3] = ["收不到验证码", "快递总是送错", "客服电话打不通"];

    let (status, theirs) = respond("u-erase", "erase-response-1", 2, "手机一直收不到验证码").await;
    assert_eq!(status, 201, "{theirs}");
    let (status, kept) = respond("u-keep", "keep-response-1", 9, "结账页面有点卡").await;
    assert_eq!(status, 201, "{kept}");
    let (status, iv) = interview("u-erase", "iv-erase", "快递总是送错地址，客服电话打不通").await;
    assert_eq!((status, &iv["feedback_count"]), (201, &json!(1)), "{iv}");
    let iv_erase = iv["id"].as_str().unwrap().to_owned();
    let (status, iv) = interview("u-keep", "iv-keep", "界面挺好看的").await;
    assert_eq!(status, 201, "{iv}");
    let iv_keep = iv["id"].as_str().unwrap().to_owned();
    // An imported item of the same person.
    let res = app
        .client
        .post(app.url(
            "/api/v1/imports/csv?map=text%3Dtext&map=external_id%3Did&map=respondent_id%3Duser",
        ))
        .bearer_auth(&app.api_key)
        .header("content-type", "text/csv")
        .body("id,text,user\ne-1,APP 闪退,u-erase\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["stored"], 1);

    // What the API shows of them before: their words, their response in the survey's count
    // and in the trend's responses.
    let to = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let responses_in_trend = |metric: &'static str| {
        let path =
            format!("/api/v1/insights/trends?metric={metric}&interval=day&from={from}&to={to}");
        let app = &app;
        async move {
            let res = app.get(&path).await;
            assert_eq!(res.status(), 200, "{path}");
            let trend: Value = res.json().await.unwrap();
            trend["series"][0]["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["n"].as_u64().unwrap())
                .sum::<u64>()
        }
    };
    let response_count = || {
        let app = &app;
        let path = format!("/api/v1/surveys/{survey}");
        async move {
            let got: Value = app.get(&path).await.json().await.unwrap();
            got["response_count"].clone()
        }
    };
    assert_eq!(response_count().await, 2);
    assert_eq!(responses_in_trend("nps").await, 2);
    assert_eq!(responses_in_trend("csat").await, 2);
    let shown = |items: &[Value]| items.iter().map(|i| i.to_string()).collect::<String>();
    let before = shown(&app.all_feedback("").await);
    assert!(GONE.iter().all(|t| before.contains(t)), "{before}");
    // The ranked pain points quote them.
    let ranked = || {
        let app = &app;
        let path = format!("/api/v1/insights/pain-points?from={from}&to={to}");
        async move {
            let res = app.get(&path).await;
            assert_eq!(res.status(), 200, "{path}");
            res.text().await.unwrap()
        }
    };
    let quoted = ranked().await;
    assert!(GONE.iter().any(|t| quoted.contains(t)), "{quoted}");

    let res = app.delete("/api/v1/respondents/u-erase").await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(
        out,
        json!({"respondent_id": "u-erase", "erased": {"feedback": 3, "survey_responses": 1, "interviews": 1}})
    );

    // Their words are gone from every list, the interview's items included.
    let all = app.all_feedback("").await;
    let after = shown(&all);
    for t in GONE {
        assert!(!after.contains(t), "{t} is still shown: {after}");
    }
    assert!(
        after.contains("结账页面有点卡") && after.contains("界面挺好看的"),
        "{after}"
    );
    assert_eq!(all.len(), 2, "{after}");
    assert!(app.all_feedback("respondent_id=u-erase").await.is_empty());
    assert!(app
        .all_feedback(&format!("source=interview:{iv_erase}"))
        .await
        .is_empty());
    assert_eq!(
        app.all_feedback(&format!("source=interview:{iv_keep}"))
            .await
            .len(),
        1
    );
    // Their response no longer counts in the survey or its scores.
    assert_eq!(response_count().await, 1);
    assert_eq!(responses_in_trend("nps").await, 1);
    assert_eq!(responses_in_trend("csat").await, 1);
    crate::console_surveys::assert_insight_tally_matches_rows(&app).await;
    let ranked = ranked().await;
    assert!(GONE.iter().all(|t| !ranked.contains(t)), "{ranked}");

    // The response and the interview themselves are gone: sent again under the same ids, each
    // is stored as new instead of being recognised as a replay of what was erased.
    let (status, again) =
        interview("u-erase", "iv-erase", "快递总是送错地址，客服电话打不通").await;
    assert_eq!(
        (status, &again["replayed"]),
        (201, &json!(false)),
        "{again}"
    );
    let (status, again) = respond("u-erase", "erase-response-1", 2, "手机一直收不到验证码").await;
    assert_eq!(
        (status, &again["replayed"]),
        (201, &json!(false)),
        "{again}"
    );
    assert_eq!(again["response_id"], theirs["response_id"]);
    // The other respondent's are still there: a replay.
    let (status, again) = respond("u-keep", "keep-response-1", 9, "结账页面有点卡").await;
    assert_eq!((status, &again["replayed"]), (200, &json!(true)), "{again}");
    let (status, again) = interview("u-keep", "iv-keep", "界面挺好看的").await;
    assert_eq!((status, &again["replayed"]), (200, &json!(true)), "{again}");
}

/// Every page of `query` (limit 7, so pages end inside runs of equal times), followed by
/// cursor: the items' ids in the order listed.
async fn paged_ids(app: &TestApp, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let res = app
            .get(&format!("/api/v1/feedback?limit=7&{query}{cursor}"))
            .await;
        assert_eq!(res.status(), 200, "{query}{cursor}");
        let page: Value = res.json().await.unwrap();
        for f in page["items"].as_array().unwrap() {
            ids.push(f["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return ids,
        }
    }
}

async fn orders_and_their_cursors(app: TestApp) {
    seed(&app).await;
    // A later delivery of older feedback: last by when it was given, first by arrival.
    let late = tingjian::collect::webhook::parse_delivery(
        &json!({"items": [
            {"text": "补录的旧反馈一", "external_id": "late1", "occurred_at": "2026-10-01T08:00:00+08:00"},
            {"text": "补录的旧反馈二", "external_id": "late2", "occurred_at": "2026-10-01T08:00:00+08:00"}
        ]}),
        None,
        "src_late",
        chrono::Utc::now(),
    )
    .unwrap();
    app.state
        .store
        .ingest(&app.workspace_id, &late)
        .await
        .unwrap();
    let all = app.all_feedback("").await;
    let by_id = |id: &str| all.iter().find(|f| f["id"] == id).unwrap().clone();

    // Pages of 7 cross runs of equal `occurred_at` (four or five items per day) and match
    // the one-page order exactly: no item lost or read twice at a page boundary.
    let occurred = paged_ids(&app, "").await;
    let listed: Vec<&str> = all.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(occurred, listed);
    assert_eq!(occurred, paged_ids(&app, "sort=occurred&").await);
    assert!(by_id(&occurred[0])["occurred_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-28"));
    assert!(by_id(&occurred[121])["text"]
        .as_str()
        .unwrap()
        .starts_with("补录的旧反馈"));

    let received = paged_ids(&app, "sort=received&").await;
    assert_eq!(received.len(), 122);
    let keys: Vec<(String, String)> = received
        .iter()
        .map(|id| {
            let f = by_id(id);
            (f["received_at"].as_str().unwrap().to_owned(), id.clone())
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(keys, sorted, "newest stored first, no item twice");
    assert!(by_id(&received[0])["text"]
        .as_str()
        .unwrap()
        .starts_with("补录的旧反馈"));

    // Filters keep their meaning in either order.
    assert_eq!(
        paged_ids(&app, "sort=received&attr.city=%E6%9D%AD%E5%B7%9E&")
            .await
            .len(),
        40
    );

    // A cursor carries its order: given with the other order, or made up, it is a 400.
    let page: Value = app
        .get("/api/v1/feedback?limit=5&sort=received")
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap();
    let res = app.get(&format!("/api/v1/feedback?cursor={cursor}")).await;
    let problem = assert_problem(res, 400, "bad_request").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("received"),
        "{problem}"
    );
    let res = app
        .get(&format!("/api/v1/feedback?sort=occurred&cursor={cursor}"))
        .await;
    assert_problem(res, 400, "bad_request").await;
    for bad in [
        "fb_01a226ea8d03731c87a486aad9a7a480",
        "o.x.1.fb_1",
        "o.1.2",
        "z.1.2.fb",
    ] {
        let res = app.get(&format!("/api/v1/feedback?cursor={bad}")).await;
        assert_problem(res, 400, "bad_request").await;
    }
    let res = app.get("/api/v1/feedback?sort=newest").await;
    assert_problem(res, 422, "validation_failed").await;
}

async fn counts_by_sentiment_with_the_list_filters(app: TestApp) {
    // 120 items stored unanalysed (they count in the total only) and 10 analysed ones.
    seed(&app).await;
    let texts = [
        "支付失败了，钱扣了订单没成功",
        "打开就闪退，太烂了",
        "客服态度很差，半天不回",
        "物流太慢了",
        "界面很好看，用着顺手",
        "非常好用，推荐给朋友了",
        "客服很耐心，解决得很快",
        "请问怎么修改收货地址？",
        "界面好看，就是物流太慢了",
        "功能不错但是老是卡顿",
    ];
    let items: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"text": t, "external_id": format!("a{i}"), "attributes": {"city": "杭州"}}))
        .collect();
    app.store_items(items, "src_analysed", chrono::Utc::now())
        .await;

    let count = |q: &'static str| {
        let app = &app;
        async move {
            let res = app.get(&format!("/api/v1/feedback/count?{q}")).await;
            assert_eq!(res.status(), 200, "{q}");
            res.json::<Value>().await.unwrap()
        }
    };
    let all = count("").await;
    assert_eq!(all["total"], 130, "{all}");
    let by = &all["by_sentiment"];
    let sum: u64 = ["positive", "negative", "neutral", "mixed"]
        .iter()
        .map(|k| by[k].as_u64().unwrap())
        .sum();
    assert_eq!(sum, 10, "only analysed items have a label: {all}");
    // Each label's count is what the list shows for that label.
    for label in ["positive", "negative", "neutral", "mixed"] {
        let listed = app.all_feedback(&format!("sentiment={label}")).await.len() as u64;
        assert_eq!(by[label].as_u64().unwrap(), listed, "{label}");
    }
    assert!(
        by["negative"].as_u64().unwrap() >= 1,
        "支付失败 reads negative: {all}"
    );

    assert_eq!(
        count("source=src_analysed&sentiment=negative").await["total"],
        by["negative"]
    );
    let hz = count("attr.city=%E6%9D%AD%E5%B7%9E&from=2026-11-01&to=2026-11-08").await;
    let listed = app
        .all_feedback("attr.city=%E6%9D%AD%E5%B7%9E&from=2026-11-01&to=2026-11-08")
        .await
        .len();
    assert_eq!(hz["total"], listed as u64);
    assert_eq!(count("q=%E6%94%AF%E4%BB%98").await["total"], 13);
    assert_eq!(count("channel=survey").await["total"], 0);
    assert_eq!(
        count("channel=survey").await["by_sentiment"],
        json!({"positive": 0, "negative": 0, "neutral": 0, "mixed": 0, "unknown": 0})
    );
    let res = app.get("/api/v1/feedback/count?colour=red").await;
    assert_problem(res, 422, "validation_failed").await;
}

async fn every_origin_has_a_chinese_name(app: TestApp) {
    // A webhook source, a hosted survey, a pushed mention, a CSV import, an interview.
    let src: Value = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "官网意见箱"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let src_id = src["id"].as_str().unwrap();
    let items = tingjian::collect::webhook::parse_delivery(
        &json!({"items": [{"text": "官网打不开", "external_id": "w1"}]}),
        None,
        src_id,
        chrono::Utc::now(),
    )
    .unwrap();
    app.state
        .store
        .ingest(&app.workspace_id, &items)
        .await
        .unwrap();

    let survey = crate::surveys::create_survey(
        &app,
        &json!({"title": "十一月满意度调查", "questions": [
            {"id": "q1", "type": "nps", "title": "推荐意愿"},
            {"id": "q2", "type": "text", "title": "最需要改进的是什么？"}
        ]}),
    )
    .await;
    let res = app
        .client
        .post(app.url(&format!("/s/{survey}/responses")))
        .json(&json!({"answers": {"q1": 4, "q2": "退款太慢了"}}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());

    let res = app
        .post_json(
            "/api/v1/mentions",
            &json!({"items": [{"platform": "xiaohongshu", "text": "这个app挺好用"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let res = app
        .client
        .post(app.url("/api/v1/imports/csv?map=text%3Dcontent"))
        .bearer_auth(&app.api_key)
        .header("content-type", "text/csv")
        .body("content\n客服不回消息\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let res = app
        .post_json(
            "/api/v1/interviews",
            &json!({"title": "王女士访谈", "format": "text",
                "transcript": "主持人：最近用得怎么样？\n用户：支付经常失败。\n"}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let all = app.all_feedback("").await;
    let name_of = |channel: &str| -> Vec<String> {
        all.iter()
            .filter(|f| f["channel"] == channel)
            .map(|f| f["source_name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(name_of("webhook"), ["官网意见箱"]);
    assert_eq!(name_of("survey"), ["十一月满意度调查"]);
    assert_eq!(name_of("social"), ["小红书"]);
    assert_eq!(name_of("import"), ["CSV 导入"]);
    assert_eq!(name_of("interview"), ["王女士访谈"]);
    // One item says the same.
    let one = all.iter().find(|f| f["channel"] == "survey").unwrap();
    let got: Value = app
        .get(&format!("/api/v1/feedback/{}", one["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["source_name"], "十一月满意度调查");

    // A renamed source is shown by its name of today.
    let res = app
        .patch_json(
            &format!("/api/v1/sources/{src_id}"),
            &json!({"name": "官网反馈入口"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let webhook = app.all_feedback("channel=webhook").await;
    assert_eq!(webhook[0]["source_name"], "官网反馈入口");
}

/// The database's counters (kept by triggers: once per row on SQLite, once per statement on
/// PostgreSQL) equal a count of the rows after a batch of items in two statements, updates
/// of many rows at once that move them between hours, channels, sentiments and scores, an
/// update that changes nothing counted, and deletes of many rows with their pain points and
/// answers.
async fn counters_follow_batches_moves_and_deletes(app: TestApp) {
    use crate::console_surveys::assert_tally_matches_rows;
    use sea_orm::ConnectionTrait;
    let now = chrono::Utc::now();
    let items: Vec<Value> = (0..700)
        .map(|i| {
            let text = match i % 4 {
                0 => format!("支付失败，客服也不回 #{i}"),
                1 => format!("界面不错 #{i}"),
                2 => format!("物流太慢了 #{i}"),
                _ => format!("还行吧 #{i}"),
            };
            let mut item = json!({
                "text": text,
                "external_id": format!("b{i}"),
                "occurred_at": (now - chrono::Duration::minutes(37 * (i % 90))).to_rfc3339(),
                "channel": if i % 3 == 0 { "social" } else { "webhook" },
            });
            if i % 5 == 0 {
                item["scores"] = json!({"nps": i % 11, "csat": 1 + i % 5, "ces": 1 + i % 7});
            }
            item
        })
        .collect();
    app.store_items(items, "src_b", now).await;
    let survey = crate::surveys::create_survey(&app, &crate::surveys::nps_survey()).await;
    for (i, nps) in [0, 3, 6, 7, 8, 9, 10, 10].into_iter().enumerate() {
        let res = app
            .client
            .post(app.url(&format!("/s/{survey}/responses")))
            .json(
                &json!({"answers": {"q1": nps, "q3": ["下单", "客服"], "q4": 1 + i % 5,
                "q5": "还可以"}}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    assert_tally_matches_rows(&app).await;

    let db = app.state.store.connection();
    let pains: i64 = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM feedback_pain_point",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert!(pains > 100, "the batch has pain points to count: {pains}");
    for sql in [
        // Moved to another hour and channel, in both directions.
        "UPDATE feedback SET occurred_at = (SELECT MAX(occurred_at) FROM feedback), \
         channel = 'review' WHERE external_id LIKE 'b1%'",
        "UPDATE feedback SET occurred_at = (SELECT MIN(occurred_at) FROM feedback) \
         WHERE external_id LIKE 'b2%' AND channel = 'social'",
        // Another sentiment and pain point, other scores.
        "UPDATE feedback SET sentiment = CASE WHEN sentiment = 'negative' THEN 'positive' \
         ELSE 'negative' END, has_pain_point = NOT has_pain_point WHERE external_id LIKE 'b3%'",
        "UPDATE feedback SET nps = 9, csat = NULL, ces = 2 WHERE external_id LIKE 'b4%'",
        "UPDATE feedback SET source_id = NULL WHERE external_id LIKE 'b5%'",
        // Nothing counted changes.
        "UPDATE feedback SET text = text, sentiment = sentiment WHERE external_id LIKE 'b6%'",
        "UPDATE feedback_pain_point SET channel = 'review', \
         occurred_at = (SELECT MIN(occurred_at) FROM feedback) WHERE feedback_id IN \
         (SELECT id FROM feedback WHERE external_id LIKE 'b1%')",
        "UPDATE survey_response SET nps = CASE WHEN nps < 7 THEN NULL ELSE 6 END, csat = 5",
    ] {
        db.execute_unprepared(sql).await.expect(sql);
    }
    assert_tally_matches_rows(&app).await;

    for sql in [
        "DELETE FROM feedback_pain_point WHERE feedback_id IN \
         (SELECT id FROM feedback WHERE external_id LIKE 'b7%')",
        "DELETE FROM feedback WHERE external_id LIKE 'b8%' OR external_id LIKE 'b2%'",
        "DELETE FROM survey_response WHERE csat = 5 AND nps IS NULL",
    ] {
        db.execute_unprepared(sql).await.expect(sql);
    }
    assert_tally_matches_rows(&app).await;
}
