//! Understand: the Chinese feedback analysis engine. A pure library (no I/O, no database):
//! an [`Analyzer`] is built once (dictionaries, lexicons, trained model) and shared; it
//! normalises, segments once, and lets every stage reuse the tokens: keywords, sentiment,
//! pain points, aspect–opinion pairs.

pub mod eval;
pub mod hash;
pub mod keywords;
pub mod lexicon;
pub mod model;
pub mod normalize;
pub mod painpoint;
pub mod phrases;
pub mod pii;
pub mod segment;
pub mod sentiment;
pub mod stack;
pub mod words;
pub mod workers;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use serde::Serialize;

pub use keywords::Keyword;
pub use model::Model;
pub use normalize::Language;
pub use painpoint::{Aspect, CustomCategory, Taxonomy};
pub use segment::UserDictionary;
pub use sentiment::{Label, Sentiment};

use keywords::Idf;
use lexicon::Lexicon;
use sentiment::{Scorer, WordWeights};

/// Changes whenever the engine or its data change in a way that changes results: stored
/// analyses carry it, and `tingjian reanalyze` brings older ones up to date.
pub const ANALYZER_VERSION: &str = "2026.12.07-1";

/// How much naming a problem (a pain-point trigger) weighs as a complaint in its clause.
const PROBLEM_WEIGHT: f32 = 1.0;

/// How many keywords an analysis reports.
pub const KEYWORDS: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub normalized: String,
    pub keywords: Vec<Keyword>,
    pub sentiment: Sentiment,
    pub pain_points: Vec<String>,
    pub aspects: Vec<Aspect>,
    pub topics: Vec<String>,
    pub language: Language,
    pub version: &'static str,
}

/// What a workspace adds to the shared engine: its dictionary, its own categories, word
/// weights learned from its corrections, and IDF from its own corpus.
#[derive(Default)]
pub struct WorkspaceContext {
    pub dictionary: Option<UserDictionary>,
    pub taxonomy: Option<Taxonomy>,
    pub weights: HashMap<String, f32>,
    pub idf: Option<CorpusIdf>,
    /// The workspace's brand names (its name, normalised): in nearly every text, so never
    /// the point of one; keywords weigh them down.
    pub brands: Vec<String>,
}

/// IDF learned from a workspace's feedback.
#[derive(Debug, Clone, Default)]
pub struct CorpusIdf {
    pub idf: HashMap<String, f32>,
    pub unseen: f32,
}

impl Idf for CorpusIdf {
    fn idf(&self, word: &str) -> Option<f32> {
        self.idf.get(word).copied()
    }
    fn unseen(&self) -> f32 {
        self.unseen
    }
}

pub struct Analyzer {
    segmenter: segment::Segmenter,
    lexicon: Lexicon,
    words: words::WordTable,
    taxonomy: Taxonomy,
    model: Model,
    textrank: bool,
}

impl Analyzer {
    /// Builds the engine with the shipped model (~150 ms: jieba's dictionary dominates).
    pub fn new() -> Self {
        Self::with_model(Model::shipped())
    }

    pub fn with_model(model: Model) -> Self {
        normalize::warm_up();
        keywords::warm_up();
        let lexicon = Lexicon::load();
        let taxonomy = Taxonomy::default_taxonomy(&lexicon.cue_list);
        let learned = words::Learned {
            weights: &model.weights,
            idf: &model.idf,
        };
        let segmenter = segment::Segmenter::new();
        let pick = |w: &str| segmenter.pick(w, None);
        let words = words::WordTable::build(&lexicon, learned, taxonomy.aspect_words(), &pick);
        Self {
            segmenter,
            lexicon,
            words,
            taxonomy,
            model,
            textrank: false,
        }
    }

    /// Keywords by TextRank instead of TF-IDF.
    pub fn use_textrank(mut self, on: bool) -> Self {
        self.textrank = on;
        self
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The workspace's taxonomy: the default one plus its categories.
    pub fn taxonomy_with(&self, custom: &[CustomCategory]) -> Taxonomy {
        Taxonomy::build(custom, &self.lexicon.cue_list, |text| {
            self.content_words(text).into_iter().collect()
        })
    }

    /// Normalised tokens of a text (what training and corpus statistics count).
    pub fn tokens(&self, text: &str, dictionary: Option<&UserDictionary>) -> Vec<String> {
        let n = normalize::normalize(text);
        self.segmenter
            .cut(&n.text, dictionary)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// Tokens worth counting as content (keyword candidates).
    pub fn content_words(&self, text: &str) -> HashSet<String> {
        self.tokens(text, None)
            .into_iter()
            .filter(|t| keywords::candidate(&self.words.info(t, &self.lexicon)))
            .collect()
    }

    pub fn analyze(&self, text: &str) -> Analysis {
        self.analyze_with(text, &WorkspaceContext::default())
    }

    pub fn analyze_with(&self, text: &str, ctx: &WorkspaceContext) -> Analysis {
        let n = normalize::normalize(text);
        if !n.language.chinese_engine() {
            return Self::unread(n);
        }
        let tokens = self.segmenter.cut(&n.text, ctx.dictionary.as_ref());
        let infos = self.words.infos(&tokens, &self.lexicon);
        let workspace: Option<&dyn WordWeights> = if ctx.weights.is_empty() {
            None
        } else {
            Some(&ctx.weights)
        };
        let taxonomy = ctx.taxonomy.as_ref().unwrap_or(&self.taxonomy);
        let ruled = self.rules(&n.text, &tokens, &infos, taxonomy, workspace);
        let stacker = &self.model.stacker;
        let decided = if stacker.is_empty() {
            ruled.sentiment
        } else {
            let mut scoring = stacker.scoring();
            ruled.features(&n.text, &tokens, &infos, taxonomy, &mut scoring);
            scoring.sentiment(self.model.params.mixed_margin)
        };
        // Praise then a complaint (挺好的，就是有点贵) is mixed, whoever decided.
        let sentiment = ruled.evidence.overrule(decided);
        // The pain points the rules find depend on whether the text complains at all.
        let pain_points = if complains(sentiment.label) == complains(ruled.sentiment.label) {
            ruled.pain_points
        } else {
            let (clauses, hits) = (&ruled.clauses, &ruled.hits);
            let complaint = complains(sentiment.label);
            taxonomy.detect(&n.text, &tokens, &infos, clauses, hits, complaint)
        };
        let aspects = taxonomy.aspects(&tokens, &infos, &ruled.clauses);
        let dictionary = ctx.dictionary.as_ref();
        let pick = |t: &str, info: &words::WordInfo| match dictionary {
            Some(d) if d.contains(t) => self.segmenter.pick(t, dictionary),
            _ if info.known => info.pick,
            _ => self.segmenter.pick(t, None),
        };
        let chooser = keywords::Chooser {
            pick: &pick,
            brands: &ctx.brands,
        };
        let keywords = if self.textrank {
            keywords::textrank(&tokens, &infos, KEYWORDS, &chooser)
        } else {
            let idf = ctx.idf.as_ref().map(|c| c as &dyn Idf);
            keywords::tfidf(
                &tokens,
                &infos,
                idf,
                self.model.unseen_idf,
                KEYWORDS,
                &chooser,
            )
        };
        drop(tokens);
        Analysis {
            normalized: n.text,
            keywords,
            sentiment,
            pain_points,
            aspects,
            topics: n.topics,
            language: n.language,
            version: ANALYZER_VERSION,
        }
    }

    /// A text in a language the engine does not read (Japanese, Korean): the language and the
    /// topics, sentiment `unknown`, and nothing the Chinese lexicons and rules would have read
    /// into it (no pain points, aspects or keywords).
    fn unread(n: normalize::Normalized) -> Analysis {
        Analysis {
            normalized: n.text,
            keywords: Vec::new(),
            sentiment: Sentiment {
                label: Label::Unknown,
                score: 0.0,
                confidence: 0.0,
            },
            pain_points: Vec::new(),
            aspects: Vec::new(),
            topics: n.topics,
            language: n.language,
            version: ANALYZER_VERSION,
        }
    }

    /// What the rules make of a normalised, cut text: their sentiment (with the pain-point
    /// triggers as evidence of complaint) and the pain points that follow from it.
    fn rules(
        &self,
        text: &str,
        tokens: &[&str],
        infos: &[words::WordInfo],
        taxonomy: &Taxonomy,
        workspace: Option<&dyn WordWeights>,
    ) -> Ruled {
        let scorer = Scorer {
            lexicon: &self.lexicon,
            params: self.model.params,
        };
        let hits = taxonomy.hits(text);
        let cues = self.lexicon.cue_list.cues(&hits.cues);
        let complaint = |range: &std::ops::Range<usize>| {
            if taxonomy.names_problem(text, &hits, range) {
                -PROBLEM_WEIGHT
            } else {
                0.0
            }
        };
        let (sentiment, clauses, evidence) =
            scorer.score(text, tokens, infos, workspace, &complaint, &cues);
        let complaint = complains(sentiment.label);
        let pain_points = taxonomy.detect(text, tokens, infos, &clauses, &hits, complaint);
        Ruled {
            sentiment,
            clauses,
            evidence,
            hits,
            pain_points,
        }
    }

    /// The rules' sentiment label of an already normalised and cut text, with the features
    /// the last stage would weigh (named): what training works from.
    pub fn training_features(&self, normalized: &str, tokens: &[&str]) -> (Label, stack::Features) {
        let infos = self.words.infos(tokens, &self.lexicon);
        let ruled = self.rules(normalized, tokens, &infos, &self.taxonomy, None);
        let mut features = stack::Features::default();
        ruled.features(normalized, tokens, &infos, &self.taxonomy, &mut features);
        (ruled.sentiment.label, features)
    }

    pub fn normalize_and_cut<'a>(&self, normalized: &'a str) -> Vec<&'a str> {
        self.segmenter.cut(normalized, None)
    }

    /// Bare segmentation of a text, for the benchmark's baseline.
    pub fn cut_only<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.segmenter.cut(text, None)
    }

    /// Analyses many texts on all cores, results in input order.
    pub fn analyze_batch(&self, texts: &[&str], ctx: &WorkspaceContext) -> Vec<Analysis> {
        in_parts(texts, |part| {
            part.iter()
                .map(|t| self.analyze_with(t, ctx))
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect()
    }
}

/// Runs `work` on consecutive parts of `items`, one part per core, and returns the parts'
/// results in order: one part (on this thread) on one core or for fewer than 64 items. A
/// caller that turns each analysis into something smaller (its JSON) does so inside `work`,
/// while the analysis is still in the cache, instead of holding them all.
pub fn in_parts<T: Sync, R: Send>(items: &[T], work: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let threads = if items.len() < 64 { 1 } else { cores() };
    if threads == 1 {
        return vec![work(items)];
    }
    let chunk = items.len().div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// The cores this process may use, read once: `available_parallelism` reads the cgroup's
/// files on every call (three opens and a stat), which a webhook's single item paid each time.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Whether a label says the text complains (what the customer-service rule asks).
fn complains(label: Label) -> bool {
    matches!(label, Label::Negative | Label::Mixed)
}

/// What the rules made of a text.
struct Ruled {
    sentiment: Sentiment,
    clauses: Vec<sentiment::ClauseView>,
    evidence: sentiment::Evidence,
    hits: painpoint::Hits,
    pain_points: Vec<String>,
}

impl Ruled {
    /// Everything the trained last stage weighs.
    fn features(
        &self,
        text: &str,
        tokens: &[&str],
        infos: &[words::WordInfo],
        taxonomy: &Taxonomy,
        out: &mut impl stack::Sink,
    ) {
        stack::extract(text, tokens, infos, &self.clauses, &self.evidence, out);
        let found = self.pain_points.iter().map(String::as_str);
        stack::extract_pains(found, taxonomy.triggered(&self.hits), out);
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod properties;
