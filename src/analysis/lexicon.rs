//! The hand-written word lists the engine reads (see `data/README.md`): sentiment weights,
//! negations, degree words, stop words, contrast markers, sarcasm cues, request and question
//! markers. Compiled into the binary and parsed once.

use std::collections::{HashMap, HashSet};

const SENTIMENT: &str = include_str!("data/sentiment.tsv");
const NEGATIONS: &str = include_str!("data/negations.txt");
const DEGREE: &str = include_str!("data/degree.tsv");
const STOPWORDS: &str = include_str!("data/stopwords.txt");
const CONTRAST: &str = include_str!("data/contrast.txt");
const SARCASM: &str = include_str!("data/sarcasm.txt");
const REQUESTS: &str = include_str!("data/requests.txt");
const QUESTIONS: &str = include_str!("data/questions.txt");

pub struct Lexicon {
    pub sentiment: HashMap<String, f32>,
    pub negation_strong: HashSet<String>,
    pub negation_weak: HashSet<String>,
    pub degree: HashMap<String, f32>,
    pub stopwords: HashSet<String>,
    pub contrast_after: HashSet<String>,
    pub contrast_concessive: HashSet<String>,
    pub sarcasm: Vec<String>,
    pub requests: Vec<String>,
    pub questions: Vec<String>,
    pub complaint_questions: Vec<String>,
}

/// Non-empty, non-comment lines, with the section (`# name` line) each falls under.
fn lines(src: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut section = "";
    src.lines().filter_map(move |l| {
        let l = l.trim();
        if let Some(name) = l.strip_prefix('#') {
            let name = name.trim();
            // Only one-word headers name a section; longer comment lines are notes.
            if !name.contains(' ') && !name.is_empty() {
                section = name;
            }
            return None;
        }
        (!l.is_empty()).then_some((section, l))
    })
}

fn weighted(src: &str) -> HashMap<String, f32> {
    lines(src)
        .filter_map(|(_, l)| {
            let (w, v) = l.split_once('\t').or_else(|| l.rsplit_once(' '))?;
            Some((w.trim().to_owned(), v.trim().parse().ok()?))
        })
        .collect()
}

fn words_in(src: &str, wanted: &[&str]) -> Vec<String> {
    lines(src)
        .filter(|(s, _)| wanted.contains(s))
        .map(|(_, l)| l.split('\t').next().unwrap_or(l).trim().to_owned())
        .collect()
}

impl Lexicon {
    pub fn load() -> Self {
        let negation_weak: HashSet<String> = words_in(NEGATIONS, &["weak"]).into_iter().collect();
        let negation_strong = lines(NEGATIONS)
            .map(|(_, l)| l.to_owned())
            .filter(|w| !negation_weak.contains(w))
            .collect();
        let all_contrast = |wanted: &[&str]| words_in(CONTRAST, wanted).into_iter().collect::<HashSet<_>>();
        Self {
            sentiment: weighted(SENTIMENT),
            negation_strong,
            negation_weak,
            degree: weighted(DEGREE),
            stopwords: lines(STOPWORDS).map(|(_, l)| l.to_owned()).collect(),
            contrast_after: all_contrast(&["after"]),
            contrast_concessive: all_contrast(&["concessive"]),
            // Quote marks are read by the quoted-praise rule, not as cues on their own.
            sarcasm: lines(SARCASM).filter(|(s, _)| *s != "quotes").map(|(_, l)| l.to_owned()).collect(),
            requests: lines(REQUESTS).map(|(_, l)| l.to_owned()).collect(),
            questions: lines(QUESTIONS)
                .filter(|(s, _)| *s != "complaint")
                .map(|(_, l)| l.to_owned())
                .collect(),
            complaint_questions: words_in(QUESTIONS, &["complaint"]),
        }
    }
}
