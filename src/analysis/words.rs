//! One table of everything the engine knows about a word (lexicon weight, negation, degree,
//! stop word, contrast marker, trained weight, IDF, aspect), so each token is looked up once
//! per text instead of once per question every stage asks.

use rustc_hash::FxHashMap as HashMap;

use super::hash::fnv;
use super::lexicon::Lexicon;
use super::normalize::is_han;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WordInfo {
    /// Sentiment weight from the lexicon, or from a glued form (很稳, 不难, 好用了); 0 if none.
    pub sentiment: f32,
    /// The weight is the lexicon's own entry for this exact word.
    pub lexical: bool,
    pub negation: Negation,
    /// A negation that denies outright (一点都不, 根本不).
    pub emphatic: bool,
    /// Degree multiplier (很 1.3, 有点 0.6); 0 when the word is no degree word.
    pub degree: f32,
    pub stop: bool,
    pub contrast: Contrast,
    /// The trained model's weight, unscaled; 0 if none.
    pub learned: f32,
    /// IDF from the shipped corpus; 0 if the word was not seen.
    pub idf: f32,
    pub aspect: bool,
    pub past: bool,
    pub now: bool,
    /// Asks for something to stop; it negates no quality (希望不要再闪退).
    pub prohibitive: bool,
    /// FNV-1a of the token: the last stage's word features are keyed by it.
    pub hash: u64,
    pub shape: Shape,
    /// The word has an entry in the table (so `pick` was judged when it was built).
    pub known: bool,
    /// Whether a person would pick it as a keyword, by its dictionary and part of speech
    /// (judged once when the table is built; for other tokens, when a keyword is chosen).
    pub pick: super::segment::Pick,
}

/// What a token's characters are, judged once per word rather than by every stage that asks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Holds no whitespace, so it can name a feature (names are tab- and space-separated).
    pub usable: bool,
    /// Only ASCII punctuation.
    pub punct: bool,
    /// One or more marks that end a clause.
    pub ends_clause: bool,
    /// Could be a keyword by its characters: at least two Han characters, or at least three
    /// Latin letters with nothing but letters, digits and `-`.
    pub keyword: bool,
}

impl Shape {
    pub fn of(token: &str) -> Self {
        let han = token.chars().filter(|c| is_han(*c)).count();
        let latin = token.chars().filter(|c| c.is_ascii_alphabetic()).count();
        Self {
            usable: !token.is_empty() && !token.chars().any(char::is_whitespace),
            punct: token.chars().all(|c| c.is_ascii_punctuation()),
            ends_clause: ends_clause(token),
            keyword: han >= 2
                || (han == 0
                    && latin >= 3
                    && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')),
        }
    }
}

impl WordInfo {
    /// A word the table knows nothing of yet.
    fn blank(token: &str) -> Self {
        Self {
            hash: fnv(token),
            shape: Shape::of(token),
            ..Self::default()
        }
    }
}

/// A token that ends a clause: one or more of these marks.
fn ends_clause(token: &str) -> bool {
    !token.is_empty()
        && token.chars().all(|c| {
            matches!(
                c,
                ',' | '。'
                    | '.'
                    | '!'
                    | '?'
                    | ';'
                    | '~'
                    | '…'
                    | ':'
                    | '"'
                    | '、'
                    | '，'
                    | '！'
                    | '？'
                    | '；'
            )
        })
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Negation {
    #[default]
    None,
    Strong,
    Weak,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Contrast {
    #[default]
    None,
    /// 但是/不过…: the clause that follows carries the label.
    After,
    /// 虽然/尽管…: the clause it opens is conceded.
    Concessive,
}

/// Negations that deny outright: what they negate is firmly the opposite.
const EMPHATIC_NEGATIONS: [&str; 10] = [
    "一点都不",
    "一点也不",
    "完全不",
    "根本不",
    "从不",
    "从来不",
    "毫不",
    "绝不",
    "从来没",
    "从没",
];
/// Degree words jieba keeps inside a token, with their weight.
const DEGREE_PREFIXES: [(&str, f32); 12] = [
    ("非常", 1.8),
    ("特别", 1.6),
    ("超级", 1.8),
    ("很", 1.3),
    ("太", 1.7),
    ("好", 1.3),
    ("超", 1.7),
    ("挺", 1.1),
    ("真", 1.4),
    ("蛮", 1.1),
    ("巨", 1.8),
    ("有点", 0.6),
];
const PARTICLES: [char; 10] = ['了', '的', '啊', '呀', '哦', '啦', '过', '得', '吧', '呢'];
const PROHIBITIVE: [&str; 5] = ["不要", "别", "不想", "不让", "别再"];
pub const PAST: [&str; 6] = ["以前", "之前", "原来", "过去", "刚开始", "一开始"];
pub const NOW: [&str; 9] = [
    "现在",
    "后来",
    "终于",
    "目前",
    "如今",
    "更新后",
    "最近",
    "这次",
    "今年",
];

/// What training learned of words, as the table reads it: the model's word weights and its
/// IDF, borrowed (the table copies each value into its word's entry).
#[derive(Clone, Copy)]
pub struct Learned<'a> {
    pub weights: &'a HashMap<String, f32>,
    pub idf: &'a HashMap<String, f32>,
}

/// Words by the FNV-1a hash of their text: the hash is needed anyway (it keys the last
/// stage's word features), and a lookup then compares no strings.
pub struct WordTable {
    words: HashMap<u64, WordInfo>,
}

impl WordTable {
    pub fn build(
        lexicon: &Lexicon,
        learned: Learned<'_>,
        aspects: impl Iterator<Item = String>,
        pick: &dyn Fn(&str) -> super::segment::Pick,
    ) -> Self {
        let mut words: HashMap<Box<str>, WordInfo> = HashMap::default();
        fn entry<'m>(words: &'m mut HashMap<Box<str>, WordInfo>, w: &str) -> &'m mut WordInfo {
            words.entry(w.into()).or_insert_with(|| WordInfo::blank(w))
        }
        for (w, v) in &lexicon.sentiment {
            let e = entry(&mut words, w);
            e.sentiment = *v;
            e.lexical = true;
        }
        for w in &lexicon.negation_strong {
            let e = entry(&mut words, w);
            e.negation = Negation::Strong;
            e.emphatic = EMPHATIC_NEGATIONS.contains(&w.as_str());
        }
        for w in &lexicon.negation_weak {
            entry(&mut words, w).negation = Negation::Weak;
        }
        for (w, d) in &lexicon.degree {
            entry(&mut words, w).degree = *d;
        }
        for w in &lexicon.stopwords {
            entry(&mut words, w).stop = true;
        }
        for w in &lexicon.contrast_after {
            entry(&mut words, w).contrast = Contrast::After;
        }
        for w in &lexicon.contrast_concessive {
            entry(&mut words, w).contrast = Contrast::Concessive;
        }
        for (w, v) in learned.weights {
            entry(&mut words, w).learned = *v;
        }
        for (w, v) in learned.idf {
            entry(&mut words, w).idf = *v;
        }
        for w in aspects {
            entry(&mut words, &w).aspect = true;
        }
        for w in PAST {
            entry(&mut words, w).past = true;
        }
        for w in NOW {
            entry(&mut words, w).now = true;
        }
        for w in PROHIBITIVE {
            entry(&mut words, w).prohibitive = true;
        }
        // Glued forms are judged once here, not for every text.
        let glued: Vec<(Box<str>, f32)> = words
            .iter()
            .filter(|(_, i)| !i.lexical)
            .filter_map(|(w, _)| glued_weight(w, lexicon).map(|v| (w.clone(), v)))
            .collect();
        for (w, v) in glued {
            if let Some(e) = words.get_mut(&w) {
                e.sentiment = v;
            }
        }
        for (w, e) in &mut words {
            e.known = true;
            if e.shape.keyword && !e.stop {
                e.pick = pick(w);
            }
        }
        Self {
            words: words.into_values().map(|i| (i.hash, i)).collect(),
        }
    }

    /// What is known of a token; words never seen are judged by their glued parts.
    pub fn info(&self, token: &str, lexicon: &Lexicon) -> WordInfo {
        let hash = fnv(token);
        match self.words.get(&hash) {
            Some(i) => *i,
            None => WordInfo {
                sentiment: glued_weight(token, lexicon).unwrap_or(0.0),
                hash,
                shape: Shape::of(token),
                ..WordInfo::default()
            },
        }
    }

    pub fn infos(&self, tokens: &[&str], lexicon: &Lexicon) -> Vec<WordInfo> {
        tokens.iter().map(|t| self.info(t, lexicon)).collect()
    }
}

/// Words the segmenter glued to a particle, a degree word or a negation (好用了, 很稳, 不难):
/// the weight of the core, scaled or turned around.
fn glued_weight(token: &str, lexicon: &Lexicon) -> Option<f32> {
    let core = token.trim_end_matches(PARTICLES);
    if core != token {
        if let Some(w) = lexicon.sentiment.get(core) {
            return Some(*w);
        }
    }
    for (prefix, scale) in DEGREE_PREFIXES {
        if let Some(w) = core
            .strip_prefix(prefix)
            .and_then(|rest| lexicon.sentiment.get(rest))
        {
            return Some(w * scale);
        }
    }
    for neg in ["不", "没", "没有", "无"] {
        if let Some(w) = token
            .strip_prefix(neg)
            .and_then(|rest| lexicon.sentiment.get(rest))
        {
            return Some(if *w > 0.0 { -w * 0.9 } else { -w * 0.6 });
        }
    }
    None
}
