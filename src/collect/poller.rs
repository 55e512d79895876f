//! Polls the sources Tingjian fetches from (social feeds, app stores) when they are due.
//! State lives in the database (next poll time; a feed's ETag and Last-Modified; a store's
//! newest review time), and a source is claimed by compare-and-set, so any number of replicas
//! can run the poller and each source is fetched once per interval.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use super::feeds::{entry_to_feedback, mentions_keyword, parse_feed};
use super::fetch::{fetch, FeedError, FetchOutcome};
use super::source::{AppStoreSettings, FeedSettings, GooglePlaySettings, SourceKind};
use super::stores::{app_store, google_play, to_stored, PullError, Pulled};
use crate::counters::Counters;
use crate::domain::Clock;
use crate::ingest::Pipeline;
use crate::store::{ResponsesDelivery, Source, StoreError};

/// What polling needs, built once at start-up; cheap to clone.
#[derive(Clone)]
pub struct Poller {
    pub store: crate::store::Store,
    pub pipeline: Arc<Pipeline>,
    pub counters: Arc<Counters>,
    /// Redirects, timeouts and TLS as every outgoing request of the service has them.
    pub http: crate::domain::net::Outbound,
    pub clock: Clock,
}

#[derive(Debug, Serialize)]
pub struct PollOutcome {
    pub fetched: usize,
    pub stored: u64,
    pub not_modified: bool,
    /// Reviews edited since they were stored, whose text was replaced (app stores).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<u64>,
    /// The store's first page had no reviews (App Store: also its answer when throttling);
    /// nothing was stored.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub empty: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Pull(#[from] PullError),
}

/// The kinds the poller claims, by name.
fn pulled_kinds() -> Vec<&'static str> {
    SourceKind::PULLED.iter().map(|k| k.as_str()).collect()
}

impl Poller {
    /// Polls one source by its kind: a feed, or an app store's reviews.
    pub async fn poll_source(&self, src: &Source) -> Result<PollOutcome, PollError> {
        match SourceKind::parse(&src.kind) {
            Some(kind @ (SourceKind::AppStore | SourceKind::GooglePlay)) => {
                self.poll_reviews(src, kind).await
            }
            _ => self.poll_feed(src).await,
        }
    }

    /// Fetches one feed, keeps the entries that mention a keyword, stores the new ones.
    async fn poll_feed(&self, src: &Source) -> Result<PollOutcome, PollError> {
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
                    changed: None,
                    empty: false,
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
            changed: None,
            empty: false,
        })
    }

    /// Reads an app store's reviews (those since the last poll's newest, as far as the store
    /// lets it tell) and stores each as a response with its text: a new review once, an edited
    /// one replacing its text. An empty first page is recorded and stores nothing.
    async fn poll_reviews(&self, src: &Source, kind: SourceKind) -> Result<PollOutcome, PollError> {
        let now = self.clock.now();
        let state = &src.poll_state;
        let since = state
            .get("newest_at")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<DateTime<Utc>>().ok());
        let pulled = match kind {
            SourceKind::GooglePlay => {
                let settings = GooglePlaySettings::from_stored(&src.settings);
                google_play::pull(&self.http, &settings, since, now).await
            }
            _ => {
                let settings = AppStoreSettings::from_stored(&src.settings);
                app_store::pull(&self.http, &settings, since).await
            }
        };
        let mut st = json!({
            "last_polled_at": now,
            "last_error": null,
            "newest_at": since,
        });
        let Pulled {
            reviews,
            pages,
            empty_first_page,
            cut_short,
        } = match pulled {
            Ok(p) => p,
            Err(e) => {
                self.counters.feed_polls.with_label_values(&["error"]).inc();
                st["last_error"] = json!(e.to_string());
                self.store.save_poll_state(&src.id, st).await?;
                return Err(e.into());
            }
        };
        st["last_pages"] = json!(pages);
        if empty_first_page {
            self.counters.feed_polls.with_label_values(&["empty"]).inc();
            let empties = state
                .get("empty_polls")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            st["empty_polls"] = json!(empties + 1);
            st["last_fetched"] = json!(0);
            st["last_stored"] = json!(0);
            st["last_note"] = json!(
                "the store answered with no reviews: none yet, or (App Store) throttled; nothing stored"
            );
            self.store.save_poll_state(&src.id, st).await?;
            tracing::info!(source = %src.id, "store answered with no reviews");
            return Ok(PollOutcome {
                fetched: 0,
                stored: 0,
                not_modified: false,
                changed: Some(0),
                empty: true,
            });
        }
        let platform = kind.as_str();
        let mut batch = Vec::with_capacity(reviews.len());
        let mut items = Vec::new();
        for r in &reviews {
            let (response, own) = to_stored(&src.id, &src.name, platform, r, now);
            batch.push((response, own.len()));
            items.extend(own);
        }
        let mut items = self
            .pipeline
            .prepare(&src.workspace_id, items)
            .await?
            .into_iter();
        // The pipeline keeps the items' order: each review takes back as many as it gave.
        let batch: Vec<_> = batch
            .into_iter()
            .map(|(response, n)| (response, items.by_ref().take(n).collect()))
            .collect();
        let done = match self
            .store
            .ingest_responses(&src.workspace_id, None, &batch)
            .await?
        {
            ResponsesDelivery::New(done) => done,
            ResponsesDelivery::Replay => Default::default(),
        };
        self.counters.feed_polls.with_label_values(&["ok"]).inc();
        self.counters.stored("review", done.stored);
        let newest = reviews.iter().filter_map(|r| r.updated_at).max();
        st["newest_at"] = json!(since.max(newest));
        // Said, not acted on: a store whose `last` link overstates its pages would otherwise
        // be read from the start on every poll.
        if cut_short {
            st["last_note"] = json!(
                "the store answered an empty page before the page it called last (throttled?); older reviews may be missing until they are edited"
            );
        }
        st["last_fetched"] = json!(reviews.len());
        st["last_stored"] = json!(done.stored);
        st["last_changed"] = json!(done.changed);
        self.store.save_poll_state(&src.id, st).await?;
        tracing::info!(
            source = %src.id,
            fetched = reviews.len(),
            stored = done.stored,
            changed = done.changed,
            "store reviews polled"
        );
        Ok(PollOutcome {
            fetched: reviews.len(),
            stored: done.stored,
            not_modified: false,
            changed: Some(done.changed),
            empty: false,
        })
    }

    /// Polls every due source (feeds, app stores), then sleeps `tick`; runs until the
    /// process stops. Each source is claimed for `lease` (or its interval if shorter), which
    /// must be longer than a poll can take: a replica that dies mid-poll leaves the source to
    /// another replica once the lease ends.
    pub async fn run(self, tick: Duration, lease: Duration) {
        let kinds = pulled_kinds();
        let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(10));
        loop {
            loop {
                let at = self.clock.now();
                let (src, until) = match self.store.claim_due_source(at, &kinds, lease).await {
                    Ok(Some(claimed)) => claimed,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not claim a due source");
                        break;
                    }
                };
                tracing::debug!(source = %src.id, "claimed a due source");
                if let Err(e) = self.poll_source(&src).await {
                    tracing::warn!(source = %src.id, kind = %src.kind, error = %e, "poll failed");
                }
                if let Err(e) = self.store.finish_poll(&src, at, until).await {
                    // The lease ends by itself; the source is polled again a little early.
                    tracing::warn!(source = %src.id, error = %e, "could not end a poll's claim");
                }
            }
            tokio::time::sleep(tick).await;
        }
    }
}
