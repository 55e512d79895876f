//! Reading feedback: filtered, cursor-paginated lists; one item; deleting one item; erasing
//! everything of one respondent.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use super::{Admin, ApiError, Auth, Read, State};
use crate::domain::names::{channel_name, platform_name};
use crate::domain::Channel;
use crate::store::{Feedback, FeedbackFilter};

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 200;

pub fn feedback_json(f: &Feedback) -> Value {
    let mut scores = serde_json::Map::new();
    for (k, v) in [
        ("nps", f.nps),
        ("csat", f.csat),
        ("ces", f.ces),
        ("rating", f.rating),
    ] {
        if let Some(v) = v {
            scores.insert(k.into(), json!(v));
        }
    }
    let platform = f.context.get("platform").and_then(Value::as_str);
    json!({
        "id": f.id,
        "channel": f.channel,
        "channel_name": Channel::parse(&f.channel).map(channel_name),
        "platform_name": platform.map(|p| platform_name(p).unwrap_or(p)),
        "source_key": f.source_key,
        "source_id": f.source_id,
        "external_id": f.external_id,
        "respondent_id": f.respondent_id,
        "author": f.author,
        "text": f.text,
        "scores": scores,
        "attributes": f.attributes,
        "context": f.context,
        "occurred_at": f.occurred_at,
        "received_at": f.received_at,
        "sentiment": f.sentiment,
        "analysis": f.analysis,
        "corrected": f.corrected,
    })
}

/// An RFC 3339 time, or a date taken at midnight in the workspace's time zone.
pub fn parse_instant(raw: &str, tz: chrono_tz::Tz, field: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ApiError::field(field, "must be an RFC 3339 time or a date (YYYY-MM-DD)"))
}

/// The list's filters from a query string (the console's inbox reads the same).
pub fn parse_filter(query: &str, tz: chrono_tz::Tz) -> Result<FeedbackFilter, ApiError> {
    let pairs: Vec<(String, String)> = super::query_pairs(query)?;
    let mut f = FeedbackFilter {
        limit: DEFAULT_LIMIT,
        ..Default::default()
    };
    for (key, value) in pairs {
        match key.as_str() {
            "channel" => {
                f.channel = Some(
                    Channel::parse(&value)
                        .ok_or_else(|| ApiError::field("channel", Channel::must_be()))?,
                )
            }
            "source" => f.source = Some(value),
            "from" => f.from = Some(parse_instant(&value, tz, "from")?),
            "to" => f.to = Some(parse_instant(&value, tz, "to")?),
            "q" | "text" => f.text_contains = Some(value).filter(|v| !v.trim().is_empty()),
            "respondent_id" => f.respondent_id = Some(value),
            "sentiment" => {
                f.sentiment = Some(
                    crate::analysis::Label::parse(&value)
                        .ok_or_else(|| {
                            ApiError::field(
                                "sentiment",
                                "must be positive, negative, neutral or mixed",
                            )
                        })?
                        .as_str()
                        .to_owned(),
                )
            }
            "pain_point" => f.pain_point = Some(value),
            "keyword" => f.keyword = Some(value),
            "cursor" => f.cursor = Some(value),
            "limit" => f.limit = super::number_in("limit", &value, 1..=MAX_LIMIT)?,
            k if k.starts_with("attr.") && k.len() > 5 => {
                f.attributes.push((k[5..].to_owned(), value))
            }
            k => return Err(ApiError::field(k, "unknown filter")),
        }
    }
    Ok(f)
}

pub async fn workspace_tz(state: &State, ws: &str) -> Result<chrono_tz::Tz, ApiError> {
    let w = state
        .store
        .workspace(ws)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(w.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai))
}

async fn list(state: State, auth: Auth<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let tz = workspace_tz(&state, ws).await?;
    let filter = parse_filter(req.query_string(), tz)?;
    let (rows, next) = state.store.list_feedback(ws, &filter).await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": rows.iter().map(feedback_json).collect::<Vec<_>>(),
        "next_cursor": next,
    })))
}

async fn get(
    state: State,
    auth: Auth<Read>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let f = state
        .store
        .feedback(ws, &path)
        .await?
        .ok_or(ApiError::NotFound("feedback"))?;
    Ok(HttpResponse::Ok().json(feedback_json(&f)))
}

async fn delete(
    state: State,
    auth: Auth<Admin>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    if !state.store.delete_feedback(ws, &path).await? {
        return Err(ApiError::NotFound("feedback"));
    }
    tracing::info!(workspace = ws, feedback = %path, "feedback deleted");
    Ok(HttpResponse::NoContent().finish())
}

async fn erase_respondent(
    state: State,
    auth: Auth<Admin>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let erased = state.store.erase_respondent(ws, &path).await?;
    tracing::info!(
        workspace = ws,
        feedback = erased.feedback,
        responses = erased.survey_responses,
        interviews = erased.interviews,
        "respondent erased"
    );
    Ok(HttpResponse::Ok().json(json!({"respondent_id": path.into_inner(), "erased": erased})))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/feedback").route(web::get().to(list)))
        .service(
            web::resource("/feedback/{id}")
                .route(web::get().to(get))
                .route(web::delete().to(delete)),
        )
        .service(web::resource("/respondents/{id}").route(web::delete().to(erase_respondent)));
}
