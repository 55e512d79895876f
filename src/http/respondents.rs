//! Respondent portraits (用户画像): `GET /api/v1/respondents/{respondent_id}` (first and last
//! seen, counts, channels, latest attributes, scores and sentiment over time, pain points,
//! recent items) and `GET /api/v1/respondents` (filtered, cursor-paginated). Erasing a
//! respondent (`DELETE /api/v1/respondents/{id}`, in `feedback.rs`) erases what these read.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::feedback::{feedback_json, parse_instant, workspace_tz};
use super::{query_pairs, ApiError, Auth, Read, State};
use crate::domain::Channel;
use crate::insight::ranking;
use crate::store::{FeedbackFilter, NpsClass, RespondentCursor, RespondentFilter};

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 200;

/// Newest items shown in a portrait.
const RECENT: u64 = 10;

pub(super) async fn portrait(
    state: State,
    auth: Auth<Read>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let rid = path.into_inner();
    let p = state
        .store
        .respondent_portrait(ws, &rid)
        .await?
        .ok_or(ApiError::NotFound("respondent"))?;
    let names = ranking::category_names(&state.store, state.pipeline.analyzer(), ws).await?;
    let filter = FeedbackFilter {
        respondent_id: Some(rid.clone()),
        limit: RECENT,
        ..Default::default()
    };
    let (recent, _) = state.store.list_feedback(ws, &filter).await?;
    let origin = state.store.origin_names(ws, &recent).await?;
    Ok(HttpResponse::Ok().json(json!({
        "respondent_id": rid,
        "first_seen": p.first_seen,
        "last_seen": p.last_seen,
        "feedback_count": p.feedback_count,
        "response_count": p.response_count,
        "channels": p.channels.iter().map(|(c, n)| json!({"channel": c, "count": n})).collect::<Vec<_>>(),
        "attributes": p.attributes,
        "scores": p.scores,
        "sentiment": p.sentiment,
        "pain_points": p.pain_points.iter().map(|(c, n)| json!({
            "id": c,
            "name": names.get(c).cloned().unwrap_or_else(|| c.clone()),
            "count": n,
        })).collect::<Vec<_>>(),
        "recent": recent.iter().map(|f| feedback_json(f, &origin)).collect::<Vec<_>>(),
    })))
}

fn parse_filter(query: &str, tz: chrono_tz::Tz) -> Result<RespondentFilter, ApiError> {
    let mut f = RespondentFilter {
        limit: DEFAULT_LIMIT,
        ..Default::default()
    };
    for (k, v) in query_pairs(query)? {
        match k.as_str() {
            "channel" => {
                f.channel = Some(
                    Channel::parse(&v)
                        .ok_or_else(|| ApiError::field("channel", Channel::must_be()))?
                        .as_str()
                        .to_owned(),
                )
            }
            "source" => f.source = Some(v),
            "pain_point" => f.pain_point = Some(v),
            "nps" => {
                f.nps = Some(NpsClass::parse(&v).ok_or_else(|| {
                    ApiError::field("nps", "must be detractor, passive or promoter")
                })?)
            }
            "last_seen_from" => f.last_seen_from = Some(parse_instant(&v, tz, "last_seen_from")?),
            "last_seen_to" => f.last_seen_to = Some(parse_instant(&v, tz, "last_seen_to")?),
            "cursor" if !v.is_empty() => {
                f.cursor = Some(RespondentCursor::parse(&v).ok_or_else(|| {
                    ApiError::BadRequest(
                        "`cursor` is not a next_cursor this list handed out".into(),
                    )
                })?)
            }
            "cursor" => {}
            "limit" => f.limit = super::number_in("limit", &v, 1..=MAX_LIMIT)?,
            key if key.starts_with("attr.") => {
                let name = &key[5..];
                if !crate::insight::is_plain_key(name) {
                    return Err(ApiError::field(
                        key,
                        "attribute names are letters, digits, _ - ., up to 64",
                    ));
                }
                f.attributes.push((name.to_owned(), v))
            }
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown filter (expected channel, source, attr.KEY, pain_point, nps, \
                     last_seen_from, last_seen_to, cursor, limit)",
                ))
            }
        }
    }
    Ok(f)
}

async fn list(state: State, auth: Auth<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let tz = workspace_tz(&state, ws).await?;
    let filter = parse_filter(req.query_string(), tz)?;
    let (rows, next) = state.store.list_respondents(ws, &filter).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows, "next_cursor": next})))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/respondents").route(web::get().to(list)))
        .service(
            web::resource("/respondents/{id}")
                .route(web::get().to(portrait))
                .route(web::delete().to(super::feedback::erase_respondent)),
        );
}
