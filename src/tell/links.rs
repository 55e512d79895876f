//! Links into the console from what is sent (digests, alerts) and from the insights API.

use chrono::{DateTime, SecondsFormat, Utc};

/// What a console link narrows the feedback list to.
#[derive(Debug, Clone, Copy)]
pub enum Narrow<'a> {
    PainPoint(&'a str),
    Keyword(&'a str),
}

impl<'a> Narrow<'a> {
    /// A ranked pain point's list: its category, or for an emerging cluster
    /// (`cluster:A·B·C`) the items with its leading keyword.
    pub fn pain_point(id: &'a str) -> Self {
        match id.strip_prefix("cluster:") {
            Some(label) => Narrow::Keyword(label.split('·').next().unwrap_or(label)),
            None => Narrow::PainPoint(id),
        }
    }
}

/// Link to the workspace's inbox in the console for `[from, to)`, narrowed when asked. Without
/// a workspace id (an alert queued before alerts carried one) it goes to `/console`, which
/// opens the member's first workspace with the same filters.
pub fn console_link(
    base: &str,
    workspace_id: &str,
    narrow: Option<Narrow<'_>>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    match narrow {
        Some(Narrow::PainPoint(id)) => pairs.push(("pain_point", id.to_owned())),
        Some(Narrow::Keyword(word)) => pairs.push(("keyword", word.to_owned())),
        None => {}
    }
    pairs.push(("from", from.to_rfc3339_opts(SecondsFormat::Secs, true)));
    pairs.push(("to", to.to_rfc3339_opts(SecondsFormat::Secs, true)));
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let base = base.trim_end_matches('/');
    if workspace_id.is_empty() {
        format!("{base}/console?{query}")
    } else {
        format!("{base}/console/w/{workspace_id}/inbox?{query}")
    }
}
