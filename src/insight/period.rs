//! Calendar periods (day, ISO week, month) in the workspace time zone, keyed by strings such
//! as "2026-11-16", "2026-W47" and "2026-11".

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Size of a reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Day,
    Week,
    Month,
}

/// Key of the period containing `t`, as seen in zone `tz`: "YYYY-MM-DD", "YYYY-Www" (ISO week,
/// Monday start, ISO week-year) or "YYYY-MM".
pub fn period_key(t: DateTime<Utc>, tz: Tz, g: Granularity) -> String {
    format_key(t.with_timezone(&tz).date_naive(), g)
}

/// UTC bounds `[start, end)` of the period `key` in zone `tz`. `None` for a malformed key.
pub fn period_bounds(key: &str, tz: Tz, g: Granularity) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = parse_key(key, g)?;
    let end = next_start(start, g)?;
    Some((local_midnight(start, tz)?, local_midnight(end, tz)?))
}

/// Key of the period just before `key`. `None` for a malformed key.
pub fn previous(key: &str, g: Granularity) -> Option<String> {
    let start = parse_key(key, g)?;
    let prev = match g {
        Granularity::Day => start.pred_opt()?,
        Granularity::Week => start.checked_sub_signed(Duration::days(7))?,
        Granularity::Month => start.pred_opt()?.with_day(1)?,
    };
    Some(format_key(prev, g))
}

/// Keys of every period that overlaps `[from, to)`, oldest first (at most `limit`).
pub fn periods_between(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    tz: Tz,
    g: Granularity,
    limit: usize,
) -> Vec<String> {
    let mut keys = Vec::new();
    let mut key = period_key(from, tz, g);
    while keys.len() < limit {
        let Some((start, end)) = period_bounds(&key, tz, g) else {
            break;
        };
        if start >= to {
            break;
        }
        keys.push(key);
        key = period_key(end, tz, g);
    }
    keys
}

/// Display label: `2026年第47周`, `2026年11月16日`, `2026年11月`.
pub fn label(key: &str, g: Granularity) -> String {
    let Some(start) = parse_key(key, g) else {
        return key.to_owned();
    };
    match g {
        Granularity::Day => format!("{}年{}月{}日", start.year(), start.month(), start.day()),
        Granularity::Week => {
            let w = start.iso_week();
            format!("{}年第{}周", w.year(), w.week())
        }
        Granularity::Month => format!("{}年{}月", start.year(), start.month()),
    }
}

/// Key of the period containing the local date `d`.
fn format_key(d: NaiveDate, g: Granularity) -> String {
    match g {
        Granularity::Day => d.format("%Y-%m-%d").to_string(),
        Granularity::Week => {
            let w = d.iso_week();
            format!("{:04}-W{:02}", w.year(), w.week())
        }
        Granularity::Month => d.format("%Y-%m").to_string(),
    }
}

/// First local date of the period `key`; rejects anything that does not round-trip exactly.
fn parse_key(key: &str, g: Granularity) -> Option<NaiveDate> {
    let start = match g {
        Granularity::Day => NaiveDate::parse_from_str(key, "%Y-%m-%d").ok()?,
        Granularity::Week => {
            let (year, week) = key.split_once("-W")?;
            NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, Weekday::Mon)?
        }
        Granularity::Month => {
            let (year, month) = key.split_once('-')?;
            NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)?
        }
    };
    (format_key(start, g) == key).then_some(start)
}

/// First local date of the following period.
fn next_start(d: NaiveDate, g: Granularity) -> Option<NaiveDate> {
    match g {
        Granularity::Day => d.succ_opt(),
        Granularity::Week => d.checked_add_signed(Duration::days(7)),
        Granularity::Month => {
            let (y, m) = if d.month() == 12 {
                (d.year() + 1, 1)
            } else {
                (d.year(), d.month() + 1)
            };
            NaiveDate::from_ymd_opt(y, m, 1)
        }
    }
}

/// The instant local day `d` begins in `tz`; if midnight falls in a DST gap, the first
/// existing local time after it (searched in 15-minute steps).
fn local_midnight(d: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    let mut local = d.and_hms_opt(0, 0, 0)?;
    for _ in 0..=96 {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                return Some(t.with_timezone(&Utc))
            }
            LocalResult::None => local += Duration::minutes(15),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America::New_York, America::Sao_Paulo, Asia::Shanghai, UTC};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn keys_for_each_granularity() {
        let t = utc("2026-11-16T10:00:00Z");
        assert_eq!(period_key(t, UTC, Granularity::Day), "2026-11-16");
        assert_eq!(period_key(t, UTC, Granularity::Week), "2026-W47");
        assert_eq!(period_key(t, UTC, Granularity::Month), "2026-11");
    }

    #[test]
    fn iso_weeks_around_year_end() {
        // 2026 starts on a Thursday, so it has 53 ISO weeks; 2027-01-01 still belongs to it.
        let wk = |s| period_key(utc(s), UTC, Granularity::Week);
        assert_eq!(wk("2026-12-31T12:00:00Z"), "2026-W53");
        assert_eq!(wk("2027-01-01T12:00:00Z"), "2026-W53");
        assert_eq!(wk("2027-01-03T23:59:59Z"), "2026-W53");
        assert_eq!(wk("2027-01-04T00:00:00Z"), "2027-W01");
        assert_eq!(previous("2027-W01", Granularity::Week).unwrap(), "2026-W53");

        // 2020-W53: Monday 2020-12-28 to Sunday 2021-01-03.
        let (start, end) = period_bounds("2020-W53", UTC, Granularity::Week).unwrap();
        assert_eq!(start, utc("2020-12-28T00:00:00Z"));
        assert_eq!(end, utc("2021-01-04T00:00:00Z"));
        assert_eq!(previous("2021-W01", Granularity::Week).unwrap(), "2020-W53");
        assert_eq!(period_bounds("2021-W53", UTC, Granularity::Week), None);
    }

    #[test]
    fn periods_between_walks_whole_periods() {
        let keys = periods_between(
            utc("2026-11-10T00:00:00Z"),
            utc("2026-11-24T00:00:00Z"),
            UTC,
            Granularity::Week,
            100,
        );
        assert_eq!(keys, ["2026-W46", "2026-W47", "2026-W48"]);
        assert_eq!(label("2026-W47", Granularity::Week), "2026年第47周");
        assert_eq!(label("2026-11-16", Granularity::Day), "2026年11月16日");
    }

    #[test]
    fn shanghai_midnight() {
        // Shanghai is UTC+8: local midnight of 2026-11-16 is 16:00 UTC the day before.
        let day = |s| period_key(utc(s), Shanghai, Granularity::Day);
        assert_eq!(day("2026-11-15T15:59:59Z"), "2026-11-15");
        assert_eq!(day("2026-11-15T16:00:00Z"), "2026-11-16");
        assert_eq!(
            period_key(utc("2026-11-15T16:00:00Z"), Shanghai, Granularity::Week),
            "2026-W47"
        );
        assert_eq!(
            period_key(utc("2026-11-15T15:59:59Z"), Shanghai, Granularity::Week),
            "2026-W46"
        );
        let (start, end) = period_bounds("2026-11-16", Shanghai, Granularity::Day).unwrap();
        assert_eq!(start, utc("2026-11-15T16:00:00Z"));
        assert_eq!(end, utc("2026-11-16T16:00:00Z"));
        let (start, end) = period_bounds("2027-01", Shanghai, Granularity::Month).unwrap();
        assert_eq!(start, utc("2026-12-31T16:00:00Z"));
        assert_eq!(end, utc("2027-01-31T16:00:00Z"));
    }

    #[test]
    fn month_and_day_bounds_and_previous() {
        let (start, end) = period_bounds("2026-12", UTC, Granularity::Month).unwrap();
        assert_eq!(start, utc("2026-12-01T00:00:00Z"));
        assert_eq!(end, utc("2027-01-01T00:00:00Z"));
        assert_eq!(previous("2026-01", Granularity::Month).unwrap(), "2025-12");
        assert_eq!(previous("2026-03", Granularity::Month).unwrap(), "2026-02");
        assert_eq!(
            previous("2027-01-01", Granularity::Day).unwrap(),
            "2026-12-31"
        );
        assert_eq!(
            previous("2024-03-01", Granularity::Day).unwrap(),
            "2024-02-29"
        );
    }

    #[test]
    fn dst_days_have_true_length() {
        // New York springs forward on 2026-03-08: that local day lasts 23 hours.
        let (start, end) = period_bounds("2026-03-08", New_York, Granularity::Day).unwrap();
        assert_eq!(start, utc("2026-03-08T05:00:00Z"));
        assert_eq!(end - start, Duration::hours(23));
        // São Paulo skipped midnight on 2018-11-04 (00:00 → 01:00): day starts at 01:00 local.
        let (start, _) = period_bounds("2018-11-04", Sao_Paulo, Granularity::Day).unwrap();
        assert_eq!(start, utc("2018-11-04T03:00:00Z"));
    }

    #[test]
    fn malformed_keys_are_rejected() {
        assert_eq!(period_bounds("2026-13", UTC, Granularity::Month), None);
        assert_eq!(period_bounds("2026-W54", UTC, Granularity::Week), None);
        assert_eq!(period_bounds("2026-W5", UTC, Granularity::Week), None);
        assert_eq!(period_bounds("2026-1-5", UTC, Granularity::Day), None);
        assert_eq!(period_bounds("2026-02-30", UTC, Granularity::Day), None);
        assert_eq!(period_bounds("garbage", UTC, Granularity::Day), None);
        assert_eq!(previous("2026-11-16", Granularity::Month), None);
    }
}
