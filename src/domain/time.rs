//! Times as other tools write them: RFC 3339, `YYYY-MM-DD HH:MM:SS` (or with `/`, or a `T`)
//! in the workspace's zone, epoch seconds or milliseconds, as numbers or as strings. One
//! reader for every channel that takes another tool's time.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;

/// Earliest and latest times taken: older or later ones are somebody's mistake (a year 0, a
/// time in milliseconds read as seconds), not a time feedback was given.
const EARLIEST: i64 = 946_684_800; // 2000-01-01T00:00:00Z
const LATEST: i64 = 4_102_444_800; // 2100-01-01T00:00:00Z

/// The window a feedback item's `occurred_at` must fall in: from 2000-01-01T00:00:00Z to one
/// day after `now` (a sender's clock a little ahead, a zone mistaken). Outside it a time is a
/// mistake, not when feedback was given, and past year 9999 or before year 0 it cannot even
/// be printed as RFC 3339 or compared as text (SQLite's time filters).
pub fn occurred_within(t: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    t.timestamp() >= EARLIEST && t <= now + chrono::Duration::days(1)
}

/// What [`occurred_within`] requires, for field errors.
pub const OCCURRED_WINDOW: &str = "must be from 2000-01-01T00:00:00Z to one day after now";

/// A time given as JSON: a string in any of the forms above, or a number of epoch seconds or
/// milliseconds. A local time without an offset is read in `tz`. `None` when it reads as none
/// of them, or falls outside 2000–2100.
pub fn parse_time(value: &Value, tz: Tz) -> Option<DateTime<Utc>> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .and_then(from_epoch),
        Value::String(s) => parse_time_str(s, tz),
        _ => None,
    }
    .filter(|t| (EARLIEST..LATEST).contains(&t.timestamp()))
}

/// [`parse_time`] for a string.
pub fn parse_time_str(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok().and_then(from_epoch);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // `2026-11-20 08:30:05+08:00`, `…Z` with a space instead of `T`.
    if let Ok(t) = DateTime::parse_from_rfc3339(&s.replacen(' ', "T", 1)) {
        return Some(t.with_timezone(&Utc));
    }
    let normalized = s.replace('/', "-").replacen('T', " ", 1);
    let local = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&normalized, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(&normalized, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    // A local time a DST change skipped or repeated takes its earliest reading.
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Epoch seconds, or milliseconds when the number is too large to be seconds of this era.
fn from_epoch(n: i64) -> Option<DateTime<Utc>> {
    // unsigned_abs: i64::MIN (a huge negative float saturates to it) has no i64 absolute value.
    if n.unsigned_abs() >= 100_000_000_000 {
        DateTime::from_timestamp_millis(n)
    } else {
        DateTime::from_timestamp(n, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn numbers_at_the_ends_of_i64_are_no_time_not_an_overflow() {
        for v in [
            json!(i64::MIN),
            json!(i64::MAX),
            json!(-1e308),
            json!(1e308),
        ] {
            assert_eq!(parse_time(&v, chrono_tz::UTC), None, "{v}");
        }
    }

    #[test]
    fn occurred_at_stays_in_its_window() {
        let now = at("2026-12-06T12:00:00Z");
        assert!(occurred_within(at("2000-01-01T00:00:00Z"), now));
        assert!(occurred_within(at("2026-12-07T11:59:59Z"), now));
        assert!(!occurred_within(at("2026-12-07T12:00:01Z"), now));
        assert!(!occurred_within(at("1999-12-31T23:59:59Z"), now));
        assert!(!occurred_within(DateTime::<Utc>::MAX_UTC, now));
        assert!(!occurred_within(DateTime::<Utc>::MIN_UTC, now));
    }

    #[test]
    fn reads_what_tools_send() {
        let sh = chrono_tz::Asia::Shanghai;
        let want = at("2026-11-20T08:30:05+08:00");
        for v in [
            json!("2026-11-20T08:30:05+08:00"),
            json!("2026-11-20T00:30:05Z"),
            json!("2026-11-20T00:30:05.000Z"),
            json!("2026-11-20 08:30:05"),
            json!("2026/11/20 08:30:05"),
            json!("2026-11-20T08:30:05"),
            json!("2026-11-20 00:30:05Z"),
            json!(1_795_134_605),
            json!("1795134605"),
            json!(1_795_134_605_000i64),
            json!("1795134605000"),
        ] {
            assert_eq!(parse_time(&v, sh), Some(want), "{v}");
        }
        assert_eq!(
            parse_time(&json!("2026-11-20"), sh),
            Some(at("2026-11-20T00:00:00+08:00"))
        );
    }

    #[test]
    fn refuses_what_is_not_a_time_of_this_era() {
        let sh = chrono_tz::Asia::Shanghai;
        for v in [
            json!("yesterday"),
            json!(""),
            json!(null),
            json!(true),
            json!("10000-01-01T00:00:00Z"),
            json!("0001-01-01 00:00:00"),
            json!(12),
            json!(1.5),
        ] {
            assert_eq!(parse_time(&v, sh), None, "{v}");
        }
    }
}
