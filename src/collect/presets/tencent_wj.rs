//! 腾讯问卷 (wj.qq.com) Webhook 答卷数据推送: a JSON envelope per event.
//!
//! ```text
//! {"id": "<uuid of the push>", "object": "Answer", "action": "answer.create",
//!  "created_at": "2021-01-26 14:00:00",
//!  "payload": {"survey_id": 5356056, "answer_id": 7, "respondent_id": 60000000001,
//!              "openid": "", "ended_at": "…", "third_party_user": {"openid": "…"},
//!              "answer": [{"id": "p-1-abcd", "questions": [{"id": "q-1-abcd",
//!                "type": "radio", "options": [{"id": "o-…", "checked": 1, "text": "选项"}]}]},
//!              {"id": "custom_args", "questions": [{"id": "custom-arg-01", "type": "text",
//!                "text": "…", "title": "<link parameter>"}]}]}}
//! ```
//!
//! 腾讯问卷 does not sign its pushes ("后续会增加可选的密钥项目用于校验"): the URL token
//! protects the source, so there is no `verify` here.
//!
//! - **Events**: `answer.create` and `answer.update` are read (an update replaces the
//!   response). Both take the push's `created_at` as `updated_at`, so versions are ordered by
//!   腾讯问卷's clock alone (a create retried after an update stays older than the update);
//!   `answer.delete` is ignored. The
//!   request sent when a webhook is enabled has an undocumented body: anything without
//!   `payload.answer_id` is a ping.
//! - **Response id**: `{survey_id}:{answer_id}` (`answer_id` counts within a survey).
//! - **Answers**: the pages' questions in order, except the `custom_args` page. A question of
//!   type `text` or `textarea` gives its `text`; choices (`options` with `checked` 1, matrix
//!   `groups`) go to `raw_answers` as their option texts. Titles are not in the push (the one
//!   known example has none); a question's `title`, when sent, is kept.
//! - **Scores**: the type names for NPS and star questions are not documented; a question of
//!   type `nps` gives an NPS score and one of type `star` a rating, from its `text` (量表
//!   answers come as text) or its checked option.
//! - **Respondent**: a link parameter (`custom_args`) named `respondent_id`, `user_id`, … (the
//!   shared list), else `third_party_user.openid` (the team's own user id for SSO-registered
//!   respondents), else the deprecated `payload.openid` (once the link's `?openid=`), else
//!   腾讯问卷's own respondent id (`respondent_id`, 0 when the respondent was anonymous).
//!   Every link parameter is an attribute, under its name.
//! - **Times**: `ended_at` (submit) and `created_at` (push) are `YYYY-MM-DD HH:MM:SS` without a
//!   zone: China time, read in the workspace's zone.

use serde_json::{Map, Value};

use super::{score_in, text_of, Answer, Context, Reading, ToolResponse, RESPONDENT_KEYS};
use crate::domain::time::parse_time;
use crate::domain::{FieldError, Scores};

const MAX_ATTRIBUTES: usize = 50;
const MAX_ATTRIBUTE_CHARS: usize = 200;
const MAX_ATTRIBUTE_NAME_BYTES: usize = 64;

/// The pseudo-page carrying the link parameters.
const CUSTOM_ARGS_PAGE: &str = "custom_args";

pub fn read(body: &Value, cx: &Context) -> Result<Reading, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "must be a JSON object (a 腾讯问卷 webhook push)",
        )]);
    };
    let payload = obj.get("payload").and_then(Value::as_object);
    let Some((payload, answer_id)) =
        payload.and_then(|p| p.get("answer_id").and_then(text_of).map(|id| (p, id)))
    else {
        // The request sent when a webhook is enabled (its body is not documented).
        return Ok(Reading::Ping);
    };
    let action = obj.get("action").and_then(Value::as_str).unwrap_or("");
    match action {
        // A push without an action is read as a new answer.
        "answer.create" | "answer.update" | "" => {}
        "answer.delete" => return Ok(Reading::Ignored("answer deleted".into())),
        other => {
            return Ok(Reading::Ignored(format!(
                "event {} is not an answer",
                other.chars().take(64).collect::<String>()
            )))
        }
    }
    let Some(survey_id) = payload.get("survey_id").and_then(text_of) else {
        return Err(vec![FieldError::new(
            "/payload/survey_id",
            "is required: answer_id counts within a survey",
        )]);
    };
    let pages = match payload.get("answer") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(pages)) => pages.as_slice(),
        Some(_) => {
            return Err(vec![FieldError::new(
                "/payload/answer",
                "must be an array of pages",
            )])
        }
    };

    let mut answers = Vec::new();
    let mut raw_answers = Map::new();
    let mut scores = Scores::default();
    let mut args: Vec<(String, String)> = Vec::new();
    for page in pages {
        let page_id = page.get("id").and_then(Value::as_str);
        let questions = page
            .get("questions")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for q in questions {
            let Some(qid) = q.get("id").and_then(text_of) else {
                continue;
            };
            if page_id == Some(CUSTOM_ARGS_PAGE) {
                let name = q.get("title").and_then(text_of).unwrap_or(qid);
                if let Some(value) = q.get("text").and_then(text_of) {
                    args.push((name, value));
                }
                continue;
            }
            let kind = q
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase();
            let text = q.get("text").and_then(text_of);
            let checked = checked_texts(q.get("options"));
            if let Some(raw) = raw_value(q, text.as_deref(), &checked) {
                raw_answers.insert(qid.clone(), raw);
            }
            let value = text.clone().or_else(|| checked.first().cloned());
            match kind.as_str() {
                "text" | "textarea" => {
                    if let Some(text) = text {
                        answers.push(Answer {
                            question_id: qid,
                            question: q.get("title").and_then(text_of),
                            text,
                        });
                    }
                }
                "nps" if scores.nps.is_none() => {
                    scores.nps = value.and_then(|v| score_in(&Value::String(v), 0, 10));
                }
                "star" if scores.rating.is_none() => {
                    scores.rating = value.and_then(|v| score_in(&Value::String(v), 1, 5));
                }
                _ => {}
            }
        }
    }

    let mut attributes = Map::new();
    for key in ["country", "province", "city", "respondent_type", "duration"] {
        match payload.get(key) {
            Some(Value::Number(n)) => {
                attributes.insert(key.into(), Value::Number(n.clone()));
            }
            Some(v) => {
                if let Some(v) = text_of(v) {
                    attributes.insert(key.into(), Value::String(bounded(&v)));
                }
            }
            None => {}
        }
    }
    attributes.insert("wj_survey_id".into(), Value::String(bounded(&survey_id)));
    // The team's own link parameters win over the names above.
    for (name, value) in &args {
        if name.len() > MAX_ATTRIBUTE_NAME_BYTES
            || (attributes.len() >= MAX_ATTRIBUTES && !attributes.contains_key(name))
        {
            continue;
        }
        attributes.insert(name.clone(), Value::String(bounded(value)));
    }

    let third_party = payload.get("third_party_user");
    let respondent_id = RESPONDENT_KEYS
        .iter()
        .find_map(|key| {
            args.iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
        })
        .or_else(|| third_party.and_then(|t| t.get("openid")).and_then(text_of))
        .or_else(|| payload.get("openid").and_then(text_of))
        .or_else(|| {
            payload
                .get("respondent_id")
                .and_then(text_of)
                .filter(|id| id != "0")
        });

    Ok(Reading::Responses(vec![ToolResponse {
        id: format!("{survey_id}:{answer_id}"),
        respondent_id,
        submitted_at: payload.get("ended_at").and_then(|v| parse_time(v, cx.tz)),
        // The push's own time orders the versions of an answer: a create retried after an
        // update is older than the update, by 腾讯问卷's clock.
        updated_at: obj.get("created_at").and_then(|v| parse_time(v, cx.tz)),
        answers,
        scores,
        attributes,
        raw_answers,
        complete: true,
    }]))
}

/// The texts of the options marked `checked: 1` (a missing `checked` counts as chosen: the
/// answer API documents it as "是否选中(默认1)").
fn checked_texts(options: Option<&Value>) -> Vec<String> {
    options
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|o| {
            o.get("checked")
                .is_none_or(|c| matches!(text_of(c).as_deref(), Some("1" | "true")))
        })
        .filter_map(|o| o.get("text").and_then(text_of))
        .collect()
}

fn bounded(s: &str) -> String {
    s.chars().take(MAX_ATTRIBUTE_CHARS).collect()
}

/// One chosen text as a string, several as an array (as Tingjian's own surveys store single
/// and multiple choices).
fn choice_value(mut texts: Vec<String>) -> Option<Value> {
    match texts.len() {
        0 => None,
        1 => texts.pop().map(Value::String),
        _ => Some(Value::Array(texts.into_iter().map(Value::String).collect())),
    }
}

/// Keys of a question whose meaning is known; `blanks` is known by name only.
const KNOWN_QUESTION_KEYS: [&str; 9] = [
    "id",
    "type",
    "sub_type",
    "title",
    "description",
    "text",
    "options",
    "groups",
    "blanks",
];

/// A question's answer as kept with the response: its text, its chosen options, or its matrix
/// rows (`{row: chosen}`). A question with something not understood (filled `blanks`, whose
/// meaning is undocumented — perhaps an option's fill-in — or keys not seen before) is kept
/// whole, as sent, so nothing it says is lost.
fn raw_value(q: &Value, text: Option<&str>, checked: &[String]) -> Option<Value> {
    let obj = q.as_object()?;
    let filled_blanks = obj
        .get("blanks")
        .and_then(Value::as_array)
        .is_some_and(|b| !b.is_empty());
    if filled_blanks
        || obj
            .keys()
            .any(|k| !KNOWN_QUESTION_KEYS.contains(&k.as_str()))
    {
        return Some(q.clone());
    }
    if let Some(v) = choice_value(checked.to_vec()) {
        return Some(v);
    }
    if let Some(t) = text {
        return Some(Value::String(t.to_owned()));
    }
    if let Some(groups) = q.get("groups").and_then(Value::as_array) {
        let rows: Map<String, Value> = groups
            .iter()
            .filter_map(|g| {
                let row = g.get("text").or_else(|| g.get("id")).and_then(text_of)?;
                Some((row, choice_value(checked_texts(g.get("options")))?))
            })
            .collect();
        if !rows.is_empty() {
            return Some(Value::Object(rows));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{read as read_preset, Preset};
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    const COPY: &str = include_str!(
        "../../../tests/fixtures/presets/tencent_wj/tencent_wj_github_copy_answer_create.json"
    );
    const UPDATE: &str = include_str!(
        "../../../tests/fixtures/presets/tencent_wj/tencent_wj_constructed_answer_update.json"
    );

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
        match read_preset(Preset::TencentWj, body, &cx()).unwrap() {
            Reading::Responses(mut rs) if rs.len() == 1 => rs.remove(0),
            other => panic!("expected one response, got {other:?}"),
        }
    }

    #[test]
    fn the_copied_answer_create_reads() {
        let r = one(&serde_json::from_str(COPY).unwrap());
        assert_eq!(r.id, "25721826:7");
        // One radio question: a choice, not text.
        assert!(r.answers.is_empty());
        assert_eq!(r.raw_answers.get("q-1-abcd"), Some(&json!("选项")));
        assert_eq!(r.raw_answers.len(), 1);
        // The link parameter `phone` is an attribute, not an answer, and not a respondent id
        // name: the third-party user's openid is.
        assert_eq!(r.attributes.get("phone"), Some(&json!("17695796264")));
        assert_eq!(r.respondent_id.as_deref(), Some("abcdefg"));
        assert_eq!(r.submitted_at, Some(at("2020-02-09T11:58:39+08:00")));
        assert_eq!(r.updated_at, Some(at("2021-01-26T14:00:00+08:00")));
        assert_eq!(r.attributes.get("city"), Some(&json!("深圳市")));
        assert_eq!(r.attributes.get("wj_survey_id"), Some(&json!("25721826")));
        assert_eq!(r.attributes.get("duration"), Some(&json!(189)));
        // Empty strings are not attributes; the IP and browser are not kept at all.
        assert!(!r.attributes.contains_key("respondent_type"));
        assert!(!r.attributes.contains_key("ip"));
        assert!(!r.attributes.contains_key("ua"));
        assert!(r.scores.is_empty());
        assert!(r.complete);
    }

    #[test]
    fn an_update_with_texts_choices_scores_and_link_parameters() {
        let r = one(&serde_json::from_str(UPDATE).unwrap());
        assert_eq!(r.id, "5356056:8");
        let texts: Vec<(&str, Option<&str>, &str)> = r
            .answers
            .iter()
            .map(|a| {
                (
                    a.question_id.as_str(),
                    a.question.as_deref(),
                    a.text.as_str(),
                )
            })
            .collect();
        assert_eq!(
            texts,
            vec![
                ("q-3-txt0", None, "快递太慢了，客服也不回消息。"),
                (
                    "q-7-txt2",
                    Some("还有什么想对我们说的？"),
                    "希望增加夜间配送"
                ),
            ]
        );
        assert_eq!(r.scores.nps, Some(9));
        assert_eq!(r.scores.rating, Some(4));
        assert_eq!(r.raw_answers.get("q-1-nps0"), Some(&json!("9")));
        assert_eq!(
            r.raw_answers.get("q-2-chk0"),
            Some(&json!(["物流", "售后"]))
        );
        assert_eq!(
            r.raw_answers.get("q-4-mtx0"),
            Some(&json!({"配送速度": "不满意", "包装": "满意"}))
        );
        // An empty text is no answer at all.
        assert!(!r.raw_answers.contains_key("q-5-txt1"));
        assert!(!r.raw_answers.keys().any(|k| k.starts_with("custom-arg")));
        // A link parameter named user_id wins over the third-party user and the legacy openid.
        assert_eq!(r.respondent_id.as_deref(), Some("wx_u_8848"));
        assert_eq!(r.attributes.get("user_id"), Some(&json!("wx_u_8848")));
        assert_eq!(r.attributes.get("from"), Some(&json!("app_banner")));
        assert_eq!(r.submitted_at, Some(at("2021-01-26T13:58:39+08:00")));
        assert_eq!(r.updated_at, Some(at("2021-01-27T09:30:00+08:00")));
    }

    #[test]
    fn respondent_falls_back_in_order() {
        let mut body: Value = serde_json::from_str(UPDATE).unwrap();
        body["payload"]["answer"]
            .as_array_mut()
            .unwrap()
            .retain(|p| p["id"] != "custom_args");
        assert_eq!(one(&body).respondent_id.as_deref(), Some("tp-user-42"));
        body["payload"]["third_party_user"] = json!(null);
        assert_eq!(one(&body).respondent_id.as_deref(), Some("legacy-openid-1"));
        body["payload"]["openid"] = json!("");
        // respondent_id 0: anonymous.
        assert_eq!(one(&body).respondent_id, None);
        body["payload"]["respondent_id"] = json!(60000000001u64);
        assert_eq!(one(&body).respondent_id.as_deref(), Some("60000000001"));
        // Link parameter names match whatever their case.
        body["payload"]["answer"].as_array_mut().unwrap().push(
            json!({"id": "custom_args", "questions": [
                {"id": "custom-arg-01", "type": "text", "text": "m-1", "title": "Member_ID"},
                {"id": "custom-arg-02", "type": "text", "text": "o-1", "title": "openid"}
            ]}),
        );
        assert_eq!(one(&body).respondent_id.as_deref(), Some("m-1"));
    }

    #[test]
    fn deletions_other_events_and_the_test_request() {
        let mut body: Value = serde_json::from_str(COPY).unwrap();
        body["action"] = json!("answer.delete");
        assert_eq!(
            read(&body, &cx()).unwrap(),
            Reading::Ignored("answer deleted".into())
        );
        body["action"] = json!("survey.publish");
        assert!(matches!(read(&body, &cx()).unwrap(), Reading::Ignored(_)));
        // No answer id: the request 腾讯问卷 sends when the webhook is enabled.
        for ping in [
            json!({}),
            json!({"action": "answer.create", "payload": {}}),
            json!({"id": "x", "object": "Answer", "payload": {"survey_id": 1, "answer_id": null}}),
        ] {
            assert_eq!(read(&ping, &cx()).unwrap(), Reading::Ping, "{ping}");
        }
    }

    #[test]
    fn malformed_pushes_say_where() {
        assert_eq!(read(&json!("x"), &cx()).unwrap_err()[0].field, "");
        let err = read(&json!({"payload": {"answer_id": 7}}), &cx()).unwrap_err();
        assert_eq!(err[0].field, "/payload/survey_id");
        let err = read(
            &json!({"payload": {"survey_id": 1, "answer_id": 7, "answer": {}}}),
            &cx(),
        )
        .unwrap_err();
        assert_eq!(err[0].field, "/payload/answer");
        // Unknown and missing optional keys are fine.
        let r = one(&json!({"payload": {"survey_id": "1", "answer_id": "2", "new_key": [1]}}));
        assert_eq!(r.id, "1:2");
        assert_eq!(r.submitted_at, None);
    }

    #[test]
    fn scores_out_of_range_or_of_unmarked_questions_are_not_taken() {
        let body = json!({"action": "answer.create", "payload": {"survey_id": 1, "answer_id": 2,
        "answer": [{"id": "p-1", "questions": [
            {"id": "q-1", "type": "nps", "text": "11"},
            {"id": "q-2", "type": "star", "options": [{"id": "o-1", "checked": 1, "text": "7"}]},
            {"id": "q-3", "type": "radio", "text": "10"},
            {"id": "q-4", "type": "nps", "options": [{"id": "o-2", "checked": 1, "text": "6"}]}
        ]}]}});
        let r = one(&body);
        // The first NPS question is out of range and dropped; the next one counts.
        assert_eq!(r.scores.nps, Some(6));
        assert_eq!(r.scores.rating, None);
        assert_eq!(r.raw_answers.get("q-1"), Some(&json!("11")));
    }

    #[test]
    fn questions_with_what_is_not_understood_are_kept_whole() {
        let other = json!({"id": "q-1", "type": "radio",
            "options": [{"id": "o-9", "checked": 1, "text": "其他"}],
            "blanks": [{"id": "b-1", "value": "朋友推荐"}]});
        let upload = json!({"id": "q-2", "type": "upload", "files": [{"url": "https://x/y.png"}]});
        let body = json!({"action": "answer.create", "payload": {"survey_id": 1, "answer_id": 2,
            "answer": [{"id": "p-1", "questions": [other, upload]}]}});
        let r = one(&body);
        assert_eq!(r.raw_answers.get("q-1"), Some(&other));
        assert_eq!(r.raw_answers.get("q-2"), Some(&upload));
        // Not read as text: what `blanks` holds is not documented.
        assert!(r.answers.is_empty());
    }
}
