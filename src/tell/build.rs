//! Builds the [`Digest`] of one workspace and period: the period's numbers, channel lines and
//! trends in periods of its own size (ten weeks, or fourteen days) ending with it, then the
//! pain-point ranking (both computed in `crate::insight`), what pulls satisfaction down and
//! which segments stand out (`super::why`), with the charts, quote sources and links a reader
//! needs.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::digest::{ChartPoint, Digest, Metric, TrendChart};
use crate::analysis::Analyzer;
use crate::insight::period::{label, period_bounds, period_key, previous, Granularity};
use crate::insight::ranking::{self, RankInput};
use crate::insight::summary;
use crate::store::{Store, StoreError};

/// Weeks a weekly digest's trend charts span, its own week the last.
pub const CHART_WEEKS: usize = 10;

/// Days a daily digest's trend charts span, its own day the last.
pub const CHART_DAYS: usize = 14;

/// Points a chart needs to show a trend; with fewer it is not drawn.
pub const MIN_CHART_POINTS: usize = 2;

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

/// The keys a digest of `period` charts, oldest first: [`CHART_WEEKS`] weeks or
/// [`CHART_DAYS`] days, `period` the last.
pub fn chart_periods(period: &str, g: Granularity) -> Vec<String> {
    let count = match g {
        Granularity::Day => CHART_DAYS,
        _ => CHART_WEEKS,
    };
    let mut keys = vec![period.to_owned()];
    while keys.len() < count {
        match keys.last().and_then(|k| previous(k, g)) {
            Some(k) => keys.push(k),
            None => break,
        }
    }
    keys.reverse();
    keys
}

/// Each quote once in the digest: a quote already shown under a pain point ranked higher (the
/// same item, or the same words from another item) is dropped from the ones below.
fn quote_each_once(ranked: &mut [ranking::PainPointLine]) {
    let mut ids = HashSet::new();
    let mut texts = HashSet::new();
    for p in ranked {
        p.quotes.retain(|q| {
            let words: String = q.text.split_whitespace().collect();
            ids.insert(q.feedback_id.clone()) & texts.insert(words)
        });
    }
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

    // Whole periods of the digest's own size, ending with it: nothing after its end.
    let chart_keys = chart_periods(period, g);
    let chart_from = chart_keys
        .first()
        .and_then(|k| period_bounds(k, tz, g))
        .map_or(from, |(start, _)| start);

    let started = std::time::Instant::now();
    let numbers = summary::period_numbers(
        store,
        workspace_id,
        tz,
        summary::Ranges {
            previous_from,
            from,
            to,
            chart_from,
            chart_to: to,
            chart_by: g,
        },
    )
    .await?;
    let (current, before, trend) = (numbers.current, numbers.previous, numbers.trend);
    let channelled = started.elapsed();
    let names = ranking::category_names(store, analyzer, workspace_id).await?;
    let link = |id: &str| {
        super::links::console_link(
            base_url,
            workspace_id,
            Some(super::links::Narrow::pain_point(id)),
            from,
            to,
        )
    };
    let mut ranked = ranking::rank_pain_points(
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
    quote_each_once(&mut ranked);
    let ids: Vec<String> = ranked
        .iter()
        .flat_map(|p| p.quotes.iter().map(|q| q.feedback_id.clone()))
        .collect();
    let sources = store.origin_names_of(workspace_id, &ids).await?;
    for q in ranked.iter_mut().flat_map(|p| p.quotes.iter_mut()) {
        q.source_name = sources.get(&q.feedback_id).cloned();
    }
    // One meaning of "new" for the 新 mark and this section: never seen before this period.
    let new_complaints = ranked
        .iter()
        .filter(|p| p.is_new)
        .take(TOP_PAIN_POINTS)
        .cloned()
        .collect();
    let pain_points = ranked.into_iter().take(TOP_PAIN_POINTS).collect();
    let ranked_at = started.elapsed();
    let (drivers, segments) = tokio::try_join!(
        super::why::driver_section(store, &names, base_url, workspace_id, &current, from, to),
        super::why::segment_section(store, &names, base_url, workspace_id, from, to),
    )?;
    tracing::debug!(
        workspace = workspace_id,
        period,
        numbers_ms = channelled.as_millis() as u64,
        rank_ms = (ranked_at - channelled).as_millis() as u64,
        why_ms = (started.elapsed() - ranked_at).as_millis() as u64,
        "digest built"
    );

    let span = match g {
        Granularity::Day => format!("近{}天", chart_keys.len()),
        _ => format!("近{}周", chart_keys.len()),
    };
    let charts = [Metric::Nps, Metric::Csat, Metric::Sentiment, Metric::Volume]
        .into_iter()
        .map(|m| TrendChart {
            cid: format!("{}-trend@tingjian", Metric::as_str(m)),
            title: format!("{} · {span}", m.display()),
            metric: m,
            points: chart_keys
                .iter()
                .map(|k| {
                    let t = trend.get(k).copied().unwrap_or_default();
                    ChartPoint::from_tally(k.as_str(), &t, m)
                })
                .collect(),
        })
        // One point on an empty axis says nothing about a trend.
        .filter(|c| c.points.iter().filter(|p| p.value.is_some()).count() >= MIN_CHART_POINTS)
        .collect();

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
            .map(|m| summary::headline(m, &before, &current))
            .collect(),
        pain_points,
        new_complaints,
        drivers,
        segments,
        channels: summary::channel_lines(numbers.channels),
        charts,
        console_url: super::links::console_link(base_url, workspace_id, None, from, to),
    })
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
    fn charts_span_periods_of_the_digests_own_size_ending_with_it() {
        let days = chart_periods("2026-11-16", Granularity::Day);
        assert_eq!(days.len(), CHART_DAYS);
        assert_eq!(days.first().unwrap(), "2026-11-03");
        assert_eq!(days.last().unwrap(), "2026-11-16");
        let weeks = chart_periods("2027-W01", Granularity::Week);
        assert_eq!(weeks.len(), CHART_WEEKS);
        assert_eq!(weeks[8], "2026-W53");
        assert_eq!(weeks.last().unwrap(), "2027-W01");
    }

    #[test]
    fn a_quote_is_kept_under_the_first_pain_point_only() {
        use crate::insight::quotes::Quote;
        let q = |id: &str, text: &str| Quote {
            feedback_id: id.into(),
            text: text.into(),
            channel: "survey".into(),
            source_name: None,
            occurred_at: Utc::now(),
        };
        let line = |id: &str, quotes: Vec<Quote>| ranking::PainPointLine {
            id: id.into(),
            name: id.into(),
            count: 1,
            share: 0.0,
            previous_count: 0,
            change: None,
            significant: false,
            first_seen: None,
            is_new: true,
            emerging: false,
            keywords: vec![],
            aspects: vec![],
            quotes,
            channels: vec![],
            url: String::new(),
        };
        let mut ranked = vec![
            line("a", vec![q("f1", "支付失败"), q("f2", "闪退")]),
            line(
                "b",
                vec![q("f1", "支付失败"), q("f3", "支付 失败"), q("f4", "太慢")],
            ),
        ];
        quote_each_once(&mut ranked);
        let ids = |p: &ranking::PainPointLine| {
            p.quotes
                .iter()
                .map(|q| q.feedback_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&ranked[0]), ["f1", "f2"]);
        assert_eq!(ids(&ranked[1]), ["f4"]);
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
}
