//! Times as the workspace reads them, for the manage pages.

use chrono::{DateTime, Utc};

/// A moment as the workspace reads it: `2026-12-06 14:05`.
pub(super) fn local(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A stored RFC 3339 time (as the JSON views carry them) in the workspace's zone.
pub(super) fn local_json(v: &serde_json::Value, tz: chrono_tz::Tz) -> Option<String> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| local(t.with_timezone(&Utc), tz))
}
