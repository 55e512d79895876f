//! Typeform (<https://www.typeform.com/developers/webhooks/>): one `form_response` (or
//! `form_response_partial`) event per response, signed in `Typeform-Signature:
//! sha256=<base64 HMAC-SHA256 of the raw body>` with the webhook's secret as typed.
//!
//! Answers join the form's definition by field id (or ref): `short_text`/`long_text` answers
//! and "other" choice texts are text answers under the field's title; an `nps` field gives the
//! NPS, a `rating` field of 1–5 the rating; everything else is kept as given. Hidden fields
//! are the respondent's attributes, and name the respondent.

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

/// Field types whose answers are feedback text. `email`, `phone_number`, `website` are
/// contact data, not feedback: kept in the raw answers only.
const TEXT_TYPES: [&str; 3] = ["short_text", "long_text", "text"];

/// Checks `Typeform-Signature` against each live secret: HMAC-SHA256 of the raw body keyed by
/// the secret's UTF-8 bytes, base64 after `sha256=`. Typeform signs no time, so there is no
/// staleness to refuse (retries are told apart by the response's token).
pub fn verify(req: &Incoming<'_>, secrets: &Secrets<'_>) -> Result<(), SignatureError> {
    let header = req.header("typeform-signature").trim();
    if header.is_empty() {
        return Err(SignatureError::MissingHeaders);
    }
    let Some(tag) = header
        .strip_prefix("sha256=")
        .and_then(|b64| B64.decode(b64.trim()).ok())
    else {
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
            "must be a Typeform webhook event object",
        )]);
    };
    let complete = match obj.get("event_type").and_then(Value::as_str) {
        None | Some("form_response") => true,
        Some("form_response_partial") => false,
        Some(other) => {
            return Ok(Reading::Ignored(format!(
                "Typeform event {other} is not a form response"
            )))
        }
    };
    let Some(fr) = obj.get("form_response").and_then(Value::as_object) else {
        return Err(vec![FieldError::new(
            "/form_response",
            "must be the form response object",
        )]);
    };
    let mut errors = Vec::new();
    let form_id = fr.get("form_id").and_then(text_of);
    if form_id.is_none() {
        errors.push(FieldError::new("/form_response/form_id", "missing"));
    }
    let token = fr.get("token").and_then(text_of);
    if token.is_none() {
        errors.push(FieldError::new("/form_response/token", "missing"));
    }
    let answers = match fr.get("answers") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            errors.push(FieldError::new(
                "/form_response/answers",
                "must be an array",
            ));
            &[][..]
        }
    };
    let (Some(form_id), Some(token)) = (form_id, token) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    if complete && is_test_delivery(obj, fr, &token) {
        return Ok(Reading::Ping);
    }

    let fields: &[Value] = fr
        .get("definition")
        .and_then(|d| d.get("fields"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let mut r = ToolResponse {
        id: format!("{form_id}:{token}"),
        submitted_at: ["submitted_at", "landed_at"]
            .iter()
            .find_map(|k| fr.get(*k).and_then(|v| parse_time(v, cx.tz))),
        complete,
        ..ToolResponse::default()
    };

    for answer in answers {
        let field = answer.get("field");
        let Some(id) = field.and_then(|f| f.get("id")).and_then(text_of) else {
            continue;
        };
        let definition = field_definition(fields, &id, field.and_then(|f| f.get("ref")));
        let kind = field
            .and_then(|f| f.get("type"))
            .or_else(|| definition.and_then(|d| d.get("type")))
            .and_then(Value::as_str)
            .unwrap_or("");
        let value = answer
            .get("type")
            .and_then(Value::as_str)
            .and_then(|t| answer.get(t));
        r.raw_answers
            .insert(id.clone(), value.unwrap_or(answer).clone());
        let Some(value) = value else { continue };

        let text = if TEXT_TYPES.contains(&kind) {
            text_of(value)
        } else {
            // A choice's "Other" text: `choice.other`, `choices.other`.
            value.get("other").and_then(text_of)
        };
        if let Some(text) = text {
            r.answers.push(Answer {
                question_id: id,
                question: definition.and_then(|d| d.get("title")).and_then(text_of),
                text,
            });
            continue;
        }
        match kind {
            "nps" if r.scores.nps.is_none() => r.scores.nps = score_in(value, 0, 10),
            // Typeform sends no scale: a rating is taken as stars only when it reads as 1–5.
            "rating" if r.scores.rating.is_none() => r.scores.rating = score_in(value, 1, 5),
            _ => {}
        }
    }

    if let Some(hidden) = fr.get("hidden").and_then(Value::as_object) {
        r.respondent_id = respondent_of(hidden);
        for (k, v) in hidden {
            put_attribute(&mut r.attributes, k, v);
        }
    }
    Ok(Reading::Responses(vec![r]))
}

/// Typeform's "send test request" fills the form with placeholder answers and marks itself
/// only by shape: its `event_id` is the response's token and it lands and submits in the
/// same second (observed in third-party captures, not documented). A real response has a
/// token of its own and takes a respondent longer than a second.
fn is_test_delivery(event: &Map<String, Value>, fr: &Map<String, Value>, token: &str) -> bool {
    let event_id = event.get("event_id").and_then(Value::as_str);
    let landed = fr.get("landed_at").and_then(Value::as_str);
    let submitted = fr.get("submitted_at").and_then(Value::as_str);
    event_id == Some(token) && landed.is_some() && landed == submitted
}

/// The definition of the answered field: by id, else by ref.
fn field_definition<'a>(
    fields: &'a [Value],
    id: &str,
    field_ref: Option<&Value>,
) -> Option<&'a Value> {
    fields
        .iter()
        .find(|f| f.get("id").and_then(Value::as_str) == Some(id))
        .or_else(|| {
            let r = field_ref?.as_str()?;
            fields
                .iter()
                .find(|f| f.get("ref").and_then(Value::as_str) == Some(r))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    const DOC: &str =
        include_str!("../../../tests/fixtures/presets/typeform/typeform_form_response.json");
    const CONSTRUCTED: &str = include_str!(
        "../../../tests/fixtures/presets/typeform/typeform_form_response_constructed.json"
    );
    const TEST_DELIVERY: &str = include_str!(
        "../../../tests/fixtures/presets/typeform/typeform_test_delivery_constructed.json"
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

    fn one(body: &str) -> ToolResponse {
        let v: Value = serde_json::from_str(body).unwrap();
        match read(&v, &cx()).unwrap() {
            Reading::Responses(mut rs) => {
                assert_eq!(rs.len(), 1);
                rs.remove(0)
            }
            other => panic!("expected one response, got {other:?}"),
        }
    }

    fn signed(sig: Option<&str>, body: &[u8], secrets: &[&str]) -> Result<(), SignatureError> {
        let headers: Vec<(String, String)> = sig
            .map(|s| vec![("typeform-signature".to_owned(), s.to_owned())])
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
    // The first agrees with the vector in the research notes (typeform.md §2).
    const DOC_SIG: &str = "sha256=SSon2ey2NkT8TOWP/xabxLU5aAwATWRAjUIzSRlwvdg=";
    const CONSTRUCTED_SIG: &str = "sha256=LuXUMRa28RM0RkT5Ee9NsgBtHR3UT33Mp2iIq5aGI7E=";
    const CONSTRUCTED_SIG_UTF8_KEY: &str = "sha256=QEWRybWWuNzDYvS1DNIa6LwBcLVWS7ACkDScVn5IOH4=";

    #[test]
    fn accepts_signatures_made_with_the_secret_as_typed() {
        assert_eq!(
            signed(Some(DOC_SIG), DOC.as_bytes(), &["typeform_test_secret"]),
            Ok(())
        );
        assert_eq!(
            signed(
                Some(CONSTRUCTED_SIG),
                CONSTRUCTED.as_bytes(),
                &["typeform_test_secret"]
            ),
            Ok(())
        );
        // The key is the secret's UTF-8 bytes, not base64-decoded.
        assert_eq!(
            signed(
                Some(CONSTRUCTED_SIG_UTF8_KEY),
                CONSTRUCTED.as_bytes(),
                &["听见-密钥 ✓"]
            ),
            Ok(())
        );
        // The secret rotated out still verifies while its grace lasts.
        assert_eq!(
            signed(
                Some(DOC_SIG),
                DOC.as_bytes(),
                &["new_secret", "typeform_test_secret"]
            ),
            Ok(())
        );
    }

    #[test]
    fn refuses_what_the_secret_did_not_sign() {
        let body = DOC.as_bytes();
        assert_eq!(
            signed(Some(DOC_SIG), body, &["typeform_test_secreT"]),
            Err(SignatureError::Invalid)
        );
        let mut changed = body.to_vec();
        let at = DOC.find("Laura").unwrap();
        changed[at] = b'M';
        assert_eq!(
            signed(Some(DOC_SIG), &changed, &["typeform_test_secret"]),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            signed(None, body, &["typeform_test_secret"]),
            Err(SignatureError::MissingHeaders)
        );
        assert_eq!(
            signed(Some(""), body, &["typeform_test_secret"]),
            Err(SignatureError::MissingHeaders)
        );
        // Without the prefix, as hex, or cut short: no match.
        let bare = DOC_SIG.trim_start_matches("sha256=");
        let hex = "sha256=492a27d9ecb63644fc4ce58fff169bc4b539680c004d6440".to_owned()
            + "8d4233491970bdd8";
        let short = &DOC_SIG[..DOC_SIG.len() - 4];
        for sig in [bare, hex.as_str(), short, "sha256=", "sha256=!!"] {
            assert_eq!(
                signed(Some(sig), body, &["typeform_test_secret"]),
                Err(SignatureError::Invalid),
                "{sig}"
            );
        }
    }

    #[test]
    fn reads_the_documented_example() {
        let r = one(DOC);
        assert_eq!(r.id, "lT4Z3j:a3a12ec67a1365927098a606107fac15");
        assert_eq!(r.submitted_at, Some(at("2018-01-18T18:17:02Z")));
        assert_eq!(r.updated_at, None);
        assert!(r.complete);
        assert_eq!(
            r.answers,
            vec![
                Answer {
                    question_id: "DlXFaesGBpoF".into(),
                    question: Some(
                        "Thanks, {{answer_60906475}}! What's it like where you live? Tell us \
                         in a few sentences."
                            .into()
                    ),
                    text: "It's cold right now! I live in an older medium-sized city with a \
                           university. Geographically, the area is hilly."
                        .into(),
                },
                Answer {
                    question_id: "JwWggjAKtOkA".into(),
                    question: Some("What is your first name?".into()),
                    text: "Laura".into(),
                },
            ]
        );
        // The email is contact data, not feedback; the opinion scale is not called NPS; the
        // rating of 3 reads as stars.
        assert_eq!(r.scores.nps, None);
        assert_eq!(r.scores.rating, Some(3));
        assert_eq!(r.scores.csat, None);
        assert_eq!(r.respondent_id.as_deref(), Some("abc123456"));
        assert_eq!(
            r.attributes,
            json!({"user_id": "abc123456"})
                .as_object()
                .cloned()
                .unwrap()
        );
        assert_eq!(r.raw_answers.len(), 13);
        assert_eq!(r.raw_answers["SMEUb7VJz92Q"], json!("laura@example.com"));
        assert_eq!(
            r.raw_answers["PNe8ZKBK8C2Q"],
            json!({"labels": ["London", "Sydney"]})
        );
        assert_eq!(r.raw_answers["k6TP9oLGgHjl"], json!({"label": "London"}));
        assert_eq!(r.raw_answers["NRsxU591jIW9"], json!(2));
        assert_eq!(r.raw_answers["RUqkXSeXBXSd"], json!(false));
        assert_eq!(r.raw_answers["KoJxDM3c6x8h"], json!("2005-10-15"));
    }

    #[test]
    fn reads_a_feedback_form() {
        let r = one(CONSTRUCTED);
        assert_eq!(r.id, "aBcD1234:x8w2k4n6p0r1t3v5x8w2k4n6p0r1t3v5");
        assert_eq!(r.submitted_at, Some(at("2026-03-02T09:14:05Z")));
        assert_eq!(
            r.answers,
            vec![Answer {
                question_id: "Lt2XyZ9qWeRt".into(),
                question: Some("What should we improve?".into()),
                text: "Export to CSV is hard to find.".into(),
            }]
        );
        assert_eq!(r.scores.nps, Some(9));
        assert_eq!(r.scores.rating, Some(4));
        assert_eq!(r.respondent_id.as_deref(), Some("user-4711"));
        assert_eq!(
            r.attributes,
            json!({"user_id": "user-4711", "plan": "pro"})
                .as_object()
                .cloned()
                .unwrap()
        );
        assert_eq!(
            r.raw_answers["Mc4HiJ7kLmNo"],
            json!({"id": "ChA1b2C3d4E5", "label": "Reporting", "ref": "reporting"})
        );
        assert_eq!(r.raw_answers["Fq1NpS0aBcDe"], json!(9));
    }

    #[test]
    fn a_partial_response_is_read_as_incomplete() {
        let mut v: Value = serde_json::from_str(CONSTRUCTED).unwrap();
        v["event_type"] = json!("form_response_partial");
        let Reading::Responses(rs) = read(&v, &cx()).unwrap() else {
            panic!("expected responses")
        };
        let full = one(CONSTRUCTED);
        assert!(!rs[0].complete);
        assert_eq!(
            ToolResponse {
                complete: true,
                ..rs[0].clone()
            },
            full
        );
    }

    #[test]
    fn the_test_delivery_is_a_ping() {
        let v: Value = serde_json::from_str(TEST_DELIVERY).unwrap();
        assert_eq!(read(&v, &cx()), Ok(Reading::Ping));
        // The same body with a token of its own is a response.
        let mut real = v.clone();
        real["form_response"]["token"] = json!("p0nng4f487dz1zxluhkp0nngnnf7r1jp");
        assert!(matches!(read(&real, &cx()), Ok(Reading::Responses(_))));
    }

    #[test]
    fn matches_fields_by_ref_scores_in_range_and_other_texts() {
        let v = json!({
            "event_id": "01JNB3Q6ZK7T2W8Y4X5V9R1M0Q",
            "event_type": "form_response",
            "form_response": {
                "form_id": "f1",
                "token": "t1",
                "landed_at": "2026-03-02T09:12:40Z",
                "submitted_at": "2026-03-02T09:14:05Z",
                "hidden": {"UID": "u-9", "Customer_ID": "c-1", "note": "x".repeat(300), "n": null},
                "definition": {"fields": [
                    {"id": "A", "ref": "why", "type": "long_text", "title": "Why?"},
                    {"id": "B", "ref": "pick", "type": "multiple_choice", "title": "Pick"},
                    {"id": "C", "ref": "stars", "type": "rating", "title": "Stars"},
                    {"id": "D", "ref": "nps", "type": "nps", "title": "NPS"}
                ]},
                "answers": [
                    {"type": "text", "text": "  ", "field": {"id": "A0", "ref": "why"}},
                    {"type": "choice", "choice": {"other": "Something else"},
                     "field": {"id": "B", "type": "multiple_choice"}},
                    {"type": "number", "number": 7, "field": {"id": "C", "type": "rating"}},
                    {"type": "number", "number": 11, "field": {"id": "D", "type": "nps"}},
                    {"type": "text", "text": "ignored", "field": {"type": "long_text"}}
                ]
            }
        });
        let Reading::Responses(rs) = read(&v, &cx()).unwrap() else {
            panic!()
        };
        let r = &rs[0];
        assert_eq!(
            r.answers,
            vec![Answer {
                question_id: "B".into(),
                question: Some("Pick".into()),
                text: "Something else".into()
            }]
        );
        // Out of range: dropped, kept raw.
        assert_eq!(r.scores.rating, None);
        assert_eq!(r.scores.nps, None);
        assert_eq!(r.raw_answers["C"], json!(7));
        assert_eq!(r.raw_answers["A0"], json!("  "));
        assert_eq!(r.respondent_id.as_deref(), Some("u-9"));
        assert_eq!(r.attributes["note"].as_str().unwrap().chars().count(), 200);
        assert!(!r.attributes.contains_key("n"));
    }

    #[test]
    fn other_events_and_malformed_bodies() {
        assert_eq!(
            read(&json!({"event_type": "form_deleted"}), &cx()),
            Ok(Reading::Ignored(
                "Typeform event form_deleted is not a form response".into()
            ))
        );
        let err = |v: Value| {
            read(&v, &cx())
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(err(json!([1])), vec![""]);
        assert_eq!(
            err(json!({"event_type": "form_response"})),
            vec!["/form_response"]
        );
        assert_eq!(
            err(json!({"form_response": {"answers": {}}})),
            vec![
                "/form_response/form_id",
                "/form_response/token",
                "/form_response/answers"
            ]
        );
        // Unknown keys and no answers at all: still a response.
        let r = read(
            &json!({"form_response": {"form_id": "f", "token": "t", "new_key": 1}}),
            &cx(),
        );
        assert!(matches!(r, Ok(Reading::Responses(rs)) if rs[0].answers.is_empty()));
    }
}
