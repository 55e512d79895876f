//! The data lifecycle: what the service stops keeping, and when. Webhook idempotency markers
//! go after [`MARKER_KEEP`], finished outbox deliveries after [`DELIVERY_KEEP`], and a
//! workspace with `retention_days` loses its feedback, survey responses and interview
//! transcripts older than that. A round runs every `lifecycle_tick` on one replica at a time
//! (a claim in the database), deleting in batches of at most [`Lifecycle::batch`] rows, each
//! kept to about 50 ms and followed by a pause, so writers never wait long behind it.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::{Clock, RetentionDays};
use crate::store::{Store, StoreResult};

/// How long a webhook delivery's id is remembered, so that a redelivery stores nothing: a
/// week, longer than any sender's retries last (Svix, which sends Standard Webhooks, retries
/// for about 28 hours, Tally for about 32, Typeform for at most 10; docs/operations.md cites
/// them). A redelivery after this is stored again unless its items carry an `external_id`.
pub const MARKER_KEEP: Duration = Duration::days(7);

/// How long a sent, failed or cancelled delivery stays in the outbox (and in
/// `GET /api/v1/digest-deliveries`), counted from when it was queued.
pub const DELIVERY_KEEP: Duration = Duration::days(90);

/// Rows deleted per statement at most (each statement its own short transaction).
pub const BATCH: u64 = 500;

/// Rows in the first batch of a run, before its time is known.
const FIRST_BATCH: u64 = 50;

/// How long one batch should hold the database: batches that take longer are made smaller.
const BATCH_TARGET: StdDuration = StdDuration::from_millis(50);

/// The shortest pause between two batches: other writers take the database in between.
const BATCH_PAUSE: StdDuration = StdDuration::from_millis(10);

/// What the lifecycle works with, built once at start-up; cheap to clone.
#[derive(Clone)]
pub struct Lifecycle {
    pub store: Store,
    pub clock: Clock,
    /// The most rows per delete statement ([`BATCH`]; a test makes it small to see several
    /// batches).
    pub batch: u64,
}

/// What pruning deleted.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Pruned {
    pub webhook_markers: u64,
    pub deliveries: u64,
}

/// What one workspace's retention deleted.
#[derive(Debug, Clone, Serialize)]
pub struct Retained {
    pub workspace_id: String,
    pub retention_days: u16,
    /// Everything given (feedback, responses) or uploaded (interviews) before this went.
    pub before: DateTime<Utc>,
    pub feedback: u64,
    pub survey_responses: u64,
    pub interviews: u64,
}

/// One round: pruning, then each workspace's retention.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    pub pruned: Pruned,
    pub retention: Vec<Retained>,
}

impl Lifecycle {
    pub fn new(store: Store, clock: Clock) -> Self {
        Self {
            store,
            clock,
            batch: BATCH,
        }
    }

    /// Prunes and applies every workspace's retention as of `now`.
    pub async fn run_once(&self, now: DateTime<Utc>) -> StoreResult<Round> {
        let pruned = self.prune(now).await?;
        let retention = self.apply_retention(now).await?;
        Ok(Round { pruned, retention })
    }

    /// Deletes the webhook markers and finished deliveries that have served their time.
    #[tracing::instrument(skip_all)]
    pub async fn prune(&self, now: DateTime<Utc>) -> StoreResult<Pruned> {
        let webhook_markers = self
            .batches(|n| self.store.prune_webhook_markers(now - MARKER_KEEP, n))
            .await?;
        let deliveries = self
            .batches(|n| self.store.prune_deliveries(now - DELIVERY_KEEP, n))
            .await?;
        let pruned = Pruned {
            webhook_markers,
            deliveries,
        };
        if pruned != Pruned::default() {
            tracing::info!(webhook_markers, deliveries, "pruned");
        }
        Ok(pruned)
    }

    /// Deletes, in each workspace that keeps feedback for `retention_days`, what is older:
    /// feedback items by when they were given (their pain points, keywords and label
    /// corrections with them), survey responses by when they were given (their answers with
    /// them, and off the survey's counts), and interviews by when they were uploaded.
    /// Respondent portraits are sums of these and shrink with them.
    pub async fn apply_retention(&self, now: DateTime<Utc>) -> StoreResult<Vec<Retained>> {
        let mut done = Vec::new();
        for (workspace_id, days) in self.store.retained_workspaces().await? {
            let r = self
                .retain(&workspace_id, days, now - days.duration())
                .await?;
            if r.feedback + r.survey_responses + r.interviews > 0 {
                tracing::info!(
                    workspace = %r.workspace_id,
                    feedback = r.feedback,
                    survey_responses = r.survey_responses,
                    interviews = r.interviews,
                    "retention applied"
                );
            }
            done.push(r);
        }
        Ok(done)
    }

    /// One workspace's retention: what was given (or uploaded) before `before` goes.
    async fn retain(
        &self,
        ws: &str,
        days: RetentionDays,
        before: DateTime<Utc>,
    ) -> StoreResult<Retained> {
        let store = &self.store;
        let feedback = self
            .batches(|n| store.delete_feedback_before(ws, before, n))
            .await?;
        let mut survey_responses = 0;
        for survey in store.surveys_with_responses_before(ws, before).await? {
            survey_responses += self
                .batches(|n| store.delete_responses_before(ws, &survey, before, n))
                .await?;
        }
        let interviews = self
            .batches(|n| store.delete_interviews_before(ws, before, n))
            .await?;
        Ok(Retained {
            workspace_id: ws.to_owned(),
            retention_days: days.days(),
            before,
            feedback,
            survey_responses,
            interviews,
        })
    }

    /// Runs `delete` (one batch of at most `n` rows) until a batch comes back short; returns
    /// the rows deleted in all. A batch that held the database longer than [`BATCH_TARGET`]
    /// makes the next one smaller (down to one row), a quick one the next larger (up to
    /// `self.batch`); after each batch the database is left alone for as long as the batch
    /// took (at least [`BATCH_PAUSE`]), so writers waiting for it get their turn: SQLite's
    /// waiting writers poll rather than queue.
    async fn batches<F, Fut>(&self, delete: F) -> StoreResult<u64>
    where
        F: Fn(u64) -> Fut,
        Fut: std::future::Future<Output = StoreResult<u64>>,
    {
        let mut total = 0;
        // Start small: the first batch's time is not known yet.
        let mut n = self.batch.clamp(1, FIRST_BATCH);
        loop {
            let started = Instant::now();
            let deleted = delete(n).await?;
            total += deleted;
            if deleted < n {
                return Ok(total);
            }
            let took = started.elapsed();
            if took > BATCH_TARGET {
                n = (n / 2).max(1);
            } else if took < BATCH_TARGET / 4 {
                n = (n * 2).min(self.batch.max(1));
            }
            tokio::time::sleep(took.clamp(BATCH_PAUSE, BATCH_TARGET * 4)).await;
        }
    }

    /// Runs a round every `tick`, for as long as the process runs, on whichever replica
    /// claims it first (the others skip that tick).
    pub async fn run(self, tick: StdDuration) {
        let every = Duration::from_std(tick).unwrap_or(Duration::hours(1));
        // A replica whose tick comes a moment early still finds its own last claim old enough.
        let every = every - every / 10;
        let mut tick = tokio::time::interval(tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = self.clock.now();
            match self.store.claim_job("lifecycle", now, every).await {
                Ok(true) => {
                    if let Err(e) = self.run_once(now).await {
                        tracing::warn!(error = %e, "data lifecycle round failed; will try again next tick");
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "claiming the data lifecycle round failed"),
            }
        }
    }
}
