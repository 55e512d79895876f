//! Pain points: the default taxonomy (`data/painpoints.tsv`) plus a workspace's own categories,
//! matched clause by clause with the sentiment of each clause; aspect–opinion pairs
//! (物流→慢, 客服→态度差); and grouping of complaints that fit no category into emerging
//! clusters labelled by their top keywords.

use std::collections::BTreeMap;

use once_cell::sync::Lazy;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::lexicon::CueList;
use super::phrases::{Mode, PhraseSet};
use serde::{Deserialize, Serialize};

use std::ops::Range;

use super::sentiment::ClauseView;
use super::words::{Negation, WordInfo};

const DEFAULT_TAXONOMY: &str = include_str!("data/painpoints.tsv");

/// The twelve default categories, in a stable order.
pub const DEFAULT_IDS: [&str; 12] = [
    "crash",
    "slow",
    "login",
    "payment",
    "customer_service",
    "price",
    "ads",
    "ui",
    "bug",
    "feature_request",
    "privacy",
    "delivery",
];

/// Negations that, right before a trigger, deny the problem (不卡, 没有广告, 一点都不卡).
const DENIALS: [&str; 29] = [
    "不",
    "没什么",
    "没啥",
    "没有更多",
    "没有其他",
    "暂无",
    "没",
    "没有",
    "无",
    "不会",
    "从不",
    "从没",
    "一点都不",
    "一点也不",
    "没怎么",
    "不怎么",
    "并不",
    "并没有",
    "毫无",
    "零",
    "不算",
    "不是",
    "没遇到",
    "没遇到过",
    "没有遇到",
    "没碰到",
    "从没遇到",
    "不用担心",
    "不担心",
];
/// A request to fix something, or to stop a problem (别再, 不要再), is not a feature request.
const FIX_WORDS: [&str; 11] = [
    "修",
    "解决",
    "处理",
    "退款",
    "赔",
    "改回",
    "恢复",
    "尽快",
    "别再",
    "不要再",
    "不要老",
];

#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub custom: bool,
}

/// A workspace's own category: matched by its keywords, and by likeness to its examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomCategory {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aspect {
    pub aspect: String,
    pub opinion: String,
    pub polarity: f32,
}

struct Trigger {
    category: usize,
    weak: bool,
}

/// Trigger, aspect and cue-phrase matches in a text, (start, end, phrase): all found in one
/// pass over the text. The cue matches index the lexicon's [`CueList`], which reads them.
pub struct Hits {
    triggers: Vec<(usize, usize, usize)>,
    aspects: Vec<(usize, usize, usize)>,
    pub cues: Vec<(usize, usize, usize)>,
}

pub struct Taxonomy {
    pub categories: Vec<Category>,
    /// Three lists searched together, one pass over the text instead of three: triggers and
    /// aspects (leftmost-longest) and the lexicon's cue phrases (overlapping).
    phrases: PhraseSet,
    trigger_meta: Vec<Vec<Trigger>>,
    aspect_meta: Vec<Vec<usize>>,
    aspect_words: HashSet<String>,
    /// Normalised content-token sets of custom categories' examples, by category index.
    examples: Vec<(usize, HashSet<String>)>,
}

impl Taxonomy {
    pub fn default_taxonomy(cues: &CueList) -> Self {
        Self::build(&[], cues, |_| HashSet::default())
    }

    /// The default taxonomy plus custom categories; `tokens` turns an example sentence into
    /// its content words (the analyzer's own segmentation).
    pub fn build(
        custom: &[CustomCategory],
        cues: &CueList,
        tokens: impl Fn(&str) -> HashSet<String>,
    ) -> Self {
        let mut categories = Vec::new();
        let mut trigger_words: BTreeMap<String, Vec<Trigger>> = BTreeMap::new();
        let mut aspect_words: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for line in DEFAULT_TAXONOMY
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let cols: Vec<&str> = line.split('\t').collect();
            let idx = categories.len();
            categories.push(Category {
                id: cols[0].to_owned(),
                name: cols.get(1).map_or_else(String::new, |s| (*s).to_owned()),
                custom: false,
            });
            for t in cols
                .get(2)
                .unwrap_or(&"")
                .split('|')
                .filter(|t| !t.is_empty())
            {
                let (word, weak) = t.strip_prefix('~').map_or((t, false), |w| (w, true));
                trigger_words
                    .entry(word.to_owned())
                    .or_default()
                    .push(Trigger {
                        category: idx,
                        weak,
                    });
            }
            for a in cols
                .get(3)
                .unwrap_or(&"")
                .split('|')
                .filter(|a| !a.is_empty())
            {
                aspect_words.entry(a.to_owned()).or_default().push(idx);
            }
        }
        let mut examples = Vec::new();
        for c in custom {
            let idx = categories.len();
            categories.push(Category {
                id: c.id.clone(),
                name: c.name.clone(),
                custom: true,
            });
            for k in &c.keywords {
                let k = super::normalize::normalize(k).text;
                if !k.is_empty() {
                    trigger_words.entry(k).or_default().push(Trigger {
                        category: idx,
                        weak: false,
                    });
                }
            }
            for e in &c.examples {
                let set = tokens(e);
                if !set.is_empty() {
                    examples.push((idx, set));
                }
            }
        }
        let trigger_list: Vec<String> = trigger_words.keys().cloned().collect();
        let aspect_list: Vec<String> = aspect_words.keys().cloned().collect();
        let aspect_set: HashSet<String> = aspect_list.iter().cloned().collect();
        let phrases = PhraseSet::with_lists(&[
            (Mode::Longest, &trigger_list[..]),
            (Mode::Longest, &aspect_list[..]),
            (Mode::Overlapping, &cues.phrases[..]),
        ]);
        Self {
            categories,
            phrases,
            trigger_meta: trigger_words.into_values().collect(),
            aspect_meta: aspect_words.into_values().collect(),
            aspect_words: aspect_set,
            examples,
        }
    }

    /// Every trigger and aspect in a text (leftmost-longest) and every cue phrase, found once
    /// for all its clauses.
    pub fn hits(&self, text: &str) -> Hits {
        let [triggers, aspects, cues] = self.phrases.scan::<3>(text);
        Hits {
            triggers,
            aspects,
            cues,
        }
    }

    /// Does this clause name a problem (a strong trigger, not denied)? Used as evidence of a
    /// complaint by the sentiment scorer (which leaves out fixed problems and other products').
    pub fn names_problem(&self, text: &str, hits: &Hits, range: &Range<usize>) -> bool {
        hits.triggers
            .iter()
            .filter(|(s, e, _)| *s >= range.start && *e <= range.end)
            .any(|(s, e, p)| {
                !denied(&text[range.start..*s])
                    && !denied_after(&text[*e..range.end])
                    && self.trigger_meta[*p]
                        .iter()
                        .any(|t| !t.weak && self.categories[t.category].id != "feature_request")
            })
    }

    /// The categories whose trigger words a text holds at all (denied, praised or fixed
    /// alike), each once: evidence for the trained last stage.
    pub fn triggered(&self, hits: &Hits) -> impl Iterator<Item = &str> {
        let mut on = Flags::new(self.categories.len());
        for (_, _, p) in &hits.triggers {
            for t in &self.trigger_meta[*p] {
                on.set(t.category);
            }
        }
        self.marked(on).map(|c| c.id.as_str())
    }

    /// The categories whose flag is set, in taxonomy order.
    fn marked(&self, flags: Flags) -> impl Iterator<Item = &Category> {
        self.categories
            .iter()
            .enumerate()
            .filter(move |(i, _)| flags.get(*i))
            .map(|(_, c)| c)
    }

    #[cfg(test)]
    pub fn trigger_list(&self) -> Vec<String> {
        self.phrases.phrases(0).map(str::to_owned).collect()
    }

    #[cfg(test)]
    pub fn aspect_list(&self) -> Vec<String> {
        self.phrases.phrases(1).map(str::to_owned).collect()
    }

    /// Every aspect word, for the word table.
    pub fn aspect_words(&self) -> impl Iterator<Item = String> + '_ {
        self.aspect_words.iter().cloned()
    }

    /// Category ids found in the text, in taxonomy order.
    #[allow(clippy::too_many_arguments)]
    pub fn detect(
        &self,
        text: &str,
        tokens: &[&str],
        infos: &[WordInfo],
        clauses: &[ClauseView],
        hits: &Hits,
        complaint: bool,
    ) -> Vec<String> {
        let mut found = Flags::new(self.categories.len());
        for clause in clauses {
            let range = clause.span.clone();
            let Some(span) = text.get(range.clone()) else {
                continue;
            };
            if clause.past || clause.resolved || clause.not_ours {
                continue;
            }
            let praise = clause.raw >= 1.0;
            // Aspects matter only beside a weak trigger or in a negative clause: found then.
            let aspect_cats = || -> Vec<usize> {
                hits.aspects
                    .iter()
                    .filter(|(s, e, _)| *s >= range.start && *e <= range.end)
                    .flat_map(|(_, _, p)| self.aspect_meta[*p].iter().copied())
                    .collect()
            };
            let mut strong_in_clause: Vec<usize> = Vec::new();
            let mut weak_hits: Vec<usize> = Vec::new();
            {
                for (start, end, pattern) in hits
                    .triggers
                    .iter()
                    .filter(|(s, e, _)| *s >= range.start && *e <= range.end)
                {
                    let (before, after) = (&text[range.start..*start], &text[*end..range.end]);
                    if denied(before) || denied_after(after) {
                        continue;
                    }
                    for t in &self.trigger_meta[*pattern] {
                        let id = self.categories[t.category].id.as_str();
                        if id == "feature_request" {
                            if !FIX_WORDS.iter().any(|f| after.contains(f)) {
                                found.set(t.category);
                            }
                            continue;
                        }
                        if praise {
                            continue;
                        }
                        if t.weak {
                            weak_hits.push(t.category);
                        } else {
                            strong_in_clause.push(t.category);
                        }
                    }
                }
            }
            let needs_aspects = !weak_hits.is_empty() || clause.raw <= -0.5;
            let aspect_cats = if needs_aspects {
                aspect_cats()
            } else {
                Vec::new()
            };
            for cat in weak_hits {
                // A weak trigger yields to another category named in the clause.
                let other_aspect = aspect_cats
                    .iter()
                    .chain(strong_in_clause.iter())
                    .any(|c| *c != cat);
                if !other_aspect {
                    strong_in_clause.push(cat);
                }
            }
            if strong_in_clause.is_empty() && clause.raw <= -0.5 {
                for cat in &aspect_cats {
                    if self.categories[*cat].id != "feature_request" {
                        found.set(*cat);
                    }
                }
            }
            // In a complaint, bringing customer service into it (找客服, 客服说…) reports it:
            // nobody mentions them in a complaint when they helped.
            if complaint && clause.raw < 0.3 && span.contains("客服") {
                if let Some(cat) = self
                    .categories
                    .iter()
                    .position(|c| c.id == "customer_service")
                {
                    found.set(cat);
                }
            }
            for cat in strong_in_clause {
                found.set(cat);
            }
        }
        if !self.examples.is_empty() {
            let words: HashSet<&str> = tokens
                .iter()
                .copied()
                .zip(infos)
                .filter(|(_, i)| !i.stop)
                .map(|(t, _)| t)
                .collect();
            for (cat, example) in &self.examples {
                let shared = example
                    .iter()
                    .filter(|w| words.contains(w.as_str()))
                    .count();
                let union = example.len() + words.len() - shared;
                if union > 0 && shared as f32 / union as f32 >= 0.35 {
                    found.set(*cat);
                }
            }
        }
        self.marked(found).map(|c| c.id.clone()).collect()
    }

    /// Aspect–opinion pairs: an aspect word followed, within a few tokens of its clause, by an
    /// opinion word (物流 太 慢 → 物流/慢; 客服 态度 很 差 → 客服/态度差).
    pub fn aspects(
        &self,
        tokens: &[&str],
        infos: &[WordInfo],
        clauses: &[ClauseView],
    ) -> Vec<Aspect> {
        let mut out: Vec<Aspect> = Vec::new();
        for clause in clauses {
            let toks = &tokens[clause.tokens.clone()];
            let info = &infos[clause.tokens.clone()];
            let mut i = 0;
            while i < toks.len() {
                if !info[i].aspect {
                    i += 1;
                    continue;
                }
                let mut opinion = String::new();
                let mut negated = false;
                let mut polarity = 0.0;
                let mut j = i + 1;
                while j < toks.len() && j <= i + 4 {
                    let (t, ti) = (toks[j], &info[j]);
                    if ti.lexical && ti.negation == Negation::None && ti.degree == 0.0 {
                        let w = ti.sentiment;
                        polarity = if negated { -w * 0.8 } else { w };
                        opinion.push_str(t);
                        break;
                    }
                    if ti.negation != Negation::None {
                        negated = !negated;
                        opinion.push_str(t);
                    } else if ti.aspect && opinion.is_empty() {
                        opinion.push_str(t);
                    } else if ti.degree == 0.0 && !ti.stop {
                        break;
                    }
                    j += 1;
                }
                if polarity != 0.0 {
                    let pair = Aspect {
                        aspect: toks[i].to_owned(),
                        opinion,
                        polarity: (polarity * 100.0).round() / 100.0,
                    };
                    if !out
                        .iter()
                        .any(|a| a.aspect == pair.aspect && a.opinion == pair.opinion)
                    {
                        out.push(pair);
                    }
                    i = j + 1;
                } else {
                    i += 1;
                }
            }
        }
        out
    }
}

/// Category indices found in one text: the first 64 in one word (no allocation for the
/// default twelve and a workspace's first additions), any beyond in a vector.
struct Flags {
    low: u64,
    high: Vec<bool>,
}

impl Flags {
    fn new(categories: usize) -> Self {
        Self {
            low: 0,
            high: vec![false; categories.saturating_sub(64)],
        }
    }

    fn set(&mut self, i: usize) {
        match i.checked_sub(64) {
            None => self.low |= 1 << i,
            Some(j) => {
                if let Some(f) = self.high.get_mut(j) {
                    *f = true;
                }
            }
        }
    }

    fn get(&self, i: usize) -> bool {
        match i.checked_sub(64) {
            None => self.low & (1 << i) != 0,
            Some(j) => self.high.get(j).copied().unwrap_or(false),
        }
    }
}

/// Said right after a problem, these deny it (延迟都没有, 广告很少).
const AFTER_DENIALS: [&str; 14] = [
    "都没有",
    "也没有",
    "都没",
    "也没",
    "没有了",
    "全无",
    "为零",
    "都不",
    "少",
    "很少",
    "极少",
    "不多",
    "不强制",
    "一次都没",
];

/// Phrases by one of their characters (the last for denials before a trigger, the first for
/// those after it): a trigger is checked for denial in every clause it is in, so a lookup of
/// one character replaces a comparison with every phrase.
fn index_by(
    phrases: &'static [&'static str],
    at: fn(&str) -> Option<char>,
) -> HashMap<char, Vec<&'static str>> {
    let mut index: HashMap<char, Vec<&'static str>> = HashMap::default();
    for p in phrases {
        if let Some(c) = at(p) {
            index.entry(c).or_default().push(p);
        }
    }
    index
}

static DENIALS_BY_LAST: Lazy<HashMap<char, Vec<&'static str>>> =
    Lazy::new(|| index_by(&DENIALS, |p| p.chars().next_back()));
static AFTER_DENIALS_BY_FIRST: Lazy<HashMap<char, Vec<&'static str>>> =
    Lazy::new(|| index_by(&AFTER_DENIALS, |p| p.chars().next()));

/// Whether the last four characters before a trigger deny it.
fn denied(before: &str) -> bool {
    let start = before.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
    let tail = before[start..].trim_end();
    tail.chars()
        .next_back()
        .and_then(|last| DENIALS_BY_LAST.get(&last))
        .is_some_and(|ds| ds.iter().any(|d| tail.ends_with(d)))
}

fn denied_after(after: &str) -> bool {
    let head = after.trim_start();
    head.chars()
        .next()
        .and_then(|first| AFTER_DENIALS_BY_FIRST.get(&first))
        .is_some_and(|ds| ds.iter().any(|d| head.starts_with(d)))
}

/// A group of complaints that fit no category, named by the keywords they share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Stable across runs for the same keywords: `cluster:` and the label.
    pub id: String,
    pub label: String,
    pub keywords: Vec<String>,
    pub members: Vec<String>,
}

/// Groups uncategorised complaints by shared keywords: each keyword that at least
/// `min_size` items share seeds a cluster (most shared first), an item joins the first
/// cluster whose seed it has, and the label is the cluster's top three keywords.
pub fn cluster_emerging(items: &[(String, Vec<String>)], min_size: usize) -> Vec<Cluster> {
    let mut by_word: HashMap<&str, Vec<usize>> = HashMap::default();
    for (i, (_, words)) in items.iter().enumerate() {
        let unique: HashSet<&str> = words.iter().map(String::as_str).collect();
        for w in unique {
            by_word.entry(w).or_default().push(i);
        }
    }
    let mut seeds: Vec<(&str, Vec<usize>)> = by_word
        .into_iter()
        .filter(|(_, v)| v.len() >= min_size)
        .collect();
    seeds.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let mut taken = vec![false; items.len()];
    let mut clusters = Vec::new();
    for (seed, members) in seeds {
        let free: Vec<usize> = members.into_iter().filter(|i| !taken[*i]).collect();
        if free.len() < min_size {
            continue;
        }
        let mut counts: HashMap<&str, usize> = HashMap::default();
        for i in &free {
            taken[*i] = true;
            for w in &items[*i].1 {
                *counts.entry(w.as_str()).or_default() += 1;
            }
        }
        let mut top: Vec<(&str, usize)> = counts
            .into_iter()
            .filter(|(_, c)| *c * 2 >= free.len() || *c >= 2)
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut keywords: Vec<String> = vec![seed.to_owned()];
        keywords.extend(
            top.iter()
                .map(|(w, _)| w.to_string())
                .filter(|w| w != seed)
                .take(2),
        );
        let label = keywords.join("·");
        clusters.push(Cluster {
            id: format!("cluster:{label}"),
            label,
            keywords,
            members: free.iter().map(|i| items[*i].0.clone()).collect(),
        });
    }
    clusters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_taxonomy_has_the_twelve_ids() {
        let t = Taxonomy::default_taxonomy(&CueList::default());
        let ids: Vec<&str> = t.categories.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, DEFAULT_IDS);
        assert!(t.categories.iter().all(|c| !c.name.is_empty()));
    }

    #[test]
    fn clusters_group_by_shared_keywords() {
        let items = vec![
            (
                "a".to_owned(),
                vec!["夜间模式".to_owned(), "刺眼".to_owned()],
            ),
            (
                "b".to_owned(),
                vec!["夜间模式".to_owned(), "晚上".to_owned()],
            ),
            (
                "c".to_owned(),
                vec!["夜间模式".to_owned(), "刺眼".to_owned()],
            ),
            ("d".to_owned(), vec!["客服".to_owned()]),
        ];
        let c = cluster_emerging(&items, 2);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].members, ["a", "b", "c"]);
        assert_eq!(c[0].label, "夜间模式·刺眼");
        assert_eq!(c[0].id, "cluster:夜间模式·刺眼");
    }
}
