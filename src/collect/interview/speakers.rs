//! Speaker labels: telling `张三：…` or `Interviewer (00:01:02)` from a sentence that
//! happens to hold a colon, and cleaning a label down to a name.

use super::shared::*;
use super::turn::*;

/// Splits `LABEL：text` / `LABEL: text` when LABEL looks like a speaker.
pub(super) fn split_label(line: &str) -> Option<(String, String)> {
    let colon_at = line.find([':', '：'])?;
    let colon = line[colon_at..].chars().next()?;
    let label = &line[..colon_at];
    let rest = &line[colon_at + colon.len_utf8()..];
    // `https://…` and `10:30` contain an ASCII colon but no speaker.
    if colon == ':' && (rest.starts_with("//") || is_clock_split(label, rest)) {
        return None;
    }
    let speaker = speaker_name(label)?;
    // `**用户：**text` leaves the closing bold marker on the text side.
    let text = rest.trim().trim_start_matches('*').trim().to_string();
    Some((speaker, text))
}

/// `…10` + `30…`: the colon was part of a clock time.
pub(super) fn is_clock_split(label: &str, rest: &str) -> bool {
    label.ends_with(|c: char| c.is_ascii_digit()) && rest.starts_with(|c: char| c.is_ascii_digit())
}

/// The cleaned speaker name if `raw` can be a label, e.g. `**主持人**` → `主持人`.
pub(super) fn speaker_name(raw: &str) -> Option<String> {
    let trimmed = raw.trim().trim_matches('*').trim();
    let name = collapse_whitespace(unwrap_brackets(trimmed));
    looks_like_name(&name).then_some(name)
}

/// `【主持人】` and `[张三]` are common ways to mark a speaker.
pub(super) fn unwrap_brackets(s: &str) -> &str {
    for (open, close) in [('【', '】'), ('[', ']')] {
        if let Some(inner) = s.strip_prefix(open).and_then(|r| r.strip_suffix(close)) {
            return inner.trim();
        }
    }
    s
}

/// A label is short, starts with a letter or Han character and has no sentence punctuation.
pub(super) fn looks_like_name(name: &str) -> bool {
    let Some(first) = name.chars().next() else {
        return false;
    };
    first.is_alphabetic()
        && name.chars().count() <= MAX_LABEL_CHARS
        && name.split_whitespace().count() <= MAX_LABEL_WORDS
        && !without_title(name).chars().any(is_sentence_punct)
        && !METADATA_KEYS.contains(&name.to_lowercase().as_str())
}

/// `Dr. Wang` is a name even though it contains a full stop.
pub(super) fn without_title(name: &str) -> &str {
    for title in ["Dr. ", "Mr. ", "Mrs. ", "Ms. ", "Prof. "] {
        if let Some(rest) = name.strip_prefix(title) {
            return rest;
        }
    }
    name
}

#[rustfmt::skip]
pub(super) fn is_sentence_punct(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '！' | '？' | '；' | '、' | '…' | ',' | '.' | '!' | '?' | ';' | ':' | '：'
            | '"' | '“' | '”' | '「' | '」' | '『' | '』' | '《' | '》' | '<' | '>' | '/' | '\\'
            | '=' | '|' | '*'
    )
}

/// The role a conventional label implies, or `None` for a personal name.
pub(super) fn known_label_role(speaker: &str) -> Option<Role> {
    let caps = CJK_LABEL_RE
        .captures(speaker)
        .or_else(|| LATIN_LABEL_RE.captures(speaker))?;
    let base = caps.get(1)?.as_str().to_lowercase();
    match base.as_str() {
        "访谈者" | "采访者" | "主持人" | "研究员" | "调研员" | "面试官" | "提问者" | "记者"
        | "问" | "interviewer" | "moderator" | "host" | "q" => Some(Role::Interviewer),
        _ => Some(Role::Respondent),
    }
}
