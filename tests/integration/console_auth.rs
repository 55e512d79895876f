//! Signing in to the console and what a session may do: the sign-in form and its cookie, the
//! form's CSRF token and the rate limit, sessions that end when idle or signed out, the CSRF
//! token on every state-changing API call, roles, the wall between workspaces, the members API
//! with its mail and one-time links, and `tingjian member add`.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use tingjian::config::Settings;
use tingjian::domain::Clock;

use crate::both_backends;
use crate::each_backend;
use crate::helpers::{
    assert_problem, hidden_field, run_ok, tingjian, Backend, ConsoleClient, TestApp,
    MEMBER_PASSWORD,
};
use crate::smtp_server::SmtpServer;

both_backends!(
    signing_in_sets_a_session_cookie_and_wrong_passwords_get_none,
    sign_out_revokes_the_session,
    state_changing_calls_without_the_csrf_token_are_refused,
    roles_decide_what_a_member_may_open_and_change,
    another_workspaces_member_sees_nothing,
    one_member_switches_between_two_workspaces,
    members_are_changed_and_the_last_admin_stays,
    a_link_opens_one_workspace_only_to_its_own_admin,
    member_add_prints_the_member_and_a_way_in,
);

each_backend!(
    sessions_end_after_inactivity,
    invitations_arrive_by_mail_and_the_link_works_once,
    a_link_expires_after_seven_days,
);

/// The sign-in form's pre-session cookie and hidden token, as a browser gets them.
struct LoginForm {
    cookie: String,
    token: String,
}

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The `Set-Cookie` line for `name`, if the answer sets it.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    set_cookies(res)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
}

fn cookie_value(line: &str) -> String {
    line.split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

fn attributes(line: &str) -> Vec<String> {
    line.split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

async fn login_form(app: &TestApp, headers: &[(&str, &str)]) -> LoginForm {
    let mut req = app.client.get(app.url("/console/login"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    let line = set_cookie(&res, "tj_login").expect("the form sets its token cookie");
    let page = res.text().await.unwrap();
    let token = hidden_field(&page, "csrf_token").expect("the form's hidden token");
    assert_eq!(cookie_value(&line), token);
    LoginForm {
        cookie: cookie_value(&line),
        token,
    }
}

/// Posts the sign-in form with the given cookie and fields (and extra headers).
async fn post_login(
    app: &TestApp,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app.client.post(app.url("/console/login")).form(fields);
    if let Some(c) = cookie {
        req = req.header("cookie", format!("tj_login={c}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// Signs in through the form; returns the session cookie's value.
async fn session_cookie(app: &TestApp, email: &str, password: &str) -> String {
    let form = login_form(app, &[]).await;
    let res = post_login(
        app,
        Some(&form.cookie),
        &[
            ("email", email),
            ("password", password),
            ("csrf_token", &form.token),
        ],
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    cookie_value(&set_cookie(&res, "tj_session").expect("a session cookie"))
}

/// GETs a path with only this session cookie.
async fn get_with(app: &TestApp, session: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("cookie", format!("tj_session={session}"))
        .send()
        .await
        .unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The session is no good: the console sends the browser to sign in, the API says 401.
async fn assert_signed_out(app: &TestApp, session: &str) {
    let ws = &app.workspace_id;
    let res = get_with(app, session, &format!("/console/w/{ws}/manage/settings")).await;
    assert_eq!(res.status(), 303);
    assert!(
        location(&res).starts_with("/console/login?next=%2Fconsole%2Fw%2F"),
        "{}",
        location(&res)
    );
    let res = app
        .client
        .get(app.url("/api/v1/workspace"))
        .header("cookie", format!("tj_session={session}"))
        .header("X-Tingjian-Workspace", ws)
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthorized").await;
}

/// Feedback items for the label tests, pushed with the workspace's key.
async fn push(app: &TestApp, texts: &[&str]) -> Vec<String> {
    let items: Vec<Value> = texts
        .iter()
        .map(|t| json!({"platform": "weibo", "text": t}))
        .collect();
    let res = app
        .post_json("/api/v1/mentions", &json!({"items": items}))
        .await;
    assert_eq!(res.status(), 200);
    app.all_feedback("")
        .await
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_and_the_console_lead_to_signing_in() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(location(&res), "/console");
    let res = app.client.get(app.url("/console")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/console/login?next=%2Fconsole");
    // A page deep inside comes back after signing in; another site's address never does.
    let ws = &app.workspace_id;
    let res = app
        .client
        .get(app.url(&format!("/console/w/{ws}/manage/members?x=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = location(&res);
    let page = app.client.get(app.url(&to)).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert_eq!(
        hidden_field(&page, "next").as_deref(),
        Some(format!("/console/w/{ws}/manage/members?x=1").as_str())
    );
    let page = app
        .client
        .get(app.url("/console/login?next=https%3A%2F%2Fevil.example"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(hidden_field(&page, "next").as_deref(), Some("/console"));
}

async fn signing_in_sets_a_session_cookie_and_wrong_passwords_get_none(app: TestApp) {
    let email = "lin@example.com";
    app.add_member_to(&app.workspace_id, email, "editor").await;
    let form = login_form(&app, &[]).await;
    for (who, password) in [
        (email, "wrong password 1"),
        ("nobody@example.com", MEMBER_PASSWORD),
    ] {
        let res = post_login(
            &app,
            Some(&form.cookie),
            &[
                ("email", who),
                ("password", password),
                ("csrf_token", &form.token),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 401, "{who}");
        assert!(set_cookie(&res, "tj_session").is_none(), "{who}");
        let page = res.text().await.unwrap();
        assert!(page.contains("邮箱或密码不正确"), "{page}");
        // The address typed stays in the form; the password does not.
        assert!(page.contains(&format!("value=\"{who}\"")));
        assert!(!page.contains(password));
    }
    let res = post_login(
        &app,
        Some(&form.cookie),
        &[
            ("email", "LIN@example.com"),
            ("password", MEMBER_PASSWORD),
            ("csrf_token", &form.token),
        ],
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/console");
    let line = set_cookie(&res, "tj_session").expect("a session cookie");
    let attrs = attributes(&line);
    for want in ["httponly", "samesite=lax", "path=/"] {
        assert!(attrs.contains(&want.to_owned()), "{want} in {line}");
    }
    assert!(!attrs.contains(&"secure".to_owned()), "plain HTTP: {line}");
    assert!(
        !attrs
            .iter()
            .any(|a| a.starts_with("max-age") || a.starts_with("expires")),
        "the session cookie ends with the browser: {line}"
    );
    // The sign-in token's cookie is spent.
    let spent = set_cookie(&res, "tj_login").expect("the login cookie is removed");
    assert_eq!(cookie_value(&spent), "");
    let session = cookie_value(&line);
    assert!(session.len() >= 32);
    let res = get_with(&app, &session, "/console").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/console/w/{}", app.workspace_id));
    // Signed in, the form sends the member on.
    let res = get_with(&app, &session, "/console/login").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/console");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_behind_https() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| s.trust_proxy = true).await else {
        return;
    };
    app.add_member_to(&app.workspace_id, "tls@example.com", "viewer")
        .await;
    let https = [("x-forwarded-proto", "https")];
    let form = login_form(&app, &https).await;
    let res = post_login(
        &app,
        Some(&form.cookie),
        &[
            ("email", "tls@example.com"),
            ("password", MEMBER_PASSWORD),
            ("csrf_token", &form.token),
        ],
        &https,
    )
    .await;
    assert_eq!(res.status(), 303);
    for line in set_cookies(&res) {
        let attrs = attributes(&line);
        for want in ["secure", "httponly", "samesite=lax"] {
            assert!(attrs.contains(&want.to_owned()), "{want} in {line}");
        }
    }
    // The same header from a client the service does not sit behind counts for nothing.
    let Some(direct) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let res = direct
        .client
        .get(direct.url("/console/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let line = set_cookie(&res, "tj_login").unwrap();
    assert!(!attributes(&line).contains(&"secure".to_owned()), "{line}");
    // A public URL on https says so whatever the request.
    let Some(public) = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.public_url = Some("https://feedback.example.com".into())
    })
    .await
    else {
        return;
    };
    let res = public
        .client
        .get(public.url("/console/login"))
        .send()
        .await
        .unwrap();
    let line = set_cookie(&res, "tj_login").unwrap();
    assert!(attributes(&line).contains(&"secure".to_owned()), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_without_its_token_is_refused() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    app.add_member_to(&app.workspace_id, "csrf@example.com", "admin")
        .await;
    let form = login_form(&app, &[]).await;
    let other = login_form(&app, &[]).await;
    let good = [("email", "csrf@example.com"), ("password", MEMBER_PASSWORD)];
    let cases: Vec<(&str, Option<&str>, Option<&str>)> = vec![
        ("no token", Some(&form.cookie), None),
        ("empty token", Some(&form.cookie), Some("")),
        (
            "wrong token",
            Some(&form.cookie),
            Some("x".repeat(43).leak()),
        ),
        (
            "another form's token",
            Some(&form.cookie),
            Some(&other.token),
        ),
        ("no cookie", None, Some(&form.token)),
    ];
    for (what, cookie, token) in cases {
        let mut fields = good.to_vec();
        if let Some(t) = token {
            fields.push(("csrf_token", t));
        }
        let res = post_login(&app, cookie, &fields, &[]).await;
        assert_eq!(res.status(), 403, "{what}");
        assert!(set_cookie(&res, "tj_session").is_none(), "{what}");
        assert!(res.text().await.unwrap().contains("安全令牌"), "{what}");
    }
    // The token in the cookie and the form together still work.
    let res = post_login(
        &app,
        Some(&form.cookie),
        &[good[0], good[1], ("csrf_token", &form.token)],
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_are_rate_limited() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.login_rate_per_minute = 3;
        s.trust_proxy = true;
    })
    .await
    else {
        return;
    };
    app.add_member_to(&app.workspace_id, "slow@example.com", "admin")
        .await;
    app.add_member_to(&app.workspace_id, "fresh@example.com", "viewer")
        .await;
    let form = login_form(&app, &[]).await;
    let attempt = |email: &'static str, password: &'static str, from: &'static str| {
        let (app, form) = (&app, &form);
        async move {
            post_login(
                app,
                Some(&form.cookie),
                &[
                    ("email", email),
                    ("password", password),
                    ("csrf_token", &form.token),
                ],
                &[("x-forwarded-for", from)],
            )
            .await
        }
    };
    // Per client address: three tries a minute, whatever the emails. Sent at once, so the
    // limiter sees them within its refill time (one every 20 s) however slow argon2 runs here.
    let burst = futures_util::future::join_all(
        [
            "a@example.com",
            "b@example.com",
            "c@example.com",
            "d@example.com",
        ]
        .map(|e| attempt(e, "wrong password 1", "203.0.113.1")),
    )
    .await;
    let mut statuses: Vec<u16> = burst.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [401, 401, 401, 429]);
    let refused = burst.into_iter().find(|r| r.status() == 429).unwrap();
    assert_eq!(refused.headers()["retry-after"], "60");
    assert!(refused.text().await.unwrap().contains("尝试次数过多"));
    // Per email address (three per fifteen minutes): then 429 even with the right password,
    // from anywhere.
    for (i, from) in ["198.51.100.11", "198.51.100.12", "198.51.100.13"]
        .into_iter()
        .enumerate()
    {
        let res = attempt("slow@example.com", "wrong password 1", from).await;
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = attempt("slow@example.com", MEMBER_PASSWORD, "192.0.2.9").await;
    assert_eq!(res.status(), 429);
    assert!(set_cookie(&res, "tj_session").is_none());
    // Per email address: a guesser spread over many client addresses meets the same wall.
    for (i, from) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .into_iter()
        .enumerate()
    {
        let res = attempt("spread@example.com", "wrong password 1", from).await;
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = attempt("spread@example.com", "wrong password 1", "198.51.100.4").await;
    assert_eq!(res.status(), 429);
    // Someone else, from elsewhere, signs in.
    let res = attempt("fresh@example.com", MEMBER_PASSWORD, "192.0.2.9").await;
    assert_eq!(res.status(), 303);
}

/// `serve` takes the sign-in limit and the idle time from its flags and environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reads_the_sign_in_settings() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let start = |envs: Vec<(&'static str, &'static str)>| {
        let mut cmd = tingjian(&app);
        cmd.envs(envs);
        tokio::task::spawn_blocking(move || crate::cli::serve(cmd))
    };
    let served = start(vec![
        ("TINGJIAN_LOGIN_RATE_PER_MINUTE", "2"),
        ("TINGJIAN_SESSION_IDLE_HOURS", "1"),
    ])
    .await
    .unwrap()
    .expect("serve starts");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{}", served.port);
    let page = client
        .get(format!("{base}/console/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden_field(&page, "csrf_token").unwrap();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = client
            .post(format!("{base}/console/login"))
            .form(&[
                ("email", "nobody@example.com"),
                ("password", "wrong password 1"),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);
    drop(served);
    for (var, value) in [
        ("TINGJIAN_SESSION_IDLE_HOURS", "0"),
        ("TINGJIAN_SESSION_IDLE_HOURS", "a day"),
        ("TINGJIAN_LOGIN_RATE_PER_MINUTE", "0"),
    ] {
        let refused = start(vec![(var, value)]).await.unwrap();
        let stderr = refused.err().expect("serve refuses the value");
        assert!(
            stderr.contains(&format!("invalid value '{value}'")),
            "{stderr}"
        );
    }
    let mut cmd = tingjian(&app);
    cmd.args(["serve", "--help"]);
    let help = String::from_utf8(run_ok(cmd).await.stdout).unwrap();
    for flag in [
        "--session-idle-hours <SESSION_IDLE_HOURS>",
        "[env: TINGJIAN_SESSION_IDLE_HOURS=]",
        "--login-rate-per-minute <LOGIN_RATE_PER_MINUTE>",
        "[env: TINGJIAN_LOGIN_RATE_PER_MINUTE=]",
    ] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
}

async fn sessions_end_after_inactivity(backend: Backend) {
    let start = Utc::now();
    let clock = Clock::manual(start);
    let c = clock.clone();
    let Some(app) = TestApp::spawn_with(backend, move |s: &mut Settings| {
        s.clock = c;
        s.session_idle = Duration::from_secs(3600);
    })
    .await
    else {
        return;
    };
    app.add_member_to(&app.workspace_id, "idle@example.com", "admin")
        .await;
    let session = session_cookie(&app, "idle@example.com", MEMBER_PASSWORD).await;
    let ws = app.workspace_id.clone();
    let settings = format!("/console/w/{ws}/manage/settings");
    // Used every 50 minutes, it lives on past the hour.
    for _ in 0..3 {
        clock.advance(chrono::Duration::minutes(50));
        let res = get_with(&app, &session, &settings).await;
        assert_eq!(res.status(), 200, "at {}", clock.now());
    }
    // An hour and a minute without a request, and it is over.
    clock.advance(chrono::Duration::minutes(61));
    assert_signed_out(&app, &session).await;
    // Even used all along, a session does not last past thirty days.
    let session = session_cookie(&app, "idle@example.com", MEMBER_PASSWORD).await;
    let signed_in = clock.now();
    while app
        .state
        .store
        .session(&session, chrono::Duration::hours(1))
        .await
        .unwrap()
        .is_some()
    {
        clock.advance(chrono::Duration::minutes(50));
        assert!(
            clock.now() - start < chrono::Duration::days(32),
            "never ends"
        );
    }
    let lasted = clock.now() - signed_in;
    assert!(
        lasted >= chrono::Duration::days(30)
            && lasted < chrono::Duration::days(30) + chrono::Duration::hours(1),
        "{lasted}"
    );
    assert_signed_out(&app, &session).await;
}

async fn sign_out_revokes_the_session(app: TestApp) {
    app.add_member_to(&app.workspace_id, "out@example.com", "viewer")
        .await;
    let session = session_cookie(&app, "out@example.com", MEMBER_PASSWORD).await;
    let other = session_cookie(&app, "out@example.com", MEMBER_PASSWORD).await;
    let ws = &app.workspace_id;
    let page = get_with(&app, &session, &format!("/console/w/{ws}"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&page, "csrf_token").expect("the sign-out form's token");
    let logout = |token: String| {
        app.client
            .post(app.url("/console/logout"))
            .header("cookie", format!("tj_session={session}"))
            .form(&[("csrf_token", token)])
            .send()
    };
    // Another site cannot sign the member out.
    let res = logout(String::new()).await.unwrap();
    assert_eq!(res.status(), 403);
    let res = logout("x".repeat(43)).await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        get_with(&app, &session, &format!("/console/w/{ws}/manage/members"))
            .await
            .status(),
        403,
        "still signed in (a viewer refused the admin page)"
    );
    let res = logout(csrf).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/console/login");
    let gone = set_cookie(&res, "tj_session").expect("the cookie is removed");
    assert_eq!(cookie_value(&gone), "");
    // The old cookie, kept by someone, opens nothing any more; another session lives on.
    assert_signed_out(&app, &session).await;
    assert_eq!(get_with(&app, &other, "/console").await.status(), 303);
    assert_eq!(
        location(&get_with(&app, &other, "/console").await),
        format!("/console/w/{ws}")
    );
}

/// A state-changing call with the session: no token, a wrong token, and another session's
/// token are all refused with `csrf_failed`, before anything is read or changed.
async fn state_changing_calls_without_the_csrf_token_are_refused(app: TestApp) {
    let ids = push(&app, &["支付失败了，扣了钱", "物流太慢了"]).await;
    let admin = app.console("admin").await;
    let other = app.console("admin").await;
    let viewer = app.console("viewer").await;
    let calls: Vec<(&str, String, Value)> = vec![
        ("PATCH", "/api/v1/workspace".into(), json!({"name": "改名"})),
        (
            "POST",
            "/api/v1/members".into(),
            json!({"email": "new@example.com", "role": "admin"}),
        ),
        (
            "PATCH",
            format!("/api/v1/members/{}", viewer.member_id),
            json!({"role": "admin"}),
        ),
        (
            "DELETE",
            format!("/api/v1/members/{}", viewer.member_id),
            Value::Null,
        ),
        (
            "POST",
            format!("/api/v1/members/{}/sign-in-link", viewer.member_id),
            json!({}),
        ),
        (
            "POST",
            "/api/v1/label-corrections".into(),
            json!({"ids": ids, "sentiment": "positive"}),
        ),
        (
            "PUT",
            format!("/api/v1/feedback/{}/labels", ids[0]),
            json!({"sentiment": "positive"}),
        ),
        (
            "POST",
            "/api/v1/keys".into(),
            json!({"name": "偷偷的", "scopes": ["admin"]}),
        ),
        (
            "POST",
            "/api/v1/dictionary".into(),
            json!({"words": ["偷偷词"]}),
        ),
        (
            "DELETE",
            format!("/api/v1/feedback/{}", ids[1]),
            Value::Null,
        ),
        (
            "POST",
            "/api/v1/digest-subscriptions".into(),
            json!({"email": "spy@example.com"}),
        ),
    ];
    let before = (
        app.get("/api/v1/workspace").await.text().await.unwrap(),
        app.get("/api/v1/members").await.text().await.unwrap(),
        app.get("/api/v1/keys").await.text().await.unwrap(),
        app.get("/api/v1/dictionary").await.text().await.unwrap(),
        json!(app.all_feedback("").await),
    );
    for (method, path, body) in &calls {
        for token in [None, Some("x".repeat(43)), Some(other.csrf.clone())] {
            let mut req = admin
                .client
                .request(method.parse().unwrap(), app.url(path))
                .header("X-Tingjian-Workspace", &app.workspace_id);
            if let Some(t) = &token {
                req = req.header("X-CSRF-Token", t);
            }
            if !body.is_null() {
                req = req.json(body);
            }
            let res = req.send().await.unwrap();
            let what = format!("{method} {path} with {token:?}");
            assert_eq!(res.status(), 403, "{what}");
            let body = assert_problem(res, 403, "csrf_failed").await;
            assert!(body.get("detail").is_some(), "{what}: {body}");
        }
    }
    // Cross-site forms post urlencoded bodies; those are refused the same.
    let res = admin
        .client
        .patch(app.url("/api/v1/workspace"))
        .header("X-Tingjian-Workspace", &app.workspace_id)
        .form(&[("name", "改名")])
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "csrf_failed").await;
    let after = (
        app.get("/api/v1/workspace").await.text().await.unwrap(),
        app.get("/api/v1/members").await.text().await.unwrap(),
        app.get("/api/v1/keys").await.text().await.unwrap(),
        app.get("/api/v1/dictionary").await.text().await.unwrap(),
        json!(app.all_feedback("").await),
    );
    assert_eq!(before, after, "nothing changed");
    // Reads need no token; with its own token the same call goes through.
    assert_eq!(
        admin
            .client
            .get(app.url("/api/v1/members"))
            .header("X-Tingjian-Workspace", &app.workspace_id)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let res = admin
        .api("PATCH", "/api/v1/workspace", Some(&json!({"name": "改名"})))
        .await;
    assert_eq!(res.status(), 200);
}

async fn roles_decide_what_a_member_may_open_and_change(app: TestApp) {
    let ids = push(&app, &["支付失败了，扣了钱", "物流太慢了"]).await;
    let viewer = app.console("viewer").await;
    let editor = app.console("editor").await;
    let admin = app.console("admin").await;
    for path in ["/manage/members", "/manage/settings"] {
        for who in [&viewer, &editor] {
            let res = who.get(path).await;
            assert_eq!(res.status(), 403, "{path}");
            let page = res.text().await.unwrap();
            assert!(
                page.contains("没有权限") && page.contains("管理员角色"),
                "{page}"
            );
            // Refused inside the frame: the navigation and the way out are still there.
            assert!(
                page.contains("退出登录") && page.contains("主导航"),
                "{page}"
            );
        }
        admin.page(path).await;
    }
    let label = json!({"ids": [ids[0]], "sentiment": "positive"});
    let admin_calls: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/api/v1/members".into(), None),
        (
            "POST",
            "/api/v1/members".into(),
            Some(json!({"email": "x@example.com", "role": "viewer"})),
        ),
        (
            "PATCH",
            format!("/api/v1/members/{}", viewer.member_id),
            Some(json!({"role": "admin"})),
        ),
        (
            "DELETE",
            format!("/api/v1/members/{}", admin.member_id),
            None,
        ),
        (
            "PATCH",
            "/api/v1/workspace".into(),
            Some(json!({"name": "改名"})),
        ),
        ("GET", "/api/v1/keys".into(), None),
        (
            "POST",
            "/api/v1/keys".into(),
            Some(json!({"name": "k", "scopes": ["read"]})),
        ),
        ("DELETE", format!("/api/v1/feedback/{}", ids[1]), None),
    ];
    for who in [&viewer, &editor] {
        for (method, path, body) in &admin_calls {
            let res = who.api(method, path, body.as_ref()).await;
            let problem = assert_problem(res, 403, "role_forbidden").await;
            assert_eq!(
                problem["detail"].as_str().map(|d| d.contains("admin")),
                Some(true),
                "{method} {path}: {problem}"
            );
        }
    }
    // Editing is for editors and admins.
    let res = viewer
        .api("POST", "/api/v1/label-corrections", Some(&label))
        .await;
    assert_problem(res, 403, "role_forbidden").await;
    let res = viewer
        .api(
            "POST",
            "/api/v1/dictionary",
            Some(&json!({"words": ["会员日"]})),
        )
        .await;
    assert_problem(res, 403, "role_forbidden").await;
    let res = editor
        .api("POST", "/api/v1/label-corrections", Some(&label))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["updated"], 1);
    let res = editor
        .api(
            "POST",
            "/api/v1/dictionary",
            Some(&json!({"words": ["会员日"]})),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Everyone reads.
    for who in [&viewer, &editor, &admin] {
        let res = who.api("GET", "/api/v1/feedback", None).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.json::<Value>().await.unwrap()["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
    // The admin does it all.
    let res = admin
        .api(
            "PATCH",
            "/api/v1/workspace",
            Some(&json!({"name": "改名的团队"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = admin.api("GET", "/api/v1/members", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // A key's scopes are not a member's role: an admin key still does admin work.
    assert_eq!(app.get("/api/v1/members").await.status(), 200);
}

async fn another_workspaces_member_sees_nothing(app: TestApp) {
    push(&app, &["支付失败了，扣了钱"]).await;
    let owner_admin = app.console("admin").await;
    let (other_ws, _) = app.other_workspace().await;
    let email = "stranger@example.com";
    let member_id = app.add_member_to(&other_ws, email, "admin").await;
    let mut stranger = app.sign_in(email, MEMBER_PASSWORD, member_id).await;
    let ws = app.workspace_id.clone();
    for path in [
        "",
        "/manage/members",
        "/manage/settings",
        "/inbox",
        "/no-such-page",
    ] {
        let res = stranger.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        let page = res.text().await.unwrap();
        assert!(page.contains("找不到这个页面"), "{page}");
        assert!(
            !page.contains("测试团队") && !page.contains(&owner_admin.email),
            "{page}"
        );
    }
    // An unknown workspace looks the same as one the member is not in.
    let res = stranger
        .client
        .get(app.url("/console/w/ws_nope/manage/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // The API, naming the owner's workspace with the stranger's own session and token.
    let calls: Vec<(&str, &str, Option<Value>)> = vec![
        ("GET", "/api/v1/feedback", None),
        ("GET", "/api/v1/members", None),
        ("GET", "/api/v1/workspace", None),
        ("PATCH", "/api/v1/workspace", Some(json!({"name": "占领"}))),
        (
            "POST",
            "/api/v1/members",
            Some(json!({"email": email, "role": "admin"})),
        ),
    ];
    stranger.workspace_id = ws.clone();
    for (method, path, body) in &calls {
        let res = stranger.api(method, path, body.as_ref()).await;
        assert_problem(res, 401, "unauthorized").await;
    }
    // Without naming a workspace, a session opens none.
    let res = stranger
        .client
        .get(app.url("/api/v1/feedback"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthorized").await;
    // Its own workspace answers, empty of the owner's feedback.
    stranger.workspace_id = other_ws.clone();
    let res = stranger.api("GET", "/api/v1/feedback", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["items"], json!([]));
    let res = stranger.api("GET", "/api/v1/workspace", None).await;
    assert_eq!(res.json::<Value>().await.unwrap()["id"], other_ws.as_str());
    let members = app
        .get("/api/v1/members")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert!(
        !members.to_string().contains(email),
        "the stranger did not join: {members}"
    );
    assert_eq!(
        app.get("/api/v1/workspace")
            .await
            .json::<Value>()
            .await
            .unwrap()["name"],
        "测试团队"
    );
}

async fn one_member_switches_between_two_workspaces(app: TestApp) {
    let (other_ws, _) = app.other_workspace().await;
    let email = "both@example.com";
    let member_id = app.add_member_to(&app.workspace_id, email, "admin").await;
    app.add_member_to(&other_ws, email, "viewer").await;
    let mut c = app.sign_in(email, MEMBER_PASSWORD, member_id).await;
    // The console opens the first workspace by name (别的团队 sorts before 测试团队).
    let res = c.client.get(app.url("/console")).send().await.unwrap();
    assert_eq!(location(&res), format!("/console/w/{other_ws}"));
    let page = c.page("/manage/settings").await;
    assert!(page.contains("切换工作区"), "{page}");
    assert!(
        page.contains(&format!("href=\"/console/w/{other_ws}\"")),
        "{page}"
    );
    // In the other workspace the member is a viewer.
    let res = c
        .client
        .get(app.url(&format!("/console/w/{other_ws}/manage/settings")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = c
        .api(
            "PATCH",
            "/api/v1/workspace",
            Some(&json!({"name": "新名字"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    c.workspace_id = other_ws.clone();
    let res = c
        .api(
            "PATCH",
            "/api/v1/workspace",
            Some(&json!({"name": "新名字"})),
        )
        .await;
    assert_problem(res, 403, "role_forbidden").await;
    let res = c.api("GET", "/api/v1/workspace", None).await;
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "别的团队");
}

/// The member's row in `GET /api/v1/members`.
async fn member_row(c: &ConsoleClient, email: &str) -> Option<Value> {
    let res = c.api("GET", "/api/v1/members", None).await;
    let list: Value = res.json().await.unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email)
        .cloned()
}

async fn members_are_changed_and_the_last_admin_stays(app: TestApp) {
    let admin = app.console("admin").await;
    // Inviting: 201 for someone new to the workspace, with a link (mail goes to files here).
    let res = admin
        .api(
            "POST",
            "/api/v1/members",
            Some(&json!({"email": "Wang@Example.com", "role": "editor"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let invited: Value = res.json().await.unwrap();
    assert_eq!(invited["email"], "wang@example.com");
    assert_eq!(invited["role"], "editor");
    assert_eq!(invited["mailed"], true);
    assert_eq!(invited["link_withheld"], false);
    assert!(invited["sign_in_url"]
        .as_str()
        .unwrap()
        .contains("/console/set-password?token="));
    let id = invited["member_id"].as_str().unwrap().to_owned();
    let row = member_row(&admin, "wang@example.com").await.unwrap();
    assert_eq!(row["role"], "editor");
    assert_eq!(row["role_name"], "编辑");
    assert_eq!(row["has_password"], false);
    // Inviting again changes the role: 200, not a second member.
    let res = admin
        .api(
            "POST",
            "/api/v1/members",
            Some(&json!({"email": "wang@example.com", "role": "viewer"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["member_id"], id.as_str());
    for bad in [
        json!({"email": "not an address", "role": "viewer"}),
        json!({"email": "a@example.com", "role": "owner"}),
        json!({"email": "a@example.com", "role": "viewer", "extra": 1}),
    ] {
        let res = admin.api("POST", "/api/v1/members", Some(&bad)).await;
        assert_eq!(res.status(), 422, "{bad}");
    }
    // Changing a role.
    let res = admin
        .api(
            "PATCH",
            &format!("/api/v1/members/{id}"),
            Some(&json!({"role": "admin"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(
        (&changed["member_id"], &changed["role"]),
        (&json!(id), &json!("admin"))
    );
    let res = admin
        .api(
            "PATCH",
            "/api/v1/members/mem_nope",
            Some(&json!({"role": "admin"})),
        )
        .await;
    assert_problem(res, 404, "not_found").await;
    // Two admins: either may step down, but not the last one.
    let res = admin
        .api(
            "PATCH",
            &format!("/api/v1/members/{}", admin.member_id),
            Some(&json!({"role": "editor"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = admin.api("GET", "/api/v1/members", None).await;
    assert_problem(res, 403, "role_forbidden").await;
    let wang = {
        // wang sets a password through a new link, signs in, and is now the only admin.
        let res = app
            .post_json(&format!("/api/v1/members/{id}/sign-in-link"), &json!({}))
            .await;
        assert_eq!(res.status(), 200);
        let link: Value = res.json().await.unwrap();
        let url = link["sign_in_url"].as_str().unwrap().to_owned();
        set_password(&app, &url, "wang's new password").await;
        app.sign_in("wang@example.com", "wang's new password", id.clone())
            .await
    };
    let res = wang
        .api(
            "PATCH",
            &format!("/api/v1/members/{id}"),
            Some(&json!({"role": "viewer"})),
        )
        .await;
    let p = assert_problem(res, 409, "conflict").await;
    assert!(p["detail"].as_str().unwrap().contains("admin"), "{p}");
    let res = wang
        .api("DELETE", &format!("/api/v1/members/{id}"), None)
        .await;
    assert_problem(res, 409, "conflict").await;
    // Re-inviting the last admin with a lesser role is refused too.
    let res = wang
        .api(
            "POST",
            "/api/v1/members",
            Some(&json!({"email": "wang@example.com", "role": "viewer"})),
        )
        .await;
    assert_problem(res, 409, "conflict").await;
    assert_eq!(
        member_row(&wang, "wang@example.com").await.unwrap()["role"],
        "admin"
    );
    // Removing someone else: 204, then 404; they keep their account but not the workspace.
    let res = wang
        .api(
            "DELETE",
            &format!("/api/v1/members/{}", admin.member_id),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = wang
        .api(
            "DELETE",
            &format!("/api/v1/members/{}", admin.member_id),
            None,
        )
        .await;
    assert_problem(res, 404, "not_found").await;
    assert!(member_row(&wang, &admin.email).await.is_none());
    assert_eq!(admin.get("/manage/settings").await.status(), 404);
    let res = admin.api("GET", "/api/v1/feedback", None).await;
    assert_problem(res, 401, "unauthorized").await;
}

/// Opens a set-password link and sets `password` through its form; asserts the member is
/// signed in (303 to the console with a session cookie).
async fn set_password(app: &TestApp, url: &str, password: &str) -> String {
    let path = url
        .split_once("/console/")
        .map(|(_, p)| format!("/console/{p}"))
        .unwrap();
    let res = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let cookie = cookie_value(&set_cookie(&res, "tj_login").unwrap());
    let page = res.text().await.unwrap();
    let token = hidden_field(&page, "token").unwrap();
    let csrf = hidden_field(&page, "csrf_token").unwrap();
    let res = app
        .client
        .post(app.url("/console/set-password"))
        .header("cookie", format!("tj_login={cookie}"))
        .form(&[
            ("token", token.as_str()),
            ("password", password),
            ("confirm", password),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/console");
    cookie_value(&set_cookie(&res, "tj_session").expect("signed in"))
}

async fn invitations_arrive_by_mail_and_the_link_works_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let Some(app) = TestApp::spawn_with(backend, move |s| {
        s.smtp_url = Some(url);
        s.public_url = Some("https://feedback.example.com".into());
    })
    .await
    else {
        return;
    };
    let admin = app.console("admin").await;
    let res = admin
        .api(
            "POST",
            "/api/v1/members",
            Some(&json!({"email": "zhao@example.com", "role": "editor"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let invited: Value = res.json().await.unwrap();
    assert_eq!(invited["mailed"], true);
    let link = invited["sign_in_url"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with("https://feedback.example.com/console/set-password?token="),
        "{link}"
    );
    let got = smtp.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_to, ["zhao@example.com"]);
    let msg = mail_parser::MessageParser::default()
        .parse(&got[0].data)
        .unwrap();
    assert!(
        msg.subject().unwrap().contains("测试团队"),
        "{:?}",
        msg.subject()
    );
    let text = msg.body_text(0).unwrap();
    assert!(text.contains(&link), "{text}");
    let html = msg.body_html(0).unwrap();
    assert!(html.contains(&link.replace('&', "&amp;")), "{html}");

    // The form checks what it is given before using the link.
    let path = link.trim_start_matches("https://feedback.example.com");
    let res = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let cookie = cookie_value(&set_cookie(&res, "tj_login").unwrap());
    let page = res.text().await.unwrap();
    assert!(
        page.contains("zhao@example.com") && page.contains("测试团队"),
        "{page}"
    );
    let token = hidden_field(&page, "token").unwrap();
    let csrf = hidden_field(&page, "csrf_token").unwrap();
    let post = |password: &'static str, confirm: &'static str, csrf: String| {
        app.client
            .post(app.url("/console/set-password"))
            .header("cookie", format!("tj_login={cookie}"))
            .form(&[
                ("token", token.clone()),
                ("password", password.to_owned()),
                ("confirm", confirm.to_owned()),
                ("csrf_token", csrf),
            ])
            .send()
    };
    assert_eq!(
        post("long enough 1", "long enough 1", String::new())
            .await
            .unwrap()
            .status(),
        403
    );
    let res = post("short", "short", csrf.clone()).await.unwrap();
    assert_eq!(res.status(), 422);
    let res = post("long enough 1", "long enough 2", csrf.clone())
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("两次输入的密码不一致"));
    let res = post("long enough 1", "long enough 1", csrf.clone())
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = cookie_value(&set_cookie(&res, "tj_session").unwrap());
    let res = get_with(&app, &session, "/console").await;
    assert_eq!(location(&res), format!("/console/w/{}", app.workspace_id));
    // Once only: the link is spent, for the page and the form.
    let res = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("链接无效或已过期"));
    let res = post("another one 12", "another one 12", csrf)
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    session_cookie(&app, "zhao@example.com", "long enough 1").await;
    assert_eq!(
        member_row(&admin, "zhao@example.com").await.unwrap()["has_password"],
        true
    );
    // A new link for a member who forgot: mailed, and setting it ends their sessions.
    let res = admin
        .api(
            "POST",
            &format!(
                "/api/v1/members/{}/sign-in-link",
                invited["member_id"].as_str().unwrap()
            ),
            Some(&json!({})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["mailed"], true);
    smtp.wait_for(2, Duration::from_secs(5)).await;
    let url = again["sign_in_url"].as_str().unwrap();
    set_password(&app, url, "a fresh password").await;
    assert_signed_out(&app, &session).await;
    session_cookie(&app, "zhao@example.com", "a fresh password").await;
    // A member who has a password gets no link when invited again.
    let res = admin
        .api(
            "POST",
            "/api/v1/members",
            Some(&json!({"email": "zhao@example.com", "role": "viewer"})),
        )
        .await;
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["sign_in_url"], Value::Null, "{out}");
    assert_eq!(out["mailed"], false);
}

async fn a_link_expires_after_seven_days(backend: Backend) {
    let clock = Clock::manual(Utc::now());
    let c = clock.clone();
    let Some(app) = TestApp::spawn_with(backend, move |s| s.clock = c).await else {
        return;
    };
    let invite = |email: &'static str| {
        let app = &app;
        async move {
            let res = app
                .post_json(
                    "/api/v1/members",
                    &json!({"email": email, "role": "viewer"}),
                )
                .await;
            assert_eq!(res.status(), 201);
            let v: Value = res.json().await.unwrap();
            let url = v["sign_in_url"].as_str().unwrap().to_owned();
            url.split_once("/console/")
                .map(|(_, p)| format!("/console/{p}"))
                .unwrap()
        }
    };
    let late = invite("late@example.com").await;
    let in_time = invite("ontime@example.com").await;
    clock.advance(chrono::Duration::days(7) - chrono::Duration::minutes(1));
    set_password(&app, &app.url(&in_time), "just in time 1").await;
    clock.advance(chrono::Duration::minutes(2));
    let res = app.client.get(app.url(&late)).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

/// A member in two workspaces: the admin of one does not get a link that would set the
/// password opening the other.
async fn a_link_opens_one_workspace_only_to_its_own_admin(app: TestApp) {
    let (other_ws, other_key) = app.other_workspace().await;
    let admin = app.console("admin").await;
    // Invited (no password yet) to the other workspace first.
    let res = app
        .client
        .post(app.url("/api/v1/members"))
        .bearer_auth(&other_key)
        .json(&json!({"email": "pending@example.com", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // The caller chooses the request's host; the mailed link must not go there.
    let res = admin
        .client
        .post(app.url("/api/v1/members"))
        .header("X-CSRF-Token", &admin.csrf)
        .header("X-Tingjian-Workspace", &app.workspace_id)
        .header("X-Forwarded-Host", "evil.example")
        .header("Forwarded", "host=evil.example;proto=https")
        .json(&json!({"email": "pending@example.com", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["sign_in_url"], Value::Null, "{out}");
    assert_eq!(out["link_withheld"], true);
    assert_eq!(out["mailed"], true, "the member gets it by mail");
    let id = out["member_id"].as_str().unwrap();
    let res = admin
        .client
        .post(app.url(&format!("/api/v1/members/{id}/sign-in-link")))
        .header("X-CSRF-Token", &admin.csrf)
        .header("X-Tingjian-Workspace", &app.workspace_id)
        .header("X-Forwarded-Host", "evil.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["sign_in_url"], Value::Null, "{out}");
    assert_eq!(out["link_withheld"], true);
    let mails: Vec<String> = std::fs::read_dir(app.data_dir.join("mail"))
        .unwrap()
        .map(|f| {
            let raw = std::fs::read(f.unwrap().path()).unwrap();
            let msg = mail_parser::MessageParser::default().parse(&raw).unwrap();
            msg.body_text(0).unwrap().into_owned()
        })
        .collect();
    assert_eq!(mails.len(), 3, "the first invitation and the two links");
    for mail in &mails {
        assert!(mail.contains("/console/set-password?token="), "{mail}");
        assert!(!mail.contains("evil.example"), "{mail}");
    }
    // Nor for a member with a password in both.
    let both = app
        .add_member_to(&other_ws, "both2@example.com", "admin")
        .await;
    app.add_member_to(&app.workspace_id, "both2@example.com", "viewer")
        .await;
    let res = admin
        .api(
            "POST",
            &format!("/api/v1/members/{both}/sign-in-link"),
            Some(&json!({})),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["sign_in_url"],
        Value::Null
    );
    // A member of this workspace alone: its admin may pass the link on.
    let res = admin
        .api(
            "POST",
            &format!("/api/v1/members/{}/sign-in-link", admin.member_id),
            Some(&json!({})),
        )
        .await;
    let out: Value = res.json().await.unwrap();
    assert!(out["sign_in_url"].as_str().is_some(), "{out}");
    assert_eq!(out["link_withheld"], false);
}

async fn member_add_prints_the_member_and_a_way_in(app: TestApp) {
    let mut cmd = tingjian(&app);
    cmd.args([
        "member",
        "add",
        "--workspace",
        &app.workspace_id,
        "--email",
        "First@Example.com",
        "--role",
        "admin",
        "--password",
        "first admin pw",
        "--public-url",
        "https://feedback.example.com/",
    ]);
    let out = run_ok(cmd).await;
    let printed: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    let keys: Vec<&String> = printed.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["email", "member_id", "role", "sign_in_url"],
        "{printed}"
    );
    assert_eq!(printed["email"], "first@example.com");
    assert_eq!(printed["role"], "admin");
    assert_eq!(
        printed["sign_in_url"],
        "https://feedback.example.com/console/login"
    );
    let id = printed["member_id"].as_str().unwrap().to_owned();
    let admin = app.sign_in("first@example.com", "first admin pw", id).await;
    admin.page("/manage/members").await;

    // Without a password: a one-time link, printed (and written as mail, no SMTP here).
    let mut cmd = tingjian(&app);
    cmd.args([
        "member",
        "add",
        "--workspace",
        &app.workspace_id,
        "--email",
        "second@example.com",
        "--role",
        "viewer",
    ]);
    let out = run_ok(cmd).await;
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let url = printed["sign_in_url"].as_str().unwrap();
    assert!(url.contains("/console/set-password?token="), "{url}");
    let mails = std::fs::read_dir(app.data_dir.join("mail"))
        .unwrap()
        .count();
    assert_eq!(mails, 1);
    set_password(&app, url, "second's password").await;
    let row = member_row(&admin, "second@example.com").await.unwrap();
    assert_eq!(
        (&row["role"], &row["has_password"]),
        (&json!("viewer"), &json!(true))
    );

    // What it refuses, with a non-zero exit and nothing printed.
    for args in [
        vec![
            "--workspace",
            "ws_nope",
            "--email",
            "x@example.com",
            "--role",
            "admin",
        ],
        vec![
            "--workspace",
            &app.workspace_id,
            "--email",
            "bad",
            "--role",
            "admin",
        ],
        vec![
            "--workspace",
            &app.workspace_id,
            "--email",
            "x@example.com",
            "--role",
            "owner",
        ],
        vec![
            "--workspace",
            &app.workspace_id,
            "--email",
            "x@example.com",
            "--role",
            "admin",
            "--password",
            "short",
        ],
    ] {
        let mut cmd = tingjian(&app);
        cmd.args(["member", "add"]).args(&args);
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert!(member_row(&admin, "x@example.com").await.is_none());
}
