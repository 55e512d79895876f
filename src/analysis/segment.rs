//! Segmentation: jieba-rs (HMM on) with the shipped domain dictionary, behind our own type so
//! a change in jieba's API touches this file only. A workspace's own words (product names,
//! features) are matched first and kept whole; jieba cuts the text between them.

use aho_corasick::{AhoCorasick, MatchKind};
use jieba_rs::Jieba;

const DOMAIN_DICT: &str = include_str!("data/domain_dict.txt");

pub struct Segmenter {
    jieba: Jieba,
}

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
        for line in DOMAIN_DICT.lines() {
            let mut parts = line.split_whitespace();
            let Some(word) = parts.next().filter(|w| !w.starts_with('#')) else {
                continue;
            };
            let freq = parts.next().and_then(|f| f.parse().ok());
            jieba.add_word(word, freq, parts.next());
        }
        Self { jieba }
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
