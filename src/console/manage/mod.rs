//! The manage pages: where a team connects its sources, imports files and interviews,
//! subscribes to digests, teaches the analysis its words and categories, and holds its API
//! keys. Each page lists what the JSON API shows and changes it through the same API (the
//! page's forms, sent by `static/console.js` with the session and its CSRF token). Members and
//! workspace settings live beside these in `members.rs` and `settings.rs`.

mod dictionary;
mod imports;
mod interviews;
mod keys;
mod local;
mod sources;
mod subscriptions;

use actix_web::web;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(sources::routes)
        .configure(imports::routes)
        .configure(interviews::routes)
        .configure(subscriptions::routes)
        .configure(dictionary::routes)
        .configure(keys::routes);
}
