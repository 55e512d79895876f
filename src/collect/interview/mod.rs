//! Interviews: a transcript (labelled plain text, including 飞书妙记, 腾讯会议 and Zoom
//! exports, SRT or WebVTT) read into speaker turns with the interviewers told apart
//! (`transcript.rs`), and the respondents' turns turned into feedback items ([`to_feedback`]).

mod feedback;
mod plain;
mod roles;
mod shared;
mod speakers;
mod subtitles;
mod transcript;
mod turn;

#[cfg(test)]
mod tests;

pub use feedback::{interview_id, to_feedback, Start};
pub use transcript::parse;
pub use turn::{Role, TranscriptError, TranscriptFormat, Turn};
