//! Confidence intervals and significance tests for the feedback metrics.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::metrics::nps;

/// A two-sided confidence interval `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// Wilson score interval for a proportion `successes / n` at critical value `z` (1.96 ≈ 95 %).
/// `None` when `n` is zero or `successes > n`.
pub fn wilson(successes: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(Interval {
        low: (center - half).max(0.0),
        high: (center + half).min(1.0),
    })
}

/// NPS confidence interval in points, from Var(p̂ₚ − p̂ᵈ) = (pₚ + p_d − (pₚ − p_d)²) / n
/// (difference of two shares of one multinomial sample). `None` when there are no responses.
pub fn nps_interval(promoters: u64, passives: u64, detractors: u64, z: f64) -> Option<Interval> {
    let n = promoters + passives + detractors;
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let pp = promoters as f64 / n;
    let pd = detractors as f64 / n;
    let score = pp - pd;
    let se = ((pp + pd - score * score) / n).max(0.0).sqrt();
    Some(Interval {
        low: (100.0 * (score - z * se)).max(-100.0),
        high: (100.0 * (score + z * se)).min(100.0),
    })
}

/// Error function, Abramowitz & Stegun, *Handbook of Mathematical Functions* (1964),
/// formula 7.1.26; absolute error ≤ 1.5 × 10⁻⁷.
fn erf(x: f64) -> f64 {
    const P: f64 = 0.327_591_1;
    const A: [f64; 5] = [
        0.254_829_592,
        -0.284_496_736,
        1.421_413_741,
        -1.453_152_027,
        1.061_405_429,
    ];
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + P * x);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    sign * (1.0 - poly * (-x * x).exp())
}

/// Standard normal cumulative distribution function Φ(x) = (1 + erf(x/√2)) / 2.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

/// Two-sided p-value of the pooled two-proportion z-test for `x1/n1` vs `x2/n2`.
/// `None` when a sample is empty or has more successes than trials.
pub fn two_proportion_p(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<f64> {
    if n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2 {
        return None;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let (p1, p2) = (x1 as f64 / n1f, x2 as f64 / n2f);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    if se == 0.0 {
        // Pooled share is 0 or 1, so both samples agree exactly.
        return Some(1.0);
    }
    let z = (p1 - p2).abs() / se;
    Some((2.0 * (1.0 - normal_cdf(z))).clamp(0.0, 1.0))
}

/// ln n!, exact by summing logs up to 256 and by Stirling's series above (error below 1e-12
/// there).
fn ln_factorial(n: u64) -> f64 {
    if n <= 256 {
        return (2..=n).map(|i| (i as f64).ln()).sum();
    }
    let x = n as f64;
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x.powi(3))
}

fn ln_choose(n: u64, k: u64) -> f64 {
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

/// One-sided p-value of Fisher's exact test that the share `x1/n1` is above `x0/n0`: the
/// probability, with the row and column totals of the 2×2 table fixed, of `x1` or more
/// successes in the first row (the hypergeometric upper tail). Exact at any count, so it
/// serves small ones where the normal approximation does not. `None` when a row is empty or
/// has more successes than trials.
pub fn fisher_greater_p(x1: u64, n1: u64, x0: u64, n0: u64) -> Option<f64> {
    if n1 == 0 || n0 == 0 || x1 > n1 || x0 > n0 {
        return None;
    }
    let (n, k) = (n1 + n0, x1 + x0);
    let denominator = ln_choose(n, n1);
    let top = k.min(n1);
    let mut p = 0.0;
    for x in x1..=top {
        // Successes left for the second row must fit in it.
        if k - x > n0 {
            continue;
        }
        p += (ln_choose(k, x) + ln_choose(n - k, n1 - x) - denominator).exp();
    }
    Some(p.min(1.0))
}

/// Bootstrap two-sided p-value for the NPS change from period `a` to `b`: each period is
/// resampled with replacement `rounds` times (seeded, reproducible) and p is twice the share
/// of bootstrap differences on the other side of zero from the observed one (capped at 1).
/// `None` when either period is empty or `rounds` is zero.
pub fn nps_change_p(a: &[i16], b: &[i16], rounds: usize, seed: u64) -> Option<f64> {
    if rounds == 0 {
        return None;
    }
    let observed = nps(b)? - nps(a)?;
    if observed == 0.0 {
        return Some(1.0);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut resample = |xs: &[i16]| -> Vec<i16> {
        (0..xs.len())
            .map(|_| xs[rng.gen_range(0..xs.len())])
            .collect()
    };
    let mut other_side = 0usize;
    for _ in 0..rounds {
        let ra = resample(a);
        let rb = resample(b);
        let diff = nps(&rb)? - nps(&ra)?;
        if (observed > 0.0 && diff <= 0.0) || (observed < 0.0 && diff >= 0.0) {
            other_side += 1;
        }
    }
    Some((2.0 * other_side as f64 / rounds as f64).min(1.0))
}

/// Normal-approximation confidence interval for the mean CES, `mean ± z·s/√n` with the sample
/// standard deviation. Uses z in place of Student's t, which is accurate for n ≥ 30 only.
/// `None` with fewer than two scores.
pub fn ces_interval(scores: &[i16], z: f64) -> Option<Interval> {
    if scores.len() < 2 {
        return None;
    }
    let n = scores.len() as f64;
    let mean = scores.iter().map(|&s| f64::from(s)).sum::<f64>() / n;
    let var = scores
        .iter()
        .map(|&s| (f64::from(s) - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    let half = z * (var / n).sqrt();
    Some(Interval {
        low: mean - half,
        high: mean + half,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    #[test]
    fn wilson_matches_hand_computation() {
        // 8/10 at z = 1.96: centre 0.99208 / 1.38416, half-width 1.96·√0.025604 / 1.38416.
        let i = wilson(8, 10, 1.96).unwrap();
        assert!(close(i.low, 0.490_157, 1e-5), "{i:?}");
        assert!(close(i.high, 0.943_319, 1e-5), "{i:?}");
        let zero = wilson(0, 10, 1.96).unwrap();
        assert_eq!(zero.low, 0.0);
        assert!(zero.high > 0.0 && zero.high < 0.35);
        assert_eq!(wilson(0, 0, 1.96), None);
        assert_eq!(wilson(3, 2, 1.96), None);
    }

    #[test]
    fn nps_interval_matches_hand_computation() {
        // 50/30/20 of 100: NPS 30, var (0.7 − 0.09) / 100 = 0.0061, se 0.078102, ±15.3081 pts.
        let i = nps_interval(50, 30, 20, 1.96).unwrap();
        assert!(close(i.low, 14.6919, 1e-3), "{i:?}");
        assert!(close(i.high, 45.3081, 1e-3), "{i:?}");
        // All promoters: zero variance, clamped at 100.
        let all = nps_interval(10, 0, 0, 1.96).unwrap();
        assert!(close(all.low, 100.0, 1e-9) && close(all.high, 100.0, 1e-9));
        assert_eq!(nps_interval(0, 0, 0, 1.96), None);
    }

    #[test]
    fn normal_cdf_known_values() {
        assert!(close(normal_cdf(0.0), 0.5, 1e-7));
        assert!(close(normal_cdf(1.96), 0.975_002, 1e-6));
        assert!(close(normal_cdf(-1.96), 0.024_998, 1e-6));
    }

    #[test]
    fn two_proportion_test() {
        // 60/100 vs 40/100: pooled 0.5, se √0.005, z = 2.828427, p = 0.0046777.
        let p = two_proportion_p(60, 100, 40, 100).unwrap();
        assert!(close(p, 0.004_677_7, 1e-6), "{p}");
        assert!(close(
            two_proportion_p(50, 100, 50, 100).unwrap(),
            1.0,
            1e-7
        ));
        assert_eq!(two_proportion_p(0, 10, 0, 20), Some(1.0));
        assert_eq!(two_proportion_p(1, 0, 1, 10), None);
        assert_eq!(two_proportion_p(11, 10, 1, 10), None);
    }

    #[test]
    fn fisher_matches_hand_computation() {
        // 3/3 against 0/3: only the observed table is as extreme; 1 / C(6, 3) = 0.05.
        assert!(close(fisher_greater_p(3, 3, 0, 3).unwrap(), 0.05, 1e-12));
        // 2/3 against 1/3: tables with 2 and 3 in the first row, (C(3,2)·C(3,1) + 1) / 20.
        assert!(close(fisher_greater_p(2, 3, 1, 3).unwrap(), 0.5, 1e-12));
        // The tea-tasting table, 3 of 4 against 1 of 4: (16 + 1) / 70.
        assert!(close(
            fisher_greater_p(3, 4, 1, 4).unwrap(),
            17.0 / 70.0,
            1e-12
        ));
        // Nothing above the other side's share: p is 1 or near it.
        assert!(fisher_greater_p(0, 10, 5, 10).unwrap() > 0.99);
        assert_eq!(fisher_greater_p(1, 0, 1, 10), None);
        // Large counts go through Stirling: 10 of 60 against 15 of 900 agrees with the
        // exact sum of logs to many places, and is far below 0.001.
        let big = fisher_greater_p(10, 60, 15, 900).unwrap();
        assert!(big < 1e-4 && big > 0.0, "{big}");
        assert!(close(
            ln_factorial(300),
            (2..=300).map(|i| (i as f64).ln()).sum(),
            1e-9
        ));
    }

    #[test]
    fn bootstrap_nps_change() {
        let a = [0i16; 20];
        let b = [10i16; 20];
        // Every resample gives a +200 difference, so none fall on the other side.
        assert_eq!(nps_change_p(&a, &b, 500, 7), Some(0.0));
        assert_eq!(nps_change_p(&b, &b, 500, 7), Some(1.0));
        assert_eq!(nps_change_p(&[], &b, 500, 7), None);
        assert_eq!(nps_change_p(&a, &b, 0, 7), None);

        // A small, noisy change: p is large and reproducible for a fixed seed.
        let a = [9, 10, 7, 3, 8, 9, 5, 10, 6, 8];
        let b = [9, 10, 7, 3, 8, 9, 5, 10, 9, 8];
        let p1 = nps_change_p(&a, &b, 2000, 42).unwrap();
        let p2 = nps_change_p(&a, &b, 2000, 42).unwrap();
        assert_eq!(p1, p2);
        assert!(p1 > 0.3 && p1 <= 1.0, "{p1}");
    }

    #[test]
    fn ces_interval_matches_hand_computation() {
        // 1..=5: mean 3, s² = 2.5, se = √0.5 = 0.707107, half-width 1.96·se = 1.385929.
        let i = ces_interval(&[1, 2, 3, 4, 5], 1.96).unwrap();
        assert!(close(i.low, 1.614_071, 1e-5), "{i:?}");
        assert!(close(i.high, 4.385_929, 1e-5), "{i:?}");
        assert_eq!(ces_interval(&[3], 1.96), None);
    }
}
