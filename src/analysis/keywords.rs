//! Keywords: TF-IDF over the tokens the segmenter already produced (no second cut), with IDF
//! from the workspace's own corpus when it has one, else the shipped feedback-corpus IDF; and
//! TextRank as an option.
//!
//! A keyword is a word a person would pick to say what a text is about: not a numeral, a
//! measure word, a time word or a fragment jieba's HMM glued together (三天, 半个, 才付), not
//! an opinion word (太差了) unless it names a problem (闪退), not the workspace's own brand;
//! and a thing with the complaint said of it is one keyword (加载慢, 验证码收不到).

use std::borrow::Cow;

use once_cell::sync::Lazy;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use serde::Serialize;

use super::segment::Pick;
use super::words::{Negation, WordInfo};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keyword {
    pub word: String,
    /// Rounded to three decimals (f64, so JSON shows it as written).
    pub weight: f64,
}

/// Inverse document frequencies and the value used for unseen words.
pub trait Idf {
    fn idf(&self, word: &str) -> Option<f32>;
    fn unseen(&self) -> f32;
}

/// Is this token worth counting as content? Not a stop word, not an opinion word, not
/// punctuation or a number, at least two characters of Chinese or three letters of Latin
/// (emoji are kept out: they are sentiment, not topic). What a workspace's own categories
/// are built from; keywords ask more of a word (see [`Chooser`]).
pub fn candidate(info: &WordInfo) -> bool {
    // Stop words say nothing; opinion words (太差了, 失望) say how, not what about.
    !info.stop && info.sentiment.abs() < 1.0 && info.shape.keyword
}

const NOT_KEYWORDS: &str = include_str!("data/not_keywords.txt");

/// Words that are never keywords although the dictionary would allow them: vague nouns
/// (东西, 问题), time spans (天天, 半天) and exclamations (吓死).
static NOT_KEYWORD: Lazy<HashSet<&'static str>> = Lazy::new(|| {
    NOT_KEYWORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Builds the list now, at start-up, rather than in the first request.
pub fn warm_up() {
    Lazy::force(&NOT_KEYWORD);
}

/// Characters that count: digits, Chinese numerals and words of quantity.
fn numeral_char(c: char) -> bool {
    c.is_ascii_digit()
        || matches!(
            c,
            '零' | '〇'
                | '一'
                | '二'
                | '三'
                | '四'
                | '五'
                | '六'
                | '七'
                | '八'
                | '九'
                | '十'
                | '百'
                | '千'
                | '万'
                | '亿'
                | '两'
                | '半'
                | '几'
                | '数'
                | '多'
                | '俩'
                | '仨'
        )
}

/// Units that follow a number (longest first where one ends another).
const UNITS: [&str; 48] = [
    "分钟", "小时", "星期", "礼拜", "个月", "周年", "公里", "块钱", "毛钱", "个", "次", "天", "年",
    "月", "日", "号", "周", "遍", "回", "趟", "下", "件", "份", "张", "条", "倍", "块", "元", "岁",
    "斤", "秒", "点", "层", "页", "集", "章", "首", "台", "位", "名", "单", "笔", "步", "段", "句",
    "多", "来", "余",
];

/// A number with its measure word or time unit (三天, 五次, 半个, 四五十, 第一次, 两个多月,
/// 30分钟): what is counted is never the keyword.
pub fn numeral(token: &str) -> bool {
    // What is left after the prefix and the units is part of the token, so a token without
    // a numeral character is none (nearly every token: the units are not tried).
    if !token.chars().any(numeral_char) {
        return false;
    }
    let mut rest = token;
    for prefix in ["第", "每", "前", "近", "头", "整", "好"] {
        if let Some(r) = rest.strip_prefix(prefix) {
            rest = r;
            break;
        }
    }
    for _ in 0..4 {
        match UNITS
            .iter()
            .find_map(|u| rest.strip_suffix(u).filter(|r| !r.is_empty()))
        {
            Some(r) => rest = r,
            None => break,
        }
    }
    !rest.is_empty() && rest.chars().all(numeral_char)
}

/// What keyword choice needs beyond the tokens: how a token not in the word table is judged
/// (the segmenter's dictionaries, the workspace's dictionary), and the workspace's brand
/// names, which are in every text and so never the point of one.
pub struct Chooser<'a> {
    pub pick: &'a dyn Fn(&str, &WordInfo) -> Pick,
    pub brands: &'a [String],
}

impl Chooser<'_> {
    /// Could `token` be a keyword? If so, whether it is a word of complaint that names a
    /// problem (闪退).
    fn eligible(&self, token: &str, info: &WordInfo) -> Option<Eligible> {
        if info.stop || !info.shape.keyword {
            return None;
        }
        // The pick first: judged when the word table was built for nearly every token.
        let pick = (self.pick)(token, info);
        if !pick.ok || numeral(token) || NOT_KEYWORD.contains(token) {
            return None;
        }
        let opinion = info.sentiment.abs() >= 1.0;
        (!opinion || pick.problem).then_some(Eligible {
            opinion,
            verb: pick.verb,
        })
    }

    fn brand(&self, token: &str) -> bool {
        self.brands
            .iter()
            .any(|b| b == token || (token.chars().count() >= 2 && b.contains(token)))
    }
}

/// A token that may be a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Eligible {
    /// A word of complaint that names a problem (闪退): it takes no complaint after it.
    opinion: bool,
    verb: bool,
}

/// Trailing particles and leading degree words of a complaint (太慢了 → 慢).
fn core(token: &str) -> &str {
    let token = token.trim_end_matches(['了', '的', '啊', '呀', '哦', '啦', '吧', '呢']);
    for prefix in [
        "非常", "特别", "超级", "有点", "太", "很", "超", "真", "巨", "好", "挺", "蛮",
    ] {
        if let Some(rest) = token.strip_prefix(prefix).filter(|r| !r.is_empty()) {
            return rest;
        }
    }
    token
}

/// Whether the token at `at` follows another keyword directly (匹配 机制, 权限 设置): then it
/// ends a compound, and the complaint after it is said of the whole, not of it.
fn follows_keyword(at: usize, tokens: &[&str], infos: &[WordInfo], chooser: &Chooser) -> bool {
    at > 0 && chooser.eligible(tokens[at - 1], &infos[at - 1]).is_some()
}

/// Words between a keyword and its complaint that leave the two together (一直收不到,
/// 也太慢了).
const BETWEEN: [&str; 16] = [
    "一直", "总是", "老是", "经常", "也", "都", "还", "又", "老", "总", "依然", "仍然", "实在",
    "简直", "根本", "基本",
];

/// The complaint said of the keyword at `at`, if one follows it in its clause: up to three
/// tokens on, past degree words and a few adverbs (一直, 也), a word of complaint of at most three
/// characters that names no problem of its own (慢, 收不到, 失败: 加载太慢了 → 加载慢). A
/// negation, a clause's end or any other word ends the search.
fn complaint_after<'t>(
    at: usize,
    tokens: &[&'t str],
    infos: &[WordInfo],
    chooser: &Chooser,
) -> Option<&'t str> {
    for j in at + 1..tokens.len().min(at + 4) {
        let info = &infos[j];
        if info.shape.ends_clause || info.negation != Negation::None || info.prohibitive {
            return None;
        }
        if info.sentiment <= -1.0 && info.degree == 0.0 {
            let problem = (chooser.pick)(tokens[j], info).problem;
            let core = core(tokens[j]);
            let n = core.chars().count();
            return (!problem && (1..=3).contains(&n)).then_some(core);
        }
        if info.degree > 0.0 || BETWEEN.contains(&tokens[j]) {
            continue;
        }
        return None;
    }
    None
}

fn round(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

/// A brand's score is cut to this share: it may still show when nothing else is said.
const BRAND_SHARE: f32 = 0.2;

/// How much more a keyword with its complaint (加载慢) weighs than the keyword alone.
const PHRASE_BOOST: f32 = 1.2;

/// What a verb's score is multiplied by: a person names things first.
const VERB_SHARE: f32 = 0.5;

/// What the score of a word that names a problem (闪退, 白屏) is multiplied by: common in
/// feedback, so its IDF is low, yet it is what the text is about.
const PROBLEM_SHARE: f32 = 1.5;

/// TF-IDF; `idf` is the workspace's own when it has one, else the shipped IDF in `infos`.
pub fn tfidf(
    tokens: &[&str],
    infos: &[WordInfo],
    idf: Option<&dyn Idf>,
    unseen: f32,
    top: usize,
    chooser: &Chooser,
) -> Vec<Keyword> {
    // Feedback is short: a linear list beats a hash map for counting its words. Words are
    // told apart by their hashes (the word table's keys), not compared as strings. Each entry:
    // the word (or the word with its complaint), its hash, its count (then its score), the
    // shipped IDF, and whether it may be reported (a word judged not to be is kept, so that it
    // is judged once).
    struct Entry<'t> {
        token: &'t str,
        word: Cow<'t, str>,
        hash: u64,
        score: f32,
        idf: f32,
        ok: bool,
        /// What the score is multiplied by (a phrase's boost, a verb's share).
        share: f32,
    }
    let mut tf: Vec<Entry> = Vec::with_capacity(16);
    let mut n = 0.0;
    for (i, (t, info)) in tokens.iter().zip(infos).enumerate() {
        if info.stop || !info.shape.keyword {
            continue;
        }
        let entry = match tf.iter().position(|e| e.hash == info.hash) {
            Some(at) => &mut tf[at],
            None => {
                let eligible = chooser.eligible(t, info);
                tf.push(Entry {
                    token: t,
                    word: Cow::Borrowed(*t),
                    hash: info.hash,
                    score: 0.0,
                    idf: if info.idf > 0.0 { info.idf } else { unseen },
                    ok: eligible.is_some(),
                    share: 1.0,
                });
                let last = tf.len() - 1;
                if let Some(e) = eligible {
                    let joined = if e.opinion || follows_keyword(i, tokens, infos, chooser) {
                        None
                    } else {
                        complaint_after(i, tokens, infos, chooser)
                    };
                    match joined {
                        Some(c) => {
                            tf[last].word = Cow::Owned(format!("{t}{c}"));
                            tf[last].share = PHRASE_BOOST;
                        }
                        None if e.opinion => tf[last].share = PROBLEM_SHARE,
                        None if e.verb => tf[last].share = VERB_SHARE,
                        None => {}
                    }
                }
                &mut tf[last]
            }
        };
        if entry.ok {
            entry.score += 1.0;
            n += 1.0;
        }
    }
    tf.retain(|e| e.ok);
    for e in &mut tf {
        // The workspace's IDF is for words: a phrase is scored by its keyword's.
        let idf = idf.map_or(e.idf, |i| i.idf(e.token).unwrap_or_else(|| i.unseen()));
        e.score = e.score / n * idf * e.share;
        if chooser.brand(&e.word) {
            e.score *= BRAND_SHARE;
        }
    }
    best(tf, top, |e| (&e.word, e.score))
}

/// TextRank over co-occurrence within a window of five candidate tokens.
pub fn textrank(
    tokens: &[&str],
    infos: &[WordInfo],
    top: usize,
    chooser: &Chooser,
) -> Vec<Keyword> {
    let words: Vec<&str> = tokens
        .iter()
        .zip(infos)
        .filter(|(t, i)| chooser.eligible(t, i).is_some())
        .map(|(t, _)| *t)
        .collect();
    let mut index: HashMap<&str, usize> = HashMap::default();
    for w in &words {
        let next = index.len();
        index.entry(w).or_insert(next);
    }
    let n = index.len();
    if n == 0 {
        return Vec::new();
    }
    let mut edges: Vec<HashMap<usize, f32>> = vec![HashMap::default(); n];
    for (i, a) in words.iter().enumerate() {
        for b in words.iter().skip(i + 1).take(4) {
            let (ia, ib) = (index[a], index[b]);
            if ia != ib {
                *edges[ia].entry(ib).or_default() += 1.0;
                *edges[ib].entry(ia).or_default() += 1.0;
            }
        }
    }
    let out_sum: Vec<f32> = edges.iter().map(|e| e.values().sum()).collect();
    let mut rank = vec![1.0f32; n];
    for _ in 0..30 {
        let mut next = vec![0.15f32; n];
        for (i, e) in edges.iter().enumerate() {
            for (j, w) in e {
                next[*j] += 0.85 * rank[i] * w / out_sum[i];
            }
        }
        rank = next;
    }
    let max = rank.iter().copied().fold(f32::MIN, f32::max).max(1e-6);
    let scored: Vec<(&str, f32)> = index
        .iter()
        .map(|(w, i)| {
            let share = if chooser.brand(w) { BRAND_SHARE } else { 1.0 };
            (*w, rank[*i] / max * share)
        })
        .collect();
    best(scored, top, |(w, s)| (w, *s))
}

/// The `top` best-scored words, best first (ties by word, so results are stable).
fn best<T>(mut scored: Vec<T>, top: usize, of: impl Fn(&T) -> (&str, f32)) -> Vec<Keyword> {
    scored.sort_by(|a, b| {
        let (a, b) = (of(a), of(b));
        b.1.total_cmp(&a.1).then(a.0.cmp(b.0))
    });
    scored
        .iter()
        .take(top)
        .map(|e| {
            let (w, s) = of(e);
            Keyword {
                word: w.to_owned(),
                weight: round(s),
            }
        })
        .collect()
}
