//! What a survey's results and responses pages read: counts per answer of one question,
//! grouped in the database (a survey may have a million responses), its text answers with
//! their analysis a page at a time, and its responses in pages or in order for an export.
//!
//! Answers are kept as JSON keyed by question id and, for counting, as rows of `survey_answer`
//! (one per answer, one per option of a multi-choice answer), written with the response.
//! Every value comes back as text (a score as "9", a choice as its option), so callers parse
//! what they expect.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entity::{
    feedback, feedback_keyword, feedback_pain_point, survey_answer, survey_response,
};
use super::insights::{text_bucket, Sql};
use super::rows::answer_models;
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

/// The condition that keeps one question's rows of `survey_answer` (the leading columns of
/// both its indexes).
fn answer_scope(q: &mut Sql, workspace_id: &str, survey_id: &str, question_id: &str) -> String {
    let (ws, sv, qid) = (
        q.bind(workspace_id.to_owned()),
        q.bind(survey_id.to_owned()),
        q.bind(question_id.to_owned()),
    );
    format!("workspace_id = {ws} AND survey_id = {sv} AND question_id = {qid}")
}

/// Writes the `survey_answer` rows of a response, replacing any it had, inside the caller's
/// transaction. The database's triggers keep `survey_answer_tally` in step (migration
/// `m20261206_000012_survey_tally`).
pub(super) async fn write_answer_rows<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &str,
    survey_id: &str,
    response_id: &str,
    received_at: DateTime<Utc>,
    answers: &serde_json::Value,
    open: &[&str],
) -> StoreResult<()> {
    survey_answer::Entity::delete_many()
        .filter(survey_answer::Column::ResponseId.eq(response_id))
        .exec(conn)
        .await?;
    let rows = answer_models(
        workspace_id,
        survey_id,
        response_id,
        received_at,
        answers,
        open,
    );
    // Seven columns a row: a thousand rows stay under both databases' parameter limits.
    for chunk in rows.chunks(1000) {
        survey_answer::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

fn count_of(row: &sea_orm::QueryResult, i: usize) -> StoreResult<u64> {
    let v: Option<i64> = row.try_get_by_index(i)?;
    Ok(v.unwrap_or(0).max(0) as u64)
}

/// The hour a counter of `survey_answer_tally` stands for, as the triggers write it
/// (`2026-12-06T09`, UTC).
fn hour_key(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H").to_string()
}

impl Store {
    /// Responses and the time of the last one, per survey of the workspace, in one statement:
    /// the responses from the surveys' counters (`survey_answer_tally`, question `''`), the
    /// last time from one step down `idx_survey_response_survey` per survey.
    pub async fn survey_totals(
        &self,
        workspace_id: &str,
    ) -> StoreResult<HashMap<String, SurveyTotals>> {
        let mut q = Sql::new(self.backend());
        // Bound once per use, in the order they appear (SQLite's `?` are positional).
        let (ws_last, ws) = (
            q.bind(workspace_id.to_owned()),
            q.bind(workspace_id.to_owned()),
        );
        let sql = format!(
            "SELECT t.survey_id, t.n, (SELECT r.received_at FROM survey_response r \
               WHERE r.workspace_id = {ws_last} AND r.survey_id = t.survey_id \
               ORDER BY r.received_at DESC LIMIT 1) \
             FROM (SELECT survey_id, CAST(SUM(responses) AS BIGINT) AS n \
               FROM survey_answer_tally WHERE workspace_id = {ws} AND question_id = '' \
               GROUP BY survey_id) t WHERE t.n > 0"
        );
        let rows = self.db.query_all(q.statement(sql)).await?;
        rows.iter()
            .map(|r| {
                let survey_id: String = r.try_get_by_index(0)?;
                let totals = SurveyTotals {
                    responses: count_of(r, 1)?,
                    last_at: r.try_get_by_index(2)?,
                };
                Ok((survey_id, totals))
            })
            .collect()
    }

    /// How many responses a survey has, from its counters.
    pub async fn survey_response_count(
        &self,
        workspace_id: &str,
        survey_id: &str,
    ) -> StoreResult<u64> {
        self.answered(workspace_id, survey_id, "").await
    }

    /// How many responses one survey has and when the last one came.
    pub async fn survey_total(
        &self,
        workspace_id: &str,
        survey_id: &str,
    ) -> StoreResult<SurveyTotals> {
        Ok(SurveyTotals {
            responses: self.survey_response_count(workspace_id, survey_id).await?,
            last_at: self.last_response_at(workspace_id, survey_id).await?,
        })
    }

    /// When the survey's last response came.
    async fn last_response_at(
        &self,
        workspace_id: &str,
        survey_id: &str,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(survey_response::Entity::find()
            .select_only()
            .column(survey_response::Column::ReceivedAt)
            .filter(survey_response::Column::WorkspaceId.eq(workspace_id))
            .filter(survey_response::Column::SurveyId.eq(survey_id))
            .order_by_desc(survey_response::Column::ReceivedAt)
            .into_tuple::<DateTime<Utc>>()
            .one(&self.db)
            .await?)
    }

    /// How often each answer of one question was given: `(answer as text, responses)`, for a
    /// score or single-choice question. Unanswered (hidden or skipped) responses are left out.
    pub async fn answer_counts(
        &self,
        workspace_id: &str,
        survey_id: &str,
        question_id: &str,
    ) -> StoreResult<Vec<(String, u64)>> {
        Ok(self
            .tally_by_value(workspace_id, survey_id, question_id)
            .await?
            .into_iter()
            .filter(|(_, _, responses)| *responses > 0)
            .map(|(value, _, responses)| (value, responses))
            .collect())
    }

    /// Each option of a multi-choice question with the responses that chose it, and how many
    /// responses answered the question at all.
    pub async fn multi_choice_counts(
        &self,
        workspace_id: &str,
        survey_id: &str,
        question_id: &str,
    ) -> StoreResult<(Vec<(String, u64)>, u64)> {
        let rows = self
            .tally_by_value(workspace_id, survey_id, question_id)
            .await?;
        // Every option chosen is an answer row; the first option of a response counts the
        // response once.
        let answered = rows.iter().map(|(_, _, responses)| responses).sum();
        let counts = rows
            .into_iter()
            .map(|(value, answers, _)| (value, answers))
            .collect();
        Ok((counts, answered))
    }

    /// One question's counters summed over time: `(value, answer rows, responses)`.
    async fn tally_by_value(
        &self,
        workspace_id: &str,
        survey_id: &str,
        question_id: &str,
    ) -> StoreResult<Vec<(String, u64, u64)>> {
        let mut q = Sql::new(self.backend());
        let scope = answer_scope(&mut q, workspace_id, survey_id, question_id);
        let sql = format!(
            "SELECT value, CAST(SUM(answers) AS BIGINT), CAST(SUM(responses) AS BIGINT) FROM survey_answer_tally \
             WHERE {scope} GROUP BY value"
        );
        let rows = self.db.query_all(q.statement(sql)).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get_by_index::<String>(0)?,
                    count_of(r, 1)?,
                    count_of(r, 2)?,
                ))
            })
            .filter(|r: &StoreResult<(String, u64, u64)>| r.as_ref().map_or(true, |r| r.1 > 0))
            .collect()
    }

    /// How many responses answered one question (`""`: how many responses there are).
    async fn answered(
        &self,
        workspace_id: &str,
        survey_id: &str,
        question_id: &str,
    ) -> StoreResult<u64> {
        let mut q = Sql::new(self.backend());
        let scope = answer_scope(&mut q, workspace_id, survey_id, question_id);
        let sql =
            format!("SELECT CAST(SUM(responses) AS BIGINT) FROM survey_answer_tally WHERE {scope}");
        match self.db.query_one(q.statement(sql)).await? {
            Some(r) => count_of(&r, 0),
            None => Ok(0),
        }
    }

    /// Answers of a score question per hour over `[from, to)`: `(hour start in seconds since
    /// the epoch, answer as text, responses)`. Counted by the hour, so the hours that hold
    /// `from` and `to` count whole.
    pub async fn answer_buckets(
        &self,
        workspace_id: &str,
        survey_id: &str,
        question_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, String, u64)>> {
        const HOUR: i64 = 3600;
        let mut q = Sql::new(self.backend());
        let scope = answer_scope(&mut q, workspace_id, survey_id, question_id);
        let (f, t) = (q.bind(hour_key(from)), q.bind(hour_key(to)));
        let sql = format!(
            "SELECT hour, value, responses FROM survey_answer_tally \
             WHERE {scope} AND hour >= {f} AND hour <= {t} AND responses > 0"
        );
        let rows = self.db.query_all(q.statement(sql)).await?;
        rows.iter()
            .map(|r| {
                let b = text_bucket(&r.try_get_by_index::<String>(0)?, HOUR)?;
                Ok((b, r.try_get_by_index::<String>(1)?, count_of(r, 2)?))
            })
            .filter(|r: &StoreResult<(i64, String, u64)>| {
                // `to` itself is not in the range: its hour counts only when it has begun.
                r.as_ref().map_or(true, |r| r.0 < to.timestamp())
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
        // The page's answers are found in `survey_answer` (newest responses first, one index
        // range however large the survey), then read as the feedback items they became:
        // `{response id}:{question id}` (see `response_feedback`).
        let total = self.answered(workspace_id, survey_id, question_id).await?;
        let mut q = Sql::new(backend);
        let scope = answer_scope(&mut q, workspace_id, survey_id, question_id);
        let (l, o) = (q.bind(limit as i64), q.bind(offset as i64));
        let responses: Vec<String> = self
            .db
            .query_all(q.statement(format!(
                "SELECT response_id FROM survey_answer WHERE {scope} AND ordinal = 0 \
                 ORDER BY received_at DESC, response_id DESC LIMIT {l} OFFSET {o}"
            )))
            .await?
            .iter()
            .map(|r| r.try_get_by_index::<String>(0))
            .collect::<Result<_, _>>()?;
        let external: Vec<String> = responses
            .iter()
            .map(|r| format!("{r}:{question_id}"))
            .collect();
        let mut items = if external.is_empty() {
            Vec::new()
        } else {
            feedback::Entity::find()
                .filter(feedback::Column::WorkspaceId.eq(workspace_id))
                .filter(feedback::Column::SourceKey.eq(format!("survey:{survey_id}")))
                .filter(feedback::Column::ExternalId.is_in(external.clone()))
                .all(&self.db)
                .await?
        };
        items.sort_by_key(|f| {
            external
                .iter()
                .position(|e| f.external_id.as_deref() == Some(e.as_str()))
        });
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

#[cfg(test)]
mod tests {
    use super::super::rows::answer_models;
    use serde_json::json;

    #[test]
    fn answers_become_one_row_per_value() {
        let at = chrono::Utc::now();
        let long = "好".repeat(300);
        let rows = answer_models(
            "ws",
            "sv",
            "rs",
            at,
            &json!({"nps": 9, "plan": "专业版", "features": ["配送", "客服"], "none": null,
                    "empty": [], "text": long, "half": 2.5, "reason": "送得很快"}),
            &["reason"],
        );
        let mut got: Vec<(String, i32, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.question_id.clone().unwrap(),
                    r.ordinal.clone().unwrap(),
                    r.value.clone().unwrap(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("features".into(), 0, "配送".into()),
                ("features".into(), 1, "客服".into()),
                ("half".into(), 0, "2.5".into()),
                ("nps".into(), 0, "9".into()),
                ("plan".into(), 0, "专业版".into()),
                // An open answer is counted, not kept: its text is its feedback item's.
                ("reason".into(), 0, String::new()),
                ("text".into(), 0, "好".repeat(200)),
            ]
        );
    }
}
