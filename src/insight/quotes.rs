//! Quotes: two or three typical items of a sample, of a readable length and unlike each
//! other, as the digest, the alerts and the ranking show them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::queries::Sample;
use crate::domain::text::{clip, controls_as_spaces};

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Quote {
    pub feedback_id: String,
    /// Already redacted at ingest; still untrusted user text: escape when rendering.
    pub text: String,
    /// The channel's code (`survey`, `social` …).
    pub channel: String,
    /// Where it came from by name (the survey's title, 微博, CSV 导入 …), when the one showing
    /// it looked that up (the digest does); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    pub occurred_at: DateTime<Utc>,
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
                text: clip(&controls_as_spaces(s.text.trim()), QUOTE_CHARS),
                channel: s.channel.clone(),
                source_name: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(id: &str, text: &str, words: &[&str]) -> Sample {
        Sample {
            id: id.into(),
            text: text.into(),
            channel: "survey".into(),
            occurred_at: DateTime::<Utc>::UNIX_EPOCH,
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
    fn a_quote_stays_on_one_line_and_is_clipped() {
        let long = format!("第一行\n{}", "长".repeat(200));
        let q = pick_quotes(&[sample("1", &long, &["长"])], 1);
        assert!(!q[0].text.contains('\n'));
        assert_eq!(q[0].text.chars().count(), QUOTE_CHARS);
        assert!(q[0].text.ends_with('…'));
    }
}
