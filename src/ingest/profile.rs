//! A workspace's profile: what it adds to the analysis (its `redact_pii` setting, dictionary,
//! categories, word weights learned from its label corrections, keyword IDF from its own
//! corpus), built on the blocking pool and kept per process for a minute.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::analysis::model::{inverse_document_frequency, word_weights};
use crate::analysis::{normalize, Analyzer, CorpusIdf, Label, UserDictionary, WorkspaceContext};
use crate::store::{Store, StoreError, StoreResult};

/// How long a workspace's dictionary, categories and learned weights are kept in memory.
/// Changes made through this process apply at once; other replicas see them within this.
const PROFILE_TTL: Duration = Duration::from_secs(60);
/// Below this many items a workspace's own IDF is too noisy; the shipped IDF is used.
const MIN_CORPUS: u64 = 300;
/// The most recent items its IDF is learned from.
const CORPUS_SAMPLE: u64 = 5_000;

/// What the pipeline knows of one workspace.
pub struct Profile {
    pub redact_pii: bool,
    /// The workspace's zone, for times other tools send without an offset.
    pub timezone: chrono_tz::Tz,
    pub context: WorkspaceContext,
}

/// The profiles this process built, by workspace, with the moment each was built, and one
/// lock per workspace that its builder holds: one build at a time. Without it, every request
/// that found a profile out of date built its own, each reading and segmenting up to 5,000
/// texts: under 32 concurrent webhook deliveries, a minute into the load, nine ran at once and
/// resident memory jumped by some 110 MB (docs/performance.md).
#[derive(Default)]
pub(super) struct Profiles {
    built: Mutex<HashMap<String, (Instant, Arc<Profile>)>>,
    building: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Profiles built, for the tests.
    #[cfg(test)]
    builds: std::sync::atomic::AtomicUsize,
}

impl Profiles {
    pub(super) fn invalidate(&self, workspace_id: &str) {
        if let Ok(mut p) = self.built.lock() {
            p.remove(workspace_id);
        }
    }

    /// The workspace's profile: from memory while it is fresh; when it is out of date, one
    /// caller builds it again while the others go on with the old one; when there is none,
    /// one caller builds it and the others wait for it.
    pub(super) async fn get(
        &self,
        store: &Store,
        analyzer: &Arc<Analyzer>,
        workspace_id: &str,
    ) -> StoreResult<Arc<Profile>> {
        let kept = self.kept(workspace_id);
        if let Some((at, profile)) = &kept {
            if at.elapsed() < PROFILE_TTL {
                return Ok(profile.clone());
            }
        }
        let lock = match self.building.lock() {
            Ok(mut b) => b.entry(workspace_id.to_owned()).or_default().clone(),
            Err(_) => Arc::default(),
        };
        let _building = match (lock.try_lock(), kept) {
            (Ok(guard), _) => guard,
            // Another caller is building it: the old one serves meanwhile.
            (Err(_), Some((_, old))) => return Ok(old),
            (Err(_), None) => lock.lock().await,
        };
        // Built while this caller waited for the lock?
        if let Some((at, profile)) = self.kept(workspace_id) {
            if at.elapsed() < PROFILE_TTL {
                return Ok(profile);
            }
        }
        let profile = Arc::new(load(store, analyzer.clone(), workspace_id).await?);
        #[cfg(test)]
        self.builds
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut p) = self.built.lock() {
            p.insert(workspace_id.to_owned(), (Instant::now(), profile.clone()));
        }
        Ok(profile)
    }

    fn kept(&self, workspace_id: &str) -> Option<(Instant, Arc<Profile>)> {
        let built = self.built.lock().ok()?;
        built.get(workspace_id).map(|(at, p)| (*at, p.clone()))
    }
}

async fn load(store: &Store, analyzer: Arc<Analyzer>, workspace_id: &str) -> StoreResult<Profile> {
    let ws = store
        .workspace(workspace_id)
        .await?
        .ok_or(StoreError::NotFound("workspace"))?;
    let words = store.dictionary(workspace_id).await?;
    let categories = store.custom_categories(workspace_id).await?;
    let corrections = store.corrected_texts(workspace_id).await?;
    let corpus = if store.feedback_count(workspace_id).await? >= MIN_CORPUS {
        store.recent_texts(workspace_id, CORPUS_SAMPLE).await?
    } else {
        Vec::new()
    };
    let brand = normalize::normalize(&ws.name).text;
    let context = tokio::task::spawn_blocking(move || {
        let dictionary = (!words.is_empty()).then(|| UserDictionary::new(words));
        let taxonomy = (!categories.is_empty()).then(|| analyzer.taxonomy_with(&categories));
        let cut = |t: &str| analyzer.tokens(t, dictionary.as_ref());
        // The workspace's corrections teach its own word weights, on top of the model.
        let labelled: Vec<(Vec<String>, Label)> =
            corrections.iter().map(|(t, l)| (cut(t), *l)).collect();
        let lexicon = analyzer.lexicon();
        let skip = |t: &str| lexicon.stopwords.contains(t);
        let weights = if labelled.is_empty() {
            Default::default()
        } else {
            word_weights(&labelled, 2, &skip)
        };
        let idf = (!corpus.is_empty()).then(|| {
            let docs: Vec<Vec<String>> = corpus.iter().map(|t| cut(t)).collect();
            let (idf, unseen) = inverse_document_frequency(&docs);
            CorpusIdf { idf, unseen }
        });
        WorkspaceContext {
            dictionary,
            taxonomy,
            weights,
            idf,
            brands: (brand.chars().count() >= 2)
                .then_some(brand)
                .into_iter()
                .collect(),
        }
    })
    .await
    .map_err(|e| StoreError::Conflict(format!("profile task failed: {e}")))?;
    Ok(Profile {
        redact_pii: ws.redact_pii,
        timezone: ws.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai),
        context,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_callers_build_a_profile_once() {
        let dir = tempfile::tempdir().unwrap();
        let (store, ws) =
            crate::store::testing::store_with_workspace(&dir.path().join("t.db")).await;
        let analyzer = Arc::new(Analyzer::new());
        let profiles = Profiles::default();
        let builds = || profiles.builds.load(std::sync::atomic::Ordering::Relaxed);
        // Sixteen callers at once, then how many profiles were built in all.
        let sixteen = || async {
            let got = futures_util::future::join_all(
                (0..16).map(|_| profiles.get(&store, &analyzer, &ws)),
            )
            .await;
            assert!(got.iter().all(Result::is_ok));
            builds()
        };
        assert_eq!(sixteen().await, 1);
        // Out of date: one caller builds it again, the others are served the old one.
        if let Ok(mut b) = profiles.built.lock() {
            let at = Instant::now().checked_sub(PROFILE_TTL).unwrap();
            b.get_mut(&ws).unwrap().0 = at;
        }
        assert_eq!(sixteen().await, 2);
        // A change drops it: the next caller builds it.
        profiles.invalidate(&ws);
        profiles.get(&store, &analyzer, &ws).await.unwrap();
        assert_eq!(builds(), 3);
    }
}
