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

pub use crate::insight::quotes::Quote;
pub use crate::insight::ranking::PainPointLine;
pub use crate::insight::summary::{ChannelLine, Headline};
pub use crate::insight::tally::Metric;

#[derive(Debug, Clone, Serialize)]
pub struct TrendChart {
    /// Content id of the inline image (`nps-trend@tingjian`), referenced as `cid:…`.
    pub cid: String,
    pub title: String,
    pub metric: Metric,
    /// Oldest first: period key (`2026-W40`) and value, `None` where the week had no data.
    pub points: Vec<(String, Option<f64>)>,
}
