//! Feedback rows as they are written: an item's row, its pain-point and keyword rows, and
//! multi-row inserts of many items (for one request, or for the writer's batch of several)
//! that skip items already stored. No `Store` here: the writer and the store's methods both
//! call these inside their transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, SimpleExpr};
use sea_orm::{DbBackend, EntityTrait, QueryTrait, Statement, Value as Param};
use serde_json::Value;
use std::collections::HashSet;

use super::counts::Counts;
use super::entity::survey_answer;
use super::error::StoreResult;
use super::exec::Exec;
use super::lite::rfc3339;
use super::sizes::{insert_sql, pieces, pieces_owned, statement_sizes, Column};
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

/// The feedback table's columns in the order [`push_row`] gives them. The analysis goes in
/// as the JSON text it was written as once, after the analysis (`FeedbackAnalysis::json`), not
/// as a tree of values cloned and serialised again here: on PostgreSQL cast to `jsonb`, on
/// SQLite kept as text (which is how SQLite stores a JSON column).
const COLUMNS: [Column; 24] = [
    ("id", None),
    ("workspace_id", None),
    ("channel", None),
    ("source_key", None),
    ("source_id", None),
    ("external_id", None),
    ("respondent_id", None),
    ("author", None),
    ("text", None),
    ("nps", None),
    ("csat", None),
    ("ces", None),
    ("rating", None),
    ("attributes", None),
    ("context", None),
    ("occurred_at", None),
    ("received_at", None),
    ("sentiment", None),
    ("sentiment_score", None),
    ("analysis", Some("jsonb")),
    ("analyzer_version", None),
    ("corrected", None),
    ("response_id", None),
    ("has_pain_point", None),
];

/// What ends the feedback insert: an item already stored under its external id is skipped,
/// and the ids of the rows inserted come back.
const SKIP_STORED: &str =
    " ON CONFLICT (\"workspace_id\", \"source_key\", \"external_id\") DO NOTHING RETURNING \"id\"";

/// A time as a statement's parameter: on SQLite the text it is stored as (what sqlx and the
/// writer's connection both write), so that it is written once and cloned into each row that
/// repeats it (an item's time is in its row and in each of its keyword and pain-point rows),
/// not formatted again at every binding; on PostgreSQL the time, for a `timestamptz` column.
fn time_param(backend: DbBackend, t: DateTime<Utc>) -> Param {
    match backend {
        DbBackend::Postgres => t.into(),
        _ => rfc3339(&t).into(),
    }
}

/// Appends an item's row to `values`, in [`COLUMNS`]' order; its times as [`time_param`]s.
fn push_row(
    values: &mut Vec<Param>,
    id: &str,
    workspace_id: &str,
    item: &NewFeedback,
    [occurred_at, received_at]: [&Param; 2],
) {
    let a = item.analysis.as_ref();
    values.extend([
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
        occurred_at.clone(),
        received_at.clone(),
        a.map(|a| a.sentiment.clone()).into(),
        a.map(|a| a.score).into(),
        a.map(|a| a.json.clone()).into(),
        a.map(|a| a.version.clone()).into(),
        false.into(),
        item.response_id.clone().into(),
        a.is_some_and(|a| !a.pain_points.is_empty()).into(),
    ]);
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

/// The pain-point table's columns in the order [`push_analysis_rows`] gives them.
const PAIN_COLUMNS: [Column; 5] = [
    ("feedback_id", None),
    ("category", None),
    ("workspace_id", None),
    ("occurred_at", None),
    ("channel", None),
];

/// The keyword table's columns in the order [`push_analysis_rows`] gives them.
const WORD_COLUMNS: [Column; 4] = [
    ("feedback_id", None),
    ("keyword", None),
    ("workspace_id", None),
    ("occurred_at", None),
];

/// Appends an item's pain-point rows to `pains` and its keyword rows to `words`; the time
/// it occurred as a [`time_param`].
fn push_analysis_rows(
    pains: &mut Vec<Param>,
    words: &mut Vec<Param>,
    workspace_id: &str,
    id: &str,
    item: &NewFeedback,
    occurred_at: &Param,
) {
    let Some(a) = &item.analysis else { return };
    for p in &a.pain_points {
        pains.extend([
            id.into(),
            p.as_str().into(),
            workspace_id.into(),
            occurred_at.clone(),
            item.channel.as_str().into(),
        ]);
    }
    for k in &a.keywords {
        words.extend([
            id.into(),
            k.as_str().into(),
            workspace_id.into(),
            occurred_at.clone(),
        ]);
    }
}

/// Inserts `values`, rows of `columns` one after the other, into `table`, in statements of
/// [`statement_sizes`] of at most `max` rows.
async fn insert_values<C: Exec>(
    conn: &C,
    table: &str,
    columns: &[Column],
    values: Vec<Param>,
    max: usize,
) -> StoreResult<()> {
    let backend = conn.backend();
    let width = columns.len();
    let mut values = values.into_iter();
    for rows in statement_sizes(backend, values.len() / width, max) {
        let sql = insert_sql(backend, table, columns, rows, "");
        let chunk: Vec<Param> = values.by_ref().take(rows * width).collect();
        conn.run(Statement::from_sql_and_values(backend, sql, chunk))
            .await?;
    }
    Ok(())
}

/// Inserts pain-point and keyword rows of [`push_analysis_rows`].
async fn insert_analysis_rows<C: Exec>(
    conn: &C,
    pains: Vec<Param>,
    words: Vec<Param>,
) -> StoreResult<()> {
    let max = INSERT_CHUNK * 2;
    insert_values(conn, "feedback_pain_point", &PAIN_COLUMNS, pains, max).await?;
    insert_values(conn, "feedback_keyword", &WORD_COLUMNS, words, max).await
}

/// Writes one stored item's pain-point and keyword rows (after its answer was replaced).
pub(super) async fn analysis_rows<C: Exec>(
    conn: &C,
    workspace_id: &str,
    id: &str,
    item: &NewFeedback,
) -> StoreResult<()> {
    let (mut pains, mut words) = (Vec::new(), Vec::new());
    let occurred_at = time_param(conn.backend(), item.occurred_at);
    push_analysis_rows(&mut pains, &mut words, workspace_id, id, item, &occurred_at);
    insert_analysis_rows(conn, pains, words).await
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
        let occurred: Vec<Param> = chunk
            .iter()
            .map(|r| time_param(backend, r.item.occurred_at))
            .collect();
        let mut values = Vec::with_capacity(chunk.len() * COLUMNS.len());
        let mut received: Option<(DateTime<Utc>, Param)> = None;
        for ((r, id), occurred_at) in chunk.iter().zip(&ids).zip(&occurred) {
            // The items of one request share the time it was received.
            let received_at = match &received {
                Some((t, p)) if *t == r.received_at => p,
                _ => {
                    &received
                        .insert((r.received_at, time_param(backend, r.received_at)))
                        .1
                }
            };
            push_row(
                &mut values,
                id,
                r.workspace_id,
                r.item,
                [occurred_at, received_at],
            );
        }
        let sql = insert_sql(backend, "feedback", &COLUMNS, chunk.len(), SKIP_STORED);
        let keys: HashSet<String> = conn
            .rows::<(String,)>(Statement::from_sql_and_values(backend, sql, values))
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect();
        let mut pains = Vec::new();
        let mut words = Vec::new();
        for ((r, id), occurred_at) in chunk.iter().zip(&ids).zip(&occurred) {
            let fresh = keys.contains(id);
            new.push(fresh);
            if fresh {
                if let Some(counts) = &mut counts {
                    counts.item(r.workspace_id, r.item);
                }
                push_analysis_rows(
                    &mut pains,
                    &mut words,
                    r.workspace_id,
                    id,
                    r.item,
                    occurred_at,
                );
            }
        }
        insert_analysis_rows(conn, pains, words).await?;
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

/// The survey-response table's columns in the order [`push_response`] gives them.
const RESPONSE_COLUMNS: [Column; 13] = [
    ("id", None),
    ("workspace_id", None),
    ("survey_id", None),
    ("respondent_id", None),
    ("answers", None),
    ("attributes", None),
    ("nps", None),
    ("csat", None),
    ("ces", None),
    ("rating", None),
    ("received_at", None),
    ("occurred_at", None),
    ("updated_at", None),
];

/// Appends a new survey response's row, received `now`, to `values`.
fn push_response(
    values: &mut Vec<Param>,
    workspace_id: &str,
    response: &NewSurveyResponse,
    now: &Param,
) {
    values.extend([
        response.id.as_str().into(),
        workspace_id.into(),
        response.survey_id.as_str().into(),
        response.respondent_id.clone().into(),
        response.answers.clone().into(),
        response.attributes.clone().into(),
        response.nps.into(),
        response.csat.into(),
        response.ces.into(),
        response.rating.into(),
        now.clone(),
        now.clone(),
        now.clone(),
    ]);
}

/// Inserts new survey responses, each of a workspace and received at a time, skipping those
/// whose id is stored already: the ids of the rows inserted.
pub(super) async fn insert_responses<C: Exec>(
    conn: &C,
    responses: &[(&str, &NewSurveyResponse, DateTime<Utc>)],
) -> StoreResult<Vec<String>> {
    let backend = conn.backend();
    let mut values = Vec::with_capacity(responses.len() * RESPONSE_COLUMNS.len());
    for &(workspace_id, response, now) in responses {
        push_response(
            &mut values,
            workspace_id,
            response,
            &time_param(backend, now),
        );
    }
    let sql = insert_sql(
        backend,
        "survey_response",
        &RESPONSE_COLUMNS,
        responses.len(),
        " ON CONFLICT (\"id\") DO NOTHING RETURNING \"id\"",
    );
    let rows = conn
        .rows::<(String,)>(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
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

#[cfg(test)]
mod tests {
    use super::super::entity::{feedback, feedback_keyword, feedback_pain_point, survey_response};
    use super::*;
    use sea_orm::{IdenStatic, Iterable};

    fn names(columns: &[Column]) -> HashSet<String> {
        columns.iter().map(|(name, _)| name.to_string()).collect()
    }

    fn table<C: IdenStatic + Iterable>() -> HashSet<String> {
        C::iter().map(|c| c.as_str().to_owned()).collect()
    }

    #[test]
    fn the_rows_written_fill_every_column_of_their_tables() {
        assert_eq!(names(&COLUMNS), table::<feedback::Column>());
        assert_eq!(names(&PAIN_COLUMNS), table::<feedback_pain_point::Column>());
        assert_eq!(names(&WORD_COLUMNS), table::<feedback_keyword::Column>());
        assert_eq!(names(&RESPONSE_COLUMNS), table::<survey_response::Column>());
        assert_eq!(COLUMNS.len(), names(&COLUMNS).len(), "no column twice");
    }
}
