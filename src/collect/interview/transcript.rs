//! Interview transcripts: reads labelled plain text (including 飞书妙记, 腾讯会议 and Zoom
//! exports), SRT and WebVTT into speaker turns, and decides which speakers are the
//! interviewer(s) so that only what respondents said becomes feedback.

use super::plain::*;
use super::roles::*;
use super::shared::*;
use super::subtitles::*;
use super::turn::{Role, TranscriptError, TranscriptFormat, Turn};

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
