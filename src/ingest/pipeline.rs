//! The pipeline itself: redaction and analysis of everything ingested, for every channel, with
//! the workspace's profile.

use std::sync::Arc;

use super::profile::Profile;
use super::report::stored_analysis;
use crate::analysis::{pii, Analyzer};
use crate::domain::{FeedbackText, NewFeedback};
use crate::store::{Store, StoreError, StoreResult};

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
}

impl Pipeline {
    pub fn new(store: Store, analyzer: Arc<Analyzer>) -> Self {
        Self {
            store,
            analyzer,
            profiles: super::profile::Profiles::default(),
            analysing: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
        }
    }

    /// The engine every item is analysed by.
    pub fn analyzer(&self) -> &Arc<Analyzer> {
        &self.analyzer
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
