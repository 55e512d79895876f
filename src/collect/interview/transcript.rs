//! Interview transcripts: reads labelled plain text (including 飞书妙记, 腾讯会议 and Zoom
//! exports), SRT and WebVTT into speaker turns, and decides which speakers are the
//! interviewer(s) so that only what respondents said becomes feedback.

use once_cell::sync::Lazy;
use regex::{Captures, Regex};

/// The format a transcript was uploaded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TranscriptFormat {
    /// Labelled plain text (`用户：…`, `A: …`) or a meeting-tool text export.
    Text,
    /// SubRip subtitles.
    Srt,
    /// WebVTT captions.
    Vtt,
}

impl TranscriptFormat {
    /// Reads a format name as users write it: `text`/`txt`, `srt`, `vtt`/`webvtt`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "txt" => Some(Self::Text),
            "srt" => Some(Self::Srt),
            "vtt" | "webvtt" => Some(Self::Vtt),
            _ => None,
        }
    }
}

/// Which side of the interview a speaker is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Interviewer,
    Respondent,
}

/// One uninterrupted stretch of speech by one speaker.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Turn {
    /// 0-based position among the kept turns.
    pub index: usize,
    /// The label or name as written in the transcript (whitespace collapsed).
    pub speaker: String,
    pub role: Role,
    pub text: String,
    /// Offset from the start of the recording, when the transcript has timestamps.
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TranscriptError {
    #[error("the transcript is empty")]
    Empty,
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error("no respondent turns were found (label the interviewee, e.g. `用户：` or `A:`)")]
    NoRespondent,
}

/// Parses a transcript into turns with roles.
///
/// `interviewer_names`: optional speaker names the caller knows are the interviewer(s).
/// They are matched case-insensitively and win over every other rule.
pub fn parse(
    format: TranscriptFormat,
    input: &str,
    interviewer_names: &[String],
) -> Result<Vec<Turn>, TranscriptError> {
    let text = normalize_newlines(input);
    if text.trim().is_empty() {
        return Err(TranscriptError::Empty);
    }
    let raw = match format {
        TranscriptFormat::Text => parse_text(&text)?,
        TranscriptFormat::Srt => parse_srt(&text)?,
        TranscriptFormat::Vtt => parse_vtt(&text)?,
    };
    // Plain text keeps the writer's line breaks; subtitle cues are fragments of one sentence.
    let turns = merge_turns(raw, format != TranscriptFormat::Text);
    if turns.is_empty() {
        return Err(TranscriptError::Empty);
    }
    let roles = assign_roles(&turns, interviewer_names);
    if !roles.contains(&Role::Respondent) {
        return Err(TranscriptError::NoRespondent);
    }
    Ok(turns
        .into_iter()
        .zip(roles)
        .enumerate()
        .map(|(index, (turn, role))| Turn {
            index,
            speaker: turn.speaker,
            role,
            text: turn.text,
            start_ms: turn.start_ms,
            end_ms: turn.end_ms,
        })
        .collect())
}

// ---------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------

/// Subtitle files where no cue names anyone are taken to be the respondent talking.
const DEFAULT_SPEAKER: &str = "受访者";
/// Longer "labels" are almost always a sentence that happens to contain a colon.
const MAX_LABEL_CHARS: usize = 20;
const MAX_LABEL_WORDS: usize = 4;

/// Header lines of meeting exports (`会议时间：…`, `Date: …`) look like labels but
/// never name a speaker.
#[rustfmt::skip]
const METADATA_KEYS: &[&str] = &[
    "会议主题", "会议时间", "会议日期", "会议地点", "会议名称", "会议号", "主题", "时间", "日期",
    "地点", "时长", "标题", "参会人", "参会人员", "与会者", "记录人", "关键词", "摘要", "备注",
    "date", "time", "title", "topic", "subject", "location", "duration", "participants",
    "attendees", "summary", "keywords", "note", "notes",
];

/// A clock time: `HH:MM:SS` or `MM:SS`, optionally with `.mmm` or `,mmm`.
const CLOCK: &str = r"(?:[0-9]{1,3}:)?[0-9]{1,2}:[0-9]{2}(?:[.,][0-9]{1,3})?";
/// Between the two ends of a time range: `00:01 - 00:05`.
const RANGE_SEP: &str = r"\s*(?:-->|-|~|–|—|至)\s*";

/// Builds a regex from a constant pattern, filling in `{TS}` and `{SEP}`.
fn clock_regex(pattern: &str) -> Regex {
    let full = pattern.replace("{TS}", CLOCK).replace("{SEP}", RANGE_SEP);
    Regex::new(&full).expect("constant transcript regex must compile")
}

fn constant_regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("constant transcript regex must compile")
}

/// `[00:01:23] 张三: text`, `00:01:23 张三：text`, `[00:01 - 00:05] A: text`.
static TIME_FIRST_RE: Lazy<Regex> = Lazy::new(|| {
    clock_regex(r"^[\[【(（]?\s*({TS})(?:{SEP}({TS}))?\s*[\]】)）]?\s*(.+?)\s*[:：]\s*(.*)$")
});
/// `张三(00:01:23): text`, or `张三（00:01:23）：` with the text on the next lines.
/// The colon or end of line after the bracket keeps `约在(10:30)见面` from matching.
static NAME_PAREN_TIME_RE: Lazy<Regex> = Lazy::new(|| {
    clock_regex(r"^(.+?)\s*[(（\[【]\s*({TS})(?:{SEP}({TS}))?\s*[)）\]】]\s*(?:[:：]\s*(.*))?$")
});
/// `张三  00:01:23`, `说话人1 00:00:05`: the speech follows on the next lines.
static NAME_TIME_HEADER_RE: Lazy<Regex> =
    Lazy::new(|| clock_regex(r"^(.+?)\s+({TS})(?:{SEP}({TS}))?$"));
/// `00:00:01,000 --> 00:00:04,000` plus optional cue settings.
static CUE_TIMING_RE: Lazy<Regex> = Lazy::new(|| clock_regex(r"^({TS})\s*-->\s*({TS})(?:\s+.*)?$"));
/// A line that starts like a clock is meant as a timing line, even if broken.
static LEADING_CLOCK_RE: Lazy<Regex> = Lazy::new(|| constant_regex(r"^[0-9]{1,3}:[0-9]"));
/// WebVTT voice span: `<v Name>` or `<v.loud Name>`.
static VOICE_RE: Lazy<Regex> = Lazy::new(|| constant_regex(r"<v(?:\.[^\s>]*)?\s+([^>]*)>"));
/// Markup tags (`<i>`, `</c>`, `<c.yellow>`) and inline timestamps (`<00:00:01.000>`).
/// Requiring a letter or digit after `<` leaves text such as `a < b > c` alone.
static TAG_RE: Lazy<Regex> =
    Lazy::new(|| constant_regex(r"</?(?:[A-Za-z][^<>]*|[0-9]{1,3}:[^<>]*)>"));
/// ASS override tags that some SRT files carry: `{\an8}`.
static ASS_TAG_RE: Lazy<Regex> = Lazy::new(|| constant_regex(r"\{\\[^}]*\}"));
static ENTITY_RE: Lazy<Regex> = Lazy::new(|| {
    constant_regex(r"&(amp|lt|gt|nbsp|quot|apos|lrm|rlm|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
});
/// Chinese role labels with an optional suffix: `用户A`, `受访者1`, `用户（张女士）`, `用户-张女士`.
static CJK_LABEL_RE: Lazy<Regex> = Lazy::new(|| {
    constant_regex(
        r"^(访谈者|采访者|主持人|研究员|调研员|面试官|提问者|记者|问|用户|受访者|被访者|客户|访谈对象|答)(?:\s*[-_#·]?\s*[A-Za-z0-9０-９一二三四五六七八九十甲乙丙丁]{1,3}|\s*[(（][^()（）]{1,18}[)）]|(?:\s*[-_·—]\s*|\s+)\S.{0,15})?$",
    )
});
/// Latin role labels: `Q`, `Q1`, `User B`, `Respondent (Li)`. A bare letter suffix needs a
/// space so that a name such as `Hostetler` is not taken for `Host`.
static LATIN_LABEL_RE: Lazy<Regex> = Lazy::new(|| {
    constant_regex(
        r"(?i)^(interviewer|moderator|host|q|interviewee|respondent|user|customer|a)(?:\s*[-_#]?\s*[0-9]{1,3}|\s+[a-z]|\s*[(（][^()（）]{1,18}[)）])?$",
    )
});

/// A turn before roles are known.
struct RawTurn {
    speaker: String,
    text: String,
    start_ms: Option<u64>,
    end_ms: Option<u64>,
}

fn normalize_newlines(input: &str) -> String {
    input
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

fn malformed(line: usize, message: impl Into<String>) -> TranscriptError {
    TranscriptError::Malformed {
        line,
        message: message.into(),
    }
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Milliseconds from `HH:MM:SS`, `MM:SS`, each optionally with `.mmm` or `,mmm`.
fn parse_clock(s: &str) -> Option<u64> {
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

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Han, kana, Hangul and full-width punctuation: scripts written without spaces.
fn is_cjk(c: char) -> bool {
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
fn join_line(dst: &mut String, add: &str) {
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
fn join_caption(dst: &mut String, add: &str) {
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
fn merge_turns(raw: Vec<RawTurn>, captions: bool) -> Vec<RawTurn> {
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
                last.start_ms = last.start_ms.or(turn.start_ms);
                last.end_ms = turn.end_ms.or(last.end_ms);
                continue;
            }
        }
        out.push(turn);
    }
    out
}

// ---------------------------------------------------------------------------
// Speaker labels
// ---------------------------------------------------------------------------

/// Splits `LABEL：text` / `LABEL: text` when LABEL looks like a speaker.
fn split_label(line: &str) -> Option<(String, String)> {
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
fn is_clock_split(label: &str, rest: &str) -> bool {
    label.ends_with(|c: char| c.is_ascii_digit()) && rest.starts_with(|c: char| c.is_ascii_digit())
}

/// The cleaned speaker name if `raw` can be a label, e.g. `**主持人**` → `主持人`.
fn speaker_name(raw: &str) -> Option<String> {
    let trimmed = raw.trim().trim_matches('*').trim();
    let name = collapse_whitespace(unwrap_brackets(trimmed));
    looks_like_name(&name).then_some(name)
}

/// `【主持人】` and `[张三]` are common ways to mark a speaker.
fn unwrap_brackets(s: &str) -> &str {
    for (open, close) in [('【', '】'), ('[', ']')] {
        if let Some(inner) = s.strip_prefix(open).and_then(|r| r.strip_suffix(close)) {
            return inner.trim();
        }
    }
    s
}

/// A label is short, starts with a letter or Han character and has no sentence punctuation.
fn looks_like_name(name: &str) -> bool {
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
fn without_title(name: &str) -> &str {
    for title in ["Dr. ", "Mr. ", "Mrs. ", "Ms. ", "Prof. "] {
        if let Some(rest) = name.strip_prefix(title) {
            return rest;
        }
    }
    name
}

#[rustfmt::skip]
fn is_sentence_punct(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '！' | '？' | '；' | '、' | '…' | ',' | '.' | '!' | '?' | ';' | ':' | '：'
            | '"' | '“' | '”' | '「' | '」' | '『' | '』' | '《' | '》' | '<' | '>' | '/' | '\\'
            | '=' | '|' | '*'
    )
}

/// The role a conventional label implies, or `None` for a personal name.
fn known_label_role(speaker: &str) -> Option<Role> {
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

// ---------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------

struct SpeakerStats<'a> {
    name: &'a str,
    turns: usize,
    questions: usize,
    role: Option<Role>,
}

fn fold_name(name: &str) -> String {
    collapse_whitespace(name).to_lowercase()
}

/// Roles per turn: caller-given names first, then conventional labels, then (when no
/// interviewer is known yet) the most questioning named speaker; everyone else responds.
fn assign_roles(turns: &[RawTurn], interviewer_names: &[String]) -> Vec<Role> {
    let mut speakers = speaker_stats(turns);
    let wanted: Vec<String> = interviewer_names
        .iter()
        .map(|n| fold_name(n))
        .filter(|n| !n.is_empty())
        .collect();
    for s in &mut speakers {
        s.role = if wanted.contains(&fold_name(s.name)) {
            Some(Role::Interviewer)
        } else {
            known_label_role(s.name)
        };
    }
    let interviewer_known = speakers.iter().any(|s| s.role == Some(Role::Interviewer));
    // A lone speaker is someone talking about their experience, not an interviewer.
    if !interviewer_known && speakers.len() > 1 {
        if let Some(i) = most_questioning(&speakers) {
            speakers[i].role = Some(Role::Interviewer);
        }
    }
    turns
        .iter()
        .map(|t| {
            speakers
                .iter()
                .find(|s| s.name == t.speaker)
                .and_then(|s| s.role)
                .unwrap_or(Role::Respondent)
        })
        .collect()
}

/// Speakers in order of first appearance with their turn and question counts.
fn speaker_stats(turns: &[RawTurn]) -> Vec<SpeakerStats<'_>> {
    let mut speakers: Vec<SpeakerStats<'_>> = Vec::new();
    for turn in turns {
        let questions = turn.text.chars().filter(|&c| c == '?' || c == '？').count();
        let found = speakers.iter().position(|s| s.name == turn.speaker);
        match found {
            Some(i) => {
                speakers[i].turns += 1;
                speakers[i].questions += questions;
            }
            None => speakers.push(SpeakerStats {
                name: turn.speaker.as_str(),
                turns: 1,
                questions,
                role: None,
            }),
        }
    }
    speakers
}

/// The undecided speaker with the most question marks per turn; ties go to whoever
/// spoke first, since interviews usually open with the interviewer.
fn most_questioning(speakers: &[SpeakerStats<'_>]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, s) in speakers.iter().enumerate() {
        if s.role.is_some() {
            continue;
        }
        let better = match best.and_then(|b| speakers.get(b)) {
            None => true,
            // Compare questions/turns as cross products to stay in integers.
            Some(b) => s.questions.saturating_mul(b.turns) > b.questions.saturating_mul(s.turns),
        };
        if better {
            best = Some(i);
        }
    }
    best
}

// ---------------------------------------------------------------------------
// Plain text
// ---------------------------------------------------------------------------

fn parse_text(text: &str) -> Result<Vec<RawTurn>, TranscriptError> {
    let mut turns: Vec<RawTurn> = Vec::new();
    let mut first_unlabelled: Option<usize> = None;
    for (i, raw_line) in text.lines().enumerate() {
        let line = raw_line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(turn) = labelled_line(line) {
            turns.push(turn);
        } else if let Some(current) = turns.last_mut() {
            join_line(&mut current.text, line);
        } else if first_unlabelled.is_none() {
            // Titles and export headers before the first speaker are skipped.
            first_unlabelled = Some(i + 1);
        }
    }
    match (turns.is_empty(), first_unlabelled) {
        (true, Some(line)) => Err(malformed(
            line,
            "no speaker label found; start each turn with a label such as `用户：`, `主持人：` or `A:`",
        )),
        _ => Ok(turns),
    }
}

/// A line that starts a turn, in any of the supported label styles.
fn labelled_line(line: &str) -> Option<RawTurn> {
    time_first_line(line)
        .or_else(|| name_then_time_line(line, &NAME_PAREN_TIME_RE))
        .or_else(|| name_then_time_line(line, &NAME_TIME_HEADER_RE))
        .or_else(|| {
            let (speaker, text) = split_label(line)?;
            Some(RawTurn {
                speaker,
                text,
                start_ms: None,
                end_ms: None,
            })
        })
}

/// `[00:01:23] 张三: text`
fn time_first_line(line: &str) -> Option<RawTurn> {
    let caps = TIME_FIRST_RE.captures(line)?;
    let (start_ms, end_ms) = clock_range(&caps, 1, 2)?;
    let speaker = speaker_name(cap_str(&caps, 3))?;
    Some(RawTurn {
        speaker,
        text: cap_str(&caps, 4).trim().to_string(),
        start_ms,
        end_ms,
    })
}

/// `张三(00:01:23): text` or `张三  00:01:23` (groups: name, start, end, optional text).
fn name_then_time_line(line: &str, re: &Regex) -> Option<RawTurn> {
    let caps = re.captures(line)?;
    let speaker = speaker_name(cap_str(&caps, 1))?;
    let (start_ms, end_ms) = clock_range(&caps, 2, 3)?;
    Some(RawTurn {
        speaker,
        text: cap_str(&caps, 4).trim().to_string(),
        start_ms,
        end_ms,
    })
}

fn cap_str<'h>(caps: &Captures<'h>, group: usize) -> &'h str {
    caps.get(group).map_or("", |m| m.as_str())
}

/// Start (required) and end (optional) clock times from two capture groups.
fn clock_range(
    caps: &Captures<'_>,
    start: usize,
    end: usize,
) -> Option<(Option<u64>, Option<u64>)> {
    let start_ms = parse_clock(caps.get(start)?.as_str())?;
    let end_ms = match caps.get(end) {
        Some(m) => Some(parse_clock(m.as_str())?),
        None => None,
    };
    Some((Some(start_ms), end_ms))
}

// ---------------------------------------------------------------------------
// SRT and WebVTT
// ---------------------------------------------------------------------------

/// A trimmed non-empty line with its 1-based number.
type Line<'a> = (usize, &'a str);

struct Cue {
    start_ms: u64,
    end_ms: u64,
    lines: Vec<String>,
}

/// A piece of cue text with the speaker it names, if any.
struct Segment {
    speaker: Option<String>,
    text: String,
    start_ms: u64,
    end_ms: u64,
}

fn parse_srt(text: &str) -> Result<Vec<RawTurn>, TranscriptError> {
    let cues = parse_cues(&split_blocks(text))?;
    Ok(attribute(cues.iter().flat_map(cue_segments).collect()))
}

fn parse_vtt(text: &str) -> Result<Vec<RawTurn>, TranscriptError> {
    let mut blocks = split_blocks(text);
    let has_header = blocks
        .first()
        .and_then(|b| b.first())
        .is_some_and(|&(_, l)| l.starts_with("WEBVTT"));
    if has_header {
        // Lines under `WEBVTT` (`Kind: captions`, …) are metadata, not speech.
        let header = blocks.remove(0);
        // Tolerate a first cue written straight under the header without a blank line.
        if let Some(k) = header.iter().position(|&(_, l)| l.contains("-->")) {
            blocks.insert(0, header[k..].to_vec());
        }
    }
    blocks.retain(|block| !is_vtt_metadata(block));
    let cues = parse_cues(&blocks)?;
    Ok(attribute(cues.iter().flat_map(cue_segments).collect()))
}

/// Blank-line separated blocks of trimmed lines.
fn split_blocks(text: &str) -> Vec<Vec<Line<'_>>> {
    let mut blocks = Vec::new();
    let mut current: Vec<Line<'_>> = Vec::new();
    for (i, raw_line) in text.lines().enumerate() {
        let line = raw_line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
        } else {
            current.push((i + 1, line));
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

fn is_vtt_metadata(block: &[Line<'_>]) -> bool {
    let Some(&(_, first)) = block.first() else {
        return false;
    };
    let keyword = first.split_whitespace().next().unwrap_or_default();
    matches!(keyword, "NOTE" | "STYLE" | "REGION") && !block.iter().any(|&(_, l)| l.contains("-->"))
}

/// Reads cue blocks: optional identifier, timing line, text lines.
fn parse_cues(blocks: &[Vec<Line<'_>>]) -> Result<Vec<Cue>, TranscriptError> {
    let mut cues: Vec<Cue> = Vec::new();
    for block in blocks {
        let Some(&(first_no, first)) = block.first() else {
            continue;
        };
        if let Some(pos) = timing_position(block) {
            let (line_no, timing) = block[pos];
            let (start_ms, end_ms) = parse_timing(timing).ok_or_else(|| {
                malformed(
                    line_no,
                    format!("invalid cue timing `{timing}`; expected e.g. `00:00:01,000 --> 00:00:04,000`"),
                )
            })?;
            let lines = block[pos + 1..]
                .iter()
                .map(|&(_, l)| l.to_string())
                .collect();
            cues.push(Cue {
                start_ms,
                end_ms,
                lines,
            });
        } else if is_cue_number(first) {
            if let Some(&(line_no, _)) = block.get(1) {
                return Err(malformed(
                    line_no,
                    "expected a cue timing line like `00:00:01,000 --> 00:00:04,000`",
                ));
            }
            // A lone number: its timing may follow after a stray blank line.
        } else if let Some(last) = cues.last_mut() {
            // A blank line inside cue text: keep the text with its cue.
            last.lines.extend(block.iter().map(|&(_, l)| l.to_string()));
        } else {
            return Err(malformed(
                first_no,
                "expected a subtitle cue (a timing line like `00:00:01,000 --> 00:00:04,000`)",
            ));
        }
    }
    Ok(cues)
}

/// The timing line is the first or (after an identifier) the second line of a cue.
fn timing_position(block: &[Line<'_>]) -> Option<usize> {
    block
        .iter()
        .take(2)
        .position(|&(_, l)| l.contains("-->") || LEADING_CLOCK_RE.is_match(l))
}

fn parse_timing(line: &str) -> Option<(u64, u64)> {
    let caps = CUE_TIMING_RE.captures(line)?;
    let start = parse_clock(caps.get(1)?.as_str())?;
    let end = parse_clock(caps.get(2)?.as_str())?;
    (end >= start).then_some((start, end))
}

fn is_cue_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits a cue's text by voice tags and `Name:` prefixes; unattributed text stays with
/// the segment before it (or is left for `attribute` when the cue starts without a name).
fn cue_segments(cue: &Cue) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    for line in &cue.lines {
        for (voice, piece) in split_voices(line) {
            let clean = clean_caption(piece);
            let (speaker, text) = match voice {
                Some(name) => (Some(name), clean),
                None => match split_label(&clean) {
                    Some((name, rest)) => (Some(name), rest),
                    None => (None, clean),
                },
            };
            if speaker.is_none() {
                if let Some(last) = segments.last_mut() {
                    join_caption(&mut last.text, &text);
                    continue;
                }
            }
            segments.push(Segment {
                speaker,
                text,
                start_ms: cue.start_ms,
                end_ms: cue.end_ms,
            });
        }
    }
    segments
}

/// Cuts a line at each `<v Name>` tag. A voice piece is kept even when empty so that
/// the speaker change carries over to the following lines.
fn split_voices(line: &str) -> Vec<(Option<String>, &str)> {
    let mut pieces = Vec::new();
    let mut voice: Option<String> = None;
    let mut pos = 0;
    for caps in VOICE_RE.captures_iter(line) {
        let Some(tag) = caps.get(0) else {
            continue;
        };
        let before = &line[pos..tag.start()];
        if voice.is_some() || !before.trim().is_empty() {
            pieces.push((voice.clone(), before));
        }
        voice = caps
            .get(1)
            .map(|m| collapse_whitespace(&decode_entities(m.as_str())))
            .filter(|name| !name.is_empty());
        pos = tag.end();
    }
    let rest = &line[pos..];
    if voice.is_some() || !rest.trim().is_empty() {
        pieces.push((voice, rest));
    }
    pieces
}

/// Removes markup and decodes the entities captions use.
fn clean_caption(raw: &str) -> String {
    let without_ass = ASS_TAG_RE.replace_all(raw, "");
    let without_tags = TAG_RE.replace_all(&without_ass, "");
    collapse_whitespace(&decode_entities(&without_tags))
}

/// One pass, so `&amp;lt;` becomes `&lt;` rather than `<`.
fn decode_entities(s: &str) -> String {
    ENTITY_RE
        .replace_all(s, |caps: &Captures<'_>| {
            let whole = cap_str(caps, 0);
            match cap_str(caps, 1) {
                "amp" => "&".to_string(),
                "lt" => "<".to_string(),
                "gt" => ">".to_string(),
                "nbsp" => " ".to_string(),
                "quot" => "\"".to_string(),
                "apos" => "'".to_string(),
                "lrm" | "rlm" => String::new(),
                numeric => numeric_entity(numeric).map_or_else(|| whole.to_string(), String::from),
            }
        })
        .into_owned()
}

/// `#39` or `#x27` → the character, if it is a valid one.
fn numeric_entity(name: &str) -> Option<char> {
    let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => name.strip_prefix('#')?.parse::<u32>().ok()?,
    };
    char::from_u32(code)
}

/// Gives every segment a speaker: unattributed ones continue the previous speaker.
/// Leading unattributed cues go to the first speaker named anywhere, and when nobody is
/// named at all the whole file is one respondent.
fn attribute(segments: Vec<Segment>) -> Vec<RawTurn> {
    let mut current = segments
        .iter()
        .find_map(|s| s.speaker.clone())
        .unwrap_or_else(|| DEFAULT_SPEAKER.to_string());
    segments
        .into_iter()
        .map(|seg| {
            if let Some(name) = seg.speaker {
                current = name;
            }
            RawTurn {
                speaker: current.clone(),
                text: seg.text,
                start_ms: Some(seg.start_ms),
                end_ms: Some(seg.end_ms),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Role::{Interviewer, Respondent};
    use super::TranscriptFormat::{Srt, Text, Vtt};
    use super::*;

    fn parse_ok(format: TranscriptFormat, input: &str) -> Vec<Turn> {
        match parse(format, input, &[]) {
            Ok(turns) => turns,
            Err(e) => panic!("expected turns, got {e:?} for {input:?}"),
        }
    }

    fn who(turns: &[Turn]) -> Vec<(&str, Role)> {
        turns.iter().map(|t| (t.speaker.as_str(), t.role)).collect()
    }

    fn texts(turns: &[Turn]) -> Vec<&str> {
        turns.iter().map(|t| t.text.as_str()).collect()
    }

    fn times(turns: &[Turn]) -> Vec<(Option<u64>, Option<u64>)> {
        turns.iter().map(|t| (t.start_ms, t.end_ms)).collect()
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn malformed_line(result: Result<Vec<Turn>, TranscriptError>) -> usize {
        match result {
            Err(TranscriptError::Malformed { line, .. }) => line,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    // --- format names and serde -------------------------------------------------

    #[test]
    fn format_names() {
        assert_eq!(TranscriptFormat::parse("text"), Some(Text));
        assert_eq!(TranscriptFormat::parse(" TXT "), Some(Text));
        assert_eq!(TranscriptFormat::parse("srt"), Some(Srt));
        assert_eq!(TranscriptFormat::parse("vtt"), Some(Vtt));
        assert_eq!(TranscriptFormat::parse("WebVTT"), Some(Vtt));
        assert_eq!(TranscriptFormat::parse("docx"), None);
        assert_eq!(TranscriptFormat::parse(""), None);
    }

    #[test]
    fn serde_names_are_lowercase() {
        assert_eq!(
            serde_json::to_string(&Role::Interviewer).unwrap(),
            "\"interviewer\""
        );
        assert_eq!(serde_json::to_string(&Text).unwrap(), "\"text\"");
        assert_eq!(
            serde_json::from_str::<TranscriptFormat>("\"vtt\"").unwrap(),
            Vtt
        );
    }

    #[test]
    fn clock_parsing() {
        assert_eq!(parse_clock("01:02:03,456"), Some(3_723_456));
        assert_eq!(parse_clock("00:01:23"), Some(83_000));
        assert_eq!(parse_clock("02:03.5"), Some(123_500));
        assert_eq!(parse_clock("1:23"), Some(83_000));
        assert_eq!(parse_clock("00:61"), None);
        assert_eq!(parse_clock("00:60:00"), None);
        assert_eq!(parse_clock("00:00:01.0000"), None);
        assert_eq!(parse_clock("00:00:01."), None);
    }

    // --- plain text labels ---------------------------------------------------------

    #[test]
    fn chinese_labels_with_continuation_lines() {
        let turns = parse_ok(
            Text,
            "访谈者：你平时怎么记账？\n用户：用手机App。\n主要是随手记。\n访谈者：为什么？\n用户：方便。",
        );
        assert_eq!(
            who(&turns),
            vec![
                ("访谈者", Interviewer),
                ("用户", Respondent),
                ("访谈者", Interviewer),
                ("用户", Respondent)
            ]
        );
        assert_eq!(
            texts(&turns),
            vec![
                "你平时怎么记账？",
                "用手机App。\n主要是随手记。",
                "为什么？",
                "方便。"
            ]
        );
        assert_eq!(
            turns.iter().map(|t| t.index).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
        assert!(turns
            .iter()
            .all(|t| t.start_ms.is_none() && t.end_ms.is_none()));
    }

    #[test]
    fn every_known_interviewer_label() {
        for label in [
            "访谈者",
            "采访者",
            "主持人",
            "研究员",
            "调研员",
            "面试官",
            "提问者",
            "记者",
            "问",
            "Q",
            "Interviewer",
            "MODERATOR",
            "host",
        ] {
            let turns = parse_ok(Text, &format!("{label}：你好吗？\n用户：很好。"));
            assert_eq!(
                who(&turns),
                vec![(label, Interviewer), ("用户", Respondent)],
                "{label}"
            );
        }
    }

    #[test]
    fn every_known_respondent_label() {
        for label in [
            "用户",
            "受访者",
            "被访者",
            "客户",
            "访谈对象",
            "A",
            "答",
            "Interviewee",
            "respondent",
            "USER",
            "Customer",
        ] {
            let turns = parse_ok(Text, &format!("主持人: 你好吗？\n{label}: 很好。"));
            assert_eq!(
                who(&turns),
                vec![("主持人", Interviewer), (label, Respondent)],
                "{label}"
            );
            assert_eq!(turns[1].text, "很好。");
        }
    }

    #[test]
    fn english_labels() {
        let turns = parse_ok(
            Text,
            "Interviewer: How do you pay?\nRespondent: By card, mostly.\nModerator: Why?\nuser: Habit.",
        );
        assert_eq!(
            who(&turns),
            vec![
                ("Interviewer", Interviewer),
                ("Respondent", Respondent),
                ("Moderator", Interviewer),
                ("user", Respondent)
            ]
        );
        assert_eq!(turns[1].text, "By card, mostly.");
    }

    #[test]
    fn numbered_q_and_a() {
        let turns = parse_ok(
            Text,
            "Q1: What's hard?\nA1: Exporting data.\nQ2: Anything else?\nA2: No.",
        );
        assert_eq!(
            who(&turns),
            vec![
                ("Q1", Interviewer),
                ("A1", Respondent),
                ("Q2", Interviewer),
                ("A2", Respondent)
            ]
        );
        let chinese = parse_ok(Text, "问：你用过吗？\n答：用过。");
        assert_eq!(who(&chinese), vec![("问", Interviewer), ("答", Respondent)]);
    }

    #[test]
    fn labels_with_suffixes() {
        let turns = parse_ok(
            Text,
            "主持人：请介绍一下。\n用户A：我是设计师。\n受访者1：我是学生。\n用户（张女士）：我是老师。\n\
             被访者-李先生：我是医生。\nUser B: I'm a nurse.\nRespondent (Li): Me too.",
        );
        assert_eq!(
            who(&turns),
            vec![
                ("主持人", Interviewer),
                ("用户A", Respondent),
                ("受访者1", Respondent),
                ("用户（张女士）", Respondent),
                ("被访者-李先生", Respondent),
                ("User B", Respondent),
                ("Respondent (Li)", Respondent),
            ]
        );
        assert_eq!(turns[5].text, "I'm a nurse.");
    }

    #[test]
    fn crlf_bom_and_both_colons() {
        let turns = parse_ok(
            Text,
            "\u{feff}主持人: 你好？\r\n用户：你好。\r\n\r\n  主持人：再见\r用户: 拜拜  \r\n",
        );
        assert_eq!(
            who(&turns),
            vec![
                ("主持人", Interviewer),
                ("用户", Respondent),
                ("主持人", Interviewer),
                ("用户", Respondent)
            ]
        );
        assert_eq!(texts(&turns), vec!["你好？", "你好。", "再见", "拜拜"]);
    }

    #[test]
    fn consecutive_turns_of_one_speaker_merge() {
        let turns = parse_ok(Text, "用户：第一句。\n用户：第二句。\n主持人：好？");
        assert_eq!(
            who(&turns),
            vec![("用户", Respondent), ("主持人", Interviewer)]
        );
        assert_eq!(turns[0].text, "第一句。\n第二句。");
        assert_eq!(turns[1].index, 1);
    }

    #[test]
    fn markdown_bold_labels() {
        let turns = parse_ok(Text, "**主持人**：你好？\n**用户：**还行。");
        assert_eq!(
            who(&turns),
            vec![("主持人", Interviewer), ("用户", Respondent)]
        );
        assert_eq!(texts(&turns), vec!["你好？", "还行。"]);
    }

    #[test]
    fn header_lines_before_first_label_are_skipped() {
        let turns = parse_ok(
            Text,
            "访谈记录\n会议主题：用户访谈\n会议时间：2024-05-01 10:00\n参会人：张三、李四\n\n主持人：你好？\n用户：你好。",
        );
        assert_eq!(
            who(&turns),
            vec![("主持人", Interviewer), ("用户", Respondent)]
        );
    }

    #[test]
    fn clock_times_and_urls_in_text_are_not_labels() {
        let turns = parse_ok(
            Text,
            "主持人：几点开始？\n用户：我们约在\n10:30 开会\nhttps://example.com",
        );
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[1].text, "我们约在\n10:30 开会\nhttps://example.com");
    }

    // --- meeting-tool exports --------------------------------------------------------

    #[test]
    fn feishu_style_header_lines() {
        let turns = parse_ok(
            Text,
            "张三  00:01:23\n你们平时怎么收集反馈？\n\n李四  00:01:30\n主要靠客服。\n也有问卷。",
        );
        assert_eq!(
            who(&turns),
            vec![("张三", Interviewer), ("李四", Respondent)]
        );
        assert_eq!(
            texts(&turns),
            vec!["你们平时怎么收集反馈？", "主要靠客服。\n也有问卷。"]
        );
        assert_eq!(
            times(&turns),
            vec![(Some(83_000), None), (Some(90_000), None)]
        );
    }

    #[test]
    fn tencent_style_numbered_speakers() {
        let turns = parse_ok(
            Text,
            "说话人1 00:00:05\n你好，请问你是做什么的？\n说话人2 00:00:09\n我是产品经理。",
        );
        assert_eq!(
            who(&turns),
            vec![("说话人1", Interviewer), ("说话人2", Respondent)]
        );
        assert_eq!(
            times(&turns),
            vec![(Some(5_000), None), (Some(9_000), None)]
        );
    }

    #[test]
    fn minutes_seconds_headers() {
        let turns = parse_ok(Text, "张三 01:05\n你好吗？\n李四 01:10\n很好。");
        assert_eq!(
            times(&turns),
            vec![(Some(65_000), None), (Some(70_000), None)]
        );
        assert_eq!(
            who(&turns),
            vec![("张三", Interviewer), ("李四", Respondent)]
        );
    }

    #[test]
    fn name_with_parenthesised_time() {
        let turns = parse_ok(
            Text,
            "张三(00:01:23): 最近用得怎么样？\nLi Si(00:01:30.500): Pretty good.",
        );
        assert_eq!(
            who(&turns),
            vec![("张三", Interviewer), ("Li Si", Respondent)]
        );
        assert_eq!(texts(&turns), vec!["最近用得怎么样？", "Pretty good."]);
        assert_eq!(
            times(&turns),
            vec![(Some(83_000), None), (Some(90_500), None)]
        );

        let next_line = parse_ok(
            Text,
            "主持人（00:00:02）：\n你好？\n用户（00:00:04）：\n你好。",
        );
        assert_eq!(texts(&next_line), vec!["你好？", "你好。"]);
        assert_eq!(next_line[1].start_ms, Some(4_000));
    }

    #[test]
    fn bracketed_timestamp_before_label() {
        let turns = parse_ok(
            Text,
            "[00:00:01] Interviewer: What do you use?\n[00:00:04,250] 王女士: 记事本。",
        );
        assert_eq!(
            who(&turns),
            vec![("Interviewer", Interviewer), ("王女士", Respondent)]
        );
        assert_eq!(
            times(&turns),
            vec![(Some(1_000), None), (Some(4_250), None)]
        );
        assert_eq!(turns[1].text, "记事本。");

        let plain = parse_ok(Text, "00:00:05 张三：你好吗？\n00:00:09 李四：挺好。");
        assert_eq!(
            times(&plain),
            vec![(Some(5_000), None), (Some(9_000), None)]
        );
        assert_eq!(
            who(&plain),
            vec![("张三", Interviewer), ("李四", Respondent)]
        );
    }

    #[test]
    fn time_ranges_set_end_ms() {
        let turns = parse_ok(
            Text,
            "[00:00:01 - 00:00:04] 主持人: 你好？\n[00:00:04 - 00:00:09] 用户: 你好。",
        );
        assert_eq!(
            times(&turns),
            vec![(Some(1_000), Some(4_000)), (Some(4_000), Some(9_000))]
        );
    }

    // --- roles -------------------------------------------------------------------------

    #[test]
    fn questioner_is_interviewer() {
        let first = parse_ok(
            Text,
            "张三：你平时用什么工具？\n李四：Excel。\n张三：为什么不用别的？\n李四：习惯了。",
        );
        assert_eq!(
            who(&first)[..2],
            [("张三", Interviewer), ("李四", Respondent)]
        );

        let second = parse_ok(
            Text,
            "李四：我最近换了工具。\n张三：换成什么了？\n李四：Notion。\n张三：好用吗？",
        );
        assert_eq!(
            who(&second)[..2],
            [("李四", Respondent), ("张三", Interviewer)]
        );
    }

    #[test]
    fn questions_are_counted_per_turn() {
        // Ann asks as many questions as Ben in total, but Ben asks in every turn.
        let turns = parse_ok(
            Text,
            "Ann: Is it ok? Really?\nBen: Why?\nAnn: Fine.\nBen: How?\nAnn: Good.",
        );
        assert_eq!(
            who(&turns)[..2],
            [("Ann", Respondent), ("Ben", Interviewer)]
        );
    }

    #[test]
    fn question_tie_goes_to_first_speaker() {
        let turns = parse_ok(Text, "Alice: hello\nBob: hi");
        assert_eq!(
            who(&turns),
            vec![("Alice", Interviewer), ("Bob", Respondent)]
        );
    }

    #[test]
    fn known_interviewer_label_makes_names_respondents() {
        let turns = parse_ok(
            Text,
            "主持人：你怎么看？\n张女士：我觉得不错，你呢？\n李先生：一般。",
        );
        assert_eq!(
            who(&turns),
            vec![
                ("主持人", Interviewer),
                ("张女士", Respondent),
                ("李先生", Respondent)
            ]
        );
    }

    #[test]
    fn named_speaker_next_to_respondent_label_is_interviewer() {
        let turns = parse_ok(Text, "张三：你用过吗？\n用户：用过。");
        assert_eq!(
            who(&turns),
            vec![("张三", Interviewer), ("用户", Respondent)]
        );
    }

    #[test]
    fn single_named_speaker_is_respondent() {
        let turns = parse_ok(Text, "张三：我觉得挺好用的？\n还有一点就是快。");
        assert_eq!(who(&turns), vec![("张三", Respondent)]);
        assert_eq!(turns[0].text, "我觉得挺好用的？\n还有一点就是快。");
    }

    #[test]
    fn interviewer_names_override_heuristic() {
        let input = "王五：你好。\n赵六：请问你用过吗？";
        let guessed = parse_ok(Text, input);
        assert_eq!(
            who(&guessed),
            vec![("王五", Respondent), ("赵六", Interviewer)]
        );

        let named = parse(Text, input, &names(&["王五"])).unwrap();
        assert_eq!(
            who(&named),
            vec![("王五", Interviewer), ("赵六", Respondent)]
        );

        let english = parse(
            Text,
            "Alice: I use it daily.\nBob: Why? How?",
            &names(&[" alice "]),
        )
        .unwrap();
        assert_eq!(
            who(&english),
            vec![("Alice", Interviewer), ("Bob", Respondent)]
        );
    }

    // --- SRT -----------------------------------------------------------------------------

    #[test]
    fn srt_with_name_prefixes_and_merging() {
        let input = "1\n00:00:01,000 --> 00:00:04,000\n主持人：你好，最近怎么样？\n\n\
                     2\n00:00:04,500 --> 00:00:07,000\n用户：还行。\n\n\
                     3\n00:00:07,000 --> 00:00:09,000\n就是有点忙。\n";
        let turns = parse_ok(Srt, input);
        assert_eq!(
            who(&turns),
            vec![("主持人", Interviewer), ("用户", Respondent)]
        );
        assert_eq!(
            texts(&turns),
            vec!["你好，最近怎么样？", "还行。就是有点忙。"]
        );
        assert_eq!(
            times(&turns),
            vec![(Some(1_000), Some(4_000)), (Some(4_500), Some(9_000))]
        );
    }

    #[test]
    fn srt_english_multiline_cue_with_tags() {
        let input =
            "1\n00:00:01,000 --> 00:00:03,000\nInterviewer: How do you\n<i>track expenses?</i>\n\n\
                     2\n01:00:03,500 --> 01:00:06,000\nSam: I use a spreadsheet\n";
        let turns = parse_ok(Srt, input);
        assert_eq!(
            who(&turns),
            vec![("Interviewer", Interviewer), ("Sam", Respondent)]
        );
        assert_eq!(
            texts(&turns),
            vec!["How do you track expenses?", "I use a spreadsheet"]
        );
        assert_eq!(turns[1].start_ms, Some(3_603_500));
    }

    #[test]
    fn srt_without_speakers_is_one_respondent() {
        let input = "1\n00:00:01,000 --> 00:00:02,500\nI like it.\n\n2\n00:00:02,500 --> 00:00:04,000\nIt is fast.\n";
        let turns = parse_ok(Srt, input);
        assert_eq!(who(&turns), vec![("受访者", Respondent)]);
        assert_eq!(turns[0].text, "I like it. It is fast.");
        assert_eq!(times(&turns), vec![(Some(1_000), Some(4_000))]);
    }

    #[test]
    fn srt_strips_ass_and_html_tags() {
        let input = "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<b>用户</b>：很好用\n";
        let turns = parse_ok(Srt, input);
        assert_eq!(who(&turns), vec![("用户", Respondent)]);
        assert_eq!(turns[0].text, "很好用");
    }

    #[test]
    fn srt_with_crlf_and_bom() {
        let input = "\u{feff}1\r\n00:00:01,000 --> 00:00:02,000\r\nUser: hi\r\n\r\n2\r\n00:00:02,000 --> 00:00:03,000\r\nHost: ok?\r\n";
        let turns = parse_ok(Srt, input);
        assert_eq!(
            who(&turns),
            vec![("User", Respondent), ("Host", Interviewer)]
        );
    }

    #[test]
    fn srt_bad_timing_reports_its_line() {
        let arrow =
            "1\n00:00:01,000 --> 00:00:04,000\nhello\n\n2\n00:00:05,000 -> 00:00:06,000\nworld\n";
        assert_eq!(malformed_line(parse(Srt, arrow, &[])), 6);

        let garbage = "1\n00:00:01,000 --> 00:00:04,000x\nhi\n";
        assert_eq!(malformed_line(parse(Srt, garbage, &[])), 2);

        let backwards = "1\n00:00:05,000 --> 00:00:01,000\nhi\n";
        assert_eq!(malformed_line(parse(Srt, backwards, &[])), 2);

        let missing = "1\nhello there\n";
        assert_eq!(malformed_line(parse(Srt, missing, &[])), 2);

        let crlf = "\u{feff}1\r\n00:00:01,000 --> 00:00:02,000\r\nhi\r\n\r\n2\r\n00:00:03,000 --> 00:00:0x,000\r\nthere\r\n";
        assert_eq!(malformed_line(parse(Srt, crlf, &[])), 6);

        let text_first = "hello\n\n1\n00:00:01,000 --> 00:00:02,000\nhi\n";
        assert_eq!(malformed_line(parse(Srt, text_first, &[])), 1);
    }

    // --- WebVTT ----------------------------------------------------------------------------

    #[test]
    fn vtt_voice_tags_metadata_and_entities() {
        let input = "WEBVTT - 用户访谈\nKind: captions\nLanguage: zh\n\n\
                     NOTE 这是注释\n第二行\n\n\
                     STYLE\n::cue { color: white }\n\n\
                     intro\n00:00.000 --> 00:02.000 align:start position:10%\n<v.loud 主持人>你们怎么收集反馈？</v>\n\n\
                     00:02.500 --> 00:04.000\n<v 王女士>主要靠<c.yellow>微信群</c>。</v>\n\n\
                     00:04.000 --> 00:05.000\n<00:00:04.100><i>还有问卷。</i>\n\n\
                     00:05.000 --> 00:07.000\n<v 主持人>Tom &amp; Jerry&nbsp;呢？\n";
        let turns = parse_ok(Vtt, input);
        assert_eq!(
            who(&turns),
            vec![
                ("主持人", Interviewer),
                ("王女士", Respondent),
                ("主持人", Interviewer)
            ]
        );
        assert_eq!(
            texts(&turns),
            vec![
                "你们怎么收集反馈？",
                "主要靠微信群。还有问卷。",
                "Tom & Jerry 呢？"
            ]
        );
        assert_eq!(
            times(&turns),
            vec![
                (Some(0), Some(2_000)),
                (Some(2_500), Some(5_000)),
                (Some(5_000), Some(7_000))
            ]
        );
    }

    #[test]
    fn vtt_name_prefixes_zoom_style() {
        let input = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nAlice: How often do you export reports?\n\n\
                     2\n00:00:03.000 --> 00:00:05.000\nBob: Every week.\n\n\
                     3\n00:00:05.000 --> 00:00:06.000\nUsually on Monday.\n\n\
                     4\n00:01:00.000 --> 00:01:02.000\nAlice: Why Monday?\n";
        let turns = parse_ok(Vtt, input);
        assert_eq!(
            who(&turns),
            vec![
                ("Alice", Interviewer),
                ("Bob", Respondent),
                ("Alice", Interviewer)
            ]
        );
        assert_eq!(turns[1].text, "Every week. Usually on Monday.");
        assert_eq!(
            times(&turns)[1..],
            [(Some(3_000), Some(6_000)), (Some(60_000), Some(62_000))]
        );
    }

    #[test]
    fn vtt_full_width_prefix_and_cjk_merge() {
        let input = "WEBVTT\n\n00:01.000 --> 00:03.000\n主持人：最近用得怎么样？\n\n\
                     00:03.000 --> 00:05.000\n张女士：还不错，\n\n00:05.000 --> 00:06.000\n就是有点慢。\n";
        let turns = parse_ok(Vtt, input);
        assert_eq!(
            who(&turns),
            vec![("主持人", Interviewer), ("张女士", Respondent)]
        );
        assert_eq!(turns[1].text, "还不错，就是有点慢。");
        assert_eq!(times(&turns)[1], (Some(3_000), Some(6_000)));
    }

    #[test]
    fn vtt_two_voices_in_one_cue() {
        let input =
            "WEBVTT\n\n00:00.000 --> 00:02.000\n<v Ann>Do you like it?</v> <v Ben>Yes.</v>\n";
        let turns = parse_ok(Vtt, input);
        assert_eq!(who(&turns), vec![("Ann", Interviewer), ("Ben", Respondent)]);
        assert_eq!(texts(&turns), vec!["Do you like it?", "Yes."]);
        assert_eq!(
            times(&turns),
            vec![(Some(0), Some(2_000)), (Some(0), Some(2_000))]
        );
    }

    #[test]
    fn vtt_without_speakers_is_one_respondent() {
        let input = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n我很喜欢\n\n00:00:02.000 --> 00:00:03.000\n这个功能\n";
        let turns = parse_ok(Vtt, input);
        assert_eq!(who(&turns), vec![("受访者", Respondent)]);
        assert_eq!(turns[0].text, "我很喜欢这个功能");
        assert_eq!(times(&turns), vec![(Some(1_000), Some(3_000))]);
    }

    #[test]
    fn vtt_leading_unnamed_cues_join_first_named_speaker() {
        let input =
            "WEBVTT\n\n00:01.000 --> 00:02.000\nhello\n\n00:02.000 --> 00:03.000\nBob: more\n";
        let turns = parse_ok(Vtt, input);
        assert_eq!(who(&turns), vec![("Bob", Respondent)]);
        assert_eq!(turns[0].text, "hello more");
    }

    #[test]
    fn vtt_lenient_header_handling() {
        let no_blank = parse_ok(Vtt, "WEBVTT\n00:00:01.000 --> 00:00:02.000\n客户：挺好的");
        assert_eq!(who(&no_blank), vec![("客户", Respondent)]);
        let no_header = parse_ok(Vtt, "00:00:01.000 --> 00:00:02.000\nUser: hi");
        assert_eq!(who(&no_header), vec![("User", Respondent)]);
    }

    #[test]
    fn vtt_bad_timing_reports_its_line() {
        let input = "WEBVTT\n\nid1\n00:00:01.000 --> 00:00:0x.000\ntext\n";
        assert_eq!(malformed_line(parse(Vtt, input, &[])), 4);
    }

    // --- errors ------------------------------------------------------------------------------

    #[test]
    fn empty_inputs() {
        for format in [Text, Srt, Vtt] {
            for input in ["", "   \n\t \r\n", "\u{feff}", "\u{feff}\r\n"] {
                assert_eq!(
                    parse(format, input, &[]),
                    Err(TranscriptError::Empty),
                    "{input:?}"
                );
            }
        }
        assert_eq!(
            parse(Text, "用户：\n主持人：", &[]),
            Err(TranscriptError::Empty)
        );
        assert_eq!(parse(Vtt, "WEBVTT\n", &[]), Err(TranscriptError::Empty));
    }

    #[test]
    fn text_without_any_label_is_malformed() {
        assert_eq!(
            malformed_line(parse(Text, "随便写点东西\n没有标签", &[])),
            1
        );
        assert_eq!(malformed_line(parse(Text, "\n\n随便写点东西", &[])), 3);
        assert_eq!(malformed_line(parse(Text, "：", &[])), 1);
        assert_eq!(malformed_line(parse(Text, "00:01:23", &[])), 1);
    }

    #[test]
    fn no_respondent() {
        assert_eq!(
            parse(Text, "主持人：你好？\n访谈者：在吗？", &[]),
            Err(TranscriptError::NoRespondent)
        );
        assert_eq!(
            parse(Text, "Q: anyone?", &[]),
            Err(TranscriptError::NoRespondent)
        );
        assert_eq!(
            parse(Text, "张三：有人吗？", &names(&["张三"])),
            Err(TranscriptError::NoRespondent)
        );
        let vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Host>Anyone there?\n";
        assert_eq!(parse(Vtt, vtt, &[]), Err(TranscriptError::NoRespondent));
    }

    #[test]
    fn error_messages() {
        assert_eq!(malformed(3, "bad").to_string(), "line 3: bad");
        assert_eq!(
            TranscriptError::Empty.to_string(),
            "the transcript is empty"
        );
    }

    #[test]
    fn odd_inputs_never_panic() {
        let long = "中文：".repeat(500);
        let odd = [
            "：",
            ":",
            "：：：",
            "00:01:23",
            "[00:00:01]",
            "-->",
            "1\n-->\n",
            "WEBVTT\n\n-->",
            "WEBVTT\n\nNOTE",
            "\u{feff}\r\r\n",
            "😀😀：🙂",
            "用户：😀",
            "e\u{301}\u{301}：x",
            "<v ",
            "<v A",
            "1\n00:00:01,000 --> 00:00:02,000\n<v",
            "1\n00:00:01,000 --> 00:00:02,000\n<v 😀>：",
            "&amp",
            "1\n00:00:01,000 --> 00:00:02,000\n&#xFFFFFFF; &#55296; &#0;",
            "[",
            "【】：",
            "（00:01）：",
            "张三(99:99:99)：",
            "张三 999:99",
            "\u{0}",
            "用户：你好\r\r\r",
            "Q:\u{3000}",
            "9999999999999:00:00,000 --> 9999999999999:00:01,000",
            "1\n99:00:00,000 --> 999:59:59,999\nx",
            long.as_str(),
        ];
        for input in odd {
            for format in [Text, Srt, Vtt] {
                let _ = parse(format, input, &[]);
                let _ = parse(format, input, &names(&["", "：", "😀"]));
            }
        }
        assert_eq!(malformed_line(parse(Srt, "00:01:23", &[])), 1);
        assert_eq!(malformed_line(parse(Vtt, "WEBVTT\n\n-->", &[])), 3);
    }
}
