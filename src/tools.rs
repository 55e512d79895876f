//! Command-line tools around the analysis engine: `analyze` (JSON lines in and out, no
//! database), `eval` (scores against a labelled set), `train sentiment` (fits the shipped
//! model) and `bench` (throughput against a bare jieba cut, in the same run).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::analysis::eval::{evaluate, Gold, SentimentTally};
use crate::analysis::model::{inverse_document_frequency, Model};
use crate::analysis::sentiment::Params;
use crate::analysis::stack::{self, Fit};
use crate::analysis::{normalize, Analysis, Analyzer, Label};

/// The JSON an analysis is reported as, by the CLI and the API alike.
pub fn analysis_json(id: &Value, a: &Analysis) -> Value {
    json!({
        "id": id,
        "sentiment": {"label": a.sentiment.label, "score": round3(a.sentiment.score), "confidence": round3(a.sentiment.confidence)},
        "pain_points": a.pain_points,
        "keywords": a.keywords,
        "aspects": a.aspects,
        "topics": a.topics,
        "language": a.language,
        "version": a.version,
    })
}

/// Three decimals, as f64 so that JSON shows 0.873 rather than 0.8730000257492065.
fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

/// `tingjian analyze`: reads `{"id", "text"}` lines, writes one result line per input line,
/// in order. A line that cannot be read gets `{"id": …, "error": …}` and the rest go on.
pub fn analyze_stdin(analyzer: &Analyzer, with_tokens: bool) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut batch: Vec<String> = Vec::new();
    let flush = |batch: &mut Vec<String>, out: &mut dyn Write| -> anyhow::Result<()> {
        let parsed: Vec<Result<(Value, String), (Value, String)>> = batch
            .iter()
            .map(|line| {
                let v: Value = serde_json::from_str(line)
                    .map_err(|e| (Value::Null, format!("invalid JSON: {e}")))?;
                let id = v.get("id").cloned().unwrap_or(Value::Null);
                match v.get("text").and_then(Value::as_str) {
                    Some(t) => Ok((id, t.to_owned())),
                    None => Err((id, "missing string field `text`".to_owned())),
                }
            })
            .collect();
        let texts: Vec<&str> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok().map(|(_, t)| t.as_str()))
            .collect();
        let mut results = analyzer
            .analyze_batch(&texts, &Default::default())
            .into_iter();
        for p in &parsed {
            let line = match p {
                Ok((id, _)) => match results.next() {
                    Some(a) if with_tokens => {
                        let mut v = analysis_json(id, &a);
                        v["tokens"] = json!(analyzer.cut_only(&a.normalized));
                        v["normalized"] = json!(a.normalized);
                        v
                    }
                    Some(a) => analysis_json(id, &a),
                    None => json!({"id": id, "error": "internal: result missing"}),
                },
                Err((id, e)) => json!({"id": id, "error": e}),
            };
            writeln!(out, "{line}")?;
        }
        batch.clear();
        Ok(())
    };
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        batch.push(line);
        if batch.len() >= 2000 {
            flush(&mut batch, &mut out)?;
        }
    }
    flush(&mut batch, &mut out)?;
    out.flush()?;
    Ok(())
}

pub fn read_gold(path: &Path) -> anyhow::Result<Vec<Gold>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// `tingjian eval FILE`
pub fn eval(analyzer: &Analyzer, path: &Path, as_json: bool) -> anyhow::Result<()> {
    let gold = read_gold(path)?;
    let report = evaluate(analyzer, &gold);
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}

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
    pub out: PathBuf,
}

/// `tingjian train sentiment`: IDF from every text, and the last stage of sentiment (a
/// logistic regression over the rules' evidence and the words) fitted on the labelled texts.
pub fn train_sentiment(args: &TrainArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut docs: Vec<Labelled> = Vec::new();
    for p in &args.data {
        docs.extend(read_labelled(p)?);
    }
    let labelled = docs.len();
    for p in &args.pos {
        docs.extend(read_lines(p, Label::Positive)?);
    }
    for p in &args.neg {
        docs.extend(read_lines(p, Label::Negative)?);
    }
    anyhow::ensure!(
        !docs.is_empty(),
        "no training data: give --data, --pos or --neg"
    );
    let bare = Analyzer::with_model(Model {
        unseen_idf: 8.0,
        ..Default::default()
    });
    let all_tokens: Vec<Vec<String>> = docs.iter().map(|d| bare.tokens(&d.text, None)).collect();
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
    if let Some(folds) = args.cv {
        let folds = folds.clamp(2, labelled.max(2));
        cross_validate(&examples[..labelled], &examples[labelled..], folds);
        return Ok(());
    }
    model.params.mixed_margin = choose_mixed_margin(&examples[..labelled], &examples[labelled..]);
    eprintln!(
        "mixed margin chosen on held-out folds: {}",
        model.params.mixed_margin
    );
    let all: Vec<&Example> = examples.iter().collect();
    model.stack_rows = stack::fit_sentiment(&sentiment_set(&all), Fit::default());
    model.provenance = vec![
        "Tingjian sentiment model: IDF (i), and the weights (s: positive, negative, neutral, mixed) of the last stage of sentiment, a logistic regression over the rules' evidence and the words.".into(),
        format!(
            "Trained {} from {} texts ({} weights, {} IDF entries) by:",
            chrono::Utc::now().format("%Y-%m-%d"),
            docs.len(),
            model.stack_rows.len(),
            model.idf.len()
        ),
        format!("tingjian train sentiment {}", describe(args)),
        "Sources and licences are listed in docs/analysis.md.".into(),
    ];
    std::fs::write(&args.out, model.to_tsv())?;
    eprintln!(
        "wrote {} in {:.1}s",
        args.out.display(),
        started.elapsed().as_secs_f32()
    );
    Ok(())
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
/// alone against the fitted last stage, under a few fitting settings. `extra` texts (plain
/// positive/negative lines) are only ever trained on.
fn cross_validate(labelled: &[Example], extra: &[Example], folds: usize) {
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
        let logits = out_of_fold(labelled, extra, folds, fit);
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
fn out_of_fold(
    labelled: &[Example],
    extra: &[Example],
    folds: usize,
    fit: Fit,
) -> Vec<[f32; stack::CLASSES]> {
    let mut logits = vec![[0.0; stack::CLASSES]; labelled.len()];
    for k in 0..folds {
        let train: Vec<&Example> = labelled
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != k)
            .map(|(_, e)| e)
            .chain(extra)
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
fn choose_mixed_margin(labelled: &[Example], extra: &[Example]) -> f32 {
    let logits = out_of_fold(labelled, extra, 5, Fit::default());
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
    parts.join(" ")
}

/// `tingjian explain TEXT`: the rules' label, the last stage's probabilities, and the
/// features that pushed hardest towards or away from the label it chose.
pub fn explain(analyzer: &Analyzer, text: &str) -> String {
    use std::fmt::Write as _;
    let normalized = normalize::normalize(text).text;
    let tokens = analyzer.normalize_and_cut(&normalized);
    let (ruled, features) = analyzer.training_features(&normalized, &tokens);
    let stacker = &analyzer.model().stacker;
    let mut out = String::new();
    let _ = writeln!(out, "text:       {normalized}");
    let _ = writeln!(out, "tokens:     {}", tokens.join(" | "));
    let _ = writeln!(out, "rules:      {}", ruled.as_str());
    if stacker.is_empty() {
        let _ = writeln!(out, "(the model has no last stage: the rules decide)");
        return out;
    }
    let logits = stacker.logits(&features);
    let s = stack::Stacker::decide(logits, analyzer.model().params.mixed_margin);
    let p = stack::softmax(logits);
    let _ = writeln!(
        out,
        "last stage: {} (score {:.3}); p(positive, negative, neutral, mixed) = {:.3}, {:.3}, {:.3}, {:.3}",
        s.label.as_str(),
        s.score,
        p[0],
        p[1],
        p[2],
        p[3]
    );
    let chosen = Label::ALL.iter().position(|l| *l == s.label).unwrap_or(0);
    let mut rows: Vec<(f32, String, [f32; stack::CLASSES])> = features
        .values
        .iter()
        .zip(&features.names)
        .filter_map(|((key, v), name)| {
            let w = stacker.weight(*key)?;
            let c = w.map(|x| x * v);
            // How much the feature favours the chosen label over the mean of the others.
            let lead = c[chosen] - (c.iter().sum::<f32>() - c[chosen]) / 3.0;
            Some((lead, name.clone(), c))
        })
        .collect();
    rows.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    let _ = writeln!(
        out,
        "{:<28} {:>9} {:>9} {:>9} {:>9}",
        "feature", "positive", "negative", "neutral", "mixed"
    );
    for (_, name, c) in rows.iter().take(25) {
        let _ = writeln!(
            out,
            "{name:<28} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            c[0], c[1], c[2], c[3]
        );
    }
    out
}

/// A named measurement of `tingjian bench`: what it does to one text.
type Measurement<'a> = (&'static str, &'a dyn Fn(&str) -> usize);

/// `tingjian bench`: one core, end-to-end `analyze` against a bare jieba cut of the same
/// text in the same run; start-up time and resident memory. Each measurement runs in `runs`
/// slices taken in turn (cut, normalise, normalise and cut, analyse, cut, …), so a slow
/// moment of a shared machine falls on all of them alike; the figures are medians over the
/// slices, and the ratio is the median of each slice's ratio to the cut beside it.
pub fn bench(files: &[PathBuf], seconds: f64, runs: usize) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let analyzer = Analyzer::new();
    let startup = t0.elapsed();
    let mut texts: Vec<String> = Vec::new();
    for f in files {
        let content = std::fs::read_to_string(f)?;
        for line in content.lines() {
            match serde_json::from_str::<Value>(line)
                .ok()
                .and_then(|v| v.get("text").and_then(Value::as_str).map(str::to_owned))
            {
                Some(t) => texts.push(t),
                None if !line.trim().is_empty() && !line.starts_with('{') => {
                    texts.push(line.to_owned())
                }
                None => {}
            }
        }
    }
    anyhow::ensure!(!texts.is_empty(), "no texts to run on");
    let runs = runs.max(1);
    let slice = seconds / runs as f64;
    let bytes: usize = texts.iter().map(String::len).sum();
    // MB/s and items/s of one slice.
    let run = |f: &dyn Fn(&str) -> usize| -> (f64, f64) {
        let start = Instant::now();
        let mut rounds = 0usize;
        let mut sink = 0usize;
        while start.elapsed().as_secs_f64() < slice || rounds == 0 {
            for t in &texts {
                sink = sink.wrapping_add(f(t));
            }
            rounds += 1;
        }
        std::hint::black_box(sink);
        let secs = start.elapsed().as_secs_f64();
        (
            (bytes * rounds) as f64 / secs / 1e6,
            (texts.len() * rounds) as f64 / secs,
        )
    };
    let measurements: [Measurement; 4] = [
        ("bare jieba cut (baseline)", &|t| analyzer.cut_only(t).len()),
        ("normalise only", &|t| normalize::normalize(t).text.len()),
        ("normalise and cut", &|t| {
            analyzer.cut_only(&normalize::normalize(t).text).len()
        }),
        ("end-to-end analyze", &|t| {
            analyzer.analyze(t).keywords.len()
        }),
    ];
    let mut slices: Vec<Vec<(f64, f64)>> = vec![Vec::new(); measurements.len()];
    for _ in 0..runs {
        for (m, (_, f)) in measurements.iter().enumerate() {
            slices[m].push(run(*f));
        }
    }
    let median = |mut v: Vec<f64>| -> f64 {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    println!(
        "texts: {} ({:.2} MB), {seconds}s per measurement in {runs} slices, one core",
        texts.len(),
        bytes as f64 / 1e6
    );
    println!("Analyzer::new(): {:.0} ms", startup.as_secs_f64() * 1000.0);
    for (m, (name, _)) in measurements.iter().enumerate() {
        let mb: Vec<f64> = slices[m].iter().map(|s| s.0).collect();
        let (lo, hi) = mb
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), x| (l.min(*x), h.max(*x)));
        let items = median(slices[m].iter().map(|s| s.1).collect());
        print!(
            "{:<27}{:>7.2} MB/s ({lo:.2}–{hi:.2}), {items:>8.0} items/s",
            format!("{name}:"),
            median(mb)
        );
        if m > 0 {
            let ratios = slices[m].iter().zip(&slices[0]).map(|(a, c)| a.0 / c.0);
            print!(", {:.3}x of the bare cut", median(ratios.collect()));
        }
        println!();
    }
    if let Some(rss) = resident_mb() {
        println!("resident memory: {rss:.0} MB");
    }
    Ok(())
}

fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `tingjian reanalyze`: brings stored analyses up to the current engine, page by page, each
/// page in one transaction, with a progress bar on stderr.
pub async fn reanalyze(
    store: &crate::store::Store,
    workspace: Option<String>,
    all: bool,
) -> anyhow::Result<()> {
    use crate::analysis::ANALYZER_VERSION;
    const PAGE: u64 = 500;
    let analyzer = std::sync::Arc::new(tokio::task::spawn_blocking(Analyzer::new).await?);
    let pipeline = crate::ingest::Pipeline::new(analyzer.clone());
    let workspaces = match workspace {
        Some(ws) => {
            anyhow::ensure!(store.workspace(&ws).await?.is_some(), "no workspace {ws}");
            vec![ws]
        }
        None => store.workspace_ids().await?,
    };
    let mut total = 0;
    for ws in &workspaces {
        total += store.stale_count(ws, ANALYZER_VERSION, all).await?;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} items, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    for ws in &workspaces {
        let profile = pipeline.profile(store, ws).await?;
        let mut after: Option<String> = None;
        loop {
            let page = store
                .stale_items(ws, ANALYZER_VERSION, all, after.as_deref(), PAGE)
                .await?;
            let Some(last) = page.last().map(|i| i.id.clone()) else {
                break;
            };
            let (analyzer, profile) = (analyzer.clone(), profile.clone());
            let done = tokio::task::spawn_blocking(move || {
                let texts: Vec<&str> = page.iter().map(|i| i.text.as_str()).collect();
                let analyses = analyzer.analyze_batch(&texts, &profile.context);
                page.into_iter()
                    .zip(analyses.iter().map(crate::ingest::stored_analysis))
                    .collect::<Vec<_>>()
            })
            .await?;
            store.save_analyses(ws, &done).await?;
            bar.inc(done.len() as u64);
            after = Some(last);
        }
    }
    bar.finish();
    eprintln!(
        "re-analysed {} items with engine {ANALYZER_VERSION}",
        bar.position()
    );
    Ok(())
}

/// `tingjian bench-digest`: seeds a workspace with `items` synthetic analysed items, then
/// times building its digest for the last complete week against a baseline in the same run
/// (counting the workspace's items), and prints the medians.
pub async fn bench_digest(
    store: &crate::store::Store,
    items: u64,
    runs: usize,
    workspace: Option<String>,
) -> anyhow::Result<()> {
    use crate::insight::period::Granularity;
    let now = chrono::Utc::now();
    let ws = match workspace {
        Some(id) => store
            .workspace(&id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no workspace {id}"))?,
        None => {
            let ws = store
                .create_workspace("bench-digest", "Asia/Shanghai")
                .await?;
            let started = Instant::now();
            store.seed_synthetic(&ws.id, items, now).await?;
            eprintln!(
                "seeded {items} items in {:.1} s (workspace {})",
                started.elapsed().as_secs_f64(),
                ws.id
            );
            ws
        }
    };
    let analyzer = Analyzer::new();
    let period =
        crate::tell::build::last_complete_period(now, chrono_tz::Asia::Shanghai, Granularity::Week);
    let (mut digest_ms, mut count_ms) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let n = store.feedback_count(&ws.id).await?;
        count_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(n == items, "expected {items} items, found {n}");
        let t = Instant::now();
        let digest =
            crate::tell::build::build_digest(store, &analyzer, "http://localhost", &ws.id, &period)
                .await?;
        digest_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(
            !digest.pain_points.is_empty(),
            "the digest found no pain points"
        );
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (d, c) = (median(&mut digest_ms), median(&mut count_ms));
    println!(
        "{}",
        json!({
            "backend": format!("{:?}", store.backend()),
            "items": items,
            "period": period,
            "runs": runs,
            "digest_ms_median": (d * 10.0).round() / 10.0,
            "count_ms_median": (c * 10.0).round() / 10.0,
            "digest_over_count": ((d / c) * 100.0).round() / 100.0,
            "digest_ms_all": digest_ms,
        })
    );
    Ok(())
}
