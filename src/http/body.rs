//! Reading request bodies within the limit and within time, and parsing JSON with clear
//! errors: one pass that also refuses an object naming the same key twice.

use std::cell::RefCell;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, ResponseError};
use futures_util::StreamExt;
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::ApiError;

/// Guards every request body before any extractor reads it: a declared `Content-Length`
/// over [`crate::config::MAX_BODY_BYTES`] is answered 413 at once (nothing is read), and a
/// body that stops arriving for longer than the body read timeout between two reads ends
/// the read with 408 (as nginx's `client_body_timeout`), so a slow sender holds a
/// connection for a bounded time, whatever the route does with the body.
pub async fn guard_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > crate::config::MAX_BODY_BYTES as u64) {
        let res = ApiError::PayloadTooLarge(crate::config::MAX_BODY_BYTES).error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    let timeout = req
        .app_data::<web::Data<super::AppState>>()
        .map(|s| s.settings.body_read_timeout);
    if let Some(timeout) = timeout {
        let payload = req.take_payload();
        req.set_payload(actix_web::dev::Payload::from(within(payload, timeout)));
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The body stream, ended with a timed-out I/O error when `limit` passes without a chunk (from
/// the start, then between chunks). Polled again after its end it stays ended (multipart
/// readers do poll again).
fn within(
    payload: actix_web::dev::Payload,
    limit: Duration,
) -> std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<web::Bytes, PayloadError>>>> {
    Box::pin(Within {
        payload: Some(payload),
        limit,
        deadline: Box::pin(tokio::time::sleep(limit)),
    })
}

struct Within {
    payload: Option<actix_web::dev::Payload>,
    limit: Duration,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl futures_util::Stream for Within {
    type Item = Result<web::Bytes, PayloadError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::future::Future as _;
        use std::task::Poll;
        let this = &mut *self;
        let Some(payload) = this.payload.as_mut() else {
            return Poll::Ready(None);
        };
        match std::pin::Pin::new(payload).poll_next(cx) {
            Poll::Ready(Some(chunk)) => {
                let next = tokio::time::Instant::now() + this.limit;
                this.deadline.as_mut().reset(next);
                Poll::Ready(Some(chunk))
            }
            Poll::Ready(None) => {
                this.payload = None;
                Poll::Ready(None)
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.payload = None;
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body stopped arriving",
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// Reads the whole body, refusing (413) past `limit` bytes without reading further. The bytes
/// are returned as sent: NUL characters are refused by whatever reads them as text (the JSON
/// and form parsers here; the CSV import after decoding, since UTF-16 text is full of zero
/// bytes).
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| payload_error(e, limit))?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A body that could not be read: too large, stopped arriving ([`guard_body`]'s timeout), or
/// broken off.
pub fn payload_error(e: PayloadError, limit: usize) -> ApiError {
    match e {
        PayloadError::Overflow => ApiError::PayloadTooLarge(limit),
        PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => ApiError::BodyTimeout,
        other => ApiError::BadRequest(format!("could not read the body: {other}")),
    }
}

/// NUL characters are refused everywhere: PostgreSQL cannot store them in text, and no
/// feedback needs them. Raw bytes and JSON escapes are checked here (JSON bodies, multipart
/// parts); form bodies by [`reject_nul_in_form`], URIs by [`reject_percent_nul`], CSV files
/// after decoding (`collect::import`).
pub fn reject_nul(bytes: &[u8]) -> Result<(), ApiError> {
    // Escapes start with a backslash: only those places are looked at.
    let has_nul = bytes.contains(&0)
        || memchr::memchr_iter(b'\\', bytes).any(|at| {
            bytes[at..]
                .get(..6)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"\\u0000"))
        });
    if has_nul {
        return Err(ApiError::BadRequest(
            "NUL characters are not accepted".into(),
        ));
    }
    Ok(())
}

/// Is this request's content type JSON (`application/json` or `…+json`)?
pub fn is_json(req: &HttpRequest) -> bool {
    let mime = req.content_type();
    mime == "application/json" || mime.ends_with("+json")
}

/// Parses a JSON body: 415 for another content type, 400 for bad UTF-8 or bad JSON.
pub fn parse_json(req: &HttpRequest, body: &[u8]) -> Result<Value, ApiError> {
    if !is_json(req) {
        return Err(ApiError::UnsupportedMediaType("application/json"));
    }
    json_from_bytes(body)
}

pub fn json_from_bytes(body: &[u8]) -> Result<Value, ApiError> {
    reject_nul(body)?;
    let text = std::str::from_utf8(body).map_err(|_| ApiError::InvalidUtf8)?;
    strict_json(text)
}

/// Parses JSON text as `serde_json::from_str::<Value>` does, in the same single pass, but
/// refuses an object that names a key twice (I-JSON, RFC 7493 section 2.3) with a 422 naming
/// the key by JSON Pointer. serde_json keeps the last of duplicates, so
/// `{"scopes":["read"],"scopes":["admin"]}` would otherwise read as an admin key, while a
/// proxy or a log reading the first saw a read-only one.
pub fn strict_json(text: &str) -> Result<Value, ApiError> {
    let duplicate = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = Strict {
        at: Path::Root,
        duplicate: &duplicate,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    parsed.map_err(|e| match duplicate.into_inner() {
        Some(key) => ApiError::field(
            key,
            "duplicate key: a key may appear only once in an object",
        ),
        None => ApiError::InvalidJson(e.to_string()),
    })
}

/// Where a value sits in the document, kept on the stack while parsing (no allocation
/// unless a duplicate is found and named).
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn pointer(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Key(parent, key) => format!(
                "{}/{}",
                parent.pointer(),
                key.replace('~', "~0").replace('/', "~1")
            ),
            Path::Index(parent, i) => format!("{}/{i}", parent.pointer()),
        }
    }
}

/// A `Value` visitor like serde_json's own, which records the first duplicate key it meets.
struct Strict<'a> {
    at: Path<'a>,
    duplicate: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict {
            at: Path::Index(&self.at, out.len()),
            duplicate: self.duplicate,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Strict {
                at: Path::Key(&self.at, &key),
                duplicate: self.duplicate,
            })?;
            match out.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                serde_json::map::Entry::Occupied(slot) => {
                    *self.duplicate.borrow_mut() = Some(Path::Key(&self.at, slot.key()).pointer());
                    return Err(A::Error::custom("duplicate key"));
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// Reads and parses a JSON body into `T`; a field of the wrong type or shape is a 422 that
/// names the field by JSON Pointer.
pub async fn json_body<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, ApiError> {
    let body = read_body(payload, crate::config::MAX_BODY_BYTES).await?;
    let value = parse_json(req, &body)?;
    from_value(value)
}

pub fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = pointer(e.path());
        ApiError::field(field, e.into_inner().to_string())
    })
}

/// serde_path_to_error's path as a JSON Pointer (`/items/3/text`).
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { variant } => {
                out.push('/');
                out.push_str(variant);
            }
            Segment::Unknown => {}
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

pub fn reject_percent_nul(bytes: &[u8]) -> Result<(), ApiError> {
    if bytes.windows(3).any(|w| w == b"%00") {
        return Err(ApiError::BadRequest(
            "NUL characters are not accepted".into(),
        ));
    }
    Ok(())
}

/// Does this part of a URI decode to UTF-8 once its `%XX` escapes are decoded? A 400
/// naming `what` when not.
pub fn decodes_to_utf8(what: &str, raw: &str) -> Result<(), ApiError> {
    if !raw.contains('%') {
        // Only escapes can produce bytes that are not UTF-8: the rest is the URI's own text.
        return Ok(());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    std::str::from_utf8(&out).map(|_| ()).map_err(|_| {
        ApiError::BadRequest(format!(
            "the {what} is not valid UTF-8 once its %-escapes are decoded"
        ))
    })
}

/// A form body: a raw NUL byte, or `%00` which decodes to one.
pub fn reject_nul_in_form(bytes: &[u8]) -> Result<(), ApiError> {
    if bytes.contains(&0) {
        return Err(ApiError::BadRequest(
            "NUL characters are not accepted".into(),
        ));
    }
    reject_percent_nul(bytes)
}

/// The query string as name–value pairs, in order (repeated names kept).
pub fn query_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::BadRequest(format!("invalid query string: {e}")))
}

/// A whole number from a query parameter, within `range`; a 422 naming `field` otherwise.
pub fn number_in<T>(
    field: &str,
    value: &str,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ApiError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    value
        .parse()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            ApiError::field(
                field,
                format!("must be from {} to {}", range.start(), range.end()),
            )
        })
}

/// A text field trimmed, of 1 to `max` characters; the error names the field.
pub fn bounded<'a>(field: &str, value: &'a str, max: usize) -> Result<&'a str, ApiError> {
    let v = value.trim();
    if !crate::domain::text::has_visible(v) || v.chars().count() > max {
        return Err(ApiError::field(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(v)
}

/// At most `max_items` texts of 1 to `max_chars` characters each; errors name the item.
pub fn bounded_list(
    field: &str,
    items: &[String],
    max_items: usize,
    max_chars: usize,
) -> Result<(), ApiError> {
    if items.len() > max_items {
        return Err(ApiError::field(field, format!("at most {max_items} items")));
    }
    for (i, item) in items.iter().enumerate() {
        bounded(&format!("{field}/{i}"), item, max_chars)?;
    }
    Ok(())
}

/// The request and its body stream once the caller's [`super::Auth`] of the same handler (if
/// any) has let it through. For a refused caller it never completes: `Auth`'s error answers.
fn after_gate(
    req: &HttpRequest,
    payload: &mut actix_web::dev::Payload,
) -> impl std::future::Future<Output = Result<(HttpRequest, web::Payload), ApiError>> + 'static {
    let gate = req
        .extensions_mut()
        .remove::<super::auth::Gate>()
        .and_then(|g| g.0.into_inner());
    let req = req.clone();
    let payload = web::Payload::from_request(&req, payload).into_inner();
    async move {
        if let Some(gate) = gate {
            if gate.await.is_err() {
                return std::future::pending().await;
            }
        }
        let payload = payload.map_err(|e| ApiError::BadRequest(e.to_string()))?;
        Ok((req, payload))
    }
}

/// A JSON body as `T`, read within [`crate::config::MAX_BODY_BYTES`]: 415 for another content
/// type, 400 for bad UTF-8 or JSON, 422 naming the field by JSON Pointer for a wrong shape.
/// Taken after an [`super::Auth`] of the same handler, it reads nothing until the caller is
/// authenticated and allowed.
pub struct Json<T>(pub T);

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let opened = after_gate(req, payload);
        Box::pin(async move {
            let (req, payload) = opened.await?;
            json_body(&req, payload).await.map(Json)
        })
    }
}

/// A JSON body kept as its text, read within [`crate::config::MAX_BODY_BYTES`] and checked as
/// [`Json`] checks it (415, 400 for NUL or bad UTF-8), for a handler that deserialises into
/// types borrowing from the text ([`JsonText::parse`]) instead of building a `Value` first.
/// The bytes are kept as read and checked as UTF-8 with SIMD (`simdutf8`): a body of 1,000
/// Chinese texts takes std's byte-by-byte check a tenth of a millisecond, simdutf8's a tenth of
/// that, so checking again when the text is borrowed costs less than the first check did.
pub struct JsonText(web::Bytes);

impl JsonText {
    pub fn text(&self) -> &str {
        // Checked when the body was read ([`FromRequest`]), so never empty by failure.
        simdutf8::basic::from_utf8(&self.0).unwrap_or_default()
    }

    /// The body as `T`: 400 for bad JSON, 422 naming the field by JSON Pointer for a wrong
    /// shape (as [`Json`] answers).
    pub fn parse<'a, T: serde::Deserialize<'a>>(&'a self) -> Result<T, ApiError> {
        // Read without tracking the path first: only a body that fails is read again with it,
        // to name the field (tracking costs a tenth of the parse of a body of 1,000 texts).
        if let Ok(value) = serde_json::from_str(self.text()) {
            return Ok(value);
        }
        let mut de = serde_json::Deserializer::from_str(self.text());
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = pointer(e.path());
            let inner = e.into_inner();
            if inner.is_data() {
                ApiError::field(field, without_position(&inner))
            } else {
                ApiError::InvalidJson(inner.to_string())
            }
        })?;
        de.end().map_err(|e| ApiError::InvalidJson(e.to_string()))?;
        Ok(value)
    }
}

/// A serde_json error's message without its `at line … column …` (a `Value` reports none).
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) if e.line() > 0 => text[..at].to_owned(),
        _ => text,
    }
}

impl FromRequest for JsonText {
    type Error = ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let opened = after_gate(req, payload);
        Box::pin(async move {
            let (req, payload) = opened.await?;
            let body = read_body(payload, crate::config::MAX_BODY_BYTES).await?;
            if !is_json(&req) {
                return Err(ApiError::UnsupportedMediaType("application/json"));
            }
            reject_nul(&body)?;
            simdutf8::basic::from_utf8(&body).map_err(|_| ApiError::InvalidUtf8)?;
            Ok(JsonText(body))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate_at(text: &str) -> Option<String> {
        match strict_json(text) {
            Err(ApiError::Validation(errors)) => Some(errors[0].field.clone()),
            Err(other) => panic!("{text}: {other}"),
            Ok(_) => None,
        }
    }

    #[test]
    fn duplicate_keys_are_named_by_pointer() {
        assert_eq!(duplicate_at(r#"{"a":1,"a":2}"#).as_deref(), Some("/a"));
        assert_eq!(
            duplicate_at(r#"{"x":[{"b":1},{"c":{"d":1,"d":1}}]}"#).as_deref(),
            Some("/x/1/c/d")
        );
        assert_eq!(
            duplicate_at(r#"{"a/b~":{"k":1,"\u006b":2}}"#).as_deref(),
            Some("/a~1b~0/k")
        );
        assert_eq!(duplicate_at(r#"[{"a":1},{"a":1}]"#), None);
        assert_eq!(duplicate_at(r#"{"a":{"a":1}}"#), None);
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            r#"{"s":"汉字\n\u00e9","n":[0,-1,18446744073709551615,1.5e300,-0.0],"b":[true,false,null],"o":{}}"#,
            "[]",
            "  12 ",
            r#""x""#,
        ] {
            let ours = strict_json(text).unwrap();
            let theirs: Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
        }
        for bad in [
            "",
            "{",
            r#"{"a":1}x"#,
            "[1,]",
            "1e999999",
            "{\"a\":\"\\ud800\"}",
        ] {
            assert!(
                matches!(strict_json(bad), Err(ApiError::InvalidJson(_))),
                "{bad}"
            );
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(strict_json(&deep), Err(ApiError::InvalidJson(_))));
    }

    #[test]
    fn percent_escapes_must_decode_to_utf8() {
        for ok in ["", "q=%E6%94%AF", "q=100%", "q=%zz", "a=b&c=%2B", "q=%"] {
            assert!(decodes_to_utf8("query", ok).is_ok(), "{ok}");
        }
        for bad in ["q=%ff", "q=%e4%bd", "q=%c0%af", "%80"] {
            assert!(decodes_to_utf8("query", bad).is_err(), "{bad}");
        }
    }

    /// `cargo test --lib strict_json_costs -- --ignored --nocapture`: the duplicate check's
    /// cost against serde_json's own `Value`, on a 1,000-item webhook batch.
    #[test]
    #[ignore]
    fn strict_json_costs_about_what_serde_json_costs() {
        let items: Vec<Value> = (0..1000)
            .map(|i| serde_json::json!({"text": format!("第{i}条：支付失败，退款很慢"), "external_id": format!("e-{i}"),
                "scores": {"nps": i % 11}, "attributes": {"plan": "pro", "city": "杭州", "n": i}}))
            .collect();
        let text = serde_json::json!({ "items": items }).to_string();
        let time = |f: &dyn Fn() -> Value| {
            let start = std::time::Instant::now();
            for _ in 0..50 {
                std::hint::black_box(f());
            }
            start.elapsed() / 50
        };
        let theirs = time(&|| serde_json::from_str(&text).unwrap());
        let ours = time(&|| strict_json(&text).unwrap());
        println!(
            "{} bytes: serde_json Value {theirs:?}, strict {ours:?} ({:+.1} %)",
            text.len(),
            (ours.as_secs_f64() / theirs.as_secs_f64() - 1.0) * 100.0
        );
    }
}
