//! Keywords: TF-IDF over the tokens the segmenter already produced (no second cut), with IDF
//! from the workspace's own corpus when it has one, else the shipped feedback-corpus IDF; and
//! TextRank as an option.

use rustc_hash::FxHashMap as HashMap;

use serde::Serialize;

use super::words::WordInfo;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keyword {
    pub word: String,
    /// Rounded to three decimals (f64, so JSON shows it as written).
    pub weight: f64,
}

/// Inverse document frequencies and the value used for unseen words.
pub trait Idf {
    fn idf(&self, word: &str) -> Option<f32>;
    fn unseen(&self) -> f32;
}

/// Is this token worth reporting as a keyword? Not a stop word, not an opinion word, not
/// punctuation or a number, at least two characters of Chinese or three letters of Latin
/// (emoji are kept out: they are sentiment, not topic).
pub fn candidate(info: &WordInfo) -> bool {
    // Stop words say nothing; opinion words (太差了, 失望) say how, not what about.
    !info.stop && info.sentiment.abs() < 1.0 && info.shape.keyword
}

fn round(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

/// TF-IDF; `idf` is the workspace's own when it has one, else the shipped IDF in `infos`.
pub fn tfidf(
    tokens: &[&str],
    infos: &[WordInfo],
    idf: Option<&dyn Idf>,
    unseen: f32,
    top: usize,
) -> Vec<Keyword> {
    // Feedback is short: a linear list beats a hash map for counting its words. Words are
    // told apart by their hashes (the word table's keys), not compared as strings. Each entry:
    // the word, its hash, its count (then its score) and the shipped IDF.
    let mut tf: Vec<(&str, u64, f32, f32)> = Vec::with_capacity(16);
    let mut n = 0.0;
    for (t, info) in tokens.iter().zip(infos) {
        if candidate(info) {
            match tf.iter_mut().find(|(_, h, _, _)| *h == info.hash) {
                Some(entry) => entry.2 += 1.0,
                None => tf.push((
                    t,
                    info.hash,
                    1.0,
                    if info.idf > 0.0 { info.idf } else { unseen },
                )),
            }
            n += 1.0;
        }
    }
    for (w, _, count, shipped) in &mut tf {
        let idf = idf.map_or(*shipped, |i| i.idf(w).unwrap_or_else(|| i.unseen()));
        *count = *count / n * idf;
    }
    best(tf, top, |(w, _, score, _)| (w, *score))
}

/// TextRank over co-occurrence within a window of five candidate tokens.
pub fn textrank(tokens: &[&str], infos: &[WordInfo], top: usize) -> Vec<Keyword> {
    let words: Vec<&str> = tokens
        .iter()
        .zip(infos)
        .filter(|(_, i)| candidate(i))
        .map(|(t, _)| *t)
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
    let scored: Vec<(&str, f32)> = index.iter().map(|(w, i)| (*w, rank[*i] / max)).collect();
    best(scored, top, |(w, s)| (w, *s))
}

/// The `top` best-scored words, best first (ties by word, so results are stable).
fn best<T>(mut scored: Vec<T>, top: usize, of: impl Fn(&T) -> (&str, f32)) -> Vec<Keyword> {
    scored.sort_by(|a, b| {
        let (a, b) = (of(a), of(b));
        b.1.total_cmp(&a.1).then(a.0.cmp(b.0))
    });
    scored
        .iter()
        .take(top)
        .map(|e| {
            let (w, s) = of(e);
            Keyword {
                word: w.to_owned(),
                weight: round(s),
            }
        })
        .collect()
}
