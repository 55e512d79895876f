//! Feedback rows as they are written: an item's row, its pain-point and keyword rows, and
//! multi-row inserts of many items (for one request, or for the writer's batch of several)
//! that skip items already stored. No `Store` here: the writer and the store's methods both
//! call these inside their transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set, TryInsertResult};
use serde_json::Value;
use std::collections::HashSet;

use super::entity::{feedback, feedback_keyword, feedback_pain_point};
use super::error::StoreResult;
use crate::domain::{new_id, NewFeedback};

/// Rows per INSERT statement: well under SQLite's 32,766 bound parameters.
const INSERT_CHUNK: usize = 500;

/// What an ingest did: items newly stored, and items that were already there (retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Ingested {
    pub stored: u64,
    pub duplicates: u64,
}

/// A webhook delivery is either new, or a redelivery of one already taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    New(Ingested),
    Replay { stored: u64 },
}

fn active_model(
    id: String,
    workspace_id: &str,
    item: &NewFeedback,
    received_at: DateTime<Utc>,
) -> feedback::ActiveModel {
    let a = item.analysis.as_ref();
    feedback::ActiveModel {
        id: Set(id),
        workspace_id: Set(workspace_id.to_owned()),
        channel: Set(item.channel.as_str().to_owned()),
        source_key: Set(item.source_key.clone()),
        source_id: Set(item.source_id.clone()),
        external_id: Set(item.external_id.clone()),
        respondent_id: Set(item.respondent_id.clone()),
        author: Set(item.author.clone()),
        text: Set(item.text.as_str().to_owned()),
        nps: Set(item.scores.nps),
        csat: Set(item.scores.csat),
        ces: Set(item.scores.ces),
        rating: Set(item.scores.rating),
        attributes: Set(Value::Object(item.attributes.clone())),
        context: Set(Value::Object(item.context.clone())),
        occurred_at: Set(item.occurred_at),
        received_at: Set(received_at),
        sentiment: Set(a.map(|a| a.sentiment.clone())),
        sentiment_score: Set(a.map(|a| a.score)),
        analysis: Set(a.map(|a| a.json.clone())),
        analyzer_version: Set(a.map(|a| a.version.clone())),
        corrected: Set(false),
        response_id: Set(item.response_id.clone()),
        has_pain_point: Set(a.is_some_and(|a| !a.pain_points.is_empty())),
    }
}

/// An item's pain-point and keyword rows.
fn row_models(
    workspace_id: &str,
    id: &str,
    item: &NewFeedback,
) -> (
    Vec<feedback_pain_point::ActiveModel>,
    Vec<feedback_keyword::ActiveModel>,
) {
    let Some(a) = &item.analysis else {
        return (Vec::new(), Vec::new());
    };
    let pains = a
        .pain_points
        .iter()
        .map(|p| feedback_pain_point::ActiveModel {
            feedback_id: Set(id.to_owned()),
            category: Set(p.clone()),
            workspace_id: Set(workspace_id.to_owned()),
            occurred_at: Set(item.occurred_at),
            channel: Set(item.channel.as_str().to_owned()),
        })
        .collect();
    let words = a
        .keywords
        .iter()
        .map(|k| feedback_keyword::ActiveModel {
            feedback_id: Set(id.to_owned()),
            keyword: Set(k.clone()),
            workspace_id: Set(workspace_id.to_owned()),
            occurred_at: Set(item.occurred_at),
        })
        .collect();
    (pains, words)
}

/// Writes one stored item's pain-point and keyword rows (after its answer was replaced).
pub(super) async fn analysis_rows<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &str,
    id: &str,
    item: &NewFeedback,
) -> StoreResult<()> {
    let (pains, words) = row_models(workspace_id, id, item);
    insert_rows(conn, pains).await?;
    insert_rows(conn, words).await
}

/// Inserts items inside the caller's transaction, skipping those already stored, and the
/// pain-point and keyword rows of the ones that are new.
pub(super) async fn insert_items<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &str,
    items: &[NewFeedback],
    received_at: DateTime<Utc>,
) -> StoreResult<Ingested> {
    let rows: Vec<Tagged> = items
        .iter()
        .map(|item| Tagged {
            workspace_id,
            item,
            received_at,
        })
        .collect();
    let stored = insert_tagged(conn, &rows)
        .await?
        .iter()
        .filter(|&&b| b)
        .count() as u64;
    Ok(Ingested {
        stored,
        duplicates: items.len() as u64 - stored,
    })
}

/// An item to insert, with its workspace and the time it was received (the items of one
/// statement may come from several requests).
pub(super) struct Tagged<'a> {
    pub workspace_id: &'a str,
    pub item: &'a NewFeedback,
    pub received_at: DateTime<Utc>,
}

/// [`insert_items`] for items of several workspaces and times: whether each was new.
pub(super) async fn insert_tagged<C: ConnectionTrait>(
    conn: &C,
    rows: &[Tagged<'_>],
) -> StoreResult<Vec<bool>> {
    let mut new = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(INSERT_CHUNK) {
        let ids: Vec<String> = chunk.iter().map(|_| format!("fb_{}", new_id())).collect();
        let models = chunk
            .iter()
            .zip(&ids)
            .map(|(r, id)| active_model(id.clone(), r.workspace_id, r.item, r.received_at));
        let inserted = feedback::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([
                    feedback::Column::WorkspaceId,
                    feedback::Column::SourceKey,
                    feedback::Column::ExternalId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .do_nothing()
            .exec_with_returning_keys(conn)
            .await?;
        let keys: HashSet<String> = match inserted {
            TryInsertResult::Inserted(keys) => keys.into_iter().collect(),
            TryInsertResult::Conflicted | TryInsertResult::Empty => HashSet::new(),
        };
        let mut pains = Vec::new();
        let mut words = Vec::new();
        for (r, id) in chunk.iter().zip(&ids) {
            let fresh = keys.contains(id);
            new.push(fresh);
            if fresh {
                let (p, w) = row_models(r.workspace_id, id, r.item);
                pains.extend(p);
                words.extend(w);
            }
        }
        insert_rows(conn, pains).await?;
        insert_rows(conn, words).await?;
    }
    Ok(new)
}

/// Inserts rows in statements of at most [`INSERT_CHUNK`] rows.
async fn insert_rows<C, A>(conn: &C, rows: Vec<A>) -> StoreResult<()>
where
    C: ConnectionTrait,
    A: sea_orm::ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(INSERT_CHUNK * 2).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}
