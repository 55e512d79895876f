//! The `Digest` value: what one workspace's team reads for one period, built from the
//! insights and rendered by [`super::render`] (HTML, text, markdown) and [`super::chart`].

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::insight::tally::Tally;
use crate::insight::trends::{round1, TrendPoint};

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
    /// 什么在拉低满意度: the significant drivers that pull the metric down (at most three);
    /// `None` when none is significant.
    pub drivers: Option<DriverSection>,
    /// 值得关注的人群: segments that report a pain point markedly more often (at most three).
    pub segments: Vec<OutlierLine>,
    /// One line per channel with its volume and mood.
    pub channels: Vec<ChannelLine>,
    /// Trend charts over the last weeks (drawn as PNGs and attached inline by content id).
    pub charts: Vec<TrendChart>,
    /// Link to the console's feedback list for the whole period.
    pub console_url: String,
}

pub use crate::insight::drivers::Driver;
pub use crate::insight::quotes::Quote;
pub use crate::insight::ranking::PainPointLine;
pub use crate::insight::segments::Outlier;
pub use crate::insight::summary::{ChannelLine, Headline};
pub use crate::insight::tally::Metric;

/// The drivers of one metric over the period (`GET /api/v1/insights/drivers` for the same
/// range and metric), keeping the significant ones that pull it down.
#[derive(Debug, Clone, Serialize)]
pub struct DriverSection {
    /// NPS when the period has enough NPS answers, else CSAT, else the sentiment index.
    pub metric: Metric,
    /// Responses of the period with the metric.
    pub n: u64,
    pub items: Vec<DriverLine>,
}

/// A driver as the API gives it, with the link to its feedback.
#[derive(Debug, Clone, Serialize)]
pub struct DriverLine {
    #[serde(flatten)]
    pub driver: Driver,
    pub url: String,
}

/// A segment outlier, with the link to the segment's feedback with that pain point.
#[derive(Debug, Clone, Serialize)]
pub struct OutlierLine {
    #[serde(flatten)]
    pub outlier: Outlier,
    pub url: String,
}

/// A trend as the charts draw it, in the digest's mail and on the console.
#[derive(Debug, Clone, Serialize)]
pub struct TrendChart {
    /// Content id of the mail's inline image (`nps-trend@tingjian`), referenced as `cid:…`;
    /// only mail uses it.
    pub cid: String,
    pub title: String,
    pub metric: Metric,
    /// Oldest first, one per period; a period without data has `value: None`.
    pub points: Vec<ChartPoint>,
}

impl TrendChart {
    /// A chart of one trend series (`GET /api/v1/insights/trends`), points in the series' order.
    pub fn from_trend(
        cid: impl Into<String>,
        title: impl Into<String>,
        metric: Metric,
        points: &[TrendPoint],
    ) -> Self {
        TrendChart {
            cid: cid.into(),
            title: title.into(),
            metric,
            points: points.iter().map(ChartPoint::from).collect(),
        }
    }
}

/// One period of a chart: the same fields, units and rounding as a point of the trends API.
///
/// Its own type rather than `TrendPoint` itself so that a change to the API's point does not
/// silently change the digest's JSON, which `GET /api/v1/digests/{period}` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartPoint {
    /// Period key: `2026-W47`, `2026-11-16` or `2026-11`.
    pub period: String,
    pub value: Option<f64>,
    /// Observations behind `value`; a small sample is drawn as a hollow point.
    pub n: u64,
    /// The 95 % interval of `value`; `None` for volume and where the data are too few.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl ChartPoint {
    /// The point of `metric` for a period's tally, rounded to one decimal as trends are.
    pub fn from_tally(period: impl Into<String>, tally: &Tally, metric: Metric) -> Self {
        let interval = tally.interval(metric);
        ChartPoint {
            period: period.into(),
            value: tally.value(metric).map(round1),
            n: tally.n(metric),
            low: interval.map(|i| round1(i.low)),
            high: interval.map(|i| round1(i.high)),
        }
    }
}

impl From<&TrendPoint> for ChartPoint {
    fn from(p: &TrendPoint) -> Self {
        ChartPoint {
            period: p.period.clone(),
            value: p.value,
            n: p.n,
            low: p.low,
            high: p.high,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_carries_the_interval_and_sample_of_its_tally() {
        let t = Tally {
            items: 100,
            promoters: 50,
            passives: 30,
            detractors: 20,
            ..Tally::default()
        };
        let nps = ChartPoint::from_tally("2026-W47", &t, Metric::Nps);
        assert_eq!(
            nps,
            ChartPoint {
                period: "2026-W47".into(),
                value: Some(30.0),
                n: 100,
                low: Some(14.7),
                high: Some(45.3),
            }
        );
        let volume = ChartPoint::from_tally("2026-W47", &t, Metric::Volume);
        assert_eq!(
            (volume.value, volume.n, volume.low),
            (Some(100.0), 100, None)
        );
        let empty = ChartPoint::from_tally("2026-W48", &Tally::default(), Metric::Csat);
        assert_eq!((empty.value, empty.n, empty.high), (None, 0, None));
    }

    #[test]
    fn a_chart_from_a_trend_keeps_its_points_and_their_json_shape() {
        let trend = [TrendPoint {
            period: "2026-11".into(),
            value: Some(86.5),
            n: 42,
            low: Some(72.0),
            high: Some(94.1),
        }];
        let chart = TrendChart::from_trend("", "CSAT", Metric::Csat, &trend);
        assert_eq!(chart.points.len(), 1);
        assert_eq!(
            serde_json::to_value(&chart.points[0]).expect("serialises"),
            serde_json::to_value(&trend[0]).expect("serialises"),
            "a digest's chart point reads like a point of the trends API"
        );
    }
}
