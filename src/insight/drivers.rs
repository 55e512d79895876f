//! Drivers: which pain point costs a metric the most. For every pain-point category and
//! emerging cluster, the metric over all responses minus the metric over the responses that
//! do not mention it, with its 95 % interval (see [`impact`]); most harmful first.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::moments::{impact, Moments};
use super::queries::{Aggregates, ResponseAggregates};
use super::tally::Metric;
use crate::analysis::painpoint::cluster_emerging;

/// A pain point needs this many responses with the metric that mention it, and as many that
/// do not, before its impact is estimated: from there the normal interval is fair.
pub const MIN_RESPONSES: u64 = 30;

/// Uncategorised complaints read for emerging clusters (as the pain-point ranking does).
const EMERGING_POOL: u64 = 5_000;

/// Smallest cluster the clustering keeps; [`MIN_RESPONSES`] still applies after it.
const EMERGING_MIN: usize = 3;

#[derive(Debug, Clone, Serialize)]
pub struct Driver {
    /// Category id (`payment`, a workspace category id) or emerging-cluster id.
    pub id: String,
    pub name: String,
    pub emerging: bool,
    /// Responses with the metric that mention it.
    pub n_with: u64,
    #[serde(serialize_with = "two_places")]
    pub value_with: f64,
    #[serde(serialize_with = "two_places")]
    pub value_without: f64,
    /// The metric over all responses minus the metric over those that do not mention it.
    #[serde(serialize_with = "two_places")]
    pub impact: f64,
    #[serde(serialize_with = "two_places")]
    pub low: f64,
    #[serde(serialize_with = "two_places")]
    pub high: f64,
    pub significant: bool,
}

/// The metric over all responses of `[from, to)`, and the drivers, most negative impact
/// first. `names` gives categories their display names. Volume has no drivers.
pub async fn drivers<E, A>(
    store: &A,
    names: &HashMap<String, String>,
    workspace_id: &str,
    metric: Metric,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(Moments, Vec<Driver>), E>
where
    A: Aggregates<Error = E> + ResponseAggregates<Error = E>,
{
    // Three independent reads, each a scan of the range: run side by side (the pool gives
    // each its own connection).
    let (all, per_category, pool) = tokio::try_join!(
        store.response_moments(workspace_id, metric, from, to),
        store.pain_point_moments(workspace_id, metric, from, to),
        store.uncategorised_complaints(workspace_id, Some(from), Some(to), EMERGING_POOL),
    )?;
    let mut candidates: Vec<(String, String, bool, Moments)> = per_category
        .into_iter()
        .map(|(id, m)| {
            let name = names.get(&id).cloned().unwrap_or_else(|| id.clone());
            (id, name, false, m)
        })
        .collect();
    if all.n >= 2 * MIN_RESPONSES {
        for c in cluster_emerging(&pool, EMERGING_MIN) {
            // Clusters count texts; a response with several is one. Smaller ones cannot pass.
            if (c.members.len() as u64) < MIN_RESPONSES {
                continue;
            }
            let m = store
                .moments_of_items(workspace_id, metric, &c.members)
                .await?;
            candidates.push((c.id, c.label, true, m));
        }
    }
    let mut out: Vec<Driver> = candidates
        .into_iter()
        .filter(|(_, _, _, with)| {
            with.n >= MIN_RESPONSES && all.n - with.n.min(all.n) >= MIN_RESPONSES
        })
        .filter_map(|(id, name, emerging, with)| {
            let i = impact(&all, &with)?;
            Some(Driver {
                id,
                name,
                emerging,
                n_with: with.n,
                value_with: i.value_with,
                value_without: i.value_without,
                impact: i.impact,
                low: i.low,
                high: i.high,
                significant: i.significant,
            })
        })
        .collect();
    out.sort_by(|a, b| a.impact.total_cmp(&b.impact).then(a.id.cmp(&b.id)));
    Ok((all, out))
}

/// Figures people read: two decimals are plenty.
pub(crate) fn two_places<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((x * 100.0).round() / 100.0)
}
