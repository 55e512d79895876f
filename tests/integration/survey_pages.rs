//! What respondents see of a survey, and what its owner learns: the product's name, logo,
//! colour and privacy note (validated by the API, shown by the page and the embed, carried
//! in `og:` tags); the hosted page in steps, so a conditional question reaches only those it
//! is for, numbered as shown, with a retry never storing twice; and sites refused as
//! embedders, counted (bounded) for the survey's editors in the API and the console.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, hidden_field, TestApp};
use crate::surveys::{create_survey, nps_survey};

both_backends!(
    branding_is_validated_stored_and_shown,
    conditional_questions_are_asked_in_steps,
    refused_embeds_are_counted_for_the_owner,
    one_register_and_a_fitting_iframe_snippet
);

fn branded() -> Value {
    let mut def = nps_survey();
    def["product_name"] = json!("听见商城");
    def["logo_url"] = json!("https://cdn.shop.example/logo.png");
    def["accent_color"] = json!("#D94");
    def["privacy_url"] = json!("https://shop.example/privacy");
    def["description"] = json!("两分钟，帮我们把购物体验做得更好。");
    def
}

async fn page(app: &TestApp, path: &str) -> (u16, String, String) {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    let csp = res
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, csp, res.text().await.unwrap())
}

async fn post_form(app: &TestApp, id: &str, body: &str) -> (u16, String) {
    let res = app
        .client
        .post(app.url(&format!("/s/{id}/responses")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn survey(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/surveys/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

async fn branding_is_validated_stored_and_shown(app: TestApp) {
    // Every bad value is reported at once, each at its own key.
    let mut bad = nps_survey();
    bad["product_name"] = json!("名".repeat(61));
    bad["logo_url"] = json!("http://cdn.shop.example/logo.png");
    bad["accent_color"] = json!("red");
    bad["privacy_url"] = json!("javascript:alert(1)");
    let res = app.post_json("/api/v1/surveys", &bad).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "/product_name",
            "/logo_url",
            "/privacy_url",
            "/accent_color"
        ],
        "{problem}"
    );
    for (key, value) in [
        (
            "logo_url",
            json!("https://user:pw@cdn.shop.example/logo.png"),
        ),
        ("logo_url", json!("logo.png")),
        ("accent_color", json!("#12345")),
        ("privacy_url", json!("ftp://shop.example/privacy")),
    ] {
        let mut def = nps_survey();
        def[key] = value.clone();
        let res = app.post_json("/api/v1/surveys", &def).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], format!("/{key}"), "{value}");
    }

    let id = create_survey(&app, &branded()).await;
    let got = survey(&app, &id).await;
    assert_eq!(got["product_name"], "听见商城");
    assert_eq!(got["logo_url"], "https://cdn.shop.example/logo.png");
    assert_eq!(got["accent_color"], "#dd9944", "normalised");
    assert_eq!(got["privacy_url"], "https://shop.example/privacy");

    // The embed gets them too.
    let def: Value = app
        .client
        .get(app.url(&format!("/s/{id}/definition.json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(def["accent_color"], "#dd9944");
    assert_eq!(def["product_name"], "听见商城");

    // The hosted page: name and logo, the colour, the privacy link, and a card for shares.
    let (status, csp, html) = page(&app, &format!("/s/{id}")).await;
    assert_eq!(status, 200);
    for part in [
        "<meta property=\"og:title\" content=\"听见满意度调查 · 听见商城\">",
        "<meta property=\"og:description\" content=\"两分钟，帮我们把购物体验做得更好。\">",
        "<meta property=\"og:image\" content=\"https://cdn.shop.example/logo.png\">",
        "<img class=\"tj-logo\" src=\"https://cdn.shop.example/logo.png\"",
        "<span class=\"tj-product\">听见商城</span>",
        "--tj-accent:#dd9944;",
        "href=\"https://shop.example/privacy\"",
        "隐私说明：我们如何使用您的回答",
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
    assert!(
        csp.contains("img-src data: https://cdn.shop.example;"),
        "{csp}"
    );
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    let (_, thanks) = post_form(&app, &id, "q1=9&q3=%E5%AE%A2%E6%9C%8D").await;
    assert!(thanks.contains("data-tingjian-thanks") && thanks.contains("隐私说明"));

    // PATCH null clears one; the others stay.
    let res = app
        .patch_json(
            &format!("/api/v1/surveys/{id}"),
            &json!({"logo_url": null, "accent_color": "#1A66D9"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let got = survey(&app, &id).await;
    assert!(got.get("logo_url").is_none(), "{got}");
    assert_eq!(got["accent_color"], "#1a66d9");
    assert_eq!(got["product_name"], "听见商城");
    let (_, csp, html) = page(&app, &format!("/s/{id}")).await;
    assert!(!html.contains("og:image") && !html.contains("<img class=\"tj-logo\""));
    assert!(csp.contains("img-src data:;"), "{csp}");

    // Without a description, the card says who asks and how long it is.
    let plain = create_survey(&app, &nps_survey()).await;
    let (_, _, html) = page(&app, &format!("/s/{plain}")).await;
    assert!(html.contains("<meta property=\"og:title\" content=\"听见满意度调查\">"));
    assert!(
        html.contains("<meta property=\"og:description\" content=\"邀请您填写一份问卷（5 题以内），只需一两分钟。\">"),
        "{html}"
    );
}

/// The numbers and ids of the questions a hosted page shows, in order.
fn shown(html: &str) -> Vec<(String, String)> {
    html.split("data-question=\"")
        .skip(1)
        .map(|rest| {
            let id = rest.split('"').next().unwrap().to_owned();
            let n = rest
                .split("<span class=\"tj-n\">")
                .nth(1)
                .and_then(|r| r.split('<').next())
                .unwrap()
                .to_owned();
            (n, id)
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(n, id)| ((*n).to_owned(), (*id).to_owned()))
        .collect()
}

async fn conditional_questions_are_asked_in_steps(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    let (_, _, first) = page(&app, &format!("/s/{id}")).await;
    // q2 ("最需要改进的是什么？") is for detractors only: the first step asks q1 alone, and
    // no respondent reads a rule.
    assert_eq!(shown(&first), pairs(&[("1.", "q1")]));
    assert!(!first.contains("最需要改进的是什么") && !first.contains("仅当"));
    assert!(first.contains(">下一步</button>"));
    assert_eq!(hidden_field(&first, "_step").as_deref(), Some("0"));
    let rid = hidden_field(&first, "_response_id").unwrap();

    // A required question is still required on its step; nothing is stored.
    let (status, again) = post_form(&app, &id, &format!("_step=0&_response_id={rid}&q1=")).await;
    assert_eq!(status, 422);
    assert!(again.contains("此题为必填，请选择一项"));

    // A promoter: the next step skips q2, and numbers what it shows 2, 3, 4. Posting the
    // first step twice (a double click) stores nothing either time.
    let step = format!("_step=0&_response_id={rid}&website=&q1=9");
    for _ in 0..2 {
        let (status, second) = post_form(&app, &id, &step).await;
        assert_eq!(status, 200);
        assert_eq!(
            shown(&second),
            pairs(&[("2.", "q3"), ("3.", "q4"), ("4.", "q5")]),
            "{second}"
        );
        assert!(!second.contains("最需要改进的是什么"));
        assert_eq!(hidden_field(&second, "_step").as_deref(), Some("1"));
        assert_eq!(hidden_field(&second, "q1").as_deref(), Some("9"));
        assert_eq!(
            hidden_field(&second, "_response_id").as_deref(),
            Some(rid.as_str())
        );
        assert!(second.contains(">提交</button>"));
    }
    assert_eq!(survey(&app, &id).await["response_count"], 0);

    // 上一步 shows the first step again with its answer, checks nothing and stores nothing.
    let (status, back) = post_form(
        &app,
        &id,
        &format!("_step=1&_back=1&_response_id={rid}&q1=9&q4=9"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(shown(&back), pairs(&[("1.", "q1")]));
    assert!(back.contains("name=\"q1\" value=\"9\" checked"), "{back}");
    assert!(!back.contains("上一步"), "nothing before the first step");
    assert_eq!(survey(&app, &id).await["response_count"], 0);

    // The last step stores the whole response, once, however often it is sent.
    let last = format!(
        "_step=1&_response_id={rid}&website=&q1=9&q3=%E5%AE%A2%E6%9C%8D&q5=%E6%8C%BA%E5%A5%BD"
    );
    let (status, thanks) = post_form(&app, &id, &last).await;
    assert_eq!(status, 201);
    assert!(thanks.contains("data-tingjian-thanks"));
    let (status, _) = post_form(&app, &id, &last).await;
    assert_eq!(status, 200, "a retry is a replay");
    assert_eq!(survey(&app, &id).await["response_count"], 1);
    let items = app.all_feedback("channel=survey").await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["text"], "挺好");
    assert_eq!(items[0]["scores"]["nps"], 9);

    // A detractor is asked q2, as question 2.
    let (_, second) = post_form(&app, &id, "_step=0&_response_id=detractor-1&q1=3").await;
    assert_eq!(
        shown(&second),
        pairs(&[("2.", "q2"), ("3.", "q3"), ("4.", "q4"), ("5.", "q5")])
    );
    // An edited hidden answer is refused like a bad one, and stores nothing.
    let (status, _) = post_form(
        &app,
        &id,
        "_step=1&_response_id=detractor-1&q1=30&q2=%E6%85%A2",
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = post_form(
        &app,
        &id,
        "_step=1&_response_id=detractor-1&q1=3&q2=%E6%85%A2",
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(survey(&app, &id).await["response_count"], 2);

    // A survey without conditions is one step with a 提交 button and no `_step`.
    let mut flat = nps_survey();
    flat["questions"][1]
        .as_object_mut()
        .unwrap()
        .remove("show_if");
    let flat = create_survey(&app, &flat).await;
    let (_, _, html) = page(&app, &format!("/s/{flat}")).await;
    assert_eq!(shown(&html).len(), 5);
    assert!(html.contains(">提交</button>") && hidden_field(&html, "_step").is_none());
}

async fn refused_embeds_are_counted_for_the_owner(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    let evil = "https://m.other.example";
    // The embed script asks for the definition; a post tries too; nothing is served.
    for _ in 0..2 {
        let res = app
            .client
            .get(app.url(&format!("/s/{id}/definition.json")))
            .header("Origin", evil)
            .send()
            .await
            .unwrap();
        assert_problem(res, 403, "origin_not_allowed").await;
    }
    let res = app
        .client
        .post(app.url(&format!("/s/{id}/responses")))
        .header("Origin", evil)
        .json(&json!({"answers": {"q1": 8}}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "origin_not_allowed").await;
    // The iframe: the browser says it is a frame, and which page it is on.
    let res = app
        .client
        .get(app.url(&format!("/s/{id}")))
        .header("Sec-Fetch-Dest", "iframe")
        .header("Referer", format!("{evil}/products/42?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !csp.contains("frame-ancestors"),
        "the neutral page may show: {csp}"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("问卷暂时无法在这里显示") && html.contains("data-tingjian-unavailable"));
    assert!(
        !html.contains("刷新") && !html.contains("name=\"q1\""),
        "{html}"
    );
    // An allowed site's frame, and the hosted page opened directly, are not counted.
    for referer in ["https://shop.example/cart", &app.url("/s/x")] {
        let (status, html) = {
            let res = app
                .client
                .get(app.url(&format!("/s/{id}")))
                .header("Sec-Fetch-Dest", "iframe")
                .header("Referer", referer)
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        };
        assert_eq!(status, 200);
        assert!(html.contains("name=\"q1\""), "{referer}");
    }

    let got = survey(&app, &id).await;
    let refused = &got["refused_embeds"];
    assert_eq!(refused["total"], 4, "{got}");
    assert_eq!(refused["others"], 0);
    assert_eq!(refused["origins"][0]["origin"], evil);
    assert_eq!(refused["origins"][0]["refusals"], 4);

    // The console tells the editors which site to add: on the share page, the edit page and
    // as a tag in the list.
    let editor = app.console("editor").await;
    for path in [
        format!("/surveys/{id}/share"),
        format!("/surveys/{id}/edit"),
    ] {
        let html = editor.get(&path).await.text().await.unwrap();
        let html = html_escape::decode_html_entities(&html);
        assert!(html.contains("data-refused-embeds"), "{path}");
        assert!(
            html.contains(&format!("<code data-refused-origin>{evil}</code>：4 次")),
            "{path}: {html}"
        );
    }
    let list = editor.get("/surveys").await.text().await.unwrap();
    assert!(list.contains("嵌入被拒 4 次"), "{list}");

    // Bounded: past 20 sites, the rest count together.
    for i in 0..25 {
        app.state
            .store
            .record_refused_origin(&id, &format!("https://site{i}.example"))
            .await
            .unwrap();
    }
    let refused = survey(&app, &id).await["refused_embeds"].clone();
    assert_eq!(
        refused["origins"].as_array().unwrap().len(),
        20,
        "{refused}"
    );
    assert_eq!(refused["others"], 6);
    assert_eq!(refused["total"], 29);
    assert_eq!(refused["origins"][0]["origin"], evil, "most refused first");

    // Allowing the site clears its warning; the others stay.
    let res = app
        .patch_json(
            &format!("/api/v1/surveys/{id}"),
            &json!({"allowed_origins": ["https://shop.example", evil]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let refused = survey(&app, &id).await["refused_embeds"].clone();
    assert_eq!(refused["total"], 25, "{refused}");
    assert!(!refused.to_string().contains(evil));
    let res = app
        .client
        .get(app.url(&format!("/s/{id}/definition.json")))
        .header("Origin", evil)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // `*` clears them all.
    app.patch_json(
        &format!("/api/v1/surveys/{id}"),
        &json!({"allowed_origins": ["*"]}),
    )
    .await;
    assert_eq!(survey(&app, &id).await["refused_embeds"]["total"], 0);
}

async fn one_register_and_a_fitting_iframe_snippet(app: TestApp) {
    let id = create_survey(&app, &nps_survey()).await;
    // What respondents read says 您, never 你: the page, the thanks, the embed script.
    let (_, _, html) = page(&app, &format!("/s/{id}")).await;
    let (_, thanks) = post_form(&app, &id, "q1=9").await;
    assert!(thanks.contains("感谢您的反馈"), "{thanks}");
    let js = app
        .client
        .get(app.url("/embed.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let missing = app
        .client
        .get(app.url("/s/sv_nope"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (what, text) in [
        ("page", &html),
        ("thanks", &thanks),
        ("embed", &js),
        ("404", &missing),
    ] {
        assert!(!text.contains('你'), "{what} says 你");
    }
    // The iframe snippet comes with its loader, which the service serves.
    let got = survey(&app, &id).await;
    let snippet = got["links"]["iframe"].as_str().unwrap();
    assert!(snippet.contains("data-tingjian-frame"), "{snippet}");
    assert!(snippet.ends_with(&format!(
        "<script src=\"{}/frame.js\" async></script>",
        app.address
    )));
    let res = app.client.get(app.url("/frame.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/javascript"));
    assert!(res.text().await.unwrap().contains("tingjian"));
    let editor = app.console("editor").await;
    let share = editor
        .get(&format!("/surveys/{id}/share"))
        .await
        .text()
        .await
        .unwrap();
    let share = html_escape::decode_html_entities(&share);
    assert!(
        share.contains(&format!("{}/frame.js", app.address)),
        "the console hands out the loader too"
    );
}
