//! Reading feedback: filtered, cursor-paginated lists in either order, with the names of
//! where items came from; counts by sentiment; one item; deleting one item; erasing
//! everything of one respondent.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use super::{Admin, ApiError, AppState, Auth, Read, State};
use crate::domain::names::{channel_name, platform_name};
use crate::domain::Channel;
use crate::store::{Feedback, FeedbackCursor, FeedbackFilter, FeedbackSort, OriginNames};

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 200;

/// An item as the API shows it; `names` resolves `source_name` (see [`Store::origin_names`]).
///
/// [`Store::origin_names`]: crate::store::Store::origin_names
pub fn feedback_json(f: &Feedback, names: &OriginNames) -> Value {
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
        "source_name": names.name(f),
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

/// The filters, order, cursor and limit of a feedback list from its query string (the API's
/// and the console inbox's). Unknown parameters are refused (422); a cursor that this list
/// did not hand out, or one of the other order, is a 400.
pub fn parse_filter(query: &str, tz: chrono_tz::Tz) -> Result<FeedbackFilter, ApiError> {
    let pairs: Vec<(String, String)> = super::query_pairs(query)?;
    filter_from_pairs(pairs, tz)
}

pub(super) fn filter_from_pairs(
    pairs: Vec<(String, String)>,
    tz: chrono_tz::Tz,
) -> Result<FeedbackFilter, ApiError> {
    let mut f = FeedbackFilter {
        limit: DEFAULT_LIMIT,
        ..Default::default()
    };
    let mut cursor = None;
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
                    crate::analysis::Label::parse_filter(&value)
                        .ok_or_else(|| {
                            ApiError::field(
                                "sentiment",
                                "must be positive, negative, neutral, mixed or unknown",
                            )
                        })?
                        .as_str()
                        .to_owned(),
                )
            }
            "pain_point" => f.pain_point = Some(value),
            "keyword" => f.keyword = Some(value),
            "sort" => {
                f.sort = FeedbackSort::parse(&value)
                    .ok_or_else(|| ApiError::field("sort", "must be occurred or received"))?
            }
            "cursor" => cursor = Some(value).filter(|v| !v.is_empty()),
            "limit" => f.limit = super::number_in("limit", &value, 1..=MAX_LIMIT)?,
            k if k.starts_with("attr.") && k.len() > 5 => {
                f.attributes.push((k[5..].to_owned(), value))
            }
            k => return Err(ApiError::field(k, "unknown filter")),
        }
    }
    if let Some(raw) = cursor {
        let c = FeedbackCursor::parse(&raw).ok_or_else(|| {
            ApiError::BadRequest("`cursor` is not a next_cursor this list handed out".into())
        })?;
        if c.sort != f.sort {
            return Err(ApiError::BadRequest(format!(
                "`cursor` belongs to the list sorted by {}, not by {}: pass the same sort",
                c.sort.as_str(),
                f.sort.as_str()
            )));
        }
        f.cursor = Some(c);
    }
    Ok(f)
}

pub async fn workspace_tz(state: &AppState, ws: &str) -> Result<chrono_tz::Tz, ApiError> {
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
    let names = state.store.origin_names(ws, &rows).await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": rows.iter().map(|f| feedback_json(f, &names)).collect::<Vec<_>>(),
        "next_cursor": next,
    })))
}

async fn count(state: State, auth: Auth<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let tz = workspace_tz(&state, ws).await?;
    let filter = parse_filter(req.query_string(), tz)?;
    Ok(HttpResponse::Ok().json(state.store.count_feedback(ws, &filter).await?))
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
    let names = state
        .store
        .origin_names(ws, std::slice::from_ref(&f))
        .await?;
    Ok(HttpResponse::Ok().json(feedback_json(&f, &names)))
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

pub(super) async fn erase_respondent(
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
    // Before `/feedback/{id}`, which would take `count` for an id.
    cfg.service(web::resource("/feedback").route(web::get().to(list)))
        .service(web::resource("/feedback/count").route(web::get().to(count)))
        .service(
            web::resource("/feedback/{id}")
                .route(web::get().to(get))
                .route(web::delete().to(delete)),
        );
}
