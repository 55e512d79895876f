//! The hosted page asks in steps, because without JavaScript it cannot hide a question when
//! an earlier answer on the same page changes. A step ends right before the first question
//! whose `show_if` depends on a question shown in that step; the next step is rendered by
//! the server from the answers posted so far, which travel back as hidden fields. Nothing
//! is stored until the last step is posted, so a step posted twice stores nothing and the
//! whole response is stored once, under the response id the first step carried.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::answers::{Submission, ValidAnswers};
use super::definition::{Question, SurveyDefinition};
use crate::domain::FieldError;

/// What a posted step of the hosted form leads to.
#[derive(Debug, Clone, PartialEq)]
pub enum Advance {
    /// Show the same step again with these errors.
    Invalid(Vec<FieldError>),
    /// Show the next step: this submission carries the answers so far and the step.
    Next(Submission),
    /// Everything has been asked: store these answers.
    Complete(ValidAnswers),
}

/// One step of the hosted form.
#[derive(Debug, Clone, PartialEq)]
pub struct Step<'a> {
    /// Index of the step's first question (shown or not): what `_step` carries.
    pub from: usize,
    /// One past the index of the step's last question.
    pub end: usize,
    /// The questions shown in this step, in order.
    pub shown: Vec<&'a Question>,
    /// The number of the first shown question: earlier steps' shown questions come first.
    pub first_number: usize,
}

impl Step<'_> {
    /// The number a shown question carries ("3."), counting shown questions only.
    pub fn number_of(&self, id: &str) -> Option<usize> {
        self.shown
            .iter()
            .position(|q| q.id == id)
            .map(|i| self.first_number + i)
    }
}

impl SurveyDefinition {
    /// The step that starts at question `from`, given the answers of the steps before it.
    /// A question hidden by those answers is skipped; a step with nothing to show means
    /// that everything has been asked.
    pub fn step(&self, from: usize, answers: &Map<String, Value>) -> Step<'_> {
        let from = from.min(self.questions.len());
        let hidden: HashSet<&str> = self.hidden_questions(answers).into_iter().collect();
        let first_number = 1 + self.questions[..from]
            .iter()
            .filter(|q| !hidden.contains(q.id.as_str()))
            .count();
        let mut on_this_step: HashSet<&str> = HashSet::new();
        let mut shown = Vec::new();
        let mut end = from;
        for q in &self.questions[from..] {
            if q.show_if
                .as_ref()
                .is_some_and(|c| on_this_step.contains(c.question.as_str()))
            {
                break;
            }
            end += 1;
            if !hidden.contains(q.id.as_str()) {
                on_this_step.insert(q.id.as_str());
                shown.push(q);
            }
        }
        Step {
            from,
            end,
            shown,
            first_number,
        }
    }

    /// Where a form post of step `sub.step` leads. Answers to questions after the step are
    /// dropped (they have not been asked); those of this and earlier steps are checked
    /// again, so a forged hidden field cannot slip through; the last step checks the whole.
    /// A post without a step carries a whole response and is checked as one.
    pub fn advance(&self, sub: &mut Submission) -> Advance {
        let Some(from) = sub.step else {
            return match self.validate_answers(&sub.answers) {
                Ok(valid) => Advance::Complete(valid),
                Err(errors) => Advance::Invalid(errors),
            };
        };
        let mut answers = sub.answers.as_object().cloned().unwrap_or_default();
        let step = self.step(from, &answers);
        sub.step = Some(step.from);
        if sub.back && step.from > 0 {
            // 上一步: the step shown before this one, its answers refilled, nothing checked.
            // This step's answers are not carried back: the earlier ones may change it.
            let mut back = sub.clone();
            back.back = false;
            back.step = Some(self.previous_step(step.from, &answers));
            return Advance::Next(back);
        }
        answers.retain(|id, _| self.position(id).is_none_or(|i| i < step.end));
        sub.answers = Value::Object(answers.clone());
        if step.end < self.questions.len() {
            if let Err(errors) = self.validate_answers_before(&sub.answers, step.end) {
                return Advance::Invalid(errors);
            }
            let next = self.step(step.end, &answers);
            if !next.shown.is_empty() {
                let mut on = sub.clone();
                on.step = Some(next.from);
                return Advance::Next(on);
            }
        }
        match self.validate_answers(&sub.answers) {
            Ok(valid) => Advance::Complete(valid),
            Err(errors) => Advance::Invalid(errors),
        }
    }

    /// Where the step shown before the one starting at `from` starts (steps with nothing to
    /// show are never shown, so they are passed over).
    fn previous_step(&self, from: usize, answers: &Map<String, Value>) -> usize {
        let (mut at, mut previous) = (0, 0);
        while at < from {
            let step = self.step(at, answers);
            if !step.shown.is_empty() {
                previous = at;
            }
            if step.end <= at {
                break;
            }
            at = step.end;
        }
        previous
    }

    /// Whether the survey has a condition at all (a survey without one is a single step).
    pub fn has_conditions(&self) -> bool {
        self.questions.iter().any(|q| q.show_if.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn survey() -> SurveyDefinition {
        SurveyDefinition::parse(&json!({
            "title": "t",
            "questions": [
                {"id": "nps", "type": "nps", "title": "推荐？", "required": true},
                {"id": "why", "type": "text", "title": "为什么？", "show_if": {"question": "nps", "max": 6}},
                {"id": "feat", "type": "multi_choice", "title": "功能", "options": ["搜索", "评论"]},
                {"id": "c", "type": "text", "title": "评论哪里不好？", "show_if": {"question": "feat", "equals": "评论"}},
                {"id": "end", "type": "text", "title": "还有吗？"}
            ]
        }))
        .expect("valid")
    }

    fn ids<'a>(s: &Step<'a>) -> Vec<&'a str> {
        s.shown.iter().map(|q| q.id.as_str()).collect()
    }

    fn answers(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_step_ends_before_a_question_that_depends_on_it() {
        let def = survey();
        let first = def.step(0, &Map::new());
        assert_eq!(ids(&first), ["nps"]);
        assert_eq!((first.from, first.end, first.first_number), (0, 1, 1));

        // A promoter is not asked why: the second step starts at "why", skips it, and runs
        // until "c", which depends on "feat" in the same step. Numbers count shown questions.
        let promoter = answers(json!({"nps": "9"}));
        let second = def.step(first.end, &promoter);
        assert_eq!(ids(&second), ["feat"]);
        assert_eq!((second.from, second.end), (1, 3));
        assert_eq!(second.number_of("feat"), Some(2));

        let third = def.step(second.end, &answers(json!({"nps": "9", "feat": ["评论"]})));
        assert_eq!(ids(&third), ["c", "end"]);
        assert_eq!(third.number_of("c"), Some(3));
        assert_eq!(third.number_of("end"), Some(4));

        // Without 评论 chosen, "c" is skipped and "end" is question 3.
        let third = def.step(second.end, &answers(json!({"nps": "9", "feat": ["搜索"]})));
        assert_eq!(ids(&third), ["end"]);
        assert_eq!(third.number_of("end"), Some(3));
        assert!(def.step(third.end, &Map::new()).shown.is_empty());

        // A detractor is asked why, as question 2.
        let second = def.step(1, &answers(json!({"nps": 3})));
        assert_eq!(ids(&second), ["why", "feat"]);
        assert_eq!(second.number_of("feat"), Some(3));
    }

    #[test]
    fn advancing_asks_each_step_and_stores_at_the_end() {
        let def = survey();
        let form = |step: usize, answers: Value| Submission {
            answers,
            step: Some(step),
            response_id: Some("abcdefgh12".into()),
            ..Default::default()
        };
        // The first step's required question.
        let mut sub = form(0, json!({}));
        assert!(
            matches!(def.advance(&mut sub), Advance::Invalid(e) if e[0].field == "/answers/nps")
        );
        // A detractor goes on to "why" and "feat"; an answer to a later question is dropped.
        let mut sub = form(0, json!({"nps": "3", "end": "早答了"}));
        let Advance::Next(next) = def.advance(&mut sub) else {
            panic!("a next step");
        };
        assert_eq!(next.step, Some(1));
        assert_eq!(next.answers, json!({"nps": "3"}));
        assert_eq!(next.response_id.as_deref(), Some("abcdefgh12"));
        // A forged earlier answer is caught when the next step is posted.
        let mut forged = form(1, json!({"nps": "11", "why": "慢", "feat": ["搜索"]}));
        assert!(
            matches!(def.advance(&mut forged), Advance::Invalid(e) if e[0].field == "/answers/nps")
        );
        // Without 评论, the last step asks "end" alone; an optional question left empty
        // completes the response.
        let mut sub = form(1, json!({"nps": "3", "why": "慢", "feat": ["搜索"]}));
        assert!(matches!(def.advance(&mut sub), Advance::Next(n) if n.step == Some(3)));
        let mut last = form(3, json!({"nps": "3", "why": "慢", "feat": ["搜索"]}));
        let Advance::Complete(valid) = def.advance(&mut last) else {
            panic!("complete");
        };
        assert_eq!(valid.nps, Some(3));
        assert_eq!(valid.texts, [("why".to_owned(), "慢".to_owned())]);
        // With 评论, one more step; then the end.
        let mut sub = form(1, json!({"nps": "3", "feat": ["评论"]}));
        assert!(matches!(def.advance(&mut sub), Advance::Next(n) if n.step == Some(3)));
        let mut sub = form(3, json!({"nps": "3", "feat": ["评论"], "c": "太慢"}));
        assert!(matches!(def.advance(&mut sub), Advance::Complete(v) if v.texts.len() == 1));
        // 上一步 from the last step goes back to the one before it, checking nothing; from
        // the first step it is a plain post of the first step.
        let mut back = form(3, json!({"nps": "3", "feat": ["评论"], "c": "太"}));
        back.back = true;
        let Advance::Next(prev) = def.advance(&mut back) else {
            panic!("the step before");
        };
        assert_eq!(prev.step, Some(1));
        assert!(!prev.back);
        let mut back = form(1, json!({"nps": "30"}));
        back.back = true;
        let Advance::Next(prev) = def.advance(&mut back) else {
            panic!("the first step");
        };
        assert_eq!(prev.step, Some(0));
        let mut first = form(0, json!({"nps": "9"}));
        first.back = true;
        assert!(matches!(def.advance(&mut first), Advance::Next(n) if n.step == Some(1)));
        // Without a step, a form post is a whole response, checked as one.
        let mut whole = form(0, json!({"nps": "3", "why": "慢"}));
        whole.step = None;
        assert!(matches!(def.advance(&mut whole), Advance::Complete(v) if v.nps == Some(3)));
    }

    #[test]
    fn a_survey_without_conditions_is_one_step_and_an_overlong_step_is_the_end() {
        let def = SurveyDefinition::parse(&json!({
            "title": "t",
            "questions": [
                {"id": "a", "type": "nps", "title": "x"},
                {"id": "b", "type": "text", "title": "y"}
            ]
        }))
        .expect("valid");
        assert!(!def.has_conditions());
        let only = def.step(0, &Map::new());
        assert_eq!(ids(&only), ["a", "b"]);
        assert_eq!(only.end, 2);
        let past = def.step(99, &Map::new());
        assert!(past.shown.is_empty());
        assert_eq!(past.from, 2);
    }
}
