//! Properties of every parser that reads what outsiders send (proptest): webhook deliveries
//! and their mappings, the tools' presets, CSV exports, feeds, survey definitions and
//! interview transcripts. None may panic on any input; each refuses with its own error type;
//! what has a serializer reads back what it wrote.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::feeds::{parse_feed, strip_html};
use super::import::{parse_csv, ColumnMapping};
use super::interview::{parse as parse_transcript, Role, TranscriptError, TranscriptFormat};
use super::presets::{self, Context, Incoming, Preset, Reading, Secrets};
use super::survey::SurveyDefinition;
use super::webhook::{read_delivery, sign, verify, FieldMapping, SignatureError};

const CASES: u32 = 256;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

/// Strings with what breaks parsers: separators, quotes, markup, control and wide characters.
fn nasty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(vec![
            "", " ", "\n", "\r\n", "\t", ",", ";", "\"", "'", "：", ":", "/", "~", "~1", "$",
            "{", "}", "<", ">", "&", "&amp;", "<script>", "]]>", "\u{0}", "\u{200b}",
            "\u{202e}", "\u{feff}", "-->", "00:00:01,000", "WEBVTT", "用户", "主持人", "太慢了",
            "1e400", "-1", "9999999999999999999999", "null", "true", "\\", "%ff",
        ])
        .prop_map(str::to_owned),
        2 => "[a-z0-9]{1,8}",
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

/// Any JSON value, a few levels deep, with nasty strings and extreme numbers.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(vec![0.0, -1.0, 1e308, -1e308, 0.5, 10.0, 11.0])
            .prop_map(|f| json!(f)),
        nasty().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Object keys: the names parsers look for, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "text", "items", "id", "type", "title", "answers", "questions", "options", "event_type",
            "form_response", "field", "data", "fields", "value", "key", "eventType", "responseId",
            "show_if", "question", "in", "min", "max", "any_of", "required", "max_length",
            "occurred_at", "external_id", "respondent_id", "nps", "csat", "attributes", "answer",
            "submitted_at", "resources", "object_id", "survey_id", "activity", "joinid",
            "language", "theme", "color", "allowed_origins", "responses_per_hour", "hidden",
        ])
        .prop_map(str::to_owned),
        1 => nasty(),
    ]
}

fn cx() -> Context {
    Context {
        tz: chrono_tz::Asia::Shanghai,
        now: now(),
    }
}

/// Real (and constructed) payloads of each tool, from `tests/fixtures/presets/`.
const PAYLOADS: [(&str, &str); 8] = [
    ("typeform", include_str!("../../tests/fixtures/presets/typeform/typeform_form_response.json")),
    ("tally", include_str!("../../tests/fixtures/presets/tally/tally_FORM_RESPONSE.json")),
    ("formbricks", include_str!("../../tests/fixtures/presets/formbricks/formbricks_responseFinished.json")),
    ("surveymonkey", include_str!("../../tests/fixtures/presets/surveymonkey/webhook_response_event_data.json")),
    ("survicate", include_str!("../../tests/fixtures/presets/survicate/survicate_question_answered.json")),
    ("survicate", include_str!("../../tests/fixtures/presets/survicate/survicate_survey_completed_envelope_constructed.json")),
    ("wjx", include_str!("../../tests/fixtures/presets/wjx/wjx_constructed_signed_push.json")),
    ("tencent_wj", include_str!("../../tests/fixtures/presets/tencent_wj/tencent_wj_github_copy_answer_create.json")),
];

/// Walks down `path` (an index at each level picks a child) and replaces what it reaches
/// with `value`, or removes it.
fn change_somewhere(v: &mut Value, path: &[prop::sample::Index], value: Value, drop_it: bool) {
    let Some((first, rest)) = path.split_first() else {
        *v = value;
        return;
    };
    match v {
        Value::Object(m) if !m.is_empty() => {
            let key = m.keys().nth(first.index(m.len())).cloned().expect("a key");
            if rest.is_empty() && drop_it {
                m.remove(&key);
            } else if let Some(child) = m.get_mut(&key) {
                change_somewhere(child, rest, value, drop_it);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let i = first.index(a.len());
            if rest.is_empty() && drop_it {
                a.remove(i);
            } else {
                change_somewhere(&mut a[i], rest, value, drop_it);
            }
        }
        _ => *v = value,
    }
}

/// What a preset reads must be storable: visible texts, scores in their ranges.
fn check_reading(preset: Preset, body: &Value) -> Result<(), TestCaseError> {
    if let Ok(Reading::Responses(rs)) = presets::read(preset, body, &cx()) {
        for r in &rs {
            let stored = presets::to_stored("src_x", preset, r, &cx());
            for item in &stored.items {
                prop_assert!(!item.text.as_str().trim().is_empty());
            }
            for (lo, hi, s) in [
                (0, 10, r.scores.nps),
                (1, 5, r.scores.csat),
                (1, 7, r.scores.ces),
            ] {
                if let Some(s) = s {
                    prop_assert!((lo..=hi).contains(&s), "{} out of {lo}..{hi}", s);
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    // --- Standard Webhooks ---

    #[test]
    fn a_signed_delivery_verifies_and_a_changed_one_does_not(
        id in "[a-zA-Z0-9_]{1,40}",
        body in prop::collection::vec(any::<u8>(), 0..256),
        skew in -300i64..=300,
        flip in any::<prop::sample::Index>(),
    ) {
        let secret = super::webhook::generate_secret();
        let ts = (now().timestamp() + skew).to_string();
        let sig = sign(&secret, &id, &ts, &body).expect("a generated secret signs");
        prop_assert_eq!(verify(&[&secret], &id, &ts, &sig, &body, now().timestamp()), Ok(()));
        let mut changed = body.clone();
        if changed.is_empty() {
            changed.push(b'x');
        } else {
            let i = flip.index(changed.len());
            changed[i] ^= 1;
        }
        prop_assert_eq!(
            verify(&[&secret], &id, &ts, &sig, &changed, now().timestamp()),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn any_headers_are_refused_without_panic(
        id in nasty(),
        ts in prop_oneof![nasty(), any::<i64>().prop_map(|n| n.to_string())],
        sig in nasty(),
        now_secs in any::<i64>(),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let secret = super::webhook::generate_secret();
        prop_assert!(verify(&[&secret, "not a secret"], &id, &ts, &sig, &body, now_secs).is_err());
    }

    // --- Mappings and deliveries ---

    #[test]
    fn any_mapping_is_read_or_refused_and_a_valid_one_round_trips(v in json_value()) {
        if let Ok(m) = serde_json::from_value::<FieldMapping>(v) {
            if m.validate().is_ok() {
                let again: FieldMapping =
                    serde_json::from_value(serde_json::to_value(&m).expect("mapping as JSON"))
                        .expect("a written mapping reads back");
                prop_assert_eq!(&again, &m);
                prop_assert!(again.validate().is_ok());
            }
        }
    }

    #[test]
    fn any_delivery_is_read_or_refused(
        body in json_value(),
        mapping in prop_oneof![
            Just(None),
            Just(Some(json!({"text": "/text"}))),
            Just(Some(json!({"items": "/items", "text": ["/title", "/text"], "external_id": "{$/id}:{/id}",
                "nps": "/nps", "occurred_at": "/occurred_at", "attributes": {"plan": "/plan"},
                "where": {"/type": ["text", "long_text"]}}))),
            Just(Some(json!({"items": "/form_response/answers", "text": "/text",
                "question": {"from": "$/form_response/definition/fields", "key": "/id",
                "match": "/field/id", "title": "/title"}}))),
        ],
    ) {
        let mapping = mapping.map(|m| serde_json::from_value::<FieldMapping>(m).expect("a mapping"));
        if let Ok(d) = read_delivery(&body, mapping.as_ref(), "src_x", now(), chrono_tz::UTC) {
            prop_assert!(d.items.len() <= super::webhook::MAX_ITEMS);
            for item in &d.items {
                prop_assert!(!item.text.as_str().trim().is_empty());
                prop_assert!(item.occurred_at.timestamp() >= 0);
            }
        }
    }

    // --- Presets ---

    #[test]
    fn every_preset_reads_its_own_payload_changed_anywhere(
        (which, path, value) in (0..PAYLOADS.len(), prop::collection::vec(any::<prop::sample::Index>(), 1..6), json_value()),
        drop_it in any::<bool>(),
    ) {
        let (preset, text) = PAYLOADS[which];
        let mut body: Value = serde_json::from_str(text).expect("a fixture");
        change_somewhere(&mut body, &path, value, drop_it);
        check_reading(Preset::parse(preset).expect("a preset"), &body)?;
    }

    #[test]
    fn every_preset_reads_any_json_or_refuses(body in json_value(), p in 0..Preset::ALL.len()) {
        check_reading(Preset::ALL[p], &body)?;
    }

    #[test]
    fn no_preset_accepts_a_made_up_signature(
        p in 0..Preset::ALL.len(),
        headers in prop::collection::vec(
            (prop::sample::select(vec![
                "webhook-id", "webhook-timestamp", "webhook-signature", "typeform-signature",
                "tally-signature", "sm-signature", "sm-apikey", "x-survicate-signature",
                "survicate-signature", "x-signature", "sign",
            ]).prop_map(str::to_owned), nasty()),
            0..6,
        ),
        body in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        let req = Incoming { headers: &headers, body: &body };
        let secrets = Secrets { live: vec!["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "tool-secret"] };
        prop_assert!(presets::verify(Preset::ALL[p], &req, &secrets, now()).is_err());
    }

    // --- CSV ---

    #[test]
    fn any_csv_bytes_are_read_or_refused(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            nasty().prop_map(|s| format!("内容,时间,#3\n{s}\n{s},2026-01-01\n").into_bytes()),
        ],
    ) {
        let mapping = ColumnMapping::parse(&["text=内容".into(), "occurred_at=时间".into()])
            .expect("a mapping");
        let offset = FixedOffset::east_opt(8 * 3600).expect("an offset");
        if let Ok(report) = parse_csv(&bytes, &mapping, "导入", offset, now()) {
            for item in &report.accepted {
                prop_assert!(!item.text.as_str().trim().is_empty());
            }
            for r in &report.rejected {
                prop_assert!(r.row >= 1 && !r.reason.is_empty());
            }
        }
    }

    #[test]
    fn a_csv_of_plain_rows_keeps_every_row(rows in prop::collection::vec("[\\u{4e00}-\\u{4e80}a-z ,\"\n]{1,20}", 1..20)) {
        // Written by the csv crate, so quoting is right: every row with a visible cell is
        // accepted or rejected, none lost (rows of blank cells are skipped, as documented).
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["内容"]).expect("header");
        for r in &rows {
            w.write_record([r]).expect("row");
        }
        let bytes = w.into_inner().expect("bytes");
        let mapping = ColumnMapping::parse(&["text=内容".into()]).expect("a mapping");
        let offset = FixedOffset::east_opt(8 * 3600).expect("an offset");
        let report = parse_csv(&bytes, &mapping, "导入", offset, now()).expect("a well-formed file");
        let filled = rows.iter().filter(|r| !r.trim().is_empty()).count();
        prop_assert_eq!(report.accepted.len() + report.rejected.len(), filled);
    }

    #[test]
    fn any_column_mapping_is_read_or_refused(specs in prop::collection::vec(nasty(), 0..6)) {
        if let Ok(m) = ColumnMapping::parse(&specs) {
            prop_assert!(!m.text.is_empty());
        }
    }

    // --- Feeds ---

    #[test]
    fn any_feed_bytes_are_read_or_refused(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        nasty().prop_map(|s| format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>{s}</title><description>{s}</description><guid>{s}</guid><pubDate>{s}</pubDate></item></channel></rss>").into_bytes()),
        nasty().prop_map(|s| format!("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>{s}</id><title>{s}</title><content type=\"html\">{s}</content><updated>{s}</updated></entry></feed>").into_bytes()),
    ]) {
        if let Ok(entries) = parse_feed(&bytes) {
            for e in &entries {
                prop_assert!(!e.entry_key.is_empty());
                prop_assert!(e.text.chars().count() <= 10_000 + 1);
            }
        }
    }

    #[test]
    fn an_rss_of_n_items_reads_n_entries(titles in prop::collection::vec("[\\u{4e00}-\\u{4e80}a-z]{1,12}", 1..10)) {
        let items: String = titles
            .iter()
            .enumerate()
            .map(|(i, t)| format!("<item><title>{t}</title><guid>g{i}</guid><description>正文{i}</description></item>"))
            .collect();
        let xml = format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>");
        let entries = parse_feed(xml.as_bytes()).expect("a well-formed feed");
        prop_assert_eq!(entries.len(), titles.len());
        for (e, t) in entries.iter().zip(&titles) {
            prop_assert!(e.text.contains(t.as_str()), "{:?} lost its title {}", e.text, t);
        }
    }

    #[test]
    fn stripped_html_has_no_script_tag_left(html in nasty()) {
        let text = strip_html(&html);
        prop_assert!(!text.contains("<script"), "{:?}", text);
    }

    // --- Survey definitions ---

    #[test]
    fn any_definition_is_read_or_refused_and_a_valid_one_round_trips(v in prop_oneof![
        json_value(),
        (
            prop_oneof!["[\\u{4e00}-\\u{4e80}a-z]{1,20}", nasty()],
            prop_oneof![(0..=10i64).prop_map(|n| json!(n)), json_value()],
            prop_oneof![Just(json!("#1a7f5a")), json_value()],
        ).prop_map(|(title, q, accent)| json!({
            "title": title,
            "questions": [
                {"id": "q1", "type": "nps", "title": "推荐吗"},
                {"id": "q2", "type": "text", "title": title, "show_if": {"question": "q1", "max": q}},
                {"id": "q3", "type": "single_choice", "title": "哪个", "options": ["甲", title]},
            ],
            "accent_color": accent,
        })),
    ]) {
        match SurveyDefinition::parse(&v) {
            Ok(def) => {
                let written = serde_json::to_value(&def).expect("definition as JSON");
                let again = SurveyDefinition::parse(&written)
                    .map_err(|e| TestCaseError::fail(format!("{written} does not read back: {e:?}")))?;
                prop_assert_eq!(&again, &def);
                // A patch of anything is applied or refused, never a panic.
                let _ = def.apply_patch(&v);
            }
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }

    // --- Interview transcripts ---

    #[test]
    fn any_transcript_is_read_or_refused(
        lines in prop::collection::vec(prop_oneof![
            nasty(),
            (prop::sample::select(vec!["用户", "主持人", "A", "B", "Speaker 1", "张三 00:01:02"]), nasty())
                .prop_map(|(who, said)| format!("{who}：{said}")),
            (0u32..100_000, 0u32..100_000).prop_map(|(a, b)| format!(
                "{:02}:{:02}:{:02},{:03} --> {:02}:{:02}:{:02}.{:03}",
                a / 3600 % 100, a / 60 % 60, a % 60, a % 1000, b / 3600 % 100, b / 60 % 60, b % 60, b % 1000
            )),
        ], 0..20),
        format in prop::sample::select(vec![TranscriptFormat::Text, TranscriptFormat::Srt, TranscriptFormat::Vtt]),
        names in prop::collection::vec(nasty(), 0..2),
    ) {
        let input = lines.join("\n");
        match parse_transcript(format, &input, &names) {
            Ok(turns) => {
                prop_assert!(turns.iter().any(|t| t.role == Role::Respondent));
                for (i, t) in turns.iter().enumerate() {
                    prop_assert_eq!(t.index, i);
                    prop_assert!(!t.text.trim().is_empty());
                    if let (Some(s), Some(e)) = (t.start_ms, t.end_ms) {
                        prop_assert!(s <= e, "turn {} starts at {} after its end {}", i, s, e);
                    }
                }
            }
            Err(TranscriptError::Empty | TranscriptError::NoRespondent) => {}
            Err(TranscriptError::Malformed { line, message }) => {
                prop_assert!(line >= 1 && !message.is_empty());
            }
        }
    }
}
