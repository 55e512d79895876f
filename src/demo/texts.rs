//! The demo's written feedback (`assets/demo/`), embedded in the binary: JSON lines, each a
//! text with its topic and mood, for the generator to date and score.

use serde::Deserialize;

/// How the writer felt; decides the scores a text comes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mood {
    Pos,
    Neu,
    Mixed,
    Neg,
}

/// One written text. `topic` decides when it happens (`payment` rises over the last weeks,
/// `crash` follows the Android 3.2 releases); the other fields belong to some channels only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub topic: String,
    #[serde(default = "neutral")]
    pub mood: Mood,
    pub text: String,
    /// Social posts and store reviews: who wrote it.
    pub author: Option<String>,
    /// Social posts: `weibo` or `xiaohongshu`.
    pub platform: Option<String>,
    /// Store reviews: stars, 1 to 5, and the title.
    pub stars: Option<i16>,
    pub title: Option<String>,
}

fn neutral() -> Mood {
    Mood::Neu
}

/// Answers to the hosted survey's "why this score?".
pub const SURVEY: &str = include_str!("../../assets/demo/survey.jsonl");
/// Tickets a support desk pushes through a webhook.
pub const TICKETS: &str = include_str!("../../assets/demo/tickets.jsonl");
/// A member survey run in 问卷星 and imported as CSV.
pub const MEMBERS: &str = include_str!("../../assets/demo/members.jsonl");
/// 微博 and 小红书 posts pushed by a listening tool.
pub const SOCIAL: &str = include_str!("../../assets/demo/social.jsonl");
/// App Store reviews.
pub const REVIEWS: &str = include_str!("../../assets/demo/reviews.jsonl");
/// Two interview transcripts (plain text, `主持人：` and the interviewee's name).
pub const INTERVIEW_MEMBER: &str = include_str!("../../assets/demo/interview-member.txt");
pub const INTERVIEW_PAYMENT: &str = include_str!("../../assets/demo/interview-payment.txt");

/// The lines of one embedded file. The files are part of the build and a test reads every
/// one, so a line that does not parse is a bug in the assets.
pub fn lines(file: &str) -> Vec<Line> {
    file.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("assets/demo: line {} is not a demo line: {e}", i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_and_says_what_its_channel_needs() {
        for file in [SURVEY, TICKETS, MEMBERS, SOCIAL, REVIEWS] {
            assert!(!lines(file).is_empty());
        }
        for l in lines(SOCIAL) {
            assert!(
                matches!(l.platform.as_deref(), Some("weibo" | "xiaohongshu")),
                "{l:?}"
            );
            assert!(l.author.is_some(), "{l:?}");
        }
        for l in lines(REVIEWS) {
            assert!(matches!(l.stars, Some(1..=5)), "{l:?}");
            assert!(l.author.is_some() && l.title.is_some(), "{l:?}");
        }
        let all: Vec<Line> = [SURVEY, TICKETS, MEMBERS, SOCIAL, REVIEWS]
            .into_iter()
            .flat_map(lines)
            .collect();
        let texts: std::collections::HashSet<&str> = all.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts.len(), all.len(), "every text is written once");
    }
}
