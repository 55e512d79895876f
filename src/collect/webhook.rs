//! Webhooks in: Standard Webhooks signatures (HMAC-SHA256 over `id.timestamp.body`) and the
//! mapping of a delivery's JSON into feedback items, by our own shape or by JSON Pointers.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::domain::{
    parse_attributes, parse_score, Channel, FeedbackText, FieldError, NewFeedback, Scores,
};

/// Deliveries older or newer than this (seconds) are refused, against replays.
pub const TOLERANCE_SECS: i64 = 300;
/// Items one delivery may carry.
pub const MAX_ITEMS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing webhook-id, webhook-timestamp or webhook-signature header")]
    MissingHeaders,
    #[error("webhook-timestamp is not a Unix time in seconds")]
    BadTimestamp,
    #[error("webhook-timestamp is outside the 5-minute tolerance")]
    Stale,
    #[error("no webhook-signature matches")]
    Invalid,
}

impl SignatureError {
    pub fn reason(self) -> &'static str {
        match self {
            SignatureError::MissingHeaders => "unsigned",
            SignatureError::BadTimestamp | SignatureError::Stale => "stale",
            SignatureError::Invalid => "bad_signature",
        }
    }
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", B64.encode(bytes))
}

/// Is this a Standard Webhooks secret (`whsec_` and base64, or bare base64)?
pub fn is_signing_secret(secret: &str) -> bool {
    key_of(secret).is_some_and(|k| !k.is_empty())
}

fn key_of(secret: &str) -> Option<Vec<u8>> {
    B64.decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()
}

fn mac(key: &[u8], msg_id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` only fails for fixed-size MACs.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `webhook-signature` value a sender computes (`v1,<base64>`).
pub fn sign(secret: &str, msg_id: &str, timestamp: &str, body: &[u8]) -> Option<String> {
    let key = key_of(secret)?;
    let tag = mac(&key, msg_id, timestamp, body).finalize().into_bytes();
    Some(format!("v1,{}", B64.encode(tag)))
}

/// Checks a delivery against any of the live secrets. Signatures are compared in constant
/// time by `verify_slice`, which also refuses a tag of the wrong length (empty, truncated).
pub fn verify(
    secrets: &[&str],
    msg_id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    if msg_id.is_empty() || timestamp.is_empty() || signatures.trim().is_empty() {
        return Err(SignatureError::MissingHeaders);
    }
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    // abs_diff: a timestamp near i64::MIN or MAX must be stale, not an overflow.
    if now.abs_diff(ts) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let keys: Vec<Vec<u8>> = secrets.iter().filter_map(|s| key_of(s)).collect();
    for candidate in signatures.split_whitespace() {
        let Some(("v1", sig)) = candidate.split_once(',') else {
            continue;
        };
        let Ok(tag) = B64.decode(sig) else { continue };
        for key in &keys {
            if mac(key, msg_id, timestamp, body).verify_slice(&tag).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Invalid)
}

/// How another tool's payload maps onto feedback: JSON Pointers into each item. A pointer
/// that starts with `$` reads the whole body instead of the item (`$/form_response/token`),
/// for what a tool puts beside its list of answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMapping {
    /// Pointer to the array of items in the body; absent means the body is one item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<String>,
    /// Keeps only the items where each pointer holds the value given (or one of the values
    /// given as an array): `{"/type": ["text", "long_text"]}`.
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<Map<String, Value>>,
    /// One pointer, or several whose strings are joined by new lines.
    pub text: PointerList,
    /// A pointer, or a template of pointers in braces: `{$/form_response/token}:{/field/id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The question the item answers: a pointer, or a lookup of its title by id elsewhere in
    /// the payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<QuestionTitle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respondent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ces: Option<String>,
    /// A star rating, 1–5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
}

/// Where an item's question title is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum QuestionTitle {
    /// A pointer to the title itself.
    Pointer(String),
    /// The title found by id in a list: the element of `from` whose `key` equals the item's
    /// `match`, and its `title`. `{"from": "$/form_response/definition/fields", "key": "/id",
    /// "match": "/field/id", "title": "/title"}`.
    Lookup {
        from: String,
        key: String,
        #[serde(rename = "match")]
        matches: String,
        title: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PointerList {
    One(String),
    Many(Vec<String>),
}

impl Default for PointerList {
    fn default() -> Self {
        PointerList::One("/text".into())
    }
}

impl FieldMapping {
    /// Every pointer must be a JSON Pointer (empty or starting with `/`, or with `$` before
    /// it for the whole body); an external id may be a template of such pointers in braces.
    pub fn validate(&self) -> Result<(), FieldError> {
        let texts = match &self.text {
            PointerList::One(p) => vec![p.as_str()],
            PointerList::Many(ps) => ps.iter().map(String::as_str).collect(),
        };
        if texts.is_empty() {
            return Err(FieldError::new(
                "/mapping/text",
                "name at least one pointer",
            ));
        }
        let singles = [
            ("items", &self.items),
            ("author", &self.author),
            ("respondent_id", &self.respondent_id),
            ("occurred_at", &self.occurred_at),
            ("nps", &self.nps),
            ("csat", &self.csat),
            ("ces", &self.ces),
            ("rating", &self.rating),
        ];
        let mut all: Vec<(String, &str)> =
            texts.into_iter().map(|p| ("text".to_owned(), p)).collect();
        all.extend(
            singles
                .iter()
                .filter_map(|(n, p)| p.as_deref().map(|p| (n.to_string(), p))),
        );
        for (k, v) in &self.attributes {
            match v.as_str() {
                Some(p) => all.push((format!("attributes/{k}"), p)),
                None => {
                    return Err(FieldError::new(
                        format!("/mapping/attributes/{k}"),
                        "must be a JSON Pointer string",
                    ))
                }
            }
        }
        for k in self.filter.iter().flat_map(|f| f.keys()) {
            all.push((format!("where/{k}"), k.as_str()));
        }
        match &self.question {
            Some(QuestionTitle::Pointer(p)) => all.push(("question".into(), p)),
            Some(QuestionTitle::Lookup {
                from,
                key,
                matches,
                title,
            }) => {
                all.push(("question/from".into(), from));
                all.push(("question/key".into(), key));
                all.push(("question/match".into(), matches));
                all.push(("question/title".into(), title));
            }
            None => {}
        }
        if let Some(ext) = &self.external_id {
            if !braces_balanced(ext) {
                return Err(FieldError::new(
                    "/mapping/external_id",
                    "each { must be closed by a } before the next {",
                ));
            }
            for p in template_pointers(ext) {
                all.push(("external_id".into(), p));
            }
        }
        for (name, p) in all {
            if !is_pointer(p) {
                return Err(FieldError::new(
                    format!("/mapping/{name}"),
                    "must be a JSON Pointer such as /data/text (or $/data/text for the whole body)",
                ));
            }
        }
        Ok(())
    }
}

fn is_pointer(p: &str) -> bool {
    let p = p.strip_prefix('$').unwrap_or(p);
    p.is_empty() || p.starts_with('/')
}

/// Does every `{` of a template close before the next one opens, and every `}` close one?
fn braces_balanced(t: &str) -> bool {
    let mut open = false;
    for c in t.chars() {
        match c {
            '{' if open => return false,
            '{' => open = true,
            '}' if !open => return false,
            '}' => open = false,
            _ => {}
        }
    }
    !open
}

/// The pointers of a template (`{$/token}:{/field/id}`), or the whole text when it has no
/// braces.
fn template_pointers(t: &str) -> Vec<&str> {
    if !t.contains('{') {
        return vec![t];
    }
    t.split('{')
        .skip(1)
        .map(|part| part.split('}').next().unwrap_or(part))
        .collect()
}

/// An item of a delivery that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The item's pointer in the body (`/form_response/answers/3`).
    pub item: String,
    pub reason: String,
}

/// A delivery read: the items to store and, for a mapping, the items left out with why.
#[derive(Debug, Default)]
pub struct Delivered {
    pub items: Vec<NewFeedback>,
    pub skipped: Vec<Skipped>,
}

/// The items of a delivery in Tingjian's own shape or through a mapping, all valid or none:
/// errors name the item by pointer. Times without an offset are read in UTC.
pub fn parse_delivery(
    body: &Value,
    mapping: Option<&FieldMapping>,
    source_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<NewFeedback>, Vec<FieldError>> {
    read_delivery(body, mapping, source_id, now, chrono_tz::UTC).map(|d| d.items)
}

/// Reads a delivery. Our own shape is all or nothing; through a mapping, an item without text
/// (a score-only answer, an empty one, one the filter lets through by mistake) is left out
/// with the reason, and the rest are stored. Local times are read in `tz`.
pub fn read_delivery(
    body: &Value,
    mapping: Option<&FieldMapping>,
    source_id: &str,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Delivered, Vec<FieldError>> {
    let (raw_items, prefix): (Vec<(usize, &Value)>, String) = match mapping
        .and_then(|m| m.items.as_deref())
    {
        Some(ptr) => match body.pointer(ptr.strip_prefix('$').unwrap_or(ptr)) {
            Some(Value::Array(a)) => (a.iter().enumerate().collect(), ptr.to_owned()),
            _ => {
                return Err(vec![FieldError::new(
                    ptr,
                    "expected an array of items here",
                )])
            }
        },
        None => match body {
            // A tool that posts its list as the body itself (Formbricks' array form).
            Value::Array(a) if mapping.is_some() => (a.iter().enumerate().collect(), "/".into()),
            _ => match body.get("items") {
                Some(Value::Array(a)) if mapping.is_none() => {
                    (a.iter().enumerate().collect(), "/items".into())
                }
                Some(_) if mapping.is_none() => {
                    return Err(vec![FieldError::new("/items", "must be an array")])
                }
                _ => (vec![(0, body)], String::new()),
            },
        },
    };
    let raw_items: Vec<(usize, &Value)> = match mapping.and_then(|m| m.filter.as_ref()) {
        Some(filter) => raw_items
            .into_iter()
            .filter(|(_, item)| keeps(filter, item, body))
            .collect(),
        None => raw_items,
    };
    if raw_items.is_empty() && mapping.is_none() {
        return Err(vec![FieldError::new(prefix, "no items")]);
    }
    if raw_items.len() > MAX_ITEMS {
        return Err(vec![FieldError::new(
            prefix,
            format!("at most {MAX_ITEMS} items per delivery"),
        )]);
    }
    let many = !prefix.is_empty();
    let mut out = Delivered::default();
    let mut errors = Vec::new();
    for (i, raw) in raw_items {
        let at = if many {
            format!("{}/{i}", prefix.trim_end_matches('/'))
        } else {
            String::new()
        };
        let parsed = match mapping {
            Some(m) => match mapped_item(raw, body, m, &at, now, tz) {
                Ok(Some(item)) => Ok(item),
                Ok(None) => {
                    out.skipped.push(Skipped {
                        item: if at.is_empty() { "/".into() } else { at },
                        reason: "no text to store at the mapped pointers".into(),
                    });
                    continue;
                }
                Err(e) => Err(e),
            },
            None => native_item(raw, &at, now),
        };
        match parsed {
            Ok(mut item) => {
                item.source_key = format!("webhook:{source_id}");
                item.source_id = Some(source_id.to_owned());
                out.items.push(item);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Does an item pass a mapping's `where`?
fn keeps(filter: &Map<String, Value>, item: &Value, body: &Value) -> bool {
    filter.iter().all(|(ptr, wanted)| {
        let got = resolve(ptr, item, body);
        match wanted {
            Value::Array(options) => got.is_some_and(|g| options.contains(g)),
            v => got == Some(v),
        }
    })
}

/// A mapping pointer: into the item, or with `$` into the whole body.
fn resolve<'a>(ptr: &str, item: &'a Value, body: &'a Value) -> Option<&'a Value> {
    match ptr.strip_prefix('$') {
        Some(p) => body.pointer(p),
        None => item.pointer(ptr),
    }
}

fn get_str(v: &Value, key: &str, at: &str, max: usize) -> Result<Option<String>, FieldError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => {
            Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty()))
        }
        Some(Value::Number(n)) if key == "external_id" => Ok(Some(n.to_string())),
        Some(_) => Err(FieldError::new(
            format!("{at}/{key}"),
            format!("must be a string of at most {max} characters"),
        )),
    }
}

fn parse_time(v: &Value, field: &str) -> Result<DateTime<Utc>, FieldError> {
    match v {
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                FieldError::new(
                    field,
                    "must be an RFC 3339 time such as 2026-11-20T08:30:00+08:00",
                )
            }),
        Value::Number(n) => n
            .as_i64()
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .ok_or_else(|| FieldError::new(field, "must be a Unix time in seconds")),
        _ => Err(FieldError::new(field, "must be an RFC 3339 time")),
    }
}

/// `t` when it is in the window feedback times are taken in; a field error on `field` else.
fn within_window(
    t: DateTime<Utc>,
    now: DateTime<Utc>,
    field: String,
) -> Result<DateTime<Utc>, FieldError> {
    if crate::domain::time::occurred_within(t, now) {
        Ok(t)
    } else {
        Err(FieldError::new(field, crate::domain::time::OCCURRED_WINDOW))
    }
}

/// Our own item shape: `{"text", "external_id", "author", "occurred_at", "scores",
/// "attributes", "channel", "respondent_id"}`.
fn native_item(v: &Value, at: &str, now: DateTime<Utc>) -> Result<NewFeedback, FieldError> {
    let obj = v
        .as_object()
        .ok_or_else(|| FieldError::new(at, "must be an object"))?;
    const KNOWN: [&str; 8] = [
        "text",
        "external_id",
        "author",
        "occurred_at",
        "scores",
        "attributes",
        "channel",
        "respondent_id",
    ];
    if let Some(k) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(FieldError::new(format!("{at}/{k}"), "unknown field"));
    }
    let text = match v.get("text") {
        Some(Value::String(s)) => {
            FeedbackText::parse(s).map_err(|m| FieldError::new(format!("{at}/text"), m))?
        }
        Some(_) => return Err(FieldError::new(format!("{at}/text"), "must be a string")),
        None => return Err(FieldError::new(format!("{at}/text"), "is required")),
    };
    let channel = match get_str(v, "channel", at, 32)? {
        None => Channel::Webhook,
        Some(c) => Channel::parse(&c)
            .ok_or_else(|| FieldError::new(format!("{at}/channel"), Channel::must_be()))?,
    };
    let scores = match v.get("scores") {
        None | Some(Value::Null) => Scores::default(),
        Some(s) => Scores::parse(s, &format!("{at}/scores"))?,
    };
    let occurred_at = match v.get("occurred_at") {
        None | Some(Value::Null) => now,
        Some(t) => within_window(
            parse_time(t, &format!("{at}/occurred_at"))?,
            now,
            format!("{at}/occurred_at"),
        )?,
    };
    Ok(NewFeedback {
        channel,
        source_key: String::new(),
        source_id: None,
        external_id: get_str(v, "external_id", at, 200)?,
        respondent_id: get_str(v, "respondent_id", at, 128)?,
        author: get_str(v, "author", at, 200)?,
        text,
        scores,
        attributes: parse_attributes(
            v.get("attributes").unwrap_or(&Value::Null),
            &format!("{at}/attributes"),
        )?,
        context: Map::new(),
        occurred_at,
        response_id: None,
        analysis: None,
    })
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Another tool's shape, read through the source's pointers: `None` when the item has no
/// text to store.
fn mapped_item(
    v: &Value,
    body: &Value,
    m: &FieldMapping,
    at: &str,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Option<NewFeedback>, FieldError> {
    let pointers: Vec<&str> = match &m.text {
        PointerList::One(p) => vec![p],
        PointerList::Many(ps) => ps.iter().map(String::as_str).collect(),
    };
    let parts: Vec<String> = pointers
        .iter()
        .filter_map(|p| resolve(p, v, body).and_then(scalar_string))
        .collect();
    if parts.is_empty() {
        return Ok(None);
    }
    let text = match FeedbackText::parse(&parts.join("\n")) {
        Ok(t) => t,
        Err(_) if parts.iter().all(|p| p.trim().is_empty()) => return Ok(None),
        Err(msg) => return Err(FieldError::new(format!("{at}{}", pointers[0]), msg)),
    };
    let opt = |p: &Option<String>| {
        p.as_deref()
            .and_then(|p| resolve(p, v, body))
            .filter(|x| !x.is_null())
    };
    let score = |p: &Option<String>, lo, hi| -> Result<Option<i16>, FieldError> {
        match opt(p) {
            None => Ok(None),
            Some(x) => parse_score(x, lo, hi)
                .map(Some)
                .map_err(|msg| FieldError::new(format!("{at}{}", p.as_deref().unwrap_or("")), msg)),
        }
    };
    let scores = Scores {
        nps: score(&m.nps, 0, 10)?,
        csat: score(&m.csat, 1, 5)?,
        ces: score(&m.ces, 1, 7)?,
        rating: score(&m.rating, 1, 5)?,
    };
    let occurred_at = match opt(&m.occurred_at) {
        None => now,
        Some(t) => crate::domain::time::parse_time(t, tz).ok_or_else(|| {
            FieldError::new(
                format!("{at}{}", m.occurred_at.as_deref().unwrap_or("")),
                "must be a time: RFC 3339, YYYY-MM-DD HH:MM:SS (in the workspace's zone), or epoch seconds or milliseconds",
            )
        })
        .and_then(|t| {
            within_window(
                t,
                now,
                format!("{at}{}", m.occurred_at.as_deref().unwrap_or("")),
            )
        })?,
    };
    let mut attributes = Map::new();
    for (key, ptr) in &m.attributes {
        if let Some(val) = ptr
            .as_str()
            .and_then(|p| resolve(p, v, body))
            .and_then(scalar_string)
        {
            attributes.insert(key.clone(), Value::String(val.chars().take(200).collect()));
        }
    }
    let mut context = Map::new();
    if let Some(q) = question_title(m.question.as_ref(), v, body) {
        context.insert(
            "question".into(),
            Value::String(q.chars().take(500).collect()),
        );
    }
    let cap = |s: Option<String>, n: usize| s.map(|s| s.chars().take(n).collect::<String>());
    let external_id = match m.external_id.as_deref() {
        Some(t) if t.contains('{') => fill_template(t, v, body),
        Some(p) => resolve(p, v, body).and_then(scalar_string),
        None => None,
    };
    Ok(Some(NewFeedback {
        channel: Channel::Webhook,
        source_key: String::new(),
        source_id: None,
        external_id: cap(external_id, 200),
        respondent_id: cap(opt(&m.respondent_id).and_then(scalar_string), 128),
        author: cap(opt(&m.author).and_then(scalar_string), 200),
        text,
        scores,
        attributes,
        context,
        occurred_at,
        response_id: None,
        analysis: None,
    }))
}

/// A template's pointers filled in; `None` when any of them holds nothing (an id made of
/// half its parts would merge different items).
fn fill_template(t: &str, item: &Value, body: &Value) -> Option<String> {
    let mut out = String::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        out.push_str(&resolve(&after[..close], item, body).and_then(scalar_string)?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The title of the question an item answers.
fn question_title(q: Option<&QuestionTitle>, item: &Value, body: &Value) -> Option<String> {
    match q? {
        QuestionTitle::Pointer(p) => resolve(p, item, body).and_then(scalar_string),
        QuestionTitle::Lookup {
            from,
            key,
            matches,
            title,
        } => {
            let wanted = resolve(matches, item, body)?;
            resolve(from, item, body)?
                .as_array()?
                .iter()
                .find(|e| e.pointer(key) == Some(wanted))
                .and_then(|e| e.pointer(title))
                .and_then(scalar_string)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The test vector published with the Standard Webhooks specification.
    #[test]
    fn standard_webhooks_test_vector() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let ts = "1614265330";
        let body = br#"{"test": 2432232314}"#;
        let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert_eq!(sign(secret, id, ts, body).as_deref(), Some(expected));
        assert_eq!(
            verify(&[secret], id, ts, expected, body, 1614265330),
            Ok(())
        );
        // Several signatures, the matching one last.
        let list = format!("v1,Zm9v v2,abc {expected}");
        assert_eq!(
            verify(&[secret], id, ts, &list, body, 1614265330 + 299),
            Ok(())
        );
    }

    #[test]
    fn a_timestamp_at_the_ends_of_i64_is_stale_not_an_overflow() {
        let secret = generate_secret();
        for ts in ["-9223372036854775808", "9223372036854775807"] {
            assert_eq!(
                verify(&[&secret], "msg_1", ts, "v1,AAAA", b"{}", 1_700_000_000),
                Err(SignatureError::Stale)
            );
        }
    }

    #[test]
    fn an_external_id_template_must_close_its_braces() {
        for (t, ok) in [
            ("{$/token}:{/id}", true),
            ("/id", true),
            ("{/id", false),
            ("{{/id}}", false),
            ("/id}", false),
        ] {
            let m = FieldMapping {
                external_id: Some(t.into()),
                ..Default::default()
            };
            assert_eq!(m.validate().is_ok(), ok, "{t}");
        }
    }

    #[test]
    fn refuses_tampering_staleness_and_truncation() {
        let secret = generate_secret();
        let body = br#"{"text":"hi"}"#;
        let now = 1_800_000_000;
        let ts = now.to_string();
        let sig = sign(&secret, "msg_1", &ts, body).unwrap();
        assert_eq!(verify(&[&secret], "msg_1", &ts, &sig, body, now), Ok(()));
        assert_eq!(
            verify(&[&secret], "msg_2", &ts, &sig, body, now),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&[&secret], "msg_1", &ts, &sig, b"{}", now),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&[&secret], "msg_1", &ts, &sig, body, now + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(&[&secret], "msg_1", &ts, &sig, body, now - 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(&[&secret], "msg_1", &ts, "", body, now),
            Err(SignatureError::MissingHeaders)
        );
        assert_eq!(
            verify(&[&secret], "msg_1", &ts, "v1,", body, now),
            Err(SignatureError::Invalid)
        );
        let truncated = &sig[..sig.len() - 8];
        assert_eq!(
            verify(&[&secret], "msg_1", &ts, truncated, body, now),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&[&secret], "msg_1", "soon", &sig, body, now),
            Err(SignatureError::BadTimestamp)
        );
        // A rotated-out secret still verifies while it is passed in.
        let newer = generate_secret();
        assert_eq!(
            verify(&[&newer, &secret], "msg_1", &ts, &sig, body, now),
            Ok(())
        );
    }

    #[test]
    fn native_items_and_errors_by_pointer() {
        let now = Utc::now();
        let one = parse_delivery(
            &json!({"text": " 闪退了 ", "scores": {"nps": 3}, "external_id": 42}),
            None,
            "src_1",
            now,
        )
        .unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].text.as_str(), "闪退了");
        assert_eq!(one[0].scores.nps, Some(3));
        assert_eq!(one[0].external_id.as_deref(), Some("42"));
        assert_eq!(one[0].source_key, "webhook:src_1");
        let err = parse_delivery(
            &json!({"items": [{"text": "ok"}, {"text": ""}, {"text": "x", "scores": {"nps": 11}}]}),
            None,
            "s",
            now,
        )
        .unwrap_err();
        assert_eq!(
            err.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["/items/1/text", "/items/2/scores/nps"]
        );
        let err = parse_delivery(&json!({"text": "x", "colour": 1}), None, "s", now).unwrap_err();
        assert_eq!(err[0].field, "/colour");
    }

    #[test]
    fn mapped_items() {
        let m: FieldMapping = serde_json::from_value(json!({
            "items": "/form_response/answers",
            "text": ["/question", "/answer"],
            "external_id": "/id",
            "nps": "/score",
            "attributes": {"plan": "/meta/plan"}
        }))
        .unwrap();
        m.validate().unwrap();
        let body = json!({"form_response": {"answers": [
            {"id": "a1", "question": "为什么?", "answer": "太卡了", "score": "4", "meta": {"plan": "pro"}},
            {"id": "a2", "answer": "还行"}
        ]}});
        let items = parse_delivery(&body, Some(&m), "src", Utc::now()).unwrap();
        assert_eq!(items[0].text.as_str(), "为什么?\n太卡了");
        assert_eq!(items[0].scores.nps, Some(4));
        assert_eq!(items[0].attributes["plan"], json!("pro"));
        assert_eq!(items[1].external_id.as_deref(), Some("a2"));
        let bad: FieldMapping = serde_json::from_value(json!({"text": "data.text"})).unwrap();
        assert!(bad.validate().is_err());
    }

    /// Typeform's shape, as its documented example sends it: text answers picked by type,
    /// titles looked up by field id, the response token and hidden fields beside the answers.
    #[test]
    fn mapping_reads_answers_beside_their_envelope() {
        let m: FieldMapping = serde_json::from_value(json!({
            "items": "$/form_response/answers",
            "where": {"/type": ["text"]},
            "text": "/text",
            "external_id": "{$/form_response/token}:{/field/id}",
            "question": {"from": "$/form_response/definition/fields", "key": "/id",
                         "match": "/field/id", "title": "/title"},
            "respondent_id": "$/form_response/hidden/user_id",
            "occurred_at": "$/form_response/submitted_at",
            "rating": "/rating"
        }))
        .unwrap();
        m.validate().unwrap();
        let body = json!({"form_response": {
        "token": "tok1", "submitted_at": "2026-11-20 08:30:05", "hidden": {"user_id": "u9"},
        "definition": {"fields": [{"id": "f1", "title": "哪里不好用？"}, {"id": "f2", "title": "评分"}]},
        "answers": [
            {"type": "text", "text": "支付总是失败", "field": {"id": "f1"}},
            {"type": "number", "number": 3, "field": {"id": "f2"}},
            {"type": "text", "text": "  ", "field": {"id": "f3"}}
        ]}});
        let sh = chrono_tz::Asia::Shanghai;
        let d = read_delivery(&body, Some(&m), "src", Utc::now(), sh).unwrap();
        assert_eq!(d.items.len(), 1);
        let item = &d.items[0];
        assert_eq!(item.external_id.as_deref(), Some("tok1:f1"));
        assert_eq!(item.context["question"], json!("哪里不好用？"));
        assert_eq!(item.respondent_id.as_deref(), Some("u9"));
        assert_eq!(
            item.occurred_at,
            DateTime::parse_from_rfc3339("2026-11-20T08:30:05+08:00").unwrap()
        );
        // The blank text answer is left out with its reason; the number was filtered out.
        assert_eq!(d.skipped.len(), 1);
        assert_eq!(d.skipped[0].item, "$/form_response/answers/2");
        // A template with a part missing gives no id rather than half of one.
        assert_eq!(
            fill_template("{/a}:{/b}", &json!({"a": 1}), &json!({})),
            None
        );
    }
}
