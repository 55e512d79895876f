//! Finding a few thousand short phrases (pain-point triggers, aspect words, cue phrases) in a
//! short text. An Aho–Corasick automaton over these lists is large enough that walking it
//! byte by byte missed the cache on almost every step: the trigger search alone took an
//! eighth of the analysis time. Texts are short and most pairs of characters start no
//! phrase, so looking each pair up among the phrases' first two characters, and comparing only
//! the one or two phrases that start with it, does the same work in a small table
//! (`phrase_sets_agree_with_aho_corasick` in the tests checks the results are the same).

use rustc_hash::FxHashMap as HashMap;

use super::hash::spread;

/// A match: start and end byte offsets, and the phrase's index in the list it was built from.
pub type Match = (usize, usize, usize);

/// How a list's matches are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Leftmost-longest, without overlaps: at each position the longest phrase that starts
    /// there, and the search goes on after it.
    Longest,
    /// Every occurrence of every phrase, overlaps included.
    Overlapping,
}

/// One or more phrase lists, searched together in one pass over a text.
#[derive(Debug, Clone)]
pub struct PhraseSet {
    /// The phrases of every list, list after list.
    phrases: Vec<Box<str>>,
    /// Each list's mode and where its phrases start in `phrases`.
    lists: Vec<(Mode, usize)>,
    /// Phrases of two or more characters, grouped by their first two, longest first in each
    /// group; with all their bytes in one buffer, so a match is checked without following a
    /// pointer per phrase.
    candidates: Vec<Candidate>,
    bytes: Vec<u8>,
    /// A first pair's group in `candidates`: where it starts and how many it holds.
    by_pair: HashMap<u64, (u32, u32)>,
    /// Phrases of one character: their group in `singles`.
    single: HashMap<char, (u32, u32)>,
    singles: Vec<(u32, u32)>,
    /// One bit per hash of a first pair or a single character that starts a phrase: most
    /// positions in a text start none, and one bit tells so without probing either map.
    starts: Box<[u64]>,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    /// Its list, and its index in that list.
    list: u32,
    id: u32,
    /// The phrase's bytes in `bytes`.
    at: u32,
    len: u32,
}

fn pair(a: char, b: char) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// The key of a one-character phrase in `starts` (no character is `u32::MAX`).
fn lone(a: char) -> u64 {
    (u64::from(a) << 32) | u64::from(u32::MAX)
}

const START_BITS: u32 = 16;

fn start_bit(key: u64) -> usize {
    (spread(key) >> (64 - START_BITS)) as usize
}

impl PhraseSet {
    /// One list. Empty phrases are never found.
    pub fn new<S: AsRef<str>>(phrases: &[S]) -> Self {
        Self::with_lists(&[(Mode::Longest, phrases)])
    }

    /// Several lists, each with its mode. A phrase listed twice in one list is found once, by
    /// its first index; a phrase in two lists is found in each.
    pub fn with_lists<S: AsRef<str>>(lists: &[(Mode, &[S])]) -> Self {
        let mut phrases: Vec<Box<str>> = Vec::new();
        let mut list_starts = Vec::new();
        let mut groups: HashMap<u64, Vec<(u32, u32)>> = HashMap::default();
        let mut single_groups: HashMap<char, Vec<(u32, u32)>> = HashMap::default();
        let mut starts = vec![0u64; (1 << START_BITS) / 64].into_boxed_slice();
        let mut mark = |key: u64| {
            let bit = start_bit(key);
            starts[bit / 64] |= 1 << (bit % 64);
        };
        for (l, (mode, list)) in lists.iter().enumerate() {
            list_starts.push((*mode, phrases.len()));
            for (i, p) in list.iter().enumerate() {
                let p = p.as_ref();
                let entry = (l as u32, i as u32);
                let mut chars = p.chars();
                match (chars.next(), chars.next()) {
                    (Some(a), Some(b)) => {
                        mark(pair(a, b));
                        groups.entry(pair(a, b)).or_default().push(entry);
                    }
                    (Some(a), None) => {
                        mark(lone(a));
                        let group = single_groups.entry(a).or_default();
                        if !group.iter().any(|(gl, _)| *gl == entry.0) {
                            group.push(entry);
                        }
                    }
                    _ => {}
                }
                phrases.push(p.into());
            }
        }
        let text_of =
            |(l, i): (u32, u32)| -> &str { &phrases[list_starts[l as usize].1 + i as usize] };
        let (mut candidates, mut bytes, mut by_pair) = (Vec::new(), Vec::new(), HashMap::default());
        for (key, mut group) in groups {
            group.sort_by(|a, b| {
                let (pa, pb) = (text_of(*a), text_of(*b));
                pb.len().cmp(&pa.len()).then(pa.cmp(pb)).then(a.cmp(b))
            });
            group.dedup_by(|a, b| a.0 == b.0 && text_of(*a) == text_of(*b));
            by_pair.insert(key, (candidates.len() as u32, group.len() as u32));
            for (list, id) in group {
                let p = text_of((list, id)).as_bytes();
                candidates.push(Candidate {
                    list,
                    id,
                    at: bytes.len() as u32,
                    len: p.len() as u32,
                });
                bytes.extend_from_slice(p);
            }
        }
        let (mut single, mut singles) = (HashMap::default(), Vec::new());
        for (c, group) in single_groups {
            single.insert(c, (singles.len() as u32, group.len() as u32));
            singles.extend(group);
        }
        Self {
            phrases,
            lists: list_starts,
            candidates,
            bytes,
            by_pair,
            single,
            singles,
            starts,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_pair.is_empty() && self.single.is_empty()
    }

    /// The phrases of one list.
    pub fn phrases(&self, list: usize) -> impl Iterator<Item = &str> {
        let start = self.lists.get(list).map_or(self.phrases.len(), |l| l.1);
        let end = self.lists.get(list + 1).map_or(self.phrases.len(), |l| l.1);
        self.phrases[start..end].iter().map(|p| &**p)
    }

    /// Calls `found` with the phrases starting at byte `at` (character `c`, followed by
    /// `next`), longest first (with its list), until it returns false.
    fn at(
        &self,
        text: &str,
        at: usize,
        c: char,
        next: Option<char>,
        found: &mut impl FnMut(Match, usize) -> bool,
    ) {
        let may_start = |key: u64| {
            let bit = start_bit(key);
            self.starts[bit / 64] & (1 << (bit % 64)) != 0
        };
        if let Some(n) = next {
            let group = Some(pair(c, n))
                .filter(|k| may_start(*k))
                .and_then(|k| self.by_pair.get(&k));
            if let Some(&(first, count)) = group {
                let rest = &text.as_bytes()[at..];
                // The first two characters already match: only the bytes after them are
                // compared (none for a two-character phrase).
                let known = c.len_utf8() + n.len_utf8();
                let group = &self.candidates[first as usize..(first + count) as usize];
                for p in group {
                    let (start, len) = (p.at as usize, p.len as usize);
                    if len <= rest.len()
                        && rest[known..len] == self.bytes[start + known..start + len]
                        && !found((at, at + len, p.id as usize), p.list as usize)
                    {
                        return;
                    }
                }
            }
        }
        if !may_start(lone(c)) {
            return;
        }
        if let Some(&(first, count)) = self.single.get(&c) {
            for (list, id) in &self.singles[first as usize..(first + count) as usize] {
                if !found((at, at + c.len_utf8(), *id as usize), *list as usize) {
                    return;
                }
            }
        }
    }

    /// Calls `visit` for each character with its offset and the character after it.
    fn each_char(text: &str, mut visit: impl FnMut(usize, char, Option<char>)) {
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            visit(i, c, chars.peek().map(|(_, n)| *n));
        }
    }

    /// The matches of the first `N` lists, each list's by its mode, in one pass over the text
    /// (a set built with more lists is searched for the first `N` only).
    pub fn scan<const N: usize>(&self, text: &str) -> [Vec<Match>; N] {
        let mut found: [Vec<Match>; N] = std::array::from_fn(|_| Vec::new());
        // Where each leftmost-longest list may match next: past its last match, so that the
        // longest phrase at a position (the first offered) is the only one it takes there.
        let mut resume = [0usize; N];
        Self::each_char(text, |i, c, next| {
            self.at(text, i, c, next, &mut |m, list| {
                if list >= N {
                    return true;
                }
                match self.lists[list].0 {
                    Mode::Overlapping => found[list].push(m),
                    Mode::Longest => {
                        if i >= resume[list] {
                            resume[list] = m.1;
                            found[list].push(m);
                        }
                    }
                }
                true
            });
        });
        found
    }

    /// Leftmost-longest matches of a one-list set (what `scan` must agree with).
    #[cfg(test)]
    pub fn find_longest(&self, text: &str) -> Vec<Match> {
        let mut found = Vec::new();
        let mut resume = 0;
        Self::each_char(text, |i, c, next| {
            if i >= resume {
                self.at(text, i, c, next, &mut |m, _| {
                    resume = m.1;
                    found.push(m);
                    false
                });
            }
        });
        found
    }

    /// Every occurrence of every phrase of a one-list set, overlaps included, by start.
    #[cfg(test)]
    pub fn find_overlapping(&self, text: &str) -> Vec<Match> {
        let mut found = Vec::new();
        Self::each_char(text, |i, c, next| {
            self.at(text, i, c, next, &mut |m, _| {
                found.push(m);
                true
            });
        });
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, MatchKind};

    fn texts() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/train");
        let mut texts = Vec::new();
        for f in std::fs::read_dir(dir).unwrap() {
            let content = std::fs::read_to_string(f.unwrap().path()).unwrap();
            for line in content.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let text = v["text"].as_str().unwrap();
                texts.push(crate::analysis::normalize::normalize(text).text);
            }
        }
        texts
    }

    #[test]
    fn longest_and_overlapping() {
        let set = PhraseSet::new(&["不", "不好", "不好用", "好用", ""]);
        assert_eq!(
            set.find_longest("真不好用啊好用"),
            [(3, 12, 2), (15, 21, 3)]
        );
        assert_eq!(
            set.find_overlapping("不好用"),
            [(0, 9, 2), (0, 6, 1), (0, 3, 0), (3, 9, 3)]
        );
        assert!(PhraseSet::new::<&str>(&[]).find_longest("abc").is_empty());
        // A repeated phrase is found once, by its first index, wherever the copies are.
        let repeated = PhraseSet::new(&["不好用", "不好看", "不好用", "好", "好"]);
        assert_eq!(repeated.find_overlapping("不好用"), [(0, 9, 0), (3, 6, 3)]);
    }

    #[test]
    fn one_scan_of_several_lists_finds_what_each_list_finds_alone() {
        let lists: [&[&str]; 3] = [
            &["不好", "不好用", "好用", "用"],
            &["好用", "好", "用啊"],
            &["不好", "好用", "好", "好", "不好用"],
        ];
        let set = PhraseSet::with_lists(&[
            (Mode::Longest, lists[0]),
            (Mode::Longest, lists[1]),
            (Mode::Overlapping, lists[2]),
        ]);
        let text = "真不好用啊好用";
        let found = set.scan::<3>(text);
        assert_eq!(found[0], PhraseSet::new(lists[0]).find_longest(text));
        assert_eq!(found[1], PhraseSet::new(lists[1]).find_longest(text));
        assert_eq!(found[2], PhraseSet::new(lists[2]).find_overlapping(text));
        assert_eq!(set.phrases(1).collect::<Vec<_>>(), lists[1]);

        // The taxonomy's own lists, on every training text.
        let analyzer = crate::analysis::Analyzer::new();
        let taxonomy = analyzer.taxonomy();
        let [triggers, aspects, cues] = [
            PhraseSet::new(&taxonomy.trigger_list()),
            PhraseSet::new(&taxonomy.aspect_list()),
            PhraseSet::new(&analyzer.lexicon().cue_list.phrases),
        ];
        let combined = PhraseSet::with_lists(&[
            (Mode::Longest, &taxonomy.trigger_list()[..]),
            (Mode::Longest, &taxonomy.aspect_list()[..]),
            (Mode::Overlapping, &analyzer.lexicon().cue_list.phrases[..]),
        ]);
        for t in texts() {
            let found = combined.scan::<3>(&t);
            assert_eq!(found[0], triggers.find_longest(&t), "{t}");
            assert_eq!(found[1], aspects.find_longest(&t), "{t}");
            assert_eq!(found[2], cues.find_overlapping(&t), "{t}");
        }
    }

    #[test]
    fn phrase_sets_agree_with_aho_corasick() {
        let analyzer = crate::analysis::Analyzer::new();
        let lists = [
            analyzer.taxonomy().trigger_list(),
            analyzer.taxonomy().aspect_list(),
            analyzer.lexicon().cue_list.phrases.clone(),
        ];
        let texts = texts();
        assert!(texts.len() > 1000);
        for list in lists {
            assert!(list.len() > 50);
            let ours = PhraseSet::new(&list);
            let longest = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&list)
                .unwrap();
            let overlapping = AhoCorasick::new(&list).unwrap();
            for t in &texts {
                let want: Vec<Match> = longest
                    .find_iter(t.as_str())
                    .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                    .collect();
                assert_eq!(ours.find_longest(t), want, "{t}");
                let mut want: Vec<Match> = overlapping
                    .find_overlapping_iter(t.as_str())
                    .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                    .collect();
                let mut got = ours.find_overlapping(t);
                want.sort();
                got.sort();
                assert_eq!(got, want, "{t}");
            }
        }
    }
}
