//! A survey response becomes feedback: each non-empty text answer one item carrying the
//! response's scores, under an id that a retried submission shares.

use chrono::{DateTime, Utc};
use serde_json::{json, Map};

use super::{Submission, SurveyDefinition, ValidAnswers};
use crate::domain::{new_id, stable_id, Channel, FeedbackText, Joint, NewFeedback, Scores};

/// The response id under which a submission is stored: the client's own id (so a retried
/// submission is recognised), scoped to the survey, or a fresh one.
pub fn response_id(survey_id: &str, client: Option<&str>) -> String {
    match client {
        Some(c) => format!("sr_{}", stable_id(Joint::Nul, &[survey_id, c])),
        None => format!("sr_{}", new_id()),
    }
}

/// Each non-empty text answer becomes a feedback item carrying the response's scores.
pub fn response_feedback(
    survey_id: &str,
    def: &SurveyDefinition,
    rid: &str,
    sub: &Submission,
    answers: &ValidAnswers,
    now: DateTime<Utc>,
) -> Vec<NewFeedback> {
    answers
        .texts
        .iter()
        .filter_map(|(qid, text)| {
            let text = FeedbackText::parse(text).ok()?;
            let question = def
                .questions
                .iter()
                .find(|q| &q.id == qid)
                .map(|q| q.title.clone());
            let mut context = Map::new();
            context.insert("survey_id".into(), json!(survey_id));
            context.insert("response_id".into(), json!(rid));
            context.insert("question_id".into(), json!(qid));
            context.insert("question".into(), json!(question));
            Some(NewFeedback {
                channel: Channel::Survey,
                source_key: format!("survey:{survey_id}"),
                source_id: Some(survey_id.to_owned()),
                external_id: Some(format!("{rid}:{qid}")),
                respondent_id: sub.respondent_id.clone(),
                author: None,
                text,
                scores: Scores {
                    nps: answers.nps,
                    csat: answers.csat,
                    ces: answers.ces,
                    rating: answers.rating,
                },
                attributes: sub.attributes.clone(),
                context,
                occurred_at: now,
                response_id: Some(rid.to_owned()),
                analysis: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::response_id;

    #[test]
    fn a_client_id_gives_the_same_response_id_within_a_survey_only() {
        let a = response_id("sv_1", Some("r-1"));
        assert_eq!(a, response_id("sv_1", Some("r-1")));
        assert_ne!(a, response_id("sv_2", Some("r-1")));
        assert_eq!(a.len(), 3 + 32);
        assert_ne!(response_id("sv_1", None), response_id("sv_1", None));
    }
}
