//! Plain-text transcripts: one labelled line per turn, as 飞书妙记, 腾讯会议 and Zoom export
//! them, with or without times.

use regex::{Captures, Regex};

use super::shared::*;
use super::speakers::*;
use super::turn::*;

pub(super) fn parse_text(text: &str) -> Result<Vec<RawTurn>, TranscriptError> {
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
pub(super) fn labelled_line(line: &str) -> Option<RawTurn> {
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
pub(super) fn time_first_line(line: &str) -> Option<RawTurn> {
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
pub(super) fn name_then_time_line(line: &str, re: &Regex) -> Option<RawTurn> {
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

pub(super) fn cap_str<'h>(caps: &Captures<'h>, group: usize) -> &'h str {
    caps.get(group).map_or("", |m| m.as_str())
}

/// Start (required) and end (optional) clock times from two capture groups.
pub(super) fn clock_range(
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
