//! The trained part of the engine: the weights of sentiment's last stage (`stack.rs`), IDF
//! from a feedback corpus, and the rules' thresholds, stored as one text file
//! (`data/model.tsv`) that `tingjian train sentiment` writes. Older files also held word
//! weights (log-odds of appearing in positive rather than negative feedback), which the rules
//! still read; a workspace's corrections are turned into such weights too.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::fmt::Write as _;

use super::hash::key_of;
use super::keywords::Idf;
use super::sentiment::{Label, Params, WordWeights};
use super::stack::{labels_only, Stacker, CLASSES, WEIGHTS};

pub const MODEL_TSV: &str = include_str!("data/model.tsv");

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub weights: HashMap<String, f32>,
    pub idf: HashMap<String, f32>,
    pub unseen_idf: f32,
    pub params: Params,
    /// The trained last stage of sentiment (empty: the rules decide alone).
    pub stacker: Stacker,
    /// The last stage's weights by feature name, as training writes them (not kept on load).
    pub stack_rows: Vec<(String, [f32; WEIGHTS])>,
    /// Free-text lines on where the model came from (sources, licences, command).
    pub provenance: Vec<String>,
}

impl WordWeights for Model {
    fn weight(&self, word: &str) -> Option<f32> {
        self.weights.get(word).copied()
    }
}

impl Idf for Model {
    fn idf(&self, word: &str) -> Option<f32> {
        self.idf.get(word).copied()
    }
    fn unseen(&self) -> f32 {
        self.unseen_idf
    }
}

/// One labelled text for training or evaluation.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub text: String,
    pub label: Label,
}

fn finite(v: f32) -> Result<f32, ()> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(())
    }
}

impl Model {
    /// Parses the model file; unknown lines are skipped so older binaries read newer files.
    pub fn parse(src: &str) -> Self {
        let mut m = Model {
            unseen_idf: 8.0,
            ..Default::default()
        };
        let mut stack_rows: Vec<(u64, [f32; WEIGHTS])> = Vec::new();
        for line in src.lines() {
            if let Some(note) = line.strip_prefix("# ") {
                m.provenance.push(note.to_owned());
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(kind), Some(key), Some(value)) = (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            if kind == "s" {
                let values: Result<Vec<f32>, _> = std::iter::once(value)
                    .chain(cols)
                    .map(|v| v.parse::<f32>().map_err(drop).and_then(finite))
                    .collect();
                // Four label weights, then (in a model with a review view) the review view's
                // weight and the review-likeness's.
                let row = values.ok().and_then(|v| match v.len() {
                    CLASSES => <[f32; CLASSES]>::try_from(v).ok().map(labels_only),
                    _ => <[f32; WEIGHTS]>::try_from(v).ok(),
                });
                if let Some(row) = row {
                    stack_rows.push((key_of(key), row));
                }
                continue;
            }
            // A weight that is not a finite number (NaN, inf) would poison every sum.
            let Ok(v) = value.parse::<f32>().map_err(drop).and_then(finite) else {
                continue;
            };
            match kind {
                "w" => {
                    m.weights.insert(key.to_owned(), v);
                }
                "i" => {
                    m.idf.insert(key.to_owned(), v);
                }
                "p" => match key {
                    "model_scale" => m.params.model_scale = v,
                    "positive_at" => m.params.positive_at = v,
                    "negative_at" => m.params.negative_at = v,
                    "mixed_at" => m.params.mixed_at = v,
                    "mixed_margin" => m.params.mixed_margin = v.max(0.0),
                    "unseen_idf" => m.unseen_idf = v,
                    _ => {}
                },
                _ => {}
            }
        }
        m.stacker = stack_rows.into_iter().collect();
        m
    }

    pub fn shipped() -> Self {
        Self::parse(MODEL_TSV)
    }

    pub fn to_tsv(&self) -> String {
        let mut out = String::new();
        for p in &self.provenance {
            let _ = writeln!(out, "# {p}");
        }
        let p = self.params;
        for (k, v) in [
            ("model_scale", p.model_scale),
            ("positive_at", p.positive_at),
            ("negative_at", p.negative_at),
            ("mixed_at", p.mixed_at),
            ("mixed_margin", p.mixed_margin),
            ("unseen_idf", self.unseen_idf),
        ] {
            let _ = writeln!(out, "p\t{k}\t{v}");
        }
        let mut weights: Vec<_> = self.weights.iter().collect();
        weights.sort_by(|a, b| a.0.cmp(b.0));
        for (w, v) in weights {
            let _ = writeln!(out, "w\t{w}\t{v:.3}");
        }
        for (name, w) in &self.stack_rows {
            let _ = write!(out, "s\t{name}");
            let labels_alone = w[CLASSES..].iter().all(|v| *v == 0.0);
            let w = if labels_alone { &w[..CLASSES] } else { &w[..] };
            for v in w {
                let _ = write!(out, "\t{v:.4}");
            }
            out.push('\n');
        }
        let mut idf: Vec<_> = self.idf.iter().collect();
        idf.sort_by(|a, b| a.0.cmp(b.0));
        for (w, v) in idf {
            let _ = writeln!(out, "i\t{w}\t{v:.3}");
        }
        out
    }
}

/// Word weights from labelled documents (tokens already cut): the smoothed log-ratio of a
/// word's document frequency among positive and among negative texts. Words seen in fewer than
/// `min_df` documents, or whose ratio is weak, are left out.
pub fn word_weights(
    docs: &[(Vec<String>, Label)],
    min_df: usize,
    skip: &dyn Fn(&str) -> bool,
) -> HashMap<String, f32> {
    let mut pos: HashMap<&str, f32> = HashMap::default();
    let mut neg: HashMap<&str, f32> = HashMap::default();
    let (mut n_pos, mut n_neg) = (0.0f32, 0.0f32);
    for (tokens, label) in docs {
        let unique: HashSet<&str> = tokens.iter().map(String::as_str).collect();
        let (counts, n) = match label {
            Label::Positive => (&mut pos, &mut n_pos),
            Label::Negative => (&mut neg, &mut n_neg),
            _ => continue,
        };
        *n += 1.0;
        for t in unique.into_iter().filter(|t| !skip(t)) {
            *counts.entry(t).or_default() += 1.0;
        }
    }
    let words: HashSet<&str> = pos.keys().chain(neg.keys()).copied().collect();
    words
        .into_iter()
        .filter_map(|w| {
            let p = pos.get(w).copied().unwrap_or(0.0);
            let n = neg.get(w).copied().unwrap_or(0.0);
            if ((p + n) as usize) < min_df {
                return None;
            }
            let ratio = ((p + 1.0) / (n_pos + 2.0)).ln() - ((n + 1.0) / (n_neg + 2.0)).ln();
            (ratio.abs() >= 0.5).then(|| (w.to_owned(), ratio.clamp(-2.5, 2.5)))
        })
        .collect()
}

/// IDF over all documents: `ln(N / (1 + df)) + 1`, kept for words seen at least twice.
pub fn inverse_document_frequency(docs: &[Vec<String>]) -> (HashMap<String, f32>, f32) {
    let mut df: HashMap<&str, f32> = HashMap::default();
    for tokens in docs {
        let unique: HashSet<&str> = tokens.iter().map(String::as_str).collect();
        for t in unique {
            *df.entry(t).or_default() += 1.0;
        }
    }
    let n = docs.len().max(1) as f32;
    let idf = df
        .into_iter()
        .filter(|(_, d)| *d >= 2.0)
        .map(|(w, d)| (w.to_owned(), (n / (1.0 + d)).ln() + 1.0))
        .collect();
    // A word never seen is rarer than any seen twice.
    (idf, (n / 2.0).ln() + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_skips_what_is_not_a_finite_number() {
        let m = Model::parse(
            "# a note\ns\tu:好\t1\t-1\t0\t0\ns\tu:房间\t1\t-1\t0\t0\t2\t-0.5\ns\tu:坏\tNaN\t1\t0\t0\ns\tu:差\t1\t2\ns\tu:慢\tinf\t0\t0\t0\n\
             p\tmixed_margin\t-3\np\tpositive_at\tNaN\ni\t闪退\t2.5\nw\t卡\tabc\ngarbage\n\t\t\n",
        );
        assert_eq!(m.provenance, ["a note"]);
        let rounded = |name: &str| {
            m.stacker
                .weight(key_of(name))
                .map(|w| w.map(|x| (x * 10.0).round()))
        };
        assert_eq!(rounded("u:好"), Some([10.0, -10.0, 0.0, 0.0, 0.0, 0.0]));
        assert_eq!(rounded("u:房间"), Some([10.0, -10.0, 0.0, 0.0, 20.0, -5.0]));
        for bad in ["u:坏", "u:差", "u:慢"] {
            assert!(m.stacker.weight(key_of(bad)).is_none(), "{bad}");
        }
        assert_eq!(m.params.mixed_margin, 0.0);
        assert_eq!(m.params.positive_at, Params::default().positive_at);
        assert_eq!(m.idf.get("闪退"), Some(&2.5));
        assert!(m.weights.is_empty());
    }
}
