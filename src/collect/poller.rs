//! Polls social feeds when they are due. State lives in the database (next poll time, ETag,
//! Last-Modified), and a feed is claimed by compare-and-set, so any number of replicas can
//! run the poller and each feed is fetched once per interval.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use super::feeds::{entry_to_feedback, mentions_keyword, parse_feed};
use super::fetch::{fetch, FeedError, FetchOutcome};
use super::source::FeedSettings;
use crate::counters::Counters;
use crate::domain::Clock;
use crate::ingest::Pipeline;
use crate::store::{Source, StoreError};

/// What polling needs, built once at start-up; cheap to clone.
#[derive(Clone)]
pub struct Poller {
    pub store: crate::store::Store,
    pub pipeline: Arc<Pipeline>,
    pub counters: Arc<Counters>,
    /// Redirects, timeouts and TLS as every outgoing request of the service has them.
    pub http: reqwest::Client,
    pub clock: Clock,
}

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

impl Poller {
    /// Fetches one feed, keeps the entries that mention a keyword, stores the new ones.
    pub async fn poll_source(&self, src: &Source) -> Result<PollOutcome, PollError> {
        let feed = FeedSettings::from_stored(&src.settings);
        let (url, keywords) = (feed.url.as_str(), &feed.keywords);
        let etag = src.poll_state.get("etag").and_then(Value::as_str);
        let last_modified = src.poll_state.get("last_modified").and_then(Value::as_str);
        let now = self.clock.now();
        let result = fetch(&self.http, url, etag, last_modified).await;
        let (body, etag, last_modified) = match result {
            Ok(FetchOutcome::NotModified) => {
                self.counters
                    .feed_polls
                    .with_label_values(&["not_modified"])
                    .inc();
                let mut st = src.poll_state.clone();
                st["last_polled_at"] = json!(now);
                st["last_error"] = Value::Null;
                self.store.save_poll_state(&src.id, st).await?;
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
                self.counters.feed_polls.with_label_values(&["error"]).inc();
                let mut st = src.poll_state.clone();
                st["last_polled_at"] = json!(now);
                st["last_error"] = json!(e.to_string());
                self.store.save_poll_state(&src.id, st).await?;
                return Err(e.into());
            }
        };
        let entries = match parse_feed(&body) {
            Ok(entries) => entries,
            Err(e) => {
                self.counters.feed_polls.with_label_values(&["error"]).inc();
                self.store
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
            .filter(|e| mentions_keyword(&e.text, keywords))
            .filter_map(|e| entry_to_feedback(&src.id, &src.name, e, now))
            .collect();
        let items = self.pipeline.prepare(&src.workspace_id, items).await?;
        let done = self.store.ingest(&src.workspace_id, &items).await?;
        self.counters.feed_polls.with_label_values(&["ok"]).inc();
        self.counters.stored("social", done.stored);
        self.store
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

    /// Polls every due feed, then sleeps `tick`; runs until the process stops.
    pub async fn run(self, tick: Duration) {
        loop {
            while let Some(src) = match self.store.claim_due_feed(self.clock.now()).await {
                Ok(src) => src,
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim a due feed");
                    None
                }
            } {
                if let Err(e) = self.poll_source(&src).await {
                    tracing::warn!(source = %src.id, error = %e, "feed poll failed");
                }
            }
            tokio::time::sleep(tick).await;
        }
    }
}
