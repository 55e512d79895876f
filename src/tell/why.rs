//! The digest's two "why" sections and what the segment alerts split by: the drivers that
//! significantly pull the period's satisfaction down (什么在拉低满意度), and the segments that
//! report a pain point markedly more often than everyone else (值得关注的人群). Both are the
//! insights API's own functions over the digest's period; see docs/insights.md.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::digest::{DriverLine, DriverSection, OutlierLine};
use super::links::{console_link, Narrow};
use crate::insight::drivers::drivers;
use crate::insight::segments::{outliers, segment_attributes, SplitCounts};
use crate::insight::tally::{Metric, Tally};
use crate::insight::{GroupBy, ResponseAggregates};
use crate::store::{Store, StoreResult};

/// Answers a period needs in a score metric for the digest to explain that metric: below
/// this, a pain point would have to be named by nearly a third of them to be estimated at
/// all (`drivers::MIN_RESPONSES` on each side).
pub const MIN_SCORED: u64 = 100;

/// Lines in each section.
pub const TOP_WHY: usize = 3;

/// Newest items of the period read to choose the attributes to split by.
pub const ATTRIBUTE_SAMPLE: u64 = 2_000;

/// The metric the digest explains: NPS when the period has [`MIN_SCORED`] NPS answers, else
/// CSAT with as many, else the sentiment index (which every analysed text has).
pub fn driver_metric(current: &Tally) -> Metric {
    [Metric::Nps, Metric::Csat]
        .into_iter()
        .find(|m| current.n(*m) >= MIN_SCORED)
        .unwrap_or(Metric::Sentiment)
}

/// The significant drivers with a negative impact, most harmful first, at most [`TOP_WHY`];
/// `None` when there is none.
pub async fn driver_section(
    store: &Store,
    names: &HashMap<String, String>,
    base_url: &str,
    workspace_id: &str,
    current: &Tally,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Option<DriverSection>> {
    let metric = driver_metric(current);
    let (all, found) = drivers(store, names, workspace_id, metric, from, to).await?;
    let items: Vec<DriverLine> = found
        .into_iter()
        .filter(|d| d.significant && d.high < 0.0)
        .take(TOP_WHY)
        .map(|driver| DriverLine {
            url: console_link(
                base_url,
                workspace_id,
                Some(Narrow::pain_point(&driver.id)),
                from,
                to,
            ),
            driver,
        })
        .collect();
    Ok((!items.is_empty()).then_some(DriverSection {
        metric,
        n: all.n,
        items,
    }))
}

/// What to split `[from, to)` by: the channel, and the attributes
/// [`segment_attributes`] picks from the newest [`ATTRIBUTE_SAMPLE`] items.
pub async fn splits(
    store: &Store,
    workspace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<(String, GroupBy)>> {
    let (profile, sampled) = store
        .attribute_profile(workspace_id, from, to, ATTRIBUTE_SAMPLE)
        .await?;
    let mut out = vec![("channel".to_owned(), GroupBy::Channel)];
    out.extend(
        segment_attributes(&profile, sampled)
            .into_iter()
            .map(|k| (k.clone(), GroupBy::Attr(k))),
    );
    Ok(out)
}

/// Items per value and per (pain point, value) of each split, as the segments endpoint reads
/// them; the splits are read side by side.
pub async fn split_counts(
    store: &Store,
    workspace_id: &str,
    splits: &[(String, GroupBy)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<SplitCounts>> {
    let reads = splits.iter().map(|(attr, group)| async move {
        let (items, with) = store
            .pain_points_by_group(workspace_id, from, to, group)
            .await?;
        Ok::<_, crate::store::StoreError>(SplitCounts {
            attr: attr.clone(),
            items,
            with,
        })
    });
    futures_util::future::try_join_all(reads).await
}

/// The segment outliers of `[from, to)`, at most [`TOP_WHY`], each linked to the segment's
/// feedback with the pain point.
pub async fn segment_section(
    store: &Store,
    names: &HashMap<String, String>,
    base_url: &str,
    workspace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<OutlierLine>> {
    let splits = splits(store, workspace_id, from, to).await?;
    let counts = split_counts(store, workspace_id, &splits, from, to).await?;
    Ok(outliers(&counts, names)
        .into_iter()
        .take(TOP_WHY)
        .map(|outlier| OutlierLine {
            url: console_link(
                base_url,
                workspace_id,
                Some(Narrow::SegmentPainPoint {
                    attr: &outlier.attr,
                    value: &outlier.value,
                    pain_point: &outlier.id,
                }),
                from,
                to,
            ),
            outlier,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_when_it_has_the_answers_then_csat_then_sentiment() {
        let t = |promoters, csat_n| Tally {
            promoters,
            csat_n,
            ..Tally::default()
        };
        assert_eq!(driver_metric(&t(100, 0)), Metric::Nps);
        assert_eq!(driver_metric(&t(99, 500)), Metric::Csat);
        assert_eq!(driver_metric(&t(99, 99)), Metric::Sentiment);
    }
}
