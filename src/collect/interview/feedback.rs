//! An interview becomes feedback: each respondent turn one item (a long turn several),
//! dated by the interview's start and the turn's offset, with the interviewer's last question
//! as context; and the id an upload with the caller's own id is stored under.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use super::turn::{Role, Turn};
use crate::domain::{
    new_id, stable_id, Channel, FeedbackText, Joint, NewFeedback, Scores, MAX_TEXT_CHARS,
};

/// The id an interview is stored under: scoped to the workspace when the caller gives its
/// own id (so uploading it again stores nothing new), fresh otherwise.
pub fn interview_id(workspace_id: &str, external_id: Option<&str>) -> String {
    match external_id {
        Some(ext) => format!("iv_{}", stable_id(Joint::Nul, &[workspace_id, ext])),
        None => format!("iv_{}", new_id()),
    }
}

/// Splits text longer than one feedback item allows, on character boundaries.
fn pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(MAX_TEXT_CHARS)
        .map(|c| c.iter().collect())
        .collect()
}

/// When the interview began, which dates its turns.
#[derive(Clone, Copy)]
pub enum Start {
    /// The upload's `occurred_at`: each turn is dated that plus its offset.
    Given(DateTime<Utc>),
    /// No `occurred_at`: every turn is dated the upload time. Adding offsets to it would date
    /// turns in the future.
    Unknown { uploaded_at: DateTime<Utc> },
}

pub fn to_feedback(
    id: &str,
    title: &str,
    turns: &[Turn],
    respondent: Option<&str>,
    attributes: &Map<String, Value>,
    start: Start,
) -> Vec<NewFeedback> {
    let mut items = Vec::new();
    let mut question: Option<&str> = None;
    for turn in turns {
        if turn.role == Role::Interviewer {
            question = Some(&turn.text);
            continue;
        }
        let occurred_at = match start {
            Start::Given(at) => at + Duration::milliseconds(turn.start_ms.unwrap_or(0) as i64),
            Start::Unknown { uploaded_at } => uploaded_at,
        };
        let parts = pieces(&turn.text);
        let many = parts.len() > 1;
        for (p, part) in parts.into_iter().enumerate() {
            let Ok(text) = FeedbackText::parse(&part) else {
                continue;
            };
            let mut context = Map::new();
            context.insert("interview_id".into(), json!(id));
            context.insert("title".into(), json!(title));
            context.insert("speaker".into(), json!(turn.speaker));
            context.insert("turn".into(), json!(turn.index));
            context.insert("start_ms".into(), json!(turn.start_ms));
            context.insert("end_ms".into(), json!(turn.end_ms));
            if let Some(q) = question {
                context.insert(
                    "question".into(),
                    json!(q.chars().take(500).collect::<String>()),
                );
            }
            items.push(NewFeedback {
                channel: Channel::Interview,
                source_key: format!("interview:{id}"),
                source_id: None,
                external_id: Some(if many {
                    format!("{}.{p}", turn.index)
                } else {
                    turn.index.to_string()
                }),
                respondent_id: respondent.map(str::to_owned),
                author: Some(turn.speaker.clone()),
                text,
                scores: Scores::default(),
                attributes: attributes.clone(),
                context,
                occurred_at,
                response_id: None,
                analysis: None,
            });
        }
    }
    items
}
