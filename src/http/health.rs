//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database too),
//! for `GET` and `HEAD`.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::{ApiError, State};

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn readyz(state: State) -> Result<HttpResponse, ApiError> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::Unavailable
    })?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready"})))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    // HEAD too: load balancers check with it. actix sends a HEAD answer's headers only.
    cfg.service(
        web::resource("/healthz")
            .route(web::get().to(healthz))
            .route(web::head().to(healthz)),
    )
    .service(
        web::resource("/readyz")
            .route(web::get().to(readyz))
            .route(web::head().to(readyz)),
    )
    .configure(super::counters::routes);
}
