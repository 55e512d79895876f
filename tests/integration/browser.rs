//! A real browser (Debian's Chromium, driven by playwright-core from Node) loads a host page
//! on one origin that embeds a survey from the service on another with `embed.js`, fills it in,
//! submits it, and the response is found stored.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{skip_or_fail, TestApp};
use crate::surveys::create_survey;

both_backends!(
    embedded_survey_is_filled_in_a_real_browser,
    console_page_drills_down_in_a_real_browser
);

static WARNED: AtomicBool = AtomicBool::new(false);

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Chromium, Node and playwright-core, installing the last with npm if it is missing.
fn browser_ready() -> bool {
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

/// Runs one script of tests/browser with node and returns the JSON line it printed last.
async fn node_report(script: &str, args: Vec<String>, screenshot: PathBuf) -> Value {
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

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn texts(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["text"].as_str().expect("text").to_owned())
        .collect()
}

/// The feedback console (/console) in a real browser: a digest link's filters, the key form,
/// the list with untrusted text shown as text, a filter change, paging, and refused keys.
async fn console_page_drills_down_in_a_real_browser(app: TestApp) {
    if !browser_ready() {
        return;
    }
    // Four payment complaints (three in the digest week 2026-11-16..23, one of them neutral and
    // one carrying an XSS probe; one a week earlier) and three items about other things.
    let seeded = [
        ("支付失败，扣了钱订单没成功", "2026-11-18T10:00:00+08:00"),
        (
            "<img src=x onerror=alert(1)> 付款失败，钱被扣了两次",
            "2026-11-19T10:00:00+08:00",
        ),
        ("希望支持数字人民币付款", "2026-11-20T10:00:00+08:00"),
        ("退款一直没到账，等了半个月", "2026-11-10T10:00:00+08:00"),
        ("打开就闪退，气死了", "2026-11-18T11:00:00+08:00"),
        ("物流太慢了，等了一周", "2026-11-19T11:00:00+08:00"),
        ("界面很好看，推荐给大家", "2026-11-20T11:00:00+08:00"),
    ];
    let items: Vec<Value> = seeded
        .iter()
        .map(|(text, at)| json!({"platform": "weibo", "text": text, "published_at": at}))
        .collect();
    let res = app
        .post_json("/api/v1/mentions", &json!({"items": items}))
        .await;
    assert_eq!(res.status(), 200);
    // What the page must show, as the API sees it: an analysis change fails here, not in
    // the browser.
    let payment = sorted(seeded[..4].iter().map(|(t, _)| t.to_string()).collect());
    assert_eq!(
        sorted(texts(&app.all_feedback("pain_point=payment").await)),
        payment
    );
    assert_eq!(
        app.all_feedback("pain_point=payment&sentiment=negative")
            .await
            .len(),
        3
    );

    let read_key = app.key_with("read").await;
    let ingest_key = app.key_with("ingest").await;
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "console-{}.png",
        app.address.rsplit(':').next().unwrap_or("x")
    ));
    let report = node_report(
        "console.mjs",
        vec![app.address.clone(), read_key, ingest_key],
        screenshot,
    )
    .await;
    assert!(report.get("error").is_none(), "{report}");
    assert_eq!(
        report["problems"],
        json!([]),
        "no script errors on the page: {report}"
    );
    for (check, passed) in report["checks"].as_object().expect("checks") {
        assert_eq!(
            passed,
            &json!(true),
            "console check `{check}` failed: {report}"
        );
    }
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["painPointLabel"], "支付问题");
    let listed = |key: &str| texts(report[key].as_array().expect(key));
    assert_eq!(
        sorted(listed("paymentItems")),
        payment,
        "exactly the payment items"
    );
    assert!(report["xssItem"]["text"]
        .as_str()
        .unwrap()
        .starts_with("<img src=x onerror=alert(1)>"));
    assert_eq!(report["dialogs"], json!([]));
    let negative = listed("negativeItems");
    assert_eq!(negative.len(), 3, "{report}");
    assert!(report["urlAfterSentiment"]
        .as_str()
        .unwrap()
        .contains("sentiment=negative"));
    let week = listed("weekItems");
    assert_eq!(week.len(), 3, "{report}");
    assert!(!week.iter().any(|t| t == "退款一直没到账，等了半个月"));
    assert!(report["wrongKey"]["message"]
        .as_str()
        .unwrap()
        .contains("无效"));
    assert!(report["noReadScope"]["message"]
        .as_str()
        .unwrap()
        .contains("权限"));
}
