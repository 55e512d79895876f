//! Links into the console from what is sent (digests, alerts) and from the insights API.

use chrono::{DateTime, SecondsFormat, Utc};

/// What a console link narrows the feedback list to.
#[derive(Debug, Clone, Copy)]
pub enum Narrow<'a> {
    PainPoint(&'a str),
    Keyword(&'a str),
    /// A pain point within a segment: `attr` is `channel`, `source` or an attribute key.
    SegmentPainPoint {
        attr: &'a str,
        value: &'a str,
        pain_point: &'a str,
    },
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
    let mut pairs: Vec<(String, String)> = Vec::new();
    match narrow {
        Some(Narrow::PainPoint(id)) => pairs.push(("pain_point".into(), id.to_owned())),
        Some(Narrow::Keyword(word)) => pairs.push(("keyword".into(), word.to_owned())),
        Some(Narrow::SegmentPainPoint {
            attr,
            value,
            pain_point,
        }) => {
            let key = match attr {
                "channel" | "source" => attr.to_owned(),
                key => format!("attr.{key}"),
            };
            pairs.push((key, value.to_owned()));
            pairs.push(("pain_point".into(), pain_point.to_owned()));
        }
        None => {}
    }
    pairs.push((
        "from".into(),
        from.to_rfc3339_opts(SecondsFormat::Secs, true),
    ));
    pairs.push(("to".into(), to.to_rfc3339_opts(SecondsFormat::Secs, true)));
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let base = base.trim_end_matches('/');
    if workspace_id.is_empty() {
        format!("{base}/console?{query}")
    } else {
        format!("{base}/console/w/{workspace_id}/inbox?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_segment_link_narrows_to_the_attribute_and_the_pain_point() {
        let (from, to) = (
            Utc.with_ymd_and_hms(2026, 11, 15, 16, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 22, 16, 0, 0).unwrap(),
        );
        let narrow = |attr| Narrow::SegmentPainPoint {
            attr,
            value: "3.2 beta&x",
            pain_point: "crash",
        };
        assert_eq!(
            console_link(
                "https://t.example/",
                "ws_1",
                Some(narrow("app_version")),
                from,
                to
            ),
            "https://t.example/console/w/ws_1/inbox?attr.app_version=3.2+beta%26x&pain_point=crash\
             &from=2026-11-15T16%3A00%3A00Z&to=2026-11-22T16%3A00%3A00Z"
        );
        assert!(console_link(
            "https://t.example",
            "ws_1",
            Some(narrow("channel")),
            from,
            to
        )
        .contains("inbox?channel=3.2+beta%26x&pain_point=crash&"));
    }
}
