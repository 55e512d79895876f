//! A real browser (Debian's Chromium, driven by playwright-core from Node): it loads a host
//! page on one origin that embeds a survey from the service on another with `embed.js`, fills
//! it in, submits it, and the response is found stored; it looks at a survey as respondents
//! meet it at 320, 390 and 1280 px (the hosted page without JavaScript, the embed, the iframe
//! snippet, popup and slide-in, a site not allowed); and it signs in to the console and out
//! again, as an admin and as a viewer; and an editor goes through a morning's work: the home
//! page and its charts, a period and a segment, a pain point, the inbox filtered and searched,
//! a label corrected in place and two in bulk, on a desktop and on a phone.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{skip_or_fail, TestApp, MEMBER_PASSWORD};
use crate::surveys::create_survey;

both_backends!(
    survey_pages_fit_phones_and_desktops,
    embedded_survey_is_filled_in_a_real_browser,
    console_sign_in_and_out_in_a_real_browser,
    everyday_console_flows_in_a_real_browser
);

static WARNED: AtomicBool = AtomicBool::new(false);

pub(crate) fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Chromium, Node and playwright-core, installing the last with npm if it is missing.
pub fn browser_ready() -> bool {
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        skip_or_fail(&WARNED, &format!("browser test: no Chromium at {chromium} (apt-get install chromium, or set CHROMIUM_PATH)"));
        return false;
    }
    if Command::new("node").arg("--version").output().is_err() {
        skip_or_fail(&WARNED, "browser test: Node.js is not installed");
        return false;
    }
    let dir = browser_dir();
    if !dir.join("node_modules/playwright-core").exists() {
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            skip_or_fail(&WARNED, "browser test: `npm ci` in tests/browser failed");
            return false;
        }
    }
    true
}

/// Serves the host page (another origin than the service's) on an already bound listener.
fn serve_host_page(listener: std::net::TcpListener, app_address: &str, survey_id: &str) {
    let page = format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>某商城</title>
<style>button, legend, label {{ color: rgb(255, 0, 0) !important; font-size: 40px; }} p {{ font-family: monospace; }}</style></head>
<body><p id="host-text">商城首页：欢迎光临</p>
<script src="{app_address}/embed.js" data-survey="{survey_id}" data-respondent-id="u-browser" data-attr-plan="pro" async></script>
</body></html>"#
    );
    let server = HttpServer::new(move || {
        let page = page.clone();
        App::new()
            .route("/favicon.ico", web::get().to(HttpResponse::NoContent))
            .route(
                "/",
                web::get().to(move || {
                    let page = page.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("text/html; charset=utf-8")
                            .body(page)
                    }
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .expect("serve the host page");
    tokio::spawn(server.run());
}

async fn embedded_survey_is_filled_in_a_real_browser(app: TestApp) {
    if !browser_ready() {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the host page");
    let host = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut def = crate::surveys::nps_survey();
    def["allowed_origins"] = json!([host]);
    let survey_id = create_survey(&app, &def).await;
    serve_host_page(listener, &app.address, &survey_id);

    let script = browser_dir().join("embed.mjs");
    // Kept for a person to look at: target/tmp/embed-<port>.png
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "embed-{}.png",
        app.address.rsplit(':').next().unwrap_or("x")
    ));
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(&host)
            .env("SCREENSHOT", screenshot)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "no report from the browser: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        report["problems"],
        json!([]),
        "no script errors on the page"
    );
    assert_eq!(report["title"], "听见满意度调查", "{report}");
    assert_ne!(
        report["surveyButtonColor"], "rgb(255, 0, 0)",
        "host styles leaked into the survey"
    );
    assert!(
        report["hostParagraphFont"]
            .as_str()
            .unwrap()
            .contains("monospace"),
        "survey styles leaked into the host"
    );
    // Sent empty first: the required question says so, in the survey's language, and
    // nothing goes to the service until the form is filled in.
    assert_eq!(
        report["requiredShown"], "此题为必填，请选择一项",
        "the required question's error: {report}"
    );
    assert_eq!(report["postsWhenEmpty"], 0, "{report}");
    assert_eq!(report["posts"], 1, "{report}");
    assert!(report["thanks"].as_str().unwrap().trim().len() > 1);

    let items = app.all_feedback("channel=survey").await;
    assert_eq!(items.len(), 1, "one text answer, stored once");
    let f = &items[0];
    assert_eq!(f["text"], "结账页面太卡了，付款按钮点了没反应");
    assert_eq!(f["scores"]["nps"], 3);
    assert_eq!(f["respondent_id"], "u-browser");
    assert_eq!(f["attributes"]["plan"], "pro");
}

/// Serves fixed pages by path on an already bound listener (a host site of another origin).
fn serve_pages(listener: std::net::TcpListener, pages: Vec<(&'static str, String)>) {
    let server = HttpServer::new(move || {
        let mut app = App::new().route("/favicon.ico", web::get().to(HttpResponse::NoContent));
        for (path, body) in pages.clone() {
            app = app.route(
                path,
                web::get().to(move || {
                    let body = body.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("text/html; charset=utf-8")
                            .body(body)
                    }
                }),
            );
        }
        app
    })
    .workers(1)
    .listen(listener)
    .expect("serve the host pages");
    tokio::spawn(server.run());
}

fn host_page(body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>某商城</title></head>\
         <body><h1>商城首页</h1>{body}</body></html>"
    )
}

/// The survey's pages as respondents meet them, at 320, 390 and 1280 px wide: the hosted page
/// without JavaScript, the embed script, the iframe snippet the API hands out, the popup and
/// slide-in, and a site that is not allowed (tests/browser/survey_pages.mjs).
async fn survey_pages_fit_phones_and_desktops(app: TestApp) {
    if !browser_ready() {
        return;
    }
    let bind = || std::net::TcpListener::bind("127.0.0.1:0").expect("bind a host page");
    let (allowed, other) = (bind(), bind());
    let host =
        |l: &std::net::TcpListener| format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    let (allowed_host, other_host) = (host(&allowed), host(&other));
    let mut def = crate::surveys::nps_survey();
    def["allowed_origins"] = json!([allowed_host]);
    def["product_name"] = json!("听见商城");
    def["accent_color"] = json!("#d9480f");
    def["privacy_url"] = json!("https://shop.example/privacy");
    let id = create_survey(&app, &def).await;
    let got: Value = app
        .get(&format!("/api/v1/surveys/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let iframe = got["links"]["iframe"].as_str().unwrap().to_owned();
    let script = |extra: &str| {
        format!(
            "<script src=\"{}/embed.js\" data-survey=\"{id}\"{extra} async></script>",
            app.address
        )
    };
    let tall = "<p style=\"height:3000px\">商品列表……</p>";
    serve_pages(
        allowed,
        vec![
            ("/inline", host_page(&script(""))),
            ("/iframe", host_page(&iframe)),
            (
                "/popup",
                host_page(&format!(
                    "{tall}{}",
                    script(" data-mode=\"popup\" data-show-after=\"1\"")
                )),
            ),
            (
                "/slide",
                host_page(&format!(
                    "<button id=\"ask\" onclick=\"Tingjian.show('{id}')\">评价本次购物</button>{}",
                    script(" data-mode=\"slide-in\"")
                )),
            ),
            (
                "/scroll",
                host_page(&format!(
                    "{tall}{}",
                    script(" data-mode=\"slide-in\" data-show-at-scroll=\"50\"")
                )),
            ),
        ],
    );
    serve_pages(other, vec![("/inline", host_page(&script("")))]);

    let args = [app.address.as_str(), &allowed_host, &other_host, &id]
        .map(str::to_owned)
        .to_vec();
    let report = node_report(
        "survey_pages.mjs",
        args,
        screenshot_path(&app, "survey-pages"),
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["problems"], json!([]), "no script errors: {report}");
    let row = |s: &Value, what: &str| {
        assert_eq!(s["points"], 11, "{what}: {s}");
        assert_eq!(s["rows"], 1, "{what}: the NPS row does not wrap: {s}");
        assert_eq!(s["lowUnderFirst"], true, "{what}: {s}");
        assert_eq!(s["highUnderLast"], true, "{what}: {s}");
    };
    let numbers = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_owned(),
                    p[1].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let expect = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, q)| ((*n).to_owned(), (*q).to_owned()))
            .collect()
    };
    for width in ["320", "390", "1280"] {
        let w = &report["widths"][width];
        let hosted = &w["hosted"];
        row(&hosted["scale"], &format!("hosted {width}"));
        assert!(
            hosted["overflow"].as_i64().unwrap() <= 0,
            "{width}: {hosted}"
        );
        // Without JavaScript the page shows each respondent only the questions for them.
        assert_eq!(
            numbers(&hosted["first"]),
            expect(&[("1.", "q1")]),
            "{width}"
        );
        assert_eq!(hosted["ruleText"], 0, "{width}: no rule text");
        assert_eq!(
            hosted["accent"], "rgb(217, 72, 15)",
            "{width}: the survey's colour"
        );
        assert_eq!(hosted["brand"], "听见商城");
        assert_eq!(
            numbers(&hosted["promoter"]),
            expect(&[("2.", "q3"), ("3.", "q4"), ("4.", "q5")]),
            "{width}: a promoter is not asked q2"
        );
        assert_eq!(numbers(&hosted["back"]), expect(&[("1.", "q1")]), "{width}");
        assert_eq!(
            hosted["backChosen"], "9",
            "{width}: 上一步 keeps the answer"
        );
        assert_eq!(
            numbers(&hosted["detractor"]),
            expect(&[("2.", "q2"), ("3.", "q3"), ("4.", "q4"), ("5.", "q5")]),
            "{width}"
        );
        assert_eq!(hosted["thanks"], 1, "{width}");

        let embed = &w["embed"];
        row(&embed["scale"], &format!("embed {width}"));
        assert!(embed["overflow"].as_i64().unwrap() <= 0, "{width}: {embed}");
        assert_eq!(
            embed["accent"], "rgb(217, 72, 15)",
            "{width}: the survey's colour"
        );
        assert_eq!(embed["brand"], "听见商城");
        let later = expect(&[("1.", "q1"), ("2.", "q3"), ("3.", "q4"), ("4.", "q5")]);
        assert_eq!(
            numbers(&embed["before"]),
            later,
            "{width}: hidden q2 not numbered"
        );
        assert_eq!(numbers(&embed["promoter"]), later, "{width}");
        assert_eq!(
            numbers(&embed["detractor"]),
            expect(&[
                ("1.", "q1"),
                ("2.", "q2"),
                ("3.", "q3"),
                ("4.", "q4"),
                ("5.", "q5")
            ]),
            "{width}"
        );

        let frame = &w["iframe"];
        row(&frame["scale"], &format!("iframe {width}"));
        for step in ["first", "second", "thanks"] {
            let fit = &frame[step];
            assert!(
                fit["hiddenBelow"].as_i64().unwrap() <= 0,
                "{width} {step}: the iframe shows the whole survey: {fit}"
            );
            // Fitted to its content, not left at its first height (640 px): compared with the
            // page's own height, since a step may happen to be 640 px tall.
            let (frame_h, content_h) = (
                fit["frameHeight"].as_f64().unwrap(),
                fit["body"].as_f64().unwrap(),
            );
            assert!(
                (frame_h - content_h).abs() <= 2.0,
                "{width} {step}: the frame takes its content's height: {fit}"
            );
        }
        assert!(
            frame["second"]["frameHeight"].as_f64() > frame["first"]["frameHeight"].as_f64(),
            "{width}: the frame grew with the second step: {frame}"
        );
    }

    let modes = &report["modes"];
    assert_eq!(modes["popupLabel"], "听见满意度调查", "{modes}");
    row(&modes["popupScale"], "popup");
    assert_eq!(
        modes["popupDim"], "rgba(15, 18, 22, 0.45)",
        "the page behind is dimmed"
    );
    assert_eq!(modes["popupAfterClose"], 0, "{modes}");
    assert_eq!(modes["popupAgain"], 0, "shown once per browser: {modes}");
    assert_eq!(modes["slideBefore"], 0, "{modes}");
    assert!(
        modes["slideBox"]["right"].as_i64().unwrap() <= 24,
        "{modes}"
    );
    assert!(
        modes["slideBox"]["bottom"].as_i64().unwrap() <= 24,
        "{modes}"
    );
    assert!(
        modes["slideBox"]["height"].as_i64().unwrap() <= 520,
        "a corner card: {modes}"
    );
    assert_eq!(modes["scrollBefore"], 0, "{modes}");
    assert_eq!(modes["scrollAfter"], 1, "{modes}");

    let refused = &report["refused"];
    assert_eq!(
        refused["text"], "问卷暂时无法在这里显示，感谢您的关注。",
        "{refused}"
    );
    assert!(
        refused["warning"]
            .as_str()
            .unwrap_or("")
            .contains(&other_host),
        "the browser console names the origin to add: {refused}"
    );
    let got: Value = app
        .get(&format!("/api/v1/surveys/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        got["refused_embeds"]["origins"][0]["origin"],
        other_host.as_str(),
        "{got}"
    );
    // Each width's detractor finished on the hosted page and in the iframe; nothing else
    // was stored (the promoters stopped after the first step).
    assert_eq!(got["response_count"], 6, "{got}");
}

/// Where a browser test's screenshot is kept for a person to look at: target/tmp/NAME-PORT.png.
fn screenshot_path(app: &TestApp, name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}.png",
        app.address.rsplit(':').next().unwrap_or("x")
    ))
}

async fn console_sign_in_and_out_in_a_real_browser(app: TestApp) {
    if !browser_ready() {
        return;
    }
    let ws = app.workspace_id.clone();
    app.add_member_to(&ws, "admin@example.com", "admin").await;
    app.add_member_to(&ws, "viewer@example.com", "viewer").await;
    let (other_ws, _) = app.other_workspace().await;
    app.add_member_to(&other_ws, "stranger@example.com", "admin")
        .await;
    let args = [
        app.address.as_str(),
        &ws,
        "admin@example.com",
        "viewer@example.com",
        "stranger@example.com",
        MEMBER_PASSWORD,
    ]
    .map(str::to_owned)
    .to_vec();
    let report = node_report(
        "console_auth.mjs",
        args,
        screenshot_path(&app, "console-auth"),
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        report["problems"],
        json!([]),
        "no script errors or CSP violations"
    );
    let members = format!("/console/w/{ws}/manage/members");
    assert_eq!(report["loginUrl"], "/console/login", "{report}");
    assert_eq!(report["loginTitle"], "登录 · 听见");
    assert_eq!(
        report["landed"],
        members.as_str(),
        "back where the member was going"
    );
    assert_eq!(report["heading"], "成员");
    assert_ne!(
        report["cardRadius"], "0px",
        "the stylesheet applied: {report}"
    );
    let assets: Vec<&str> = report["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        assets,
        ["200 /static/console.css", "200 /static/console.js"],
        "{report}"
    );
    assert!(
        report["inviteLink"]
            .as_str()
            .unwrap()
            .contains("/console/set-password?token="),
        "the script called the API and showed the link: {report}"
    );
    assert_eq!(report["stayed"], members.as_str());
    assert_eq!(
        report["withoutToken"],
        json!({"status": 403, "code": "csrf_failed"})
    );
    assert_eq!(
        report["formWithoutToken"], "页面已过期（缺少安全令牌），请刷新后再试。",
        "{report}"
    );
    assert_eq!(report["afterSignOut"], "/console/login");
    assert_eq!(
        report["backShowsConsole"], false,
        "back after signing out: {report}"
    );
    assert_eq!(report["afterBack"], "/console/login", "{report}");
    assert_eq!(report["afterReopen"], "/console/login");
    assert_eq!(report["viewerLanded"], format!("/console/w/{ws}").as_str());
    assert_eq!(report["viewerAdminLinks"], 0, "{report}");
    assert_eq!(report["viewerSettingsStatus"], 403);
    assert!(
        report["viewerSettingsText"]
            .as_str()
            .unwrap()
            .contains("没有权限"),
        "{report}"
    );
    assert_eq!(report["viewerAdminLinksOnRefusal"], 0);
    assert_eq!(report["viewerHasSignOut"], 1, "refused inside the frame");
    assert!(
        report["viewerPageWidth"].as_u64().unwrap() <= 390,
        "fits a phone: {report}"
    );
    assert_eq!(
        report["strangerLanded"],
        format!("/console/w/{other_ws}").as_str()
    );
    assert_eq!(report["strangerStatus"], 404);
    let text = report["strangerText"].as_str().unwrap();
    assert!(text.contains("找不到这个页面"), "{report}");
    for owner in ["测试团队", "admin@example.com", "viewer@example.com"] {
        assert!(!text.contains(owner), "{owner}: {report}");
    }
    assert_eq!(
        report["strangerApi"],
        json!({"status": 401, "code": "unauthorized"})
    );
    // The pages did not change the workspace; the invitation did add the member.
    let ws_now: Value = app.get("/api/v1/workspace").await.json().await.unwrap();
    assert_eq!(ws_now["name"], "测试团队");
    let listed: Value = app.get("/api/v1/members").await.json().await.unwrap();
    assert!(listed.to_string().contains("browser-invite@example.com"));
}

/// What the everyday flows' seed holds, counted as the pages should count it.
struct Story {
    week: usize,
    month_android: usize,
    month_android_payment: usize,
    month_android_payment_with_word: usize,
}

/// Texts, plan, NPS, how many, and from and to in hours before now.
type Group<'a> = (&'a [&'a str], &'a str, i64, usize, i64, i64);

/// The word the browser searches the inbox for.
const SEARCH_WORD: &str = "转圈";

/// A workspace with a story: payment complaints from the pro plan more than doubled this week
/// (24, against 10 over the three weeks before), while the free plan is content and waits for
/// its parcels. Two in three items come from Android. Analysed by the same pipeline as every
/// channel.
async fn seed_story(app: &TestApp) -> Story {
    let now = chrono::Utc::now();
    const PAYMENT: [&str; 3] = [
        "支付失败了好几次，钱扣了订单却没成功",
        "付款的时候一直转圈，最后提示支付失败，太耽误事了",
        "微信支付扣了钱，订单还是显示未支付，很生气",
    ];
    const CONTENT: [&str; 2] = ["界面很清爽，用起来挺顺手的", "新版本找东西方便多了，很满意"];
    const DELIVERY: [&str; 1] = ["快递三天了还没发货，等得很着急"];
    let groups: [Group; 6] = [
        (&PAYMENT, "pro", 3, 24, 2, 150),
        (&CONTENT, "free", 10, 20, 3, 155),
        (&DELIVERY, "free", 6, 6, 4, 140),
        (&PAYMENT, "pro", 2, 10, 200, 650),
        (&CONTENT, "free", 9, 20, 190, 660),
        (&DELIVERY, "free", 5, 10, 210, 640),
    ];
    let mut items = Vec::new();
    let mut story = Story {
        week: 0,
        month_android: 0,
        month_android_payment: 0,
        month_android_payment_with_word: 0,
    };
    for (g, (texts, plan, nps, n, from, to)) in groups.iter().enumerate() {
        for i in 0..*n {
            let hours = from + (to - from) * i as i64 / *n as i64;
            let text = texts[i % texts.len()];
            let os = if i % 3 == 0 { "ios" } else { "android" };
            items.push(json!({
                "text": text,
                "external_id": format!("g{g}-{i}"),
                "respondent_id": format!("u{g}-{}", i % 7),
                "occurred_at": (now - chrono::Duration::hours(hours)).to_rfc3339(),
                "attributes": {"plan": plan, "os": os},
                "scores": {"nps": nps},
            }));
            story.week += usize::from(hours < 7 * 24);
            if os == "android" {
                story.month_android += 1;
                if texts[0] == PAYMENT[0] {
                    story.month_android_payment += 1;
                    story.month_android_payment_with_word +=
                        usize::from(text.contains(SEARCH_WORD));
                }
            }
        }
    }
    app.store_items(items, "src_story", now - chrono::Duration::hours(1))
        .await;
    story
}

async fn everyday_console_flows_in_a_real_browser(app: TestApp) {
    if !browser_ready() {
        return;
    }
    let story = seed_story(&app).await;
    let ws = app.workspace_id.clone();
    app.add_member_to(&ws, "editor@example.com", "editor").await;
    let args = [
        app.address.as_str(),
        &ws,
        "editor@example.com",
        MEMBER_PASSWORD,
        SEARCH_WORD,
    ]
    .map(str::to_owned)
    .to_vec();
    let report = node_report("everyday.mjs", args, screenshot_path(&app, "everyday")).await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        report["problems"],
        json!([]),
        "no script errors or CSP violations"
    );
    let home = format!("/console/w/{ws}");
    assert_eq!(report["landed"], home.as_str(), "{report}");

    // The home page: the week's numbers with their sample sizes, and every chart drawn.
    let week_n = format!("n={}", story.week);
    assert_eq!(report["home"]["nps"]["n"], week_n.as_str(), "{report}");
    assert_eq!(report["home"]["volume"]["n"], week_n.as_str(), "{report}");
    assert_eq!(report["home"]["firstPain"], "支付问题", "{report}");
    let charts = report["home"]["charts"].as_array().unwrap();
    assert!(charts.len() >= 4, "{report}");
    assert!(
        charts.iter().all(|w| w.as_u64().unwrap() > 0),
        "every chart image loaded: {report}"
    );
    // 近 30 天 and Android only: the URL says so and the numbers follow.
    let narrowed = report["narrowed"]["url"].as_str().unwrap();
    assert!(
        narrowed.contains("period=month") && narrowed.contains("attr_value=android"),
        "{narrowed}"
    );
    assert_eq!(
        report["narrowed"]["nps"]["n"],
        format!("n={}", story.month_android).as_str(),
        "{report}"
    );
    assert_ne!(
        report["narrowed"]["nps"]["value"],
        report["home"]["nps"]["value"]
    );
    assert!(report["narrowed"]["heading"]
        .as_str()
        .unwrap()
        .contains("近 30 天"));
    assert!(report["narrowed"]["heading"]
        .as_str()
        .unwrap()
        .contains("android"));

    // The first pain point's page: its trend, channels and the segment where it is more.
    let pain = &report["pain"];
    assert!(
        pain["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{home}/pain-points/payment?")),
        "{report}"
    );
    assert_eq!(pain["heading"], "支付问题");
    assert!(pain["trendBars"].as_u64().unwrap() >= 2, "{report}");
    assert!(
        pain["channels"].as_str().unwrap().contains("Webhook 推送"),
        "{report}"
    );
    assert!(
        pain["segments"].as_str().unwrap().contains("plan：pro"),
        "payment complaints are where the pro plan is: {report}"
    );
    assert!(
        pain["segments"]
            .as_str()
            .unwrap()
            .contains("这一栏比较的是这段时间的全部反馈，不只是“os = android”"),
        "the table is over all feedback, and says so: {report}"
    );
    let all = format!("查看全部 {} 条反馈", story.month_android_payment);
    assert_eq!(pain["allLink"], all.as_str(), "{report}");

    // Its feedback in the inbox: the same count, then searched for a word.
    let inbox = &report["inbox"];
    assert!(inbox["url"]
        .as_str()
        .unwrap()
        .contains("pain_point=payment"));
    assert_eq!(inbox["painPointSelected"], "payment");
    assert_eq!(
        inbox["total"],
        format!("共 {} 条", story.month_android_payment).as_str(),
        "{report}"
    );
    assert_eq!(inbox["items"], story.month_android_payment.min(50) as u64);
    assert!(inbox["searchedUrl"].as_str().unwrap().contains("q="));
    assert_eq!(
        inbox["searchedTotal"],
        format!("共 {} 条", story.month_android_payment_with_word).as_str(),
        "{report}"
    );
    assert_eq!(inbox["searchedAllHaveWord"], true, "{report}");

    // One label corrected in place, two in bulk: the page says so, and so does the API.
    let one = report["corrected"]["id"].as_str().unwrap();
    assert_eq!(report["corrected"]["fixedTag"], true, "{report}");
    assert_eq!(report["corrected"]["sentimentTag"], "褒贬混合", "{report}");
    let item: Value = app
        .get(&format!("/api/v1/feedback/{one}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(item["sentiment"], "mixed", "{item}");
    assert_eq!(item["corrected"], true);
    let bulk = report["bulk"]["ids"].as_array().unwrap();
    assert_eq!(bulk.len(), 2, "{report}");
    assert_eq!(report["bulk"]["barCount"], "2", "{report}");
    assert_eq!(report["bulk"]["fixedTags"], 2, "{report}");
    for id in bulk {
        assert_ne!(id.as_str().unwrap(), one);
        let item: Value = app
            .get(&format!("/api/v1/feedback/{}", id.as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(item["sentiment"], "neutral", "{item}");
        assert_eq!(item["corrected"], true);
        let pains = item["analysis"]["pain_points"].to_string();
        assert!(pains.contains("payment") && pains.contains("bug"), "{item}");
    }

    // 导出 Excel downloads a spreadsheet of what the inbox shows.
    assert_eq!(report["exportStatus"], 200, "{report}");
    assert!(
        report["export"]["name"]
            .as_str()
            .unwrap()
            .ends_with(".xlsx"),
        "{report}"
    );
    assert!(report["export"]["size"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["detail"]["heading"], "反馈详情");
    assert_eq!(
        report["detail"]["url"],
        format!("{home}/inbox/{one}").as_str()
    );

    // The same on a phone: nothing wider than the screen, and charts drawn for its width
    // (340 CSS px, twice that in pixels) rather than the desktop's 560 shrunk.
    assert!(
        charts.iter().all(|w| w == 1120),
        "desktop charts at 560 CSS px: {report}"
    );
    let phone_charts = report["phoneCharts"].as_array().unwrap();
    assert_eq!(phone_charts.len(), charts.len(), "{report}");
    assert!(phone_charts.iter().all(|w| w == 680), "{report}");
    // Typing a date chooses 自定义, and the page shows those dates.
    let custom = &report["custom"];
    assert_eq!(custom["checked"], true, "{report}");
    assert!(
        custom["url"].as_str().unwrap().contains("period=custom"),
        "{report}"
    );
    let day = |d: &Value| {
        let d = chrono::NaiveDate::parse_from_str(d.as_str().unwrap(), "%Y-%m-%d").unwrap();
        d.format("%-m/%-d").to_string()
    };
    let shown = format!("{}–{}", day(&custom["from"]), day(&custom["to"]));
    assert!(
        custom["heading"].as_str().unwrap().contains(&shown),
        "{shown}: {report}"
    );
    for page in ["home", "inbox", "pain", "detail"] {
        let width = report["phone"][page].as_u64().unwrap_or(u64::MAX);
        assert!(width <= 390, "{page} fits a phone: {report}");
    }
    for page in ["home", "inbox", "pain", "detail"] {
        let width = report["desktop"][page].as_u64().unwrap_or(u64::MAX);
        assert!(width <= 1280, "{page} has no horizontal scroll: {report}");
    }
}

/// Runs one script of tests/browser with node and returns the JSON line it printed last.
pub async fn node_report(script: &str, args: Vec<String>, screenshot: PathBuf) -> Value {
    let script = browser_dir().join(script);
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args(args)
            .env("SCREENSHOT", screenshot)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "no report from the browser: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

#[allow(dead_code)]
fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[allow(dead_code)]
fn texts(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["text"].as_str().expect("text").to_owned())
        .collect()
}
