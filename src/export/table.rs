//! What an export holds, whatever its format: the columns, one item as a row of cells (text
//! neutralised), and the walk over a filtered list in keyset pages.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use crate::domain::names::channel_name;
use crate::domain::Channel;
use crate::store::{Feedback, FeedbackFilter, OriginNames, Store, StoreError};

/// Rows read per query while exporting.
pub const PAGE: u64 = 1000;

/// The columns, in order, as the file's header row.
pub const HEADERS: [&str; 14] = [
    "时间",
    "收到时间",
    "渠道",
    "来源",
    "用户",
    "内容",
    "情感",
    "痛点",
    "关键词",
    "NPS",
    "CSAT",
    "CES",
    "评分",
    "属性",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the spreadsheet: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("writing the CSV: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("the export's temporary file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the spreadsheet writer stopped: {0}")]
    Writer(String),
}

/// What an export shows besides the rows: the workspace's time zone (for the times) and its
/// pain-point categories' names.
#[derive(Debug, Clone)]
pub struct ExportContext {
    pub tz: chrono_tz::Tz,
    /// Category id → its Chinese name (the defaults and the workspace's own).
    pub categories: HashMap<String, String>,
}

/// One cell of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    /// Text, already neutralised.
    Text(String),
    Number(i16),
    /// A wall-clock time in the workspace's zone.
    Time(NaiveDateTime),
}

impl Cell {
    fn text(s: impl AsRef<str>) -> Self {
        let s = s.as_ref();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(neutralise(s))
        }
    }

    fn number(n: Option<i16>) -> Self {
        n.map_or(Cell::Empty, Cell::Number)
    }

    /// As CSV shows it.
    pub fn as_csv(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Time(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// A cell that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, or a tab or carriage
/// return before one) is prefixed with an apostrophe, which shows it as the text it is.
pub fn neutralise(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

fn sentiment_name(label: Option<&str>) -> &'static str {
    match label {
        Some("positive") => "正面",
        Some("negative") => "负面",
        Some("neutral") => "中性",
        Some("mixed") => "褒贬混合",
        Some("unknown") => "未知",
        _ => "未分析",
    }
}

fn local(at: DateTime<Utc>, tz: chrono_tz::Tz) -> Cell {
    Cell::Time(at.with_timezone(&tz).naive_local())
}

/// An attribute's value as it reads: strings bare, anything else as JSON.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One item as a row of [`HEADERS`].
pub fn row(f: &Feedback, names: &OriginNames, cx: &ExportContext) -> [Cell; 14] {
    let analysis = f.analysis.as_ref();
    let pains: Vec<&str> = analysis
        .and_then(|a| a.get("pain_points"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|id| cx.categories.get(id).map_or(id, String::as_str))
        .collect();
    let keywords: Vec<&str> = analysis
        .and_then(|a| a.get("keywords"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|k| k.get("word").and_then(Value::as_str))
        .collect();
    let attributes: Vec<String> = f
        .attributes
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", plain(v)))
        .collect();
    let user = f
        .respondent_id
        .as_deref()
        .or(f.author.as_deref())
        .unwrap_or("");
    [
        local(f.occurred_at, cx.tz),
        local(f.received_at, cx.tz),
        Cell::text(match Channel::parse(&f.channel) {
            Some(c) => channel_name(c),
            None => f.channel.as_str(),
        }),
        Cell::text(names.name(f)),
        Cell::text(user),
        Cell::text(&f.text),
        Cell::text(sentiment_name(f.sentiment.as_deref())),
        Cell::text(pains.join("、")),
        Cell::text(keywords.join("、")),
        Cell::number(f.nps),
        Cell::number(f.csat),
        Cell::number(f.ces),
        Cell::number(f.rating),
        Cell::text(attributes.join("; ")),
    ]
}

/// Walks a filtered list page by page, in the filter's order, with each page's origin names.
pub(crate) struct Pages {
    store: Store,
    workspace_id: String,
    filter: FeedbackFilter,
    done: bool,
}

impl Pages {
    pub(crate) fn new(store: Store, workspace_id: String, mut filter: FeedbackFilter) -> Self {
        filter.cursor = None;
        filter.limit = PAGE;
        Self {
            store,
            workspace_id,
            filter,
            done: false,
        }
    }

    pub(crate) async fn next(
        &mut self,
    ) -> Result<Option<(Vec<Feedback>, OriginNames)>, ExportError> {
        if self.done {
            return Ok(None);
        }
        let (rows, next) = self
            .store
            .list_feedback(&self.workspace_id, &self.filter)
            .await?;
        match next {
            Some(c) => {
                self.filter.cursor = crate::store::FeedbackCursor::parse(&c);
                self.done = self.filter.cursor.is_none();
            }
            None => self.done = true,
        }
        if rows.is_empty() {
            return Ok(None);
        }
        let names = self.store.origin_names(&self.workspace_id, &rows).await?;
        Ok(Some((rows, names)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_text_is_left_alone() {
        for (raw, want) in [
            (
                "=HYPERLINK(\"http://x\",\"点我\")",
                "'=HYPERLINK(\"http://x\",\"点我\")",
            ),
            ("+86 138", "'+86 138"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("物流太慢 =1", "物流太慢 =1"),
            ("'已引用", "'已引用"),
            ("", ""),
        ] {
            assert_eq!(neutralise(raw), want, "{raw:?}");
        }
    }
}
