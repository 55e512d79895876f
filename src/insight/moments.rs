//! Every metric the drivers and segments compare is the mean of one value per response
//! (NPS: +100 promoter, 0 passive, −100 detractor; CSAT: 100 satisfied, 0 not; CES: the
//! score; sentiment: the mean of its texts' +100/0/−100), so three sums that add and subtract
//! carry all they need: the count, the sum and the sum of squares.

use serde::Serialize;

use super::stats::{normal_cdf, Interval};
use super::tally::Z95;

/// Count, sum and sum of squares of a per-response value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Moments {
    pub n: u64,
    pub sum: f64,
    pub sum_sq: f64,
}

impl std::ops::AddAssign for Moments {
    fn add_assign(&mut self, o: Moments) {
        self.n += o.n;
        self.sum += o.sum;
        self.sum_sq += o.sum_sq;
    }
}

impl Moments {
    /// The responses in `self` that are not in `part` (a subset of them).
    pub fn without(&self, part: &Moments) -> Moments {
        Moments {
            n: self.n.saturating_sub(part.n),
            sum: self.sum - part.sum,
            sum_sq: (self.sum_sq - part.sum_sq).max(0.0),
        }
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// Sample variance (n − 1 in the denominator); `None` below two responses.
    pub fn variance(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let n = self.n as f64;
        Some(((self.sum_sq - self.sum * self.sum / n) / (n - 1.0)).max(0.0))
    }

    /// Squared standard error of the mean, s²/n.
    fn se2(&self) -> Option<f64> {
        Some(self.variance()? / self.n as f64)
    }

    /// 95 % normal interval of the mean, mean ± 1.96·s/√n.
    pub fn interval(&self) -> Option<Interval> {
        let (m, se) = (self.mean()?, self.se2()?.sqrt());
        Some(Interval {
            low: m - Z95 * se,
            high: m + Z95 * se,
        })
    }
}

/// Two-sided p-value of Welch's test of two means with the normal distribution in place of
/// Student's t (both samples here have at least 20 responses). `None` below two responses on
/// either side.
pub fn welch_p(a: &Moments, b: &Moments) -> Option<f64> {
    let diff = a.mean()? - b.mean()?;
    let se = (a.se2()? + b.se2()?).sqrt();
    if se == 0.0 {
        return Some(if diff == 0.0 { 1.0 } else { 0.0 });
    }
    Some((2.0 * (1.0 - normal_cdf(diff.abs() / se))).clamp(0.0, 1.0))
}

/// What a pain point costs the metric, from all responses and the ones mentioning it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impact {
    pub value_with: f64,
    pub value_without: f64,
    /// mean(all) − mean(without).
    pub impact: f64,
    pub low: f64,
    pub high: f64,
    pub significant: bool,
}

/// The impact of the responses `with` (a subset of `all`) on the mean of `all`:
/// mean(all) − mean(without) = w·(mean(with) − mean(without)) with w = n_with / n_all. Its
/// 95 % interval holds w fixed (the split as observed) and uses Welch's standard error of the
/// difference of the two means, so it excludes zero exactly when Welch's test of `with`
/// against `without` is significant at 5 %. `None` below two responses on either side.
pub fn impact(all: &Moments, with: &Moments) -> Option<Impact> {
    let without = all.without(with);
    let (mw, mo) = (with.mean()?, without.mean()?);
    let w = with.n as f64 / all.n as f64;
    let se = w * (with.se2()? + without.se2()?).sqrt();
    let impact = all.mean()? - mo;
    let (low, high) = (impact - Z95 * se, impact + Z95 * se);
    Some(Impact {
        value_with: mw,
        value_without: mo,
        impact,
        low,
        high,
        significant: low > 0.0 || high < 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    /// Moments of NPS scores, each response's value +100, 0 or −100.
    fn nps(scores: &[i16]) -> Moments {
        let mut m = Moments::default();
        for &s in scores {
            let x = match s {
                9..=10 => 100.0,
                7..=8 => 0.0,
                _ => -100.0,
            };
            m += Moments {
                n: 1,
                sum: x,
                sum_sq: x * x,
            };
        }
        m
    }

    #[test]
    fn impact_matches_hand_computation() {
        // Four responses mention the pain point: 0, 3, 6, 9 → values −100 ×3, +100: mean −50,
        // s² = (3·50² + 150²) / 3 = 10,000. Six do not: 10, 10, 9, 8, 7, 2 → +100 ×3, 0 ×2,
        // −100: mean 33.333, s² = 33,333.3 / 5 = 6,666.67. All ten: NPS 0.
        let with = nps(&[0, 3, 6, 9]);
        let mut all = with;
        all += nps(&[10, 10, 9, 8, 7, 2]);
        let i = impact(&all, &with).unwrap();
        assert!(close(i.value_with, -50.0, 1e-9), "{i:?}");
        assert!(close(i.value_without, 33.333_333, 1e-5), "{i:?}");
        // 0 − 33.333 = 0.4 · (−50 − 33.333).
        assert!(close(i.impact, -33.333_333, 1e-5), "{i:?}");
        // se = 0.4 · √(10,000/4 + 6,666.67/6) = 0.4 · √3,611.11 = 24.0370; ± 1.959964 · se.
        assert!(close(i.low, -33.333_333 - 47.111_6, 1e-3), "{i:?}");
        assert!(close(i.high, -33.333_333 + 47.111_6, 1e-3), "{i:?}");
        assert!(!i.significant);
    }

    #[test]
    fn a_complaint_only_detractors_make_is_significant() {
        // 40 detractors mention it; 160 others are 80 promoters, 40 passives, 40 detractors.
        let with = nps(&[2; 40]);
        let mut all = with;
        all += nps(&[[10; 80].as_slice(), &[8; 40], &[3; 40]].concat());
        let i = impact(&all, &with).unwrap();
        // All: (80 − 80)/200 = 0; without: (80 − 40)/160 = 25; impact −25.
        assert!(close(i.impact, -25.0, 1e-9), "{i:?}");
        // Without: s² = (1,200,000 − 160·25²)/159 = 6,918.24; se = 0.2·√(0 + 6,918.24/160)
        // = 1.315127; ± 1.959964·se = ± 2.577603 (the worked example in docs/insights.md).
        assert!(
            close(i.low, -27.577_603, 1e-4) && close(i.high, -22.422_397, 1e-4),
            "{i:?}"
        );
        assert!(i.significant && i.high < 0.0, "{i:?}");
        assert!(close(i.value_with, -100.0, 1e-9));
    }

    #[test]
    fn an_evenly_spread_complaint_is_not() {
        // The same mix with and without: 10/5/5 and 40/20/20.
        let with = nps(&[[10; 10].as_slice(), &[8; 5], &[3; 5]].concat());
        let mut all = with;
        all += nps(&[[10; 40].as_slice(), &[8; 20], &[3; 20]].concat());
        let i = impact(&all, &with).unwrap();
        assert!(close(i.impact, 0.0, 1e-9), "{i:?}");
        assert!(!i.significant && i.low < 0.0 && i.high > 0.0);
    }

    #[test]
    fn too_few_responses_give_nothing() {
        let with = nps(&[3]);
        let mut all = with;
        all += nps(&[10, 9, 3]);
        assert_eq!(impact(&all, &with), None);
        assert_eq!(Moments::default().mean(), None);
    }

    #[test]
    fn interval_and_welch() {
        // 1..=5: mean 3, s² 2.5, se √0.5.
        let mut m = Moments::default();
        for x in 1..=5 {
            let x = f64::from(x);
            m += Moments {
                n: 1,
                sum: x,
                sum_sq: x * x,
            };
        }
        let i = m.interval().unwrap();
        // ± 1.959964 · 0.707107 = ± 1.385903.
        assert!(
            close(i.low, 1.614_097, 1e-5) && close(i.high, 4.385_903, 1e-5),
            "{i:?}"
        );
        assert!(close(welch_p(&m, &m).unwrap(), 1.0, 1e-6));
        // Means 3 and 5 with se² 0.5 each: z = 2, p = 0.0455.
        let shifted = Moments {
            n: 5,
            sum: m.sum + 10.0,
            sum_sq: m.sum_sq + 4.0 * m.sum + 20.0,
        };
        assert!(close(welch_p(&m, &shifted).unwrap(), 0.045_500, 1e-5));
    }
}
