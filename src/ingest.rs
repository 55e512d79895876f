//! The ingest pipeline between collect and store: personal data is redacted (unless the
//! workspace opted out) and every item analysed, off the async executor, before the items
//! are stored with their analysis in one transaction. Also re-analysis of stored items.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::analysis::model::{inverse_document_frequency, word_weights};
use crate::analysis::{
    pii, Analysis, Analyzer, CorpusIdf, Label, UserDictionary, WorkspaceContext,
};
use crate::domain::{FeedbackAnalysis, FeedbackText, NewFeedback};
use crate::store::{Store, StoreError, StoreResult};
use crate::tools::analysis_json;

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
    pub context: WorkspaceContext,
}

pub struct Pipeline {
    pub analyzer: Arc<Analyzer>,
    profiles: Mutex<HashMap<String, (Instant, Arc<Profile>)>>,
}

impl Pipeline {
    pub fn new(analyzer: Arc<Analyzer>) -> Self {
        Self {
            analyzer,
            profiles: Mutex::new(HashMap::new()),
        }
    }

    /// Forget a workspace's profile (after its dictionary, categories or labels change).
    pub fn invalidate(&self, workspace_id: &str) {
        if let Ok(mut p) = self.profiles.lock() {
            p.remove(workspace_id);
        }
    }

    pub async fn profile(&self, store: &Store, workspace_id: &str) -> StoreResult<Arc<Profile>> {
        if let Ok(p) = self.profiles.lock() {
            if let Some((at, profile)) = p.get(workspace_id) {
                if at.elapsed() < PROFILE_TTL {
                    return Ok(profile.clone());
                }
            }
        }
        let profile = Arc::new(self.load_profile(store, workspace_id).await?);
        if let Ok(mut p) = self.profiles.lock() {
            p.insert(workspace_id.to_owned(), (Instant::now(), profile.clone()));
        }
        Ok(profile)
    }

    async fn load_profile(&self, store: &Store, workspace_id: &str) -> StoreResult<Profile> {
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
        let analyzer = self.analyzer.clone();
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
            }
        })
        .await
        .map_err(|e| StoreError::Conflict(format!("profile task failed: {e}")))?;
        Ok(Profile {
            redact_pii: ws.redact_pii,
            context,
        })
    }

    /// Redacts and analyses items for a workspace, on the blocking pool.
    pub async fn prepare(
        &self,
        store: &Store,
        workspace_id: &str,
        items: Vec<NewFeedback>,
    ) -> StoreResult<Vec<NewFeedback>> {
        if items.is_empty() {
            return Ok(items);
        }
        let profile = self.profile(store, workspace_id).await?;
        let analyzer = self.analyzer.clone();
        tokio::task::spawn_blocking(move || prepare_items(&analyzer, &profile, items))
            .await
            .map_err(|e| StoreError::Conflict(format!("analysis task failed: {e}")))
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

/// The stored form of an analysis.
pub fn stored_analysis(a: &Analysis) -> FeedbackAnalysis {
    let mut json = analysis_json(&serde_json::Value::Null, a);
    if let Some(obj) = json.as_object_mut() {
        obj.remove("id");
    }
    FeedbackAnalysis {
        sentiment: a.sentiment.label.as_str().to_owned(),
        score: f64::from(a.sentiment.score),
        pain_points: a.pain_points.clone(),
        keywords: a.keywords.iter().map(|k| k.word.clone()).collect(),
        json,
        version: a.version.to_owned(),
    }
}
