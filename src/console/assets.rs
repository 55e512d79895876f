//! The console's stylesheet and script, compiled in and served with a content hash in their
//! URL, so a browser caches them for a year and never runs yesterday's script on today's page.

use actix_web::{web, HttpResponse};
use once_cell::sync::Lazy;

const CSS: &str = include_str!("../../static/console.css");
const JS: &str = include_str!("../../static/console.js");

/// URL of the stylesheet, versioned by its content.
pub static CSS_URL: Lazy<String> =
    Lazy::new(|| format!("/static/console.css?v={}", short_hash(CSS)));
/// URL of the script, versioned by its content.
pub static JS_URL: Lazy<String> = Lazy::new(|| format!("/static/console.js?v={}", short_hash(JS)));

/// Where the font is served; `static/console.css` names the same path.
const FONT_PATH: &str = "/static/noto-sans-sc-subset.otf";

fn short_hash(s: &str) -> String {
    crate::domain::hash_key(s)[..12].to_owned()
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}

async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", JS)
}

/// The CJK font the charts are drawn with (a GB2312 subset of Noto Sans SC, OFL), offered
/// last in the stylesheet's font stack: a browser fetches it only on a machine with no Chinese
/// font of its own.
async fn font() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("font/otf")
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .body(crate::tell::chart::FONT_BYTES)
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(FONT_PATH).route(web::get().to(font)))
        .service(web::resource("/static/console.css").route(web::get().to(css)))
        .service(web::resource("/static/console.js").route(web::get().to(js)));
}
