//! Formbricks (<https://formbricks.com/docs>, webhooks): `responseCreated`,
//! `responseUpdated` and `responseFinished` each carry the response as it stands (`data.data`
//! holds every answer so far, keyed by question id); `{"event":"testEndpoint"}` is the test
//! ping. Deliveries are signed with Standard Webhooks, checked by [`super::standard`].
//!
//! The payload names no question types or titles (they live in the survey, behind the
//! Management API), so answers are read by their values: a string is a text answer, except
//! the fixed values Formbricks writes for buttons and checkboxes (`clicked`, `accepted`,
//! `booked`, `dismissed`); a 0–10 number under a key that says `nps` is the NPS (`csat` 1–5,
//! `ces` 1–7 likewise); everything else is kept as given. When the payload does carry the
//! survey's questions (`data.survey.questions`), their types, titles and choices are used
//! instead. Hidden fields share `data.data` with the answers: they are the keys the survey's
//! `hiddenFields.fieldIds` names, or, without it, the keys with no time-to-complete in
//! `data.ttc` (Formbricks times every question it shows, never a hidden field). They, and the
//! contact's attributes, are the respondent's attributes.
//!
//! `submitted_at` is `data.createdAt` (when the respondent answered the first questions: the
//! same in every event of a response, so its time never moves between versions);
//! `updated_at` is `data.updatedAt`, so a later event replaces an earlier one. The last step
//! of a response comes twice (`responseUpdated` and `responseFinished`, same `data`): both
//! read the same.

use serde_json::{Map, Value};

use super::{
    put_attribute, respondent_of, score_in, text_of, Answer, Context, Reading, ToolResponse,
};
use crate::domain::time::parse_time;
use crate::domain::FieldError;

/// The values Formbricks itself writes for a call-to-action (`clicked`, older `dismissed`),
/// a consent checkbox (`accepted`) and a booking (`booked`): not the respondent's words.
const MARKER_VALUES: [&str; 4] = ["clicked", "accepted", "booked", "dismissed"];

/// Open-text input types that are contact data, not feedback.
const CONTACT_INPUTS: [&str; 4] = ["email", "url", "phone", "number"];

pub fn read(body: &Value, cx: &Context) -> Result<Reading, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "must be a Formbricks webhook event object",
        )]);
    };
    let Some(event) = obj.get("event").and_then(Value::as_str) else {
        return Err(vec![FieldError::new("/event", "missing")]);
    };
    match event {
        "testEndpoint" => return Ok(Reading::Ping),
        "responseCreated" | "responseUpdated" | "responseFinished" => {}
        other => {
            return Ok(Reading::Ignored(format!(
                "Formbricks event {other} is not a response"
            )))
        }
    }
    let Some(data) = obj.get("data").and_then(Value::as_object) else {
        return Err(vec![FieldError::new(
            "/data",
            "must be the response object",
        )]);
    };
    let mut errors = Vec::new();
    let id = data.get("id").and_then(text_of);
    if id.is_none() {
        errors.push(FieldError::new("/data/id", "missing"));
    }
    let empty = Map::new();
    let answers = match data.get("data") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => {
            errors.push(FieldError::new("/data/data", "must be an object"));
            &empty
        }
    };
    let (Some(id), true) = (id, errors.is_empty()) else {
        return Err(errors);
    };

    let survey = Survey::of(data.get("survey"));
    let ttc = data.get("ttc").and_then(Value::as_object);
    let is_hidden = |key: &str| match &survey.hidden_ids {
        Some(ids) => ids.iter().any(|h| h == key),
        None => {
            survey.question(key).is_none()
                && ttc.is_some_and(|t| !t.is_empty() && !t.contains_key(key))
        }
    };

    let mut r = ToolResponse {
        id: match data.get("surveyId").and_then(text_of) {
            Some(survey_id) => format!("{survey_id}:{id}"),
            None => id,
        },
        submitted_at: data.get("createdAt").and_then(|v| parse_time(v, cx.tz)),
        updated_at: data.get("updatedAt").and_then(|v| parse_time(v, cx.tz)),
        complete: true,
        ..ToolResponse::default()
    };
    let mut hidden = Map::new();
    for (key, value) in answers {
        if value.is_null() {
            continue;
        }
        if is_hidden(key) {
            hidden.insert(key.clone(), value.clone());
            continue;
        }
        r.raw_answers.insert(key.clone(), value.clone());
        let question = survey.question(key);
        let (text, kind) = match question {
            Some(q) => (q.text_of(value), q.kind),
            None => (untyped_text(value), kind_by_key(key)),
        };
        if let Some(text) = text {
            r.answers.push(Answer {
                question_id: key.clone(),
                question: question.and_then(|q| q.headline.clone()),
                text,
            });
            continue;
        }
        let scores = &mut r.scores;
        match kind {
            "nps" if scores.nps.is_none() => scores.nps = score_in(value, 0, 10),
            "csat" if scores.csat.is_none() => scores.csat = score_in(value, 1, 5),
            "ces" if scores.ces.is_none() => scores.ces = score_in(value, 1, 7),
            "rating" if scores.rating.is_none() && question.is_some_and(|q| q.stars()) => {
                scores.rating = score_in(value, 1, 5)
            }
            _ => {}
        }
    }

    // The contact (since 2024) or person (2023) and its attributes.
    let contact = data
        .get("contact")
        .or_else(|| data.get("person"))
        .and_then(Value::as_object);
    let contact_attributes = data
        .get("contactAttributes")
        .or_else(|| data.get("personAttributes"))
        .or_else(|| contact.and_then(|c| c.get("attributes")))
        .and_then(Value::as_object);
    r.respondent_id = respondent_of(&hidden)
        .or_else(|| contact.and_then(|c| c.get("userId")).and_then(text_of))
        .or_else(|| contact_attributes.and_then(respondent_of))
        .or_else(|| contact.and_then(|c| c.get("id")).and_then(text_of));
    for (k, v) in hidden
        .iter()
        .chain(contact_attributes.into_iter().flatten())
    {
        if !r.attributes.contains_key(k) {
            put_attribute(&mut r.attributes, k, v);
        }
    }
    Ok(Reading::Responses(vec![r]))
}

/// A string answer of unknown type: text, unless it is a value Formbricks writes itself.
fn untyped_text(value: &Value) -> Option<String> {
    let s = value.as_str()?;
    if MARKER_VALUES.contains(&s.trim()) {
        return None;
    }
    text_of(value)
}

/// The score a question's id names (`nps_score`, `npsScore`, `CSAT`, `ces-2`), if any.
fn kind_by_key(key: &str) -> &'static str {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && prev_lower) {
            words.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    words.push(word);
    ["nps", "csat", "ces"]
        .into_iter()
        .find(|k| words.iter().any(|w| w == k))
        .unwrap_or("")
}

/// What the payload says of the survey, when it carries more than its title.
#[derive(Default)]
struct Survey {
    questions: Vec<Question>,
    hidden_ids: Option<Vec<String>>,
}

struct Question {
    id: String,
    kind: &'static str,
    input_type: Option<String>,
    headline: Option<String>,
    range: Option<i64>,
    /// Every choice's label in every language.
    choices: Vec<String>,
}

impl Survey {
    fn of(survey: Option<&Value>) -> Self {
        let Some(survey) = survey else {
            return Self::default();
        };
        let questions = survey
            .get("questions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Question::of)
            .collect();
        let hidden_ids = survey
            .get("hiddenFields")
            .and_then(|h| h.get("fieldIds"))
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            });
        Self {
            questions,
            hidden_ids,
        }
    }

    fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}

impl Question {
    fn of(q: &Value) -> Option<Self> {
        let kind = match q.get("type")?.as_str()? {
            "openText" => "openText",
            "multipleChoiceSingle" => "multipleChoiceSingle",
            "multipleChoiceMulti" => "multipleChoiceMulti",
            "nps" => "nps",
            "csat" => "csat",
            "ces" => "ces",
            "rating" => "rating",
            _ => "",
        };
        let choices = q
            .get("choices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("label"))
            .flat_map(|label| match label {
                Value::Object(langs) => langs.values().filter_map(text_of).collect(),
                other => text_of(other).into_iter().collect::<Vec<_>>(),
            })
            .collect();
        Some(Self {
            id: q.get("id").and_then(text_of)?,
            kind,
            input_type: q.get("inputType").and_then(text_of),
            headline: localized(q.get("headline")),
            range: q.get("range").and_then(Value::as_i64),
            choices,
        })
    }

    /// A rating of five (stars, smileys or numbers) reads as the star rating.
    fn stars(&self) -> bool {
        self.range.is_none_or(|r| r == 5)
    }

    /// The respondent's own words in an answer: an open text (not an email, link, phone or
    /// number), or a choice question's "other" text (a value no choice is labelled with).
    fn text_of(&self, value: &Value) -> Option<String> {
        let other = |v: &Value| text_of(v).filter(|s| !self.choices.iter().any(|c| c == s));
        match self.kind {
            "openText"
                if !self
                    .input_type
                    .as_deref()
                    .is_some_and(|t| CONTACT_INPUTS.contains(&t)) =>
            {
                value.as_str().and_then(|_| text_of(value))
            }
            "multipleChoiceSingle" => value.as_str().and_then(|_| other(value)),
            "multipleChoiceMulti" => value.as_array()?.iter().find_map(other),
            _ => None,
        }
    }
}

/// An i18n string (`{"default": "…", "de": "…"}`) in its default language, or a plain one.
fn localized(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Object(langs) => langs.get("default").and_then(text_of),
        other => text_of(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    const TEST_ENDPOINT: &str =
        include_str!("../../../tests/fixtures/presets/formbricks/formbricks_testEndpoint.json");
    const CREATED: &str =
        include_str!("../../../tests/fixtures/presets/formbricks/formbricks_responseCreated.json");
    const UPDATED: &str =
        include_str!("../../../tests/fixtures/presets/formbricks/formbricks_responseUpdated.json");
    const FINISHED: &str =
        include_str!("../../../tests/fixtures/presets/formbricks/formbricks_responseFinished.json");
    const CONSTRUCTED: &str = include_str!(
        "../../../tests/fixtures/presets/formbricks/formbricks_responseFinished_constructed.json"
    );

    fn cx() -> Context {
        Context {
            tz: chrono_tz::Asia::Shanghai,
            now: at("2026-03-03T00:00:00Z"),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    fn one(v: &Value) -> ToolResponse {
        match read(v, &cx()).unwrap() {
            Reading::Responses(mut rs) => {
                assert_eq!(rs.len(), 1);
                rs.remove(0)
            }
            other => panic!("expected one response, got {other:?}"),
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn the_test_endpoint_is_a_ping() {
        assert_eq!(read(&parse(TEST_ENDPOINT), &cx()), Ok(Reading::Ping));
    }

    #[test]
    fn reads_the_documented_events() {
        let created = one(&parse(CREATED));
        assert_eq!(created.id, "surveyId:responseId");
        assert_eq!(created.submitted_at, Some(at("2025-07-24T07:47:29.507Z")));
        assert_eq!(created.updated_at, Some(at("2025-07-24T07:47:29.507Z")));
        assert!(created.complete);
        // The welcome card's "clicked" is Formbricks' word, not the respondent's.
        assert!(created.answers.is_empty());
        assert_eq!(
            created.raw_answers,
            obj(json!({"welcome_card_cta": "clicked"}))
        );
        assert_eq!(created.respondent_id, None);
        assert!(created.attributes.is_empty());

        let updated = one(&parse(UPDATED));
        assert_eq!(updated.id, created.id);
        assert_eq!(updated.submitted_at, created.submitted_at);
        assert_eq!(updated.updated_at, Some(at("2025-07-24T07:47:33.696Z")));
        // Without the survey, a choice's label cannot be told from typed text.
        assert_eq!(
            updated.answers,
            vec![Answer {
                question_id: "visit_reason".into(),
                question: None,
                text: "Just browsing".into(),
            }]
        );
        assert_eq!(
            updated.raw_answers,
            obj(json!({"visit_reason": "Just browsing", "welcome_card_cta": "clicked"}))
        );

        let finished = one(&parse(FINISHED));
        assert_eq!(finished.id, created.id);
        assert_eq!(finished.submitted_at, created.submitted_at);
        assert_eq!(finished.updated_at, Some(at("2025-07-24T07:47:56.116Z")));
        assert!(finished.answers.is_empty());
        assert_eq!(
            finished.raw_answers,
            obj(json!({"newsletter_consent": "accepted", "welcome_card_cta": "clicked"}))
        );
    }

    #[test]
    fn reads_a_feedback_survey() {
        let r = one(&parse(CONSTRUCTED));
        assert_eq!(r.id, "clz8jzz9q0000ab12cd34ef55:clz8k3abc0002ab12cd34ef57");
        assert_eq!(r.submitted_at, Some(at("2026-03-02T09:14:05.120Z")));
        assert_eq!(r.updated_at, Some(at("2026-03-02T09:14:41.877Z")));
        assert_eq!(
            r.answers,
            vec![Answer {
                question_id: "what_to_improve".into(),
                question: None,
                text: "Export to CSV is hard to find.".into(),
            }]
        );
        assert_eq!(r.scores.nps, Some(9));
        // "satisfaction" names no scale: kept raw, not a score.
        assert_eq!(r.scores.csat, None);
        assert_eq!(r.scores.rating, None);
        assert_eq!(
            r.raw_answers,
            obj(json!({
                "nps_score": 9,
                "what_to_improve": "Export to CSV is hard to find.",
                "satisfaction": 4,
                "topics": ["Reporting", "Integrations"]
            }))
        );
        // `plan` and `source` have no time-to-complete: hidden fields.
        assert_eq!(
            r.attributes,
            obj(json!({
                "plan": "Pro",
                "source": "in-app",
                "email": "ana@example.com",
                "userId": "user-4711"
            }))
        );
        assert_eq!(r.respondent_id.as_deref(), Some("user-4711"));
    }

    #[test]
    fn the_last_step_reads_the_same_as_updated_and_finished() {
        let finished = parse(CONSTRUCTED);
        let mut updated = finished.clone();
        updated["event"] = json!("responseUpdated");
        assert_eq!(one(&updated), one(&finished));
        // An earlier version differs only in what it holds and when it was made.
        let mut earlier = finished.clone();
        earlier["event"] = json!("responseCreated");
        earlier["data"]["updatedAt"] = json!("2026-03-02T09:14:05.120Z");
        earlier["data"]["data"]
            .as_object_mut()
            .unwrap()
            .remove("what_to_improve");
        let (a, b) = (one(&earlier), one(&finished));
        assert_eq!((a.id, a.submitted_at), (b.id, b.submitted_at));
        assert!(a.updated_at < b.updated_at);
        assert!(a.answers.is_empty());
    }

    #[test]
    fn the_respondent_comes_from_hidden_fields_then_the_contact() {
        let mut v = parse(CONSTRUCTED);
        v["data"]["data"]["customer_id"] = json!("c-77");
        assert_eq!(one(&v).respondent_id.as_deref(), Some("c-77"));
        let mut v = parse(CONSTRUCTED);
        v["data"]["contact"] = json!({"id": "clz8k1qqq0004ab12cd34ef59"});
        assert_eq!(one(&v).respondent_id.as_deref(), Some("user-4711"));
        v["data"]["contactAttributes"] = Value::Null;
        assert_eq!(
            one(&v).respondent_id.as_deref(),
            Some("clz8k1qqq0004ab12cd34ef59")
        );
        // A 2023 body: `person` and `personAttributes`, no time-to-complete.
        let old = json!({
            "webhookId": "w", "event": "responseCreated",
            "data": {
                "id": "r1", "surveyId": "s1", "createdAt": "2023-07-10T14:14:17.115Z",
                "updatedAt": "2023-07-10T14:14:17.115Z", "finished": false,
                "data": {"qumbk3fkr6cky8850bvvq5z1": "Executive"},
                "person": {"id": "p1", "attributes": {"userId": "U-1"}},
                "personAttributes": {"email": "test@web.com", "userId": "U-1"}
            }
        });
        let r = one(&old);
        assert_eq!(r.respondent_id.as_deref(), Some("U-1"));
        assert_eq!(r.answers.len(), 1);
        assert_eq!(
            r.attributes,
            obj(json!({"email": "test@web.com", "userId": "U-1"}))
        );
    }

    #[test]
    fn scores_by_key_only_when_the_key_says_so() {
        let mut v = parse(CONSTRUCTED);
        v["data"]["ttc"] = json!({});
        v["data"]["data"] = json!({
            "npsScore": 11, "NPS": 7, "csat-q": 5, "ces_2": 6, "services": 3, "happiness": 9,
            "plan": "Pro"
        });
        let r = one(&v);
        // npsScore is out of range: dropped; NPS is the first in range.
        assert_eq!(r.scores.nps, Some(7));
        assert_eq!(r.scores.csat, Some(5));
        assert_eq!(r.scores.ces, Some(6));
        assert_eq!(r.scores.rating, None);
        // Without time-to-complete, a hidden field cannot be told from an answer.
        assert_eq!(r.raw_answers.len(), 7);
        assert!(!r.attributes.contains_key("plan"));
        assert_eq!(r.answers.len(), 1);
        assert_eq!(r.answers[0].text, "Pro");
    }

    #[test]
    fn uses_the_survey_when_the_payload_carries_it() {
        let mut v = parse(CONSTRUCTED);
        v["data"]["data"]["area"] = json!("Abrechnung");
        v["data"]["data"]["why"] = json!("Other: the calendar sync");
        v["data"]["data"]["mail"] = json!("ana@example.com");
        v["data"]["survey"]["questions"] = json!([
            {"id": "nps_score", "type": "nps", "headline": {"default": "How likely…?"}},
            {"id": "what_to_improve", "type": "openText", "inputType": "text",
             "headline": {"default": "What should we improve?", "zh": "我们该改进什么？"}},
            {"id": "satisfaction", "type": "rating", "range": 5, "scale": "star",
             "headline": {"default": "Rate us"}},
            {"id": "mail", "type": "openText", "inputType": "email"},
            {"id": "area", "type": "multipleChoiceSingle", "headline": "Area",
             "choices": [{"id": "a", "label": {"default": "Billing", "de": "Abrechnung"}}]},
            {"id": "why", "type": "multipleChoiceSingle",
             "choices": [{"id": "b", "label": {"default": "Price"}}]}
        ]);
        v["data"]["survey"]["hiddenFields"] = json!({"enabled": true, "fieldIds": ["plan"]});
        let r = one(&v);
        assert_eq!(
            r.answers,
            vec![
                // Not among the survey's hidden fields, and no question: an untyped answer.
                Answer {
                    question_id: "source".into(),
                    question: None,
                    text: "in-app".into(),
                },
                Answer {
                    question_id: "what_to_improve".into(),
                    question: Some("What should we improve?".into()),
                    text: "Export to CSV is hard to find.".into(),
                },
                Answer {
                    question_id: "why".into(),
                    question: None,
                    text: "Other: the calendar sync".into(),
                },
            ]
        );
        assert_eq!(r.scores.nps, Some(9));
        assert_eq!(r.scores.rating, Some(4));
        assert!(!r.attributes.contains_key("source"));
        assert_eq!(r.attributes["plan"], json!("Pro"));
        assert_eq!(r.raw_answers["area"], json!("Abrechnung"));
        assert_eq!(r.raw_answers["mail"], json!("ana@example.com"));
    }

    #[test]
    fn other_events_and_malformed_bodies() {
        assert_eq!(
            read(&json!({"event": "surveyClosed", "data": {}}), &cx()),
            Ok(Reading::Ignored(
                "Formbricks event surveyClosed is not a response".into()
            ))
        );
        let err = |v: Value| {
            read(&v, &cx())
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        // The array an older doc implied is not what Formbricks sends.
        assert_eq!(err(json!([{"event": "responseCreated"}])), vec![""]);
        assert_eq!(err(json!({"data": {}})), vec!["/event"]);
        assert_eq!(err(json!({"event": "responseCreated"})), vec!["/data"]);
        assert_eq!(
            err(json!({"event": "responseCreated", "data": {"data": []}})),
            vec!["/data/id", "/data/data"]
        );
        let r = one(&json!({"event": "responseFinished", "data": {"id": "r", "x": 1}}));
        assert_eq!(r.id, "r");
        assert!(r.raw_answers.is_empty());
    }
}
