//! The hand-written word lists the engine reads (see `data/README.md`): sentiment weights,
//! negations, degree words, stop words, contrast markers, sarcasm cues, request and question
//! markers. Compiled into the binary and parsed once.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

const SENTIMENT: &str = include_str!("data/sentiment.tsv");
const NEGATIONS: &str = include_str!("data/negations.txt");
const DEGREE: &str = include_str!("data/degree.tsv");
const STOPWORDS: &str = include_str!("data/stopwords.txt");
const CONTRAST: &str = include_str!("data/contrast.txt");
const SARCASM: &str = include_str!("data/sarcasm.txt");
const REQUESTS: &str = include_str!("data/requests.txt");
const QUESTIONS: &str = include_str!("data/questions.txt");

/// Which list a cue phrase belongs to (a phrase may be in several).
pub mod cue {
    pub const RESOLUTION: u8 = 1;
    pub const NOT_OURS: u8 = 2;
    pub const COMPLAINT_QUESTION: u8 = 4;
    pub const QUESTION: u8 = 8;
    pub const REQUEST: u8 = 16;
    pub const SARCASM: u8 = 32;
}

/// Every cue phrase found in one text, by byte range: one scan serves every clause.
#[derive(Debug, Clone, Default)]
pub struct Cues {
    hits: Vec<(usize, usize, u8)>,
}

/// The cue phrases of every list, each once, with the lists it is in (`cue::*` bits): the
/// taxonomy searches them together with its triggers and aspects, and the matches are read
/// back here.
#[derive(Debug, Clone, Default)]
pub struct CueList {
    pub phrases: Vec<String>,
    pub kinds: Vec<u8>,
}

impl CueList {
    /// The cues among a scan's matches of `phrases`.
    pub fn cues(&self, matches: &[(usize, usize, usize)]) -> Cues {
        Cues {
            hits: matches
                .iter()
                .map(|(s, e, p)| (*s, *e, self.kinds[*p]))
                .collect(),
        }
    }
}

impl Cues {
    /// Is there a cue of `kind` inside `range`?
    pub fn any(&self, range: &std::ops::Range<usize>, kind: u8) -> bool {
        self.hits
            .iter()
            .any(|(s, e, k)| k & kind != 0 && *s >= range.start && *e <= range.end)
    }

    /// Does a cue of `kind` start `range`?
    pub fn starts(&self, range: &std::ops::Range<usize>, kind: u8) -> bool {
        self.hits
            .iter()
            .any(|(s, e, k)| k & kind != 0 && *s == range.start && *e <= range.end)
    }

    /// Cues of `kind` inside `range`, as byte ranges.
    pub fn each(
        &self,
        range: &std::ops::Range<usize>,
        kind: u8,
    ) -> impl Iterator<Item = (usize, usize)> + '_ {
        let range = range.clone();
        self.hits
            .iter()
            .filter(move |(s, e, k)| k & kind != 0 && *s >= range.start && *e <= range.end)
            .map(|(s, e, _)| (*s, *e))
    }
}

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
    /// Question words of two or more characters (怎么, 请问 …), matched anywhere.
    pub questions: Vec<String>,
    /// One-character question particles (吗, 呢 …), which ask only at the end of a clause.
    pub question_particles: Vec<char>,
    pub complaint_questions: Vec<String>,
    /// Said of a problem that is over (修好了, 解决了, 不再): its complaint no longer counts.
    pub resolution: Vec<String>,
    /// A clause about someone else's product, or a fear that did not come true (隔壁那家…,
    /// 原以为…), reports no problem of this one.
    pub not_ours: Vec<String>,
    pub cue_list: CueList,
}

const RESOLUTION: [&str; 18] = [
    "修复了",
    "修好了",
    "修好",
    "解决了",
    "已解决",
    "恢复正常",
    "正常了",
    "好多了",
    "改善",
    "终于好了",
    "优化了",
    "不再",
    "没再",
    "再也没",
    "已经好了",
    "恢复了",
    "没有再",
    "都好了",
];
const NOT_OURS: [&str; 14] = [
    "隔壁",
    "别家",
    "别的app",
    "其他app",
    "某某",
    "竞品",
    "原以为",
    "以为",
    "本来担心",
    "还担心",
    "担心会",
    "怕会",
    "原本以为",
    "之前用的",
];

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
    fn with_cue_list(mut self) -> Self {
        let mut kinds: std::collections::BTreeMap<String, u8> = std::collections::BTreeMap::new();
        let lists = [
            (&self.resolution, cue::RESOLUTION),
            (&self.not_ours, cue::NOT_OURS),
            (&self.complaint_questions, cue::COMPLAINT_QUESTION),
            (&self.questions, cue::QUESTION),
            (&self.requests, cue::REQUEST),
            (&self.sarcasm, cue::SARCASM),
        ];
        for (list, kind) in lists {
            for p in list {
                *kinds.entry(p.clone()).or_default() |= kind;
            }
        }
        self.cue_list = CueList {
            phrases: kinds.keys().cloned().collect(),
            kinds: kinds.into_values().collect(),
        };
        self
    }

    pub fn load() -> Self {
        let negation_weak: HashSet<String> = words_in(NEGATIONS, &["weak"]).into_iter().collect();
        let negation_strong = lines(NEGATIONS)
            .map(|(_, l)| l.to_owned())
            .filter(|w| !negation_weak.contains(w))
            .collect();
        let question_words: Vec<String> = lines(QUESTIONS)
            .filter(|(s, _)| *s != "complaint")
            .map(|(_, l)| l.to_owned())
            .collect();
        let all_contrast = |wanted: &[&str]| {
            words_in(CONTRAST, wanted)
                .into_iter()
                .collect::<HashSet<_>>()
        };
        Self {
            sentiment: weighted(SENTIMENT),
            negation_strong,
            negation_weak,
            degree: weighted(DEGREE),
            stopwords: lines(STOPWORDS).map(|(_, l)| l.to_owned()).collect(),
            contrast_after: all_contrast(&["after"]),
            contrast_concessive: all_contrast(&["concessive"]),
            // Quote marks are read by the quoted-praise rule, not as cues on their own.
            sarcasm: lines(SARCASM)
                .filter(|(s, _)| *s != "quotes")
                .map(|(_, l)| l.to_owned())
                .collect(),
            requests: lines(REQUESTS).map(|(_, l)| l.to_owned()).collect(),
            questions: question_words
                .iter()
                .filter(|q| q.chars().count() > 1)
                .cloned()
                .collect(),
            question_particles: question_words
                .iter()
                .filter(|q| q.chars().count() == 1)
                .filter_map(|q| q.chars().next())
                .collect(),
            complaint_questions: words_in(QUESTIONS, &["complaint"]),
            resolution: RESOLUTION.iter().map(|s| (*s).to_owned()).collect(),
            not_ours: NOT_OURS.iter().map(|s| (*s).to_owned()).collect(),
            cue_list: CueList::default(),
        }
        .with_cue_list()
    }
}
