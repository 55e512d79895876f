//! Trend series: a metric per period (day, ISO week, month) in the workspace's zone, with 95 %
//! intervals, optionally one series per channel, source or respondent attribute; and the
//! totals of two adjacent ranges for headline changes.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::period::{period_key, periods_between, Granularity};
use super::queries::{Aggregates, GroupBy};
use super::tally::{Metric, Tally};

/// Most periods one trend request may span (about three years of weeks).
pub const MAX_PERIODS: usize = 400;

#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    pub period: String,
    pub value: Option<f64>,
    pub n: u64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendSeries {
    pub group: Option<String>,
    pub points: Vec<TrendPoint>,
}

/// Bucket length that rolls up exactly into local days of `tz` over `[from, to)`: an hour
/// when the zone's offsets there are whole hours, else a quarter hour (India, Nepal).
pub fn bucket_secs(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let mut t = from;
    while t < to {
        let offset = tz
            .offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc();
        if offset % 3600 != 0 {
            return 900;
        }
        t += Duration::days(30);
    }
    3600
}

/// Tallies per group and period over `[from, to)`.
pub async fn tallies<A: Aggregates>(
    store: &A,
    workspace_id: &str,
    tz: Tz,
    g: Granularity,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    group: &GroupBy,
) -> Result<BTreeMap<Option<String>, BTreeMap<String, Tally>>, A::Error> {
    let secs = bucket_secs(tz, from, to);
    let buckets = store
        .insight_buckets(workspace_id, from, to, secs, group)
        .await?;
    let mut out: BTreeMap<Option<String>, BTreeMap<String, Tally>> = BTreeMap::new();
    let mut keys: HashMap<i64, String> = HashMap::new();
    for b in buckets {
        let key = keys
            .entry(b.start)
            .or_insert_with(|| {
                let t = Utc.timestamp_opt(b.start, 0).single().unwrap_or(from);
                period_key(t, tz, g)
            })
            .clone();
        *out.entry(b.group).or_default().entry(key).or_default() += b.tally;
    }
    Ok(out)
}

/// Items of one pain-point category per period over `[from, to)` (periods without any left
/// out).
pub async fn pain_point_periods<A: Aggregates>(
    store: &A,
    workspace_id: &str,
    category: &str,
    tz: Tz,
    g: Granularity,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<BTreeMap<String, u64>, A::Error> {
    let secs = bucket_secs(tz, from, to);
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    for (start, n) in store
        .pain_point_buckets(workspace_id, category, from, to, secs)
        .await?
    {
        let t = Utc.timestamp_opt(start, 0).single().unwrap_or(from);
        *out.entry(period_key(t, tz, g)).or_default() += n;
    }
    Ok(out)
}

/// Trend series of `metric` per period in `[from, to)`, one per group (one with group
/// `null` when ungrouped). Periods without data have `value: null` (volume: 0).
#[allow(clippy::too_many_arguments)]
pub async fn trends<A: Aggregates>(
    store: &A,
    workspace_id: &str,
    tz: Tz,
    metric: Metric,
    g: Granularity,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    group: &GroupBy,
) -> Result<Vec<TrendSeries>, A::Error> {
    let periods = periods_between(from, to, tz, g, MAX_PERIODS);
    let mut by_group = tallies(store, workspace_id, tz, g, from, to, group).await?;
    if by_group.is_empty() && *group == GroupBy::Nothing {
        by_group.insert(None, BTreeMap::new());
    }
    Ok(by_group
        .into_iter()
        .map(|(group, per_period)| TrendSeries {
            group,
            points: periods
                .iter()
                .map(|p| point(p, per_period.get(p).copied().unwrap_or_default(), metric))
                .collect(),
        })
        .collect())
}

fn point(period: &str, t: Tally, metric: Metric) -> TrendPoint {
    let interval = t.interval(metric);
    TrendPoint {
        period: period.to_owned(),
        value: t.value(metric).map(round1),
        n: t.n(metric),
        low: interval.map(|i| round1(i.low)),
        high: interval.map(|i| round1(i.high)),
    }
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Totals of `[previous_from, from)` and `[from, to)`, split to the bucket.
pub async fn totals_around<A: Aggregates>(
    store: &A,
    workspace_id: &str,
    tz: Tz,
    previous_from: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(Tally, Tally), A::Error> {
    let secs = bucket_secs(tz, previous_from, to);
    let buckets = store
        .insight_buckets(workspace_id, previous_from, to, secs, &GroupBy::Nothing)
        .await?;
    let (mut before, mut after) = (Tally::default(), Tally::default());
    for b in buckets {
        if b.start < from.timestamp() {
            before += b.tally;
        } else {
            after += b.tally;
        }
    }
    Ok((before, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_hour_buckets_for_half_hour_zones() {
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let to = from + Duration::days(90);
        assert_eq!(bucket_secs(chrono_tz::Asia::Shanghai, from, to), 3600);
        assert_eq!(bucket_secs(chrono_tz::Asia::Kolkata, from, to), 900);
    }
}
