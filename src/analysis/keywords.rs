//! Keywords: TF-IDF over the tokens the segmenter already produced (no second cut), with IDF
//! from the workspace's own corpus when it has one, else the shipped feedback-corpus IDF; and
//! TextRank as an option.

use rustc_hash::FxHashMap as HashMap;

use serde::Serialize;

use super::lexicon::Lexicon;
use super::normalize::is_han;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keyword {
    pub word: String,
    pub weight: f32,
}

/// Inverse document frequencies and the value used for unseen words.
pub trait Idf {
    fn idf(&self, word: &str) -> Option<f32>;
    fn unseen(&self) -> f32;
}

/// Is this token worth reporting as a keyword? Not a stop word, not punctuation or a number,
/// at least two characters of Chinese or three letters of Latin (emoji are kept out: they
/// are sentiment, not topic).
pub fn candidate(token: &str, lexicon: &Lexicon) -> bool {
    if lexicon.stopwords.contains(token) {
        return false;
    }
    let han = token.chars().filter(|c| is_han(*c)).count();
    let latin = token.chars().filter(|c| c.is_ascii_alphabetic()).count();
    han >= 2
        || (han == 0 && latin >= 3 && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

fn round(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

pub fn tfidf(tokens: &[&str], lexicon: &Lexicon, idf: &dyn Idf, top: usize) -> Vec<Keyword> {
    let mut tf: HashMap<&str, f32> = HashMap::default();
    let mut n = 0.0;
    for t in tokens {
        if candidate(t, lexicon) {
            *tf.entry(t).or_default() += 1.0;
            n += 1.0;
        }
    }
    let mut scored: Vec<(&str, f32)> = tf
        .into_iter()
        .map(|(w, c)| (w, c / n * idf.idf(w).unwrap_or_else(|| idf.unseen())))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    scored.truncate(top);
    scored
        .into_iter()
        .map(|(w, s)| Keyword {
            word: w.to_owned(),
            weight: round(s),
        })
        .collect()
}

/// TextRank over co-occurrence within a window of five candidate tokens.
pub fn textrank(tokens: &[&str], lexicon: &Lexicon, top: usize) -> Vec<Keyword> {
    let words: Vec<&str> = tokens
        .iter()
        .copied()
        .filter(|t| candidate(t, lexicon))
        .collect();
    let mut index: HashMap<&str, usize> = HashMap::default();
    for w in &words {
        let next = index.len();
        index.entry(w).or_insert(next);
    }
    let n = index.len();
    if n == 0 {
        return Vec::new();
    }
    let mut edges: Vec<HashMap<usize, f32>> = vec![HashMap::default(); n];
    for (i, a) in words.iter().enumerate() {
        for b in words.iter().skip(i + 1).take(4) {
            let (ia, ib) = (index[a], index[b]);
            if ia != ib {
                *edges[ia].entry(ib).or_default() += 1.0;
                *edges[ib].entry(ia).or_default() += 1.0;
            }
        }
    }
    let out_sum: Vec<f32> = edges.iter().map(|e| e.values().sum()).collect();
    let mut rank = vec![1.0f32; n];
    for _ in 0..30 {
        let mut next = vec![0.15f32; n];
        for (i, e) in edges.iter().enumerate() {
            for (j, w) in e {
                next[*j] += 0.85 * rank[i] * w / out_sum[i];
            }
        }
        rank = next;
    }
    let max = rank.iter().copied().fold(f32::MIN, f32::max).max(1e-6);
    let mut scored: Vec<(&str, f32)> = index.iter().map(|(w, i)| (*w, rank[*i] / max)).collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    scored.truncate(top);
    scored
        .into_iter()
        .map(|(w, s)| Keyword {
            word: w.to_owned(),
            weight: round(s),
        })
        .collect()
}
