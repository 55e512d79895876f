//! What a transcript is read into: speaker turns with their role and timing, and what can go
//! wrong reading one.

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
