//! Feedback items: stored in one transaction per request (all or nothing), deduplicated by
//! `(workspace, source_key, external_id)`, listed with filters and a cursor, and counted.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, LikeExpr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, Set, TransactionTrait,
};
use serde_json::Value;

use super::entity::{feedback, feedback_keyword, feedback_pain_point, interview, survey_response};
use super::rows::{insert_items, Delivery, Ingested, NewSurveyResponse};
use super::{Store, StoreResult};
use crate::domain::{Channel, NewFeedback};

pub use feedback::Model as Feedback;

pub struct NewInterview {
    pub id: String,
    pub title: String,
    pub format: String,
    pub interviewee_id: Option<String>,
    pub attributes: Value,
    pub turns: Value,
}

#[derive(Debug, Default, Clone)]
pub struct FeedbackFilter {
    pub channel: Option<Channel>,
    /// A source id (`src_…`, a survey id) or a full source key (`mentions:weibo`).
    pub source: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub attributes: Vec<(String, String)>,
    pub text_contains: Option<String>,
    pub respondent_id: Option<String>,
    pub sentiment: Option<String>,
    pub pain_point: Option<String>,
    pub keyword: Option<String>,
    pub sort: FeedbackSort,
    /// Items strictly after this one in the list's order.
    pub cursor: Option<FeedbackCursor>,
    pub limit: u64,
}

/// The order of a feedback list: by when the feedback was given (the default) or when it
/// was stored, newest first; the id breaks ties, so the order is total and a cursor exact.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackSort {
    #[default]
    Occurred,
    Received,
}

impl FeedbackSort {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "occurred" => Some(Self::Occurred),
            "received" => Some(Self::Received),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Occurred => "occurred",
            Self::Received => "received",
        }
    }

    fn column(self) -> feedback::Column {
        match self {
            Self::Occurred => feedback::Column::OccurredAt,
            Self::Received => feedback::Column::ReceivedAt,
        }
    }

    fn key(self, f: &Feedback) -> DateTime<Utc> {
        match self {
            Self::Occurred => f.occurred_at,
            Self::Received => f.received_at,
        }
    }
}

/// Where the next page of a list starts: the sort key and id of the last item read. It
/// carries its sort, so a cursor is never read against a list in another order. As text:
/// `o.{unix seconds}.{nanoseconds}.{id}` (`r.` for the received order); the time keeps every
/// digit the database stored, as the next page compares it for equality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackCursor {
    pub sort: FeedbackSort,
    pub at: DateTime<Utc>,
    pub id: String,
}

impl FeedbackCursor {
    fn after(sort: FeedbackSort, f: &Feedback) -> Self {
        Self {
            sort,
            at: sort.key(f),
            id: f.id.clone(),
        }
    }

    pub fn encode(&self) -> String {
        let tag = match self.sort {
            FeedbackSort::Occurred => 'o',
            FeedbackSort::Received => 'r',
        };
        format!(
            "{tag}.{}.{}.{}",
            self.at.timestamp(),
            self.at.timestamp_subsec_nanos(),
            self.id
        )
    }

    /// `None` for text that no list handed out.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.splitn(4, '.');
        let sort = match parts.next()? {
            "o" => FeedbackSort::Occurred,
            "r" => FeedbackSort::Received,
            _ => return None,
        };
        let secs: i64 = parts.next()?.parse().ok()?;
        let nanos: u32 = parts.next()?.parse().ok()?;
        let id = parts.next()?;
        if id.is_empty() || id.len() > 64 {
            return None;
        }
        Some(Self {
            sort,
            at: DateTime::from_timestamp(secs, nanos)?,
            id: id.to_owned(),
        })
    }
}

/// How many items a filter matches, and how many of them carry each sentiment label.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FeedbackCount {
    pub total: u64,
    pub by_sentiment: SentimentCounts,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SentimentCounts {
    pub positive: u64,
    pub negative: u64,
    pub neutral: u64,
    pub mixed: u64,
    /// A language the engine does not read (Japanese, Korean): no sentiment.
    pub unknown: u64,
}

#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Erased {
    pub feedback: u64,
    pub survey_responses: u64,
    pub interviews: u64,
}

impl Store {
    /// Stores a batch all or nothing; returns once it is committed (in the writer's next
    /// transaction, with whatever other requests are waiting).
    pub async fn ingest(&self, workspace_id: &str, items: &[NewFeedback]) -> StoreResult<Ingested> {
        if items.is_empty() {
            return Ok(Ingested::default());
        }
        match self
            .writer
            .items(workspace_id, None, items, self.now())
            .await?
        {
            Delivery::New(done) => Ok(done),
            Delivery::Replay { .. } => unreachable!("a batch without a marker is never a replay"),
        }
    }

    /// Stores a signed webhook delivery once: the delivery id is recorded in the same
    /// transaction as its items, so a redelivery (even a concurrent one, even in the same
    /// batch of the writer) stores nothing.
    pub async fn ingest_webhook(
        &self,
        workspace_id: &str,
        source_id: &str,
        webhook_id: &str,
        items: &[NewFeedback],
    ) -> StoreResult<Delivery> {
        self.writer
            .items(
                workspace_id,
                Some((source_id, webhook_id)),
                items,
                self.now(),
            )
            .await
    }

    /// [`Store::ingest_webhook`] for items handed over, answered on `reply` once stored (or
    /// found to be a redelivery).
    pub async fn submit_webhook(
        &self,
        workspace_id: String,
        marker: (String, String),
        items: Vec<NewFeedback>,
        reply: tokio::sync::oneshot::Sender<StoreResult<Delivery>>,
    ) {
        self.writer
            .submit(workspace_id, Some(marker), items, self.now(), reply)
            .await
    }

    /// Stores a survey response and its text answers together. A response id seen before
    /// (a retried submission) stores nothing and returns `false`. The responses arriving
    /// together are written in the same few statements (`writer.rs`).
    pub async fn record_survey_response(
        &self,
        workspace_id: &str,
        response: NewSurveyResponse,
        items: Vec<NewFeedback>,
    ) -> StoreResult<bool> {
        self.writer
            .response(workspace_id.to_owned(), response, items, self.now())
            .await
    }

    /// Stores an interview (every turn, as context) and its respondent turns as feedback.
    /// `None` when an interview with this id is already stored (a retried upload).
    pub async fn create_interview(
        &self,
        workspace_id: &str,
        new: NewInterview,
        items: &[NewFeedback],
    ) -> StoreResult<Option<Ingested>> {
        let (workspace_id, items, now) = (workspace_id.to_owned(), items.to_vec(), self.now());
        self.writer
            .run(move |txn| {
                Box::pin(async move { write_interview(txn, &workspace_id, new, &items, now).await })
            })
            .await
    }

    pub async fn feedback(&self, workspace_id: &str, id: &str) -> StoreResult<Option<Feedback>> {
        Ok(feedback::Entity::find_by_id(id.to_owned())
            .filter(feedback::Column::WorkspaceId.eq(workspace_id))
            .one(&self.db)
            .await?)
    }

    /// One page of feedback in the filter's order, newest first, and the cursor of the next
    /// page if there is one.
    pub async fn list_feedback(
        &self,
        workspace_id: &str,
        filter: &FeedbackFilter,
    ) -> StoreResult<(Vec<Feedback>, Option<String>)> {
        let sort = filter.sort;
        let mut q = self.filtered(workspace_id, filter);
        if let Some(c) = &filter.cursor {
            // A row-value comparison: both databases walk the (workspace, time, id) index
            // from the cursor on.
            q = q.filter(
                Expr::tuple([
                    Expr::col(sort.column()).into(),
                    Expr::col(feedback::Column::Id).into(),
                ])
                .lt(Expr::tuple([Expr::value(c.at), Expr::value(c.id.clone())])),
            );
        }
        let mut rows = q
            .order_by_desc(sort.column())
            .order_by_desc(feedback::Column::Id)
            .limit(filter.limit + 1)
            .all(&self.db)
            .await?;
        let next = if rows.len() as u64 > filter.limit {
            rows.truncate(filter.limit as usize);
            rows.last().map(|r| FeedbackCursor::after(sort, r).encode())
        } else {
            None
        };
        Ok((rows, next))
    }

    /// How many items the filter matches (its cursor, order and limit aside), by sentiment:
    /// one grouped query.
    pub async fn count_feedback(
        &self,
        workspace_id: &str,
        filter: &FeedbackFilter,
    ) -> StoreResult<FeedbackCount> {
        let groups: Vec<(Option<String>, i64)> = self
            .filtered(workspace_id, filter)
            .select_only()
            .column(feedback::Column::Sentiment)
            .column_as(Expr::col(feedback::Column::Id).count(), "n")
            .group_by(feedback::Column::Sentiment)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut count = FeedbackCount::default();
        for (label, n) in groups {
            let n = n.max(0) as u64;
            count.total += n;
            let slot = match label.as_deref() {
                Some("positive") => &mut count.by_sentiment.positive,
                Some("negative") => &mut count.by_sentiment.negative,
                Some("neutral") => &mut count.by_sentiment.neutral,
                Some("mixed") => &mut count.by_sentiment.mixed,
                Some("unknown") => &mut count.by_sentiment.unknown,
                _ => continue,
            };
            *slot += n;
        }
        Ok(count)
    }

    /// Like [`Store::count_feedback`], but reads at most `cap` matching items: the answer and
    /// whether the cap was reached (then the true count is larger). A page that shows a total
    /// beside its list stays fast on a workspace of millions.
    pub async fn count_feedback_up_to(
        &self,
        workspace_id: &str,
        filter: &FeedbackFilter,
        cap: u64,
    ) -> StoreResult<(FeedbackCount, bool)> {
        let labels: Vec<Option<String>> = self
            .filtered(workspace_id, filter)
            .select_only()
            .column(feedback::Column::Sentiment)
            .limit(cap + 1)
            .into_tuple()
            .all(&self.db)
            .await?;
        let capped = labels.len() as u64 > cap;
        let mut count = FeedbackCount::default();
        for label in labels.iter().take(cap as usize) {
            count.total += 1;
            match label.as_deref() {
                Some("positive") => count.by_sentiment.positive += 1,
                Some("negative") => count.by_sentiment.negative += 1,
                Some("neutral") => count.by_sentiment.neutral += 1,
                Some("mixed") => count.by_sentiment.mixed += 1,
                Some("unknown") => count.by_sentiment.unknown += 1,
                _ => {}
            }
        }
        Ok((count, capped))
    }

    /// The workspace's items that pass the filter's conditions, in no order.
    fn filtered(&self, workspace_id: &str, filter: &FeedbackFilter) -> Select<feedback::Entity> {
        let backend = self.backend();
        let mut q = feedback::Entity::find().filter(feedback::Column::WorkspaceId.eq(workspace_id));
        if let Some(channel) = filter.channel {
            q = q.filter(feedback::Column::Channel.eq(channel.as_str()));
        }
        if let Some(source) = &filter.source {
            q = q.filter(
                feedback::Column::SourceId
                    .eq(source.as_str())
                    .or(feedback::Column::SourceKey.eq(source.as_str()))
                    .or(feedback::Column::SourceKey.eq(format!("survey:{source}"))),
            );
        }
        if let Some(from) = filter.from {
            q = q.filter(feedback::Column::OccurredAt.gte(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(feedback::Column::OccurredAt.lt(to));
        }
        if let Some(r) = &filter.respondent_id {
            q = q.filter(feedback::Column::RespondentId.eq(r.as_str()));
        }
        for (key, value) in &filter.attributes {
            q = q.filter(attribute_equals(backend, key, value));
        }
        if let Some(needle) = &filter.text_contains {
            let pattern = format!("%{}%", escape_like(&needle.to_lowercase()));
            q = q.filter(
                Expr::expr(Func::lower(Expr::col(feedback::Column::Text)))
                    .like(LikeExpr::new(pattern).escape('\\')),
            );
        }
        if let Some(label) = &filter.sentiment {
            q = q.filter(feedback::Column::Sentiment.eq(label.as_str()));
        }
        if let Some(category) = &filter.pain_point {
            q = q.filter(
                feedback::Column::Id.in_subquery(
                    Query::select()
                        .column(feedback_pain_point::Column::FeedbackId)
                        .from(feedback_pain_point::Entity)
                        .and_where(feedback_pain_point::Column::WorkspaceId.eq(workspace_id))
                        .and_where(feedback_pain_point::Column::Category.eq(category.as_str()))
                        .to_owned(),
                ),
            );
        }
        if let Some(word) = &filter.keyword {
            q = q.filter(
                feedback::Column::Id.in_subquery(
                    Query::select()
                        .column(feedback_keyword::Column::FeedbackId)
                        .from(feedback_keyword::Entity)
                        .and_where(feedback_keyword::Column::WorkspaceId.eq(workspace_id))
                        .and_where(feedback_keyword::Column::Keyword.eq(word.as_str()))
                        .to_owned(),
                ),
            );
        }
        q
    }

    pub async fn delete_feedback(&self, workspace_id: &str, id: &str) -> StoreResult<bool> {
        let res = feedback::Entity::delete_many()
            .filter(feedback::Column::WorkspaceId.eq(workspace_id))
            .filter(feedback::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Erases everything stored of one respondent: feedback, survey responses, interviews.
    pub async fn erase_respondent(
        &self,
        workspace_id: &str,
        respondent_id: &str,
    ) -> StoreResult<Erased> {
        let txn = self.db.begin().await?;
        let feedback = feedback::Entity::delete_many()
            .filter(feedback::Column::WorkspaceId.eq(workspace_id))
            .filter(feedback::Column::RespondentId.eq(respondent_id))
            .exec(&txn)
            .await?
            .rows_affected;
        let survey_responses = survey_response::Entity::delete_many()
            .filter(survey_response::Column::WorkspaceId.eq(workspace_id))
            .filter(survey_response::Column::RespondentId.eq(respondent_id))
            .exec(&txn)
            .await?
            .rows_affected;
        let interviews = interview::Entity::find()
            .filter(interview::Column::WorkspaceId.eq(workspace_id))
            .filter(interview::Column::IntervieweeId.eq(respondent_id))
            .select_only()
            .column(interview::Column::Id)
            .into_tuple::<String>()
            .all(&txn)
            .await?;
        for id in &interviews {
            feedback::Entity::delete_many()
                .filter(feedback::Column::WorkspaceId.eq(workspace_id))
                .filter(feedback::Column::SourceKey.eq(format!("interview:{id}")))
                .exec(&txn)
                .await?;
        }
        interview::Entity::delete_many()
            .filter(interview::Column::WorkspaceId.eq(workspace_id))
            .filter(interview::Column::IntervieweeId.eq(respondent_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(Erased {
            feedback,
            survey_responses,
            interviews: interviews.len() as u64,
        })
    }
}

/// An interview's row and its items; `None` when its id is already stored.
async fn write_interview<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &str,
    new: NewInterview,
    items: &[NewFeedback],
    now: DateTime<Utc>,
) -> StoreResult<Option<Ingested>> {
    let inserted = interview::Entity::insert(interview::ActiveModel {
        id: Set(new.id),
        workspace_id: Set(workspace_id.to_owned()),
        title: Set(new.title),
        format: Set(new.format),
        interviewee_id: Set(new.interviewee_id),
        attributes: Set(new.attributes),
        turns: Set(new.turns),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(interview::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if inserted == 0 {
        return Ok(None);
    }
    Ok(Some(insert_items(conn, workspace_id, items, now).await?))
}

/// `attributes[key] == value`, compared as text (numbers and booleans as they print), the
/// same on both backends: PostgreSQL's `->>` gives `true`/`false` for booleans, while SQLite's
/// `json_extract` gives `1`/`0`, so SQLite spells booleans out by their JSON type first.
pub(super) fn attribute_equals(
    backend: DbBackend,
    key: &str,
    value: &str,
) -> sea_orm::sea_query::SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_values("(attributes ->> $1) = $2", [key, value]),
        _ => {
            let mut values = Vec::new();
            let text = super::db::sqlite_attribute_text("attributes", key, |v| {
                values.push(v);
                "?".to_owned()
            });
            values.push(value.to_owned());
            Expr::cust_with_values(format!("{text} = ?"), values)
        }
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_keeps_its_order_and_every_digit_of_its_time() {
        let at = DateTime::from_timestamp(1_764_547_200, 123_456_789).unwrap();
        for sort in [FeedbackSort::Occurred, FeedbackSort::Received] {
            let c = FeedbackCursor {
                sort,
                at,
                id: "fb_01a226ea8d03731c87a486aad9a7a480".into(),
            };
            assert_eq!(FeedbackCursor::parse(&c.encode()), Some(c));
        }
        assert_eq!(
            FeedbackCursor {
                sort: FeedbackSort::Received,
                at,
                id: "fb_1".into()
            }
            .encode(),
            "r.1764547200.123456789.fb_1"
        );
        for bad in [
            "",
            "fb_01a226ea8d03731c87a486aad9a7a480",
            "o.1.2",
            "o.1.2.",
            "x.1.2.fb_1",
            "o.one.2.fb_1",
            "o.1.2000000000.fb_1",
        ] {
            assert_eq!(FeedbackCursor::parse(bad), None, "{bad}");
        }
    }
}
