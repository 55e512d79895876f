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

/// The docs page's policy: its own inline script and style (by hash) and the document from
/// this origin; nothing else loads or runs.
fn docs_csp() -> &'static str {
    static CSP: once_cell::sync::Lazy<String> = once_cell::sync::Lazy::new(|| {
        let inline = |open: &str, close: &str| {
            DOCS_HTML
                .split_once(open)
                .and_then(|(_, rest)| rest.split_once(close))
                .map(|(text, _)| super::csp::csp_hash(text))
                .unwrap_or_default()
        };
        format!(
            "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            inline("<script>", "</script>"),
            inline("<style>", "</style>"),
        )
    });
    &CSP
}

async fn docs() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", docs_csp()))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(DOCS_HTML)
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/openapi.json").route(web::get().to(openapi)))
        .service(web::resource("/api/docs").route(web::get().to(docs)));
}
