//! Feedback rows as they are written: an item's row, its pain-point and keyword rows, and
//! multi-row inserts of many items (for one request, or for the writer's batch of several)
//! that skip items already stored. No `Store` here: the writer and the store's methods both
//! call these inside their transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, OnConflict, Query, SimpleExpr};
use sea_orm::{DbBackend, EntityTrait, QueryTrait, Set};
use serde_json::Value;
use std::collections::HashSet;

use super::counts::Counts;
use super::entity::{
    feedback, feedback_keyword, feedback_pain_point, survey_answer, survey_response,
};
use super::error::StoreResult;
use super::exec::Exec;
use super::sizes::{pieces, pieces_owned};
use crate::domain::{new_id, FeedbackAnalysis, NewFeedback};

/// Rows per INSERT statement at most: well under SQLite's 32,766 bound parameters.
pub(super) const INSERT_CHUNK: usize = 512;

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

/// The feedback table's columns in the order [`row_values`] gives them.
const COLUMNS: [feedback::Column; 24] = [
    feedback::Column::Id,
    feedback::Column::WorkspaceId,
    feedback::Column::Channel,
    feedback::Column::SourceKey,
    feedback::Column::SourceId,
    feedback::Column::ExternalId,
    feedback::Column::RespondentId,
    feedback::Column::Author,
    feedback::Column::Text,
    feedback::Column::Nps,
    feedback::Column::Csat,
    feedback::Column::Ces,
    feedback::Column::Rating,
    feedback::Column::Attributes,
    feedback::Column::Context,
    feedback::Column::OccurredAt,
    feedback::Column::ReceivedAt,
    feedback::Column::Sentiment,
    feedback::Column::SentimentScore,
    feedback::Column::Analysis,
    feedback::Column::AnalyzerVersion,
    feedback::Column::Corrected,
    feedback::Column::ResponseId,
    feedback::Column::HasPainPoint,
];

/// An item's row, in [`COLUMNS`]' order. The analysis goes in as the JSON text it was
/// written as once, after the analysis (`FeedbackAnalysis::json`), not as a tree of values
/// cloned and serialised again here: on PostgreSQL cast to `jsonb`, on SQLite kept as text
/// (which is how SQLite stores a JSON column).
fn row_values(
    backend: DbBackend,
    id: &str,
    workspace_id: &str,
    item: &NewFeedback,
    received_at: DateTime<Utc>,
) -> [SimpleExpr; 24] {
    let a = item.analysis.as_ref();
    [
        id.into(),
        workspace_id.into(),
        item.channel.as_str().into(),
        item.source_key.as_str().into(),
        item.source_id.clone().into(),
        item.external_id.clone().into(),
        item.respondent_id.clone().into(),
        item.author.clone().into(),
        item.text.as_str().into(),
        item.scores.nps.into(),
        item.scores.csat.into(),
        item.scores.ces.into(),
        item.scores.rating.into(),
        Value::Object(item.attributes.clone()).into(),
        Value::Object(item.context.clone()).into(),
        item.occurred_at.into(),
        received_at.into(),
        a.map(|a| a.sentiment.clone()).into(),
        a.map(|a| a.score).into(),
        analysis_text(backend, a),
        a.map(|a| a.version.clone()).into(),
        false.into(),
        item.response_id.clone().into(),
        a.is_some_and(|a| !a.pain_points.is_empty()).into(),
    ]
}

/// An analysis's stored JSON text as the value of the `analysis` column.
pub(super) fn analysis_text(backend: DbBackend, a: Option<&FeedbackAnalysis>) -> SimpleExpr {
    let text: SimpleExpr = a.map(|a| a.json.clone()).into();
    match backend {
        // Even a NULL: a text parameter, or a row of NULLs, would make the column text.
        DbBackend::Postgres => text.cast_as(Alias::new("jsonb")),
        _ => text,
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
pub(super) async fn analysis_rows<C: Exec>(
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
pub(super) async fn insert_items<C: Exec>(
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
pub(super) async fn insert_tagged<C: Exec>(
    conn: &C,
    rows: &[Tagged<'_>],
) -> StoreResult<Vec<bool>> {
    let mut new = Vec::with_capacity(rows.len());
    let backend = conn.backend();
    // On the SQLite writer's connection, which runs no triggers: what they would count.
    let mut counts = (!conn.runs_triggers()).then(Counts::default);
    for chunk in pieces(backend, rows, INSERT_CHUNK) {
        let ids: Vec<String> = chunk.iter().map(|_| format!("fb_{}", new_id())).collect();
        let mut insert = Query::insert();
        insert
            .into_table(feedback::Entity)
            .columns(COLUMNS)
            .on_conflict(
                OnConflict::columns([
                    feedback::Column::WorkspaceId,
                    feedback::Column::SourceKey,
                    feedback::Column::ExternalId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .returning_col(feedback::Column::Id);
        for (r, id) in chunk.iter().zip(&ids) {
            insert.values_panic(row_values(
                backend,
                id,
                r.workspace_id,
                r.item,
                r.received_at,
            ));
        }
        let keys: HashSet<String> = conn
            .rows::<(String,)>(backend.build(&insert))
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect();
        let mut pains = Vec::new();
        let mut words = Vec::new();
        for (r, id) in chunk.iter().zip(&ids) {
            let fresh = keys.contains(id);
            new.push(fresh);
            if fresh {
                if let Some(counts) = &mut counts {
                    counts.item(r.workspace_id, r.item);
                }
                let (p, w) = row_models(r.workspace_id, id, r.item);
                pains.extend(p);
                words.extend(w);
            }
        }
        insert_rows(conn, pains).await?;
        insert_rows(conn, words).await?;
    }
    if let Some(mut counts) = counts {
        counts.add(conn).await?;
    }
    Ok(new)
}

/// Inserts rows in statements of [`statement_sizes`], at most twice [`INSERT_CHUNK`] rows.
pub(super) async fn insert_rows<C, A>(conn: &C, rows: Vec<A>) -> StoreResult<()>
where
    C: Exec,
    A: sea_orm::ActiveModelTrait + Send,
{
    for chunk in pieces_owned(conn.backend(), rows, INSERT_CHUNK * 2) {
        let insert = <A::Entity as EntityTrait>::insert_many(chunk).build(conn.backend());
        conn.run(insert).await?;
    }
    Ok(())
}

pub struct NewSurveyResponse {
    pub id: String,
    pub survey_id: String,
    pub respondent_id: Option<String>,
    pub answers: Value,
    pub attributes: Value,
    pub nps: Option<i16>,
    pub csat: Option<i16>,
    pub ces: Option<i16>,
    pub rating: Option<i16>,
}

/// A new survey response's row, received `now`.
pub(super) fn response_row(
    workspace_id: &str,
    response: &NewSurveyResponse,
    now: DateTime<Utc>,
) -> survey_response::ActiveModel {
    survey_response::ActiveModel {
        id: Set(response.id.clone()),
        workspace_id: Set(workspace_id.to_owned()),
        survey_id: Set(response.survey_id.clone()),
        respondent_id: Set(response.respondent_id.clone()),
        answers: Set(response.answers.clone()),
        attributes: Set(response.attributes.clone()),
        nps: Set(response.nps),
        csat: Set(response.csat),
        ces: Set(response.ces),
        rating: Set(response.rating),
        received_at: Set(now),
        occurred_at: Set(Some(now)),
        updated_at: Set(Some(now)),
    }
}

/// Characters of an answer kept in `survey_answer.value`: every option fits
/// (`MAX_OPTION_CHARS`); a long text answer is only counted there.
const ANSWER_VALUE_CHARS: usize = 200;

/// The `survey_answer` rows of a response's answers: a scalar is one row, its text (a number
/// as written, a boolean as `true`/`false`); an array one row per element; `null` and objects
/// none. The answers of `open` questions (those whose text became a feedback item) are one
/// row with an empty value: they are counted, and read from their items.
pub(super) fn answer_models(
    workspace_id: &str,
    survey_id: &str,
    response_id: &str,
    received_at: DateTime<Utc>,
    answers: &serde_json::Value,
    open: &[&str],
) -> Vec<survey_answer::ActiveModel> {
    use sea_orm::Set;
    use serde_json::Value;
    fn text(v: &Value) -> Option<String> {
        let t = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        Some(t.chars().take(ANSWER_VALUE_CHARS).collect())
    }
    let Some(answers) = answers.as_object() else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for (question, v) in answers {
        let values: Vec<String> = match v {
            // An open answer is read as its feedback item; here it is only counted.
            _ if open.contains(&question.as_str()) => {
                text(v).map(|_| String::new()).into_iter().collect()
            }
            Value::Array(items) => items.iter().filter_map(text).collect(),
            v => text(v).into_iter().collect(),
        };
        for (i, value) in values.into_iter().enumerate() {
            rows.push(survey_answer::ActiveModel {
                response_id: Set(response_id.to_owned()),
                question_id: Set(question.clone()),
                ordinal: Set(i as i32),
                value: Set(value),
                workspace_id: Set(workspace_id.to_owned()),
                survey_id: Set(survey_id.to_owned()),
                received_at: Set(received_at),
            });
        }
    }
    rows
}

/// The questions of a response whose answers became the feedback `items` (each item's
/// context names its question).
pub(super) fn open_questions(items: &[NewFeedback]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|f| f.context.get("question_id").and_then(|q| q.as_str()))
        .collect()
}
