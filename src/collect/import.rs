//! Import channel (`import`): CSV exports from survey platforms (问卷星, 腾讯问卷, 金数据 …) and
//! app stores, mapped column by column onto feedback.
//!
//! Pure: bytes in, accepted items and per-row rejections out. A file-level problem (unknown
//! column, not a text file, too many rows) refuses the whole import; a row-level problem (empty
//! text, bad score, bad date) rejects only that row, reported with the row number the user sees
//! in Excel/WPS (header = row 1).

use std::borrow::Cow;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::text::truncate_chars;
use crate::domain::{parse_score, Channel, FeedbackText, FieldError, NewFeedback, Scores};
use crate::domain::{stable_id, Joint};

/// Most data rows in one file; larger exports must be split so one request stays bounded.
pub const MAX_ROWS: usize = 100_000;

/// Same limits as `parse_attributes` applies to API input.
const MAX_ATTRIBUTES: usize = 50;
const MAX_ATTR_KEY_BYTES: usize = 64;
const MAX_ATTR_VALUE_CHARS: usize = 200;

const MAX_ID_CHARS: usize = 256;
const MAX_AUTHOR_CHARS: usize = 200;

/// Which CSV column feeds which feedback field. Columns are named by their header text or by a
/// 1-based position (`#3`), because survey exports use whole questions as headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMapping {
    pub text: String,
    pub external_id: Option<String>,
    pub author: Option<String>,
    pub respondent_id: Option<String>,
    pub occurred_at: Option<String>,
    pub nps: Option<String>,
    pub csat: Option<String>,
    pub ces: Option<String>,
    /// App-store stars, 1–5, stored as CSAT.
    pub rating: Option<String>,
    /// `(attribute key, column)`, in the order given.
    pub attributes: Vec<(String, String)>,
}

impl ColumnMapping {
    /// Parses `key=column` specs: `text=评论内容`, `external_id=#1`, `attr.city=城市` …
    /// Keys: text (required), external_id, author, respondent_id, occurred_at, nps, csat, ces,
    /// rating, attr.<name>. Errors are reported on the field `map`.
    pub fn parse(specs: &[String]) -> Result<Self, FieldError> {
        let mut m = ColumnMapping::default();
        let mut text: Option<String> = None;

        for spec in specs {
            let spec = spec.trim();
            if spec.is_empty() {
                continue;
            }
            let Some((key, column)) = spec.split_once('=') else {
                return Err(map_error(format!(
                    "`{spec}` is not of the form key=column (for example text=评论内容)"
                )));
            };
            let key = key.trim();
            let column = column.trim();
            if column.is_empty() {
                return Err(map_error(format!("`{key}` names no column")));
            }
            if index_ref(column) == Some(0) {
                return Err(map_error(format!("`{column}`: column numbers start at #1")));
            }

            let slot: &mut Option<String> = match key {
                "text" => &mut text,
                "external_id" => &mut m.external_id,
                "author" => &mut m.author,
                "respondent_id" => &mut m.respondent_id,
                "occurred_at" => &mut m.occurred_at,
                "nps" => &mut m.nps,
                "csat" => &mut m.csat,
                "ces" => &mut m.ces,
                "rating" => &mut m.rating,
                _ => {
                    let Some(name) = key.strip_prefix("attr.") else {
                        return Err(map_error(format!(
                            "unknown key `{key}` (expected text, external_id, author, respondent_id, \
                             occurred_at, nps, csat, ces, rating or attr.<name>)"
                        )));
                    };
                    let name = name.trim();
                    if name.is_empty()
                        || name.len() > MAX_ATTR_KEY_BYTES
                        || name.chars().any(char::is_control)
                    {
                        return Err(map_error(format!(
                            "`{key}`: attribute names are 1 to {MAX_ATTR_KEY_BYTES} bytes"
                        )));
                    }
                    if m.attributes.iter().any(|(k, _)| k == name) {
                        return Err(map_error(format!("`{key}` is mapped twice")));
                    }
                    if m.attributes.len() >= MAX_ATTRIBUTES {
                        return Err(map_error(format!("at most {MAX_ATTRIBUTES} attributes")));
                    }
                    m.attributes.push((name.to_owned(), column.to_owned()));
                    continue;
                }
            };
            if slot.is_some() {
                return Err(map_error(format!("`{key}` is mapped twice")));
            }
            *slot = Some(column.to_owned());
        }

        // Both would land in the one CSAT score; refuse rather than pick one silently.
        if m.csat.is_some() && m.rating.is_some() {
            return Err(map_error(
                "map either csat or rating, not both (both are stored as CSAT)",
            ));
        }
        m.text = text.ok_or_else(|| map_error("text=<column> is required"))?;
        Ok(m)
    }

    /// Convenience for query strings: every `map` parameter is one spec
    /// (`?map=text%3D评论内容&map=attr.city%3D城市`); other parameters are ignored.
    pub fn from_query<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self, FieldError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let specs: Vec<String> = pairs
            .into_iter()
            .filter(|(k, _)| k.as_ref() == "map")
            .map(|(_, v)| v.as_ref().to_owned())
            .collect();
        Self::parse(&specs)
    }
}

fn map_error(message: impl Into<String>) -> FieldError {
    FieldError::new("map", message)
}

fn file_error(message: impl Into<String>) -> FieldError {
    FieldError::new("file", message)
}

/// `#3` → `Some(3)`; `#0` and overflowing numbers → `Some(0)` (invalid); anything else is a name.
fn index_ref(column: &str) -> Option<usize> {
    let digits = column.strip_prefix('#')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<usize>().unwrap_or(0))
}

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub accepted: Vec<NewFeedback>,
    pub rejected: Vec<RowRejection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowRejection {
    /// The row number a spreadsheet shows: the header is row 1, the first data row is row 2;
    /// blank lines and multi-line cells are counted the way Excel counts them.
    pub row: usize,
    pub reason: String,
}

/// Parses a CSV export. `default_offset` is the workspace time zone, applied to dates without
/// one (+08:00 for Asia/Shanghai); `now` dates rows with no (or no mapped) date column.
pub fn parse_csv(
    bytes: &[u8],
    mapping: &ColumnMapping,
    source_name: &str,
    default_offset: FixedOffset,
    now: DateTime<Utc>,
) -> Result<ImportReport, FieldError> {
    let decoded = decode_text(bytes)?;
    let text = decoded.trim_start_matches('\u{feff}');
    let (declared, body) = split_sep_line(text);
    let delimiter = declared.unwrap_or_else(|| detect_delimiter(body));

    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        // Exports often drop trailing empty cells; a short row just has empty cells.
        .flexible(true)
        .from_reader(body.as_bytes());

    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|c| c.trim_start_matches('\u{feff}').trim().to_owned())
            .collect(),
        Err(e) => return Err(file_error(format!("the header row cannot be read: {e}"))),
    };
    if headers.iter().all(|h| h.is_empty()) {
        return Err(file_error("the file is empty or has no header row"));
    }
    let cols = resolve_mapping(mapping, &headers)?;
    let cx = RowContext {
        cols: &cols,
        headers: &headers,
        source_name,
        offset: default_offset,
        now,
    };

    let mut report = ImportReport::default();
    let mut record = csv::StringRecord::new();
    // Spreadsheet row numbers: csv skips blank lines and a quoted cell may span lines, so the
    // row is derived from how many newlines each read consumed (see `blank_lines_before`).
    let mut prev_line = rdr.position().line();
    let mut row: usize = 1;
    let mut records: usize = 0;

    loop {
        let read = rdr.read_record(&mut record);
        let line = rdr.position().line();
        let consumed_newlines = line.saturating_sub(prev_line);
        prev_line = line;

        match read {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                records += 1;
                if records > MAX_ROWS {
                    return Err(too_many_rows());
                }
                row += 1;
                report.rejected.push(RowRejection {
                    row,
                    reason: format!("unreadable row: {e}"),
                });
                continue;
            }
        }
        records += 1;
        if records > MAX_ROWS {
            return Err(too_many_rows());
        }
        row += 1 + blank_lines_before(&record, consumed_newlines);

        // Excel leaves rows of empty cells (`,,,`) at the end of many exports: not an error.
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match convert_row(&record, row, &cx) {
            Ok(item) => report.accepted.push(item),
            Err(reason) => report.rejected.push(RowRejection { row, reason }),
        }
    }
    Ok(report)
}

fn too_many_rows() -> FieldError {
    file_error(format!(
        "the file has more than {MAX_ROWS} rows; split it into smaller files"
    ))
}

/// Every record read consumes its own line break plus the line breaks inside quoted cells; any
/// further newlines consumed were blank lines, which csv skips but a spreadsheet shows as rows.
/// (With CRLF the terminator's `\n` is consumed by the following read, which shifts every record
/// by the same amount, so the difference still holds.)
fn blank_lines_before(record: &csv::StringRecord, consumed_newlines: u64) -> usize {
    let inner: u64 = record
        .iter()
        .map(|f| f.bytes().filter(|&b| b == b'\n').count() as u64)
        .sum();
    usize::try_from(consumed_newlines.saturating_sub(inner.saturating_add(1))).unwrap_or(0)
}

/// UTF-8 (BOM or not); UTF-16 with a BOM (Excel's "Unicode text"); otherwise GB18030, a superset
/// of GBK, which is what Excel and WPS write for "CSV" on Chinese Windows.
fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, FieldError> {
    // A zip container: an .xlsx workbook uploaded as is.
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(file_error(
            "this is an Excel workbook, not CSV: save it as CSV (UTF-8) first",
        ));
    }
    let decoded: Cow<'_, str> = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        match std::str::from_utf8(rest) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                return Err(file_error(
                    "the file starts as UTF-8 but is not valid UTF-8",
                ))
            }
        }
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        decode_with(encoding_rs::UTF_16LE, rest)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        decode_with(encoding_rs::UTF_16BE, rest)?
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => decode_with(encoding_rs::GB18030, bytes)?,
        }
    };
    // NUL does not occur in text exports; it means a binary file (or UTF-16 without a BOM).
    // Checked here, after decoding, and not on the raw bytes: UTF-16 text is full of zero
    // bytes. Both the HTTP import and `tingjian import csv` rely on this check, which also
    // keeps NUL out of the database (PostgreSQL cannot store it in text).
    if decoded.contains('\0') {
        return Err(file_error(
            "the file contains NUL characters, so it is not CSV text \
             (UTF-8, GB18030/GBK or UTF-16 with BOM)",
        ));
    }
    Ok(decoded)
}

fn decode_with<'a>(
    encoding: &'static encoding_rs::Encoding,
    bytes: &'a [u8],
) -> Result<Cow<'a, str>, FieldError> {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(file_error(
            "the file is not CSV text (UTF-8, GB18030/GBK or UTF-16 with BOM)",
        ));
    }
    Ok(text)
}

/// Excel's `sep=;` first line declares the delimiter; Excel hides it, so it is not a row.
fn split_sep_line(text: &str) -> (Option<u8>, &str) {
    let (first, rest) = match text.find('\n') {
        Some(p) => (&text[..p], &text[p + 1..]),
        None => (text, ""),
    };
    let first = first.trim_end_matches('\r');
    if first.len() == 5 && first.is_char_boundary(4) && first[..4].eq_ignore_ascii_case("sep=") {
        let d = first.as_bytes()[4];
        if d.is_ascii() && d != b'"' && d != b'\r' {
            return (Some(d), rest);
        }
    }
    (None, text)
}

/// The delimiter used most often in the header line (outside quotes): `,` vs `;` (European Excel)
/// vs tab. Ties and headers with a single column fall back to `,`.
fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for b in text.bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            b',' if !in_quotes => counts[0] += 1,
            b';' if !in_quotes => counts[1] += 1,
            b'\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let mut best = (b',', counts[0]);
    for (d, n) in [(b';', counts[1]), (b'\t', counts[2])] {
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

/// Mapping resolved against the header: column indexes.
struct Resolved {
    text: usize,
    external_id: Option<usize>,
    author: Option<usize>,
    respondent_id: Option<usize>,
    occurred_at: Option<usize>,
    nps: Option<usize>,
    csat: Option<usize>,
    ces: Option<usize>,
    rating: Option<usize>,
    attributes: Vec<(String, usize)>,
}

fn resolve_mapping(m: &ColumnMapping, headers: &[String]) -> Result<Resolved, FieldError> {
    let opt = |c: &Option<String>| -> Result<Option<usize>, FieldError> {
        c.as_deref().map(|c| resolve_column(c, headers)).transpose()
    };
    let attributes = m
        .attributes
        .iter()
        .map(|(k, c)| resolve_column(c, headers).map(|i| (k.clone(), i)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Resolved {
        text: resolve_column(&m.text, headers)?,
        external_id: opt(&m.external_id)?,
        author: opt(&m.author)?,
        respondent_id: opt(&m.respondent_id)?,
        occurred_at: opt(&m.occurred_at)?,
        nps: opt(&m.nps)?,
        csat: opt(&m.csat)?,
        ces: opt(&m.ces)?,
        rating: opt(&m.rating)?,
        attributes,
    })
}

/// Exact header text first, then ignoring ASCII case (`Rating` vs `rating`); `#n` by position.
fn resolve_column(column: &str, headers: &[String]) -> Result<usize, FieldError> {
    let column = column.trim();
    if let Some(n) = index_ref(column) {
        return if n >= 1 && n <= headers.len() {
            Ok(n - 1)
        } else {
            Err(map_error(format!(
                "column {column} does not exist: the header row has {} columns",
                headers.len()
            )))
        };
    }
    if !column.is_empty() {
        if let Some(i) = headers.iter().position(|h| h == column) {
            return Ok(i);
        }
        if let Some(i) = headers.iter().position(|h| h.eq_ignore_ascii_case(column)) {
            return Ok(i);
        }
    }
    let shown: Vec<String> = headers
        .iter()
        .take(30)
        .map(|h| format!("\"{}\"", truncate_chars(h, 40)))
        .collect();
    let more = if headers.len() > 30 { ", …" } else { "" };
    Err(map_error(format!(
        "column \"{column}\" is not in the header row (columns: {}{more})",
        shown.join(", ")
    )))
}

struct RowContext<'a> {
    cols: &'a Resolved,
    headers: &'a [String],
    source_name: &'a str,
    offset: FixedOffset,
    now: DateTime<Utc>,
}

/// How a column is named in a rejection reason: its header, else its position.
fn column_label(headers: &[String], i: usize) -> String {
    match headers.get(i) {
        Some(h) if !h.is_empty() => truncate_chars(h, 40),
        _ => format!("#{}", i + 1),
    }
}

fn convert_row(
    rec: &csv::StringRecord,
    row: usize,
    cx: &RowContext<'_>,
) -> Result<NewFeedback, String> {
    let cell = |i: usize| rec.get(i).map(str::trim).unwrap_or("");
    let label = |i: usize| column_label(cx.headers, i);
    let cols = cx.cols;

    let text =
        FeedbackText::parse(cell(cols.text)).map_err(|m| format!("{}: {m}", label(cols.text)))?;

    let score = |col: Option<usize>, lo: i16, hi: i16| -> Result<Option<i16>, String> {
        match col {
            None => Ok(None),
            Some(i) => parse_cell_score(cell(i), lo, hi).map_err(|m| format!("{}: {m}", label(i))),
        }
    };
    let nps = score(cols.nps, 0, 10)?;
    let csat = match score(cols.csat, 1, 5)? {
        Some(v) => Some(v),
        None => score(cols.rating, 1, 5)?,
    };
    let ces = score(cols.ces, 1, 7)?;

    let occurred_at = match cols.occurred_at {
        Some(i) if !cell(i).is_empty() => parse_datetime(cell(i), cx.offset).ok_or_else(|| {
            format!(
                "{}: unrecognised date \"{}\" (expected 2024-05-01 14:30, 2024/05/01 14:30, \
                 2024-05-01, 2024年05月01日 14:30 or RFC 3339)",
                label(i),
                truncate_chars(cell(i), 50)
            )
        })?,
        _ => cx.now,
    };
    if !crate::domain::time::occurred_within(occurred_at, cx.now) {
        let i = cols.occurred_at.unwrap_or_default();
        return Err(format!(
            "{}: {} (\"{}\")",
            label(i),
            crate::domain::time::OCCURRED_WINDOW,
            truncate_chars(cell(i), 50)
        ));
    }

    let id_cell = |col: Option<usize>| -> Result<Option<String>, String> {
        match col {
            None => Ok(None),
            Some(i) => {
                let v = cell(i);
                if v.chars().count() > MAX_ID_CHARS {
                    Err(format!(
                        "{}: longer than {MAX_ID_CHARS} characters",
                        label(i)
                    ))
                } else {
                    Ok((!v.is_empty()).then(|| v.to_owned()))
                }
            }
        }
    };
    let respondent_id = id_cell(cols.respondent_id)?;
    // Without an id column (or with an empty id), the row's content is its identity, so importing
    // the same file again stores nothing new.
    let external_id = match id_cell(cols.external_id)? {
        Some(id) => id,
        None => row_hash(rec, cols),
    };

    let author = cols
        .author
        .map(cell)
        .filter(|v| !v.is_empty())
        .map(|v| truncate_chars(v, MAX_AUTHOR_CHARS));

    let mut attributes = Map::new();
    for (key, i) in &cols.attributes {
        let v = cell(*i);
        // Empty cells are left out rather than stored as "", so filters on the attribute work.
        if !v.is_empty() {
            attributes.insert(
                key.clone(),
                Value::String(truncate_chars(v, MAX_ATTR_VALUE_CHARS)),
            );
        }
    }

    let mut context = Map::new();
    context.insert("row".into(), Value::from(row as u64));
    context.insert("source".into(), Value::String(cx.source_name.to_owned()));

    Ok(NewFeedback {
        channel: Channel::Import,
        source_key: format!("import:{}", cx.source_name),
        source_id: None,
        external_id: Some(external_id),
        respondent_id,
        author,
        text,
        scores: Scores {
            nps,
            csat,
            ces,
            rating: None,
        },
        attributes,
        context,
        occurred_at,
        response_id: None,
        analysis: None,
    })
}

/// Cells survey platforms write for unanswered questions (问卷星 writes `(跳过)` and `(空)`).
fn is_unanswered(v: &str) -> bool {
    v.is_empty()
        || matches!(
            v,
            "-" | "—" | "--" | "(跳过)" | "（跳过）" | "(空)" | "（空）"
        )
        || v.eq_ignore_ascii_case("n/a")
}

/// A score cell: `9`, `9.0`, `4分`, `5星`, `★★★★☆`; unanswered markers are no score.
fn parse_cell_score(raw: &str, lo: i16, hi: i16) -> Result<Option<i16>, String> {
    let v = raw.trim();
    if is_unanswered(v) {
        return Ok(None);
    }
    let value = if v.chars().all(|c| c == '★' || c == '☆') {
        Value::from(v.chars().filter(|&c| c == '★').count() as u64)
    } else {
        let number = v.trim_end_matches(['分', '星']).trim_end();
        Value::String(number.to_owned())
    };
    parse_score(&value, lo, hi)
        .map(Some)
        .map_err(|m| format!("{m}, got \"{}\"", truncate_chars(v, 50)))
}

/// Dates as exports write them. Those without an offset are in `offset` (the workspace zone).
/// Years before 1970 are refused: they come from two-digit years (`24/05/01`), not real data.
fn parse_datetime(raw: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    const WITH_TIME: &[&str] = &[
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
        "%Y年%m月%d日 %H:%M:%S",
        "%Y年%m月%d日 %H:%M",
        "%Y年%m月%d日%H:%M:%S",
        "%Y年%m月%d日%H:%M",
    ];
    const DATE_ONLY: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"];

    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    let sane = |year: i32| (1970..=9999).contains(&year);

    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return sane(t.year()).then(|| t.with_timezone(&Utc));
    }
    let naive = WITH_TIME
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            DATE_ONLY
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    if !sane(naive.year()) {
        return None;
    }
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// SHA-256 (hex) of the row's mapped values, labelled by field so moving a value between
/// columns changes the key.
fn row_hash(rec: &csv::StringRecord, cols: &Resolved) -> String {
    let cell = |i: usize| rec.get(i).map(str::trim).unwrap_or("");
    let mut parts: Vec<String> = Vec::new();
    let mut push = |name: &str, col: Option<usize>| {
        if let Some(i) = col {
            parts.push(format!("{name}={}", cell(i)));
        }
    };
    push("text", Some(cols.text));
    push("author", cols.author);
    push("respondent_id", cols.respondent_id);
    push("occurred_at", cols.occurred_at);
    push("nps", cols.nps);
    push("csat", cols.csat);
    push("ces", cols.ces);
    push("rating", cols.rating);
    for (k, i) in &cols.attributes {
        push(&format!("attr.{k}"), Some(*i));
    }

    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    stable_id(Joint::UnitSeparator, &parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap()
    }

    fn mapping(specs: &[&str]) -> ColumnMapping {
        let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        ColumnMapping::parse(&specs).unwrap()
    }

    fn rows(report: &ImportReport) -> Vec<usize> {
        report.rejected.iter().map(|r| r.row).collect()
    }

    #[test]
    fn mapping_parse_ok() {
        let m = mapping(&[
            "text=评论内容",
            " external_id = #1 ",
            "attr.plan=套餐",
            "attr.city=城市",
            "rating=星级",
            "occurred_at=提交时间",
            "",
        ]);
        assert_eq!(m.text, "评论内容");
        assert_eq!(m.external_id.as_deref(), Some("#1"));
        assert_eq!(m.rating.as_deref(), Some("星级"));
        assert_eq!(
            m.attributes,
            vec![
                ("plan".to_string(), "套餐".to_string()),
                ("city".to_string(), "城市".to_string())
            ]
        );
        // A column name may itself contain `=`.
        assert_eq!(mapping(&["text=a=b"]).text, "a=b");

        let q = ColumnMapping::from_query(vec![
            ("source", "x"),
            ("map", "text=评论"),
            ("map", "attr.city=城市"),
        ])
        .unwrap();
        assert_eq!(q.text, "评论");
        assert_eq!(q.attributes.len(), 1);
    }

    #[test]
    fn mapping_parse_errors() {
        let bad: &[&[&str]] = &[
            &[],
            &["author=昵称"],
            &["text"],
            &["text="],
            &["text=a", "foo=b"],
            &["text=a", "text=b"],
            &["text=#0"],
            &["text=a", "csat=b", "rating=c"],
            &["text=a", "attr.=b"],
            &["text=a", "attr.x=b", "attr.x=c"],
        ];
        for specs in bad {
            let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
            let err = ColumnMapping::parse(&specs).unwrap_err();
            assert_eq!(err.field, "map", "{specs:?}");
        }
        let many: Vec<String> = std::iter::once("text=t".to_string())
            .chain((0..51).map(|i| format!("attr.a{i}=c{i}")))
            .collect();
        assert!(ColumnMapping::parse(&many).is_err());
    }

    #[test]
    fn utf8_bom_comma_and_fields() {
        let csv = "\u{feff}编号,评论内容,推荐度,城市,提交时间,昵称\n\
                   1001,\"界面很好看，但是, 加载慢\",9,北京,2024-05-01 14:30,小王\n\
                   1002,一般般,6分,,2024/05/02 09:05:30,\n";
        let m = mapping(&[
            "text=评论内容",
            "external_id=编号",
            "nps=推荐度",
            "occurred_at=提交时间",
            "attr.city=城市",
            "author=昵称",
        ]);
        let r = parse_csv(csv.as_bytes(), &m, "问卷星导出", cst(), now()).unwrap();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
        assert_eq!(r.accepted.len(), 2);

        let a = &r.accepted[0];
        assert_eq!(a.channel, Channel::Import);
        assert_eq!(a.source_key, "import:问卷星导出");
        assert_eq!(a.external_id.as_deref(), Some("1001"));
        assert_eq!(a.text.as_str(), "界面很好看，但是, 加载慢");
        assert_eq!(a.scores.nps, Some(9));
        assert_eq!(a.attributes["city"], "北京");
        assert_eq!(a.author.as_deref(), Some("小王"));
        assert_eq!(a.context["row"], 2);
        assert_eq!(
            a.occurred_at,
            Utc.with_ymd_and_hms(2024, 5, 1, 6, 30, 0).unwrap()
        );

        let b = &r.accepted[1];
        assert_eq!(b.scores.nps, Some(6));
        assert!(b.attributes.get("city").is_none());
        assert_eq!(b.author, None);
        assert_eq!(
            b.occurred_at,
            Utc.with_ymd_and_hms(2024, 5, 2, 1, 5, 30).unwrap()
        );
    }

    #[test]
    fn semicolons_quoted_multiline_and_bad_rows() {
        let csv = "text;score;note\n\
                   \"第一行\n第二行\";5;a\n\
                   ;4;b\n\
                   \"含有\"\"引号\"\"\";x;c\n\
                   好评;;d\n";
        let m = mapping(&["text=text", "rating=score", "attr.note=note"]);
        let r = parse_csv(csv.as_bytes(), &m, "appstore", cst(), now()).unwrap();
        assert_eq!(r.accepted.len(), 2);
        assert_eq!(r.accepted[0].text.as_str(), "第一行\n第二行");
        assert_eq!(r.accepted[0].scores.csat, Some(5));
        assert_eq!(r.accepted[0].occurred_at, now());
        assert_eq!(r.accepted[1].text.as_str(), "好评");
        assert_eq!(r.accepted[1].scores.csat, None);
        assert_eq!(r.accepted[1].context["row"], 5);

        assert_eq!(rows(&r), vec![3, 4]);
        assert!(
            r.rejected[0].reason.starts_with("text:"),
            "{}",
            r.rejected[0].reason
        );
        assert!(
            r.rejected[1].reason.contains("score"),
            "{}",
            r.rejected[1].reason
        );
        assert!(r.rejected[1].reason.contains("from 1 to 5"));
    }

    #[test]
    fn crlf_blank_lines_and_row_numbers() {
        let csv = "评论,评分,日期\r\n好用,5,2024-05-01\r\n\r\n\r\n,3,\r\n不好用,abc,\r\n , , \r\n还行,4,昨天\r\n\"跨\r\n行\",12,\r\n最后,1,2024年5月1日 08:00";
        let m = mapping(&["text=评论", "csat=评分", "occurred_at=日期"]);
        let r = parse_csv(csv.as_bytes(), &m, "f", cst(), now()).unwrap();
        assert_eq!(rows(&r), vec![5, 6, 8, 9]);
        assert!(r.rejected[2].reason.contains("日期"));
        assert!(r.rejected[2].reason.contains("昨天"));
        assert_eq!(r.accepted.len(), 2);
        assert_eq!(r.accepted[0].context["row"], 2);
        assert_eq!(
            r.accepted[0].occurred_at,
            Utc.with_ymd_and_hms(2024, 4, 30, 16, 0, 0).unwrap()
        );
        assert_eq!(r.accepted[1].context["row"], 10);
        assert_eq!(
            r.accepted[1].occurred_at,
            Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn tab_delimited_and_column_numbers() {
        let csv = "序号\t满意度\t您的建议\n1\t★★★★☆\t希望支持导出, 以及分享\n2\t（跳过）\t没有\n";
        let m = mapping(&["text=#3", "csat=#2", "respondent_id=#1"]);
        let r = parse_csv(csv.as_bytes(), &m, "腾讯问卷", cst(), now()).unwrap();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
        assert_eq!(r.accepted[0].text.as_str(), "希望支持导出, 以及分享");
        assert_eq!(r.accepted[0].scores.csat, Some(4));
        assert_eq!(r.accepted[0].respondent_id.as_deref(), Some("1"));
        assert_eq!(r.accepted[1].scores.csat, None);
    }

    #[test]
    fn gbk_bytes_are_decoded() {
        let (bytes, _, had_errors) = encoding_rs::GBK.encode("评论内容,城市\n很好用,北京\n");
        assert!(!had_errors);
        assert!(std::str::from_utf8(&bytes).is_err());
        let m = mapping(&["text=评论内容", "attr.city=城市"]);
        let r = parse_csv(&bytes, &m, "excel", cst(), now()).unwrap();
        assert_eq!(r.accepted.len(), 1);
        assert_eq!(r.accepted[0].text.as_str(), "很好用");
        assert_eq!(r.accepted[0].attributes["city"], "北京");
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "评论\t评分\r\n很好\t5\r\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let m = mapping(&["text=评论", "csat=评分"]);
        let r = parse_csv(&bytes, &m, "x", cst(), now()).unwrap();
        assert_eq!(r.accepted.len(), 1);
        assert_eq!(r.accepted[0].scores.csat, Some(5));
    }

    #[test]
    fn excel_sep_line() {
        let csv = "sep=;\ntext;city\n你好, 世界;杭州\n";
        let m = mapping(&["text=text", "attr.city=city"]);
        let r = parse_csv(csv.as_bytes(), &m, "x", cst(), now()).unwrap();
        assert_eq!(r.accepted[0].text.as_str(), "你好, 世界");
        assert_eq!(r.accepted[0].context["row"], 2);
    }

    #[test]
    fn file_level_errors() {
        let m = mapping(&["text=评论内容", "attr.city=城市"]);
        let err =
            parse_csv("评论内容,省份\n好,浙江\n".as_bytes(), &m, "x", cst(), now()).unwrap_err();
        assert_eq!(err.field, "map");
        assert!(err.message.contains("城市"));
        assert!(err.message.contains("省份"));

        let err = parse_csv(b"a,b\n1,2\n", &mapping(&["text=#3"]), "x", cst(), now()).unwrap_err();
        assert_eq!(err.field, "map");

        let err = parse_csv(b"", &m, "x", cst(), now()).unwrap_err();
        assert_eq!(err.field, "file");
        let err = parse_csv(b"PK\x03\x04rest", &m, "x", cst(), now()).unwrap_err();
        assert_eq!(err.field, "file");
        let err = parse_csv(b"\x00\x01\x02", &m, "x", cst(), now()).unwrap_err();
        assert_eq!(err.field, "file");
        let err = parse_csv(b"\xEF\xBB\xBF\xFF", &m, "x", cst(), now()).unwrap_err();
        assert_eq!(err.field, "file");
    }

    #[test]
    fn header_only_file_is_empty_report() {
        let m = mapping(&["text=评论"]);
        let r = parse_csv("评论\n".as_bytes(), &m, "x", cst(), now()).unwrap();
        assert!(r.accepted.is_empty() && r.rejected.is_empty());
    }

    #[test]
    fn too_many_rows() {
        let mut csv = String::from("t\n");
        csv.push_str(&"x\n".repeat(MAX_ROWS + 1));
        let err = parse_csv(csv.as_bytes(), &mapping(&["text=t"]), "x", cst(), now()).unwrap_err();
        assert_eq!(err.field, "file");
    }

    #[test]
    fn dedupe_keys() {
        let csv = "评论,城市\n很好,北京\n很好,上海\n";
        let m = mapping(&["text=评论", "attr.city=城市"]);
        let r1 = parse_csv(csv.as_bytes(), &m, "x", cst(), now()).unwrap();
        let r2 = parse_csv(csv.as_bytes(), &m, "x", cst(), now()).unwrap();
        let k1: Vec<_> = r1.accepted.iter().map(|f| f.external_id.clone()).collect();
        let k2: Vec<_> = r2.accepted.iter().map(|f| f.external_id.clone()).collect();
        assert_eq!(k1, k2, "re-importing gives the same keys");
        assert_ne!(k1[0], k1[1], "different mapped values, different keys");
        let k = k1[0].clone().unwrap();
        assert_eq!(k.len(), 64);
        assert!(k.bytes().all(|b| b.is_ascii_hexdigit()));

        // An id column wins; an empty id falls back to the hash; an absurd id rejects the row.
        let long = "9".repeat(300);
        let csv = format!("id,评论\nA-1,好\n,好\n{long},好\n");
        let m = mapping(&["text=评论", "external_id=id"]);
        let r = parse_csv(csv.as_bytes(), &m, "x", cst(), now()).unwrap();
        assert_eq!(r.accepted[0].external_id.as_deref(), Some("A-1"));
        assert_eq!(
            r.accepted[1].external_id.as_ref().map(|s| s.len()),
            Some(64)
        );
        assert_eq!(rows(&r), vec![4]);
    }

    #[test]
    fn oversized_text_is_rejected() {
        let csv = format!("t\n{}\nok\n", "长".repeat(10_001));
        let r = parse_csv(csv.as_bytes(), &mapping(&["text=t"]), "x", cst(), now()).unwrap();
        assert_eq!(rows(&r), vec![2]);
        assert_eq!(r.accepted.len(), 1);
    }

    #[test]
    fn score_cells() {
        assert_eq!(parse_cell_score("9", 0, 10), Ok(Some(9)));
        assert_eq!(parse_cell_score(" 10.0 ", 0, 10), Ok(Some(10)));
        assert_eq!(parse_cell_score("4分", 1, 5), Ok(Some(4)));
        assert_eq!(parse_cell_score("5星", 1, 5), Ok(Some(5)));
        assert_eq!(parse_cell_score("★★☆☆☆", 1, 5), Ok(Some(2)));
        assert_eq!(parse_cell_score("(跳过)", 0, 10), Ok(None));
        assert_eq!(parse_cell_score("N/A", 0, 10), Ok(None));
        assert!(parse_cell_score("11", 0, 10).is_err());
        assert!(parse_cell_score("4.5", 1, 5).is_err());
        assert!(parse_cell_score("☆☆☆☆☆", 1, 5).is_err());
        assert!(parse_cell_score("很好", 1, 5).is_err());
    }

    #[test]
    fn date_formats() {
        let utc = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
        let p = |s: &str| parse_datetime(s, cst());
        assert_eq!(
            p("2024-05-01T14:30:00+08:00"),
            Some(utc(2024, 5, 1, 6, 30, 0))
        );
        assert_eq!(p("2024-05-01T06:30:00Z"), Some(utc(2024, 5, 1, 6, 30, 0)));
        assert_eq!(p("2024-05-01 14:30"), Some(utc(2024, 5, 1, 6, 30, 0)));
        assert_eq!(p("2024-05-01 14:30:15"), Some(utc(2024, 5, 1, 6, 30, 15)));
        assert_eq!(p("2024-05-01T14:30:15"), Some(utc(2024, 5, 1, 6, 30, 15)));
        assert_eq!(p("2024/05/01 14:30:00"), Some(utc(2024, 5, 1, 6, 30, 0)));
        assert_eq!(p("2024/5/1 9:05"), Some(utc(2024, 5, 1, 1, 5, 0)));
        assert_eq!(p("2024-05-01"), Some(utc(2024, 4, 30, 16, 0, 0)));
        assert_eq!(p("2024/5/1"), Some(utc(2024, 4, 30, 16, 0, 0)));
        assert_eq!(p("2024年05月01日 14:30"), Some(utc(2024, 5, 1, 6, 30, 0)));
        assert_eq!(p("2024年5月1日"), Some(utc(2024, 4, 30, 16, 0, 0)));
        assert_eq!(
            p("2024-05-01 14:30:15.250").map(|t| t.timestamp_millis()),
            Some(utc(2024, 5, 1, 6, 30, 15).timestamp_millis() + 250)
        );
        assert_eq!(
            parse_datetime("2024-05-01 14:30", FixedOffset::east_opt(0).unwrap()),
            Some(utc(2024, 5, 1, 14, 30, 0))
        );
        for bad in [
            "",
            "昨天",
            "2024-13-01",
            "2024-02-30",
            "24/05/01",
            "0001-01-01",
            "2024-05-01 25:00",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn delimiter_detection() {
        assert_eq!(detect_delimiter("a,b,c\n"), b',');
        assert_eq!(detect_delimiter("a;b;c\n1,2"), b';');
        assert_eq!(detect_delimiter("a\tb\n"), b'\t');
        assert_eq!(detect_delimiter("\"x;y;z\",b\n"), b',');
        assert_eq!(detect_delimiter("单列"), b',');
    }

    #[test]
    fn never_panics_on_odd_input() {
        let m = mapping(&["text=#1", "nps=#2", "occurred_at=#3"]);
        for input in [
            &b"a,b,c\n\"unterminated"[..],
            b"a,b,c\n\"x\"y\",1,2\n",
            b"sep=\n",
            b"sep=",
            b"\r\r\r",
            b"a,b,c\n,,,,,,,\n",
            b"\xFF\xFE\x00",
            b"\xFE\xFF\xD8\x00",
        ] {
            let _ = parse_csv(input, &m, "x", cst(), now());
        }
    }
}
