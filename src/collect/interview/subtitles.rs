//! SRT and WebVTT: cues with timings, voices (`<v 张三>`) and caption markup, merged into
//! turns.

use regex::Captures;

use super::plain::*;
use super::shared::*;
use super::speakers::*;
use super::turn::*;

/// A trimmed non-empty line with its 1-based number.
pub(super) type Line<'a> = (usize, &'a str);

pub(super) struct Cue {
    pub(super) start_ms: u64,
    pub(super) end_ms: u64,
    pub(super) lines: Vec<String>,
}

/// A piece of cue text with the speaker it names, if any.
pub(super) struct Segment {
    pub(super) speaker: Option<String>,
    pub(super) text: String,
    pub(super) start_ms: u64,
    pub(super) end_ms: u64,
}

pub(super) fn parse_srt(text: &str) -> Result<Vec<RawTurn>, TranscriptError> {
    let cues = parse_cues(&split_blocks(text))?;
    Ok(attribute(cues.iter().flat_map(cue_segments).collect()))
}

pub(super) fn parse_vtt(text: &str) -> Result<Vec<RawTurn>, TranscriptError> {
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
pub(super) fn split_blocks(text: &str) -> Vec<Vec<Line<'_>>> {
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

pub(super) fn is_vtt_metadata(block: &[Line<'_>]) -> bool {
    let Some(&(_, first)) = block.first() else {
        return false;
    };
    let keyword = first.split_whitespace().next().unwrap_or_default();
    matches!(keyword, "NOTE" | "STYLE" | "REGION") && !block.iter().any(|&(_, l)| l.contains("-->"))
}

/// Reads cue blocks: optional identifier, timing line, text lines.
pub(super) fn parse_cues(blocks: &[Vec<Line<'_>>]) -> Result<Vec<Cue>, TranscriptError> {
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
pub(super) fn timing_position(block: &[Line<'_>]) -> Option<usize> {
    block
        .iter()
        .take(2)
        .position(|&(_, l)| l.contains("-->") || LEADING_CLOCK_RE.is_match(l))
}

pub(super) fn parse_timing(line: &str) -> Option<(u64, u64)> {
    let caps = CUE_TIMING_RE.captures(line)?;
    let start = parse_clock(caps.get(1)?.as_str())?;
    let end = parse_clock(caps.get(2)?.as_str())?;
    (end >= start).then_some((start, end))
}

pub(super) fn is_cue_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits a cue's text by voice tags and `Name:` prefixes; unattributed text stays with
/// the segment before it (or is left for `attribute` when the cue starts without a name).
pub(super) fn cue_segments(cue: &Cue) -> Vec<Segment> {
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
pub(super) fn split_voices(line: &str) -> Vec<(Option<String>, &str)> {
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
pub(super) fn clean_caption(raw: &str) -> String {
    let without_ass = ASS_TAG_RE.replace_all(raw, "");
    let without_tags = TAG_RE.replace_all(&without_ass, "");
    collapse_whitespace(&decode_entities(&without_tags))
}

/// One pass, so `&amp;lt;` becomes `&lt;` rather than `<`.
pub(super) fn decode_entities(s: &str) -> String {
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
pub(super) fn numeric_entity(name: &str) -> Option<char> {
    let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => name.strip_prefix('#')?.parse::<u32>().ok()?,
    };
    char::from_u32(code)
}

/// Gives every segment a speaker: unattributed ones continue the previous speaker.
/// Leading unattributed cues go to the first speaker named anywhere, and when nobody is
/// named at all the whole file is one respondent.
pub(super) fn attribute(segments: Vec<Segment>) -> Vec<RawTurn> {
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
