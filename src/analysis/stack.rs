//! The trained last stage of sentiment: a four-class logistic regression over what the rules
//! saw (their sum, the strongest praise and complaint, contrast, questions, requests, sarcasm,
//! the pain points they found and the categories whose words appear) and over the words
//! themselves (words, word pairs, negated words and the words of the last clause). The rules
//! carry what a few thousand labelled texts cannot teach (negation scope, contrast, sarcasm
//! cues, the taxonomy); the words carry the many small signals no one writes rules for.
//! `tingjian train sentiment` fits it; `data/model.tsv` ships it.

use rustc_hash::FxHashMap as HashMap;

use super::hash::{fnv, key, key_of, mix, spread};
use super::sentiment::{ClauseView, Evidence, Label, Sentiment};
use super::words::{Negation, WordInfo};

/// Sentiment classes in [`Label::ALL`] order: positive, negative, neutral, mixed.
pub const CLASSES: usize = 4;

/// What a feature holds: its four weights (one per label), its weight in the review view
/// (for positive against negative), and its say in whether a text reads as a review.
pub const WEIGHTS: usize = CLASSES + 2;
const REVIEW: usize = CLASSES;
const GATE: usize = CLASSES + 1;

/// How much a text reads as a review of a hotel, a shop or a product rather than app
/// feedback (0 to 1), from the sums of its features.
pub fn review_likeness(sums: &[f32; WEIGHTS]) -> f32 {
    1.0 / (1.0 + (-sums[GATE]).exp())
}

/// The four sums of the labels from the sums of a text's features.
pub fn label_sums(sums: &[f32; WEIGHTS]) -> [f32; CLASSES] {
    std::array::from_fn(|c| sums[c])
}

/// Where features go: straight into a model's sums when analysing, into a list with their
/// names when training.
pub trait Sink {
    /// A feature: its key, its prefix and words (for its name), and its value.
    fn feature(&mut self, key: u64, prefix: &str, words: &[&str], value: f32);
}

/// The features of one text as training keeps them: keys with values, and their names.
#[derive(Default)]
pub struct Features {
    pub values: Vec<(u64, f32)>,
    pub names: Vec<String>,
}

impl Sink for Features {
    fn feature(&mut self, key: u64, prefix: &str, words: &[&str], value: f32) {
        self.values.push((key, value));
        self.names.push(format!("{prefix}{}", words.join(" ")));
    }
}

/// A model's sums over a text's features. The features are gathered first and looked up
/// together (`logits`): most of them sit in slots no other text of the moment touched, and
/// reading all their slots in one branch-free pass lets those cache misses overlap instead
/// of waiting for each in turn.
pub struct Scoring<'a> {
    model: &'a Stacker,
    features: Vec<(u64, f32)>,
}

impl Sink for Scoring<'_> {
    fn feature(&mut self, key: u64, _: &str, _: &[&str], value: f32) {
        self.features.push((key, value));
    }
}

impl Scoring<'_> {
    /// The text's sentiment.
    pub fn sentiment(&self, mixed_margin: f32) -> Sentiment {
        self.model.judge(&self.sums(), mixed_margin)
    }

    /// The sums of the text's features: the four labels', the review view's and the
    /// review-likeness's.
    pub fn sums(&self) -> [f32; WEIGHTS] {
        let model = self.model;
        if model.slots.is_empty() {
            return [0.0; WEIGHTS];
        }
        let mask = model.slots.len() - 1;
        let touched = self
            .features
            .iter()
            .fold(0u32, |t, (key, _)| t ^ model.slots[home(*key, mask)].tag);
        std::hint::black_box(touched);
        let mut sums = [0.0; WEIGHTS];
        for (key, value) in &self.features {
            if let Some(w) = model.weight(*key) {
                for (s, w) in sums.iter_mut().zip(w) {
                    *s += w * value;
                }
            }
        }
        sums
    }
}

/// A feature named by a prefix and one word.
fn word(out: &mut impl Sink, prefix: &str, w: &str, value: f32) {
    out.feature(key(prefix, &[fnv(w)]), prefix, &[w], value);
}

fn flag(out: &mut impl Sink, name: &str, on: bool) {
    if on {
        word(out, "f:", name, 1.0);
    }
}

/// `tanh` by one `exp`: glibc's `tanhf` goes through `expm1f` and took a twentieth of the
/// analysis time for the nine strengths of every text. Within 1e-6 of it (tested).
fn tanh(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let e = (2.0 * x.abs().min(20.0)).exp();
    (1.0 - 2.0 / (e + 1.0)).copysign(x)
}

/// A strength, squashed into (−1, 1).
fn strength(out: &mut impl Sink, name: &str, value: f32) {
    if value != 0.0 {
        word(out, "d:", name, tanh(value / 2.0));
    }
}

/// The value of a word feature. Below the rules' features (about 1), so that a word needs
/// more evidence to earn the same weight: with a few thousand texts, a rare word's weight
/// otherwise grows on chance alone.
const WORD: f32 = 0.5;

const LENGTHS: [(usize, &str); 5] = [
    (4, "4"),
    (12, "12"),
    (30, "30"),
    (80, "80"),
    (usize::MAX, "long"),
];

/// Everything the last stage looks at, but the pain points (`extract_pains`). A word that
/// comes twice counts twice.
pub fn extract(
    text: &str,
    tokens: &[&str],
    infos: &[WordInfo],
    clauses: &[ClauseView],
    ev: &Evidence,
    out: &mut impl Sink,
) {
    out.feature(fnv("bias"), "bias", &[], 1.0);
    strength(out, "total", ev.total);
    strength(out, "pos", ev.pos_mass);
    strength(out, "neg", ev.neg_mass);
    strength(out, "praised", ev.praised);
    strength(out, "blamed", ev.blamed);
    strength(out, "decisive", ev.decisive);
    strength(out, "first", ev.first);
    strength(out, "last", ev.last);
    strength(out, "complaint", ev.complaint);
    flag(out, "sarcastic", ev.sarcastic);
    flag(out, "contrast", ev.contrast);
    flag(out, "question", ev.questions > 0);
    flag(
        out,
        "all_questions",
        ev.questions > 0 && ev.questions == ev.clauses,
    );
    flag(out, "request", ev.request);
    flag(out, "inquiry", ev.inquiry);
    flag(out, "resolved", ev.resolved);
    flag(out, "not_ours", ev.not_ours);
    flag(out, "ack", ev.acknowledgement);
    flag(out, "one_clause", ev.clauses <= 1);
    // Mixed needs both: no clause of praise, or none of complaint, is evidence against it.
    flag(out, "no_praise", ev.praised < 0.5);
    flag(out, "no_blame", ev.blamed < 0.5);
    word(out, "r:", ev.rule.as_str(), 1.0);
    // How sure the rules are: a clear verdict of theirs should outweigh a stray word.
    let sure = match ev.total.abs() {
        t if t >= 2.5 => "strong",
        t if t >= 1.0 => "clear",
        _ => "weak",
    };
    out.feature(
        key("rs:", &[fnv(ev.rule.as_str()), fnv(sure)]),
        "rs:",
        &[ev.rule.as_str(), sure],
        1.0,
    );
    let chars = text.chars().count();
    if let Some((_, name)) = LENGTHS.iter().find(|(n, _)| chars <= *n) {
        word(out, "len:", name, 1.0);
    }
    let (unigram, bigram, negated, last) = (fnv("u:"), fnv("b:"), fnv("n:"), fnv("l:"));
    let last_clause = clauses.last().map_or(0..0, |c| c.tokens.clone());
    let mut negated_until = 0;
    let mut prev: Option<(&str, u64)> = None;
    for (i, (tok, info)) in tokens.iter().zip(infos).enumerate() {
        if !info.shape.usable {
            prev = None;
            continue;
        }
        if info.negation != Negation::None {
            negated_until = i + 3;
        } else if info.shape.punct {
            negated_until = 0;
        }
        let h = info.hash;
        // A word of the lexicon is the rules' to weigh: learned again on its own, it would
        // soak up whatever the rules get wrong around it (失望 came out as praise).
        let lexical = info.sentiment != 0.0;
        if !lexical {
            out.feature(mix(unigram, h), "u:", &[tok], WORD);
        }
        if let Some((p, ph)) = prev {
            out.feature(mix(mix(bigram, ph), h), "b:", &[p, tok], WORD);
        }
        if i < negated_until && info.negation == Negation::None && !info.stop {
            out.feature(mix(negated, h), "n:", &[tok], WORD);
        }
        if last_clause.contains(&i) && !info.stop && !lexical {
            out.feature(mix(last, h), "l:", &[tok], WORD);
        }
        prev = Some((tok, h));
    }
}

/// What the rules said of pain points: the categories they found, and those whose trigger
/// words appear at all.
pub fn extract_pains<'a>(
    found: impl IntoIterator<Item = &'a str>,
    triggered: impl IntoIterator<Item = &'a str>,
    out: &mut impl Sink,
) {
    for id in found {
        word(out, "pr:", id, 1.0);
    }
    for id in triggered {
        word(out, "pt:", id, 1.0);
    }
}

/// The last stage of sentiment: six weights (one per label, the review view's and the
/// review-likeness's, see [`WEIGHTS`]) by feature key, packed for lookups. A text asks for
/// some sixty features, most of them word features scattered over the whole table, so each
/// lookup is a likely cache miss: a slot holds a 31-bit tag of the key and the weights as
/// 16-bit fixed point (16 bytes, four to a cache line), at most half the slots are used, and
/// a probe is one slot read.
/// A feature the model lacks whose key shares the tag of a key in its probe run reads that
/// key's weights: about one lookup in two billion by chance (keys are not secret, so a text
/// can be written to do it, which moves only that text's own score).
#[derive(Debug, Clone, Default)]
pub struct Stacker {
    /// Empty when the model has no weights.
    slots: Box<[Slot]>,
    /// What one unit of a packed weight is worth.
    unit: f32,
    /// Whether the model has a review view (some feature weighs in it or in the gate).
    reviews: bool,
}

#[derive(Debug, Clone, Copy, Default)]
#[repr(align(16))]
struct Slot {
    /// The key's low 31 bits with the top bit set; 0 marks an empty slot.
    tag: u32,
    weights: [i16; WEIGHTS],
}

impl Slot {
    fn tag(key: u64) -> u32 {
        (key as u32) | 0x8000_0000
    }
}

/// Where a key's probe starts (its bits mixed again, so the tag and the start differ).
fn home(key: u64, mask: usize) -> usize {
    (spread(key) >> 32) as usize & mask
}

/// A row of the four label weights alone: no weight in the review view.
pub fn labels_only(w: [f32; CLASSES]) -> [f32; WEIGHTS] {
    std::array::from_fn(|i| w.get(i).copied().unwrap_or(0.0))
}

impl FromIterator<(u64, [f32; CLASSES])> for Stacker {
    fn from_iter<I: IntoIterator<Item = (u64, [f32; CLASSES])>>(rows: I) -> Self {
        rows.into_iter().map(|(k, w)| (k, labels_only(w))).collect()
    }
}

impl FromIterator<(u64, [f32; WEIGHTS])> for Stacker {
    /// A key given twice keeps its last weights.
    fn from_iter<I: IntoIterator<Item = (u64, [f32; WEIGHTS])>>(rows: I) -> Self {
        let rows: Vec<(u64, [f32; WEIGHTS])> = rows.into_iter().collect();
        if rows.is_empty() {
            return Self::default();
        }
        let largest = rows
            .iter()
            .flat_map(|(_, w)| w.iter())
            .fold(0.0f32, |m, w| m.max(w.abs()));
        // The largest weight maps to the largest 16-bit value: a step is the largest weight
        // over 32,767, so for weights below 3.27 (the label weights, with training's L2
        // penalty, stay under 2) a weight is kept to within 5e-5, finer than the four decimals
        // of the file; the review-likeness's reach 5 (within 8e-5). A hand-made model with
        // much larger weights loses its smallest ones to rounding.
        let unit = (largest / f32::from(i16::MAX)).max(f32::MIN_POSITIVE);
        let reviews = rows.iter().any(|(_, w)| w[REVIEW] != 0.0 || w[GATE] != 0.0);
        let size = (rows.len() * 2).next_power_of_two().max(16);
        let mut slots = vec![Slot::default(); size].into_boxed_slice();
        for (key, w) in rows {
            let tag = Slot::tag(key);
            let mut i = home(key, size - 1);
            while slots[i].tag != 0 && slots[i].tag != tag {
                i = (i + 1) & (size - 1);
            }
            slots[i] = Slot {
                tag,
                weights: w.map(|x| (x / unit).round() as i16),
            };
        }
        Self {
            slots,
            unit,
            reviews,
        }
    }
}

impl FromIterator<(String, [f32; CLASSES])> for Stacker {
    fn from_iter<I: IntoIterator<Item = (String, [f32; CLASSES])>>(rows: I) -> Self {
        rows.into_iter().map(|(n, w)| (key_of(&n), w)).collect()
    }
}

impl FromIterator<(String, [f32; WEIGHTS])> for Stacker {
    fn from_iter<I: IntoIterator<Item = (String, [f32; WEIGHTS])>>(rows: I) -> Self {
        rows.into_iter().map(|(n, w)| (key_of(&n), w)).collect()
    }
}

impl Stacker {
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The weights of a feature, if it has any.
    #[inline]
    pub fn weight(&self, key: u64) -> Option<[f32; WEIGHTS]> {
        if self.slots.is_empty() {
            return None;
        }
        let (tag, mask) = (Slot::tag(key), self.slots.len() - 1);
        let mut i = home(key, mask);
        loop {
            let slot = &self.slots[i];
            if slot.tag == tag {
                return Some(slot.weights.map(|w| f32::from(w) * self.unit));
            }
            if slot.tag == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Sums to feed features into as they are extracted.
    pub fn scoring(&self) -> Scoring<'_> {
        Scoring {
            model: self,
            features: Vec::with_capacity(96),
        }
    }

    /// The sums of a text's features (see [`Scoring::sums`]).
    pub fn sums(&self, features: &Features) -> [f32; WEIGHTS] {
        let mut scoring = self.scoring();
        for (key, v) in &features.values {
            scoring.feature(*key, "", &[], *v);
        }
        scoring.sums()
    }

    pub fn logits(&self, features: &Features) -> [f32; CLASSES] {
        label_sums(&self.sums(features))
    }

    /// The sentiment the sums of a text's features say. The four label weights decide
    /// whether a text is polar, neutral or mixed. Which way a polar text leans (and the
    /// score's sign) is decided by them for app feedback, by the review view for a text that
    /// reads as a review, and by both in proportion in between: reviews of hotels, shops and
    /// products praise and blame in other words than app feedback, and the review corpus the
    /// view is trained on is only positive or negative, so it says nothing of neutral or
    /// mixed.
    pub fn judge(&self, sums: &[f32; WEIGHTS], mixed_margin: f32) -> Sentiment {
        let logits = label_sums(sums);
        let decided = Self::decide(logits, mixed_margin);
        if !self.reviews {
            return decided;
        }
        let p = softmax(logits);
        let g = review_likeness(sums);
        let lean = (1.0 - g) * (logits[0] - logits[1]) + g * sums[REVIEW];
        let polar = p[0] + p[1];
        let positive = polar / (1.0 + (-lean).exp());
        let negative = polar - positive;
        let score = (positive - negative).clamp(-1.0, 1.0);
        match decided.label {
            Label::Positive | Label::Negative => {
                let (label, confidence) = if positive >= negative {
                    (Label::Positive, positive)
                } else {
                    (Label::Negative, negative)
                };
                Sentiment {
                    label,
                    score,
                    confidence,
                }
            }
            _ => Sentiment { score, ..decided },
        }
    }
}

/// The sums of features under weights being fitted.
fn fitted_logits(weights: &HashMap<u64, [f32; CLASSES]>, features: &Features) -> [f32; CLASSES] {
    let mut logits = [0.0; CLASSES];
    for (key, v) in &features.values {
        if let Some(w) = weights.get(key) {
            for (l, w) in logits.iter_mut().zip(w) {
                *l += w * v;
            }
        }
    }
    logits
}

impl Stacker {
    /// The label, a score from −1 to 1 (how much more likely praise is than complaint) and
    /// the confidence (the label's probability).
    pub fn sentiment(&self, features: &Features, mixed_margin: f32) -> Sentiment {
        self.judge(&self.sums(features), mixed_margin)
    }

    /// The sentiment its sums say.
    /// `mixed` must be at least as likely as the likeliest other label plus `mixed_margin`:
    /// with a margin above 0, a text is mixed only when that is clearly likelier.
    pub fn decide(logits: [f32; CLASSES], mixed_margin: f32) -> Sentiment {
        let p = softmax(logits);
        let (mut best, mut confidence) = p[..3]
            .iter()
            .copied()
            .enumerate()
            .fold((0, f32::MIN), |a, (i, v)| if v > a.1 { (i, v) } else { a });
        if p[3] >= confidence + mixed_margin {
            (best, confidence) = (3, p[3]);
        }
        Sentiment {
            label: Label::ALL[best],
            score: (p[0] - p[1]).clamp(-1.0, 1.0),
            confidence,
        }
    }
}

pub fn softmax(mut logits: [f32; CLASSES]) -> [f32; CLASSES] {
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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub epochs: usize,
    pub rate: f32,
    pub l2: f32,
    /// Features seen fewer times than this in all the training texts together are left out.
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

/// Four-class logistic regression (each text with its label's index in [`Label::ALL`]) by
/// stochastic gradient descent with AdaGrad and L2, in a fixed order (the same data give the
/// same model). Returns the weights by feature name.
pub fn fit_sentiment(examples: &[(&Features, usize)], opts: Fit) -> Vec<(String, [f32; CLASSES])> {
    let mut count: HashMap<u64, usize> = HashMap::default();
    let mut names: HashMap<u64, &str> = HashMap::default();
    for (ex, _) in examples {
        for ((key, _), name) in ex.values.iter().zip(&ex.names) {
            *count.entry(*key).or_default() += 1;
            names.entry(*key).or_insert(name);
        }
    }
    let kept = |key: &u64| count.get(key).is_some_and(|n| *n >= opts.min_count);
    let mut model: HashMap<u64, [f32; CLASSES]> = HashMap::default();
    let mut g2: HashMap<u64, [f32; CLASSES]> = HashMap::default();
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..opts.epochs {
        shuffle(&mut order, &mut seed);
        for &i in &order {
            let (features, class) = examples[i];
            // The gradient of the log loss in the sums: the probabilities less the truth.
            let mut grad = softmax(fitted_logits(&model, features));
            grad[class] -= 1.0;
            for (k, v) in features.values.iter().filter(|(k, _)| kept(k)) {
                let wk = model.entry(*k).or_insert([0.0; CLASSES]);
                let gk = g2.entry(*k).or_insert([0.0; CLASSES]);
                for c in 0..CLASSES {
                    let g = grad[c] * v + opts.l2 * wk[c];
                    gk[c] += g * g;
                    wk[c] -= opts.rate * g / (gk[c].sqrt() + 1e-6);
                }
            }
        }
    }
    let mut out: Vec<(String, [f32; CLASSES])> = model
        .into_iter()
        .filter(|(_, v)| v.iter().any(|x| x.abs() >= 0.005))
        .filter_map(|(k, v)| names.get(&k).map(|n| ((*n).to_owned(), v)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Fisher–Yates with a fixed xorshift: shuffled, but reproducible from `seed`.
fn shuffle(order: &mut [usize], seed: &mut u64) {
    for i in (1..order.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        order.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
}

/// A text for a two-way fit: its features, which side it is on, and what it counts for.
pub type Sided<'a> = (&'a Features, bool, f32);

/// Logistic regression between two sides (positive or negative; review or app feedback) by
/// the same AdaGrad as [`fit_sentiment`], with each text's error times its weight. Features
/// seen in fewer than `min_count` of the texts are left out; returns the weights by key.
pub fn fit_two_way(texts: &[Sided], opts: Fit) -> HashMap<u64, f32> {
    let mut count: HashMap<u64, usize> = HashMap::default();
    for (features, _, _) in texts {
        for (key, _) in &features.values {
            *count.entry(*key).or_default() += 1;
        }
    }
    let kept = |key: &u64| count.get(key).is_some_and(|n| *n >= opts.min_count);
    let mut model: HashMap<u64, (f32, f32)> = HashMap::default();
    let mut order: Vec<usize> = (0..texts.len()).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..opts.epochs {
        shuffle(&mut order, &mut seed);
        for &i in &order {
            let (features, side, weight) = texts[i];
            let z: f32 = features
                .values
                .iter()
                .filter_map(|(k, v)| model.get(k).map(|(w, _)| w * v))
                .sum();
            let d = (1.0 / (1.0 + (-z).exp()) - if side { 1.0 } else { 0.0 }) * weight;
            for (k, v) in features.values.iter().filter(|(k, _)| kept(k)) {
                let (w, g2) = model.entry(*k).or_insert((0.0, 0.0));
                let g = d * v + opts.l2 * *w;
                *g2 += g * g;
                *w -= opts.rate * g / (g2.sqrt() + 1e-6);
            }
        }
    }
    model.into_iter().map(|(k, (w, _))| (k, w)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_same_from_names_and_from_parts() {
        let mut f = Features::default();
        f.feature(
            mix(mix(fnv("b:"), fnv("不")), fnv("好用")),
            "b:",
            &["不", "好用"],
            1.0,
        );
        word(&mut f, "d:", "total", 0.5);
        f.feature(fnv("bias"), "bias", &[], 1.0);
        assert_eq!(f.names, ["b:不 好用", "d:total", "bias"]);
        for ((key, _), name) in f.values.iter().zip(&f.names) {
            assert_eq!(*key, key_of(name), "{name}");
        }
        assert_eq!(key_of("u:http:"), mix(fnv("u:"), fnv("http:")));
    }

    #[test]
    fn tanh_is_within_a_millionth_of_the_library_one() {
        for i in -4000..=4000 {
            let x = i as f32 / 200.0;
            assert!((tanh(x) - x.tanh()).abs() < 1e-6, "{x}");
        }
        assert_eq!(tanh(f32::INFINITY), 1.0);
        assert!(tanh(f32::NAN).is_nan());
        assert_eq!(tanh(0.0), 0.0);
    }

    #[test]
    fn fitting_separates_two_words() {
        let example = |w: &str, class: usize| {
            let mut features = Features::default();
            super::word(&mut features, "u:", w, 1.0);
            features.feature(fnv("bias"), "bias", &[], 1.0);
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
        let stacker: Stacker = fit_sentiment(&refs, Fit::default()).into_iter().collect();
        let good = stacker.sentiment(&data[0].0, 0.0);
        let bad = stacker.sentiment(&data[1].0, 0.0);
        assert_eq!((good.label, bad.label), (Label::Positive, Label::Negative));
        assert!(good.score > 0.5 && bad.score < -0.5, "{good:?} {bad:?}");
    }

    /// A model of one feature with four label weights, a review view's and a say in the
    /// review-likeness, and the bias.
    fn one_word(row: [f32; WEIGHTS]) -> (Stacker, Features) {
        let mut features = Features::default();
        super::word(&mut features, "u:", "房间", 1.0);
        let mut bias = labels_only([0.0; CLASSES]);
        bias[GATE] = 0.0;
        let stacker: Stacker = [("u:房间".to_owned(), row), ("bias".to_owned(), bias)]
            .into_iter()
            .collect();
        (stacker, features)
    }

    #[test]
    fn a_model_without_a_review_view_decides_by_the_labels_alone() {
        let (stacker, features) = one_word(labels_only([1.0, -0.5, 0.2, 0.0]));
        let logits = stacker.logits(&features);
        assert_eq!(
            stacker.sentiment(&features, 0.1),
            Stacker::decide(logits, 0.1)
        );
    }

    #[test]
    fn the_review_view_decides_the_side_of_a_review() {
        // Positive for app feedback, negative in the review view, and clearly a review.
        let (stacker, features) = one_word([1.0, 0.0, -1.0, -1.0, -3.0, 6.0]);
        let s = stacker.sentiment(&features, 0.1);
        assert_eq!(s.label, Label::Negative, "{s:?}");
        assert!(s.score < -0.5, "{s:?}");
        // Clearly app feedback: the label weights decide.
        let (stacker, features) = one_word([1.0, 0.0, -1.0, -1.0, -3.0, -6.0]);
        let s = stacker.sentiment(&features, 0.1);
        assert_eq!(s.label, Label::Positive, "{s:?}");
        // Neutral and mixed stay what the label weights say; only the score leans.
        let (stacker, features) = one_word([0.0, 0.0, 0.0, 2.0, -3.0, 6.0]);
        let s = stacker.sentiment(&features, 0.1);
        assert_eq!(s.label, Label::Mixed, "{s:?}");
        assert!(s.score < 0.0, "{s:?}");
    }

    #[test]
    fn a_two_way_fit_separates_two_words() {
        let text = |w: &str| {
            let mut features = Features::default();
            super::word(&mut features, "u:", w, 1.0);
            features
        };
        let (good, bad) = (text("干净"), text("血渍"));
        let texts: Vec<Sided> = (0..20)
            .map(|i| {
                if i % 2 == 0 {
                    (&good, true, 1.0)
                } else {
                    (&bad, false, 1.0)
                }
            })
            .collect();
        let w = fit_two_way(&texts, Fit::default());
        assert!(
            w[&key_of("u:干净")] > 0.5 && w[&key_of("u:血渍")] < -0.5,
            "{w:?}"
        );
    }
}
