//! What the insights read from the store, as a trait the store implements: counts per time
//! bucket, pain-point counts and samples, uncategorised complaints and the workspace's own
//! categories. The insight room computes over these and never names the database.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::tally::Tally;
use crate::analysis::CustomCategory;

/// Whether `key` may name a respondent attribute in a query: 1 to 64 letters, digits, `_`,
/// `-` or `.` (it is bound as a value, but also spelled into SQLite's JSON path).
pub fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// What a trend series is split by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    Nothing,
    Channel,
    Source,
    /// A respondent attribute such as `plan`; the key is checked by the caller with
    /// [`is_plain_key`].
    Attr(String),
}

/// One time bucket (and group) of counts.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Start of the bucket, seconds since the Unix epoch.
    pub start: i64,
    pub group: Option<String>,
    pub tally: Tally,
}

/// A feedback item offered as a quote or as material for keywords and aspects.
#[derive(Debug, Clone)]
pub struct Sample {
    pub id: String,
    pub text: String,
    pub channel: String,
    pub occurred_at: DateTime<Utc>,
    pub analysis: Option<serde_json::Value>,
}

/// The aggregations insights are computed from; `crate::store::Store` answers them in SQL.
/// Every query is scoped to one workspace.
pub trait Aggregates: Sync {
    type Error;

    /// Tallies per `bucket_secs`-long bucket (aligned to the Unix epoch) of `[from, to)`,
    /// split by `group`.
    fn insight_buckets(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
        group: &GroupBy,
    ) -> impl Future<Output = Result<Vec<Bucket>, Self::Error>> + Send;

    /// (category, channel, items) of `[from, to)`.
    fn pain_point_channels(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<(String, String, u64)>, Self::Error>> + Send;

    /// (category, items) of `[from, to)`.
    fn pain_point_counts(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<(String, u64)>, Self::Error>> + Send;

    /// (bucket start, items) of one category in `[from, to)`, buckets as in
    /// [`Aggregates::insight_buckets`].
    fn pain_point_buckets(
        &self,
        workspace_id: &str,
        category: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
    ) -> impl Future<Output = Result<Vec<(i64, u64)>, Self::Error>> + Send;

    /// When a category was first seen in the workspace.
    fn pain_point_first_seen(
        &self,
        workspace_id: &str,
        category: &str,
    ) -> impl Future<Output = Result<Option<DateTime<Utc>>, Self::Error>> + Send;

    /// The newest `limit` items of a category in `[from, to)`.
    fn pain_point_samples(
        &self,
        workspace_id: &str,
        category: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<Sample>, Self::Error>> + Send;

    /// (id, keywords) of the newest `limit` complaints without a category.
    fn uncategorised_complaints(
        &self,
        workspace_id: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<(String, Vec<String>)>, Self::Error>> + Send;

    /// These items, as samples.
    fn samples_by_id(
        &self,
        workspace_id: &str,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<Sample>, Self::Error>> + Send;

    /// The workspace's own pain-point categories.
    fn custom_categories(
        &self,
        workspace_id: &str,
    ) -> impl Future<Output = Result<Vec<CustomCategory>, Self::Error>> + Send;
}

/// A slice of a workspace's feedback that insights can be narrowed to: one channel, one
/// source (a survey or a webhook/feed source), or the items whose respondent attribute `key`
/// has `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Channel(String),
    Source(String),
    /// (key, value); the key is a plain name as for [`GroupBy::Attr`].
    Attr(String, String),
}

/// The per-response sums behind the drivers and the segments (see `super::moments`): a
/// response is a survey response with all its text answers, or one feedback item that
/// belongs to none. `Metric::Volume` has no per-response value; asked for it, these answer
/// nothing.
pub trait ResponseAggregates: Sync {
    type Error;

    /// Every response of `[from, to)` that carries `metric`.
    fn response_moments(
        &self,
        workspace_id: &str,
        metric: super::tally::Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<super::moments::Moments, Self::Error>> + Send;

    /// Per pain-point category: the responses of `[from, to)` carrying `metric` that mention
    /// it in at least one text answer, each counted once.
    fn pain_point_moments(
        &self,
        workspace_id: &str,
        metric: super::tally::Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<(String, super::moments::Moments)>, Self::Error>> + Send;

    /// The responses carrying `metric` that any of these feedback items belong to.
    fn moments_of_items(
        &self,
        workspace_id: &str,
        metric: super::tally::Metric,
        ids: &[String],
    ) -> impl Future<Output = Result<super::moments::Moments, Self::Error>> + Send;

    /// Per value of `group`: the responses of `[from, to)` carrying `metric`.
    fn moments_by_group(
        &self,
        workspace_id: &str,
        metric: super::tally::Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        group: &GroupBy,
    ) -> impl Future<Output = Result<Vec<(String, super::moments::Moments)>, Self::Error>> + Send;

    /// Feedback items of `[from, to)` per value of `group`, and per (category, value) the
    /// items carrying that pain point.
    #[allow(clippy::type_complexity)]
    fn pain_points_by_group(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        group: &GroupBy,
    ) -> impl Future<Output = Result<(Vec<(String, u64)>, Vec<(String, String, u64)>), Self::Error>> + Send;
}
