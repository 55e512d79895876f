//! What every transcript reader shares: the patterns for clocks and labels, raw turns and
//! how adjacent ones merge, and small text helpers.

use once_cell::sync::Lazy;
use regex::Regex;

use super::turn::*;

/// Subtitle files where no cue names anyone are taken to be the respondent talking.
pub(super) const DEFAULT_SPEAKER: &str = "受访者";
/// Longer "labels" are almost always a sentence that happens to contain a colon.
pub(super) const MAX_LABEL_CHARS: usize = 20;
pub(super) const MAX_LABEL_WORDS: usize = 4;

/// Header lines of meeting exports (`会议时间：…`, `Date: …`) look like labels but
/// never name a speaker.
#[rustfmt::skip]
pub(super) const METADATA_KEYS: &[&str] = &[
    "会议主题", "会议时间", "会议日期", "会议地点", "会议名称", "会议号", "主题", "时间", "日期",
    "地点", "时长", "标题", "参会人", "参会人员", "与会者", "记录人", "关键词", "摘要", "备注",
    "date", "time", "title", "topic", "subject", "location", "duration", "participants",
    "attendees", "summary", "keywords", "note", "notes",
];

/// A clock time: `HH:MM:SS` or `MM:SS`, optionally with `.mmm` or `,mmm`.
pub(super) const CLOCK: &str = r"(?:[0-9]{1,3}:)?[0-9]{1,2}:[0-9]{2}(?:[.,][0-9]{1,3})?";
/// Between the two ends of a time range: `00:01 - 00:05`.
pub(super) const RANGE_SEP: &str = r"\s*(?:-->|-|~|–|—|至)\s*";

/// Builds a regex from a constant pattern, filling in `{TS}` and `{SEP}`.
pub(super) fn clock_regex(pattern: &str) -> Regex {
    let full = pattern.replace("{TS}", CLOCK).replace("{SEP}", RANGE_SEP);
    Regex::new(&full).expect("constant transcript regex must compile")
}

pub(super) fn constant_regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("constant transcript regex must compile")
}

/// `[00:01:23] 张三: text`, `00:01:23 张三：text`, `[00:01 - 00:05] A: text`.
pub(super) static TIME_FIRST_RE: Lazy<Regex> = Lazy::new(|| {
    clock_regex(r"^[\[【(（]?\s*({TS})(?:{SEP}({TS}))?\s*[\]】)）]?\s*(.+?)\s*[:：]\s*(.*)$")
});
/// `张三(00:01:23): text`, or `张三（00:01:23）：` with the text on the next lines.
/// The colon or end of line after the bracket keeps `约在(10:30)见面` from matching.
pub(super) static NAME_PAREN_TIME_RE: Lazy<Regex> = Lazy::new(|| {
    clock_regex(r"^(.+?)\s*[(（\[【]\s*({TS})(?:{SEP}({TS}))?\s*[)）\]】]\s*(?:[:：]\s*(.*))?$")
});
/// `张三  00:01:23`, `说话人1 00:00:05`: the speech follows on the next lines.
pub(super) static NAME_TIME_HEADER_RE: Lazy<Regex> =
    Lazy::new(|| clock_regex(r"^(.+?)\s+({TS})(?:{SEP}({TS}))?$"));
/// `00:00:01,000 --> 00:00:04,000` plus optional cue settings.
pub(super) static CUE_TIMING_RE: Lazy<Regex> =
    Lazy::new(|| clock_regex(r"^({TS})\s*-->\s*({TS})(?:\s+.*)?$"));
/// A line that starts like a clock is meant as a timing line, even if broken.
pub(super) static LEADING_CLOCK_RE: Lazy<Regex> =
    Lazy::new(|| constant_regex(r"^[0-9]{1,3}:[0-9]"));
/// WebVTT voice span: `<v Name>` or `<v.loud Name>`.
pub(super) static VOICE_RE: Lazy<Regex> =
    Lazy::new(|| constant_regex(r"<v(?:\.[^\s>]*)?\s+([^>]*)>"));
/// Markup tags (`<i>`, `</c>`, `<c.yellow>`) and inline timestamps (`<00:00:01.000>`).
/// Requiring a letter or digit after `<` leaves text such as `a < b > c` alone.
pub(super) static TAG_RE: Lazy<Regex> =
    Lazy::new(|| constant_regex(r"</?(?:[A-Za-z][^<>]*|[0-9]{1,3}:[^<>]*)>"));
/// ASS override tags that some SRT files carry: `{\an8}`.
pub(super) static ASS_TAG_RE: Lazy<Regex> = Lazy::new(|| constant_regex(r"\{\\[^}]*\}"));
pub(super) static ENTITY_RE: Lazy<Regex> = Lazy::new(|| {
    constant_regex(r"&(amp|lt|gt|nbsp|quot|apos|lrm|rlm|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
});
/// Chinese role labels with an optional suffix: `用户A`, `受访者1`, `用户（张女士）`, `用户-张女士`.
pub(super) static CJK_LABEL_RE: Lazy<Regex> = Lazy::new(|| {
    constant_regex(
        r"^(访谈者|采访者|主持人|研究员|调研员|面试官|提问者|记者|问|用户|受访者|被访者|客户|访谈对象|答)(?:\s*[-_#·]?\s*[A-Za-z0-9０-９一二三四五六七八九十甲乙丙丁]{1,3}|\s*[(（][^()（）]{1,18}[)）]|(?:\s*[-_·—]\s*|\s+)\S.{0,15})?$",
    )
});
/// Latin role labels: `Q`, `Q1`, `User B`, `Respondent (Li)`. A bare letter suffix needs a
/// space so that a name such as `Hostetler` is not taken for `Host`.
pub(super) static LATIN_LABEL_RE: Lazy<Regex> = Lazy::new(|| {
    constant_regex(
        r"(?i)^(interviewer|moderator|host|q|interviewee|respondent|user|customer|a)(?:\s*[-_#]?\s*[0-9]{1,3}|\s+[a-z]|\s*[(（][^()（）]{1,18}[)）])?$",
    )
});

/// A turn before roles are known.
pub(super) struct RawTurn {
    pub(super) speaker: String,
    pub(super) text: String,
    pub(super) start_ms: Option<u64>,
    pub(super) end_ms: Option<u64>,
}

pub(super) fn normalize_newlines(input: &str) -> String {
    input
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

pub(super) fn malformed(line: usize, message: impl Into<String>) -> TranscriptError {
    TranscriptError::Malformed {
        line,
        message: message.into(),
    }
}

pub(super) fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Milliseconds from `HH:MM:SS`, `MM:SS`, each optionally with `.mmm` or `,mmm`.
pub(super) fn parse_clock(s: &str) -> Option<u64> {
    let (main, fraction) = match s.find(['.', ',']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let parts: Vec<&str> = main.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [m, sec] => (0, digits(m)?, digits(sec)?),
        [h, m, sec] => (digits(h)?, digits(m)?, digits(sec)?),
        _ => return None,
    };
    if seconds >= 60 || (parts.len() == 3 && minutes >= 60) {
        return None;
    }
    let millis = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 3 => {
            // `.5` means 500 ms, `.05` 50 ms.
            digits(f)?.checked_mul(10u64.pow(3 - f.len() as u32))?
        }
        Some(_) => return None,
    };
    hours
        .checked_mul(3_600_000)?
        .checked_add(minutes.checked_mul(60_000)?)?
        .checked_add(seconds * 1000)?
        .checked_add(millis)
}

pub(super) fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Han, kana, Hangul and full-width punctuation: scripts written without spaces.
pub(super) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF
        | 0x3000..=0x303F
        | 0x3040..=0x30FF
        | 0x3100..=0x31BF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF
        | 0xFF00..=0xFFEF
        | 0x20000..=0x2FA1F)
}

/// Joins a plain-text line onto a turn, keeping the writer's line break.
pub(super) fn join_line(dst: &mut String, add: &str) {
    let add = add.trim();
    if add.is_empty() {
        return;
    }
    if !dst.is_empty() {
        dst.push('\n');
    }
    dst.push_str(add);
}

/// Joins caption fragments: Chinese runs on without a space, other text gets one.
pub(super) fn join_caption(dst: &mut String, add: &str) {
    let add = add.trim();
    if add.is_empty() {
        return;
    }
    let both_cjk = matches!(
        (dst.chars().next_back(), add.chars().next()),
        (Some(a), Some(b)) if is_cjk(a) && is_cjk(b)
    );
    if !dst.is_empty() && !both_cjk {
        dst.push(' ');
    }
    dst.push_str(add);
}

/// Drops empty turns and merges consecutive turns of the same speaker.
pub(super) fn merge_turns(raw: Vec<RawTurn>, captions: bool) -> Vec<RawTurn> {
    let mut out: Vec<RawTurn> = Vec::new();
    for mut turn in raw {
        turn.text = turn.text.trim().to_string();
        if turn.text.is_empty() {
            continue;
        }
        if let Some(last) = out.last_mut() {
            if last.speaker == turn.speaker {
                if captions {
                    join_caption(&mut last.text, &turn.text);
                } else {
                    join_line(&mut last.text, &turn.text);
                }
                // The merged turn spans all its cues, even when a file lists them out of
                // order (so it never ends before it starts).
                last.start_ms = match (last.start_ms, turn.start_ms) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                last.end_ms = match (last.end_ms, turn.end_ms) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => b.or(a),
                };
                continue;
            }
        }
        out.push(turn);
    }
    out
}
