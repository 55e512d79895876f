//! The manage pages: where a team connects its sources, imports files and interviews,
//! subscribes to digests, teaches the analysis its words and categories, and holds its API
//! keys. Each page lists what the JSON API shows and changes it through the same API (the
//! page's forms, sent by `static/console.js` with the session and its CSRF token). Members and
//! workspace settings live beside these in `members.rs` and `settings.rs`.

mod dictionary;
mod imports;
mod interviews;
mod keys;
mod sources;
mod subscriptions;

use actix_web::web;
use chrono::{DateTime, Utc};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(sources::routes)
        .configure(imports::routes)
        .configure(interviews::routes)
        .configure(subscriptions::routes)
        .configure(dictionary::routes)
        .configure(keys::routes);
}

/// A moment as the workspace reads it: `2026-12-06 14:05`.
fn local(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A stored RFC 3339 time (as the JSON views carry them) in the workspace's zone.
fn local_json(v: &serde_json::Value, tz: chrono_tz::Tz) -> Option<String> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| local(t.with_timezone(&Utc), tz))
}
