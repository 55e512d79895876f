//! Survicate webhooks: one delivery per answered question (`questionAnswered`), and one per
//! completed survey (`surveyCompleted`).
//!
//! ```text
//! {"messageId": "…", "deliveryTries": 0,
//!  "event": {"questionAnswered": {"responseUuid": "…", "survey": {"id": "…", "name": "…"},
//!    "url": "…", "timestamp": "2019-05-10T06:46:02+00:00",
//!    "respondent": {"id": "534759", "uuid": "…", "attributes": [], …},
//!    "question": {"id": 12123, "body": "How would you rate our customer service?"},
//!    "choice": {"id": 21573, "body": "Great", "comment": null}}}}
//! ```
//!
//! - **Signature**: the `Hmac` header, the lower-case hex HMAC-SHA256 of the body keyed with
//!   the workspace's Signing Secret (Survicate's security page). No timestamp is signed. The
//!   plain `Token` header is not used.
//! - **Question answered** → a response with that one answer (`complete: false`: the other
//!   answers come in their own deliveries). Its id is `responseUuid` (in the current docs);
//!   older deliveries without it stand for `{survey id}:{respondent id}`.
//! - **Answers**: a `text` answer, and the respondent's `comment` on a choice (`{question}/comment`)
//!   or on one of several choices (`{question}/comment/{choice id}`), with the question's text.
//!   Choices, dates, matrix rows, rankings and contact-form fields are kept in `raw_answers`.
//! - **Scores**: an NPS answer's score is `choice.id` (0–10), its `body` the category. An NPS
//!   answer is told by `body` being `promoter`/`passive`/`detractor`, or by a `type` naming
//!   NPS (the field is documented but its values are not); a choice's `id` is otherwise an
//!   answer id, never a score. Rating and smiley answers send a label (`"Great"`), not a
//!   number: no rating is taken from them.
//! - **Respondent**: a respondent attribute named `respondent_id`, `user_id`, … (the shared
//!   list), else Survicate's `respondent.id`, else `respondent.uuid`. Every attribute is kept.
//! - **Survey completed**: its payload is not confirmed (the docs' sample could not be read
//!   past `survey`). When it carries an `answers` array whose items look like a question
//!   answered (`question` plus the answer), they are read as one response; otherwise the
//!   event is ignored ("survey completed"), the per-question event being the one to turn on.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::{
    same_bytes, score_in, text_of, Answer, Context, Incoming, Reading, Secrets, ToolResponse,
    RESPONDENT_KEYS,
};
use crate::collect::webhook::SignatureError;
use crate::domain::time::parse_time;
use crate::domain::FieldError;

pub const SIGNATURE_SCHEME: Option<&str> = Some("survicate_hmac");

/// Keys of a question-answered event that are not the answer.
const NOT_ANSWER_KEYS: [&str; 7] = [
    "responseUuid",
    "survey",
    "url",
    "timestamp",
    "respondent",
    "question",
    "type",
];

/// NPS categories Survicate writes in an NPS answer's `body`.
const NPS_CATEGORIES: [&str; 4] = ["promoter", "passive", "passives", "detractor"];

const MAX_ATTRIBUTES: usize = 50;
const MAX_ATTRIBUTE_CHARS: usize = 200;
const MAX_ATTRIBUTE_NAME_BYTES: usize = 64;

/// Checks the `Hmac` header against each live secret.
pub fn verify(req: &Incoming<'_>, secrets: &Secrets<'_>) -> Result<(), SignatureError> {
    let given = req.header("hmac").trim();
    if given.is_empty() {
        return Err(SignatureError::MissingHeaders);
    }
    let given = given.to_ascii_lowercase();
    let matched = secrets.live.iter().fold(false, |found, secret| {
        // HMAC takes keys of any length; `new_from_slice` only fails for fixed-size MACs.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(req.body);
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        same_bytes(expected.as_bytes(), given.as_bytes()) | found
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

pub fn read(body: &Value, cx: &Context) -> Result<Reading, Vec<FieldError>> {
    let Some(event) = body.get("event").and_then(Value::as_object) else {
        return Err(vec![FieldError::new(
            "/event",
            "is required: an object naming the Survicate event",
        )]);
    };
    if let Some(answered) = event.get("questionAnswered") {
        const AT: &str = "/event/questionAnswered";
        let Some(answered) = answered.as_object() else {
            return Err(vec![FieldError::new(AT, "must be an object")]);
        };
        let mut r = response_of(answered, cx).ok_or_else(|| {
            vec![FieldError::new(
                format!("{AT}/responseUuid"),
                "is required (or survey.id and respondent.id, which stand for it)",
            )]
        })?;
        if !add_answer(&mut r, answered) {
            return Err(vec![FieldError::new(
                format!("{AT}/question/id"),
                "is required",
            )]);
        }
        return Ok(Reading::Responses(vec![r]));
    }
    if let Some(completed) = event.get("surveyCompleted") {
        return Ok(read_completed(completed, cx).map_or_else(
            || Reading::Ignored("survey completed".into()),
            Reading::Responses,
        ));
    }
    Ok(Reading::Ignored(match event.keys().next() {
        Some(name) => format!(
            "event {} is not a response",
            name.chars().take(64).collect::<String>()
        ),
        None => "no event".into(),
    }))
}

/// A completed survey, when its payload has the shape guessed for it: an `answers` array of
/// objects each with a `question`. Read as not complete: whether the list holds every answer
/// is not known, so answers missing from it are not taken as removed.
fn read_completed(completed: &Value, cx: &Context) -> Option<Vec<ToolResponse>> {
    let completed = completed.as_object()?;
    let items = completed.get("answers")?.as_array()?;
    let items: Vec<&Map<String, Value>> = items
        .iter()
        .map(|i| {
            i.as_object()
                .filter(|o| o.get("question").is_some_and(Value::is_object))
        })
        .collect::<Option<_>>()?;
    if items.is_empty() {
        return None;
    }
    let mut r = response_of(completed, cx)?;
    for item in items {
        add_answer(&mut r, item);
    }
    Some(vec![r])
}

/// The response an event is about, without its answers: `None` when it cannot be identified.
fn response_of(event: &Map<String, Value>, cx: &Context) -> Option<ToolResponse> {
    let survey = event.get("survey");
    let survey_id = survey.and_then(|s| s.get("id")).and_then(text_of);
    let respondent = event.get("respondent");
    let respondent_of = |k: &str| respondent.and_then(|r| r.get(k)).and_then(text_of);
    let survicate_respondent = respondent_of("id").or_else(|| respondent_of("uuid"));
    let id = match (event.get("responseUuid").and_then(text_of), &survey_id) {
        (Some(uuid), _) => uuid,
        (None, Some(survey_id)) => format!("{survey_id}:{}", survicate_respondent.as_ref()?),
        (None, None) => return None,
    };

    let mut attributes = Map::new();
    let tool = [
        (
            "survey",
            survey.and_then(|s| s.get("name")).and_then(text_of),
        ),
        ("survicate_survey_id", survey_id),
        ("platform", respondent_of("platform")),
        ("url", event.get("url").and_then(text_of)),
    ];
    for (name, value) in tool {
        if let Some(v) = value {
            attributes.insert(name.into(), Value::String(bounded(&v)));
        }
    }
    let hidden = hidden_attributes(respondent.and_then(|r| r.get("attributes")));
    // The team's own attributes win over the names above.
    for (name, value) in &hidden {
        if attributes.len() < MAX_ATTRIBUTES || attributes.contains_key(name) {
            attributes.insert(name.clone(), value.clone());
        }
    }
    let respondent_id = RESPONDENT_KEYS
        .iter()
        .find_map(|key| {
            hidden
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
                .and_then(|(_, v)| text_of(v))
        })
        .or(survicate_respondent);

    let at = event.get("timestamp").and_then(|v| parse_time(v, cx.tz));
    Some(ToolResponse {
        id,
        respondent_id,
        submitted_at: at,
        updated_at: at,
        attributes,
        complete: false,
        ..ToolResponse::default()
    })
}

/// Respondent attributes: documented as an object, sent as `[]` when empty (as PHP writes an
/// empty map); a list of `{name|key, value}` pairs is taken too. Scalars only, strings cut to
/// 200 characters.
fn hidden_attributes(attributes: Option<&Value>) -> Vec<(String, Value)> {
    let pairs: Vec<(String, &Value)> = match attributes {
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| {
                let name = i.get("name").or_else(|| i.get("key")).and_then(text_of)?;
                Some((name, i.get("value")?))
            })
            .collect(),
        _ => Vec::new(),
    };
    pairs
        .into_iter()
        .filter(|(k, _)| !k.is_empty() && k.len() <= MAX_ATTRIBUTE_NAME_BYTES)
        .filter_map(|(k, v)| {
            let v = match v {
                Value::String(s) => Value::String(bounded(s)),
                Value::Number(_) | Value::Bool(_) => v.clone(),
                _ => return None,
            };
            Some((k, v))
        })
        .take(MAX_ATTRIBUTES)
        .collect()
}

/// Adds one answered question (`question` plus its answer keys) to `r`: its raw answer, its
/// text answers, its NPS score. `false` when the question has no id.
fn add_answer(r: &mut ToolResponse, item: &Map<String, Value>) -> bool {
    let question = item.get("question");
    let Some(qid) = question.and_then(|q| q.get("id")).and_then(text_of) else {
        return false;
    };
    let title = question.and_then(|q| q.get("body")).and_then(text_of);

    let raw: Map<String, Value> = item
        .iter()
        .filter(|(k, _)| !NOT_ANSWER_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !raw.is_empty() {
        r.raw_answers.insert(qid.clone(), Value::Object(raw));
    }

    let mut say = |question_id: String, text: Option<String>| {
        if let Some(text) = text {
            r.answers.push(Answer {
                question_id,
                question: title.clone(),
                text,
            });
        }
    };
    say(qid.clone(), item.get("text").and_then(text_of));
    let choice = item.get("choice");
    say(
        format!("{qid}/comment"),
        choice.and_then(|c| c.get("comment")).and_then(text_of),
    );
    if let Some(choices) = item.get("choices").and_then(Value::as_array) {
        for (i, c) in choices.iter().enumerate() {
            let key = c
                .get("id")
                .and_then(text_of)
                .unwrap_or_else(|| i.to_string());
            say(
                format!("{qid}/comment/{key}"),
                c.get("comment").and_then(text_of),
            );
        }
    }

    if let Some(choice) = choice.filter(|_| r.scores.nps.is_none()) {
        let kind = item
            .get("type")
            .or_else(|| question.and_then(|q| q.get("type")))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let category = choice
            .get("body")
            .and_then(Value::as_str)
            .map(|b| b.trim().to_ascii_lowercase());
        let is_nps = kind.contains("nps")
            || kind.contains("net_promoter")
            || category.is_some_and(|c| NPS_CATEGORIES.contains(&c.as_str()));
        if is_nps {
            r.scores.nps = choice.get("id").and_then(|id| score_in(id, 0, 10));
        }
    }
    true
}

fn bounded(s: &str) -> String {
    s.chars().take(MAX_ATTRIBUTE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::super::{read as read_preset, verify as verify_preset, Preset, Protection};
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    const ANSWERED: &str =
        include_str!("../../../tests/fixtures/presets/survicate/survicate_question_answered.json");
    const LEGACY: &str = include_str!(
        "../../../tests/fixtures/presets/survicate/survicate_question_answered_legacy.json"
    );
    const NPS_FRAGMENT: &str =
        include_str!("../../../tests/fixtures/presets/survicate/survicate_answer_nps_fragment.txt");
    const CHOICE_FRAGMENT: &str = include_str!(
        "../../../tests/fixtures/presets/survicate/survicate_answer_choice_fragment.txt"
    );
    const TEXT: &str = include_str!(
        "../../../tests/fixtures/presets/survicate/survicate_question_answered_text_constructed.json"
    );
    const COMPLETED_GUESSED: &str = include_str!(
        "../../../tests/fixtures/presets/survicate/survicate_survey_completed_guessed_constructed.json"
    );
    const COMPLETED_ENVELOPE: &str = include_str!(
        "../../../tests/fixtures/presets/survicate/survicate_survey_completed_envelope_constructed.json"
    );

    // HMAC-SHA256 vectors computed outside this code, over the fixture files' exact bytes:
    // python3 -c "import hmac,hashlib; print(hmac.new(b'my_signing_secret',
    //   open('survicate_question_answered.json','rb').read(), hashlib.sha256).hexdigest())"
    // (the first also matches the research note's vector for the same 924 bytes).
    const SECRET: &str = "my_signing_secret";
    const ANSWERED_HMAC: &str = "2794e255cb1ae96bb7610a402737fd0196b38ffc7b8a7861547f4868b0fea55a";
    const ANSWERED_HMAC_ROTATED: &str =
        "4c632ecdd3f2734be0e462c18eaf23237d8122f8e766fdecb1cf104aa50cef78";
    const TEXT_HMAC: &str = "a1770e766eab6db1f9a4caef6f88767d3dd18eb27e917661c8b06f56f891bd0f";

    fn cx() -> Context {
        Context {
            tz: chrono_tz::Asia::Shanghai,
            now: at("2026-01-01T00:00:00Z"),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn one(body: &Value) -> ToolResponse {
        match read_preset(Preset::Survicate, body, &cx()).unwrap() {
            Reading::Responses(mut rs) if rs.len() == 1 => rs.remove(0),
            other => panic!("expected one response, got {other:?}"),
        }
    }

    /// The docs' sample with its `choice` replaced by one of the docs' answer fragments.
    fn answered_with(fragment: &str) -> Value {
        let answer: Value = serde_json::from_str(&format!("{{{fragment}}}")).unwrap();
        let mut body: Value = serde_json::from_str(ANSWERED).unwrap();
        let event = body["event"]["questionAnswered"].as_object_mut().unwrap();
        event.remove("choice");
        for (k, v) in answer.as_object().unwrap() {
            event.insert(k.clone(), v.clone());
        }
        body
    }

    fn check(
        body: &[u8],
        headers: &[(&str, &str)],
        secrets: &[&str],
    ) -> Result<(), SignatureError> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let req = Incoming {
            headers: &headers,
            body,
        };
        let secrets = Secrets {
            live: secrets.to_vec(),
        };
        verify_preset(
            Preset::Survicate,
            &req,
            &secrets,
            at("2026-01-01T00:00:00Z"),
        )
    }

    #[test]
    fn survicate_signs() {
        assert_eq!(Preset::Survicate.signature_scheme(), Some("survicate_hmac"));
        assert_eq!(
            Preset::Survicate.protection(true),
            Protection::Signature("survicate_hmac")
        );
    }

    #[test]
    fn the_hmac_header_is_checked() {
        let body = ANSWERED.as_bytes();
        assert_eq!(check(body, &[("hmac", ANSWERED_HMAC)], &[SECRET]), Ok(()));
        // Upper-case hex is taken too; surrounding spaces are not part of it.
        let upper = format!(" {} ", ANSWERED_HMAC.to_ascii_uppercase());
        assert_eq!(check(body, &[("hmac", &upper)], &[SECRET]), Ok(()));
        // Either live secret: the current one and the one being rotated out.
        assert_eq!(
            check(
                body,
                &[("hmac", ANSWERED_HMAC_ROTATED)],
                &[SECRET, "rotated_out_secret"]
            ),
            Ok(())
        );
        assert_eq!(
            check(TEXT.as_bytes(), &[("hmac", TEXT_HMAC)], &[SECRET]),
            Ok(())
        );
        // A wrong secret.
        assert_eq!(
            check(body, &[("hmac", ANSWERED_HMAC)], &["my_signing_secreT"]),
            Err(SignatureError::Invalid)
        );
        // One byte of the body changed.
        let changed = ANSWERED.replacen("\"Great\"", "\"Grea7\"", 1);
        assert_ne!(changed, ANSWERED);
        assert_eq!(
            check(changed.as_bytes(), &[("hmac", ANSWERED_HMAC)], &[SECRET]),
            Err(SignatureError::Invalid)
        );
        // Another body's signature.
        assert_eq!(
            check(body, &[("hmac", TEXT_HMAC)], &[SECRET]),
            Err(SignatureError::Invalid)
        );
        // No header (the plain verification token is not a signature).
        assert_eq!(
            check(body, &[("token", SECRET)], &[SECRET]),
            Err(SignatureError::MissingHeaders)
        );
        assert_eq!(
            check(body, &[("hmac", "  ")], &[SECRET]),
            Err(SignatureError::MissingHeaders)
        );
    }

    #[test]
    fn the_docs_sample_is_one_answer_of_a_response() {
        let r = one(&serde_json::from_str(ANSWERED).unwrap());
        assert_eq!(r.id, "3fa85f64-5717-4562-b3fc-2c963f66afa6");
        assert!(!r.complete);
        // A rating answered "Great": a label, neither text nor a score.
        assert!(r.answers.is_empty());
        assert!(r.scores.is_empty());
        assert_eq!(
            r.raw_answers.get("12123"),
            Some(&json!({"choice": {"id": 21573, "body": "Great", "comment": null}}))
        );
        assert_eq!(r.respondent_id.as_deref(), Some("534759"));
        assert_eq!(r.submitted_at, Some(at("2019-05-10T06:46:02Z")));
        assert_eq!(r.updated_at, r.submitted_at);
        assert_eq!(r.attributes.get("survey"), Some(&json!("Satisfaction")));
        assert_eq!(
            r.attributes.get("survicate_survey_id"),
            Some(&json!("b92b6ecae6dd7207"))
        );
        assert_eq!(r.attributes.get("platform"), Some(&json!("OSX")));
        assert!(!r.attributes.contains_key("userAgent"));
    }

    #[test]
    fn older_deliveries_without_response_uuid() {
        let r = one(&serde_json::from_str(LEGACY).unwrap());
        assert_eq!(r.id, "b92b6ecae6dd7207:534759");
        assert_eq!(r.respondent_id.as_deref(), Some("534759"));
        let mut body: Value = serde_json::from_str(LEGACY).unwrap();
        body["event"]["questionAnswered"]["respondent"] = json!({"attributes": []});
        let err = read(&body, &cx()).unwrap_err();
        assert_eq!(err[0].field, "/event/questionAnswered/responseUuid");
    }

    #[test]
    fn an_nps_answer_scores_and_a_choice_comment_is_text() {
        let r = one(&answered_with(NPS_FRAGMENT));
        assert_eq!(r.scores.nps, Some(9));
        assert!(r.answers.is_empty());

        let r = one(&answered_with(CHOICE_FRAGMENT));
        // Answer id 201139 is no score.
        assert!(r.scores.is_empty());
        assert_eq!(r.answers.len(), 1);
        assert_eq!(r.answers[0].question_id, "12123/comment");
        assert_eq!(r.answers[0].text, "mostly SMBs");
        assert_eq!(
            r.answers[0].question.as_deref(),
            Some("How would you rate our customer service?")
        );

        // A `type` naming NPS marks it as well; out of range is dropped.
        let mut body = answered_with(r#""choice": {"id": 3, "body": "3", "comment": "太贵了"}"#);
        assert!(one(&body).scores.is_empty());
        body["event"]["questionAnswered"]["type"] = json!("nps");
        let r = one(&body);
        assert_eq!(r.scores.nps, Some(3));
        assert_eq!(r.answers[0].text, "太贵了");
        body["event"]["questionAnswered"]["choice"]["id"] = json!(12);
        assert!(one(&body).scores.is_empty());
    }

    #[test]
    fn a_text_answer_with_respondent_attributes() {
        let r = one(&serde_json::from_str(TEXT).unwrap());
        assert_eq!(r.id, "9b2f6c1e-4d3a-4f5b-8e7c-1a2b3c4d5e6f");
        assert_eq!(r.answers.len(), 1);
        assert_eq!(r.answers[0].question_id, "12124");
        assert_eq!(
            r.answers[0].question.as_deref(),
            Some("What could we do better?")
        );
        assert_eq!(r.answers[0].text, "结账页面加载太慢，希望能支持微信支付。");
        assert_eq!(
            r.raw_answers.get("12124"),
            Some(&json!({"text": "结账页面加载太慢，希望能支持微信支付。"}))
        );
        assert_eq!(r.respondent_id.as_deref(), Some("u-20260302-77"));
        assert_eq!(r.attributes.get("plan"), Some(&json!("pro")));
        assert_eq!(r.attributes.get("seats"), Some(&json!(12)));
        assert_eq!(
            r.attributes.get("url"),
            Some(&json!("https://shop.example.com/checkout/done"))
        );
        assert_eq!(r.submitted_at, Some(at("2026-03-02T08:15:30Z")));
    }

    #[test]
    fn other_answer_kinds_stay_raw_and_choice_comments_are_text() {
        let r = one(&answered_with(
            r#""choices": [{"id": 1021, "body": "IT/Product", "comment": "most important"},
                           {"id": 1022, "body": "Sales", "comment": null}]"#,
        ));
        assert_eq!(r.answers.len(), 1);
        assert_eq!(r.answers[0].question_id, "12123/comment/1021");
        for fragment in [
            r#""date": "2019-05-22""#,
            r#""matrix": [{"id": 43393, "body": "Ease of use", "value": "Significant"}]"#,
            r#""fields": {"firstName": "Alan", "email": "alan@example.com"}"#,
        ] {
            let r = one(&answered_with(fragment));
            assert!(r.answers.is_empty(), "{fragment}");
            assert_eq!(r.raw_answers.len(), 1, "{fragment}");
            assert!(r.scores.is_empty(), "{fragment}");
        }
        // Attributes as a list of pairs are read too.
        let mut body: Value = serde_json::from_str(ANSWERED).unwrap();
        body["event"]["questionAnswered"]["respondent"]["attributes"] =
            json!([{"name": "UserId", "value": "u-9"}, {"name": "nested", "value": {"a": 1}}]);
        let r = one(&body);
        assert_eq!(r.respondent_id.as_deref(), Some("u-9"));
        assert!(!r.attributes.contains_key("nested"));
    }

    #[test]
    fn survey_completed_is_read_only_in_the_guessed_shape() {
        // Constructed: the docs' sample of this event could not be read (see SOURCE.md).
        let r = one(&serde_json::from_str(COMPLETED_GUESSED).unwrap());
        assert_eq!(r.id, "3fa85f64-5717-4562-b3fc-2c963f66afa6");
        assert!(!r.complete);
        assert_eq!(r.scores.nps, Some(9));
        let ids: Vec<&str> = r.answers.iter().map(|a| a.question_id.as_str()).collect();
        assert_eq!(ids, vec!["12122/comment", "12124"]);
        assert_eq!(r.raw_answers.len(), 3);

        assert_eq!(
            read(&serde_json::from_str(COMPLETED_ENVELOPE).unwrap(), &cx()).unwrap(),
            Reading::Ignored("survey completed".into())
        );
        let mut body: Value = serde_json::from_str(COMPLETED_GUESSED).unwrap();
        body["event"]["surveyCompleted"]["answers"][1] = json!({"choice": {"id": 1}});
        assert_eq!(
            read(&body, &cx()).unwrap(),
            Reading::Ignored("survey completed".into())
        );
    }

    #[test]
    fn other_events_and_malformed_bodies() {
        assert!(matches!(
            read(&json!({"event": {"surveyDisplayed": {}}}), &cx()).unwrap(),
            Reading::Ignored(_)
        ));
        assert!(matches!(
            read(&json!({"event": {}}), &cx()).unwrap(),
            Reading::Ignored(_)
        ));
        assert_eq!(read(&json!([]), &cx()).unwrap_err()[0].field, "/event");
        assert_eq!(
            read(&json!({"event": {"questionAnswered": []}}), &cx()).unwrap_err()[0].field,
            "/event/questionAnswered"
        );
        let mut body: Value = serde_json::from_str(ANSWERED).unwrap();
        body["event"]["questionAnswered"]["question"] = json!({"body": "?"});
        assert_eq!(
            read(&body, &cx()).unwrap_err()[0].field,
            "/event/questionAnswered/question/id"
        );
    }
}
