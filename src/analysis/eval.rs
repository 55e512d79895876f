//! Evaluation against a labelled set: accuracy, per-label precision/recall/F1, a confusion
//! table, the positive-vs-negative accuracy, the three-class macro-F1 and pain-point micro-F1.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::painpoint::DEFAULT_IDS;
use super::sentiment::Label;
use super::Analyzer;

/// One line of a labelled set (`corpus/eval/dev.jsonl`).
#[derive(Debug, Clone, Deserialize)]
pub struct Gold {
    pub id: String,
    pub text: String,
    pub sentiment: Label,
    #[serde(default)]
    pub pain_points: Vec<String>,
    #[serde(default)]
    pub hard: bool,
    /// Where the text comes from (`hotel`, `food_delivery` …), for figures by group.
    #[serde(default)]
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

fn prf(tp: usize, fp: usize, fn_: usize) -> Prf {
    let precision = if tp + fp == 0 {
        0.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let recall = if tp + fn_ == 0 {
        0.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Prf {
        precision,
        recall,
        f1,
        support: tp + fn_,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub items: usize,
    pub accuracy: f64,
    pub per_label: BTreeMap<String, Prf>,
    /// confusion[gold][predicted]
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Items labelled positive or negative: is the predicted label the same?
    pub binary_accuracy: f64,
    /// The same items, forced to a side by the sign of the score.
    pub binary_accuracy_by_sign: f64,
    /// Items labelled positive, negative or neutral: macro-F1 over those three labels.
    pub three_class_macro_f1: f64,
    pub pain_points: BTreeMap<String, Prf>,
    pub pain_point_micro_f1: f64,
    pub hard_accuracy: f64,
    /// Figures by `domain` and by length (under 200 characters, 200 and more): only on a set
    /// whose lines name a domain.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_group: BTreeMap<String, GroupFigures>,
    /// Ids of the items whose sentiment was wrong, for reading.
    pub misses: Vec<String>,
}

/// The sentiment figures of one group of items.
#[derive(Debug, Clone, Serialize)]
pub struct GroupFigures {
    pub items: usize,
    pub accuracy: f64,
    pub binary_accuracy: f64,
    pub binary_accuracy_by_sign: f64,
}

/// Length at which a text counts as long in the figures by group.
pub const LONG_CHARS: usize = 200;

/// Sentiment predictions against gold labels: the confusion table and the measures read from it.
#[derive(Debug, Clone, Default)]
pub struct SentimentTally {
    /// confusion[gold][predicted]
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    pub items: usize,
    pub correct: usize,
    bin_n: usize,
    bin_ok: usize,
    bin_sign_ok: usize,
}

impl SentimentTally {
    /// Counts one prediction; true when its label is right.
    pub fn add(&mut self, gold: Label, predicted: Label, score: f32) -> bool {
        *self
            .confusion
            .entry(gold.as_str().into())
            .or_default()
            .entry(predicted.as_str().into())
            .or_default() += 1;
        let ok = predicted == gold;
        self.items += 1;
        self.correct += ok as usize;
        if matches!(gold, Label::Positive | Label::Negative) {
            self.bin_n += 1;
            self.bin_ok += ok as usize;
            let side = if score > 0.0 {
                Label::Positive
            } else if score < 0.0 {
                Label::Negative
            } else {
                Label::Neutral
            };
            self.bin_sign_ok += (side == gold) as usize;
        }
        ok
    }

    fn count(&self, gold: Label, predicted: Label) -> usize {
        self.confusion
            .get(gold.as_str())
            .and_then(|r| r.get(predicted.as_str()))
            .copied()
            .unwrap_or(0)
    }

    pub fn accuracy(&self) -> f64 {
        ratio(self.correct, self.items)
    }

    pub fn binary_accuracy(&self) -> f64 {
        ratio(self.bin_ok, self.bin_n)
    }

    pub fn binary_accuracy_by_sign(&self) -> f64 {
        ratio(self.bin_sign_ok, self.bin_n)
    }

    pub fn per_label(&self) -> BTreeMap<String, Prf> {
        let mut per_label = BTreeMap::new();
        for l in Label::ALL {
            let tp = self.count(l, l);
            let fp: usize = Label::ALL
                .iter()
                .filter(|o| **o != l)
                .map(|o| self.count(*o, l))
                .sum();
            let fn_: usize = Label::ALL
                .iter()
                .filter(|o| **o != l)
                .map(|o| self.count(l, *o))
                .sum();
            per_label.insert(l.as_str().to_owned(), prf(tp, fp, fn_));
        }
        per_label
    }

    /// Items of gold positive/negative/neutral only: predictions of those three count as
    /// false positives, and every miss of an item of the label (mixed included) as a miss.
    pub fn three_class_macro_f1(&self) -> f64 {
        let three = [Label::Positive, Label::Negative, Label::Neutral];
        three
            .iter()
            .map(|l| {
                let tp = self.count(*l, *l);
                let fp: usize = three
                    .iter()
                    .filter(|o| *o != l)
                    .map(|o| self.count(*o, *l))
                    .sum();
                let fn_: usize = Label::ALL
                    .iter()
                    .filter(|o| *o != l)
                    .map(|o| self.count(*l, *o))
                    .sum();
                prf(tp, fp, fn_).f1
            })
            .sum::<f64>()
            / 3.0
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Pain-point predictions against gold labels, over the twelve default categories.
#[derive(Debug, Clone, Default)]
pub struct PainTally {
    /// (true positives, false positives, false negatives) by category, in taxonomy order.
    counts: [(usize, usize, usize); DEFAULT_IDS.len()],
}

impl PainTally {
    /// Counts one item: `want[i]` is whether category `DEFAULT_IDS[i]` is labelled.
    pub fn add(&mut self, want: &[bool; DEFAULT_IDS.len()], got: impl Fn(&str) -> bool) {
        for ((id, want), (tp, fp, fn_)) in DEFAULT_IDS.iter().zip(want).zip(&mut self.counts) {
            match (*want, got(id)) {
                (true, true) => *tp += 1,
                (false, true) => *fp += 1,
                (true, false) => *fn_ += 1,
                _ => {}
            }
        }
    }

    pub fn per_category(&self) -> BTreeMap<String, Prf> {
        DEFAULT_IDS
            .iter()
            .zip(&self.counts)
            .map(|(id, (tp, fp, fn_))| ((*id).to_owned(), prf(*tp, *fp, *fn_)))
            .collect()
    }

    pub fn micro_f1(&self) -> f64 {
        let (tp, fp, fn_) = self
            .counts
            .iter()
            .fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2));
        prf(tp, fp, fn_).f1
    }
}

pub fn evaluate(analyzer: &Analyzer, gold: &[Gold]) -> Report {
    let texts: Vec<&str> = gold.iter().map(|g| g.text.as_str()).collect();
    let results = analyzer.analyze_batch(&texts, &Default::default());
    let mut tally = SentimentTally::default();
    let (mut hard_n, mut hard_ok) = (0, 0);
    let mut pains = PainTally::default();
    let mut misses = Vec::new();
    let mut groups: BTreeMap<String, SentimentTally> = BTreeMap::new();
    for (g, a) in gold.iter().zip(&results) {
        let ok = tally.add(g.sentiment, a.sentiment.label, a.sentiment.score);
        if let Some(d) = &g.domain {
            let long = if g.text.chars().count() >= LONG_CHARS {
                "length >= 200"
            } else {
                "length < 200"
            };
            for name in [format!("domain {d}"), long.to_owned()] {
                groups.entry(name).or_default().add(
                    g.sentiment,
                    a.sentiment.label,
                    a.sentiment.score,
                );
            }
        }
        if !ok {
            misses.push(g.id.clone());
        }
        if g.hard {
            hard_n += 1;
            hard_ok += ok as usize;
        }
        let want = DEFAULT_IDS.map(|id| g.pain_points.iter().any(|p| p == id));
        pains.add(&want, |id| a.pain_points.iter().any(|p| p == id));
    }
    Report {
        items: gold.len(),
        accuracy: tally.accuracy(),
        per_label: tally.per_label(),
        binary_accuracy: tally.binary_accuracy(),
        binary_accuracy_by_sign: tally.binary_accuracy_by_sign(),
        three_class_macro_f1: tally.three_class_macro_f1(),
        confusion: tally.confusion,
        pain_points: pains.per_category(),
        pain_point_micro_f1: pains.micro_f1(),
        hard_accuracy: ratio(hard_ok, hard_n),
        by_group: groups
            .into_iter()
            .map(|(name, t)| {
                let figures = GroupFigures {
                    items: t.items,
                    accuracy: t.accuracy(),
                    binary_accuracy: t.binary_accuracy(),
                    binary_accuracy_by_sign: t.binary_accuracy_by_sign(),
                };
                (name, figures)
            })
            .collect(),
        misses,
    }
}

impl Report {
    /// The report as a person reads it in a terminal.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "items: {}", self.items);
        let _ = writeln!(o, "sentiment accuracy (4 labels): {:.3}", self.accuracy);
        let _ = writeln!(
            o,
            "positive vs negative accuracy: {:.3} (by sign of score: {:.3})",
            self.binary_accuracy, self.binary_accuracy_by_sign
        );
        let _ = writeln!(
            o,
            "three-class macro-F1 (positive/negative/neutral): {:.3}",
            self.three_class_macro_f1
        );
        let _ = writeln!(o, "hard items accuracy: {:.3}", self.hard_accuracy);
        let _ = writeln!(
            o,
            "\n{:<10} {:>9} {:>9} {:>9} {:>8}",
            "label", "precision", "recall", "f1", "support"
        );
        for (l, p) in &self.per_label {
            let _ = writeln!(
                o,
                "{:<10} {:>9.3} {:>9.3} {:>9.3} {:>8}",
                l, p.precision, p.recall, p.f1, p.support
            );
        }
        let labels = ["positive", "negative", "neutral", "mixed"];
        let _ = writeln!(o, "\nconfusion (rows: gold, columns: predicted)");
        let _ = writeln!(
            o,
            "{:<10} {:>9} {:>9} {:>9} {:>9}",
            "", labels[0], labels[1], labels[2], labels[3]
        );
        for g in labels {
            let row = self.confusion.get(g);
            let cell = |p: &str| row.and_then(|r| r.get(p)).copied().unwrap_or(0);
            let _ = writeln!(
                o,
                "{:<10} {:>9} {:>9} {:>9} {:>9}",
                g,
                cell(labels[0]),
                cell(labels[1]),
                cell(labels[2]),
                cell(labels[3])
            );
        }
        if !self.by_group.is_empty() {
            let _ = writeln!(
                o,
                "\n{:<26} {:>6} {:>9} {:>12} {:>9}",
                "group", "items", "accuracy", "pos/neg", "by sign"
            );
            for (name, f) in &self.by_group {
                let _ = writeln!(
                    o,
                    "{:<26} {:>6} {:>9.3} {:>12.3} {:>9.3}",
                    name, f.items, f.accuracy, f.binary_accuracy, f.binary_accuracy_by_sign
                );
            }
        }
        let _ = writeln!(o, "\npain points: micro-F1 {:.3}", self.pain_point_micro_f1);
        let _ = writeln!(
            o,
            "{:<18} {:>9} {:>9} {:>9} {:>8}",
            "category", "precision", "recall", "f1", "support"
        );
        for (id, p) in &self.pain_points {
            let _ = writeln!(
                o,
                "{:<18} {:>9.3} {:>9.3} {:>9.3} {:>8}",
                id, p.precision, p.recall, p.f1, p.support
            );
        }
        o
    }
}

/// One line of a labelled keyword set (`corpus/keywords/keywords.jsonl`): a text and the
/// keywords a person would pick for it, with the workspace's brand names when it has any.
#[derive(Debug, Clone, Deserialize)]
pub struct KeywordGold {
    pub id: String,
    pub text: String,
    pub keywords: Vec<String>,
    #[serde(default)]
    pub brands: Vec<String>,
}

/// How many of the reported keywords are measured.
pub const KEYWORDS_MEASURED: usize = 3;

#[derive(Debug, Clone, Serialize)]
pub struct KeywordReport {
    pub items: usize,
    /// Of the first three keywords reported (fewer when fewer were), the share a person
    /// would pick.
    pub top3_precision: f64,
    pub reported: usize,
    pub right: usize,
    /// Items with at least one keyword reported.
    pub covered: usize,
    /// Items whose first keyword is right.
    pub first_right: usize,
    /// The keywords reported that were not among the expected ones, by item.
    pub wrong: Vec<(String, Vec<String>)>,
}

/// A reported keyword is right when it equals an expected one, or when one holds the
/// other and both have at least two characters (加载 for 加载慢, 验证码收不到 for 验证码).
pub fn keyword_matches(reported: &str, expected: &str) -> bool {
    let long_enough = |s: &str| s.chars().count() >= 2;
    reported == expected
        || (long_enough(reported)
            && long_enough(expected)
            && (reported.contains(expected) || expected.contains(reported)))
}

pub fn evaluate_keywords(analyzer: &Analyzer, gold: &[KeywordGold]) -> KeywordReport {
    let mut report = KeywordReport {
        items: gold.len(),
        top3_precision: 0.0,
        reported: 0,
        right: 0,
        covered: 0,
        first_right: 0,
        wrong: Vec::new(),
    };
    for g in gold {
        let ctx = super::WorkspaceContext {
            brands: g
                .brands
                .iter()
                .map(|b| super::normalize::normalize(b).text)
                .collect(),
            ..Default::default()
        };
        let expected: Vec<String> = g
            .keywords
            .iter()
            .map(|k| super::normalize::normalize(k).text)
            .collect();
        let a = analyzer.analyze_with(&g.text, &ctx);
        let top: Vec<&str> = a
            .keywords
            .iter()
            .take(KEYWORDS_MEASURED)
            .map(|k| k.word.as_str())
            .collect();
        let right = |w: &str| expected.iter().any(|e| keyword_matches(w, e));
        report.covered += !top.is_empty() as usize;
        report.first_right += top.first().is_some_and(|w| right(w)) as usize;
        report.reported += top.len();
        let wrong: Vec<String> = top
            .iter()
            .filter(|w| !right(w))
            .map(|w| (*w).to_owned())
            .collect();
        report.right += top.len() - wrong.len();
        if !wrong.is_empty() {
            report.wrong.push((g.id.clone(), wrong));
        }
    }
    report.top3_precision = ratio(report.right, report.reported);
    report
}

impl KeywordReport {
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "items: {}", self.items);
        let _ = writeln!(
            o,
            "top-3 keyword precision: {:.3} ({} of {} reported)",
            self.top3_precision, self.right, self.reported
        );
        let _ = writeln!(
            o,
            "items with a keyword: {}; first keyword right: {}",
            self.covered, self.first_right
        );
        let _ = writeln!(o, "\nwrong keywords (id: words)");
        for (id, words) in &self.wrong {
            let _ = writeln!(o, "{id}: {}", words.join(" "));
        }
        o
    }
}
