//! A period in numbers, as the digest tells it: NPS, CSAT, sentiment and volume this period and
//! the one before with the change and whether it is more than noise, each channel's volume and
//! mood, and a tally per day or week for the trend charts; all from one bucketed scan and one
//! scan by channel of the two periods compared.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::period::{period_key, Granularity};
use super::queries::{Aggregates, GroupBy};
use super::tally::{significant, Metric, Tally};
use super::trends::{bucket_secs, round1};
use crate::domain::names::channel_label;

/// The ranges one digest reads: the period `[from, to)`, the one before it from
/// `previous_from`, and the whole periods `[chart_from, chart_to)` its charts show, each
/// `chart_by` long (the digest's own period: days for a daily digest, weeks for a weekly one).
#[derive(Debug, Clone, Copy)]
pub struct Ranges {
    pub previous_from: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub chart_from: DateTime<Utc>,
    pub chart_to: DateTime<Utc>,
    pub chart_by: Granularity,
}

/// Tallies of the period, the period before, each period a chart shows, and each channel
/// (this period, the one before).
#[derive(Debug, Clone, Default)]
pub struct PeriodNumbers {
    pub current: Tally,
    pub previous: Tally,
    /// By period key of `Ranges::chart_by` (`2026-W47`, `2026-11-16`).
    pub trend: BTreeMap<String, Tally>,
    pub channels: BTreeMap<String, (Tally, Tally)>,
}

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
pub struct ChannelLine {
    /// The channel's code (`survey`, `social` …), for machines.
    pub channel: String,
    /// The channel as people call it (问卷, 社交媒体 …); an unknown code as it is.
    pub name: String,
    pub count: u64,
    pub previous_count: u64,
    /// Sentiment index in points (-100..100), `None` without analysed items.
    pub sentiment: Option<f64>,
    /// Analysed items behind `sentiment`.
    pub sentiment_n: u64,
    pub nps: Option<f64>,
    /// NPS answers behind `nps`.
    pub nps_n: u64,
}

/// One scan of totals over every range, then channels for the two periods compared only
/// (grouping by channel over all the charted periods would sort that many times the rows).
pub async fn period_numbers<A: Aggregates>(
    store: &A,
    workspace_id: &str,
    tz: Tz,
    r: Ranges,
) -> Result<PeriodNumbers, A::Error> {
    let scan_from = r.chart_from.min(r.previous_from);
    let scan_to = r.to.max(r.chart_to);
    let secs = bucket_secs(tz, scan_from, scan_to);
    let buckets = store
        .insight_buckets(workspace_id, scan_from, scan_to, secs, &GroupBy::Nothing)
        .await?;
    let mut out = PeriodNumbers::default();
    let (from_s, to_s, prev_s) = (
        r.from.timestamp(),
        r.to.timestamp(),
        r.previous_from.timestamp(),
    );
    let chart = r.chart_from.timestamp()..r.chart_to.timestamp();
    for b in buckets {
        if chart.contains(&b.start) {
            let t = DateTime::from_timestamp(b.start, 0).unwrap_or(r.chart_from);
            *out.trend.entry(period_key(t, tz, r.chart_by)).or_default() += b.tally;
        }
        if (from_s..to_s).contains(&b.start) {
            out.current += b.tally;
        } else if (prev_s..from_s).contains(&b.start) {
            out.previous += b.tally;
        }
    }
    let by_channel = store
        .insight_buckets(workspace_id, r.previous_from, r.to, secs, &GroupBy::Channel)
        .await?;
    for b in by_channel {
        let side = out.channels.entry(b.group.unwrap_or_default()).or_default();
        if b.start >= from_s {
            side.0 += b.tally;
        } else {
            side.1 += b.tally;
        }
    }
    Ok(out)
}

/// One headline number with its change; volume's change is relative (0.25 = +25 %).
pub fn headline(m: Metric, before: &Tally, now: &Tally) -> Headline {
    let value = now.value(m).map(round1);
    let previous = before.value(m).map(round1);
    let change = match (value, previous, m) {
        (Some(v), Some(p), Metric::Volume) => (p > 0.0).then(|| (v - p) / p),
        (Some(v), Some(p), _) => Some(round1(v - p)),
        _ => None,
    };
    Headline {
        metric: m,
        value,
        previous,
        change,
        significant: significant(m, before, now),
        n: now.n(m),
    }
}

/// A line per channel that had items this period, busiest first.
pub fn channel_lines(channels: BTreeMap<String, (Tally, Tally)>) -> Vec<ChannelLine> {
    let mut lines: Vec<ChannelLine> = channels
        .into_iter()
        .filter(|(_, (now, _))| now.items > 0)
        .map(|(channel, (now, was))| ChannelLine {
            name: channel_label(&channel),
            channel,
            count: now.items,
            previous_count: was.items,
            sentiment: now.value(Metric::Sentiment).map(round1),
            sentiment_n: now.n(Metric::Sentiment),
            nps: now.value(Metric::Nps).map(round1),
            nps_n: now.n(Metric::Nps),
        })
        .collect();
    lines.sort_by(|a, b| b.count.cmp(&a.count).then(a.channel.cmp(&b.channel)));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_marks_only_significant_changes() {
        let t = |p, d| Tally {
            promoters: p,
            passives: 100,
            detractors: d,
            ..Tally::default()
        };
        let h = headline(Metric::Nps, &t(100, 100), &t(102, 98));
        assert_eq!(h.change, Some(1.3));
        assert!(!h.significant);
        let h = headline(Metric::Nps, &t(100, 100), &t(180, 40));
        assert!(h.significant);
    }
}
