//! The digest commands: `digest preview` (a period's digest to stdout), `digest send` (queue
//! and send it to every subscription, once), and `bench-digest` (how long building one takes
//! on a large synthetic workspace).

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use crate::analysis::Analyzer;
use crate::config::Settings;
use crate::counters::Counters;
use crate::startup::{open_store, outbox, outgoing_client};
use crate::store::Store;
use crate::tell::render;

/// The settings with the public URL links use: the flag (or `TINGJIAN_PUBLIC_URL`), else the
/// one `serve` recorded in the database, else the bind address, said on stderr since
/// recipients elsewhere cannot open it.
async fn with_public_url(settings: &Settings, store: &Store) -> anyhow::Result<Settings> {
    let mut s = settings.clone();
    if s.public_url.as_deref().is_none_or(|u| u.trim().is_empty()) {
        s.public_url = store
            .service_setting(crate::store::PUBLIC_URL_SETTING)
            .await?;
    }
    if s.public_url.is_none() {
        eprintln!(
            "no public URL: neither --public-url nor a running service's (tingjian serve --public-url) is known; links point to {}",
            s.link_base()
        );
    }
    Ok(s)
}

/// `tingjian digest preview`: the digest of `period` in `format` on stdout.
pub(super) async fn preview(
    settings: &Settings,
    workspace: &str,
    period: &str,
    format: &str,
) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let settings = &with_public_url(settings, &store).await?;
    let analyzer = Analyzer::new();
    let digest = crate::tell::build::build_digest(
        &store,
        &analyzer,
        &settings.link_base(),
        workspace,
        period,
    )
    .await?;
    let out = match format {
        // Written to a file and opened in a browser: the charts embedded.
        "html" => crate::tell::chart::embed_charts(&render::html(&digest, None), &digest.charts),
        "markdown" => render::markdown(&digest),
        "json" => serde_json::to_string_pretty(
            &json!({"subject": render::subject(&digest), "digest": digest}),
        )?,
        _ => format!(
            "{}\n\n{}",
            render::subject(&digest),
            render::text(&digest, None)
        ),
    };
    println!("{out}");
    Ok(())
}

/// `tingjian digest send`: queues `period`'s digest for every subscription of the workspace
/// (once per subscription and period) and sends it now, through the outbox alone.
pub(super) async fn send(settings: &Settings, workspace: &str, period: &str) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let settings = &with_public_url(settings, &store).await?;
    anyhow::ensure!(
        store.workspace(workspace).await?.is_some(),
        "no workspace {workspace}"
    );
    let analyzer = Arc::new(Analyzer::new());
    let outbox = outbox(
        store.clone(),
        settings,
        analyzer,
        Arc::new(Counters::new()?),
        outgoing_client(settings)?,
    )?;
    let queued = outbox.send_now(workspace, period).await?;
    let rows = store.deliveries(workspace, None, 500).await?;
    let mine: Vec<_> = rows
        .iter()
        .filter(|d| d.kind == "digest" && d.period == period)
        .map(|d| json!({"id": d.id, "subscription_id": d.subscription_id, "status": d.status, "attempts": d.attempts, "last_error": d.last_error}))
        .collect();
    println!(
        "{}",
        json!({"period": period, "queued": queued, "deliveries": mine})
    );
    Ok(())
}

/// `tingjian bench-digest`: seeds a workspace with `items` synthetic analysed items, then
/// times building its digest for the last complete week against a baseline in the same run
/// (counting the workspace's items), and prints the medians.
pub(super) async fn bench_digest(
    store: &Store,
    items: u64,
    runs: usize,
    workspace: Option<String>,
    survey_responses: u64,
) -> anyhow::Result<()> {
    use crate::insight::period::Granularity;
    let now = chrono::Utc::now();
    let ws = match workspace {
        Some(id) => store
            .workspace(&id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no workspace {id}"))?,
        None => {
            let ws = store
                .create_workspace("bench-digest", "Asia/Shanghai")
                .await?;
            let started = Instant::now();
            store.seed_synthetic(&ws.id, items, now).await?;
            eprintln!(
                "seeded {items} items in {:.1} s (workspace {})",
                started.elapsed().as_secs_f64(),
                ws.id
            );
            if survey_responses > 0 {
                let def = crate::collect::survey::SurveyDefinition::parse(&serde_json::from_str(
                    crate::store::BENCH_SURVEY,
                )?)
                .map_err(|e| anyhow::anyhow!("the bench survey is invalid: {e:?}"))?;
                let survey = store
                    .create_survey(&ws.id, &def.title, serde_json::to_value(&def)?, json!([]))
                    .await?;
                let started = Instant::now();
                store
                    .seed_synthetic_survey(&ws.id, &survey.id, survey_responses, now)
                    .await?;
                eprintln!(
                    "seeded {survey_responses} responses in {:.1} s (survey {})",
                    started.elapsed().as_secs_f64(),
                    survey.id
                );
            }
            // As the server's warmer would on its next pass: the drivers' and segments' days.
            let started = Instant::now();
            store.warm_insight_days(now, 0).await?;
            eprintln!(
                "warmed the insight caches in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            ws
        }
    };
    let analyzer = Analyzer::new();
    let period =
        crate::tell::build::last_complete_period(now, chrono_tz::Asia::Shanghai, Granularity::Week);
    let (mut digest_ms, mut count_ms) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let n = store.feedback_count(&ws.id).await?;
        count_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(
            n == items + survey_responses,
            "expected {} items, found {n}",
            items + survey_responses
        );
        let t = Instant::now();
        let digest =
            crate::tell::build::build_digest(store, &analyzer, "http://localhost", &ws.id, &period)
                .await?;
        digest_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(
            !digest.pain_points.is_empty(),
            "the digest found no pain points"
        );
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (d, c) = (median(&mut digest_ms), median(&mut count_ms));
    println!(
        "{}",
        json!({
            "backend": format!("{:?}", store.backend()),
            "items": items,
            "period": period,
            "runs": runs,
            "digest_ms_median": (d * 10.0).round() / 10.0,
            "count_ms_median": (c * 10.0).round() / 10.0,
            "digest_over_count": ((d / c) * 100.0).round() / 100.0,
            "digest_ms_all": digest_ms,
        })
    );
    Ok(())
}
