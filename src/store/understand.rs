//! What the analysis needs from storage and gives back: a workspace's dictionary and
//! categories, label corrections, corpus samples, and re-analysis of stored items.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use super::entity::{
    dictionary_word, feedback, feedback_keyword, feedback_label, feedback_pain_point,
    pain_point_category,
};
use super::{Store, StoreError, StoreResult};
use crate::analysis::{CustomCategory, Label};
use crate::domain::FeedbackAnalysis;

/// A stored item due for (re-)analysis.
pub struct StaleItem {
    pub id: String,
    pub text: String,
    pub corrected: bool,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub channel: String,
}

/// How a correction changes an item's pain points.
#[derive(Debug, Clone)]
pub enum PainEdit {
    /// Leave them as they are.
    Keep,
    /// Exactly these.
    Replace(Vec<String>),
    /// Add some and take some away, keeping the rest (bulk corrections across items that
    /// carry different pain points).
    Adjust {
        add: Vec<String>,
        remove: Vec<String>,
    },
}

impl Store {
    pub async fn dictionary(&self, workspace_id: &str) -> StoreResult<Vec<String>> {
        Ok(dictionary_word::Entity::find()
            .filter(dictionary_word::Column::WorkspaceId.eq(workspace_id))
            .order_by_asc(dictionary_word::Column::Word)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|w| w.word)
            .collect())
    }

    /// Adds words (already validated); words already there are kept as they are.
    pub async fn add_dictionary_words(
        &self,
        workspace_id: &str,
        words: &[String],
    ) -> StoreResult<u64> {
        if words.is_empty() {
            return Ok(0);
        }
        let at = self.now();
        let rows = words.iter().map(|w| dictionary_word::ActiveModel {
            workspace_id: Set(workspace_id.to_owned()),
            word: Set(w.clone()),
            created_at: Set(at),
        });
        Ok(dictionary_word::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    dictionary_word::Column::WorkspaceId,
                    dictionary_word::Column::Word,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?)
    }

    pub async fn delete_dictionary_word(
        &self,
        workspace_id: &str,
        word: &str,
    ) -> StoreResult<bool> {
        let res = dictionary_word::Entity::delete_many()
            .filter(dictionary_word::Column::WorkspaceId.eq(workspace_id))
            .filter(dictionary_word::Column::Word.eq(word))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected > 0)
    }

    pub async fn custom_categories(&self, workspace_id: &str) -> StoreResult<Vec<CustomCategory>> {
        let rows = pain_point_category::Entity::find()
            .filter(pain_point_category::Column::WorkspaceId.eq(workspace_id))
            .order_by_asc(pain_point_category::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| CustomCategory {
                id: r.id,
                name: r.name,
                keywords: serde_json::from_value(r.keywords).unwrap_or_default(),
                examples: serde_json::from_value(r.examples).unwrap_or_default(),
            })
            .collect())
    }

    /// Creates a category; a second one with the same id is a conflict.
    pub async fn create_category(&self, workspace_id: &str, c: &CustomCategory) -> StoreResult<()> {
        let row = pain_point_category::ActiveModel {
            workspace_id: Set(workspace_id.to_owned()),
            id: Set(c.id.clone()),
            name: Set(c.name.clone()),
            keywords: Set(json!(c.keywords)),
            examples: Set(json!(c.examples)),
            created_at: Set(self.now()),
        };
        match row.insert(&self.db).await {
            Ok(_) => Ok(()),
            Err(e) if super::error::is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "a category with id {} exists",
                c.id
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_category(&self, workspace_id: &str, id: &str) -> StoreResult<bool> {
        let res = pain_point_category::Entity::delete_many()
            .filter(pain_point_category::Column::WorkspaceId.eq(workspace_id))
            .filter(pain_point_category::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Records a person's labels for an item and applies them at once.
    pub async fn set_labels(
        &self,
        workspace_id: &str,
        feedback_id: &str,
        sentiment: Option<Label>,
        pain_points: Option<Vec<String>>,
    ) -> StoreResult<feedback::Model> {
        let edit = match pain_points {
            Some(p) => PainEdit::Replace(p),
            None => PainEdit::Keep,
        };
        let txn = self.db.begin().await?;
        let updated = self
            .label_one(&txn, workspace_id, feedback_id, sentiment, &edit)
            .await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// The same labels for many items, all or none: an id that is not the workspace's
    /// rolls everything back (`NotFound`).
    pub async fn set_labels_many(
        &self,
        workspace_id: &str,
        feedback_ids: &[String],
        sentiment: Option<Label>,
        edit: &PainEdit,
    ) -> StoreResult<u64> {
        let txn = self.db.begin().await?;
        for id in feedback_ids {
            self.label_one(&txn, workspace_id, id, sentiment, edit)
                .await?;
        }
        txn.commit().await?;
        Ok(feedback_ids.len() as u64)
    }

    async fn label_one(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        workspace_id: &str,
        feedback_id: &str,
        sentiment: Option<Label>,
        edit: &PainEdit,
    ) -> StoreResult<feedback::Model> {
        let item = feedback::Entity::find_by_id(feedback_id.to_owned())
            .filter(feedback::Column::WorkspaceId.eq(workspace_id))
            .one(txn)
            .await?
            .ok_or(StoreError::NotFound("feedback"))?;
        let existing = feedback_label::Entity::find_by_id(feedback_id.to_owned())
            .one(txn)
            .await?;
        let sentiment = sentiment
            .map(|l| l.as_str().to_owned())
            .or(existing.as_ref().and_then(|e| e.sentiment.clone()));
        let before: Option<Vec<String>> = existing
            .as_ref()
            .and_then(|e| e.pain_points.clone())
            .and_then(|v| serde_json::from_value(v).ok());
        let pains = match edit {
            PainEdit::Keep => before,
            PainEdit::Replace(p) => Some(p.clone()),
            PainEdit::Adjust { add, remove } => {
                // What the item carries now: a person's earlier labels, else the engine's.
                let mut now = before.unwrap_or_else(|| {
                    item.analysis
                        .as_ref()
                        .and_then(|a| a.get("pain_points"))
                        .and_then(|v| serde_json::from_value(v.clone()).ok())
                        .unwrap_or_default()
                });
                now.retain(|p| !remove.contains(p));
                now.extend(add.iter().cloned());
                now.sort();
                now.dedup();
                Some(now)
            }
        };
        feedback_label::Entity::delete_by_id(feedback_id.to_owned())
            .exec(txn)
            .await?;
        feedback_label::ActiveModel {
            feedback_id: Set(feedback_id.to_owned()),
            workspace_id: Set(workspace_id.to_owned()),
            sentiment: Set(sentiment.clone()),
            pain_points: Set(pains.as_ref().map(|p| json!(p))),
            created_at: Set(self.now()),
        }
        .insert(txn)
        .await?;
        let mut analysis = item.analysis.clone().unwrap_or_else(|| json!({}));
        if let Some(s) = &sentiment {
            analysis["sentiment"]["label"] = json!(s);
            analysis["sentiment"]["corrected"] = json!(true);
        }
        if let Some(p) = &pains {
            analysis["pain_points"] = json!(p);
            feedback_pain_point::Entity::delete_many()
                .filter(feedback_pain_point::Column::FeedbackId.eq(feedback_id))
                .exec(txn)
                .await?;
            let rows: Vec<_> = p
                .iter()
                .map(|c| feedback_pain_point::ActiveModel {
                    feedback_id: Set(feedback_id.to_owned()),
                    category: Set(c.clone()),
                    workspace_id: Set(workspace_id.to_owned()),
                    occurred_at: Set(item.occurred_at),
                    channel: Set(item.channel.clone()),
                })
                .collect();
            if !rows.is_empty() {
                feedback_pain_point::Entity::insert_many(rows)
                    .exec_without_returning(txn)
                    .await?;
            }
        }
        let mut active: feedback::ActiveModel = item.into();
        if let Some(s) = sentiment {
            active.sentiment = Set(Some(s));
        }
        if let Some(p) = &pains {
            active.has_pain_point = Set(!p.is_empty());
        }
        active.analysis = Set(Some(analysis));
        active.corrected = Set(true);
        Ok(active.update(txn).await?)
    }

    /// Texts a person labelled positive or negative, to learn the workspace's word weights.
    pub async fn corrected_texts(&self, workspace_id: &str) -> StoreResult<Vec<(String, Label)>> {
        let labels = feedback_label::Entity::find()
            .filter(feedback_label::Column::WorkspaceId.eq(workspace_id))
            .filter(feedback_label::Column::Sentiment.is_in(["positive", "negative"]))
            .all(&self.db)
            .await?;
        if labels.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(labels.len());
        for chunk in labels.chunks(500) {
            let ids: Vec<&str> = chunk.iter().map(|l| l.feedback_id.as_str()).collect();
            let texts: Vec<(String, String)> = feedback::Entity::find()
                .filter(feedback::Column::Id.is_in(ids))
                .select_only()
                .column(feedback::Column::Id)
                .column(feedback::Column::Text)
                .into_tuple()
                .all(&self.db)
                .await?;
            for (id, text) in texts {
                let label = chunk
                    .iter()
                    .find(|l| l.feedback_id == id)
                    .and_then(|l| l.sentiment.as_deref())
                    .and_then(Label::parse);
                if let Some(label) = label {
                    out.push((text, label));
                }
            }
        }
        Ok(out)
    }

    pub async fn feedback_count(&self, workspace_id: &str) -> StoreResult<u64> {
        Ok(feedback::Entity::find()
            .filter(feedback::Column::WorkspaceId.eq(workspace_id))
            .count(&self.db)
            .await?)
    }

    pub async fn recent_texts(&self, workspace_id: &str, limit: u64) -> StoreResult<Vec<String>> {
        Ok(feedback::Entity::find()
            .filter(feedback::Column::WorkspaceId.eq(workspace_id))
            .order_by_desc(feedback::Column::Id)
            .limit(limit)
            .select_only()
            .column(feedback::Column::Text)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Workspaces, for re-analysing them all.
    pub async fn workspace_ids(&self) -> StoreResult<Vec<String>> {
        use super::entity::workspace;
        Ok(workspace::Entity::find()
            .select_only()
            .column(workspace::Column::Id)
            .order_by_asc(workspace::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// How many items of a workspace lack an analysis of `version` (all of them if `all`).
    pub async fn stale_count(
        &self,
        workspace_id: &str,
        version: &str,
        all: bool,
    ) -> StoreResult<u64> {
        Ok(feedback::Entity::find()
            .filter(stale_condition(workspace_id, version, all))
            .count(&self.db)
            .await?)
    }

    /// The next page of items to re-analyse, after `after` in id order.
    pub async fn stale_items(
        &self,
        workspace_id: &str,
        version: &str,
        all: bool,
        after: Option<&str>,
        limit: u64,
    ) -> StoreResult<Vec<StaleItem>> {
        let mut q = feedback::Entity::find().filter(stale_condition(workspace_id, version, all));
        if let Some(after) = after {
            q = q.filter(feedback::Column::Id.gt(after));
        }
        let rows: Vec<(String, String, bool, chrono::DateTime<chrono::Utc>, String)> = q
            .order_by_asc(feedback::Column::Id)
            .limit(limit)
            .select_only()
            .column(feedback::Column::Id)
            .column(feedback::Column::Text)
            .column(feedback::Column::Corrected)
            .column(feedback::Column::OccurredAt)
            .column(feedback::Column::Channel)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, text, corrected, occurred_at, channel)| StaleItem {
                id,
                text,
                corrected,
                occurred_at,
                channel,
            })
            .collect())
    }

    /// Replaces the analysis of stored items in one transaction. A corrected item keeps the
    /// labels a person gave it; the rest of its analysis is refreshed.
    pub async fn save_analyses(
        &self,
        workspace_id: &str,
        items: &[(StaleItem, FeedbackAnalysis)],
    ) -> StoreResult<()> {
        let txn = self.db.begin().await?;
        // What a person corrected stays; whatever they left alone is refreshed.
        let corrected: Vec<&str> = items
            .iter()
            .filter(|(s, _)| s.corrected)
            .map(|(s, _)| s.id.as_str())
            .collect();
        let labels: std::collections::HashMap<String, feedback_label::Model> =
            if corrected.is_empty() {
                Default::default()
            } else {
                feedback_label::Entity::find()
                    .filter(feedback_label::Column::FeedbackId.is_in(corrected))
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(|l| (l.feedback_id.clone(), l))
                    .collect()
            };
        let kept = |id: &str| {
            labels.get(id).map_or((false, false), |l| {
                (l.sentiment.is_some(), l.pain_points.is_some())
            })
        };
        let fresh_pains: Vec<&str> = items
            .iter()
            .map(|(s, _)| s.id.as_str())
            .filter(|id| !kept(id).1)
            .collect();
        let all_ids: Vec<&str> = items.iter().map(|(s, _)| s.id.as_str()).collect();
        if !fresh_pains.is_empty() {
            feedback_pain_point::Entity::delete_many()
                .filter(feedback_pain_point::Column::FeedbackId.is_in(fresh_pains))
                .exec(&txn)
                .await?;
        }
        if !all_ids.is_empty() {
            feedback_keyword::Entity::delete_many()
                .filter(feedback_keyword::Column::FeedbackId.is_in(all_ids))
                .exec(&txn)
                .await?;
        }
        let mut pains = Vec::new();
        let mut words = Vec::new();
        for (item, a) in items {
            let (keep_sentiment, keep_pains) = kept(&item.id);
            let mut json = a.value();
            if let Some(label) = labels.get(&item.id) {
                if let Some(s) = &label.sentiment {
                    json["sentiment"]["label"] = json!(s);
                    json["sentiment"]["corrected"] = json!(true);
                }
                if let Some(p) = &label.pain_points {
                    json["pain_points"] = p.clone();
                }
            }
            let mut update = feedback::Entity::update_many()
                .col_expr(
                    feedback::Column::AnalyzerVersion,
                    Expr::value(a.version.clone()),
                )
                .col_expr(feedback::Column::Analysis, Expr::value(json))
                .filter(feedback::Column::Id.eq(item.id.as_str()))
                .filter(feedback::Column::WorkspaceId.eq(workspace_id));
            if !keep_sentiment {
                update = update
                    .col_expr(
                        feedback::Column::Sentiment,
                        Expr::value(a.sentiment.clone()),
                    )
                    .col_expr(feedback::Column::SentimentScore, Expr::value(a.score));
            }
            if !keep_pains {
                pains.extend(
                    a.pain_points
                        .iter()
                        .map(|p| feedback_pain_point::ActiveModel {
                            feedback_id: Set(item.id.clone()),
                            category: Set(p.clone()),
                            workspace_id: Set(workspace_id.to_owned()),
                            occurred_at: Set(item.occurred_at),
                            channel: Set(item.channel.clone()),
                        }),
                );
                update = update.col_expr(
                    feedback::Column::HasPainPoint,
                    Expr::value(!a.pain_points.is_empty()),
                );
            }
            update.exec(&txn).await?;
            words.extend(a.keywords.iter().map(|k| feedback_keyword::ActiveModel {
                feedback_id: Set(item.id.clone()),
                keyword: Set(k.clone()),
                workspace_id: Set(workspace_id.to_owned()),
                occurred_at: Set(item.occurred_at),
            }));
        }
        for chunk in pains.chunks(1000) {
            feedback_pain_point::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for chunk in words.chunks(1000) {
            feedback_keyword::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

fn stale_condition(workspace_id: &str, version: &str, all: bool) -> Condition {
    let mut c = Condition::all().add(feedback::Column::WorkspaceId.eq(workspace_id));
    if !all {
        c = c.add(
            Condition::any()
                .add(feedback::Column::AnalyzerVersion.is_null())
                .add(feedback::Column::AnalyzerVersion.ne(version)),
        );
    }
    c
}

impl Store {
    /// Complaints (negative or mixed) of a period that fit no pain-point category, with their
    /// keywords: the material emerging clusters are made of. Newest first, at most `limit`.
    pub async fn uncategorised_complaints(
        &self,
        workspace_id: &str,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
        limit: u64,
        segment: Option<&crate::insight::Segment>,
    ) -> StoreResult<Vec<(String, Vec<String>)>> {
        use crate::insight::Segment;
        let mut q = feedback::Entity::find()
            .filter(feedback::Column::WorkspaceId.eq(workspace_id))
            .filter(feedback::Column::Sentiment.is_in(["negative", "mixed"]))
            // The flag kept with the pain-point rows: the covering insight index answers it.
            .filter(feedback::Column::HasPainPoint.eq(false));
        if let Some(from) = from {
            q = q.filter(feedback::Column::OccurredAt.gte(from));
        }
        if let Some(to) = to {
            q = q.filter(feedback::Column::OccurredAt.lt(to));
        }
        match segment {
            None => {}
            Some(Segment::Channel(c)) => q = q.filter(feedback::Column::Channel.eq(c.as_str())),
            Some(Segment::Source(s)) => q = q.filter(feedback::Column::SourceId.eq(s.as_str())),
            Some(Segment::Attr(k, v)) => {
                q = q.filter(super::feedback::attribute_equals(self.backend(), k, v));
            }
        }
        // Newest first by time alone: SQLite then reads the covering insight index
        // (`has_pain_point` and `sentiment` are in it) in order; an `id` tie-break would
        // pick `idx_feedback_occurred` and read every candidate's row.
        let ids: Vec<String> = q
            .order_by_desc(feedback::Column::OccurredAt)
            .limit(limit)
            .select_only()
            .column(feedback::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut words: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<(String, String)> = feedback_keyword::Entity::find()
                .filter(
                    feedback_keyword::Column::FeedbackId.is_in(chunk.iter().map(String::as_str)),
                )
                .select_only()
                .column(feedback_keyword::Column::FeedbackId)
                .column(feedback_keyword::Column::Keyword)
                .into_tuple()
                .all(&self.db)
                .await?;
            for (id, k) in rows {
                words.entry(id).or_default().push(k);
            }
        }
        Ok(ids
            .into_iter()
            .map(|id| {
                let k = words.remove(&id).unwrap_or_default();
                (id, k)
            })
            .collect())
    }
}
