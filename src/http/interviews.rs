//! `POST /api/v1/interviews`: a transcript (JSON or a multipart file upload) whose respondent
//! turns become feedback items; interviewer turns are kept with the interview as context.

use actix_multipart::Multipart;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::body::{from_value, is_json, json_from_bytes};
use super::{read_body, ApiError, Auth, Ingest, State};
use crate::collect::interview::{self, interview_id, to_feedback, Start, TranscriptFormat};
use crate::config::MAX_BODY_BYTES;
use crate::domain::parse_attributes;
use crate::store::NewInterview;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Interviewee {
    id: Option<String>,
    #[serde(default)]
    attributes: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateInterview {
    title: String,
    format: Option<String>,
    transcript: String,
    #[serde(default)]
    interviewee: Option<Interviewee>,
    #[serde(default)]
    interviewer_names: Vec<String>,
    /// When the interview took place; turn offsets are added to it.
    occurred_at: Option<DateTime<Utc>>,
    /// The caller's id for this interview: uploading it again stores nothing new.
    external_id: Option<String>,
}

/// A multipart body that could not be read: the body itself (too large, stopped arriving),
/// or its framing.
fn multipart_error(e: actix_multipart::MultipartError) -> ApiError {
    match e {
        actix_multipart::MultipartError::Payload(p) => {
            super::body::payload_error(p, MAX_BODY_BYTES)
        }
        other => ApiError::BadRequest(format!("invalid multipart body: {other}")),
    }
}

/// Reads a multipart upload: the transcript in `file`, the other fields as text.
async fn from_multipart(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<CreateInterview, ApiError> {
    let mut parts = Multipart::new(req.headers(), payload);
    let mut fields: Map<String, Value> = Map::new();
    let mut total = 0usize;
    let mut file_format = None;
    while let Some(field) = parts.next().await {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let filename = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or_default()
                .to_lowercase();
            file_format = [(".srt", "srt"), (".vtt", "vtt"), (".txt", "text")]
                .iter()
                .find(|(ext, _)| filename.ends_with(ext))
                .map(|(_, f)| *f);
        }
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            total += chunk.len();
            if total > MAX_BODY_BYTES {
                return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
            }
            buf.extend_from_slice(&chunk);
        }
        super::body::reject_nul(&buf)?;
        let text = String::from_utf8(buf).map_err(|_| ApiError::InvalidUtf8)?;
        let key = match name.as_str() {
            "file" => "transcript".to_owned(),
            _ => name,
        };
        let value = match key.as_str() {
            "attributes" => json_from_bytes(text.as_bytes())?,
            "interviewer_names" => json!(text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()),
            _ => Value::String(text),
        };
        fields.insert(key, value);
    }
    let interviewee_id = fields.remove("interviewee_id");
    let attributes = fields.remove("attributes");
    if interviewee_id.is_some() || attributes.is_some() {
        fields.insert(
            "interviewee".into(),
            json!({"id": interviewee_id, "attributes": attributes}),
        );
    }
    if !fields.contains_key("format") {
        if let Some(f) = file_format {
            fields.insert("format".into(), json!(f));
        }
    }
    from_value(Value::Object(fields))
}

#[tracing::instrument(skip_all)]
async fn create(
    state: State,
    auth: Auth<Ingest>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace().to_owned();
    let body: CreateInterview = if req.content_type() == "multipart/form-data" {
        from_multipart(&req, payload).await?
    } else if is_json(&req) {
        let bytes = read_body(payload, MAX_BODY_BYTES).await?;
        from_value(json_from_bytes(&bytes)?)?
    } else {
        return Err(ApiError::UnsupportedMediaType(
            "application/json or multipart/form-data",
        ));
    };
    let title = super::body::bounded("/title", &body.title, 200)?;
    let format = match body.format.as_deref() {
        None => TranscriptFormat::Text,
        Some(f) => TranscriptFormat::parse(f)
            .ok_or_else(|| ApiError::field("/format", "must be text, srt or vtt"))?,
    };
    let interviewee = body.interviewee.unwrap_or_default();
    if let Some(id) = &interviewee.id {
        if id.is_empty() || id.chars().count() > 128 {
            return Err(ApiError::field(
                "/interviewee/id",
                "must be 1 to 128 characters",
            ));
        }
    }
    let attributes = parse_attributes(&interviewee.attributes, "/interviewee/attributes")
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let mut turns = interview::parse(format, &body.transcript, &body.interviewer_names)
        .map_err(|e| ApiError::field("/transcript", e.to_string()))?;
    // Every turn is kept (as context), so every turn is redacted, the interviewer's too.
    let mut texts: Vec<&mut String> = turns.iter_mut().map(|t| &mut t.text).collect();
    state.pipeline.redact(&ws, &mut texts).await?;
    let id = match &body.external_id {
        Some(ext) if !ext.is_empty() && ext.len() <= 200 => interview_id(&ws, Some(ext)),
        Some(_) => return Err(ApiError::field("/external_id", "must be 1 to 200 bytes")),
        None => interview_id(&ws, None),
    };
    let start = match body.occurred_at {
        Some(at) if !crate::domain::time::occurred_within(at, state.clock.now()) => {
            return Err(ApiError::field(
                "/occurred_at",
                crate::domain::time::OCCURRED_WINDOW,
            ))
        }
        Some(at) => Start::Given(at),
        None => Start::Unknown {
            uploaded_at: state.clock.now(),
        },
    };
    let items = to_feedback(
        &id,
        title,
        &turns,
        interviewee.id.as_deref(),
        &attributes,
        start,
    );
    let items = state.pipeline.prepare(&ws, items).await?;
    let new = NewInterview {
        id: id.clone(),
        title: title.to_owned(),
        format: format!("{format:?}").to_lowercase(),
        interviewee_id: interviewee.id.clone(),
        attributes: Value::Object(attributes),
        turns: json!(turns),
    };
    match state.store.create_interview(&ws, new, &items).await? {
        Some(done) => {
            state.counters.stored("interview", done.stored);
            tracing::info!(workspace = %ws, interview = %id, turns = turns.len(), stored = done.stored, "interview stored");
            Ok(HttpResponse::Created().json(json!({"id": id, "feedback_count": done.stored, "turns": turns.len(), "replayed": false})))
        }
        None => Ok(HttpResponse::Ok().json(json!({"id": id, "feedback_count": items.len(), "turns": turns.len(), "replayed": true}))),
    }
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/interviews").route(web::post().to(create)));
}
