//! Responses of other tools (Typeform, 问卷星 …), stored like hosted-survey responses: one row
//! per response with its scores, and one feedback item per text answer. A tool sends the same
//! response again (a retry) or a later version of it (created → updated → finished): the row
//! and its items then end as the latest version, stored once. An edited answer replaces its
//! item's text and analysis; an older version arriving late changes nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde_json::Value;

use super::entity::{
    feedback, feedback_keyword, feedback_label, feedback_pain_point, survey_answer,
    survey_response, webhook_delivery,
};
use super::rows::open_questions;
use super::rows::{analysis_rows, analysis_text, insert_items};
use super::survey_results::write_answer_rows;
use super::{Store, StoreError, StoreResult};
use crate::domain::{NewFeedback, Scores};

/// A response of another tool, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewToolResponse {
    /// `sr_…`, stable for the tool's response id within the source.
    pub id: String,
    /// The source it came through; kept as the response's "survey".
    pub source_id: String,
    pub respondent_id: Option<String>,
    pub answers: Value,
    pub attributes: Value,
    pub scores: Scores,
    pub occurred_at: DateTime<Utc>,
    /// Orders the versions of the response: a row is replaced only by one not older.
    pub updated_at: DateTime<Utc>,
    /// The version carries the whole response: an item of an answer it no longer has goes.
    pub complete: bool,
}

/// What storing a delivery of responses did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ResponsesStored {
    /// Responses seen for the first time.
    pub responses: u64,
    /// Responses replaced by a later version.
    pub updated: u64,
    /// Versions older than the one stored, left alone.
    pub stale: u64,
    /// Feedback items new to the workspace.
    pub stored: u64,
    /// Items whose answer was edited (text and analysis replaced).
    pub changed: u64,
    /// Items already stored as they are.
    pub duplicates: u64,
    /// Items of answers a later version no longer has.
    pub removed: u64,
}

/// A delivery of responses is either new, or a redelivery of one already taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponsesDelivery {
    New(ResponsesStored),
    Replay,
}

impl Store {
    /// Stores responses and their items in one transaction (the writer's next one). With
    /// `delivery` (the tool's delivery id), a redelivery of the same id stores nothing.
    pub async fn ingest_responses(
        &self,
        workspace_id: &str,
        delivery: Option<(&str, &str)>,
        responses: &[(NewToolResponse, Vec<NewFeedback>)],
    ) -> StoreResult<ResponsesDelivery> {
        let workspace_id = workspace_id.to_owned();
        let delivery = delivery.map(|(s, d)| (s.to_owned(), d.to_owned()));
        let responses = responses.to_vec();
        let now = self.now();
        self.writer
            .run(move |txn| {
                Box::pin(async move {
                    let delivery = delivery.as_ref().map(|(s, d)| (s.as_str(), d.as_str()));
                    write_responses(txn, &workspace_id, delivery, &responses, now).await
                })
            })
            .await
    }
}

/// [`Store::ingest_responses`] inside the caller's transaction. No statement fails on a
/// redelivery: the marker is inserted or skipped by `ON CONFLICT`.
async fn write_responses<C: ConnectionTrait>(
    txn: &C,
    workspace_id: &str,
    delivery: Option<(&str, &str)>,
    responses: &[(NewToolResponse, Vec<NewFeedback>)],
    now: DateTime<Utc>,
) -> StoreResult<ResponsesDelivery> {
    if let Some((source_id, delivery_id)) = delivery {
        let claimed = webhook_delivery::Entity::insert(webhook_delivery::ActiveModel {
            source_id: Set(source_id.to_owned()),
            webhook_id: Set(delivery_id.to_owned()),
            stored: Set(0),
            received_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                webhook_delivery::Column::SourceId,
                webhook_delivery::Column::WebhookId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        if claimed == 0 {
            return Ok(ResponsesDelivery::Replay);
        }
    }
    let mut done = ResponsesStored::default();
    for (response, items) in responses {
        store_response(txn, workspace_id, response, items, now, &mut done).await?;
    }
    if let Some((source_id, delivery_id)) = delivery {
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::Stored,
                Expr::value(done.stored as i32),
            )
            .filter(webhook_delivery::Column::SourceId.eq(source_id))
            .filter(webhook_delivery::Column::WebhookId.eq(delivery_id))
            .exec(txn)
            .await?;
    }
    Ok(ResponsesDelivery::New(done))
}

async fn store_response<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &str,
    r: &NewToolResponse,
    items: &[NewFeedback],
    now: DateTime<Utc>,
    done: &mut ResponsesStored,
) -> StoreResult<()> {
    // Most deliveries are a response seen for the first time: try to insert its row, and
    // only when it is already there read what is stored (two statements fewer in the
    // writer's critical section, where SQLite serialises every request).
    let inserted = survey_response::Entity::insert(survey_response::ActiveModel {
        id: Set(r.id.clone()),
        workspace_id: Set(workspace_id.to_owned()),
        survey_id: Set(r.source_id.clone()),
        respondent_id: Set(r.respondent_id.clone()),
        answers: Set(r.answers.clone()),
        attributes: Set(r.attributes.clone()),
        nps: Set(r.scores.nps),
        csat: Set(r.scores.csat),
        ces: Set(r.scores.ces),
        rating: Set(r.scores.rating),
        received_at: Set(now),
        occurred_at: Set(Some(r.occurred_at)),
        updated_at: Set(Some(r.updated_at)),
    })
    .on_conflict(
        OnConflict::column(survey_response::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if inserted == 1 {
        let open = open_questions(items);
        write_answer_rows(
            conn,
            workspace_id,
            &r.source_id,
            &r.id,
            now,
            &r.answers,
            &open,
        )
        .await?;
        done.responses += 1;
        let stored = insert_items(conn, workspace_id, items, now).await?;
        done.stored += stored.stored;
        done.duplicates += stored.duplicates;
        return Ok(());
    }
    let existing = survey_response::Entity::find_by_id(r.id.clone())
        .filter(survey_response::Column::WorkspaceId.eq(workspace_id))
        .one(conn)
        .await?;
    // A version that carries one question (Survicate's per-question events) adds to the
    // response; a whole version replaces it, unless it is older than the one stored.
    let older = existing
        .as_ref()
        .and_then(|row| row.updated_at)
        .is_some_and(|t| t > r.updated_at);
    match &existing {
        Some(_) if older && r.complete => {
            done.stale += 1;
            done.duplicates += items.len() as u64;
            return Ok(());
        }
        Some(row) => {
            let merged = if r.complete {
                r.clone()
            } else {
                merge_partial(row, r)
            };
            let mut active: survey_response::ActiveModel = row.clone().into();
            active.respondent_id = Set(merged.respondent_id.clone());
            active.answers = Set(merged.answers.clone());
            active.attributes = Set(merged.attributes.clone());
            active.nps = Set(merged.scores.nps);
            active.csat = Set(merged.scores.csat);
            active.ces = Set(merged.scores.ces);
            active.rating = Set(merged.scores.rating);
            active.occurred_at = Set(Some(merged.occurred_at));
            active.updated_at = Set(Some(if older {
                row.updated_at.unwrap_or(r.updated_at)
            } else {
                r.updated_at
            }));
            let row = active.update(conn).await?;
            // Open questions: this version's, and those an earlier version stored as open.
            let before: Vec<String> = survey_answer::Entity::find()
                .select_only()
                .column(survey_answer::Column::QuestionId)
                .filter(survey_answer::Column::ResponseId.eq(&row.id))
                .filter(survey_answer::Column::Value.eq(""))
                .into_tuple()
                .all(conn)
                .await?;
            let mut open = open_questions(items);
            open.extend(before.iter().map(String::as_str));
            write_answer_rows(
                conn,
                workspace_id,
                &row.survey_id,
                &row.id,
                row.received_at,
                &row.answers,
                &open,
            )
            .await?;
        }
        // The id exists (the insert above found it), yet not in this workspace: ids are made
        // from the source's id, which is this workspace's alone, so this is a bug.
        None => {
            return Err(StoreError::Conflict(format!(
                "response {} belongs to another workspace",
                r.id
            )))
        }
    }
    let before: HashMap<String, (String, String)> = feedback::Entity::find()
        .select_only()
        .column(feedback::Column::ExternalId)
        .column(feedback::Column::Id)
        .column(feedback::Column::Text)
        .filter(feedback::Column::WorkspaceId.eq(workspace_id))
        .filter(feedback::Column::ResponseId.eq(r.id.clone()))
        .into_tuple::<(Option<String>, String, String)>()
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|(ext, id, text)| Some((ext?, (id, text))))
        .collect();
    done.updated += 1;
    let (scores, respondent) = match &existing {
        Some(row) if !r.complete => {
            let m = merge_partial(row, r);
            (m.scores, m.respondent_id)
        }
        _ => (r.scores, r.respondent_id.clone()),
    };
    let mut fresh = Vec::new();
    for item in items {
        let mut item = item.clone();
        item.scores = scores;
        let item = &item;
        let key = item.external_id.clone().unwrap_or_default();
        match before.get(&key) {
            None => fresh.push(item.clone()),
            Some((_, text)) if text == item.text.as_str() => done.duplicates += 1,
            // An older partial version does not undo a later edit of the same answer.
            Some(_) if older => done.duplicates += 1,
            Some((id, _)) => {
                replace_answer(conn, workspace_id, id, item).await?;
                done.changed += 1;
            }
        }
    }
    if r.complete {
        let kept: Vec<&str> = items
            .iter()
            .filter_map(|i| i.external_id.as_deref())
            .collect();
        let gone: Vec<String> = before
            .iter()
            .filter(|(ext, _)| !kept.contains(&ext.as_str()))
            .map(|(_, (id, _))| id.clone())
            .collect();
        if !gone.is_empty() {
            done.removed += gone.len() as u64;
            feedback::Entity::delete_many()
                .filter(feedback::Column::Id.is_in(gone))
                .exec(conn)
                .await?;
        }
    }
    // Every answer of the response carries the response's latest scores and respondent.
    feedback::Entity::update_many()
        .col_expr(feedback::Column::Nps, Expr::value(scores.nps))
        .col_expr(feedback::Column::Csat, Expr::value(scores.csat))
        .col_expr(feedback::Column::Ces, Expr::value(scores.ces))
        .col_expr(feedback::Column::Rating, Expr::value(scores.rating))
        .col_expr(feedback::Column::RespondentId, Expr::value(respondent))
        .filter(feedback::Column::WorkspaceId.eq(workspace_id))
        .filter(feedback::Column::ResponseId.eq(r.id.clone()))
        .exec(conn)
        .await?;
    let stored = insert_items(conn, workspace_id, &fresh, now).await?;
    done.stored += stored.stored;
    done.duplicates += stored.duplicates;
    Ok(())
}

/// An edited answer: the item keeps its id and takes the new text, analysis and time; its
/// pain-point and keyword rows are made again, and a person's correction of the old text no
/// longer applies.
async fn replace_answer<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &str,
    id: &str,
    item: &NewFeedback,
) -> StoreResult<()> {
    let a = item.analysis.as_ref();
    feedback::Entity::update_many()
        .col_expr(feedback::Column::Text, Expr::value(item.text.as_str()))
        .col_expr(
            feedback::Column::Sentiment,
            Expr::value(a.map(|a| a.sentiment.clone())),
        )
        .col_expr(
            feedback::Column::SentimentScore,
            Expr::value(a.map(|a| a.score)),
        )
        .col_expr(
            feedback::Column::Analysis,
            analysis_text(conn.get_database_backend(), a),
        )
        .col_expr(
            feedback::Column::AnalyzerVersion,
            Expr::value(a.map(|a| a.version.clone())),
        )
        .col_expr(feedback::Column::Corrected, Expr::value(false))
        .col_expr(
            feedback::Column::HasPainPoint,
            Expr::value(a.is_some_and(|a| !a.pain_points.is_empty())),
        )
        .col_expr(
            feedback::Column::Context,
            Expr::value(Value::Object(item.context.clone())),
        )
        .col_expr(feedback::Column::OccurredAt, Expr::value(item.occurred_at))
        .filter(feedback::Column::Id.eq(id))
        .exec(conn)
        .await?;
    feedback_pain_point::Entity::delete_many()
        .filter(feedback_pain_point::Column::FeedbackId.eq(id))
        .exec(conn)
        .await?;
    feedback_keyword::Entity::delete_many()
        .filter(feedback_keyword::Column::FeedbackId.eq(id))
        .exec(conn)
        .await?;
    feedback_label::Entity::delete_many()
        .filter(feedback_label::Column::FeedbackId.eq(id))
        .exec(conn)
        .await?;
    analysis_rows(conn, workspace_id, id, item).await
}

/// A partial version (one question) added to the stored response: its answers join the
/// stored ones, a score it has replaces the stored one, a score it lacks keeps the stored one.
fn merge_partial(row: &survey_response::Model, r: &NewToolResponse) -> NewToolResponse {
    let mut answers = row.answers.as_object().cloned().unwrap_or_default();
    if let Some(new) = r.answers.as_object() {
        answers.extend(new.clone());
    }
    let mut attributes = row.attributes.as_object().cloned().unwrap_or_default();
    if let Some(new) = r.attributes.as_object() {
        attributes.extend(new.clone());
    }
    NewToolResponse {
        answers: Value::Object(answers),
        attributes: Value::Object(attributes),
        respondent_id: r
            .respondent_id
            .clone()
            .or_else(|| row.respondent_id.clone()),
        scores: Scores {
            nps: r.scores.nps.or(row.nps),
            csat: r.scores.csat.or(row.csat),
            ces: r.scores.ces.or(row.ces),
            rating: r.scores.rating.or(row.rating),
        },
        occurred_at: row.occurred_at.unwrap_or(r.occurred_at).min(r.occurred_at),
        ..r.clone()
    }
}
