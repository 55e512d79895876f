//! Polls social feeds when they are due. State lives in the database (next poll time, ETag,
//! Last-Modified), and a feed is claimed by compare-and-set, so any number of replicas can
//! run the poller and each feed is fetched once per interval.

use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;
use serde_json::{json, Value};

use super::social::{self, FeedError, FetchOutcome};
use crate::http::AppState;
use crate::store::{Source, StoreError};

#[derive(Debug, Serialize)]
pub struct PollOutcome {
    pub fetched: usize,
    pub stored: u64,
    pub not_modified: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Feed(#[from] FeedError),
}

/// Fetches one feed, keeps the entries that mention a keyword, stores the new ones.
pub async fn poll_source(state: &AppState, src: &Source) -> Result<PollOutcome, PollError> {
    let url = src
        .settings
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let keywords: Vec<String> = src
        .settings
        .get("keywords")
        .and_then(|k| serde_json::from_value(k.clone()).ok())
        .unwrap_or_default();
    let etag = src.poll_state.get("etag").and_then(Value::as_str);
    let last_modified = src.poll_state.get("last_modified").and_then(Value::as_str);
    let now = Utc::now();
    let result = social::fetch(&state.http_client, url, etag, last_modified).await;
    let (body, etag, last_modified) = match result {
        Ok(FetchOutcome::NotModified) => {
            state
                .metrics
                .feed_polls
                .with_label_values(&["not_modified"])
                .inc();
            let mut st = src.poll_state.clone();
            st["last_polled_at"] = json!(now);
            st["last_error"] = Value::Null;
            state.store.save_poll_state(&src.id, st).await?;
            return Ok(PollOutcome {
                fetched: 0,
                stored: 0,
                not_modified: true,
            });
        }
        Ok(FetchOutcome::Fetched {
            body,
            etag,
            last_modified,
        }) => (body, etag, last_modified),
        Err(e) => {
            state.metrics.feed_polls.with_label_values(&["error"]).inc();
            let mut st = src.poll_state.clone();
            st["last_polled_at"] = json!(now);
            st["last_error"] = json!(e.to_string());
            state.store.save_poll_state(&src.id, st).await?;
            return Err(e.into());
        }
    };
    let entries = match social::parse_feed(&body) {
        Ok(entries) => entries,
        Err(e) => {
            state.metrics.feed_polls.with_label_values(&["error"]).inc();
            state
                .store
                .save_poll_state(
                    &src.id,
                    json!({"last_polled_at": now, "last_error": e.to_string()}),
                )
                .await?;
            return Err(e.into());
        }
    };
    let items: Vec<_> = entries
        .iter()
        .filter(|e| social::mentions_keyword(&e.text, &keywords))
        .filter_map(|e| social::entry_to_feedback(&src.id, &src.name, e, now))
        .collect();
    let items = state
        .pipeline
        .prepare(&state.store, &src.workspace_id, items)
        .await?;
    let done = state.store.ingest(&src.workspace_id, &items).await?;
    state.metrics.feed_polls.with_label_values(&["ok"]).inc();
    state.metrics.stored("social", done.stored);
    state
        .store
        .save_poll_state(
            &src.id,
            json!({
                "etag": etag,
                "last_modified": last_modified,
                "last_polled_at": now,
                "last_error": null,
                "last_fetched": entries.len(),
                "last_stored": done.stored,
            }),
        )
        .await?;
    tracing::info!(source = %src.id, fetched = entries.len(), stored = done.stored, "feed polled");
    Ok(PollOutcome {
        fetched: entries.len(),
        stored: done.stored,
        not_modified: false,
    })
}

/// Polls every due feed, then sleeps a tick; runs until the process stops.
pub async fn run(state: Arc<AppState>) {
    loop {
        while let Some(src) = match state.store.claim_due_feed(Utc::now()).await {
            Ok(src) => src,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim a due feed");
                None
            }
        } {
            if let Err(e) = poll_source(&state, &src).await {
                tracing::warn!(source = %src.id, error = %e, "feed poll failed");
            }
        }
        tokio::time::sleep(state.settings.poll_tick).await;
    }
}
