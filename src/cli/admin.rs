//! Commands on the store: create a workspace or a key, import a CSV file, re-analyse stored
//! feedback. Each prints one JSON object (or a progress bar on stderr) and exits.

use std::path::Path;
use std::sync::Arc;

use chrono::{Offset, TimeZone};
use serde_json::json;

use crate::analysis::{Analyzer, ANALYZER_VERSION};
use crate::config::Settings;
use crate::domain::{Scope, Scopes};
use crate::ingest::{Pipeline, Progress};
use crate::startup::open_store;

/// `tingjian workspace create`: a workspace and its first admin key.
pub(super) async fn create_workspace(
    settings: &Settings,
    name: &str,
    timezone: &str,
) -> anyhow::Result<()> {
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 100,
        "the name must be 1 to 100 characters"
    );
    anyhow::ensure!(
        timezone.parse::<chrono_tz::Tz>().is_ok(),
        "unknown time zone {timezone:?} (use an IANA name such as Asia/Shanghai)"
    );
    let store = open_store(settings).await?;
    let ws = store.create_workspace(name, timezone).await?;
    let (_, key) = store
        .create_key(&ws.id, "admin (created with the workspace)", &Scopes::all())
        .await?;
    println!("{}", json!({"workspace_id": ws.id, "api_key": key}));
    Ok(())
}

/// `tingjian key create`: a key with the given scopes, shown once.
pub(super) async fn create_key(
    settings: &Settings,
    workspace: &str,
    name: &str,
    scopes: &str,
) -> anyhow::Result<()> {
    let parsed: Option<Vec<Scope>> = scopes.split(',').map(Scope::parse).collect();
    let scopes = parsed.filter(|s| !s.is_empty()).ok_or_else(|| {
        anyhow::anyhow!("scopes are a comma-separated list of ingest, read, admin")
    })?;
    let store = open_store(settings).await?;
    anyhow::ensure!(
        store.workspace(workspace).await?.is_some(),
        "no workspace {workspace}"
    );
    let (key, plaintext) = store
        .create_key(workspace, name, &Scopes::new(scopes))
        .await?;
    println!(
        "{}",
        json!({"id": key.id, "api_key": plaintext, "scopes": key.scopes.split(',').collect::<Vec<_>>()})
    );
    Ok(())
}

/// `tingjian import csv`: the file's rows through the pipeline, committed every 5,000 rows so
/// that a large file is not one huge transaction (a stopped import run again stores only what
/// is missing).
pub(super) async fn import_csv(
    settings: &Settings,
    file: &Path,
    workspace: &str,
    map: &[String],
    source: &str,
) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let ws = store
        .workspace(workspace)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no workspace {workspace}"))?;
    let mapping = crate::collect::import::ColumnMapping::parse(map)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
    let bytes = std::fs::read(file)?;
    let tz: chrono_tz::Tz = ws.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let now = settings.clock.now();
    let offset = tz.offset_from_utc_datetime(&now.naive_utc()).fix();
    let report = crate::collect::import::parse_csv(&bytes, &mapping, source, offset, now)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
    let pipeline = Pipeline::new(store.clone(), Arc::new(Analyzer::new()));
    let accepted = report.accepted.len();
    let mut done = crate::store::Ingested::default();
    let mut items = report.accepted.into_iter().peekable();
    while items.peek().is_some() {
        let chunk = pipeline
            .prepare(&ws.id, items.by_ref().take(5_000).collect())
            .await?;
        let d = store.ingest(&ws.id, &chunk).await?;
        done.stored += d.stored;
        done.duplicates += d.duplicates;
    }
    println!(
        "{}",
        json!({"accepted": accepted, "stored": done.stored, "duplicates": done.duplicates, "rejected": report.rejected})
    );
    Ok(())
}

/// A progress bar on stderr.
struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn total(&mut self, items: u64) {
        self.0.set_length(items);
    }
    fn done(&mut self, items: u64) {
        self.0.inc(items);
    }
}

/// `tingjian reanalyze`: brings stored analyses up to the current engine, with a progress bar.
pub(super) async fn reanalyze(
    settings: &Settings,
    workspace: Option<String>,
    all: bool,
) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let analyzer = Arc::new(tokio::task::spawn_blocking(Analyzer::new).await?);
    let pipeline = Pipeline::new(store.clone(), analyzer);
    let workspaces = match workspace {
        Some(ws) => {
            anyhow::ensure!(store.workspace(&ws).await?.is_some(), "no workspace {ws}");
            vec![ws]
        }
        None => store.workspace_ids().await?,
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} items, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut progress = Bar(bar);
    crate::ingest::reanalyze(&pipeline, &workspaces, all, &mut progress).await?;
    progress.0.finish();
    eprintln!(
        "re-analysed {} items with engine {ANALYZER_VERSION}",
        progress.0.position()
    );
    Ok(())
}
