//! The OpenAPI document (`/api/openapi.json`) and a docs page that renders it with no
//! network access (`/api/docs`): both are compiled into the binary.

use actix_web::{web, HttpResponse};

const OPENAPI_JSON: &str = include_str!("openapi.json");
const DOCS_HTML: &str = include_str!("docs.html");

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI_JSON)
}

async fn docs() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(DOCS_HTML)
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/openapi.json").route(web::get().to(openapi)))
        .service(web::resource("/api/docs").route(web::get().to(docs)));
}
