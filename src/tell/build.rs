//! Builds the [`Digest`] of one workspace and period from the store: one bucketed scan for
//! headline numbers, channel lines and ten weeks of trends, then the pain-point ranking.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::digest::{ChannelLine, Digest, Headline, Metric, TrendChart};
use super::insights::{self, bucket_secs, round1, RankInput};
use crate::analysis::Analyzer;
use crate::insight::period::{label, period_bounds, period_key, previous, Granularity};
use crate::insight::tally::{significant, Tally};
use crate::store::{GroupBy, Store, StoreError};

/// Weeks the trend charts span.
pub const CHART_WEEKS: i64 = 10;

/// Pain points listed in full.
pub const TOP_PAIN_POINTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error("no such workspace")]
    NoWorkspace,
    #[error(
        "invalid period {0:?}: expected an ISO week such as 2026-W47 or a day such as 2026-11-16"
    )]
    BadPeriod(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A period key and its size: `2026-W47` is a week, `2026-11-16` a day.
pub fn parse_period(key: &str) -> Result<Granularity, DigestError> {
    let g = if key.contains("-W") {
        Granularity::Week
    } else {
        Granularity::Day
    };
    period_bounds(key, chrono_tz::UTC, g)
        .map(|_| g)
        .ok_or_else(|| DigestError::BadPeriod(key.to_owned()))
}

/// The last complete period before `now` in zone `tz`.
pub fn last_complete_period(now: DateTime<Utc>, tz: Tz, g: Granularity) -> String {
    let current = period_key(now, tz, g);
    previous(&current, g).unwrap_or(current)
}

pub async fn build_digest(
    store: &Store,
    analyzer: &Analyzer,
    base_url: &str,
    workspace_id: &str,
    period: &str,
) -> Result<Digest, DigestError> {
    let g = parse_period(period)?;
    let ws = store
        .workspace(workspace_id)
        .await?
        .ok_or(DigestError::NoWorkspace)?;
    let tz: Tz = ws.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let bad = || DigestError::BadPeriod(period.to_owned());
    let (from, to) = period_bounds(period, tz, g).ok_or_else(bad)?;
    let previous_key = previous(period, g).ok_or_else(bad)?;
    let (previous_from, _) = period_bounds(&previous_key, tz, g).ok_or_else(bad)?;

    // Ten whole weeks ending with the week this period ends in.
    let last_week = period_key(to - Duration::seconds(1), tz, Granularity::Week);
    let (last_week_from, _) = period_bounds(&last_week, tz, Granularity::Week).ok_or_else(bad)?;
    let chart_from = last_week_from - Duration::weeks(CHART_WEEKS - 1);
    let scan_from = chart_from.min(previous_from);
    let scan_to = to.max(last_week_from + Duration::weeks(1));

    // Ten weeks of totals, then channels for the two periods compared only (grouping by
    // channel over all ten weeks would sort ten times as many rows).
    let started = std::time::Instant::now();
    let secs = bucket_secs(tz, scan_from, scan_to);
    let buckets = store
        .insight_buckets(workspace_id, scan_from, scan_to, secs, &GroupBy::Nothing)
        .await?;
    let mut weeks: BTreeMap<String, Tally> = BTreeMap::new();
    let (mut current, mut before) = (Tally::default(), Tally::default());
    let (from_s, to_s, prev_s) = (from.timestamp(), to.timestamp(), previous_from.timestamp());
    for b in buckets {
        if b.start >= chart_from.timestamp() {
            let t = DateTime::from_timestamp(b.start, 0).unwrap_or(chart_from);
            *weeks
                .entry(period_key(t, tz, Granularity::Week))
                .or_default() += b.tally;
        }
        if (from_s..to_s).contains(&b.start) {
            current += b.tally;
        } else if (prev_s..from_s).contains(&b.start) {
            before += b.tally;
        }
    }
    let scanned = started.elapsed();
    let mut channels: BTreeMap<String, (Tally, Tally)> = BTreeMap::new();
    let by_channel = store
        .insight_buckets(workspace_id, previous_from, to, secs, &GroupBy::Channel)
        .await?;
    for b in by_channel {
        let side = channels.entry(b.group.unwrap_or_default()).or_default();
        if b.start >= from_s {
            side.0 += b.tally;
        } else {
            side.1 += b.tally;
        }
    }

    let channelled = started.elapsed();
    let names = insights::category_names(store, analyzer, workspace_id).await?;
    let link =
        |id: &str| super::console_link(base_url, Some(super::Narrow::pain_point(id)), from, to);
    let ranked = insights::rank_pain_points(
        store,
        &names,
        &RankInput {
            workspace_id,
            from,
            to,
            previous_from,
            current,
            previous: before,
            link: &link,
        },
    )
    .await?;
    tracing::debug!(
        workspace = workspace_id,
        period,
        scan_ms = scanned.as_millis() as u64,
        channels_ms = (channelled - scanned).as_millis() as u64,
        rank_ms = (started.elapsed() - channelled).as_millis() as u64,
        "digest built"
    );
    let new_complaints = ranked
        .iter()
        .filter(|p| p.is_new || p.emerging)
        .take(TOP_PAIN_POINTS)
        .cloned()
        .collect();
    let pain_points = ranked.into_iter().take(TOP_PAIN_POINTS).collect();

    let week_keys: Vec<String> = (0..CHART_WEEKS)
        .map(|i| {
            period_key(
                chart_from + Duration::weeks(i) + Duration::days(3),
                tz,
                Granularity::Week,
            )
        })
        .collect();
    let charts = [Metric::Nps, Metric::Csat, Metric::Sentiment, Metric::Volume]
        .into_iter()
        .filter(|m| *m == Metric::Volume || weeks.values().any(|t| t.n(*m) > 0))
        .map(|m| TrendChart {
            cid: format!("{}-trend@tingjian", metric_slug(m)),
            title: format!("{} · 近{}周", m.display(), CHART_WEEKS),
            metric: m,
            points: week_keys
                .iter()
                .map(|k| {
                    let t = weeks.get(k).copied().unwrap_or_default();
                    (k.clone(), t.value(m).map(round1))
                })
                .collect(),
        })
        .collect();

    let mut channel_lines: Vec<ChannelLine> = channels
        .into_iter()
        .filter(|(_, (now, _))| now.items > 0)
        .map(|(channel, (now, was))| ChannelLine {
            channel,
            count: now.items,
            previous_count: was.items,
            sentiment: now.value(Metric::Sentiment).map(round1),
            nps: now.value(Metric::Nps).map(round1),
        })
        .collect();
    channel_lines.sort_by(|a, b| b.count.cmp(&a.count).then(a.channel.cmp(&b.channel)));

    Ok(Digest {
        workspace_id: ws.id.clone(),
        workspace_name: ws.name.clone(),
        period: period.to_owned(),
        period_label: label(period, g),
        from,
        to,
        timezone: tz.name().to_owned(),
        headline: [Metric::Nps, Metric::Csat, Metric::Sentiment, Metric::Volume]
            .into_iter()
            .map(|m| headline(m, &before, &current))
            .collect(),
        pain_points,
        new_complaints,
        channels: channel_lines,
        charts,
        console_url: super::console_link(base_url, None, from, to),
    })
}

fn metric_slug(m: Metric) -> &'static str {
    match m {
        Metric::Nps => "nps",
        Metric::Csat => "csat",
        Metric::Ces => "ces",
        Metric::Sentiment => "sentiment",
        Metric::Volume => "volume",
    }
}

/// One headline number with its change; volume's change is relative (0.25 = +25 %).
fn headline(m: Metric, before: &Tally, now: &Tally) -> Headline {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_as_weeks_or_days() {
        assert_eq!(parse_period("2026-W47").unwrap(), Granularity::Week);
        assert_eq!(parse_period("2026-11-16").unwrap(), Granularity::Day);
        assert!(parse_period("2026-W60").is_err());
        assert!(parse_period("last week").is_err());
    }

    #[test]
    fn last_complete_week() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T02:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            last_complete_period(now, chrono_tz::Asia::Shanghai, Granularity::Week),
            "2026-W47"
        );
    }

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
