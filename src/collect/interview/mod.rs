//! Interviews: a transcript (labelled plain text, including 飞书妙记, 腾讯会议 and Zoom
//! exports, SRT or WebVTT) read into speaker turns with the interviewers told apart
//! (`transcript.rs`), and the respondents' turns turned into feedback items ([`to_feedback`]).

mod feedback;
mod transcript;

pub use feedback::{interview_id, to_feedback, Start};
pub use transcript::{parse, Role, TranscriptError, TranscriptFormat, Turn};
