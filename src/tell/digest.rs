//! The `Digest` value: what one workspace's team reads for one period, built from the
//! insights and rendered by [`super::render`] (HTML, text, markdown) and [`super::chart`].

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One workspace's digest for one period (an ISO week such as `2026-W47`, or a day).
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub workspace_id: String,
    pub workspace_name: String,
    /// Period key: `2026-W47` (weekly) or `2026-11-16` (daily).
    pub period: String,
    /// The period for people: `2026年第47周` or `2026年11月16日`.
    pub period_label: String,
    /// The period's bounds, `to` exclusive, and the zone they were taken in.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub timezone: String,
    /// Headline numbers, always in this order: NPS, CSAT, sentiment index, volume.
    pub headline: Vec<Headline>,
    /// The top pain points of the period (at most five), ranked.
    pub pain_points: Vec<PainPointLine>,
    /// Complaints first seen this period: new categories and emerging clusters.
    pub new_complaints: Vec<PainPointLine>,
    /// One line per channel with its volume and mood.
    pub channels: Vec<ChannelLine>,
    /// Trend charts over the last weeks (drawn as PNGs and attached inline by content id).
    pub charts: Vec<TrendChart>,
    /// Link to the console's feedback list for the whole period.
    pub console_url: String,
}

pub use crate::insight::tally::Metric;

#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub metric: Metric,
    /// The value this period, in the metric's display unit: NPS in points (-100..100), CSAT as
    /// a percentage (0..100), sentiment index in points (-100..100), volume as a count.
    /// `None` when the period has no data for it.
    pub value: Option<f64>,
    pub previous: Option<f64>,
    /// `value - previous` in the same unit (for volume: the relative change, 0.25 = +25%).
    pub change: Option<f64>,
    /// The change passed the metric's significance test (p < 0.05); only then does a
    /// renderer mark it with an arrow.
    pub significant: bool,
    /// Observations behind the value (responses with a score, analysed items, items).
    pub n: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PainPointLine {
    /// Category id (`payment`, a workspace category id) or emerging-cluster id.
    pub id: String,
    pub name: String,
    pub count: u64,
    /// Share of the period's complaints (items that are negative or mixed, or carry a pain
    /// point), 0..1.
    #[serde(serialize_with = "three_places")]
    pub share: f64,
    pub previous_count: u64,
    /// Relative change in count against the previous period (0.5 = +50%); `None` when the
    /// previous period had none.
    #[serde(serialize_with = "three_places_opt")]
    pub change: Option<f64>,
    pub significant: bool,
    /// First time this pain point was seen in the workspace.
    pub first_seen: Option<DateTime<Utc>>,
    /// Not seen before this period.
    #[serde(rename = "new")]
    pub is_new: bool,
    /// An emerging cluster (no category), labelled by its keywords.
    pub emerging: bool,
    pub keywords: Vec<String>,
    /// Aspect–opinion pairs such as `支付→失败`.
    pub aspects: Vec<String>,
    pub quotes: Vec<Quote>,
    /// Channels it came from, with counts, most first (`[{"channel", "count"}]` in JSON).
    #[serde(serialize_with = "channel_counts")]
    pub channels: Vec<(String, u64)>,
    /// Console link to the feedback behind this line.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Quote {
    pub feedback_id: String,
    /// Already redacted at ingest; still untrusted user text: escape when rendering.
    pub text: String,
    pub channel: String,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChannelLine {
    pub channel: String,
    pub count: u64,
    pub previous_count: u64,
    /// Sentiment index in points (-100..100), `None` without analysed items.
    pub sentiment: Option<f64>,
    pub nps: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendChart {
    /// Content id of the inline image (`nps-trend@tingjian`), referenced as `cid:…`.
    pub cid: String,
    pub title: String,
    pub metric: Metric,
    /// Oldest first: period key (`2026-W40`) and value, `None` where the week had no data.
    pub points: Vec<(String, Option<f64>)>,
}

/// Shares and changes are read by people: three decimals are plenty.
fn three_places<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((x * 1000.0).round() / 1000.0)
}

fn three_places_opt<S: serde::Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(x) => three_places(x, s),
        None => s.serialize_none(),
    }
}

fn channel_counts<S: serde::Serializer>(v: &[(String, u64)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    #[derive(Serialize)]
    struct ChannelCount<'a> {
        channel: &'a str,
        count: u64,
    }
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for (channel, count) in v {
        seq.serialize_element(&ChannelCount {
            channel,
            count: *count,
        })?;
    }
    seq.end()
}
