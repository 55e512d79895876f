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

    // Every category over every value (values without it count 0).
    let mut categories: BTreeMap<&str, HashMap<&str, u64>> = BTreeMap::new();
    for (c, v, n) in with {
        *categories.entry(c).or_default().entry(v).or_default() += n;
    }
    let per_category: Vec<(&str, ValueCounts)> = categories
        .into_iter()
        .map(|(c, counts)| {
            let rows = items
                .iter()
                .map(|(v, n)| (v.clone(), *n, counts.get(v.as_str()).copied().unwrap_or(0)))
                .collect();
            (c, rows)
        })
        .collect();
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
    fn small_values_are_not_tested() {
        let counts = vec![("rare".to_owned(), 5, 5), ("common".to_owned(), 500, 50)];
        assert!(over_represented(&counts).is_empty());
    }
}
