//! The pain-point ranking of a range against the range before it: every category with items
//! and every emerging cluster of uncategorised complaints, with count, share of complaints,
//! change and its significance, keywords, aspects, quotes and channels.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::queries::{Aggregates, Sample};
use super::quotes::{pick_quotes, Quote};
use super::stats::two_proportion_p;
use super::tally::{Tally, ALPHA};
use crate::analysis::painpoint::cluster_emerging;
use crate::analysis::Analyzer;

/// Items of a pain point read for its keywords, aspects and quotes: the newest this many.
const SAMPLE_SIZE: u64 = 200;

/// Uncategorised complaints considered for emerging clusters, newest first.
const EMERGING_POOL: u64 = 5_000;

/// Smallest emerging cluster worth reporting.
const EMERGING_MIN: usize = 3;

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

/// Display names of the workspace's pain-point categories: the default twelve and its own.
pub async fn category_names<A: Aggregates>(
    store: &A,
    analyzer: &Analyzer,
    workspace_id: &str,
) -> Result<HashMap<String, String>, A::Error> {
    let mut names: HashMap<String, String> = analyzer
        .taxonomy()
        .categories
        .iter()
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect();
    for c in store.custom_categories(workspace_id).await? {
        names.insert(c.id, c.name);
    }
    Ok(names)
}

/// A ranked pain point as the API shows it: the same fields as in the digest's JSON.
pub fn pain_point_json(p: &PainPointLine) -> serde_json::Value {
    serde_json::to_value(p).unwrap_or_default()
}

/// Everything the pain-point ranking needs to know about the two periods it compares.
pub struct RankInput<'a> {
    pub workspace_id: &'a str,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub previous_from: DateTime<Utc>,
    pub current: Tally,
    pub previous: Tally,
    /// Makes the console link for a pain point id.
    pub link: &'a (dyn Fn(&str) -> String + Sync),
}

/// Pain points of `[from, to)`, ranked by count (then by growth): every category with
/// items, then emerging clusters of uncategorised complaints.
pub async fn rank_pain_points<A: Aggregates>(
    store: &A,
    names: &HashMap<String, String>,
    input: &RankInput<'_>,
) -> Result<Vec<PainPointLine>, A::Error> {
    let started = std::time::Instant::now();
    let mut lines = categories(store, names, input, None).await?;
    let categorised = started.elapsed();
    lines.extend(emerging(store, input).await?);
    tracing::debug!(
        categories_ms = categorised.as_millis() as u64,
        emerging_ms = (started.elapsed() - categorised).as_millis() as u64,
        "pain points ranked"
    );
    lines.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(
                b.change
                    .unwrap_or(f64::MAX)
                    .total_cmp(&a.change.unwrap_or(f64::MAX)),
            )
            .then(a.id.cmp(&b.id))
    });
    Ok(lines)
}

/// One line of the ranking, as [`rank_pain_points`] gives it, without working out the
/// others: a category's (an id of `names`) or an emerging cluster's. `None` when it has no
/// items in the range.
pub async fn pain_point_line<A: Aggregates>(
    store: &A,
    names: &HashMap<String, String>,
    input: &RankInput<'_>,
    id: &str,
) -> Result<Option<PainPointLine>, A::Error> {
    let lines = if names.contains_key(id) {
        categories(store, names, input, Some(id)).await?
    } else {
        emerging(store, input).await?
    };
    Ok(lines.into_iter().find(|l| l.id == id))
}

/// The lines of the categories with items in the range (only `only`'s, when given).
async fn categories<A: Aggregates>(
    store: &A,
    names: &HashMap<String, String>,
    input: &RankInput<'_>,
    only: Option<&str>,
) -> Result<Vec<PainPointLine>, A::Error> {
    let ws = input.workspace_id;
    // The two periods' counts at once: on SQLite each is a read on its own connection.
    let (by_channel, previous) = futures_util::future::try_join(
        store.pain_point_channels(ws, input.from, input.to),
        store.pain_point_counts(ws, input.previous_from, input.from),
    )
    .await?;
    let mut channels: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for (category, channel, n) in by_channel {
        if only.is_none_or(|o| o == category) {
            channels.entry(category).or_default().push((channel, n));
        }
    }
    let previous: HashMap<String, u64> = previous.into_iter().collect();
    let mut lines = Vec::new();
    for (id, mut by_channel) in channels {
        by_channel.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let count: u64 = by_channel.iter().map(|(_, n)| n).sum();
        let before = previous.get(&id).copied().unwrap_or(0);
        let (first_seen, samples) = futures_util::future::try_join(
            store.pain_point_first_seen(ws, &id),
            store.pain_point_samples(ws, &id, input.from, input.to, SAMPLE_SIZE),
        )
        .await?;
        let material = Material::from_samples(&samples);
        lines.push(PainPointLine {
            name: names.get(&id).cloned().unwrap_or_else(|| id.clone()),
            count,
            share: share(count, input.current.complaints),
            previous_count: before,
            change: relative_change(count, before),
            significant: count_change_significant(
                before,
                input.previous.items,
                count,
                input.current.items,
            ),
            is_new: first_seen.is_none_or(|t| t >= input.from),
            first_seen,
            emerging: false,
            keywords: material.keywords,
            aspects: material.aspects,
            quotes: pick_quotes(&samples, 3),
            channels: by_channel,
            url: (input.link)(&id),
            id,
        });
    }
    Ok(lines)
}

/// Emerging clusters of this period's uncategorised complaints, compared with how often the
/// cluster's leading keyword came up among the previous period's.
async fn emerging<A: Aggregates>(
    store: &A,
    input: &RankInput<'_>,
) -> Result<Vec<PainPointLine>, A::Error> {
    let ws = input.workspace_id;
    let items = store
        .uncategorised_complaints(ws, Some(input.from), Some(input.to), EMERGING_POOL)
        .await?;
    let clusters = cluster_emerging(&items, EMERGING_MIN);
    if clusters.is_empty() {
        return Ok(Vec::new());
    }
    let before = store
        .uncategorised_complaints(
            ws,
            Some(input.previous_from),
            Some(input.from),
            EMERGING_POOL,
        )
        .await?;
    let mut lines = Vec::new();
    for c in clusters {
        let lead = c.keywords.first().cloned().unwrap_or_default();
        let previous_count = before.iter().filter(|(_, w)| w.contains(&lead)).count() as u64;
        let count = c.members.len() as u64;
        let ids: Vec<String> = c
            .members
            .iter()
            .take(SAMPLE_SIZE as usize)
            .cloned()
            .collect();
        let samples = store.samples_by_id(ws, &ids).await?;
        let mut channels: BTreeMap<String, u64> = BTreeMap::new();
        for s in &samples {
            *channels.entry(s.channel.clone()).or_default() += 1;
        }
        let mut channels: Vec<(String, u64)> = channels.into_iter().collect();
        channels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let material = Material::from_samples(&samples);
        lines.push(PainPointLine {
            url: (input.link)(&c.id),
            name: c.label.clone(),
            count,
            share: share(count, input.current.complaints),
            previous_count,
            change: relative_change(count, previous_count),
            significant: count_change_significant(
                previous_count,
                input.previous.items,
                count,
                input.current.items,
            ),
            first_seen: None,
            is_new: previous_count == 0,
            emerging: true,
            keywords: c.keywords.clone(),
            aspects: material.aspects,
            quotes: pick_quotes(&samples, 3),
            channels,
            id: c.id,
        });
    }
    Ok(lines)
}

fn share(count: u64, complaints: u64) -> f64 {
    if complaints == 0 {
        0.0
    } else {
        (count as f64 / complaints as f64).min(1.0)
    }
}

fn relative_change(now: u64, before: u64) -> Option<f64> {
    (before > 0).then(|| (now as f64 - before as f64) / before as f64)
}

/// A pain point's change is real when its share of all feedback moved beyond chance
/// (two-proportion test), so a busier week alone does not count as a trend.
fn count_change_significant(before: u64, before_items: u64, now: u64, now_items: u64) -> bool {
    two_proportion_p(before, before_items.max(before), now, now_items.max(now))
        .is_some_and(|p| p < ALPHA)
}

/// Keywords and aspect–opinion pairs most items of a sample share.
struct Material {
    keywords: Vec<String>,
    aspects: Vec<String>,
}

impl Material {
    fn from_samples(samples: &[Sample]) -> Self {
        let mut words: HashMap<String, usize> = HashMap::new();
        let mut aspects: HashMap<String, usize> = HashMap::new();
        for s in samples {
            let Some(a) = &s.analysis else { continue };
            let mut seen = HashSet::new();
            for k in a["keywords"].as_array().into_iter().flatten() {
                if let Some(w) = k["word"].as_str() {
                    if seen.insert(w) {
                        *words.entry(w.to_owned()).or_default() += 1;
                    }
                }
            }
            for p in a["aspects"].as_array().into_iter().flatten() {
                if let (Some(x), Some(o)) = (p["aspect"].as_str(), p["opinion"].as_str()) {
                    *aspects.entry(format!("{x}→{o}")).or_default() += 1;
                }
            }
        }
        Self {
            keywords: top(words, 5, 1),
            aspects: top(aspects, 3, 1),
        }
    }
}

fn top(counts: HashMap<String, usize>, n: usize, min: usize) -> Vec<String> {
    let mut v: Vec<(String, usize)> = counts.into_iter().filter(|(_, c)| *c >= min).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.into_iter().take(n).map(|(w, _)| w).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_change_and_share() {
        assert_eq!(relative_change(15, 10), Some(0.5));
        assert_eq!(relative_change(3, 0), None);
        assert_eq!(share(5, 20), 0.25);
        assert_eq!(share(5, 0), 0.0);
    }
}
