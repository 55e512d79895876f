//! Where a pain point is over-represented: for each value of a channel, source or respondent
//! attribute, the share of its items that carry the pain point against the share among all
//! other items, the lift (ratio of the two), and a two-proportion test. The test is repeated
//! once per value compared, so a value is called significant only when its p-value is below
//! α divided by the number of values tested (Bonferroni), which keeps the chance of any false
//! alarm on the page under 5 %.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::moments::{welch_p, Moments};
use super::queries::{GroupBy, ResponseAggregates};
use super::stats::two_proportion_p;
use super::tally::{Metric, ALPHA};

/// (value, items, items with the pain point) of every value.
type ValueCounts = Vec<(String, u64, u64)>;

/// Values with fewer items are not tested (their share says too little).
pub const MIN_SEGMENT: u64 = 20;

#[derive(Debug, Clone, Serialize)]
pub struct OverRepresented {
    pub value: String,
    /// Items with this value, and how many of them carry the pain point.
    pub n: u64,
    pub with: u64,
    /// Share of this value's items with the pain point, and of all other items.
    pub share: f64,
    pub rest_share: f64,
    /// `share / rest_share`; `None` when no other item has it.
    pub lift: Option<f64>,
    pub significant: bool,
}

/// `counts`: (value, items, items with the pain point). Returns the values whose share is
/// above the rest's, most lifted first; significance after the Bonferroni correction over
/// every value tested.
pub fn over_represented(counts: &[(String, u64, u64)]) -> Vec<OverRepresented> {
    over_represented_among(counts, tested(counts))
}

/// How many values of `counts` are large enough to test, and leave enough for the rest.
pub fn tested(counts: &[(String, u64, u64)]) -> usize {
    let total: u64 = counts.iter().map(|c| c.1).sum();
    counts
        .iter()
        .filter(|(_, n, _)| *n >= MIN_SEGMENT && total - *n >= MIN_SEGMENT)
        .count()
}

/// [`over_represented`] as one of `comparisons` tests in all (several pain points over the
/// same values): significant when p < α / `comparisons`.
pub fn over_represented_among(
    counts: &[(String, u64, u64)],
    comparisons: usize,
) -> Vec<OverRepresented> {
    let total: u64 = counts.iter().map(|c| c.1).sum();
    let total_with: u64 = counts.iter().map(|c| c.2).sum();
    let tested: Vec<&(String, u64, u64)> = counts
        .iter()
        .filter(|(_, n, _)| *n >= MIN_SEGMENT && total - *n >= MIN_SEGMENT)
        .collect();
    let m = comparisons.max(1) as f64;
    let mut out: Vec<OverRepresented> = tested
        .into_iter()
        .filter_map(|(value, n, with)| {
            let (rest_n, rest_with) = (total - n, total_with - with);
            let share = *with as f64 / *n as f64;
            let rest_share = rest_with as f64 / rest_n as f64;
            if share <= rest_share {
                return None;
            }
            let p = two_proportion_p(*with, *n, rest_with, rest_n);
            Some(OverRepresented {
                value: value.clone(),
                n: *n,
                with: *with,
                share,
                rest_share,
                lift: (rest_share > 0.0).then(|| share / rest_share),
                significant: p.is_some_and(|p| p < ALPHA / m),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.significant.cmp(&a.significant).then(
            b.lift
                .unwrap_or(f64::MAX)
                .total_cmp(&a.lift.unwrap_or(f64::MAX)),
        )
    });
    out
}

/// One value of a segmenting attribute (or channel, or source) with its metric and the pain
/// points over-represented among its feedback.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentLine {
    pub value: String,
    /// Responses with the metric.
    pub n: u64,
    /// Feedback items (texts).
    pub items: u64,
    /// `None` below [`MIN_SEGMENT`] responses (or when the rest has fewer).
    pub metric: Option<SegmentMetric>,
    pub over_represented: Vec<PainPointLift>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentMetric {
    #[serde(serialize_with = "super::drivers::two_places")]
    pub value: f64,
    #[serde(serialize_with = "super::drivers::two_places")]
    pub low: f64,
    #[serde(serialize_with = "super::drivers::two_places")]
    pub high: f64,
    /// The segment's mean differs from the rest's: Welch's test at α / (values tested).
    pub significant: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PainPointLift {
    pub id: String,
    pub name: String,
    /// Items of the segment carrying it.
    pub count: u64,
    /// Share of the segment's items carrying it, 0..1.
    #[serde(serialize_with = "three_places")]
    pub share: f64,
    #[serde(serialize_with = "three_places")]
    pub rest_share: f64,
    /// `share / rest_share`; `None` when no other item carries it.
    #[serde(serialize_with = "three_places_opt")]
    pub lift: Option<f64>,
    /// After Bonferroni over every (value, pain point) pair tested.
    pub significant: bool,
}

fn three_places<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((x * 1000.0).round() / 1000.0)
}

fn three_places_opt<S: serde::Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(x) => three_places(x, s),
        None => s.serialize_none(),
    }
}

/// Every category over every value of one split, values without it counting 0: per category,
/// (value, items, items with the category).
fn category_rows<'a>(
    items: &[(String, u64)],
    with: &'a [(String, String, u64)],
) -> Vec<(&'a str, ValueCounts)> {
    let mut categories: BTreeMap<&str, HashMap<&str, u64>> = BTreeMap::new();
    for (c, v, n) in with {
        *categories.entry(c).or_default().entry(v).or_default() += n;
    }
    categories
        .into_iter()
        .map(|(c, counts)| {
            let rows = items
                .iter()
                .map(|(v, n)| (v.clone(), *n, counts.get(v.as_str()).copied().unwrap_or(0)))
                .collect();
            (c, rows)
        })
        .collect()
}

/// The segments of `group` from per-value response moments (`moments`), items per value
/// (`items`) and items per (category, value) (`with`). A value is listed with at least
/// [`MIN_SEGMENT`] responses or items. The metric of a value is compared with the other
/// values' responses together (responses without a value are in neither); the pain points
/// with every other value's items. Both tests are Bonferroni-corrected over their family: the
/// metric over the values tested, the pain points over every (value, pain point) pair.
pub fn segment_lines(
    moments: &[(String, Moments)],
    items: &[(String, u64)],
    with: &[(String, String, u64)],
    names: &HashMap<String, String>,
) -> Vec<SegmentLine> {
    let mut all = Moments::default();
    for (_, m) in moments {
        all += *m;
    }
    let testable = |m: &Moments| m.n >= MIN_SEGMENT && all.n - m.n >= MIN_SEGMENT;
    let metric_tests = moments.iter().filter(|(_, m)| testable(m)).count().max(1);
    let by_value: HashMap<&str, Moments> = moments.iter().map(|(v, m)| (v.as_str(), *m)).collect();
    let item_counts: HashMap<&str, u64> = items.iter().map(|(v, n)| (v.as_str(), *n)).collect();

    let per_category = category_rows(items, with);
    let comparisons: usize = per_category.iter().map(|(_, rows)| tested(rows)).sum();
    let mut lifts: HashMap<String, Vec<PainPointLift>> = HashMap::new();
    for (c, rows) in &per_category {
        for o in over_represented_among(rows, comparisons) {
            lifts
                .entry(o.value.clone())
                .or_default()
                .push(PainPointLift {
                    id: (*c).to_owned(),
                    name: names.get(*c).cloned().unwrap_or_else(|| (*c).to_owned()),
                    count: o.with,
                    share: o.share,
                    rest_share: o.rest_share,
                    lift: o.lift,
                    significant: o.significant,
                });
        }
    }

    let mut values: BTreeSet<&str> = by_value.keys().copied().collect();
    values.extend(item_counts.keys().copied());
    let mut out: Vec<SegmentLine> = values
        .into_iter()
        .filter_map(|v| {
            let m = by_value.get(v).copied().unwrap_or_default();
            let n_items = item_counts.get(v).copied().unwrap_or(0);
            if m.n < MIN_SEGMENT && n_items < MIN_SEGMENT {
                return None;
            }
            let metric = testable(&m).then(|| {
                let rest = all.without(&m);
                let i = m.interval()?;
                Some(SegmentMetric {
                    value: m.mean()?,
                    low: i.low,
                    high: i.high,
                    significant: welch_p(&m, &rest)
                        .is_some_and(|p| p < ALPHA / metric_tests as f64),
                })
            });
            let mut over = lifts.remove(v).unwrap_or_default();
            over.sort_by(|a, b| {
                b.significant.cmp(&a.significant).then(
                    b.lift
                        .unwrap_or(f64::MAX)
                        .total_cmp(&a.lift.unwrap_or(f64::MAX)),
                )
            });
            Some(SegmentLine {
                value: v.to_owned(),
                n: m.n,
                items: n_items,
                metric: metric.flatten(),
                over_represented: over,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.items
            .max(b.n)
            .cmp(&a.items.max(a.n))
            .then(a.value.cmp(&b.value))
    });
    out
}

/// The segments of `group` in `[from, to)` for `metric`, read from the store.
pub async fn segments<E, A>(
    store: &A,
    names: &HashMap<String, String>,
    workspace_id: &str,
    metric: Metric,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    group: &GroupBy,
) -> Result<Vec<SegmentLine>, E>
where
    A: ResponseAggregates<Error = E>,
{
    // Two independent scans of the range, side by side (each on its own pooled connection).
    let (moments, (items, with)) = tokio::try_join!(
        store.moments_by_group(workspace_id, metric, from, to, group),
        store.pain_points_by_group(workspace_id, from, to, group),
    )?;
    Ok(segment_lines(&moments, &items, &with, names))
}

/// What the digest and the alerts may split the feedback by: `channel`, and the respondent
/// attributes that most of the period's feedback carries with few values. From a sample of
/// the period's newest items (`sampled` of them): a key qualifies when at least
/// [`MIN_ATTRIBUTE_SHARE`] of them carry it with 2 to [`MAX_ATTRIBUTE_VALUES`] distinct
/// values; the [`MAX_ATTRIBUTES`] commonest are kept. An id-like key (a user or order id)
/// has too many values to make a segment, and a rare key too little data.
pub fn segment_attributes(profile: &[AttributeProfile], sampled: u64) -> Vec<String> {
    let mut keys: Vec<&AttributeProfile> = profile
        .iter()
        .filter(|a| {
            sampled > 0
                && a.items as f64 >= MIN_ATTRIBUTE_SHARE * sampled as f64
                && (2..=MAX_ATTRIBUTE_VALUES).contains(&a.values)
        })
        .collect();
    keys.sort_by(|a, b| b.items.cmp(&a.items).then(a.key.cmp(&b.key)));
    keys.into_iter()
        .take(MAX_ATTRIBUTES)
        .map(|a| a.key.clone())
        .collect()
}

/// A share of the sampled items that must carry an attribute for it to be a split.
pub const MIN_ATTRIBUTE_SHARE: f64 = 0.3;
/// Most distinct values (in the sample) a split may have.
pub const MAX_ATTRIBUTE_VALUES: usize = 30;
/// Attributes split by at most, besides the channel.
pub const MAX_ATTRIBUTES: usize = 4;

/// One respondent attribute as seen in a sample of items.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeProfile {
    pub key: String,
    /// Sampled items carrying it.
    pub items: u64,
    /// Its distinct values among them, counted up to [`MAX_ATTRIBUTE_VALUES`] + 1.
    pub values: usize,
}

/// One split's counts, as `ResponseAggregates::pain_points_by_group` answers them: items per
/// value, and items per (category, value).
#[derive(Debug, Clone)]
pub struct SplitCounts {
    /// `channel` or the attribute's key.
    pub attr: String,
    pub items: Vec<(String, u64)>,
    pub with: Vec<(String, String, u64)>,
}

/// A segment that reports a pain point markedly more often than everyone else.
#[derive(Debug, Clone, Serialize)]
pub struct Outlier {
    /// `channel` or the attribute's key, and its value.
    pub attr: String,
    pub value: String,
    /// The pain-point category and its display name.
    pub id: String,
    pub name: String,
    /// The segment's items, and how many carry the pain point.
    pub items: u64,
    pub count: u64,
    #[serde(serialize_with = "three_places")]
    pub share: f64,
    #[serde(serialize_with = "three_places")]
    pub rest_share: f64,
    #[serde(serialize_with = "three_places_opt")]
    pub lift: Option<f64>,
}

impl Outlier {
    /// Items beyond what the segment would have at everyone else's share: a large lift on a
    /// handful of items ranks below a smaller one on many.
    pub fn excess(&self) -> f64 {
        self.count as f64 - self.items as f64 * self.rest_share
    }
}

/// Fewest items with the pain point an outlier sentence rests on.
pub const MIN_OUTLIER_COUNT: u64 = 10;
/// Smallest lift worth a sentence: a significant 1.1 times is true but not worth reading.
pub const MIN_OUTLIER_LIFT: f64 = 1.5;

/// The significant outliers over several splits, most excess items first. Every (value, pain
/// point) pair of every split is one test of one family: significant at α / (all pairs
/// tested), a stricter bar than each split's own page ([`segment_lines`]), so every outlier
/// is also significant there, with the same share and lift. Then at least
/// [`MIN_OUTLIER_COUNT`] items and a lift of [`MIN_OUTLIER_LIFT`] (or none of the rest).
pub fn outliers(splits: &[SplitCounts], names: &HashMap<String, String>) -> Vec<Outlier> {
    let mut out: Vec<Outlier> = significant_pairs(splits)
        .into_iter()
        .filter(|p| {
            p.over.with >= MIN_OUTLIER_COUNT && !p.over.lift.is_some_and(|l| l < MIN_OUTLIER_LIFT)
        })
        .map(|p| Outlier {
            attr: p.attr.to_owned(),
            name: names
                .get(p.category)
                .cloned()
                .unwrap_or_else(|| p.category.to_owned()),
            id: p.category.to_owned(),
            value: p.over.value,
            items: p.over.n,
            count: p.over.with,
            share: p.over.share,
            rest_share: p.over.rest_share,
            lift: p.over.lift,
        })
        .collect();
    out.sort_by(|a, b| {
        b.excess()
            .total_cmp(&a.excess())
            .then(a.attr.cmp(&b.attr))
            .then(a.value.cmp(&b.value))
            .then(a.id.cmp(&b.id))
    });
    out
}

/// A segment's share of a pain point over the last 24 hours against its share before.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateWindow {
    /// Items in the window and how many carry the pain point.
    pub items: u64,
    pub count: u64,
}

impl RateWindow {
    pub fn share(&self) -> f64 {
        if self.items == 0 {
            0.0
        } else {
            self.count as f64 / self.items as f64
        }
    }
}

/// Whether a segment's share of a pain point jumped: `recent` (the last 24 hours) against
/// `baseline` (the days before). Needs at least `min_count` items with it now, a share at
/// least twice the baseline's (the baseline count floored at 0.5, so a pain point the segment
/// never had needs a clear share, not one item), and Fisher's exact one-sided test of the two
/// shares below 0.001, the level of the other spike alerts, which are as many tests each hour.
pub fn is_rate_jump(recent: RateWindow, baseline: RateWindow, min_count: u64) -> bool {
    if recent.count < min_count || baseline.items == 0 || recent.items == 0 {
        return false;
    }
    let floor = (baseline.count as f64).max(0.5) / baseline.items as f64;
    recent.share() >= 2.0 * floor
        && super::stats::fisher_greater_p(
            recent.count,
            recent.items,
            baseline.count,
            baseline.items,
        )
        .is_some_and(|p| p < 1e-3)
}

/// A segment whose share of a pain point may have jumped: its last 24 hours, everyone else's
/// in the same hours, and its baseline before.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentJump {
    /// `channel` or the attribute's key, its value, and the pain-point category.
    pub attr: String,
    pub value: String,
    pub category: String,
    pub recent: RateWindow,
    pub rest: RateWindow,
    /// The segment's own days before when it had [`MIN_SEGMENT`] items then, else the whole
    /// split's (every value of the attribute, or every channel): a segment new this day, such
    /// as a version just released, is compared with everyone's usual share.
    pub baseline: RateWindow,
    pub own_baseline: bool,
}

/// First step of a segment alert, over the last 24 hours: the (value, pain point) pairs with
/// at least `min_count` items that the segments test finds over-represented against everyone
/// else in the same hours (Bonferroni over every pair of every split). A pain point that
/// rises everywhere at once is the pain-point spike's to tell, not a segment's. Their
/// baselines are still empty; [`confirm_jump`] fills them.
pub fn rising_segments(recent: &[SplitCounts], min_count: u64) -> Vec<SegmentJump> {
    significant_pairs(recent)
        .into_iter()
        .filter(|p| p.over.with >= min_count)
        .map(|p| SegmentJump {
            attr: p.attr.to_owned(),
            category: p.category.to_owned(),
            recent: RateWindow {
                items: p.over.n,
                count: p.over.with,
            },
            rest: RateWindow {
                items: p.total - p.over.n,
                count: p.total_with - p.over.with,
            },
            value: p.over.value,
            baseline: RateWindow { items: 0, count: 0 },
            own_baseline: false,
        })
        .collect()
}

/// A (value, pain point) pair of one split found over-represented, with its split's totals for
/// the pain point's category (all values' items, and those carrying it).
struct SignificantPair<'a> {
    attr: &'a str,
    category: &'a str,
    over: OverRepresented,
    total: u64,
    total_with: u64,
}

/// Every significant (value, pain point) pair of every split, all of them tested as one
/// family: significant at α / (every pair of every split tested).
fn significant_pairs(splits: &[SplitCounts]) -> Vec<SignificantPair<'_>> {
    let rows: Vec<(&str, Vec<(&str, ValueCounts)>)> = splits
        .iter()
        .map(|s| (s.attr.as_str(), category_rows(&s.items, &s.with)))
        .collect();
    let comparisons: usize = rows
        .iter()
        .flat_map(|(_, per)| per.iter().map(|(_, r)| tested(r)))
        .sum();
    let mut out = Vec::new();
    for (attr, per_category) in rows {
        for (category, counts) in per_category {
            let total: u64 = counts.iter().map(|r| r.1).sum();
            let total_with: u64 = counts.iter().map(|r| r.2).sum();
            for over in over_represented_among(&counts, comparisons) {
                if over.significant {
                    out.push(SignificantPair {
                        attr,
                        category,
                        over,
                        total,
                        total_with,
                    });
                }
            }
        }
    }
    out
}

/// Second step: the pair's baseline from the same split's counts over the days before, and
/// whether the rise against it is a jump ([`is_rate_jump`]).
pub fn confirm_jump(
    mut j: SegmentJump,
    baseline: &SplitCounts,
    min_count: u64,
) -> Option<SegmentJump> {
    let items_of = |v: &str| {
        baseline
            .items
            .iter()
            .filter(|(value, _)| value == v)
            .map(|(_, n)| *n)
            .sum::<u64>()
    };
    let with_of = |v: Option<&str>| {
        baseline
            .with
            .iter()
            .filter(|(c, value, _)| *c == j.category && v.is_none_or(|v| value == v))
            .map(|(_, _, n)| *n)
            .sum::<u64>()
    };
    let own = items_of(&j.value);
    j.own_baseline = own >= MIN_SEGMENT;
    j.baseline = if j.own_baseline {
        RateWindow {
            items: own,
            count: with_of(Some(&j.value)),
        }
    } else {
        RateWindow {
            items: baseline.items.iter().map(|(_, n)| *n).sum(),
            count: with_of(None),
        }
    };
    is_rate_jump(j.recent, j.baseline, min_count).then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_with_four_times_the_crashes_stands_out_and_an_even_spread_does_not() {
        let counts = vec![
            ("3.2".to_owned(), 200, 80),
            ("3.1".to_owned(), 400, 40),
            ("3.0".to_owned(), 400, 40),
        ];
        let out = over_represented(&counts);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].value, "3.2");
        assert!(out[0].significant);
        // 80/200 = 0.4 against 80/800 = 0.1.
        assert!((out[0].lift.unwrap() - 4.0).abs() < 1e-9);
        let even = vec![("a".to_owned(), 300, 31), ("b".to_owned(), 300, 29)];
        assert!(over_represented(&even).iter().all(|o| !o.significant));
    }

    fn nps_moments(p: u64, pa: u64, d: u64) -> Moments {
        Moments {
            n: p + pa + d,
            sum: 100.0 * (p as f64 - d as f64),
            sum_sq: 10_000.0 * (p + d) as f64,
        }
    }

    #[test]
    fn segment_lines_flag_the_crashing_version_with_hand_figures() {
        // 3.2: 50 responses, 10/10/30 → NPS −40; the rest (3.1 + 3.0): 200, 100/50/50 → +25.
        let moments = vec![
            ("3.0".to_owned(), nps_moments(50, 25, 25)),
            ("3.1".to_owned(), nps_moments(50, 25, 25)),
            ("3.2".to_owned(), nps_moments(10, 10, 30)),
        ];
        let items = vec![
            ("3.0".to_owned(), 400),
            ("3.1".to_owned(), 400),
            ("3.2".to_owned(), 200),
        ];
        // Crashes: 80 of 3.2's 200 items (0.4) against 80 of the other 800 (0.1): lift 4.
        // Login: the same share everywhere, 30 of 400 and 15 of 200.
        let with = vec![
            ("crash".to_owned(), "3.2".to_owned(), 80),
            ("crash".to_owned(), "3.1".to_owned(), 40),
            ("crash".to_owned(), "3.0".to_owned(), 40),
            ("login".to_owned(), "3.2".to_owned(), 15),
            ("login".to_owned(), "3.1".to_owned(), 30),
            ("login".to_owned(), "3.0".to_owned(), 30),
        ];
        let names = HashMap::from([("crash".to_owned(), "闪退".to_owned())]);
        let lines = segment_lines(&moments, &items, &with, &names);
        assert_eq!(
            lines.iter().map(|l| l.value.as_str()).collect::<Vec<_>>(),
            ["3.0", "3.1", "3.2"]
        );
        let v32 = &lines[2];
        assert_eq!((v32.n, v32.items), (50, 200));
        let m = v32.metric.as_ref().unwrap();
        assert!((m.value + 40.0).abs() < 1e-9);
        // s² = (40·100² − 50·40²)/49 = (400,000 − 80,000)/49 = 6,530.61; se = 11.4286.
        assert!(
            (m.low - (-40.0 - 1.959_964 * 11.428_571)).abs() < 1e-3,
            "{m:?}"
        );
        assert!(m.significant);
        assert_eq!(v32.over_represented.len(), 1);
        let crash = &v32.over_represented[0];
        assert_eq!((crash.id.as_str(), crash.name.as_str()), ("crash", "闪退"));
        assert!((crash.lift.unwrap() - 4.0).abs() < 1e-9 && crash.significant);
        // Login is as common in 3.2 (0.075) as elsewhere (0.075): not over-represented.
        assert!(lines[0].over_represented.iter().all(|o| o.id != "crash"));
        assert!(lines
            .iter()
            .all(|l| l.over_represented.iter().all(|o| o.id != "login")));
    }

    #[test]
    fn outliers_over_splits_keep_the_marked_ones_once_and_rank_by_excess() {
        let names = HashMap::from([("crash".to_owned(), "闪退".to_owned())]);
        let version = SplitCounts {
            attr: "app_version".into(),
            items: vec![
                ("3.2".into(), 200),
                ("3.1".into(), 400),
                ("3.0".into(), 400),
            ],
            with: vec![
                ("crash".into(), "3.2".into(), 80),
                ("crash".into(), "3.1".into(), 40),
                ("crash".into(), "3.0".into(), 40),
                // Login as common everywhere.
                ("login".into(), "3.2".into(), 15),
                ("login".into(), "3.1".into(), 30),
                ("login".into(), "3.0".into(), 30),
            ],
        };
        // Android: a smaller but real excess of crashes; a lift of 1.3 on payment that a large
        // sample makes significant, but too small to be worth a sentence.
        let platform = SplitCounts {
            attr: "platform".into(),
            items: vec![("Android".into(), 5_000), ("iOS".into(), 5_000)],
            with: vec![
                ("crash".into(), "Android".into(), 130),
                ("crash".into(), "iOS".into(), 70),
                ("payment".into(), "Android".into(), 1_300),
                ("payment".into(), "iOS".into(), 1_000),
            ],
        };
        let out = outliers(&[version, platform], &names);
        let got: Vec<(&str, &str, &str)> = out
            .iter()
            .map(|o| (o.attr.as_str(), o.value.as_str(), o.id.as_str()))
            .collect();
        // Excess: 3.2 crash 80 − 200·0.1 = 60; Android crash 130 − 5,000·0.014 = 60 too,
        // ordered then by attribute name.
        assert_eq!(
            got,
            [
                ("app_version", "3.2", "crash"),
                ("platform", "Android", "crash")
            ]
        );
        let v32 = &out[0];
        assert_eq!((v32.items, v32.count, v32.name.as_str()), (200, 80, "闪退"));
        assert!((v32.lift.unwrap() - 4.0).abs() < 1e-9 && (v32.excess() - 60.0).abs() < 1e-9);
        // Nothing stands out in an even spread.
        let even = SplitCounts {
            attr: "plan".into(),
            items: vec![("a".into(), 300), ("b".into(), 300)],
            with: vec![
                ("crash".into(), "a".into(), 31),
                ("crash".into(), "b".into(), 29),
            ],
        };
        assert!(outliers(&[even], &names).is_empty());
    }

    #[test]
    fn attributes_worth_splitting_by() {
        let a = |key: &str, items: u64, values: usize| AttributeProfile {
            key: key.into(),
            items,
            values,
        };
        let profile = [
            a("app_version", 900, 4),
            a("platform", 1_000, 2),
            // On every item but one value: nothing to compare.
            a("tenant", 1_000, 1),
            // An id: too many values.
            a("order_id", 800, 31),
            // Too rare.
            a("campaign", 250, 3),
            a("city", 300, 30),
            a("plan", 700, 2),
            a("lang", 650, 3),
        ];
        assert_eq!(
            segment_attributes(&profile, 1_000),
            ["platform", "app_version", "plan", "lang"]
        );
        assert!(segment_attributes(&profile, 0).is_empty());
    }

    #[test]
    fn rate_jumps_need_count_ratio_and_an_exact_test() {
        let w = |items, count| RateWindow { items, count };
        // 24 of 60 now against 15 of 300 before: 40 % against 5 %.
        assert!(is_rate_jump(w(60, 24), w(300, 15), 5));
        // The same share as before is no jump, however many.
        assert!(!is_rate_jump(w(600, 30), w(3_000, 150), 5));
        // Too few items now.
        assert!(!is_rate_jump(w(8, 4), w(300, 0), 5));
        // Never seen before, 5 of 40 now: 12.5 % against a floor of 0.5/300; Fisher's p for
        // 5 of 40 against 0 of 300 is C(40,5)/C(340,5) = 1.79e-5.
        assert!(is_rate_jump(w(40, 5), w(300, 0), 5));
        let p = crate::insight::stats::fisher_greater_p(5, 40, 0, 300).unwrap();
        assert!((p - 1.789_979e-5).abs() < 1e-10, "{p}");
        // Significant but under twice the baseline: 30 % against 20 % on large counts.
        assert!(!is_rate_jump(w(2_000, 600), w(10_000, 2_000), 5));
        // More than twice the share on small counts is not yet significant: 7 of 50 against 6
        // of 100 (Fisher's p about 0.1).
        assert!(!is_rate_jump(w(50, 7), w(100, 6), 5));
        assert!(!is_rate_jump(w(50, 10), w(0, 0), 5));
    }

    #[test]
    fn a_segment_jump_must_stand_out_now_and_against_its_own_past() {
        let split = |items: Vec<(&str, u64)>, with: Vec<(&str, &str, u64)>| SplitCounts {
            attr: "app_version".into(),
            items: items.into_iter().map(|(v, n)| (v.into(), n)).collect(),
            with: with
                .into_iter()
                .map(|(c, v, n)| (c.into(), v.into(), n))
                .collect(),
        };
        // Today: 3.2 has 24 crashes in 60 items, the others 6 in 300.
        let today = split(
            vec![("3.2", 60), ("3.1", 300)],
            vec![("crash", "3.2", 24), ("crash", "3.1", 6)],
        );
        let rising = rising_segments(&[today], 5);
        assert_eq!(rising.len(), 1);
        let j = rising[0].clone();
        assert_eq!((j.value.as_str(), j.category.as_str()), ("3.2", "crash"));
        assert_eq!(
            (j.recent, j.rest),
            (
                RateWindow {
                    items: 60,
                    count: 24
                },
                RateWindow {
                    items: 300,
                    count: 6
                }
            )
        );
        // Before: 3.2 had 15 crashes in 300 items: a jump from 5 % to 40 %.
        let before = split(
            vec![("3.2", 300), ("3.1", 2_000)],
            vec![("crash", "3.2", 15), ("crash", "3.1", 40)],
        );
        let confirmed = confirm_jump(j.clone(), &before, 5).expect("a jump");
        assert!(confirmed.own_baseline);
        assert_eq!(
            confirmed.baseline,
            RateWindow {
                items: 300,
                count: 15
            }
        );
        // 3.2 always crashed this much: no jump, though it stands out today.
        let always = split(
            vec![("3.2", 300), ("3.1", 2_000)],
            vec![("crash", "3.2", 120), ("crash", "3.1", 40)],
        );
        assert_eq!(confirm_jump(j.clone(), &always, 5), None);
        // 3.2 is new today: compared with every version's past share, 40/2,000.
        let new = split(vec![("3.1", 2_000)], vec![("crash", "3.1", 40)]);
        let confirmed = confirm_jump(j, &new, 5).expect("a jump against everyone");
        assert!(!confirmed.own_baseline);
        assert_eq!(
            confirmed.baseline,
            RateWindow {
                items: 2_000,
                count: 40
            }
        );
        // Crashes up everywhere at once: no version stands out today, nothing to alert.
        let everywhere = split(
            vec![("3.2", 60), ("3.1", 300)],
            vec![("crash", "3.2", 12), ("crash", "3.1", 60)],
        );
        assert!(rising_segments(&[everywhere], 5).is_empty());
    }

    #[test]
    fn small_values_are_not_tested() {
        let counts = vec![("rare".to_owned(), 5, 5), ("common".to_owned(), 500, 50)];
        assert!(over_represented(&counts).is_empty());
    }
}
