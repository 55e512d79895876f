//! Insights for a workspace and a time range, assembled from the store's aggregations and the
//! pure maths in `crate::insight`: trend series per period with confidence intervals, and the
//! pain-point ranking with change, significance, keywords, aspects, quotes and channels.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::digest::{PainPointLine, Quote};
use crate::analysis::painpoint::cluster_emerging;
use crate::analysis::Analyzer;
use crate::insight::period::{period_key, periods_between, Granularity};
use crate::insight::stats::two_proportion_p;
use crate::insight::tally::{Metric, Tally, ALPHA};
use crate::store::{GroupBy, Sample, Store, StoreResult};

/// Most periods one trend request may span (about three years of weeks).
pub const MAX_PERIODS: usize = 400;

/// Items of a pain point read for its keywords, aspects and quotes: the newest this many.
const SAMPLE_SIZE: u64 = 200;

/// Uncategorised complaints considered for emerging clusters, newest first.
const EMERGING_POOL: u64 = 5_000;

/// Smallest emerging cluster worth reporting.
const EMERGING_MIN: usize = 3;

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
pub async fn tallies(
    store: &Store,
    workspace_id: &str,
    tz: Tz,
    g: Granularity,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    group: &GroupBy,
) -> StoreResult<BTreeMap<Option<String>, BTreeMap<String, Tally>>> {
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

/// Trend series of `metric` per period in `[from, to)`, one per group (one with group
/// `null` when ungrouped). Periods without data have `value: null` (volume: 0).
#[allow(clippy::too_many_arguments)]
pub async fn trends(
    store: &Store,
    workspace_id: &str,
    tz: Tz,
    metric: Metric,
    g: Granularity,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    group: &GroupBy,
) -> StoreResult<Vec<TrendSeries>> {
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

/// Display names of the workspace's pain-point categories: the default twelve and its own.
pub async fn category_names(
    store: &Store,
    analyzer: &Analyzer,
    workspace_id: &str,
) -> StoreResult<HashMap<String, String>> {
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

/// Totals of `[previous_from, from)` and `[from, to)`, split to the bucket.
pub async fn totals_around(
    store: &Store,
    workspace_id: &str,
    tz: Tz,
    previous_from: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<(Tally, Tally)> {
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
pub async fn rank_pain_points(
    store: &Store,
    names: &HashMap<String, String>,
    input: &RankInput<'_>,
) -> StoreResult<Vec<PainPointLine>> {
    let ws = input.workspace_id;
    let started = std::time::Instant::now();
    let mut channels: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for (category, channel, n) in store.pain_point_channels(ws, input.from, input.to).await? {
        channels.entry(category).or_default().push((channel, n));
    }
    let previous: HashMap<String, u64> = store
        .pain_point_counts(ws, input.previous_from, input.from)
        .await?
        .into_iter()
        .collect();
    let complaints = store
        .complaint_count(
            ws,
            input.from,
            input.to,
            input.current.negative + input.current.mixed,
        )
        .await?;
    let counted = started.elapsed();
    let mut lines = Vec::new();
    for (id, mut by_channel) in channels {
        by_channel.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let count: u64 = by_channel.iter().map(|(_, n)| n).sum();
        let before = previous.get(&id).copied().unwrap_or(0);
        let first_seen = store.pain_point_first_seen(ws, &id).await?;
        let samples = store
            .pain_point_samples(ws, &id, input.from, input.to, SAMPLE_SIZE)
            .await?;
        let material = Material::from_samples(&samples);
        lines.push(PainPointLine {
            name: names.get(&id).cloned().unwrap_or_else(|| id.clone()),
            count,
            share: share(count, complaints),
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
    let categorised = started.elapsed();
    lines.extend(emerging(store, input, complaints).await?);
    tracing::debug!(
        counts_ms = counted.as_millis() as u64,
        categories_ms = (categorised - counted).as_millis() as u64,
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

/// Emerging clusters of this period's uncategorised complaints, compared with how often the
/// cluster's leading keyword came up among the previous period's.
async fn emerging(
    store: &Store,
    input: &RankInput<'_>,
    complaints: u64,
) -> StoreResult<Vec<PainPointLine>> {
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
            share: share(count, complaints),
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

/// Longest quote shown, in characters.
const QUOTE_CHARS: usize = 140;

/// Two or three typical quotes: items whose keywords are the sample's most common ones, of a
/// readable length, and unlike each other (no two sharing most of their character pairs).
pub fn pick_quotes(samples: &[Sample], n: usize) -> Vec<Quote> {
    let mut df: HashMap<&str, usize> = HashMap::new();
    let keyword_sets: Vec<HashSet<&str>> = samples
        .iter()
        .map(|s| {
            s.analysis
                .as_ref()
                .and_then(|a| a["keywords"].as_array())
                .into_iter()
                .flatten()
                .filter_map(|k| k["word"].as_str())
                .collect()
        })
        .collect();
    for set in &keyword_sets {
        for w in set {
            *df.entry(w).or_default() += 1;
        }
    }
    let mut scored: Vec<(f64, usize)> = samples
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let typical: usize = keyword_sets[i].iter().map(|w| df[w]).sum();
            let chars = s.text.chars().count();
            let readable = if (8..=QUOTE_CHARS).contains(&chars) {
                1.0
            } else {
                0.5
            };
            let norm = (keyword_sets[i].len().max(1)) as f64;
            (readable * typical as f64 / norm.sqrt(), i)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut picked: Vec<(usize, HashSet<(char, char)>)> = Vec::new();
    for (_, i) in scored {
        if picked.len() == n {
            break;
        }
        let text = samples[i].text.trim();
        if text.is_empty() {
            continue;
        }
        let pairs = char_pairs(text);
        if picked.iter().any(|(_, p)| jaccard(p, &pairs) >= 0.5) {
            continue;
        }
        picked.push((i, pairs));
    }
    picked
        .into_iter()
        .map(|(i, _)| {
            let s = &samples[i];
            Quote {
                feedback_id: s.id.clone(),
                text: clip(s.text.trim(), QUOTE_CHARS),
                channel: s.channel.clone(),
                occurred_at: s.occurred_at,
            }
        })
        .collect()
}

fn char_pairs(text: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

fn jaccard(a: &HashSet<(char, char)>, b: &HashSet<(char, char)>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    a.intersection(b).count() as f64 / a.union(b).count() as f64
}

/// At most `max` characters, with `…` when cut; newlines become spaces.
pub fn clip(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        return flat;
    }
    let mut out: String = flat.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(id: &str, text: &str, words: &[&str]) -> Sample {
        Sample {
            id: id.into(),
            text: text.into(),
            channel: "survey".into(),
            occurred_at: Utc::now(),
            analysis: Some(
                json!({"keywords": words.iter().map(|w| json!({"word": w, "weight": 1.0})).collect::<Vec<_>>()}),
            ),
        }
    }

    #[test]
    fn quotes_are_typical_and_not_duplicates() {
        let samples = vec![
            sample(
                "1",
                "支付失败了三次，钱扣了订单没成功",
                &["支付", "失败", "扣款"],
            ),
            sample(
                "2",
                "支付失败了三次，钱扣了订单没成功！",
                &["支付", "失败", "扣款"],
            ),
            sample(
                "3",
                "付款一直失败，银行卡扣款但是显示未支付",
                &["支付", "失败", "银行卡"],
            ),
            sample("4", "界面颜色不好看", &["界面"]),
            sample("5", "微信支付失败，提示网络错误", &["支付", "失败", "微信"]),
        ];
        let q = pick_quotes(&samples, 3);
        let ids: Vec<&str> = q.iter().map(|q| q.feedback_id.as_str()).collect();
        assert_eq!(q.len(), 3);
        assert!(!(ids.contains(&"1") && ids.contains(&"2")), "{ids:?}");
        assert!(!ids.contains(&"4"), "{ids:?}");
    }

    #[test]
    fn clip_cuts_on_characters() {
        assert_eq!(clip("一二三四五", 3), "一二…");
        assert_eq!(clip("a\nb", 10), "a b");
    }

    #[test]
    fn quarter_hour_buckets_for_half_hour_zones() {
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let to = from + Duration::days(90);
        assert_eq!(bucket_secs(chrono_tz::Asia::Shanghai, from, to), 3600);
        assert_eq!(bucket_secs(chrono_tz::Asia::Kolkata, from, to), 900);
    }

    #[test]
    fn relative_change_and_share() {
        assert_eq!(relative_change(15, 10), Some(0.5));
        assert_eq!(relative_change(3, 0), None);
        assert_eq!(share(5, 20), 0.25);
        assert_eq!(share(5, 0), 0.0);
    }
}
