//! The pipeline itself: redaction and analysis of everything ingested, for every channel, with
//! the workspace's profile.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::profile::Profile;
use super::report::stored_analysis;
use crate::analysis::{pii, Analyzer};
use crate::domain::{FeedbackText, NewFeedback};
use crate::store::{Delivery, Store, StoreError, StoreResult};

/// Deliveries waiting for the analysis stage; beyond it a request waits to be queued.
const STAGE_QUEUE: usize = 256;
/// Items the analysis stage takes in one go (a delivery is never split).
const STAGE_ITEMS: usize = 4_000;
/// Items of webhook deliveries between the analysis stage and their commit at any moment: an
/// analysed item and the rows made of it take some kilobytes, and 32 concurrent deliveries of
/// 1,000 items each could all be analysed and queued at once. A delivery waits for room before it is
/// queued (a larger delivery takes the whole budget).
const ITEMS_IN_FLIGHT: usize = 8_000;
/// Bytes of signed webhook bodies read into items (and on their way to the store) at once,
/// taken once a body's signature checks out. A 1,000-item body of some 130 KB becomes a tree
/// of values and then items several times its size: without a bound, 32 such deliveries at
/// once were all parsed and held while 8 went through. Sixteen such bodies keep the writer
/// as busy as thirty-two did.
const BODIES_IN_FLIGHT: usize = 2 << 20;

/// Redaction and analysis of everything ingested, for every channel. Cheap to share: one per
/// process, behind an `Arc`.
pub struct Pipeline {
    pub(super) store: Store,
    pub(super) analyzer: Arc<Analyzer>,
    profiles: super::profile::Profiles,
    /// One permit per core: analyses running at once on the blocking pool. Without it, 32
    /// concurrent requests kept some 25 blocking threads busy on 2 cores, each with its own
    /// allocator heap (resident memory) and all switching in and out (docs/performance.md).
    analysing: Arc<tokio::sync::Semaphore>,
    /// The threads `POST /api/v1/analyze` analyses on, one per core.
    workers: crate::analysis::workers::Workers,
    /// The analysis stage of signed webhook deliveries ([`Pipeline::store_webhook`]), when the
    /// pipeline was made inside a runtime.
    stage: Option<mpsc::Sender<Delivered>>,
    /// Room for [`ITEMS_IN_FLIGHT`] items in the stage and the writer.
    in_flight: Arc<tokio::sync::Semaphore>,
    /// Room for [`BODIES_IN_FLIGHT`] bytes of signed webhook deliveries' bodies being read
    /// into items and on their way to the store.
    bodies: Arc<tokio::sync::Semaphore>,
}

/// A webhook delivery on its way through the analysis stage to the store's writer, which
/// answers `reply`.
struct Delivered {
    workspace_id: String,
    marker: (String, String),
    profile: Arc<Profile>,
    items: Vec<NewFeedback>,
    reply: oneshot::Sender<StoreResult<Delivery>>,
}

impl Pipeline {
    pub fn new(store: Store, analyzer: Arc<Analyzer>) -> Self {
        let stage = tokio::runtime::Handle::try_current().ok().map(|rt| {
            let (tx, rx) = mpsc::channel(STAGE_QUEUE);
            rt.spawn(analysis_stage(store.clone(), analyzer.clone(), rx));
            tx
        });
        Self {
            store,
            analyzer,
            profiles: super::profile::Profiles::default(),
            analysing: Arc::new(tokio::sync::Semaphore::new(crate::analysis::cores())),
            workers: crate::analysis::workers::Workers::new(crate::analysis::cores()),
            stage,
            in_flight: Arc::new(tokio::sync::Semaphore::new(ITEMS_IN_FLIGHT)),
            bodies: Arc::new(tokio::sync::Semaphore::new(BODIES_IN_FLIGHT)),
        }
    }

    /// Redacts, analyses and stores a signed webhook delivery's items with its marker, once
    /// (a redelivery stores nothing). The deliveries arriving together are analysed together
    /// on the blocking pool, one batch at a time, and handed to the store's writer without
    /// coming back here: a delivery crosses threads twice (to the stage, and its answer back)
    /// instead of four times, and the stage analyses the next batch while the writer stores
    /// the last one.
    pub async fn store_webhook(
        &self,
        workspace_id: &str,
        marker: (&str, &str),
        items: Vec<NewFeedback>,
    ) -> StoreResult<Delivery> {
        let Some(stage) = &self.stage else {
            let items = self.prepare(workspace_id, items).await?;
            return self
                .store
                .ingest_webhook(workspace_id, marker.0, marker.1, &items)
                .await;
        };
        let room = items.len().clamp(1, ITEMS_IN_FLIGHT) as u32;
        let _room = self
            .in_flight
            .acquire_many(room)
            .await
            .map_err(|_| stage_stopped())?;
        let (reply, answer) = oneshot::channel();
        let delivered = Delivered {
            workspace_id: workspace_id.to_owned(),
            marker: (marker.0.to_owned(), marker.1.to_owned()),
            profile: self.profile(workspace_id).await?,
            items,
            reply,
        };
        if stage.send(delivered).await.is_err() {
            return Err(stage_stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stage_stopped()))
    }

    /// Waits for room to read a signed delivery's body of `bytes` into items (a body larger
    /// than the whole budget takes all of it), held until the delivery is answered.
    pub async fn room_for_body(
        &self,
        bytes: usize,
    ) -> StoreResult<tokio::sync::OwnedSemaphorePermit> {
        let n = bytes.clamp(1, BODIES_IN_FLIGHT) as u32;
        self.bodies
            .clone()
            .acquire_many_owned(n)
            .await
            .map_err(|_| stage_stopped())
    }

    /// The engine every item is analysed by.
    pub fn analyzer(&self) -> &Arc<Analyzer> {
        &self.analyzer
    }

    /// The threads that analyse texts for the API, one per core.
    pub fn workers(&self) -> &crate::analysis::workers::Workers {
        &self.workers
    }

    /// Forget a workspace's profile (after its dictionary, categories or labels change).
    pub fn invalidate(&self, workspace_id: &str) {
        self.profiles.invalidate(workspace_id);
    }

    /// What the workspace adds to the analysis, from the cache when it is fresh.
    pub async fn profile(&self, workspace_id: &str) -> StoreResult<Arc<Profile>> {
        self.profiles
            .get(&self.store, &self.analyzer, workspace_id)
            .await
    }

    /// Redacts and analyses items for a workspace, on the blocking pool, at most one batch
    /// per core at a time (the others wait here, without a thread).
    pub async fn prepare(
        &self,
        workspace_id: &str,
        items: Vec<NewFeedback>,
    ) -> StoreResult<Vec<NewFeedback>> {
        if items.is_empty() {
            return Ok(items);
        }
        let profile = self.profile(workspace_id).await?;
        let analyzer = self.analyzer.clone();
        let permit = self
            .analysing
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Conflict(format!("analysis closed: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            prepare_items(&analyzer, &profile, items)
        })
        .await
        .map_err(|e| StoreError::Conflict(format!("analysis task failed: {e}")))
    }

    /// Redacts personal data from text kept beside the feedback (interview turns, survey
    /// answers), as [`Pipeline::prepare`] does for the feedback itself, unless the workspace
    /// opted out.
    pub async fn redact(&self, workspace_id: &str, texts: &mut [&mut String]) -> StoreResult<()> {
        if self.profile(workspace_id).await?.redact_pii {
            for t in texts.iter_mut() {
                if let std::borrow::Cow::Owned(clean) = pii::redact(t) {
                    **t = clean;
                }
            }
        }
        Ok(())
    }
}

fn stage_stopped() -> StoreError {
    StoreError::Conflict("the analysis stage has stopped".into())
}

/// The analysis stage: takes the deliveries waiting, analyses them in one blocking task (the
/// items of deliveries to one workspace in one `analyze_batch`, which spreads a large batch
/// over the cores), and hands each to the store's writer.
async fn analysis_stage(store: Store, analyzer: Arc<Analyzer>, mut rx: mpsc::Receiver<Delivered>) {
    while let Some(first) = rx.recv().await {
        let mut weight = first.items.len();
        let mut batch = vec![first];
        while weight < STAGE_ITEMS {
            match rx.try_recv() {
                Ok(d) => {
                    weight += d.items.len();
                    batch.push(d);
                }
                Err(_) => break,
            }
        }
        let analyzer = analyzer.clone();
        let analysed = tokio::task::spawn_blocking(move || {
            analyse_together(&analyzer, &mut batch);
            batch
        })
        .await;
        match analysed {
            Ok(batch) => {
                for d in batch {
                    store
                        .submit_webhook(d.workspace_id, d.marker, d.items, d.reply)
                        .await;
                }
            }
            // Its deliveries' replies went with it: each request answers with an error.
            Err(e) => tracing::error!(error = %e, "the analysis of webhook deliveries failed"),
        }
    }
}

/// [`prepare_items`] over several deliveries, those with the same profile together.
fn analyse_together(analyzer: &Analyzer, batch: &mut [Delivered]) {
    let mut done = vec![false; batch.len()];
    for i in 0..batch.len() {
        if done[i] {
            continue;
        }
        let profile = batch[i].profile.clone();
        let group: Vec<usize> = (i..batch.len())
            .filter(|&j| !done[j] && Arc::ptr_eq(&batch[j].profile, &profile))
            .collect();
        let counts: Vec<usize> = group.iter().map(|&j| batch[j].items.len()).collect();
        let mut items = Vec::with_capacity(counts.iter().sum());
        for &j in &group {
            done[j] = true;
            items.append(&mut batch[j].items);
        }
        let mut items = prepare_items(analyzer, &profile, items).into_iter();
        for (&j, n) in group.iter().zip(counts) {
            batch[j].items = items.by_ref().take(n).collect();
        }
    }
}

pub fn prepare_items(
    analyzer: &Analyzer,
    profile: &Profile,
    mut items: Vec<NewFeedback>,
) -> Vec<NewFeedback> {
    if profile.redact_pii {
        for item in &mut items {
            if let std::borrow::Cow::Owned(clean) = pii::redact(item.text.as_str()) {
                // Redaction only shortens text, so it stays valid.
                if let Ok(t) = FeedbackText::parse(&clean) {
                    item.text = t;
                }
            }
            if let Some(author) = &item.author {
                if let std::borrow::Cow::Owned(clean) = pii::redact(author) {
                    item.author = Some(clean);
                }
            }
        }
    }
    let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    let analyses = analyzer.analyze_batch(&texts, &profile.context);
    for (item, a) in items.iter_mut().zip(analyses) {
        item.analysis = Some(stored_analysis(&a));
    }
    items
}
