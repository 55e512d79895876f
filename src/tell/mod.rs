//! Telling the team: the digest (built from the insights, rendered as HTML, text and
//! markdown with PNG trend charts), its delivery by mail and group robots through an outbox,
//! and spike alerts.

pub mod alerts;
pub mod build;
pub mod chart;
pub mod digest;
pub mod insights;
pub mod mail;
pub mod outbox;
pub mod render;
pub mod robots;

use chrono::{DateTime, SecondsFormat, Utc};

/// Link to the console's feedback list for `[from, to)`, narrowed to a pain point when one
/// is given (a category id, or an emerging cluster `cluster:A·B·C`, listed by its leading
/// keyword).
pub fn console_link(
    base: &str,
    pain_point: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    match pain_point.map(|id| (id, id.strip_prefix("cluster:"))) {
        Some((_, Some(label))) => pairs.push((
            "keyword",
            label.split('·').next().unwrap_or(label).to_owned(),
        )),
        Some((id, None)) => pairs.push(("pain_point", id.to_owned())),
        None => {}
    }
    pairs.push(("from", from.to_rfc3339_opts(SecondsFormat::Secs, true)));
    pairs.push(("to", to.to_rfc3339_opts(SecondsFormat::Secs, true)));
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    format!("{}/console?{query}", base.trim_end_matches('/'))
}
