//! The console's manage pages: each answers the roles it is for and refuses the others; what
//! their forms send to the JSON API with the session works, and the page then shows it.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{ConsoleClient, TestApp};

both_backends!(
    each_manage_page_answers_its_roles_and_refuses_the_others,
    a_source_made_with_the_session_is_listed_with_its_state_and_secret_shown_once,
    a_csv_import_and_an_interview_uploaded_by_an_editor_show_on_their_pages,
    subscriptions_their_preview_and_the_delivery_log,
    dictionary_words_categories_and_keys_made_from_the_console_are_listed,
    an_admin_subscribes_previews_connects_imports_and_makes_a_key_in_a_real_browser,
);

/// Editors' pages and admins' pages.
const EDITOR_PAGES: [&str; 5] = [
    "/manage/import",
    "/manage/interviews",
    "/manage/subscriptions",
    "/manage/dictionary",
    "/manage/categories",
];
const ADMIN_PAGES: [&str; 2] = ["/manage/sources", "/manage/keys"];

async fn status(c: &ConsoleClient, path: &str) -> u16 {
    c.get(path).await.status().as_u16()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn each_manage_page_answers_its_roles_and_refuses_the_others(app: TestApp) {
    let admin = app.console("admin").await;
    let editor = app.console("editor").await;
    let viewer = app.console("viewer").await;
    for path in EDITOR_PAGES.iter().chain(ADMIN_PAGES.iter()) {
        let page = admin.page(path).await;
        assert!(
            page.contains("aria-current=\"page\""),
            "{path}: sub-navigation"
        );
        assert_eq!(status(&viewer, path).await, 403, "viewer on {path}");
    }
    for path in EDITOR_PAGES {
        assert_eq!(status(&editor, path).await, 200, "editor on {path}");
    }
    for path in ADMIN_PAGES {
        let res = editor.get(path).await;
        assert_eq!(res.status(), 403, "editor on {path}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains("管理员"),
            "the 403 page names the role needed"
        );
    }
    // The digest preview is the subscriptions page's too.
    assert_eq!(
        status(&viewer, "/manage/subscriptions/preview/2026-W47").await,
        403
    );

    // `/manage` opens the first page the role may see.
    let to = admin.get("/manage").await;
    assert_eq!(to.status(), 303);
    assert!(location(&to).ends_with("/manage/sources"));
    let to = editor.get("/manage").await;
    assert_eq!(to.status(), 303);
    assert!(location(&to).ends_with("/manage/import"));
    assert_eq!(status(&viewer, "/manage").await, 403);

    // Another workspace's pages are not found, whatever the role here.
    let (other, _) = app.other_workspace().await;
    let res = admin
        .client
        .get(format!("{}/console/w/{other}/manage/keys", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn a_source_made_with_the_session_is_listed_with_its_state_and_secret_shown_once(
    app: TestApp,
) {
    let admin = app.console("admin").await;
    let page = admin.page("/manage/sources").await;
    for tool in [
        "问卷星",
        "腾讯问卷",
        "Typeform",
        "通用 Webhook",
        "App Store 评价",
    ] {
        assert!(page.contains(tool), "the connect form offers {tool}");
    }
    assert!(page.contains("还没有数据来源"));

    // A standard webhook, as the connect form sends it: the secret comes back once.
    let res = admin
        .api(
            "POST",
            "/api/v1/sources",
            Some(&json!({"kind": "webhook", "preset": "standard", "name": "App 内反馈 <b>"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let hook: Value = res.json().await.unwrap();
    let secret = hook["secret"].as_str().expect("secret shown on create");
    let hook_id = hook["id"].as_str().unwrap();
    // A 腾讯问卷 source, whose URL carries a token.
    let res = admin
        .api(
            "POST",
            "/api/v1/sources",
            Some(&json!({"kind": "webhook", "preset": "tencent_wj", "name": "腾讯问卷 配送"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let wj: Value = res.json().await.unwrap();
    let token_url = wj["url"].as_str().unwrap();
    assert!(token_url.contains("?token="));
    // A feed, with its state after a failed poll written as the poller writes it.
    let res = admin
        .api(
            "POST",
            "/api/v1/sources",
            Some(&json!({"kind": "feed", "name": "微博提及", "url": "https://rsshub.invalid/weibo", "keywords": ["听见"], "interval_secs": 900})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let feed: Value = res.json().await.unwrap();
    let feed_id = feed["id"].as_str().unwrap();

    let page = admin.page("/manage/sources").await;
    assert!(page.contains("App 内反馈 &lt;b&gt;"), "names are escaped");
    assert!(page.contains("接收推送 · 签名校验"));
    assert!(page.contains("接收推送 · 地址令牌校验"));
    assert!(page.contains("等待首次读取"));
    // Auto-escaping writes `/` as `&#x2f;`; a browser reads it back.
    assert!(
        page.contains(&format!("hooks&#x2f;{hook_id}")),
        "the delivery URL"
    );
    assert!(!page.contains(secret), "the secret is never listed");
    assert!(!page.contains("?token="), "the token URL is never listed");
    assert!(
        page.contains(&format!("/api/v1/sources/{feed_id}/poll")),
        "poll now"
    );
    assert!(page.contains(&format!("/api/v1/sources/{hook_id}/rotate-secret")));

    app.state
        .store
        .save_poll_state(
            feed_id,
            json!({"last_polled_at": "2026-12-06T06:00:00Z", "last_error": "the feed server answered HTTP 404"}),
        )
        .await
        .unwrap();
    let page = admin.page("/manage/sources").await;
    assert!(
        page.contains("2026-12-06 14:00 读取出错"),
        "in the workspace's time zone"
    );
    assert!(
        page.contains("地址不存在（HTTP 404）"),
        "the error in Chinese"
    );
    assert!(
        page.contains("the feed server answered HTTP 404"),
        "and as stored"
    );

    // Rotating gives a new secret, once; stopping a source shows it stopped.
    let res = admin
        .api(
            "POST",
            &format!("/api/v1/sources/{hook_id}/rotate-secret"),
            Some(&json!({})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    assert_ne!(rotated["secret"].as_str().unwrap(), secret);
    let res = admin
        .api("DELETE", &format!("/api/v1/sources/{hook_id}"), None)
        .await;
    assert_eq!(res.status(), 204);
    let page = admin.page("/manage/sources").await;
    assert!(page.contains("已停用"));
    assert!(!page.contains(&format!("/api/v1/sources/{hook_id}/rotate-secret")));

    // An item delivered to a source shows as its latest.
    let res = admin
        .api(
            "POST",
            "/api/v1/sources",
            Some(&json!({"kind": "webhook", "preset": "standard", "name": "客服工单"})),
        )
        .await;
    let live: Value = res.json().await.unwrap();
    let body =
        json!({"items": [{"text": "客服回复太慢了", "occurred_at": "2026-12-01T02:30:00Z"}]})
            .to_string();
    let ts = chrono::Utc::now().timestamp().to_string();
    let sig = tingjian::collect::webhook::sign(
        live["secret"].as_str().unwrap(),
        "msg_console_1",
        &ts,
        body.as_bytes(),
    )
    .unwrap();
    let res = app
        .client
        .post(app.url(&format!("/hooks/{}", live["id"].as_str().unwrap())))
        .header("content-type", "application/json")
        .header("webhook-id", "msg_console_1")
        .header("webhook-timestamp", ts)
        .header("webhook-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let page = admin.page("/manage/sources").await;
    assert!(page.contains("2026-12-01 10:30"), "the newest item's time");
}

async fn a_csv_import_and_an_interview_uploaded_by_an_editor_show_on_their_pages(app: TestApp) {
    let editor = app.console("editor").await;
    let csv =
        "编号,评论内容,星级,城市\n1,APP 闪退，登录不了,1星,北京\n2,,5,上海\n3,很好用,★★★★☆,广州\n";
    // As the page's script sends it: the file as the body, the mapping by column number.
    let res = editor
        .client
        .post(format!(
            "{}/api/v1/imports/csv?source=reviews&map=text%3D%232&map=external_id%3D%231&map=rating%3D%233&map=attr.%E5%9F%8E%E5%B8%82%3D%234",
            app.address
        ))
        .header("X-CSRF-Token", &editor.csrf)
        .header("X-Tingjian-Workspace", &editor.workspace_id)
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["accepted"], 2);
    assert_eq!(report["stored"], 2);
    assert_eq!(report["rejected"][0]["row"], 3);
    let items = app.all_feedback("q=闪退").await;
    assert_eq!(items[0]["attributes"]["城市"], "北京");
    let page = editor.page("/manage/import").await;
    assert!(page.contains("data-import=\"/api/v1/imports/csv\""));
    assert!(page.contains("反馈内容"));

    let res = editor
        .api(
            "POST",
            "/api/v1/interviews",
            Some(&json!({
                "title": "用户访谈 #12 <script>",
                "transcript": "主持人：最近一次用我们的产品是什么时候？\n用户：上周，导出报表的时候卡住了好几次。\n主持人：卡住之后你怎么做的？\n用户：只好换成手动复制，挺麻烦的。",
                "format": "text",
                "interviewee": {"id": "u-1001"},
                "occurred_at": "2026-12-01T10:00:00+08:00"
            })),
        )
        .await;
    assert_eq!(res.status(), 201);
    let iv: Value = res.json().await.unwrap();
    let page = editor.page("/manage/interviews").await;
    assert!(page.contains("用户访谈 #12 &lt;script&gt;"));
    assert!(page.contains("u-1001"));
    assert!(
        page.contains(">2 条</a>"),
        "two respondent turns became feedback"
    );
    let link = format!("/inbox?source=interview%3A{}", iv["id"].as_str().unwrap());
    assert!(page.contains(&link));
    let inbox = editor.page(&link).await;
    assert!(
        inbox.contains("导出报表的时候卡住了好几次"),
        "the link lists the interview's feedback"
    );
}

async fn subscriptions_their_preview_and_the_delivery_log(app: TestApp) {
    let editor = app.console("editor").await;
    let res = editor
        .api(
            "POST",
            "/api/v1/digest-subscriptions",
            Some(&json!({"email": "ops@example.com", "frequency": "weekly", "weekday": 1, "hour": 9, "alerts": true})),
        )
        .await;
    assert_eq!(res.status(), 201);
    // A robot nobody answers: its delivery fails, and the log says why.
    let res = editor
        .api(
            "POST",
            "/api/v1/digest-subscriptions",
            Some(&json!({"robot": {"kind": "dingtalk", "webhook_url": "http://127.0.0.1:9/robot/send?access_token=secret-token", "mentions": ["13800138000", "13900139000"]}, "frequency": "daily", "hour": 8})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let page = editor.page("/manage/subscriptions").await;
    assert!(page.contains("邮件 ops@example.com"));
    assert!(page.contains("每周一 9:00 发周报（Asia&#x2f;Shanghai）"));
    assert!(page.contains("钉钉群机器人"));
    assert!(page.contains("每天 8:00 发日报"));
    assert!(page.contains("，@ 2 人）"), "whom the robot @s");
    assert!(
        page.contains("name=\"robot.mentions\""),
        "the robot form asks whom to @"
    );
    assert!(
        !page.contains("secret-token"),
        "the robot's token is not shown"
    );
    assert!(page.contains("还没有发送过"));

    // The preview frame points at this week's digest, served with its own policy.
    let src = page
        .split("class=\"digest-frame\"")
        .nth(1)
        .and_then(|s| s.split("src=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .expect("the preview frame")
        .replace("&#x2f;", "/");
    assert!(page.contains("sandbox=\"allow-popups allow-popups-to-escape-sandbox\""));
    let res = editor
        .client
        .get(format!("{}{src}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'self'"));
    assert!(!csp.contains("script-src"), "nothing runs in the preview");
    let html = res.text().await.unwrap();
    assert!(html.contains("测试团队"), "the workspace's digest");
    assert!(html.contains("data:image/png;base64,"), "charts inlined");
    assert!(!html.contains("cid:"), "no mail-only image links");

    // Send last week's digest now: the robot cannot be reached, the mail goes out.
    let periods: Vec<&str> = page
        .split("data-api=\"POST /api/v1/digests/")
        .skip(1)
        .collect();
    let last_week = periods
        .iter()
        .map(|s| s.split('/').next().unwrap())
        .find(|p| p.contains("-W"))
        .expect("a send-now button for last week")
        .to_owned();
    let res = editor
        .api(
            "POST",
            &format!("/api/v1/digests/{last_week}/send"),
            Some(&json!({})),
        )
        .await;
    assert_eq!(res.status(), 202);
    let page = editor.page("/manage/subscriptions").await;
    assert!(page.contains("的摘要"), "{page}");
    assert!(
        page.contains("连不上群机器人的地址"),
        "the failure in Chinese"
    );
    assert!(page.contains("下次尝试"), "a retry is planned");
}

async fn dictionary_words_categories_and_keys_made_from_the_console_are_listed(app: TestApp) {
    let editor = app.console("editor").await;
    let res = editor
        .api(
            "POST",
            "/api/v1/dictionary",
            Some(&json!({"words": ["听见App", "会员日"]})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = editor.page("/manage/dictionary").await;
    assert!(page.contains("听见App") && page.contains("会员日"));
    assert!(page.contains("DELETE /api/v1/dictionary/%E4%BC%9A%E5%91%98%E6%97%A5"));
    let res = editor
        .api(
            "DELETE",
            "/api/v1/dictionary/%E4%BC%9A%E5%91%98%E6%97%A5",
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert!(!editor
        .page("/manage/dictionary")
        .await
        .contains("<span class=\"tag kw\">会员日</span>"));

    let res = editor
        .api(
            "POST",
            "/api/v1/pain-point-categories",
            Some(&json!({"id": "coupon", "name": "优惠券", "keywords": ["满减", "券用不了"], "examples": ["领的券结算时用不了，客服说是系统问题"]})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let page = editor.page("/manage/categories").await;
    assert!(page.contains("优惠券") && page.contains("券用不了"));
    assert!(page.contains("领的券结算时用不了，客服说是系统问题"));
    assert!(page.contains("闪退"), "the default categories are listed");

    let admin = app.console("admin").await;
    let res = admin
        .api(
            "POST",
            "/api/v1/keys",
            Some(&json!({"name": "微博爬虫", "scopes": ["ingest"]})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let key: Value = res.json().await.unwrap();
    let plaintext = key["api_key"].as_str().unwrap();
    let page = admin.page("/manage/keys").await;
    assert!(page.contains("微博爬虫") && page.contains("推送反馈"));
    assert!(page.contains(key["prefix"].as_str().unwrap()));
    assert!(!page.contains(plaintext), "the key is shown only when made");
    let res = admin
        .api(
            "DELETE",
            &format!("/api/v1/keys/{}", key["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert!(admin.page("/manage/keys").await.contains("已吊销"));
    // An editor's session cannot make keys.
    let res = editor
        .api(
            "POST",
            "/api/v1/keys",
            Some(&json!({"name": "x", "scopes": ["read"]})),
        )
        .await;
    assert_eq!(res.status(), 403);
}

/// A few weeks of feedback, so the digest preview and the screenshots have something to show.
async fn seed_feedback(app: &TestApp) {
    let texts = [
        ("weibo", "结账页面太卡了，付款按钮点了没反应", 2),
        ("xiaohongshu", "客服回复太慢，等了一个小时", 1),
        ("weibo", "新版界面很清爽，找功能方便多了", 5),
        ("appstore", "更新以后经常闪退，登录不了", 1),
        ("weibo", "优惠券结算时用不了，体验很差", 2),
        ("xiaohongshu", "物流很快，第二天就到了", 5),
    ];
    let now = chrono::Utc::now();
    let mut items = Vec::new();
    for day in 0..21i64 {
        for (i, (platform, text, rating)) in texts.iter().enumerate() {
            if (day + i as i64) % 3 == 0 {
                continue;
            }
            let at = now - chrono::Duration::days(day) - chrono::Duration::hours(i as i64);
            items.push(json!({"platform": platform, "text": text, "rating": rating,
                "id": format!("seed-{day}-{i}"), "published_at": at.to_rfc3339()}));
        }
    }
    let res = app
        .post_json("/api/v1/mentions", &json!({"items": items}))
        .await;
    assert_eq!(res.status(), 200);
}

/// Sources, a robot subscription whose delivery failed, words, a category and an interview,
/// so that the screenshots show the pages as a team in its second week sees them.
async fn seed_manage(app: &TestApp) {
    let created = |body: Value| async move {
        let res = app.post_json("/api/v1/sources", &body).await;
        assert_eq!(res.status(), 201);
        res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    created(json!({"kind": "webhook", "name": "App 内反馈"})).await;
    let feed = created(json!({"kind": "feed", "name": "微博提及", "url": "https://rsshub.example/weibo/keyword/听见", "keywords": ["听见"]})).await;
    let store =
        created(json!({"kind": "app_store", "name": "iOS 评价 中国区", "app_id": "1234567890"}))
            .await;
    let now = chrono::Utc::now();
    app.state
        .store
        .save_poll_state(&feed, json!({"last_polled_at": now - chrono::Duration::minutes(5), "last_error": "could not fetch the feed: error sending request: dns error: failed to lookup address information"}))
        .await
        .unwrap();
    app.state
        .store
        .save_poll_state(&store, json!({"last_polled_at": now - chrono::Duration::minutes(20), "last_error": null, "last_fetched": 50, "last_stored": 12, "last_changed": 1, "last_pages": 1}))
        .await
        .unwrap();
    let res = app
        .post_json(
            "/api/v1/digest-subscriptions",
            &json!({"robot": {"kind": "dingtalk", "webhook_url": "http://127.0.0.1:9/robot/send?access_token=abc"}, "frequency": "daily", "hour": 8, "alerts": true}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let yesterday = (now - chrono::Duration::days(1))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string();
    let res = app
        .post_json(&format!("/api/v1/digests/{yesterday}/send"), &json!({}))
        .await;
    assert_eq!(res.status(), 202);
    let res = app
        .post_json(
            "/api/v1/dictionary",
            &json!({"words": ["听见App", "会员日", "拼团", "骑手"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_json(
            "/api/v1/pain-point-categories",
            &json!({"id": "coupon", "name": "优惠券", "keywords": ["优惠券", "满减", "券用不了"], "examples": ["领的券结算时用不了"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json(
            "/api/v1/interviews",
            &json!({"title": "用户访谈 #12 · 上海 · 付费用户", "interviewee": {"id": "u-1001"},
                "transcript": "主持人：最近一次用我们的产品是什么时候？\n用户：上周，导出报表的时候卡住了好几次。\n主持人：卡住之后你怎么做的？\n用户：只好换成手动复制，挺麻烦的。"}),
        )
        .await;
    assert_eq!(res.status(), 201);
}

async fn an_admin_subscribes_previews_connects_imports_and_makes_a_key_in_a_real_browser(
    app: TestApp,
) {
    use crate::browser::{browser_dir, browser_ready};
    if !browser_ready() {
        return;
    }
    seed_feedback(&app).await;
    seed_manage(&app).await;
    let email = "ops-admin@example.com";
    app.add_member_to(&app.workspace_id, email, "admin").await;
    // Kept for a person to look at: target/tmp/manage-<port>/*.png (SQLite's run)
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "manage-{}",
        app.address.rsplit(':').next().unwrap_or("x")
    ));
    std::fs::create_dir_all(&shots).unwrap();
    let args = [
        app.address.clone(),
        app.workspace_id.clone(),
        email.to_owned(),
        crate::helpers::MEMBER_PASSWORD.to_owned(),
    ];
    let script = browser_dir().join("manage.mjs");
    // Screenshots once: the pages look the same on either backend.
    let shots = (!app.database_url.starts_with("postgres")).then_some(shots);
    let out = tokio::task::spawn_blocking(move || {
        let mut node = std::process::Command::new("node");
        node.arg(script).args(args);
        if let Some(dir) = shots {
            node.env("SHOTS", dir);
        }
        node.output().expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let r: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "no report from the browser: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(
        r["problems"],
        json!([]),
        "no script errors or CSP violations"
    );

    let sub = r["subscription"].as_str().unwrap();
    assert!(
        sub.contains("邮件 ops@example.com") && sub.contains("8:00"),
        "{sub}"
    );
    let preview = r["previewText"].as_str().unwrap();
    assert!(
        preview.contains("测试团队"),
        "the digest in the frame: {preview}"
    );
    assert!(
        preview.contains("NPS") || preview.contains("净推荐值"),
        "{preview}"
    );
    assert!(r["previewImages"].as_u64().unwrap() >= 1);
    assert_eq!(
        r["previewImages"], r["previewImagesLoaded"],
        "the charts show in the frame"
    );
    assert_eq!(r["sandbox"], "allow-popups allow-popups-to-escape-sandbox");

    let url = r["sourceUrl"].as_str().unwrap();
    assert!(
        url.contains("/hooks/src_") && url.contains("?token="),
        "{url}"
    );
    assert_eq!(r["copied"], url, "the copy button copies the address");
    assert_eq!(
        r["sourceSecretRowHidden"], true,
        "问卷星 gets no secret made"
    );
    assert!(r["sourceProtection"].as_str().unwrap().contains("问卷星"));
    assert!(r["sourceListed"]
        .as_str()
        .unwrap()
        .contains("问卷星 售后回访"));
    assert_eq!(r["tokenListedAfter"], false, "the token is shown once");
    let sources: Value = app.get("/api/v1/sources").await.json().await.unwrap();
    let wjx = sources["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["preset"] == "wjx")
        .expect("the 问卷星 source");
    assert_eq!(wjx["score_questions"]["nps"], "q7");

    assert_eq!(r["guessedText"], "#2");
    assert_eq!(r["guessedRating"], "#3");
    assert_eq!(r["guessedTime"], "#5");
    assert_eq!(r["guessedId"], "#1");
    assert_eq!(r["importStored"], "2");
    assert!(
        r["importRejected"].as_str().unwrap().starts_with('3'),
        "{r}"
    );
    let imported = app.all_feedback("q=闪退，登录不了").await;
    assert!(imported
        .iter()
        .any(|f| f["attributes"]["城市"] == "北京" && f["scores"]["csat"] == 1));

    assert_eq!(r["interviewFormat"], "srt");
    assert_eq!(r["interviewTitle"], "可用性测试 05");
    let listed = r["interviewListed"].as_str().unwrap();
    assert!(
        listed.contains("可用性测试 05 SRT 字幕") && listed.contains("u-2002"),
        "{listed}"
    );
    let turns = app.all_feedback("respondent_id=u-2002").await;
    assert_eq!(turns.len(), 1, "one respondent turn");
    assert_eq!(
        turns[0]["occurred_at"], "2026-12-01T02:00:05Z",
        "10:00 in Shanghai, plus the turn's offset"
    );

    let key = r["apiKey"].as_str().unwrap();
    assert!(key.starts_with("tj_") && key.len() == 46, "{key}");
    assert!(r["keyListed"].as_str().unwrap().contains("数据看板"));
    assert_eq!(r["keyShownAgain"], false);
    let res = app
        .client
        .get(app.url("/api/v1/feedback"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the key made in the browser reads");
}
