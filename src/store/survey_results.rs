//! What a survey's results and responses pages read: counts per answer of one question,
//! grouped in the database (a survey may have a million responses), its text answers with
//! their analysis a page at a time, and its responses in pages or in order for an export.
//!
//! Answers are kept as JSON keyed by question id; SQLite reads them with `json_extract` and
//! `json_each`, PostgreSQL with `->>` and `jsonb_array_elements_text`. Every value comes back
//! as text (a score as "9", a choice as its option), so callers parse what they expect.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::entity::{feedback, feedback_keyword, feedback_pain_point, survey_response};
use super::insights::{bucket_expr, text_bucket, Sql};
use super::{Store, StoreResult};

pub use survey_response::Model as SurveyResponse;

/// How many responses a survey has and when the last one came.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyTotals {
    pub responses: u64,
    pub last_at: Option<DateTime<Utc>>,
}

/// A text answer with what the analysis found in it.
#[derive(Debug, Clone)]
pub struct TextAnswer {
    pub feedback_id: String,
    pub text: String,
    pub occurred_at: DateTime<Utc>,
    pub respondent_id: Option<String>,
    pub sentiment: Option<String>,
    pub pain_points: Vec<String>,
    pub keywords: Vec<String>,
}

/// The text of one question's answer in `survey_response.answers` (a number, a string, or
/// for a multi-choice question its JSON array as text).
fn answer_expr(q: &mut Sql, backend: DbBackend, question_id: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("(answers ->> {})", q.bind(question_id.to_owned())),
        _ => format!(
            "CAST(json_extract(answers, {}) AS TEXT)",
            q.bind(json_path(question_id))
        ),
    }
}

/// `$."id"`: question ids are letters, digits, `_` and `-`, so quoting is enough.
fn json_path(question_id: &str) -> String {
    format!("$.\"{question_id}\"")
}

fn count_of(row: &sea_orm::QueryResult, i: usize) -> StoreResult<u64> {
    let v: Option<i64> = row.try_get_by_index(i)?;
    Ok(v.unwrap_or(0).max(0) as u64)
}

impl Store {
    /// Responses and the time of the last one, per survey of the workspace (an index-only
    /// scan of `idx_survey_response_survey`).
    pub async fn survey_totals(
        &self,
        workspace_id: &str,
    ) -> StoreResult<HashMap<String, SurveyTotals>> {
        #[derive(FromQueryResult)]
        struct Row {
            survey_id: String,
            responses: i64,
            last_at: Option<DateTime<Utc>>,
        }
        let rows = survey_response::Entity::find()
            .select_only()
            .column(survey_response::Column::SurveyId)
            .column_as(survey_response::Column::Id.count(), "responses")
            .column_as(survey_response::Column::ReceivedAt.max(), "last_at")
            .filter(survey_response::Column::WorkspaceId.eq(workspace_id))
            .group_by(survey_response::Column::SurveyId)
            .into_model::<Row>()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.survey_id,
                    SurveyTotals {
                        responses: r.responses.max(0) as u64,
                        last_at: r.last_at,
                    },
                )
            })
            .collect())
    }

    /// How often each answer of one question was given: `(answer as text, responses)`, for a
    /// score or single-choice question. Unanswered (hidden or skipped) responses are left out.
    pub async fn answer_counts(
        &self,
        workspace_id: &str,
        survey_id: &str,
        question_id: &str,
    ) -> StoreResult<Vec<(String, u64)>> {
        let backend = self.backend();
        // SQLite's `?` are positional: values are bound in the order they appear.
        let mut q = Sql::new(backend);
        let value = answer_expr(&mut q, backend, question_id);
        let (ws, sv) = (
            q.bind(workspace_id.to_owned()),
            q.bind(survey_id.to_owned()),
        );
        let answered = answer_expr(&mut q, backend, question_id);
        let sql = format!(
            "SELECT {value} AS v, COUNT(*) FROM survey_response \
             WHERE workspace_id = {ws} AND survey_id = {sv} AND {answered} IS NOT NULL GROUP BY 1"
        );
        let rows = self.db.query_all(q.statement(sql)).await?;
        rows.iter()
            .map(|r| Ok((r.try_get_by_index::<String>(0)?, count_of(r, 1)?)))
            .collect()
    }

    /// Each option of a multi-choice question with the responses that chose it, and how many
    /// responses answered the question at all.
    pub async fn multi_choice_counts(
        &self,
        workspace_id: &str,
        survey_id: &str,
        question_id: &str,
    ) -> StoreResult<(Vec<(String, u64)>, u64)> {
        let backend = self.backend();
        let mut q = Sql::new(backend);
        // The question comes first in the text, so it is bound first (SQLite's `?`).
        let sql = match backend {
            DbBackend::Postgres => {
                let qid = q.bind(question_id.to_owned());
                let (ws, sv) = (
                    q.bind(workspace_id.to_owned()),
                    q.bind(survey_id.to_owned()),
                );
                format!(
                    "SELECT o.v, COUNT(*) FROM survey_response r \
                     CROSS JOIN LATERAL jsonb_array_elements_text(\
                        CASE WHEN jsonb_typeof(r.answers -> {qid}) = 'array' \
                        THEN r.answers -> {qid} ELSE '[]'::jsonb END) AS o(v) \
                     WHERE r.workspace_id = {ws} AND r.survey_id = {sv} GROUP BY 1"
                )
            }
            _ => {
                let path = q.bind(json_path(question_id));
                let (ws, sv) = (
                    q.bind(workspace_id.to_owned()),
                    q.bind(survey_id.to_owned()),
                );
                format!(
                    "SELECT o.value, COUNT(*) FROM survey_response r, json_each(r.answers, {path}) o \
                     WHERE r.workspace_id = {ws} AND r.survey_id = {sv} GROUP BY 1"
                )
            }
        };
        let rows = self.db.query_all(q.statement(sql)).await?;
        let counts = rows
            .iter()
            .map(|r| Ok((r.try_get_by_index::<String>(0)?, count_of(r, 1)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        let mut q = Sql::new(backend);
        let (ws, sv) = (
            q.bind(workspace_id.to_owned()),
            q.bind(survey_id.to_owned()),
        );
        let value = answer_expr(&mut q, backend, question_id);
        let sql = format!(
            "SELECT COUNT(*) FROM survey_response \
             WHERE workspace_id = {ws} AND survey_id = {sv} AND {value} IS NOT NULL"
        );
        let answered = match self.db.query_one(q.statement(sql)).await? {
            Some(r) => count_of(&r, 0)?,
            None => 0,
        };
        Ok((counts, answered))
    }

    /// Answers of a score question per hour bucket over `[from, to)`: `(bucket start in
    /// seconds since the epoch, answer as text, responses)`. A bucket may come back in several
    /// rows on SQLite; callers add them up.
    pub async fn answer_buckets(
        &self,
        workspace_id: &str,
        survey_id: &str,
        question_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, String, u64)>> {
        const HOUR: i64 = 3600;
        let backend = self.backend();
        let mut q = Sql::new(backend);
        let bucket = bucket_expr(backend, "received_at", HOUR);
        let value = answer_expr(&mut q, backend, question_id);
        let (ws, sv) = (
            q.bind(workspace_id.to_owned()),
            q.bind(survey_id.to_owned()),
        );
        let (f, t) = (q.bind(from), q.bind(to));
        let answered = answer_expr(&mut q, backend, question_id);
        let sql = format!(
            "SELECT {bucket} AS b, {value} AS v, COUNT(*) FROM survey_response \
             WHERE workspace_id = {ws} AND survey_id = {sv} \
             AND received_at >= {f} AND received_at < {t} AND {answered} IS NOT NULL GROUP BY 1, 2"
        );
        let rows = self.db.query_all(q.statement(sql)).await?;
        rows.iter()
            .map(|r| {
                let b = match backend {
                    DbBackend::Postgres => r.try_get_by_index::<i64>(0)?,
                    _ => text_bucket(&r.try_get_by_index::<String>(0)?, HOUR)?,
                };
                Ok((b, r.try_get_by_index::<String>(1)?, count_of(r, 2)?))
            })
            .collect()
    }

    /// One page of a text question's answers, newest first, with their sentiment, pain points
    /// and keywords; and how many answers the question has.
    pub async fn text_answers(
        &self,
        workspace_id: &str,
        survey_id: &str,
        question_id: &str,
        offset: u64,
        limit: u64,
    ) -> StoreResult<(u64, Vec<TextAnswer>)> {
        let backend = self.backend();
        let where_sql = |q: &mut Sql| {
            let (ws, src, suffix) = (
                q.bind(workspace_id.to_owned()),
                q.bind(format!("survey:{survey_id}")),
                q.bind(format!(":{question_id}")),
            );
            // An answer's item is `{response id}:{question id}` (see `response_feedback`).
            format!(
                "workspace_id = {ws} AND source_key = {src} AND response_id IS NOT NULL \
                 AND external_id = response_id || {suffix}"
            )
        };
        let mut q = Sql::new(backend);
        let w = where_sql(&mut q);
        let total = match self
            .db
            .query_one(q.statement(format!("SELECT COUNT(*) FROM feedback WHERE {w}")))
            .await?
        {
            Some(r) => count_of(&r, 0)?,
            None => 0,
        };
        let mut q = Sql::new(backend);
        let w = where_sql(&mut q);
        let (l, o) = (q.bind(limit as i64), q.bind(offset as i64));
        let items = feedback::Entity::find()
            .from_raw_sql(q.statement(format!(
                "SELECT * FROM feedback WHERE {w} ORDER BY occurred_at DESC, id DESC LIMIT {l} OFFSET {o}"
            )))
            .all(&self.db)
            .await?;
        let ids: Vec<String> = items.iter().map(|f| f.id.clone()).collect();
        let mut pains: HashMap<String, Vec<String>> = HashMap::new();
        let mut words: HashMap<String, Vec<String>> = HashMap::new();
        if !ids.is_empty() {
            for p in feedback_pain_point::Entity::find()
                .filter(feedback_pain_point::Column::FeedbackId.is_in(ids.clone()))
                .order_by_asc(feedback_pain_point::Column::Category)
                .all(&self.db)
                .await?
            {
                pains.entry(p.feedback_id).or_default().push(p.category);
            }
            for k in feedback_keyword::Entity::find()
                .filter(feedback_keyword::Column::FeedbackId.is_in(ids))
                .order_by_asc(feedback_keyword::Column::Keyword)
                .all(&self.db)
                .await?
            {
                words.entry(k.feedback_id).or_default().push(k.keyword);
            }
        }
        let answers = items
            .into_iter()
            .map(|f| TextAnswer {
                pain_points: pains.remove(&f.id).unwrap_or_default(),
                keywords: words.remove(&f.id).unwrap_or_default(),
                feedback_id: f.id,
                text: f.text,
                occurred_at: f.occurred_at,
                respondent_id: f.respondent_id,
                sentiment: f.sentiment,
            })
            .collect();
        Ok((total, answers))
    }

    /// One page of a survey's responses, newest first, and how many it has.
    pub async fn survey_responses(
        &self,
        workspace_id: &str,
        survey_id: &str,
        offset: u64,
        limit: u64,
    ) -> StoreResult<(u64, Vec<SurveyResponse>)> {
        let query = survey_response::Entity::find()
            .filter(survey_response::Column::WorkspaceId.eq(workspace_id))
            .filter(survey_response::Column::SurveyId.eq(survey_id));
        let total = query.clone().count(&self.db).await?;
        let rows = query
            .order_by_desc(survey_response::Column::ReceivedAt)
            .order_by_desc(survey_response::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok((total, rows))
    }

    /// The next `limit` responses of a survey in the order received, after `after` (the last
    /// one of the previous batch): an export reads a whole survey this way in bounded memory.
    pub async fn survey_responses_after(
        &self,
        workspace_id: &str,
        survey_id: &str,
        after: Option<(DateTime<Utc>, String)>,
        limit: u64,
    ) -> StoreResult<Vec<SurveyResponse>> {
        use sea_orm::Condition;
        let mut query = survey_response::Entity::find()
            .filter(survey_response::Column::WorkspaceId.eq(workspace_id))
            .filter(survey_response::Column::SurveyId.eq(survey_id));
        if let Some((at, id)) = after {
            // `received_at >= at` alone lets the index seek to the batch's start; the rest
            // skips the rows of `at` already read.
            query = query
                .filter(survey_response::Column::ReceivedAt.gte(at))
                .filter(
                    Condition::any()
                        .add(survey_response::Column::ReceivedAt.gt(at))
                        .add(survey_response::Column::Id.gt(id)),
                );
        }
        Ok(query
            .order_by_asc(survey_response::Column::ReceivedAt)
            .order_by_asc(survey_response::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }
}
