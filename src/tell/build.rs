//! Builds the [`Digest`] of one workspace and period: the period's numbers, channel lines and
//! ten weeks of trends, then the pain-point ranking (both computed in `crate::insight`),
//! with the charts and links a reader needs.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::digest::{ChartPoint, Digest, Metric, TrendChart};
use crate::analysis::Analyzer;
use crate::insight::period::{label, period_bounds, period_key, previous, Granularity};
use crate::insight::ranking::{self, RankInput};
use crate::insight::summary;
use crate::store::{Store, StoreError};

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
    let chart_to = last_week_from + Duration::weeks(1);

    let started = std::time::Instant::now();
    let numbers = summary::period_numbers(
        store,
        workspace_id,
        tz,
        summary::Ranges {
            previous_from,
            from,
            to,
            weeks_from: chart_from,
            weeks_to: chart_to,
        },
    )
    .await?;
    let (current, before, weeks) = (numbers.current, numbers.previous, numbers.weeks);
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
    let ranked = ranking::rank_pain_points(
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
        numbers_ms = channelled.as_millis() as u64,
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
            cid: format!("{}-trend@tingjian", Metric::as_str(m)),
            title: format!("{} · 近{}周", m.display(), CHART_WEEKS),
            metric: m,
            points: week_keys
                .iter()
                .map(|k| {
                    let t = weeks.get(k).copied().unwrap_or_default();
                    ChartPoint::from_tally(k.as_str(), &t, m)
                })
                .collect(),
        })
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
