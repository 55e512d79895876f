//! Tally (<https://tally.so/help/webhooks>): one `FORM_RESPONSE` event per submission, signed
//! in `Tally-Signature: <base64 HMAC-SHA256 of the raw body>` with the signing secret as typed.
//!
//! `data.fields` carries every question with its label, type and value, in form order:
//! `INPUT_TEXT`/`TEXTAREA` are text answers, `RATING` of 1–5 the rating, a 0–10
//! `LINEAR_SCALE` labelled as a recommendation question the NPS; choices (option ids) are
//! kept as their option texts; hidden fields are the respondent's attributes and name the
//! respondent (else Tally's own `respondentId`).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::{
    put_attribute, respondent_of, score_in, text_of, Answer, Context, Incoming, Reading, Secrets,
    ToolResponse,
};
use crate::collect::webhook::SignatureError;
use crate::domain::time::parse_time;
use crate::domain::FieldError;

/// Field types whose values are feedback text. `INPUT_EMAIL`, `INPUT_PHONE_NUMBER`,
/// `INPUT_LINK`, `INPUT_NUMBER`, dates and times are kept in the raw answers only.
const TEXT_TYPES: [&str; 2] = ["INPUT_TEXT", "TEXTAREA"];

/// Field types whose value is an array of option ids, with the options alongside.
const CHOICE_TYPES: [&str; 5] = [
    "MULTIPLE_CHOICE",
    "DROPDOWN",
    "MULTI_SELECT",
    "CHECKBOXES",
    "RANKING",
];

/// Words in a linear scale's label that make it an NPS question (case-insensitive).
const NPS_WORDS: [&str; 4] = ["recommend", "nps", "推荐", "推薦"];

/// Checks `Tally-Signature` against each live secret: HMAC-SHA256 of the raw body (never a
/// re-serialisation of it) keyed by the secret's UTF-8 bytes, in base64. Tally signs no time,
/// so there is no staleness to refuse (retries are told apart by the response id).
pub fn verify(req: &Incoming<'_>, secrets: &Secrets<'_>) -> Result<(), SignatureError> {
    let header = req.header("tally-signature").trim();
    if header.is_empty() {
        return Err(SignatureError::MissingHeaders);
    }
    let Ok(tag) = B64.decode(header) else {
        return Err(SignatureError::Invalid);
    };
    for secret in &secrets.live {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(req.body);
        // `verify_slice` compares in constant time and refuses a tag of the wrong length.
        if mac.verify_slice(&tag).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Invalid)
}

pub fn read(body: &Value, cx: &Context) -> Result<Reading, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "must be a Tally webhook event object",
        )]);
    };
    match obj.get("eventType").and_then(Value::as_str) {
        None | Some("FORM_RESPONSE") => {}
        Some(other) => {
            return Ok(Reading::Ignored(format!(
                "Tally event {other} is not a form response"
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
    let form_id = data.get("formId").and_then(text_of);
    if form_id.is_none() {
        errors.push(FieldError::new("/data/formId", "missing"));
    }
    let response_id = data
        .get("responseId")
        .or_else(|| data.get("submissionId"))
        .and_then(text_of);
    if response_id.is_none() {
        errors.push(FieldError::new("/data/responseId", "missing"));
    }
    let fields = match data.get("fields") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            errors.push(FieldError::new("/data/fields", "must be an array"));
            &[][..]
        }
    };
    let (Some(form_id), Some(response_id), true) = (form_id, response_id, errors.is_empty()) else {
        return Err(errors);
    };

    let mut r = ToolResponse {
        id: format!("{form_id}:{response_id}"),
        submitted_at: data.get("createdAt").and_then(|v| parse_time(v, cx.tz)),
        complete: true,
        ..ToolResponse::default()
    };
    let mut hidden = Map::new();
    for field in fields {
        let (Some(key), Some(kind)) = (
            field.get("key").and_then(Value::as_str),
            field.get("type").and_then(Value::as_str),
        ) else {
            continue;
        };
        let label = field.get("label").and_then(text_of);
        let value = match field.get("value") {
            None | Some(Value::Null) => continue,
            Some(v) => v,
        };
        match kind {
            "HIDDEN_FIELDS" => {
                // Named by the label; the key carries a generated suffix.
                if let Some(name) = label {
                    hidden.insert(name, value.clone());
                }
                continue;
            }
            // One boolean per option besides the array of chosen ids: the array says it all.
            "CHECKBOXES" if value.is_boolean() => continue,
            _ => {}
        }
        let raw = if CHOICE_TYPES.contains(&kind) {
            option_texts(value, field.get("options"))
        } else if kind == "MATRIX" {
            matrix_texts(value, field.get("rows"), field.get("columns"))
        } else {
            value.clone()
        };
        r.raw_answers.insert(key.to_owned(), raw);

        if TEXT_TYPES.contains(&kind) {
            if let Some(text) = text_of(value) {
                r.answers.push(Answer {
                    question_id: key.to_owned(),
                    question: label,
                    text,
                });
            }
            continue;
        }
        match kind {
            // Tally sends no star count: a rating is taken only when it reads as 1–5.
            "RATING" if r.scores.rating.is_none() => r.scores.rating = score_in(value, 1, 5),
            "LINEAR_SCALE" if r.scores.nps.is_none() && label.as_deref().is_some_and(says_nps) => {
                r.scores.nps = score_in(value, 0, 10)
            }
            _ => {}
        }
    }

    r.respondent_id = respondent_of(&hidden).or_else(|| data.get("respondentId").and_then(text_of));
    for (k, v) in &hidden {
        put_attribute(&mut r.attributes, k, v);
    }
    Ok(Reading::Responses(vec![r]))
}

fn says_nps(label: &str) -> bool {
    let label = label.to_lowercase();
    NPS_WORDS.iter().any(|w| label.contains(w))
}

/// The text of an option id, from `[{id, text}]`.
fn option_text<'a>(options: Option<&'a Value>, id: &Value) -> Option<&'a Value> {
    options?
        .as_array()?
        .iter()
        .find(|o| o.get("id") == Some(id))?
        .get("text")
}

/// Chosen option ids as their texts (an id without an option is kept as it came).
fn option_texts(value: &Value, options: Option<&Value>) -> Value {
    match value {
        Value::Array(ids) => Value::Array(
            ids.iter()
                .map(|id| option_text(options, id).unwrap_or(id).clone())
                .collect(),
        ),
        other => option_text(options, other).unwrap_or(other).clone(),
    }
}

/// `{rowId: [columnId]}` as `{row text: [column text]}`.
fn matrix_texts(value: &Value, rows: Option<&Value>, columns: Option<&Value>) -> Value {
    let Some(cells) = value.as_object() else {
        return value.clone();
    };
    let mut out = Map::new();
    for (row, chosen) in cells {
        let row_id = Value::String(row.clone());
        let name = option_text(rows, &row_id)
            .and_then(Value::as_str)
            .unwrap_or(row);
        out.insert(name.to_owned(), option_texts(chosen, columns));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    const DOC: &str =
        include_str!("../../../tests/fixtures/presets/tally/tally_FORM_RESPONSE.json");

    fn cx() -> Context {
        Context {
            tz: chrono_tz::Asia::Shanghai,
            now: at("2026-03-03T00:00:00Z"),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
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

    fn doc() -> Value {
        serde_json::from_str(DOC).unwrap()
    }

    fn signed(sig: Option<&str>, body: &[u8], secrets: &[&str]) -> Result<(), SignatureError> {
        let headers: Vec<(String, String)> = sig
            .map(|s| vec![("tally-signature".to_owned(), s.to_owned())])
            .unwrap_or_default();
        verify(
            &Incoming {
                headers: &headers,
                body,
            },
            &Secrets {
                live: secrets.to_vec(),
            },
        )
    }

    // Vectors computed independently with Python (not by this code):
    //   base64.b64encode(hmac.new(secret.encode("utf-8"), open(fixture, "rb").read(),
    //                             hashlib.sha256).digest())
    // over the fixture's exact 8451 bytes. The first agrees with the vector in the research
    // notes (tally.md §2).
    const DOC_SIG: &str = "1UhGd7+KggcoF1hpI07mgTSZgxgsT7lbwpd/J+6CTZI=";
    const DOC_SIG_UTF8_KEY: &str = "I3qT82/OccEWPWajLNsPFoWOV8JEot2vFTLvZj4tuMY=";

    #[test]
    fn accepts_signatures_over_the_raw_body() {
        assert_eq!(
            signed(Some(DOC_SIG), DOC.as_bytes(), &["tally_test_secret"]),
            Ok(())
        );
        assert_eq!(
            signed(Some(DOC_SIG_UTF8_KEY), DOC.as_bytes(), &["听见-密钥 ✓"]),
            Ok(())
        );
        assert_eq!(
            signed(
                Some(DOC_SIG),
                DOC.as_bytes(),
                &["rotated_in", "tally_test_secret"]
            ),
            Ok(())
        );
    }

    #[test]
    fn refuses_what_the_secret_did_not_sign() {
        let body = DOC.as_bytes();
        assert_eq!(
            signed(Some(DOC_SIG), body, &["tally_test_secret2"]),
            Err(SignatureError::Invalid)
        );
        let mut changed = body.to_vec();
        let at = DOC.find("Hello world").unwrap();
        changed[at] = b'J';
        assert_eq!(
            signed(Some(DOC_SIG), &changed, &["tally_test_secret"]),
            Err(SignatureError::Invalid)
        );
        // The same JSON written compactly is other bytes: only the raw body is signed.
        let compact = serde_json::to_vec(&doc()).unwrap();
        assert_eq!(
            signed(Some(DOC_SIG), &compact, &["tally_test_secret"]),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            signed(None, body, &["tally_test_secret"]),
            Err(SignatureError::MissingHeaders)
        );
        let prefixed = format!("sha256={DOC_SIG}");
        for sig in [prefixed.as_str(), &DOC_SIG[..20], "not base64!"] {
            assert_eq!(
                signed(Some(sig), body, &["tally_test_secret"]),
                Err(SignatureError::Invalid),
                "{sig}"
            );
        }
    }

    #[test]
    fn reads_the_documented_example() {
        let r = one(&doc());
        assert_eq!(r.id, "VwbNEw:2wgx4n");
        assert_eq!(r.submitted_at, Some(at("2023-06-28T15:00:21Z")));
        assert_eq!(r.updated_at, None);
        assert!(r.complete);
        assert_eq!(
            r.answers,
            vec![
                Answer {
                    question_id: "question_3EKz4n".into(),
                    question: Some("Text".into()),
                    text: "Hello".into(),
                },
                Answer {
                    question_id: "question_3Nrpl3".into(),
                    question: Some("Long text".into()),
                    text: "Hello world".into(),
                },
            ]
        );
        assert_eq!(r.scores.rating, Some(4));
        // "Linear scale" does not say it is an NPS question.
        assert_eq!(r.scores.nps, None);
        // No respondent-naming hidden field: Tally's own respondent.
        assert_eq!(r.respondent_id.as_deref(), Some("dwQKYm"));
        assert_eq!(
            r.attributes,
            json!({"utm_campaign": "newsletter"})
                .as_object()
                .cloned()
                .unwrap()
        );
        let raw = &r.raw_answers;
        assert_eq!(raw["question_3qL4Gm"], json!(["In progress"]));
        assert_eq!(raw["question_wQ1K7w"], json!(["Swimming", "Skiing"]));
        assert_eq!(raw["question_n9BqQm"], json!(["Hard"]));
        assert_eq!(raw["question_meMqem"], json!(["Surf", "Golf"]));
        assert_eq!(raw["question_w7qRZm"], json!(["Pear", "Apple", "Banana"]));
        assert_eq!(
            raw["question_mBazQn"],
            json!({"Quality": ["Satisfied"], "Speed": ["Neutral"]})
        );
        assert_eq!(raw["question_wbq5L3"], json!(7));
        assert_eq!(raw["question_w4Q4Xn"], json!("alice@example.com"));
        assert_eq!(raw["question_wa9QBw_price"], json!(9));
        assert_eq!(
            raw["question_nPpjVn_84b69d73-0a85-4577-89f4-8632632cc222"],
            json!(20)
        );
        // The per-option checkbox booleans and the hidden field are not answers.
        assert!(!raw.keys().any(|k| k.starts_with("question_wQ1K7w_")));
        assert!(!raw.contains_key("question_mVGEg3_8b5711e3-f6a2-4e25-9e68-5d730598c681"));
        assert_eq!(raw.len(), 25);
    }

    fn with_fields(fields: Value) -> Value {
        let mut v = doc();
        v["data"]["fields"] = fields;
        v
    }

    #[test]
    fn a_recommendation_scale_is_the_nps() {
        for label in [
            "How likely are you to recommend us?",
            "NPS",
            "您向朋友推荐我们的可能性有多大？",
        ] {
            let r = one(&with_fields(json!([
                {"key": "q1", "label": label, "type": "LINEAR_SCALE", "value": 9},
                {"key": "q2", "label": label, "type": "LINEAR_SCALE", "value": 3}
            ])));
            assert_eq!(r.scores.nps, Some(9), "{label}");
        }
        let r = one(&with_fields(json!([
            {"key": "q1", "label": "Recommend?", "type": "LINEAR_SCALE", "value": 11},
            {"key": "q2", "label": "Stars", "type": "RATING", "value": 0},
            {"key": "q3", "label": "Stars", "type": "RATING", "value": 5}
        ])));
        assert_eq!(r.scores.nps, None);
        assert_eq!(r.scores.rating, Some(5));
        assert_eq!(r.raw_answers["q1"], json!(11));
    }

    #[test]
    fn a_hidden_field_names_the_respondent() {
        let r = one(&with_fields(json!([
            {"key": "question_a_1", "label": "plan", "type": "HIDDEN_FIELDS", "value": "pro"},
            {"key": "question_b_2", "label": "OpenID", "type": "HIDDEN_FIELDS", "value": "o-7"},
            {"key": "question_c_3", "label": "User_Id", "type": "HIDDEN_FIELDS", "value": "u-42"},
            {"key": "question_d", "label": "Comment", "type": "TEXTAREA", "value": null},
            {"key": "question_e", "label": "Comment", "type": "TEXTAREA", "value": "  "}
        ])));
        assert_eq!(r.respondent_id.as_deref(), Some("u-42"));
        assert_eq!(
            r.attributes,
            json!({"plan": "pro", "OpenID": "o-7", "User_Id": "u-42"})
                .as_object()
                .cloned()
                .unwrap()
        );
        // An unanswered question is left out; a blank one is kept raw, not as text.
        assert!(r.answers.is_empty());
        assert!(!r.raw_answers.contains_key("question_d"));
        assert_eq!(r.raw_answers["question_e"], json!("  "));
    }

    #[test]
    fn other_events_and_malformed_bodies() {
        assert_eq!(
            read(&json!({"eventType": "FORM_DELETED", "data": {}}), &cx()),
            Ok(Reading::Ignored(
                "Tally event FORM_DELETED is not a form response".into()
            ))
        );
        let err = |v: Value| {
            read(&v, &cx())
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(err(json!("x")), vec![""]);
        assert_eq!(err(json!({"eventType": "FORM_RESPONSE"})), vec!["/data"]);
        assert_eq!(
            err(json!({"eventType": "FORM_RESPONSE", "data": {"fields": {}}})),
            vec!["/data/formId", "/data/responseId", "/data/fields"]
        );
        assert_eq!(
            err(json!({"data": {"formId": "f", "responseId": "r", "fields": 1}})),
            vec!["/data/fields"]
        );
        // Unknown keys, no fields: still a response.
        let r = one(&json!({"data": {"formId": "f", "responseId": "r", "submissionPdfUrl": "x"}}));
        assert_eq!(r.id, "f:r");
        assert_eq!(r.respondent_id, None);
    }
}
