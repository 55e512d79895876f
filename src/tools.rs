//! Command-line tools around the analysis engine: `analyze` (JSON lines in and out, no
//! database), `eval` (scores against a labelled set), `train sentiment` (fits the shipped
//! model) and `bench` (throughput against a bare jieba cut, in the same run).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::analysis::eval::{evaluate, Gold};
use crate::analysis::model::{inverse_document_frequency, word_weights, Model};
use crate::analysis::sentiment::Params;
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

#[derive(Deserialize)]
struct LabelledLine {
    text: String,
    sentiment: Label,
}

fn read_labelled(path: &Path) -> anyhow::Result<Vec<(String, Label)>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<LabelledLine>(l)
                .map(|x| (x.text, x.sentiment))
                .map_err(Into::into)
        })
        .collect()
}

fn read_lines(path: &Path, label: Label) -> anyhow::Result<Vec<(String, Label)>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| (l.to_owned(), label))
        .collect())
}

pub struct TrainArgs {
    pub data: Vec<PathBuf>,
    pub pos: Vec<PathBuf>,
    pub neg: Vec<PathBuf>,
    pub tune: Vec<PathBuf>,
    pub out: PathBuf,
}

/// `tingjian train sentiment`: word weights from every labelled text, IDF from all of them,
/// and the thresholds searched on the tuning set (by default the JSON-lines data).
pub fn train_sentiment(args: &TrainArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut docs: Vec<(String, Label)> = Vec::new();
    // Without a --tune file, every third labelled line is held out of the word weights and
    // used to tune the thresholds instead: thresholds tuned on the texts the weights were
    // learned from would be far too eager.
    let mut held_out: Vec<(String, Label)> = Vec::new();
    for p in &args.data {
        for (i, doc) in read_labelled(p)?.into_iter().enumerate() {
            if args.tune.is_empty() && i % 3 == 2 {
                held_out.push(doc);
            } else {
                docs.push(doc);
            }
        }
    }
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
    let cut: Vec<(Vec<String>, Label)> = docs
        .iter()
        .map(|(t, l)| (bare.tokens(t, None), *l))
        .collect();
    // Function words and punctuation carry no sentiment of their own, whatever a corpus says.
    let lexicon = bare.lexicon();
    let skip = |t: &str| lexicon.stopwords.contains(t) || !t.chars().any(|c| c.is_alphabetic());
    let weights = word_weights(&cut, 5, &skip);
    let all_tokens: Vec<Vec<String>> = cut.iter().map(|(t, _)| t.clone()).collect();
    let (idf, unseen_idf) = inverse_document_frequency(&all_tokens);
    let mut model = Model {
        weights,
        idf,
        unseen_idf,
        params: Params::default(),
        provenance: Vec::new(),
    };

    let mut tune = held_out;
    for p in &args.tune {
        tune.extend(read_labelled(p)?);
    }
    if !tune.is_empty() {
        let analyzer = Analyzer::with_model(model.clone());
        let prepared: Vec<(String, Label)> = tune
            .iter()
            .map(|(t, l)| (normalize::normalize(t).text, *l))
            .collect();
        let cut: Vec<(Vec<&str>, Label)> = prepared
            .iter()
            .map(|(t, l)| (analyzer.normalize_and_cut(t), *l))
            .collect();
        let mut best = (f64::MIN, Params::default());
        // A coarse grid: the thresholds interact, and the held-out items tune them in seconds.
        for model_scale in [0.0, 0.25, 0.35, 0.5, 0.7] {
            for positive_at in [0.3, 0.5, 0.7, 0.9, 1.2] {
                for negative_at in [0.3, 0.5, 0.7, 0.9, 1.2] {
                    for mixed_at in [0.5, 0.8, 1.1, 1.5, 2.0] {
                        {
                            let params = Params {
                                model_scale,
                                positive_at,
                                negative_at,
                                mixed_at,
                            };
                            let pairs: Vec<(Label, Label)> = prepared
                                .iter()
                                .zip(&cut)
                                .map(|((text, gold), (tokens, _))| {
                                    (*gold, analyzer.sentiment_with(text, tokens, params).label)
                                })
                                .collect();
                            let score = objective(&pairs);
                            if score > best.0 {
                                best = (score, params);
                            }
                        }
                    }
                }
            }
        }
        model.params = best.1;
        eprintln!(
            "thresholds tuned on {} items: objective {:.3} with {:?}",
            tune.len(),
            best.0,
            best.1
        );
    }
    model.provenance = vec![
        "Tingjian sentiment model: word weights (smoothed log-ratio of document frequency in positive vs negative texts), IDF, thresholds.".into(),
        format!("Trained {} from {} texts ({} word weights, {} IDF entries) by:", chrono::Utc::now().format("%Y-%m-%d"), docs.len(), model.weights.len(), model.idf.len()),
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

fn describe(args: &TrainArgs) -> String {
    let name = |p: &PathBuf| {
        p.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    };
    let mut parts = Vec::new();
    parts.extend(args.data.iter().map(|p| format!("--data {}", name(p))));
    parts.extend(args.pos.iter().map(|p| format!("--pos {}", name(p))));
    parts.extend(args.neg.iter().map(|p| format!("--neg {}", name(p))));
    parts.extend(args.tune.iter().map(|p| format!("--tune {}", name(p))));
    parts.join(" ")
}

/// What the thresholds are tuned for: the measures the product is judged by (positive vs
/// negative accuracy, three-class macro-F1), with the four-label macro-F1 so that mixed
/// is still found.
fn objective(pairs: &[(Label, Label)]) -> f64 {
    let polar: Vec<&(Label, Label)> = pairs
        .iter()
        .filter(|(g, _)| matches!(g, Label::Positive | Label::Negative))
        .collect();
    let binary = polar.iter().filter(|(g, p)| g == p).count() as f64 / polar.len().max(1) as f64;
    let three: Vec<(Label, Label)> = pairs
        .iter()
        .copied()
        .filter(|(g, _)| *g != Label::Mixed)
        .collect();
    0.4 * binary
        + 0.4 * macro_f1(three.iter().copied()) * 4.0 / 3.0
        + 0.2 * macro_f1(pairs.iter().copied())
}

fn macro_f1(pairs: impl Iterator<Item = (Label, Label)>) -> f64 {
    let mut tp = [0usize; 4];
    let mut fp = [0usize; 4];
    let mut fn_ = [0usize; 4];
    let idx = |l: Label| Label::ALL.iter().position(|x| *x == l).unwrap_or(0);
    for (gold, pred) in pairs {
        if gold == pred {
            tp[idx(gold)] += 1;
        } else {
            fp[idx(pred)] += 1;
            fn_[idx(gold)] += 1;
        }
    }
    (0..4)
        .map(|i| {
            let p = if tp[i] + fp[i] == 0 {
                0.0
            } else {
                tp[i] as f64 / (tp[i] + fp[i]) as f64
            };
            let r = if tp[i] + fn_[i] == 0 {
                0.0
            } else {
                tp[i] as f64 / (tp[i] + fn_[i]) as f64
            };
            if p + r == 0.0 {
                0.0
            } else {
                2.0 * p * r / (p + r)
            }
        })
        .sum::<f64>()
        / 4.0
}

/// `tingjian bench`: one core, end-to-end `analyze` against a bare jieba cut of the same
/// text in the same run; start-up time and resident memory.
pub fn bench(files: &[PathBuf], seconds: f64) -> anyhow::Result<()> {
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
    let bytes: usize = texts.iter().map(String::len).sum();
    let run = |f: &dyn Fn(&str) -> usize| -> (f64, f64) {
        let start = Instant::now();
        let mut rounds = 0usize;
        let mut sink = 0usize;
        while start.elapsed().as_secs_f64() < seconds || rounds == 0 {
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
    let (cut_mb, cut_items) = run(&|t| analyzer.cut_only(t).len());
    let (norm_mb, _) = run(&|t| normalize::normalize(t).text.len());
    let (norm_cut_mb, _) = run(&|t| analyzer.cut_only(&normalize::normalize(t).text).len());
    let (an_mb, an_items) = run(&|t| analyzer.analyze(t).keywords.len());
    println!(
        "texts: {} ({:.2} MB), {seconds}s per measurement, one core",
        texts.len(),
        bytes as f64 / 1e6
    );
    println!("Analyzer::new(): {:.0} ms", startup.as_secs_f64() * 1000.0);
    println!("bare jieba cut (baseline): {cut_mb:.2} MB/s, {cut_items:.0} items/s");
    println!("normalise only:            {norm_mb:.2} MB/s");
    println!("normalise and cut:         {norm_cut_mb:.2} MB/s");
    println!("end-to-end analyze:        {an_mb:.2} MB/s, {an_items:.0} items/s ({:.2}x of the bare cut)", an_mb / cut_mb);
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
