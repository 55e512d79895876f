//! `POST /api/v1/imports/csv`: a CSV export (survey platforms, app-store reviews) with a column
//! mapping in the query; answers with the rows accepted and the rows rejected, with reasons.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Offset, TimeZone};
use serde_json::json;

use super::feedback::workspace_tz;
use super::{read_body, ApiError, Auth, Ingest, State};
use crate::collect::import::{parse_csv, ColumnMapping};
use crate::config::MAX_BODY_BYTES;

async fn import_csv(
    state: State,
    auth: Auth<Ingest>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let pairs: Vec<(String, String)> = super::query_pairs(req.query_string())?;
    let mut specs = Vec::new();
    let mut source = "csv".to_owned();
    for (k, v) in pairs {
        match k.as_str() {
            "map" => specs.push(v),
            "source" => source = v,
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown parameter (expected map, source)",
                ))
            }
        }
    }
    if source.is_empty()
        || source.len() > 64
        || !source
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ApiError::field(
            "source",
            "must be 1 to 64 letters, digits, - or _",
        ));
    }
    let mapping = ColumnMapping::parse(&specs).map_err(|e| ApiError::Validation(vec![e]))?;
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let tz = workspace_tz(&state, ws).await?;
    let now = state.clock.now();
    let offset = tz.offset_from_utc_datetime(&now.naive_utc()).fix();
    let report = parse_csv(&body, &mapping, &source, offset, now)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let accepted = report.accepted.len();
    let items = state.pipeline.prepare(ws, report.accepted).await?;
    let done = state.store.ingest(ws, &items).await?;
    state.counters.stored("import", done.stored);
    tracing::info!(
        workspace = ws,
        accepted = accepted,
        rejected = report.rejected.len(),
        stored = done.stored,
        "csv imported"
    );
    Ok(HttpResponse::Ok().json(json!({
        "accepted": accepted,
        "stored": done.stored,
        "duplicates": done.duplicates,
        "rejected": report.rejected,
    })))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/imports/csv").route(web::post().to(import_csv)));
}
