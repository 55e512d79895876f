//! 问卷星 (wjx.cn) 答卷API推送: one JSON object per submitted 答卷, every value a string.
//!
//! ```text
//! {"activity":"5657754","name":"问卷名称","index":"3","joinid":"101812480275",
//!  "submittime":"2016-08-23 10:01:59","sojumpparm":"…","q1":"1","q2":"1,2","q3":"测试",
//!  "totalvalue":"15","sign":"…"}
//! ```
//!
//! - **Signature**: in the body, `sign = sha1(activity + index + 推送密钥)` in hex. It covers
//!   the survey id and the 作答序号 only, not the answers, and has no timestamp: it proves the
//!   sender knows the key, so the URL token stays as well. The hex case is not documented, so
//!   it is compared case-insensitively. A push without `sign` (or with `"sign":""`, as in
//!   问卷星's own example) or without `index` is unsigned.
//! - **Response id**: `joinid` (参与序号, unique across 问卷星), else `{activity}:{index}`.
//! - **Answers**: `qN` (question N), `qN_M` (row M of a matrix, or tag M of a 评价题 when `qN`
//!   chose option M), `qN_M_K` (a table cell). The push sends option *numbers* and no titles,
//!   so the kind of a question is told from its value alone: a value with a letter or a Chinese
//!   character in it is text (单项填空 `"测试"`, 矩阵填空); numbers and lists of them (choices
//!   `"1,2"`, sliders, weights, 商品题 `"1^1,2^1"`), dates, file URLs, table cells (表格下拉框
//!   sends option text) and 评价题 tags are kept in `raw_answers` only. An option with a fill-in
//!   is assumed to arrive as `"3^填写内容"` (as 问卷星's 按序号 download writes it; not shown
//!   for pushes): its text after `^` is the answer. A 多级下拉 answer (`"中国-湖南"`) cannot be
//!   told from a 填空 and is read as text.
//! - **Scores**: none. 问卷星 sends an NPS量表题 as its raw score (`"q12":"10"`), but nothing
//!   says which `qN` is the NPS question, and a 0–10 number is as likely a slider or an option
//!   number: without the survey's question map (IllustrateApi) no score is taken. `totalvalue`
//!   is the exam/test total, not NPS: it is kept as the attribute `totalvalue`.
//! - **Respondent**: `sojumpparm` (the 自定义链接参数, verbatim), else `thirdusername` (the
//!   user id when the survey uses 问卷星's 用户体系).
//! - **Times**: `submittime` is `YYYY-MM-DD HH:MM:SS` without a zone (China time, read in the
//!   workspace's zone).

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};

use super::{same_bytes, text_of, Answer, Context, Incoming, Reading, Secrets, ToolResponse};
use crate::collect::webhook::SignatureError;
use crate::domain::time::parse_time;
use crate::domain::FieldError;

/// Envelope keys kept as attributes, under the names given.
const ATTRIBUTES: [(&str, &str); 10] = [
    ("activity", "wjx_activity"),
    ("name", "survey"),
    ("sojumpparm", "sojumpparm"),
    ("timetaken", "timetaken"),
    ("totalvalue", "totalvalue"),
    ("nickname", "nickname"),
    ("thirdusername", "thirdusername"),
    ("realname", "realname"),
    ("relDept", "relDept"),
    ("relExt", "relExt"),
    // `ipaddress` is left out on purpose: an IP address is personal data, not an attribute.
];

/// Longest attribute value kept (longer ones are cut).
const MAX_ATTRIBUTE_CHARS: usize = 200;

/// Checks `sign = sha1(activity + index + 推送密钥)` against each live secret.
pub fn verify(req: &Incoming<'_>, secrets: &Secrets<'_>) -> Result<(), SignatureError> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(req.body) else {
        // No JSON object, so no `sign` to read.
        return Err(SignatureError::MissingHeaders);
    };
    let field = |k: &str| body.get(k).and_then(verbatim).filter(|s| !s.is_empty());
    let (Some(activity), Some(index), Some(sign)) =
        (field("activity"), field("index"), field("sign"))
    else {
        return Err(SignatureError::MissingHeaders);
    };
    let sign = sign.trim().to_ascii_lowercase();
    let matched = secrets.live.iter().fold(false, |found, secret| {
        let expected = sha1_hex(&[activity.as_bytes(), index.as_bytes(), secret.as_bytes()]);
        same_bytes(expected.as_bytes(), sign.as_bytes()) | found
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

/// A string value as sent (not trimmed: it is signed as it is), a number written out.
fn verbatim(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn sha1_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn read(body: &Value, cx: &Context) -> Result<Reading, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "must be a JSON object (a 问卷星 答卷 push)",
        )]);
    };
    // 阅卷后推送 (an exam graded later) carries a score, no answers; it is not a new 答卷.
    if obj.contains_key("ksyjpost") {
        return Ok(Reading::Ignored("exam grading push, not a response".into()));
    }
    let get = |k: &str| obj.get(k).and_then(text_of);
    let Some(activity) = get("activity") else {
        return Err(vec![FieldError::new(
            "/activity",
            "is required: 问卷星 pushes carry the survey id",
        )]);
    };

    let mut questions: Vec<(Vec<u32>, &String, &Value)> = obj
        .iter()
        .filter_map(|(k, v)| question_path(k).map(|p| (p, k, v)))
        .collect();
    // Question order (q2 before q10; q4 before q4_1), not the keys' string order.
    questions.sort_by(|a, b| a.0.cmp(&b.0));

    let id = match (get("joinid"), get("index")) {
        (Some(joinid), _) => joinid,
        (None, Some(index)) => format!("{activity}:{index}"),
        (None, None) if questions.is_empty() => return Ok(Reading::Ping),
        (None, None) => {
            return Err(vec![FieldError::new(
                "/joinid",
                "is required: a 答卷 needs joinid (or index) to be told apart from others",
            )])
        }
    };

    let mut answers = Vec::new();
    let mut raw_answers = Map::new();
    for (path, key, value) in &questions {
        raw_answers.insert((*key).clone(), (*value).clone());
        if path.len() == 3 || is_tag_of_rating_question(obj, path) {
            continue;
        }
        if let Some(text) = text_of(value).and_then(|s| text_answer(&s)) {
            answers.push(Answer {
                question_id: (*key).clone(),
                question: None,
                text,
            });
        }
    }

    let mut attributes = Map::new();
    for (from, to) in ATTRIBUTES {
        if let Some(v) = get(from) {
            attributes.insert(to.into(), Value::String(bounded(&v)));
        }
    }

    Ok(Reading::Responses(vec![ToolResponse {
        id,
        respondent_id: get("sojumpparm").or_else(|| get("thirdusername")),
        submitted_at: obj.get("submittime").and_then(|v| parse_time(v, cx.tz)),
        updated_at: None,
        answers,
        scores: Default::default(),
        attributes,
        raw_answers,
        complete: true,
    }]))
}

/// `q12` → `[12]`, `q4_1` → `[4, 1]`, `q8_1_2` → `[8, 1, 2]`; other keys are not answers.
fn question_path(key: &str) -> Option<Vec<u32>> {
    let rest = key.strip_prefix('q')?;
    let path: Vec<u32> = rest
        .split('_')
        .map(|n| {
            (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .then(|| n.parse().ok())
                .flatten()
        })
        .collect::<Option<_>>()?;
    (path.len() <= 3).then_some(path)
}

/// A 评价题 sends the chosen option as `qN` and the tag picked under it as `qN_M` (M the
/// option): `"q1":"3","q1_3":"业务不熟"`. Such a tag is a choice, not text. A 矩阵填空 row
/// `qN_M` has no `qN` beside it.
fn is_tag_of_rating_question(obj: &Map<String, Value>, path: &[u32]) -> bool {
    let [n, m] = path else { return false };
    obj.get(&format!("q{n}"))
        .and_then(text_of)
        .is_some_and(|chosen| chosen.split(',').any(|c| c.trim().parse() == Ok(*m)))
}

/// The text of an answer value, when it is text: it has a letter or a character of a script
/// in it (not only digits, separators, dates), and is not a file's URL. A fill-in after an
/// option number (`"3^其他：朋友推荐"`, `"1,3^…"`) is its text alone.
fn text_answer(value: &str) -> Option<String> {
    let value = value.trim();
    if value.starts_with("http://") || value.starts_with("https://") {
        return None;
    }
    let text = match value.split_once('^') {
        Some((options, fill))
            if !options.is_empty()
                && options
                    .split(',')
                    .all(|o| o.bytes().all(|b| b.is_ascii_digit())) =>
        {
            fill.trim()
        }
        _ => value,
    };
    text.chars()
        .any(char::is_alphabetic)
        .then(|| text.to_owned())
}

fn bounded(s: &str) -> String {
    s.chars().take(MAX_ATTRIBUTE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::super::{read as read_preset, verify as verify_preset, Preset};
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    const DOC_EXAMPLE: &str =
        include_str!("../../../tests/fixtures/presets/wjx/wjx_doc_push_example.txt");
    const DOC_EXAMPLE_FIXED: &str =
        include_str!("../../../tests/fixtures/presets/wjx/wjx_derived_doc_example_fixed.json");
    const FRAGMENTS: &str =
        include_str!("../../../tests/fixtures/presets/wjx/wjx_doc_question_type_fragments.txt");
    const EXAM_REVIEW: &str =
        include_str!("../../../tests/fixtures/presets/wjx/wjx_doc_exam_review_push_decrypted.json");
    const SIGNED: &str =
        include_str!("../../../tests/fixtures/presets/wjx/wjx_constructed_signed_push.json");

    /// The key the constructed push is signed with. Its `sign` was computed outside this code:
    /// `python3 -c "import hashlib; print(hashlib.sha1(('5657754'+'3'+'wjx_push_key_demo')
    /// .encode()).hexdigest())"` → c0b5bf9a86bdc16b87d979e0b52d974b7b70d4cc (the fixture
    /// carries it in upper case, to show the comparison ignores case).
    const KEY: &str = "wjx_push_key_demo";

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
        match read_preset(Preset::Wjx, body, &cx()).unwrap() {
            Reading::Responses(mut rs) if rs.len() == 1 => rs.remove(0),
            other => panic!("expected one response, got {other:?}"),
        }
    }

    fn texts(r: &ToolResponse) -> Vec<(&str, &str)> {
        r.answers
            .iter()
            .map(|a| (a.question_id.as_str(), a.text.as_str()))
            .collect()
    }

    fn check(body: &[u8], secrets: &[&str]) -> Result<(), SignatureError> {
        let req = Incoming { headers: &[], body };
        let secrets = Secrets {
            live: secrets.to_vec(),
        };
        verify_preset(Preset::Wjx, &req, &secrets, at("2026-01-01T00:00:00Z"))
    }

    #[test]
    fn the_docs_example_is_not_json_and_its_fix_reads() {
        // 问卷星's only full example has `"q3","1,2"`: no JSON reader takes it, so the
        // handler answers it with its JSON error before a preset sees it.
        assert!(serde_json::from_str::<Value>(DOC_EXAMPLE).is_err());

        let r = one(&serde_json::from_str(DOC_EXAMPLE_FIXED).unwrap());
        assert_eq!(r.id, "101812480275");
        assert_eq!(texts(&r), vec![("q2", "测试")]);
        assert_eq!(r.raw_answers.get("q1"), Some(&json!("1")));
        assert_eq!(r.raw_answers.get("q3"), Some(&json!("1,2")));
        assert_eq!(r.raw_answers.len(), 3);
        assert_eq!(r.submitted_at, Some(at("2016-08-23T10:01:59+08:00")));
        assert_eq!(r.updated_at, None);
        assert!(r.scores.is_empty());
        assert_eq!(r.respondent_id, None);
        assert_eq!(r.attributes.get("wjx_activity"), Some(&json!("5657754")));
        assert_eq!(r.attributes.get("survey"), Some(&json!("问卷名称")));
        assert_eq!(r.attributes.get("timetaken"), Some(&json!("528")));
        assert_eq!(r.attributes.get("totalvalue"), Some(&json!("15")));
        assert!(r.complete);
    }

    #[test]
    fn each_question_type_of_the_docs_reads_as_its_kind() {
        // The doc's "推送形式" fragments, in its order, each put into a push of its own. Only
        // 填空 answers (and the 多级下拉 text, which cannot be told from one) are text.
        let fragments: Vec<&str> = FRAGMENTS
            .split("\n\n")
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect();
        assert_eq!(fragments.len(), 21);
        let expected_text: [&[&str]; 21] = [
            &[],               // 单选题 "q1":"1"
            &[],               // 多选题 "q2":"1,2"
            &["q3"],           // 单项填空题 "q3":"测试"
            &[],               // 矩阵量表题
            &[],               // 矩阵单选题
            &["q6_1", "q6_2"], // 矩阵填空题
            &[],               // 矩阵滑动条
            &[],               // 表格下拉框 (option text in table cells)
            &[],               // 表格数值题
            &[],               // 表格文本题
            &[],               // 上传文件题 (a URL)
            &[],               // NPS量表题 "q12":"10" — no score either, see below
            &[],               // 评分单选题
            &[],               // 评分多选题
            &[],               // 排序题
            &["q16"],          // 多级下拉框 "中国-湖南": read as text (no way to tell)
            &[],               // 比重题
            &[],               // 滑动条 (the doc's fragment misses a quote; see below)
            &[],               // 情景随机题
            &[],               // 商品题
            &[],               // 评价题: "q1_3" is the tag chosen under option 3
        ];
        for (i, fragment) in fragments.iter().enumerate() {
            let json = format!(r#"{{"activity":"22913715","joinid":"1",{fragment}}}"#);
            let Ok(body) = serde_json::from_str::<Value>(&json) else {
                assert_eq!(i, 17, "only the 滑动条 fragment is broken: {fragment}");
                continue;
            };
            let r = one(&body);
            let ids: Vec<&str> = r.answers.iter().map(|a| a.question_id.as_str()).collect();
            assert_eq!(ids, expected_text[i], "fragment {}: {fragment}", i + 1);
            assert!(r.scores.is_empty(), "fragment {}", i + 1);
            assert!(!r.raw_answers.is_empty(), "fragment {}", i + 1);
        }
    }

    #[test]
    fn a_signed_push_reads_in_question_order() {
        let body: Value = serde_json::from_str(SIGNED).unwrap();
        let r = one(&body);
        assert_eq!(r.id, "101812480275");
        assert_eq!(
            texts(&r),
            vec![
                ("q3", "价格有点贵，希望多一些优惠"),
                ("q6_1", "客服回复太慢"),
                ("q6_2", "结账流程顺畅"),
                ("q10", "朋友推荐"),
                ("q11", "中国-湖南"),
            ]
        );
        // q7 is "10": maybe an NPS question, maybe not — nothing in the push says.
        assert!(r.scores.is_empty());
        assert_eq!(r.raw_answers.get("q7"), Some(&json!("10")));
        assert_eq!(r.raw_answers.get("q5_3"), Some(&json!("业务不熟")));
        assert_eq!(r.raw_answers.get("q12_1_1"), Some(&json!("很满意")));
        assert_eq!(r.raw_answers.len(), 15);
        assert_eq!(r.respondent_id.as_deref(), Some("u_10086;vip"));
        assert_eq!(r.attributes.get("sojumpparm"), Some(&json!("u_10086;vip")));
        assert_eq!(r.attributes.get("nickname"), Some(&json!("小王")));
        assert_eq!(r.attributes.get("survey"), Some(&json!("产品体验调研")));
        assert!(!r.attributes.contains_key("ipaddress"));
        assert!(r.attributes.values().all(|v| v != "203.0.113.7"));
        assert!(!r.raw_answers.contains_key("sign"));
    }

    #[test]
    fn ids_respondents_and_pings() {
        // No joinid: the survey and its 作答序号.
        let r = one(&json!({"activity": "5657754", "index": "3", "q1": "好用"}));
        assert_eq!(r.id, "5657754:3");
        // A user-system id stands in when no link parameter came.
        let r = one(&json!({"activity": "1", "joinid": "9", "thirdusername": "emp-007"}));
        assert_eq!(r.respondent_id.as_deref(), Some("emp-007"));
        // Numbers where strings are documented are taken too.
        let r = one(&json!({"activity": 1, "joinid": 101812480275u64, "q1": 2}));
        assert_eq!(r.id, "101812480275");
        assert_eq!(r.raw_answers.get("q1"), Some(&json!(2)));
        // Nothing to identify and nothing answered: a test push.
        assert_eq!(
            read(&json!({"activity": "5657754"}), &cx()).unwrap(),
            Reading::Ping
        );
        // Answers without an id are refused rather than stored under a guess.
        let err = read(&json!({"activity": "5657754", "q1": "好"}), &cx()).unwrap_err();
        assert_eq!(err[0].field, "/joinid");
        let err = read(&json!({"joinid": "1"}), &cx()).unwrap_err();
        assert_eq!(err[0].field, "/activity");
        let err = read(&json!(["q1"]), &cx()).unwrap_err();
        assert_eq!(err[0].field, "");
        // 阅卷后推送, if it ever reached this URL decrypted.
        assert!(matches!(
            read(&serde_json::from_str(EXAM_REVIEW).unwrap(), &cx()).unwrap(),
            Reading::Ignored(_)
        ));
    }

    #[test]
    fn what_is_not_a_question_key() {
        assert_eq!(question_path("q1"), Some(vec![1]));
        assert_eq!(question_path("q10_2_3"), Some(vec![10, 2, 3]));
        for k in [
            "q",
            "q_1",
            "q1_",
            "qa",
            "Q1",
            "q1_2_3_4",
            "sojumpparm",
            "q1x",
        ] {
            assert_eq!(question_path(k), None, "{k}");
        }
        assert_eq!(text_answer("1,2"), None);
        assert_eq!(text_answer("77.5"), None);
        assert_eq!(text_answer("2016-08-23"), None);
        assert_eq!(text_answer("https://x.example/a.png"), None);
        assert_eq!(text_answer("3^"), None);
        assert_eq!(text_answer("1,3^其他"), Some("其他".into()));
        assert_eq!(text_answer("a^b"), Some("a^b".into()));
        assert_eq!(text_answer(" ok "), Some("ok".into()));
    }

    #[test]
    fn signature_is_sha1_of_activity_index_and_key() {
        let body = SIGNED.as_bytes();
        assert_eq!(check(body, &[KEY]), Ok(()));
        // The rotated-out key still works while its grace lasts; order does not matter.
        assert_eq!(check(body, &["another_key", KEY]), Ok(()));
        assert_eq!(
            check(body, &["wjx_push_key_dem0"]),
            Err(SignatureError::Invalid)
        );

        // `index` changed by one byte: the signature no longer matches.
        let changed = SIGNED.replace(r#""index":"3""#, r#""index":"4""#);
        assert_ne!(changed, SIGNED);
        assert_eq!(
            check(changed.as_bytes(), &[KEY]),
            Err(SignatureError::Invalid)
        );
        // Lower-case hex, as another independently computed vector:
        // sha1("5657754" + "3" + "another_key") = 7264a103f8209b6ffb840d262ddd484a5eddf8d6.
        let other = SIGNED.replace(
            "C0B5BF9A86BDC16B87D979E0B52D974B7B70D4CC",
            "7264a103f8209b6ffb840d262ddd484a5eddf8d6",
        );
        assert_eq!(check(other.as_bytes(), &["another_key"]), Ok(()));
        assert_eq!(
            check(other.as_bytes(), &[KEY]),
            Err(SignatureError::Invalid)
        );
        // The answers are not signed by 问卷星's scheme: changing one keeps the signature.
        let answer_changed = SIGNED.replace("希望多一些优惠", "希望少一些优惠");
        assert_eq!(check(answer_changed.as_bytes(), &[KEY]), Ok(()));
    }

    #[test]
    fn unsigned_pushes_are_missing_their_signature() {
        // The doc's fixed example: `"sign":""` and no `index`.
        assert_eq!(
            check(DOC_EXAMPLE_FIXED.as_bytes(), &[KEY]),
            Err(SignatureError::MissingHeaders)
        );
        let no_sign = SIGNED.replace(r#","sign":"C0B5BF9A86BDC16B87D979E0B52D974B7B70D4CC""#, "");
        assert_ne!(no_sign, SIGNED);
        assert_eq!(
            check(no_sign.as_bytes(), &[KEY]),
            Err(SignatureError::MissingHeaders)
        );
        let no_index = SIGNED.replace(r#""index":"3","#, "");
        assert_ne!(no_index, SIGNED);
        assert_eq!(
            check(no_index.as_bytes(), &[KEY]),
            Err(SignatureError::MissingHeaders)
        );
        assert_eq!(
            check(DOC_EXAMPLE.as_bytes(), &[KEY]),
            Err(SignatureError::MissingHeaders)
        );
        assert_eq!(check(SIGNED.as_bytes(), &[]), Err(SignatureError::Invalid));
    }
}
