//! The engine commands: `analyze` (JSON lines in and out, no database), `eval` (scores
//! against a labelled set), `explain` (why a text got its label) and `bench` (throughput
//! against a bare jieba cut, in the same run).

use std::borrow::Cow;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::value::RawValue;
use serde_json::Value;

use crate::analysis::eval::{evaluate, evaluate_keywords, Gold, KeywordGold};
use crate::analysis::stack;
use crate::analysis::{normalize, Analyzer, Label};
use crate::ingest::AnalysisJson;

/// One input line of `tingjian analyze`, borrowed from the line: the text is copied only
/// when it holds escapes, and the id (any JSON value) is written back as it was sent.
#[derive(serde::Deserialize)]
struct Input<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    text: Cow<'a, str>,
}

/// The id of a line that is not a valid [`Input`], when it has one.
#[derive(serde::Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
}

/// The result line of a line that could not be read.
#[derive(serde::Serialize)]
struct Failed<'a> {
    error: &'a str,
    id: Option<&'a RawValue>,
}

/// Bytes of input read and analysed together (on all cores, in order): a few thousand lines.
const BLOCK: usize = 1 << 19;

/// `tingjian analyze`: reads `{"id", "text"}` lines, writes one result line per input line,
/// in order. A line that cannot be read (not JSON, no text, not UTF-8) gets
/// `{"error": …, "id": …}` and the rest go on. The input is read in blocks of whole lines into
/// one reused buffer, each line parsed in place, and each block's result lines written out
/// with one call.
pub(super) fn analyze_stdin(analyzer: &Analyzer, with_tokens: bool) -> anyhow::Result<()> {
    let mut input = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let mut buf: Vec<u8> = Vec::with_capacity(2 * BLOCK);
    let mut out: Vec<u8> = Vec::with_capacity(4 * BLOCK);
    let mut lines: Vec<std::ops::Range<usize>> = Vec::new();
    let mut want = BLOCK;
    loop {
        // Fill the buffer to `want` bytes or the end of the input.
        let mut ended = false;
        while buf.len() < want {
            let at = buf.len();
            buf.resize(want, 0);
            let n = loop {
                match input.read(&mut buf[at..]) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    read => break read?,
                }
            };
            buf.truncate(at + n);
            if n == 0 {
                ended = true;
                break;
            }
        }
        // Its whole lines; a line longer than the buffer is read on to its end.
        let whole = match memchr::memrchr(b'\n', &buf) {
            _ if ended => buf.len(),
            Some(last) => last + 1,
            None => {
                want = buf.len() + BLOCK;
                continue;
            }
        };
        want = BLOCK.max(buf.len() - whole + BLOCK / 2);
        lines.clear();
        let mut start = 0;
        // Each line ends at its newline; the input's last may have none.
        let ends = memchr::memchr_iter(b'\n', &buf[..whole])
            .chain((whole > 0 && buf[whole - 1] != b'\n').then_some(whole));
        for end in ends {
            let mut line = start..end;
            if buf[line.clone()].ends_with(b"\r") {
                line.end -= 1;
            }
            if !blank(&buf[line.clone()]) {
                lines.push(line);
            }
            start = end + 1;
        }
        out.clear();
        let block = Block::new(&buf[..whole]);
        analyze_lines(analyzer, &block, &lines, with_tokens, &mut out)?;
        stdout.write_all(&out)?;
        if ended {
            break;
        }
        buf.drain(..whole);
    }
    stdout.flush()?;
    Ok(())
}

/// A line of nothing but whitespace (skipped, as before: no result line for it).
fn blank(line: &[u8]) -> bool {
    match line.first() {
        None => true,
        Some(b) if b.is_ascii() && !b.is_ascii_whitespace() => false,
        Some(_) => std::str::from_utf8(line).is_ok_and(|l| l.trim().is_empty()),
    }
}

/// A block of whole lines, checked as UTF-8 at once (with SIMD); only a block that fails is
/// checked line by line, so that one bad line does not cost the others.
struct Block<'a> {
    bytes: &'a [u8],
    text: Option<&'a str>,
}

impl<'a> Block<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let text = simdutf8::basic::from_utf8(bytes).ok();
        Block { bytes, text }
    }

    /// A line of the block (its range ends before a newline or CR), or `None` if not UTF-8.
    fn line(&self, r: std::ops::Range<usize>) -> Option<&'a str> {
        match self.text {
            // Both ends sit next to ASCII bytes, so on character boundaries.
            Some(text) => text.get(r),
            None => simdutf8::basic::from_utf8(&self.bytes[r]).ok(),
        }
    }
}

/// Analyses one block's lines and appends their result lines to `out`.
fn analyze_lines(
    analyzer: &Analyzer,
    block: &Block,
    lines: &[std::ops::Range<usize>],
    with_tokens: bool,
    out: &mut Vec<u8>,
) -> anyhow::Result<()> {
    // On one core each line is analysed and written before the next is read: the analysis
    // just made is still in the cache when it is serialised, and nothing is held.
    if crate::analysis::cores() == 1 {
        write_lines(analyzer, block, lines, with_tokens, out);
        return Ok(());
    }
    // On more cores, each core does the same with a part of the block, into a buffer of its
    // own; the parts are written out in order.
    let parts = crate::analysis::in_parts(lines, |part| {
        let mut out = Vec::with_capacity(part.len() * 448);
        write_lines(analyzer, block, part, with_tokens, &mut out);
        out
    });
    for part in parts {
        out.extend_from_slice(&part);
    }
    Ok(())
}

/// Each line of `lines` read, analysed and its result line written, one after the other.
fn write_lines(
    analyzer: &Analyzer,
    block: &Block,
    lines: &[std::ops::Range<usize>],
    with_tokens: bool,
    out: &mut Vec<u8>,
) {
    for r in lines {
        match block.line(r.clone()) {
            Some(line) => match serde_json::from_str::<Input>(line) {
                Ok(input) => {
                    let a = analyzer.analyze(&input.text);
                    let mut row = AnalysisJson::new(input.id, &a);
                    if with_tokens {
                        row.tokens = Some(analyzer.cut_only(&a.normalized));
                        row.normalized = Some(&a.normalized);
                    }
                    row.write_to(out);
                }
                Err(e) => write_failure(line, &e.to_string(), out),
            },
            None => write_error("the line is not UTF-8", None, out),
        }
        out.push(b'\n');
    }
}

/// The result line of a line that could not be read, without its newline.
fn write_failure(line: &str, e: &str, out: &mut Vec<u8>) {
    // Which went wrong: the line is no JSON object, or its text is no string.
    match serde_json::from_str::<IdOnly>(line) {
        Ok(only) => write_error("missing string field `text`", only.id, out),
        Err(_) => write_error(&format!("invalid JSON: {e}"), None, out),
    }
}

/// `{"error": …, "id": …}`, without its newline. Writing to a `Vec` cannot fail.
fn write_error(error: &str, id: Option<&RawValue>, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(out, &Failed { error, id });
}

pub(super) fn read_gold(path: &Path) -> anyhow::Result<Vec<Gold>> {
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

/// A labelled keyword set has `keywords` and no `sentiment` on its lines.
fn is_keyword_set(path: &Path) -> anyhow::Result<bool> {
    #[derive(serde::Deserialize)]
    struct Probe {
        sentiment: Option<serde::de::IgnoredAny>,
        keywords: Option<serde::de::IgnoredAny>,
    }
    let text = std::fs::read_to_string(path)?;
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("{}");
    let probe: Probe =
        serde_json::from_str(first).map_err(|e| anyhow::anyhow!("{}:1: {e}", path.display()))?;
    Ok(probe.sentiment.is_none() && probe.keywords.is_some())
}

/// `tingjian eval FILE`: a sentiment and pain-point set, or a keyword set.
pub(super) fn eval(analyzer: &Analyzer, path: &Path, as_json: bool) -> anyhow::Result<()> {
    if is_keyword_set(path)? {
        let text = std::fs::read_to_string(path)?;
        let gold: Vec<KeywordGold> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))
            })
            .collect::<anyhow::Result<_>>()?;
        let report = evaluate_keywords(analyzer, &gold);
        if as_json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", report.to_text());
        }
        return Ok(());
    }
    let gold = read_gold(path)?;
    let report = evaluate(analyzer, &gold);
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}

/// `tingjian explain TEXT`: the rules' label, the last stage's probabilities, and the
/// features that pushed hardest towards or away from the label it chose.
pub(super) fn explain(analyzer: &Analyzer, text: &str) -> String {
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
    let sums = stacker.sums(&features);
    let logits = stack::label_sums(&sums);
    let s = stacker.judge(&sums, analyzer.model().params.mixed_margin);
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
    let _ = writeln!(
        out,
        "review view: reads as a review {:.3}, leans {:.3} (positive above 0)",
        stack::review_likeness(&sums),
        sums[stack::CLASSES]
    );
    let chosen = Label::ALL.iter().position(|l| *l == s.label).unwrap_or(0);
    let mut rows: Vec<(f32, String, [f32; stack::CLASSES])> = features
        .values
        .iter()
        .zip(&features.names)
        .filter_map(|((key, v), name)| {
            let w = stacker.weight(*key)?;
            let c: [f32; stack::CLASSES] = std::array::from_fn(|i| w[i] * v);
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
/// Each gets the index of a text (so that it can read the text or its JSON line).
type Measurement<'a> = (&'static str, &'a dyn Fn(usize) -> usize);

/// `tingjian bench`: one core, end-to-end `analyze` against a bare jieba cut of the same
/// text in the same run, and what `tingjian analyze` does with a JSON line; start-up time
/// and resident memory. Each measurement runs in `runs`
/// slices taken in turn (cut, normalise, normalise and cut, analyse, cut, …), so a slow
/// moment of a shared machine falls on all of them alike; the figures are medians over the
/// slices, and the ratio is the median of each slice's ratio to the cut beside it.
pub(super) fn bench(files: &[PathBuf], seconds: f64, runs: usize) -> anyhow::Result<()> {
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
    let run = |f: &dyn Fn(usize) -> usize| -> (f64, f64) {
        let start = Instant::now();
        let mut rounds = 0usize;
        let mut sink = 0usize;
        while start.elapsed().as_secs_f64() < slice || rounds == 0 {
            for i in 0..texts.len() {
                sink = sink.wrapping_add(f(i));
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
    // What `tingjian analyze` does with a line: the same lines it reads, parsed in place,
    // analysed, and serialised with the newline into one reused buffer (the pipe aside).
    let lines: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"id": i, "text": t}).to_string())
        .collect();
    let buffer = std::cell::RefCell::new(Vec::<u8>::with_capacity(1 << 16));
    let json_line = |i: usize| -> usize {
        let mut out = buffer.borrow_mut();
        out.clear();
        if let Ok(input) = serde_json::from_str::<Input>(&lines[i]) {
            let a = analyzer.analyze(&input.text);
            AnalysisJson::new(input.id, &a).write_to(&mut out);
            out.push(b'\n');
        }
        out.len()
    };
    let measurements: [Measurement; 5] = [
        ("bare jieba cut (baseline)", &|i| {
            analyzer.cut_only(&texts[i]).len()
        }),
        ("normalise only", &|i| {
            normalize::normalize(&texts[i]).text.len()
        }),
        ("normalise and cut", &|i| {
            analyzer
                .cut_only(&normalize::normalize(&texts[i]).text)
                .len()
        }),
        ("end-to-end analyze", &|i| {
            analyzer.analyze(&texts[i]).keywords.len()
        }),
        ("JSON line in and out", &json_line),
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
    let (analyse, json) = (3, 4);
    let ratios = slices[json]
        .iter()
        .zip(&slices[analyse])
        .map(|(j, a)| j.0 / a.0);
    println!(
        "JSON line in and out ÷ end-to-end analyze: {:.3} (median of the slices' ratios)",
        median(ratios.collect())
    );
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
/// The analyzer with the shipped model, or with a model file.
pub(super) fn analyzer_with(model: Option<PathBuf>) -> anyhow::Result<crate::analysis::Analyzer> {
    let model = match model {
        Some(path) => crate::analysis::Model::parse(&std::fs::read_to_string(path)?),
        None => crate::analysis::Model::shipped(),
    };
    Ok(crate::analysis::Analyzer::with_model(model))
}
