//! Where a pain point is over-represented: for each value of a channel, source or respondent
//! attribute, the share of its items that carry the pain point against the share among all
//! other items, the lift (ratio of the two), and a two-proportion test. The test is repeated
//! once per value compared, so a value is called significant only when its p-value is below
//! α divided by the number of values tested (Bonferroni), which keeps the chance of any false
//! alarm on the page under 5 %.

use serde::Serialize;

use super::stats::two_proportion_p;
use super::tally::ALPHA;

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
    let total: u64 = counts.iter().map(|c| c.1).sum();
    let total_with: u64 = counts.iter().map(|c| c.2).sum();
    let tested: Vec<&(String, u64, u64)> = counts
        .iter()
        .filter(|(_, n, _)| *n >= MIN_SEGMENT && total - *n >= MIN_SEGMENT)
        .collect();
    let m = tested.len().max(1) as f64;
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

    #[test]
    fn small_values_are_not_tested() {
        let counts = vec![("rare".to_owned(), 5, 5), ("common".to_owned(), 500, 50)];
        assert!(over_represented(&counts).is_empty());
    }
}
