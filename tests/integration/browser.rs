//! A real browser (Debian's Chromium, driven by playwright-core from Node): it loads a host
//! page on one origin that embeds a survey from the service on another with `embed.js`, fills
//! it in, submits it, and the response is found stored; and it signs in to the console and out
//! again, as an admin and as a viewer.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{skip_or_fail, TestApp, MEMBER_PASSWORD};
use crate::surveys::create_survey;

both_backends!(
    embedded_survey_is_filled_in_a_real_browser,
    console_sign_in_and_out_in_a_real_browser
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
