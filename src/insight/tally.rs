//! Sufficient statistics of a set of feedback items (counts per sentiment, NPS class, CSAT
//! class, CES moments) that add across buckets, with each metric's value, confidence interval
//! and period-over-period significance test computed from them.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::stats::{nps_interval, two_proportion_p, wilson, Interval};

/// Critical value of a 95 % two-sided interval.
pub const Z95: f64 = 1.959_964;

/// Significance level for calling a change a change.
pub const ALPHA: f64 = 0.05;

/// The fewest observations behind a rate (NPS, CSAT, CES, sentiment index) that the digest
/// and the console show as a rate and compare with the period before; below it they show the
/// count alone ("Small numbers stay calm" in docs/design.md).
pub const MIN_RATE_SAMPLE: u64 = 30;

/// The fewest items, in one of the two periods, for a pain point's change to be given as a
/// percentage; below it the counts are shown as they are.
pub const MIN_CHANGE_COUNT: u64 = 10;

/// Whether a value of `metric` from `n` observations is too few to read as a rate: volume is a
/// count and never is.
pub fn too_few(metric: Metric, n: u64) -> bool {
    metric != Metric::Volume && n < MIN_RATE_SAMPLE
}

/// Above this many responses in both periods the NPS test uses the normal approximation of
/// the multinomial difference instead of resampling: at that size the two agree and the
/// bootstrap would cost a second per digest.
const BOOTSTRAP_MAX_N: u64 = 5_000;

const BOOTSTRAP_ROUNDS: usize = 2_000;

/// Which number a trend or headline shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    Nps,
    Csat,
    Ces,
    Sentiment,
    Volume,
}

impl Metric {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "nps" => Metric::Nps,
            "csat" => Metric::Csat,
            "ces" => Metric::Ces,
            "sentiment" => Metric::Sentiment,
            "volume" => Metric::Volume,
            _ => return None,
        })
    }

    /// The metric's name in URLs and JSON: `nps`, `csat`, `ces`, `sentiment`, `volume`.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Nps => "nps",
            Metric::Csat => "csat",
            Metric::Ces => "ces",
            Metric::Sentiment => "sentiment",
            Metric::Volume => "volume",
        }
    }

    /// Short display name: `NPS`, `CSAT`, `CES`, `情感指数`, `反馈量`.
    pub fn display(self) -> &'static str {
        match self {
            Metric::Nps => "NPS",
            Metric::Csat => "CSAT",
            Metric::Ces => "CES",
            Metric::Sentiment => "情感指数",
            Metric::Volume => "反馈量",
        }
    }
}

/// Counts that add up: one per bucket from the database, summed into periods.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub items: u64,
    /// Items with a sentiment (analysed).
    pub analysed: u64,
    pub positive: u64,
    pub negative: u64,
    pub mixed: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub csat_n: u64,
    pub csat_satisfied: u64,
    pub ces_n: u64,
    pub ces_sum: f64,
    pub ces_sum_sq: f64,
    /// Complaints: items that are negative or mixed, or carry a pain point (the denominator
    /// of a pain point's share).
    pub complaints: u64,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.items += o.items;
        self.analysed += o.analysed;
        self.positive += o.positive;
        self.negative += o.negative;
        self.mixed += o.mixed;
        self.promoters += o.promoters;
        self.passives += o.passives;
        self.detractors += o.detractors;
        self.csat_n += o.csat_n;
        self.csat_satisfied += o.csat_satisfied;
        self.ces_n += o.ces_n;
        self.ces_sum += o.ces_sum;
        self.ces_sum_sq += o.ces_sum_sq;
        self.complaints += o.complaints;
    }
}

impl Tally {
    pub fn nps_n(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }

    /// Observations behind `metric`'s value.
    pub fn n(&self, metric: Metric) -> u64 {
        match metric {
            Metric::Nps => self.nps_n(),
            Metric::Csat => self.csat_n,
            Metric::Ces => self.ces_n,
            Metric::Sentiment => self.analysed,
            Metric::Volume => self.items,
        }
    }

    /// The metric in its display unit: NPS and sentiment index in points (−100..100), CSAT in
    /// percent, CES as the mean score, volume as a count. `None` without observations.
    pub fn value(&self, metric: Metric) -> Option<f64> {
        let n = self.n(metric);
        if n == 0 && metric != Metric::Volume {
            return None;
        }
        let n = n as f64;
        Some(match metric {
            Metric::Nps => 100.0 * (self.promoters as f64 - self.detractors as f64) / n,
            Metric::Csat => 100.0 * self.csat_satisfied as f64 / n,
            Metric::Ces => self.ces_sum / n,
            Metric::Sentiment => 100.0 * (self.positive as f64 - self.negative as f64) / n,
            Metric::Volume => self.items as f64,
        })
    }

    /// 95 % confidence interval of [`Tally::value`]: the multinomial interval for NPS and the
    /// sentiment index, Wilson for CSAT, the normal interval of the mean for CES, and none for
    /// volume (a count, not an estimate).
    pub fn interval(&self, metric: Metric) -> Option<Interval> {
        match metric {
            Metric::Nps => nps_interval(self.promoters, self.passives, self.detractors, Z95),
            Metric::Sentiment => nps_interval(
                self.positive,
                self.analysed.saturating_sub(self.positive + self.negative),
                self.negative,
                Z95,
            ),
            Metric::Csat => wilson(self.csat_satisfied, self.csat_n, Z95).map(|i| Interval {
                low: 100.0 * i.low,
                high: 100.0 * i.high,
            }),
            Metric::Ces => {
                let se = self.ces_standard_error()?;
                let mean = self.ces_sum / self.ces_n as f64;
                Some(Interval {
                    low: mean - Z95 * se,
                    high: mean + Z95 * se,
                })
            }
            Metric::Volume => None,
        }
    }

    fn ces_standard_error(&self) -> Option<f64> {
        if self.ces_n < 2 {
            return None;
        }
        let n = self.ces_n as f64;
        let var = ((self.ces_sum_sq - self.ces_sum * self.ces_sum / n) / (n - 1.0)).max(0.0);
        Some((var / n).sqrt())
    }

    fn three_way(&self, metric: Metric) -> (u64, u64, u64) {
        match metric {
            Metric::Sentiment => (
                self.positive,
                self.analysed.saturating_sub(self.positive + self.negative),
                self.negative,
            ),
            _ => (self.promoters, self.passives, self.detractors),
        }
    }
}

/// Two-sided p-value for the change of `metric` from `before` to `after`, with a test fit for
/// the metric: NPS and the sentiment index (a difference of two shares of one sample) by a
/// seeded bootstrap while samples are small and the normal approximation beyond; CSAT by the
/// two-proportion z-test; CES by Welch's z-test on the means; volume by the conditional
/// binomial test of two Poisson counts (normal approximation). `None` when either side lacks
/// data.
pub fn change_p(metric: Metric, before: &Tally, after: &Tally) -> Option<f64> {
    match metric {
        Metric::Nps | Metric::Sentiment => {
            let a = before.three_way(metric);
            let b = after.three_way(metric);
            let (na, nb) = (a.0 + a.1 + a.2, b.0 + b.1 + b.2);
            if na == 0 || nb == 0 {
                return None;
            }
            if na <= BOOTSTRAP_MAX_N && nb <= BOOTSTRAP_MAX_N {
                Some(bootstrap_three_way_p(a, b, BOOTSTRAP_ROUNDS, 0x7469_6e67))
            } else {
                Some(normal_three_way_p(a, b))
            }
        }
        Metric::Csat => two_proportion_p(
            before.csat_satisfied,
            before.csat_n,
            after.csat_satisfied,
            after.csat_n,
        ),
        Metric::Ces => {
            let (sa, sb) = (before.ces_standard_error()?, after.ces_standard_error()?);
            let diff = after.ces_sum / after.ces_n as f64 - before.ces_sum / before.ces_n as f64;
            let se = (sa * sa + sb * sb).sqrt();
            Some(p_from_z(diff, se))
        }
        Metric::Volume => {
            let (a, b) = (before.items as f64, after.items as f64);
            if a + b == 0.0 {
                return None;
            }
            Some(p_from_z(b - a, (a + b).sqrt()))
        }
    }
}

/// Whether the change is significant at [`ALPHA`].
pub fn significant(metric: Metric, before: &Tally, after: &Tally) -> bool {
    change_p(metric, before, after).is_some_and(|p| p < ALPHA)
}

fn p_from_z(diff: f64, se: f64) -> f64 {
    if se == 0.0 {
        return if diff == 0.0 { 1.0 } else { 0.0 };
    }
    (2.0 * (1.0 - super::stats::normal_cdf((diff / se).abs()))).clamp(0.0, 1.0)
}

/// Score (top share minus bottom share) of a three-way count.
fn score(c: (u64, u64, u64)) -> f64 {
    let n = (c.0 + c.1 + c.2) as f64;
    (c.0 as f64 - c.2 as f64) / n
}

fn normal_three_way_p(a: (u64, u64, u64), b: (u64, u64, u64)) -> f64 {
    let var = |c: (u64, u64, u64)| {
        let n = (c.0 + c.1 + c.2) as f64;
        let (pt, pb) = (c.0 as f64 / n, c.2 as f64 / n);
        (pt + pb - (pt - pb).powi(2)) / n
    };
    p_from_z(score(b) - score(a), (var(a) + var(b)).sqrt())
}

/// Resamples each period's responses with replacement (drawing each response's class from
/// the period's observed shares), `rounds` times; p is twice the share of resampled
/// differences on the other side of zero from the observed one.
fn bootstrap_three_way_p(a: (u64, u64, u64), b: (u64, u64, u64), rounds: usize, seed: u64) -> f64 {
    let observed = score(b) - score(a);
    if observed == 0.0 {
        return 1.0;
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut draw = |c: (u64, u64, u64)| -> (u64, u64, u64) {
        let n = c.0 + c.1 + c.2;
        let mut out = (0, 0, 0);
        for _ in 0..n {
            let r = rng.gen_range(0..n);
            if r < c.0 {
                out.0 += 1;
            } else if r < c.0 + c.1 {
                out.1 += 1;
            } else {
                out.2 += 1;
            }
        }
        out
    };
    let mut other_side = 0usize;
    for _ in 0..rounds {
        let diff = score(draw(b)) - score(draw(a));
        if (observed > 0.0 && diff <= 0.0) || (observed < 0.0 && diff >= 0.0) {
            other_side += 1;
        }
    }
    (2.0 * other_side as f64 / rounds as f64).min(1.0)
}

/// Spike rule for alerts: `count` items in the last 24 h against a trailing daily `baseline`
/// (the mean of the previous days). A spike needs at least `min_count` items, at least twice
/// the baseline, and a one-sided Poisson tail probability P(X ≥ count | λ = max(baseline,
/// 0.5)) below 0.001. The floor on λ keeps a never-seen item from alerting on its first two
/// complaints.
pub fn is_spike(count: u64, baseline: f64, min_count: u64) -> bool {
    if count < min_count {
        return false;
    }
    let lambda = baseline.max(0.5);
    count as f64 >= 2.0 * lambda && poisson_upper_tail(count, lambda) < 1e-3
}

/// P(X ≥ k) for X ~ Poisson(λ), summed in log space from k upwards until terms vanish.
pub fn poisson_upper_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    // log P(X = k) = k ln λ − λ − ln k!
    let ln_fact: f64 = (1..=k).map(|i| (i as f64).ln()).sum();
    let mut log_term = k as f64 * lambda.ln() - lambda - ln_fact;
    let mut total = 0.0;
    let mut i = k;
    loop {
        let term = log_term.exp();
        total += term;
        i += 1;
        log_term += lambda.ln() - (i as f64).ln();
        if term < total * 1e-12 || i > k + 10_000 {
            break;
        }
    }
    total.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nps_tally(p: u64, pa: u64, d: u64) -> Tally {
        Tally {
            promoters: p,
            passives: pa,
            detractors: d,
            ..Tally::default()
        }
    }

    #[test]
    fn values_match_hand_computation() {
        // 5 promoters, 3 passives, 2 detractors: (5 − 2) / 10 = 30 points.
        let mut t = nps_tally(5, 3, 2);
        t.csat_n = 8;
        t.csat_satisfied = 6;
        t.ces_n = 4;
        t.ces_sum = 2.0 + 3.0 + 4.0 + 5.0;
        t.ces_sum_sq = 4.0 + 9.0 + 16.0 + 25.0;
        t.items = 20;
        t.analysed = 16;
        t.positive = 8;
        t.negative = 4;
        assert_eq!(t.value(Metric::Nps), Some(30.0));
        assert_eq!(t.value(Metric::Csat), Some(75.0));
        assert_eq!(t.value(Metric::Ces), Some(3.5));
        assert_eq!(t.value(Metric::Sentiment), Some(25.0));
        assert_eq!(t.value(Metric::Volume), Some(20.0));
        // CES sample sd of 2,3,4,5 is √(5/3); se = sd/2.
        let i = t.interval(Metric::Ces).unwrap();
        let half = Z95 * (5.0f64 / 3.0).sqrt() / 2.0;
        assert!((i.high - 3.5 - half).abs() < 1e-9);
        assert_eq!(Tally::default().value(Metric::Nps), None);
        assert_eq!(Tally::default().value(Metric::Volume), Some(0.0));
    }

    #[test]
    fn tallies_add() {
        let mut a = nps_tally(1, 0, 0);
        a += nps_tally(0, 1, 1);
        assert_eq!(a, nps_tally(1, 1, 1));
    }

    #[test]
    fn nps_change_tests_agree_and_separate_noise_from_change() {
        // 30 → 32 on 100 responses each: noise.
        assert!(!significant(
            Metric::Nps,
            &nps_tally(50, 30, 20),
            &nps_tally(51, 30, 19)
        ));
        // 10 → 50 on 200 each: a change.
        assert!(significant(
            Metric::Nps,
            &nps_tally(80, 60, 60),
            &nps_tally(120, 60, 20)
        ));
        // The bootstrap and the normal approximation give close p-values at moderate n.
        let (a, b) = ((400, 300, 300), (450, 300, 250));
        let boot = bootstrap_three_way_p(a, b, 4_000, 7);
        let normal = normal_three_way_p(a, b);
        assert!((boot - normal).abs() < 0.02, "{boot} vs {normal}");
    }

    #[test]
    fn csat_ces_and_volume_tests() {
        let t = |sat, n| Tally {
            csat_satisfied: sat,
            csat_n: n,
            ..Tally::default()
        };
        assert!(significant(Metric::Csat, &t(50, 100), &t(80, 100)));
        assert!(!significant(Metric::Csat, &t(50, 100), &t(55, 100)));
        let v = |items| Tally {
            items,
            ..Tally::default()
        };
        // 100 → 120: z = 20/√220 ≈ 1.35, noise; 100 → 160: z ≈ 3.8.
        assert!(!significant(Metric::Volume, &v(100), &v(120)));
        assert!(significant(Metric::Volume, &v(100), &v(160)));
        let c = |n: u64, mean: f64| Tally {
            ces_n: n,
            ces_sum: mean * n as f64,
            // Every score equals the mean plus or minus one: variance ≈ 1.
            ces_sum_sq: n as f64 * (mean * mean + 1.0),
            ..Tally::default()
        };
        assert!(significant(Metric::Ces, &c(200, 3.0), &c(200, 3.5)));
        assert!(!significant(Metric::Ces, &c(20, 3.0), &c(20, 3.1)));
        assert_eq!(
            change_p(Metric::Nps, &Tally::default(), &nps_tally(1, 0, 0)),
            None
        );
    }

    #[test]
    fn poisson_tail_and_spikes() {
        // P(X ≥ 1 | λ = 1) = 1 − e⁻¹.
        assert!((poisson_upper_tail(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-9);
        // P(X ≥ 3 | λ = 2) = 1 − e⁻²(1 + 2 + 2) ≈ 0.3233.
        assert!((poisson_upper_tail(3, 2.0) - 0.323_323_6).abs() < 1e-6);
        assert!(is_spike(30, 5.0, 5));
        assert!(!is_spike(8, 5.0, 5));
        assert!(!is_spike(3, 0.0, 5), "too few to call");
        assert!(
            is_spike(6, 0.0, 5),
            "six complaints about a thing never seen before"
        );
    }
}
