//! Segmentation: jieba-rs (HMM on) with the shipped domain dictionary, behind our own type so
//! a change in jieba's API touches this file only. A workspace's own words (product names,
//! features) are matched first and kept whole; jieba cuts the text between them.

use aho_corasick::{AhoCorasick, MatchKind};
use jieba_rs::Jieba;

const DOMAIN_DICT: &str = include_str!("data/domain_dict.txt");

pub struct Segmenter {
    jieba: Jieba,
    /// The shipped domain dictionary's words that name a problem (闪退, 白屏, 掉线: nouns
    /// and verbs): a keyword may be one of them although it weighs as a complaint.
    problems: rustc_hash::FxHashSet<Box<str>>,
}

/// Whether a person would pick a token as a keyword, judged by the dictionary it came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pick {
    /// A word a person could pick: not a fragment the HMM glued together, not a numeral,
    /// measure word, time word, adverb, pronoun or particle.
    pub ok: bool,
    /// A word of the domain dictionary that names a problem (闪退): a keyword although it
    /// weighs as a complaint.
    pub problem: bool,
    /// A verb (打开, 申请, 加载): a keyword less often than a noun.
    pub verb: bool,
}

/// Part-of-speech tags of jieba's dictionary that never make a keyword: numerals (m, mq),
/// measure words (q), time words (t, tg), adverbs (d, ad, dg), pronouns (r, rr, rz …),
/// prepositions (p), conjunctions (c), particles (u…), modal particles (y), interjections
/// (e), onomatopoeia (o), directions (f), status words (z), prefixes and suffixes (h, k),
/// plain adjectives (a: 严重, 频繁 say how, not what), idioms and set phrases (i, l: 一清二楚,
/// 说不清楚). Adjectival nouns (an) and nouns of every kind stay.
fn tag_never_keyword(tag: &str) -> bool {
    let first = tag.chars().next().unwrap_or('x');
    matches!(
        first,
        'm' | 'q'
            | 't'
            | 'd'
            | 'r'
            | 'p'
            | 'c'
            | 'u'
            | 'y'
            | 'e'
            | 'o'
            | 'f'
            | 'z'
            | 'h'
            | 'k'
            | 'i'
            | 'l'
    ) || matches!(tag, "ad" | "a" | "ag")
}

/// A word that opens with a negation, a degree word or a modal (不能, 没有, 太小, 很大, 只能,
/// 被扣), or a verb with a potential complement (查不到), says how or whether, not what;
/// unless the dictionary calls it a noun (不锈钢), and a degree word or 被 never opens a
/// keyword.
fn opens_with_how(word: &str, tag: &str) -> bool {
    // A verb with a potential complement (查不到, 出不来, 看得见) says whether it can be done.
    let mut chars = word.chars();
    let count = word.chars().count();
    if count == 3 && matches!(chars.nth(1), Some('不' | '得')) {
        return true;
    }
    // The same with a two-character complement (认不出来, 想不起来, 看不清楚).
    if count == 4
        && matches!(word.chars().nth(1), Some('不' | '得'))
        && word
            .char_indices()
            .nth(2)
            .is_some_and(|(at, _)| TWO_CHARACTER_COMPLEMENTS.contains(&&word[at..]))
    {
        return true;
    }
    match word.chars().next() {
        Some('太' | '很' | '挺' | '超' | '被') => true,
        Some('不' | '没' | '才' | '只' | '别' | '未' | '就') => !tag.starts_with('n'),
        _ => false,
    }
}

/// Complements of two characters after 不 or 得 (认不出来, 看得清楚).
const TWO_CHARACTER_COMPLEMENTS: [&str; 14] = [
    "出来", "起来", "回来", "下来", "上来", "过来", "进来", "出去", "进去", "过去", "下去", "上去",
    "清楚", "明白",
];

/// A workspace's dictionary, compiled for matching.
#[derive(Debug, Clone)]
pub struct UserDictionary {
    words: Vec<String>,
    matcher: Option<AhoCorasick>,
}

impl UserDictionary {
    /// Words are normalised like the text they are matched against.
    pub fn new(words: impl IntoIterator<Item = String>) -> Self {
        let mut words: Vec<String> = words
            .into_iter()
            .map(|w| super::normalize::normalize(&w).text)
            .filter(|w| !w.trim().is_empty())
            .collect();
        words.sort();
        words.dedup();
        let matcher = if words.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&words)
                .ok()
        };
        Self { words, matcher }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn contains(&self, word: &str) -> bool {
        self.words
            .binary_search_by(|w| w.as_str().cmp(word))
            .is_ok()
    }
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl Segmenter {
    pub fn new() -> Self {
        let mut jieba = Jieba::new();
        let mut problems = rustc_hash::FxHashSet::default();
        for line in DOMAIN_DICT.lines() {
            let mut parts = line.split_whitespace();
            let Some(word) = parts.next().filter(|w| !w.starts_with('#')) else {
                continue;
            };
            let freq = parts.next().and_then(|f| f.parse().ok());
            let tag = parts.next();
            jieba.add_word(word, freq, tag);
            if matches!(tag, Some("n" | "v")) {
                problems.insert(word.into());
            }
        }
        Self { jieba, problems }
    }

    /// Whether `word` (a normalised token) could be a keyword by the dictionaries: a word of
    /// jieba's dictionary or the domain dictionary whose part of speech can name a thing or
    /// an action, a word of the workspace's dictionary, or Latin. A Chinese token in no
    /// dictionary is a fragment jieba's HMM glued together (才付, 关都) and is never picked.
    pub fn pick(&self, word: &str, user: Option<&UserDictionary>) -> Pick {
        let any = Pick {
            ok: true,
            ..Pick::default()
        };
        if user.is_some_and(|u| u.contains(word)) || !word.chars().any(super::normalize::is_han) {
            return any;
        }
        if !self.jieba.has_word(word) {
            return Pick::default();
        }
        let tags = self.jieba.tag(word, false);
        let (ok, tag) = match tags.as_slice() {
            [one] if one.word == word => (!tag_never_keyword(one.tag), one.tag),
            // A dictionary word that its own cut splits is read by its parts' tags.
            parts => (parts.iter().all(|t| !tag_never_keyword(t.tag)), "x"),
        };
        let ok = ok && !opens_with_how(word, tag);
        Pick {
            ok,
            problem: ok && self.problems.contains(word),
            verb: tag == "v",
        }
    }

    /// Tokens of `text` (already normalised), whitespace dropped, in order.
    pub fn cut<'a>(&self, text: &'a str, user: Option<&UserDictionary>) -> Vec<&'a str> {
        let mut out = Vec::with_capacity(text.len() / 3 + 1);
        let matcher = user.and_then(|u| u.matcher.as_ref());
        let Some(matcher) = matcher else {
            self.cut_into(text, &mut out);
            return out;
        };
        let mut at = 0;
        for m in matcher.find_iter(text) {
            self.cut_into(&text[at..m.start()], &mut out);
            out.push(&text[m.start()..m.end()]);
            at = m.end();
        }
        self.cut_into(&text[at..], &mut out);
        out
    }

    fn cut_into<'a>(&self, text: &'a str, out: &mut Vec<&'a str>) {
        if text.is_empty() {
            return;
        }
        for token in self.jieba.cut(text, true) {
            // jieba gives runs of whitespace as tokens of their own: a token that does not
            // start with whitespace is kept without scanning it.
            let blank = token.word.chars().next().is_none_or(char::is_whitespace)
                && token.word.trim().is_empty();
            if !blank {
                out.push(token.word);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_words_stay_whole() {
        let s = Segmenter::new();
        let tokens = s.cut("打开就闪退，卡顿严重，yyds", None);
        assert!(tokens.contains(&"闪退"), "{tokens:?}");
        assert!(tokens.contains(&"卡顿"), "{tokens:?}");
        assert!(tokens.contains(&"yyds"), "{tokens:?}");
        assert!(!tokens.iter().any(|t| t.trim().is_empty()));
    }

    #[test]
    fn user_words_win() {
        let s = Segmenter::new();
        let dict = UserDictionary::new(["喵购省钱卡".to_owned(), "极速退款".to_owned()]);
        let tokens = s.cut("喵购省钱卡的极速退款太慢", Some(&dict));
        assert_eq!(tokens[0], "喵购省钱卡");
        assert!(tokens.contains(&"极速退款"), "{tokens:?}");
        assert!(dict.contains("极速退款"));
    }
}
