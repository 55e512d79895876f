//! The HTTP edge: routes per module, the API-key extractor, body reading with limits, and
//! problem+json for everything that goes wrong.

mod auth;
mod body;
pub mod counters;
mod csp;
mod digests;
pub mod error;
mod exports;
mod feedback;
mod health;
mod imports;
mod insights;
mod interviews;
mod keys;
pub mod limits;
mod members;
mod mentions;
mod openapi;
mod respondents;
pub mod session;
mod sources;
mod state;
mod surveys;
mod understand;
mod webhooks;
mod workspace;

use actix_web::web;

pub use auth::{Admin, Auth, Edit, Ingest, Read};
pub use body::{
    from_value, guard_body, json_body, number_in, parse_json, query_pairs, read_body, Json,
    JsonText,
};
pub use csp::html_needs_csp;
pub use digests::{delivery_json, subscription_json};
pub use error::ApiError;
pub use exports::export_response;
pub use feedback::{feedback_json, parse_filter, parse_instant, workspace_tz};
pub use keys::key_json;
pub use sources::source_json;
pub use state::{AppState, State};
pub use surveys::{definition as survey_definition, survey_json};
pub use understand::custom_json;

/// Mounts every route; the server and the tests call this.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::routes)
        .configure(openapi::routes)
        .configure(surveys::public_routes)
        .configure(webhooks::routes)
        .configure(digests::public_routes)
        .service(
            web::scope("/api/v1")
                .configure(keys::routes)
                .configure(members::routes)
                .configure(surveys::routes)
                .configure(sources::routes)
                .configure(interviews::routes)
                .configure(mentions::routes)
                .configure(imports::routes)
                // Before feedback's `/feedback/{id}`, which would take `export` for an id.
                .configure(exports::routes)
                .configure(feedback::routes)
                .configure(respondents::routes)
                .configure(understand::routes)
                .configure(insights::routes)
                .configure(digests::routes)
                .configure(workspace::routes),
        );
}

/// A `%00` anywhere in the path or query (see `body::reject_nul`), or a path or query whose
/// percent-escapes do not decode to UTF-8 (`q=%ff`), is refused with 400 before routing:
/// read leniently, such bytes would become U+FFFD and match or store something else.
pub async fn refuse_bad_uri(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    let uri = req.uri();
    let checked = body::reject_percent_nul(uri.to_string().as_bytes())
        .and_then(|()| body::decodes_to_utf8("path", uri.path()))
        .and_then(|()| body::decodes_to_utf8("query string", uri.query().unwrap_or("")));
    if let Err(e) = checked {
        let res = actix_web::ResponseError::error_response(&e);
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
