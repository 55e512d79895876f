//! The trained last stage of sentiment: a four-class logistic regression over what the rules
//! saw (their sum, the strongest praise and complaint, contrast, questions, requests, sarcasm,
//! the pain points they found and the categories whose words appear) and over the words
//! themselves (words, word pairs, negated words and the words of the last clause). The rules
//! carry what a few thousand labelled texts cannot teach (negation scope, contrast, sarcasm
//! cues, the taxonomy); the words carry the many small signals no one writes rules for.
//! `tingjian train sentiment` fits it; `data/model.tsv` ships it.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::sentiment::{ClauseView, Evidence, Label, Sentiment};
use super::words::{Negation, WordInfo};

/// Sentiment classes in [`Label::ALL`] order: positive, negative, neutral, mixed.
pub const CLASSES: usize = 4;

/// A feature's key: FNV-1a over its name, so that the name need not be built to look it up.
#[derive(Clone, Copy)]
struct Key(u64);

impl Key {
    const START: Key = Key(0xcbf2_9ce4_8422_2325);

    fn add(self, s: &str) -> Key {
        Key(s.bytes().fold(self.0, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        }))
    }

    fn of(name: &str) -> u64 {
        Key::START.add(name).0
    }
}

/// The features of one text: hashed keys with values, and (when training) their names.
#[derive(Default)]
pub struct Features {
    pub values: Vec<(u64, f32)>,
    pub names: Option<Vec<String>>,
}

impl Features {
    pub fn named() -> Self {
        Self {
            values: Vec::new(),
            names: Some(Vec::new()),
        }
    }

    fn push(&mut self, parts: &[&str], value: f32) {
        let key = parts.iter().fold(Key::START, |k, p| k.add(p)).0;
        self.push_key(key, parts, value);
    }

    fn push_key(&mut self, key: u64, parts: &[&str], value: f32) {
        self.values.push((key, value));
        if let Some(names) = &mut self.names {
            names.push(parts.concat());
        }
    }

    fn flag(&mut self, name: &str, on: bool) {
        if on {
            self.push(&[name], 1.0);
        }
    }

    /// A strength, squashed into (−1, 1).
    fn strength(&mut self, name: &str, value: f32) {
        if value != 0.0 {
            self.push(&[name], (value / 2.0).tanh());
        }
    }
}

/// A token is a feature when it holds no whitespace (names are stored tab-separated).
fn usable(token: &str) -> bool {
    !token.is_empty() && !token.chars().any(char::is_whitespace)
}

const LENGTHS: [(usize, &str); 5] = [
    (4, "len:4"),
    (12, "len:12"),
    (30, "len:30"),
    (80, "len:80"),
    (usize::MAX, "len:long"),
];

/// Everything the last stage looks at.
pub fn extract(
    text: &str,
    tokens: &[&str],
    infos: &[WordInfo],
    clauses: &[ClauseView],
    ev: &Evidence,
    out: &mut Features,
) {
    out.values.clear();
    if let Some(n) = &mut out.names {
        n.clear();
    }
    out.push(&["bias"], 1.0);
    out.strength("d:total", ev.total);
    out.strength("d:pos", ev.pos_mass);
    out.strength("d:neg", ev.neg_mass);
    out.strength("d:praised", ev.praised);
    out.strength("d:blamed", ev.blamed);
    out.strength("d:decisive", ev.decisive);
    out.strength("d:first", ev.first);
    out.strength("d:last", ev.last);
    out.strength("d:complaint", ev.complaint);
    out.flag("f:sarcastic", ev.sarcastic);
    out.flag("f:contrast", ev.contrast);
    out.flag("f:question", ev.questions > 0);
    out.flag(
        "f:all_questions",
        ev.questions > 0 && ev.questions == ev.clauses,
    );
    out.flag("f:request", ev.request);
    out.flag("f:inquiry", ev.inquiry);
    out.flag("f:resolved", ev.resolved);
    out.flag("f:not_ours", ev.not_ours);
    out.flag("f:ack", ev.acknowledgement);
    out.flag("f:one_clause", ev.clauses <= 1);
    out.push(&["r:", ev.rule.as_str()], 1.0);
    let chars = text.chars().count();
    if let Some((_, name)) = LENGTHS.iter().find(|(n, _)| chars <= *n) {
        out.push(&[name], 1.0);
    }
    let last_clause = clauses.last().map_or(0..0, |c| c.tokens.clone());
    let mut seen: HashSet<u64> = HashSet::default();
    let mut negated_until = 0;
    let mut prev: Option<&str> = None;
    for (i, (tok, info)) in tokens.iter().zip(infos).enumerate() {
        if !usable(tok) {
            prev = None;
            continue;
        }
        if info.negation != Negation::None {
            negated_until = i + 3;
        } else if tok.chars().all(|c| c.is_ascii_punctuation()) {
            negated_until = 0;
        }
        let mut once = |out: &mut Features, parts: &[&str]| {
            let key = parts.iter().fold(Key::START, |k, p| k.add(p)).0;
            if seen.insert(key) {
                out.push_key(key, parts, 1.0);
            }
        };
        once(out, &["u:", tok]);
        if let Some(p) = prev {
            once(out, &["b:", p, " ", tok]);
        }
        if i < negated_until && info.negation == Negation::None && !info.stop {
            once(out, &["n:", tok]);
        }
        if last_clause.contains(&i) && !info.stop {
            once(out, &["l:", tok]);
        }
        prev = Some(tok);
    }
}

/// What the rules said of pain points: the categories they found, and those whose trigger
/// or aspect words appear at all.
pub fn extract_pains(found: &[&str], triggered: &[&str], aspects: &[&str], out: &mut Features) {
    for id in found {
        out.push(&["pr:", id], 1.0);
    }
    for id in triggered {
        out.push(&["pt:", id], 1.0);
    }
    for id in aspects {
        out.push(&["pa:", id], 1.0);
    }
}

/// A linear model with `N` outputs, its weights by feature key.
#[derive(Debug, Clone)]
pub struct Linear<const N: usize> {
    weights: HashMap<u64, [f32; N]>,
}

impl<const N: usize> Default for Linear<N> {
    fn default() -> Self {
        Self {
            weights: HashMap::default(),
        }
    }
}

impl<const N: usize> Linear<N> {
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    pub fn insert(&mut self, name: &str, w: [f32; N]) {
        self.weights.insert(Key::of(name), w);
    }

    pub fn logits(&self, features: &Features) -> [f32; N] {
        let mut logits = [0.0f32; N];
        for (key, v) in &features.values {
            if let Some(w) = self.weights.get(key) {
                for c in 0..N {
                    logits[c] += w[c] * v;
                }
            }
        }
        logits
    }
}

/// The last stage of sentiment.
pub type Stacker = Linear<CLASSES>;

impl Linear<CLASSES> {
    /// The label, a score from −1 to 1 (how much more likely praise is than complaint) and
    /// the confidence (the label's probability).
    pub fn sentiment(&self, features: &Features) -> Sentiment {
        let p = softmax(self.logits(features));
        let (best, confidence) = p
            .iter()
            .copied()
            .enumerate()
            .fold((0, f32::MIN), |a, (i, v)| if v > a.1 { (i, v) } else { a });
        Sentiment {
            label: Label::ALL[best],
            score: (p[0] - p[1]).clamp(-1.0, 1.0),
            confidence,
        }
    }
}

fn softmax<const N: usize>(mut logits: [f32; N]) -> [f32; N] {
    let max = logits.iter().copied().fold(f32::MIN, f32::max);
    let mut sum = 0.0;
    for l in &mut logits {
        *l = (*l - max).exp();
        sum += *l;
    }
    for l in &mut logits {
        *l /= sum;
    }
    logits
}

/// How a last stage is fitted.
#[derive(Debug, Clone, Copy)]
pub struct Fit {
    pub epochs: usize,
    pub rate: f32,
    pub l2: f32,
    /// Features seen in fewer training texts are left out.
    pub min_count: usize,
}

impl Default for Fit {
    fn default() -> Self {
        Self {
            epochs: 12,
            rate: 0.1,
            l2: 1e-4,
            min_count: 2,
        }
    }
}

/// Four-class logistic regression: each text's label index in [`Label::ALL`].
pub fn fit_sentiment(examples: &[(&Features, usize)], opts: Fit) -> Vec<(String, [f32; CLASSES])> {
    let features: Vec<&Features> = examples.iter().map(|(f, _)| *f).collect();
    fit(&features, opts, |i, logits: [f32; CLASSES]| {
        let mut g = softmax(logits);
        g[examples[i].1] -= 1.0;
        g
    })
}

/// Stochastic gradient descent with AdaGrad and L2, in a fixed order (the same data give the
/// same model). `loss` turns a text's logits into the gradient of its loss. Returns the
/// weights by feature name.
fn fit<const N: usize>(
    examples: &[&Features],
    opts: Fit,
    loss: impl Fn(usize, [f32; N]) -> [f32; N],
) -> Vec<(String, [f32; N])> {
    let mut count: HashMap<u64, usize> = HashMap::default();
    let mut names: HashMap<u64, &str> = HashMap::default();
    for ex in examples {
        let listed = ex.names.iter().flatten();
        for ((key, _), name) in ex.values.iter().zip(listed) {
            *count.entry(*key).or_default() += 1;
            names.entry(*key).or_insert(name);
        }
    }
    let kept = |key: &u64| count.get(key).is_some_and(|n| *n >= opts.min_count);
    let mut model = Linear::<N>::default();
    let mut g2: HashMap<u64, [f32; N]> = HashMap::default();
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..opts.epochs {
        // Fisher–Yates with a fixed xorshift: shuffled, but reproducible.
        for i in (1..order.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            order.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        for &i in &order {
            let grad = loss(i, model.logits(examples[i]));
            for (k, v) in examples[i].values.iter().filter(|(k, _)| kept(k)) {
                let wk = model.weights.entry(*k).or_insert([0.0; N]);
                let gk = g2.entry(*k).or_insert([0.0; N]);
                for c in 0..N {
                    let g = grad[c] * v + opts.l2 * wk[c];
                    gk[c] += g * g;
                    wk[c] -= opts.rate * g / (gk[c].sqrt() + 1e-6);
                }
            }
        }
    }
    let mut out: Vec<(String, [f32; N])> = model
        .weights
        .into_iter()
        .filter(|(_, v)| v.iter().any(|x| x.abs() >= 0.005))
        .filter_map(|(k, v)| names.get(&k).map(|n| ((*n).to_owned(), v)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hash_names_the_same_whole_or_in_parts() {
        let mut f = Features::named();
        f.push(&["b:", "不", " ", "好用"], 1.0);
        assert_eq!(f.values[0].0, Key::of("b:不 好用"));
        assert_eq!(f.names.unwrap()[0], "b:不 好用");
    }

    #[test]
    fn fitting_separates_two_words() {
        let example = |word: &str, class: usize| {
            let mut features = Features::named();
            features.push(&["bias"], 1.0);
            features.push(&["u:", word], 1.0);
            (features, class)
        };
        let data: Vec<(Features, usize)> = (0..20)
            .map(|i| {
                if i % 2 == 0 {
                    example("好", 0)
                } else {
                    example("差", 1)
                }
            })
            .collect();
        let refs: Vec<(&Features, usize)> = data.iter().map(|(f, c)| (f, *c)).collect();
        let mut stacker = Stacker::default();
        for (name, w) in fit_sentiment(&refs, Fit::default()) {
            stacker.insert(&name, w);
        }
        let good = stacker.sentiment(&data[0].0);
        let bad = stacker.sentiment(&data[1].0);
        assert_eq!((good.label, bad.label), (Label::Positive, Label::Negative));
        assert!(good.score > 0.5 && bad.score < -0.5, "{good:?} {bad:?}");
    }
}
