//! Reading request bodies within the limit, and parsing JSON with clear errors.

use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use serde_json::Value;

use super::ApiError;

/// Reads the whole body, refusing (413) past `limit` bytes without reading further. The bytes
/// are returned as sent: NUL characters are refused by whatever reads them as text (the JSON
/// and form parsers here; the CSV import after decoding, since UTF-16 text is full of zero
/// bytes).
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => ApiError::PayloadTooLarge(limit),
            other => ApiError::BadRequest(format!("could not read the body: {other}")),
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// NUL characters are refused everywhere: PostgreSQL cannot store them in text, and no
/// feedback needs them. Raw bytes and JSON escapes are checked here (JSON bodies, multipart
/// parts); form bodies by [`reject_nul_in_form`], URIs by [`reject_percent_nul`], CSV files
/// after decoding (`collect::import`).
pub fn reject_nul(bytes: &[u8]) -> Result<(), ApiError> {
    let has_nul =
        bytes.contains(&0) || bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"));
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
    serde_json::from_str(text).map_err(|e| ApiError::InvalidJson(e.to_string()))
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
    if v.is_empty() || v.chars().count() > max {
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
pub struct JsonText(web::Bytes);

impl JsonText {
    pub fn text(&self) -> &str {
        // Checked as UTF-8 when it was read.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The body as `T`: 400 for bad JSON, 422 naming the field by JSON Pointer for a wrong
    /// shape (as [`Json`] answers).
    pub fn parse<'a, T: serde::Deserialize<'a>>(&'a self) -> Result<T, ApiError> {
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
            std::str::from_utf8(&body).map_err(|_| ApiError::InvalidUtf8)?;
            Ok(JsonText(body))
        })
    }
}
