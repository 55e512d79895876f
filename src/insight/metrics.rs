//! Headline feedback metrics computed from raw survey scores.

/// Net Promoter Score: share of promoters (9–10) minus share of detractors (0–6), in
/// percentage points (−100..=100). `None` when there are no scores.
pub fn nps(scores: &[i16]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let promoters = scores.iter().filter(|s| (9..=10).contains(*s)).count() as f64;
    let detractors = scores.iter().filter(|s| (0..=6).contains(*s)).count() as f64;
    Some(100.0 * (promoters - detractors) / scores.len() as f64)
}

/// Customer satisfaction on a 1–5 scale: share of 4s and 5s, in percent (0..=100).
/// `None` when there are no scores.
pub fn csat(scores: &[i16]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let satisfied = scores.iter().filter(|s| (4..=5).contains(*s)).count() as f64;
    Some(100.0 * satisfied / scores.len() as f64)
}

/// Customer effort score: the arithmetic mean of the scores. `None` when there are no scores.
pub fn ces(scores: &[i16]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let sum: f64 = scores.iter().map(|&s| f64::from(s)).sum();
    Some(sum / scores.len() as f64)
}

/// Sentiment index `(positive − negative) / total`, in −1..=1. `None` when `total` is zero.
pub fn sentiment_index(positive: u64, negative: u64, total: u64) -> Option<f64> {
    if total == 0 {
        return None;
    }
    Some((positive as f64 - negative as f64) / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn nps_counts_promoters_minus_detractors() {
        // 3 promoters (9, 10, 10), 2 passives (7, 8), 5 detractors (0..=6): (3 − 5) / 10 = −20.
        let scores = [9, 10, 10, 7, 8, 0, 3, 5, 6, 6];
        assert!(close(nps(&scores).unwrap(), -20.0));
        assert!(close(nps(&[10, 9]).unwrap(), 100.0));
        assert!(close(nps(&[0, 6]).unwrap(), -100.0));
        assert!(close(nps(&[7, 8]).unwrap(), 0.0));
        assert_eq!(nps(&[]), None);
    }

    #[test]
    fn csat_is_share_of_top_two_boxes() {
        // 4 and 5 count; 3 of 4 scores satisfied.
        assert!(close(csat(&[5, 4, 4, 2]).unwrap(), 75.0));
        assert!(close(csat(&[1, 2, 3]).unwrap(), 0.0));
        assert_eq!(csat(&[]), None);
    }

    #[test]
    fn ces_is_the_mean() {
        assert!(close(ces(&[1, 2, 3, 4, 5, 6, 7]).unwrap(), 4.0));
        assert!(close(ces(&[2, 3]).unwrap(), 2.5));
        assert_eq!(ces(&[]), None);
    }

    #[test]
    fn sentiment_index_in_unit_range() {
        assert!(close(sentiment_index(30, 10, 50).unwrap(), 0.4));
        assert!(close(sentiment_index(0, 5, 5).unwrap(), -1.0));
        assert!(close(sentiment_index(0, 0, 3).unwrap(), 0.0));
        assert_eq!(sentiment_index(0, 0, 0), None);
    }
}
