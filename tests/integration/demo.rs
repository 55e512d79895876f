//! The demo: `tingjian demo` against the app's database fills `ws_demo` once (run again, it
//! changes nothing), over eight weeks and every channel, and the story it tells shows through
//! the insights API: NPS falling, 支付失败 rising, crashes on Android 3.2. `serve --demo` prints
//! the same and serves; the printed member signs in to the console.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use tingjian::domain::Scopes;

use crate::both_backends;
use crate::helpers::{hidden_field, run_ok, tingjian, TestApp};

both_backends!(the_demo_fills_once_and_tells_its_story);

/// Every item of a workspace, through the API with `key`.
async fn all_items(app: &TestApp, key: &str, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = app.url(&format!("/api/v1/feedback?limit=200&{query}"));
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let res = app.client.get(url).bearer_auth(key).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        out.extend(body["items"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

async fn get_json(app: &TestApp, key: &str, path: &str, query: &[(&str, String)]) -> Value {
    let res = app
        .client
        .get(app.url(path))
        .query(query)
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

async fn run_demo(app: &TestApp) -> Value {
    let mut cmd = tingjian(app);
    cmd.args(["demo", "--bind", "127.0.0.1:8088"]);
    let out = run_ok(cmd).await;
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

async fn the_demo_fills_once_and_tells_its_story(app: TestApp) {
    let now = Utc::now();
    let printed = run_demo(&app).await;
    assert_eq!(printed["workspace_id"], "ws_demo");
    assert_eq!(
        printed["console_url"],
        "http://127.0.0.1:8088/console/w/ws_demo"
    );
    assert_eq!(printed["email"], "demo@example.com");
    let password = printed["password"].as_str().unwrap().to_owned();
    let items = printed["items"].as_u64().unwrap();
    assert!((300..=500).contains(&items), "{items} items");

    let (_, key) = app
        .state
        .store
        .create_key("ws_demo", "test reader", &Scopes::all())
        .await
        .unwrap();
    let first = all_items(&app, &key, "").await;
    assert_eq!(first.len() as u64, items);
    let surveys = get_json(&app, &key, "/api/v1/surveys", &[]).await;
    let survey_id = surveys["items"][0]["id"].as_str().unwrap().to_owned();
    let responses = get_json(&app, &key, &format!("/api/v1/surveys/{survey_id}"), &[]).await
        ["response_count"]
        .as_u64()
        .unwrap();
    assert!(responses > 150, "{responses} survey responses");

    // Run again: the same answer, and nothing stored, changed or added.
    let again = run_demo(&app).await;
    assert_eq!(again, printed);
    let second = all_items(&app, &key, "").await;
    let fingerprint = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|i| {
                format!(
                    "{} {} {} {}",
                    i["id"], i["occurred_at"], i["sentiment"], i["text"]
                )
            })
            .collect()
    };
    assert_eq!(fingerprint(&first), fingerprint(&second));
    let again = get_json(&app, &key, &format!("/api/v1/surveys/{survey_id}"), &[]).await;
    assert_eq!(again["response_count"].as_u64(), Some(responses));
    let sources = get_json(&app, &key, "/api/v1/sources", &[]).await;
    assert_eq!(sources["items"].as_array().unwrap().len(), 2, "{sources}");

    // Every channel, and both social platforms, over at least seven weeks before now.
    let channels: BTreeSet<&str> = first
        .iter()
        .map(|i| i["channel"].as_str().unwrap())
        .collect();
    assert_eq!(
        channels,
        BTreeSet::from([
            "import",
            "interview",
            "review",
            "social",
            "survey",
            "webhook"
        ])
    );
    let platforms: BTreeSet<&str> = first
        .iter()
        .filter_map(|i| i["source_key"].as_str()?.strip_prefix("mentions:"))
        .collect();
    assert_eq!(platforms, BTreeSet::from(["weibo", "xiaohongshu"]));
    let times: Vec<DateTime<Utc>> = first.iter().map(|i| time(&i["occurred_at"])).collect();
    let (oldest, newest) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
    assert!(newest - oldest >= Duration::weeks(7), "{oldest} … {newest}");
    assert!(
        oldest >= now - Duration::weeks(8) - Duration::days(1),
        "{oldest}"
    );
    assert!(newest <= Utc::now(), "nothing in the future: {newest}");
    assert!(first
        .iter()
        .all(|i| time(&i["received_at"]) >= time(&i["occurred_at"])));
    assert!(
        first.iter().all(|i| !i["sentiment"].is_null()),
        "every item was analysed"
    );

    // The trend: NPS falls from the first weeks to the last.
    let from = (now - Duration::weeks(8)).to_rfc3339();
    let nps = get_json(
        &app,
        &key,
        "/api/v1/insights/trends",
        &[
            ("metric", "nps".into()),
            ("interval", "week".into()),
            ("from", from.clone()),
        ],
    )
    .await;
    let points: Vec<&Value> = nps["series"][0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["n"].as_u64().unwrap() >= 10)
        .collect();
    assert!(points.len() >= 7, "{nps}");
    let mean = |ps: &[&Value]| {
        ps.iter().map(|p| p["value"].as_f64().unwrap()).sum::<f64>() / ps.len() as f64
    };
    let (early, late) = (mean(&points[..3]), mean(&points[points.len() - 3..]));
    assert!(early - late >= 20.0, "NPS {early:.1} → {late:.1}: {nps}");

    // The rising complaint: 支付失败 leads the last three weeks, up significantly on the three
    // before.
    let ranked = get_json(
        &app,
        &key,
        "/api/v1/insights/pain-points",
        &[("from", (now - Duration::days(21)).to_rfc3339())],
    )
    .await;
    let top = &ranked["items"][0];
    assert_eq!(top["id"], "payment", "{ranked}");
    let (count, previous) = (
        top["count"].as_u64().unwrap(),
        top["previous_count"].as_u64().unwrap(),
    );
    assert!(
        count >= 2 * previous && count >= 25,
        "{count} vs {previous}"
    );
    assert_eq!(top["significant"], true);
    let channels = top["channels"].as_array().unwrap();
    assert!(
        channels.len() >= 4,
        "payment complaints come in everywhere: {top}"
    );

    // A segment: crashes gather on Android 3.2.
    let crashes: Vec<Value> = all_items(&app, &key, "pain_point=crash")
        .await
        .into_iter()
        .filter(|i| !i["attributes"]["platform"].is_null())
        .collect();
    let android_32 = crashes
        .iter()
        .filter(|i| {
            i["attributes"]["platform"] == "Android"
                && i["attributes"]["app_version"]
                    .as_str()
                    .is_some_and(|v| v.starts_with("3.2"))
        })
        .count();
    assert!(
        crashes.len() >= 8 && android_32 * 10 >= crashes.len() * 7,
        "{android_32} of {} crashes on Android 3.2",
        crashes.len()
    );

    // The printed member signs in, as an admin of the demo workspace.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let form = client
        .get(app.url("/console/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden_field(&form, "csrf_token").unwrap();
    let res = client
        .post(app.url("/console/login"))
        .form(&[
            ("email", "demo@example.com"),
            ("password", password.as_str()),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = client
        .get(app.url("/console/w/ws_demo/manage/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the demo member is an admin");
    assert!(res.text().await.unwrap().contains("鲜到家"));

    // `serve --demo` finds the demo there, prints the same with the port it took, and serves.
    let mut cmd = tingjian(&app);
    cmd.args([
        "serve",
        "--demo",
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--no-poller",
        "--no-delivery",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("start tingjian serve --demo");
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap();
    let served: Value = serde_json::from_str(&line.unwrap_or_default()).unwrap_or_default();
    let url = served["console_url"].as_str().map(str::to_owned);
    let login = match &url {
        Some(u) => reqwest::get(u.replace("/w/ws_demo", "/login")).await.ok(),
        None => None,
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(served["items"], printed["items"], "{served}");
    assert_eq!(served["password"], printed["password"]);
    let url = url.unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.starts_with("http://127.0.0.1:0/"),
        "{url}"
    );
    assert_eq!(login.map(|r| r.status().as_u16()), Some(200));
}
