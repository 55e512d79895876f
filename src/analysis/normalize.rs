//! Normalisation: one canonical form of the text before segmentation. Full-width → half-width,
//! traditional → simplified, Latin lower-cased, runs of a character folded to two, URLs and
//! @mentions removed, `#话题#` taken out as topics, emoji kept (they carry sentiment).

use once_cell::sync::Lazy;
use serde::Serialize;

const PLACEHOLDERS: [&str; 4] = [
    super::pii::PHONE,
    super::pii::ID_CARD,
    super::pii::BANK_CARD,
    super::pii::EMAIL_ADDRESS,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Zh,
    En,
    Mixed,
    /// Japanese (kana): recognised, not read through the Chinese engine.
    Ja,
    /// Korean (hangul): recognised, not read through the Chinese engine.
    Ko,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Zh => "zh",
            Language::En => "en",
            Language::Mixed => "mixed",
            Language::Ja => "ja",
            Language::Ko => "ko",
        }
    }

    /// Whether the Chinese engine (its lexicons, rules and model) can read the text.
    pub fn chinese_engine(self) -> bool {
        !matches!(self, Language::Ja | Language::Ko)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    pub text: String,
    pub topics: Vec<String>,
    pub language: Language,
}

/// Normalises `raw` for analysis; the stored feedback text is never changed.
pub fn normalize(raw: &str) -> Normalized {
    let mut topics = Vec::new();
    // One cheap pass over the bytes first: most feedback has no URL, mention, topic or
    // placeholder, and then nothing else is searched for.
    let marks = raw.bytes().fold(0u8, |m, b| m | MARKS[usize::from(b)]);
    let lower_has = |needle: &str| {
        raw.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    let mut cleaned = std::borrow::Cow::Borrowed(raw);
    if (marks & MARK_H != 0 && lower_has("http")) || (marks & MARK_W != 0 && lower_has("www.")) {
        cleaned = std::borrow::Cow::Owned(remove_urls(&cleaned));
    }
    if marks & MARK_AT != 0 && cleaned.contains('@') {
        cleaned = std::borrow::Cow::Owned(remove_mentions(&cleaned));
    }
    if marks & MARK_HASH != 0 && cleaned.contains('#') {
        let (text, found) = take_topics(&cleaned);
        for t in found {
            let t = fold_chars(t.trim());
            if !t.is_empty() && !topics.contains(&t) {
                topics.push(t);
            }
        }
        cleaned = std::borrow::Cow::Owned(text);
    }
    // Redaction placeholders ([手机号] …) say nothing about the feedback.
    if marks & MARK_BRACKET != 0 && cleaned.contains('[') {
        for p in PLACEHOLDERS {
            if cleaned.contains(p) {
                cleaned = std::borrow::Cow::Owned(cleaned.replace(p, " "));
            }
        }
    }
    let (text, script) = fold(&cleaned);
    let language = script.language();
    Normalized {
        text,
        topics,
        language,
    }
}

const MARK_H: u8 = 1;
const MARK_W: u8 = 2;
const MARK_AT: u8 = 4;
const MARK_HASH: u8 = 8;
const MARK_BRACKET: u8 = 16;

/// For each byte, which of the searches it could start.
static MARKS: [u8; 256] = {
    let mut marks = [0u8; 256];
    marks[b'h' as usize] = MARK_H;
    marks[b'H' as usize] = MARK_H;
    marks[b'w' as usize] = MARK_W;
    marks[b'W' as usize] = MARK_W;
    marks[b'@' as usize] = MARK_AT;
    marks[b'#' as usize] = MARK_HASH;
    marks[b'[' as usize] = MARK_BRACKET;
    marks
};

// URLs, @mentions and #topics are found by hand: a few lines each, where the equivalent
// regular expressions (Unicode classes, bounded repeats) cost hundreds of thousands of
// instructions per text in lazy DFA construction. The tests check them against those
// expressions.

/// Characters that end a URL besides whitespace: Chinese punctuation written right after it.
fn ends_url(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{3000}' | '，' | '。' | '！' | '？' | '、' | '）' | ')'
        )
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Replaces each `http://…`, `https://…` or `www.…` (any case) that starts a word with a
/// space.
fn remove_urls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut prev: Option<char> = None;
    while i < s.len() {
        let rest = &s[i..];
        let starts = prev.is_none_or(|p| !is_word(p))
            && ["https://", "http://", "www."].iter().any(|p| {
                rest.len() >= p.len()
                    && rest.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            });
        if starts {
            let end = rest.find(ends_url).unwrap_or(rest.len());
            out.push(' ');
            i += end;
            prev = Some(' ');
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        prev = Some(c);
        i += c.len_utf8();
    }
    out
}

/// Replaces each `@name` (1 to 30 letters, digits, `_` or `-`) with a space.
fn remove_mentions(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '@' {
            out.push(c);
            continue;
        }
        let name = s[i + 1..]
            .chars()
            .take(30)
            .take_while(|&c| c.is_alphanumeric() || c == '_' || c == '-')
            .count();
        if name == 0 {
            out.push(c);
            continue;
        }
        out.push(' ');
        for _ in 0..name {
            chars.next();
        }
    }
    out
}

/// `#话题#` (1 to 40 characters, no `#` or newline inside): the topics, and the text with
/// each one's markers replaced by spaces (its words stay: they carry meaning).
fn take_topics(s: &str) -> (String, Vec<&str>) {
    let mut out = String::with_capacity(s.len() + 8);
    let mut topics = Vec::new();
    let mut i = 0;
    while let Some(off) = s[i..].find('#') {
        let open = i + off;
        out.push_str(&s[i..open]);
        let inner_start = open + 1;
        let mut close = None;
        for (n, (j, c)) in s[inner_start..].char_indices().enumerate() {
            if c == '#' {
                if n > 0 {
                    close = Some(inner_start + j);
                }
                break;
            }
            if c == '\n' || n == 40 {
                break;
            }
        }
        match close {
            Some(end) => {
                let inner = &s[inner_start..end];
                topics.push(inner);
                out.push(' ');
                out.push_str(inner);
                out.push(' ');
                i = end + 1;
            }
            None => {
                out.push('#');
                i = inner_start;
            }
        }
    }
    out.push_str(&s[i..]);
    (out, topics)
}

/// First and last code point of the table below.
const SCRIPT_LO: u32 = 0x3400;
const SCRIPT_HI: u32 = 0xFAFF;

/// One bit per code point from U+3400 to U+FAFF: set where the traditional → simplified
/// conversion changes the character. Built once from the converter itself, so a text can be
/// checked in one pass without allocating, and most feedback (already simplified) skips the
/// conversion.
static CONVERTIBLE: Lazy<Vec<u64>> = Lazy::new(|| {
    let mut bits = vec![0u64; ((SCRIPT_HI - SCRIPT_LO) as usize / 64) + 1];
    let mut buf = [0u8; 4];
    for cp in SCRIPT_LO..=SCRIPT_HI {
        if let Some(c) = char::from_u32(cp) {
            let one: &str = c.encode_utf8(&mut buf);
            if fast2s::convert(one) != one {
                let i = (cp - SCRIPT_LO) as usize;
                bits[i / 64] |= 1 << (i % 64);
            }
        }
    }
    bits
});

/// Builds the conversion table now, at start-up, rather than in the first request.
pub fn warm_up() {
    Lazy::force(&CONVERTIBLE);
}

/// Whether the conversion could change `s`: a character of the table marked convertible, or
/// one beyond the table (rare supplementary-plane characters, converted to be safe).
#[cfg(test)]
fn needs_simplifying(s: &str) -> bool {
    let bits = &*CONVERTIBLE;
    s.chars().any(|c| convertible(c, bits))
}

fn convertible(c: char, bits: &[u64]) -> bool {
    let cp = c as u32;
    match cp {
        SCRIPT_LO..=SCRIPT_HI => {
            let i = (cp - SCRIPT_LO) as usize;
            bits[i / 64] & (1 << (i % 64)) != 0
        }
        0x20000.. => true,
        _ => false,
    }
}

/// Width, case, script and repetition, in one pass over the characters.
fn fold_chars(s: &str) -> String {
    fold(s).0
}

/// How many Han characters, Latin letters, kana and hangul a text holds.
#[derive(Debug, Clone, Copy, Default)]
struct Script {
    han: usize,
    latin: usize,
    kana: usize,
    hangul: usize,
}

/// Hiragana, katakana (with the phonetic extensions and the half-width forms).
fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' | '\u{FF66}'..='\u{FF9F}')
}

/// Hangul syllables and jamo.
fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

impl Script {
    fn count(&mut self, c: char) {
        if is_han(c) {
            self.han += 1;
        } else if c.is_ascii_alphabetic() {
            self.latin += 1;
        } else if c > '\u{3000}' {
            if is_kana(c) {
                self.kana += 1;
            } else if is_hangul(c) {
                self.hangul += 1;
            }
        }
    }

    /// Of `s`, without folding it (to decide before the conversion to simplified characters).
    fn of(s: &str) -> Self {
        let mut script = Script::default();
        s.chars().for_each(|c| script.count(c));
        script
    }

    fn language(self) -> Language {
        // Japanese writes kana in every sentence, and Chinese borrows a stray の at most:
        // two kana and a fifth of the Japanese script make it Japanese. Korean rarely writes
        // Han characters at all.
        if self.kana >= 2 && self.kana * 5 >= self.han + self.kana && self.kana >= self.hangul {
            return Language::Ja;
        }
        if self.hangul >= 2 && self.hangul >= self.han {
            return Language::Ko;
        }
        // Latin letters count by words, roughly: four letters weigh like one character.
        let latin_weight = self.latin / 4;
        if self.han == 0 && self.latin > 0 {
            Language::En
        } else if latin_weight * 4 > self.han {
            Language::Mixed
        } else {
            Language::Zh
        }
    }
}

/// [`fold_chars`], counting the script of what it keeps on the way. Most feedback is already
/// simplified: the text is folded as it is, and converted and folded again only when a
/// character that the conversion would change turns up.
fn fold(s: &str) -> (String, Script) {
    let check = (!s.is_ascii()).then(|| &**CONVERTIBLE);
    match fold_with(s, check) {
        Some(done) => done,
        // Japanese kanji and the Han characters of Korean are not traditional Chinese.
        None if !Script::of(s).language().chinese_engine() => {
            fold_with(s, None).unwrap_or_default()
        }
        None => fold_with(&fast2s::convert(s), None).unwrap_or_default(),
    }
}

/// Folds `s`; `None` when `convertible` is given and a character of `s` is marked in it.
fn fold_with(s: &str, convertible_bits: Option<&[u64]>) -> Option<(String, Script)> {
    let mut script = Script::default();
    let mut out = String::with_capacity(s.len());
    let mut last: Option<char> = None;
    let mut run = 0;
    let mut last_space = true;
    for c in s.chars() {
        if convertible_bits.is_some_and(|bits| convertible(c, bits)) {
            return None;
        }
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' | '\t' | '\r' | '\n' => ' ',
            // Variation selectors and skin tones: ❤️ and ❤ are one emoji.
            '\u{FE0E}' | '\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{200B}'..='\u{200D}' => {
                continue
            }
            c => c,
        };
        let c = if c.is_ascii_uppercase() {
            c.to_ascii_lowercase()
        } else {
            c
        };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            last = Some(' ');
            run = 1;
            continue;
        }
        last_space = false;
        if Some(c) == last {
            run += 1;
            // 哈哈哈哈 → 哈哈, !!!! → !!, 好好好好用 → 好好用. Digits keep their runs.
            if run > 2 && !c.is_ascii_digit() {
                continue;
            }
        } else {
            run = 1;
            last = Some(c);
        }
        script.count(c);
        out.push(c);
    }
    let trimmed = out.trim();
    let out = if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_owned()
    };
    Some((out, script))
}

pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expressions the hand-written scanners replace, as the reference they must match.
    fn reference(s: &str) -> (String, Vec<String>) {
        use regex::Regex;
        let url = Regex::new(r"(?i)\b(?:https?://|www\.)[^\s\u3000，。！？、）)]+").unwrap();
        let mention = Regex::new(r"@[\p{Han}\p{L}\p{N}_\-]{1,30}").unwrap();
        let topic = Regex::new(r"#([^#\n]{1,40})#").unwrap();
        let s = url.replace_all(s, " ").into_owned();
        let s = mention.replace_all(&s, " ").into_owned();
        let topics = topic.captures_iter(&s).map(|c| c[1].to_owned()).collect();
        (topic.replace_all(&s, " $1 ").into_owned(), topics)
    }

    fn scanned(s: &str) -> (String, Vec<String>) {
        let s = remove_mentions(&remove_urls(s));
        let (text, topics) = take_topics(&s);
        (
            text.clone(),
            topics.into_iter().map(str::to_owned).collect(),
        )
    }

    #[test]
    fn scanners_match_the_regular_expressions() {
        for s in [
            "@喵购官方 #双十一翻车# 付款失败 https://t.cn/abc 看这里",
            "看HTTP://Example.com/a?b=1，然后www.x.cn。完",
            "abchttp://not.a.url 和 a_www.no",
            "##空话题# #没有结尾 #太长的话题一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一# 邮件a@b.com @ 孤零零",
            "#一行\n两行# @user_01-x，@三十个字符以内的用户名称一二三四五六七八九十一二三四五六七八九十多出来",
            "#a##b# ###",
            "",
        ] {
            assert_eq!(scanned(s), reference(s), "{s}");
        }
    }

    #[test]
    fn conversion_is_skipped_only_when_it_would_change_nothing() {
        assert!(needs_simplifying("設計太複雜了"));
        assert!(!needs_simplifying("设计太复杂了"));
        assert!(!needs_simplifying("hello 😀"));
        // Every convertible character in the table converts exactly as the converter does.
        for s in ["聽見", "體驗很差", "這個App閃退", "臺灣", "乾淨"] {
            assert!(needs_simplifying(s), "{s}");
            assert_eq!(fold_chars(s), fast2s::convert(s).to_lowercase(), "{s}");
        }
    }

    #[test]
    fn folds_width_case_script_and_runs() {
        let n = normalize("這個ＡＰＰ真的很難用！！！！哈哈哈哈哈");
        assert_eq!(n.text, "这个app真的很难用!!哈哈");
        assert_eq!(n.language, Language::Zh);
    }

    #[test]
    fn removes_urls_and_mentions_keeps_topics() {
        let n = normalize("@喵购官方 #双十一翻车# 付款失败 https://t.cn/abc 看这里");
        assert_eq!(n.topics, vec!["双十一翻车"]);
        assert!(!n.text.contains("t.cn") && !n.text.contains('@'));
        assert!(n.text.contains("双十一翻车") && n.text.contains("付款失败"));
    }

    #[test]
    fn emoji_are_kept_without_variation_selectors() {
        let n = normalize("太好用了❤️👍🏻");
        assert_eq!(n.text, "太好用了❤👍");
    }

    #[test]
    fn language() {
        assert_eq!(normalize("the app keeps crashing").language, Language::En);
        assert_eq!(
            normalize("这个app太laggy了 every time").language,
            Language::Mixed
        );
        assert_eq!(normalize("还行").language, Language::Zh);
        assert_eq!(normalize("13800138000").language, Language::Zh);
    }

    #[test]
    fn japanese_and_korean_are_recognised_and_not_simplified() {
        let ja = normalize("最悪です。アプリが起動しません。返金してください");
        assert_eq!(ja.language, Language::Ja);
        // 悪 and 起動 stay as written: the Japanese forms, not simplified Chinese.
        assert!(
            ja.text.contains("最悪") && ja.text.contains("起動"),
            "{}",
            ja.text
        );
        let ko = normalize("앱이 계속 꺼져요. 환불해 주세요");
        assert_eq!(ko.language, Language::Ko);
        assert_eq!(ko.text, "앱이 계속 꺼져요. 환불해 주세요");
        // A stray の in Chinese, and a Korean word among Chinese, leave it Chinese.
        assert_eq!(normalize("我の天，这个app太好用了").language, Language::Zh);
        assert_eq!(
            normalize("这家店的김치很好吃，推荐大家去").language,
            Language::Zh
        );
        // Traditional Chinese is still converted.
        assert_eq!(normalize("這個應用很好").text, "这个应用很好");
    }
}
