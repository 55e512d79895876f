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

/// The profiles this process built, by workspace, with the moment each was built.
#[derive(Default)]
pub(super) struct Profiles(Mutex<HashMap<String, (Instant, Arc<Profile>)>>);

impl Profiles {
    pub(super) fn invalidate(&self, workspace_id: &str) {
        if let Ok(mut p) = self.0.lock() {
            p.remove(workspace_id);
        }
    }

    pub(super) async fn get(
        &self,
        store: &Store,
        analyzer: &Arc<Analyzer>,
        workspace_id: &str,
    ) -> StoreResult<Arc<Profile>> {
        if let Ok(p) = self.0.lock() {
            if let Some((at, profile)) = p.get(workspace_id) {
                if at.elapsed() < PROFILE_TTL {
                    return Ok(profile.clone());
                }
            }
        }
        let profile = Arc::new(load(store, analyzer.clone(), workspace_id).await?);
        if let Ok(mut p) = self.0.lock() {
            p.insert(workspace_id.to_owned(), (Instant::now(), profile.clone()));
        }
        Ok(profile)
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
