//! What the overview pages look at: a period (the last 7 days, the last 30 days, or dates
//! chosen) compared with the one just before it, and optionally one segment of the feedback
//! (a channel, a source, or a respondent attribute's value). Read from the page's query string
//! and written back into links, so a chart, a pain point and its feedback all show the same
//! slice.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::Serialize;

use crate::domain::names::channel_name;
use crate::domain::Channel;
use crate::insight::period::Granularity;
use crate::insight::Segment;

/// The longest custom range a page computes over.
const MAX_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Span {
    Week,
    Month,
    Custom,
}

/// A period, the period before it, and the segment, as a page uses them.
#[derive(Debug, Clone)]
pub struct Scope {
    pub span: Span,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub previous_from: DateTime<Utc>,
    pub segment: Option<Segment>,
    /// The dates as the picker shows them (the last day included).
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    /// What was wrong with the query, said in Chinese; the page falls back to the last 7 days.
    pub problem: Option<String>,
}

fn midnight(d: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0)
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// Reads `seg`: `channel:survey`, `source:ID`, `attr:KEY=VALUE`.
pub fn parse_segment(raw: &str) -> Option<Segment> {
    let (kind, rest) = raw.split_once(':')?;
    match kind {
        "channel" => Channel::parse(rest).map(|c| Segment::Channel(c.as_str().to_owned())),
        "source" if !rest.is_empty() && rest.len() <= 100 => Some(Segment::Source(rest.to_owned())),
        "attr" => {
            let (k, v) = rest.split_once('=')?;
            (crate::insight::is_plain_key(k) && !v.is_empty() && v.len() <= 200)
                .then(|| Segment::Attr(k.to_owned(), v.to_owned()))
        }
        _ => None,
    }
}

/// The `seg` value of a segment.
pub fn segment_param(s: &Segment) -> String {
    match s {
        Segment::Channel(c) => format!("channel:{c}"),
        Segment::Source(id) => format!("source:{id}"),
        Segment::Attr(k, v) => format!("attr:{k}={v}"),
    }
}

impl Scope {
    /// From the page's query pairs; unknown keys are left to the page.
    pub fn parse(pairs: &[(String, String)], now: DateTime<Utc>, tz: chrono_tz::Tz) -> Self {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        let mut problem = None;
        let segment = match get("seg") {
            None => None,
            Some(raw) => {
                let s = parse_segment(raw);
                if s.is_none() {
                    problem = Some("无法识别所选的人群，已显示全部反馈。".to_owned());
                }
                s
            }
        };
        let today = now.with_timezone(&tz).date_naive();
        let span = match get("period") {
            Some("month") => Span::Month,
            Some("custom") => Span::Custom,
            _ => Span::Week,
        };
        let rolling = |days: i64, span: Span| Scope {
            span,
            from: now - Duration::days(days),
            to: now,
            previous_from: now - Duration::days(2 * days),
            segment: segment.clone(),
            from_date: (now - Duration::days(days)).with_timezone(&tz).date_naive(),
            to_date: today,
            problem: None,
        };
        let mut scope = match span {
            Span::Week => rolling(7, Span::Week),
            Span::Month => rolling(30, Span::Month),
            Span::Custom => {
                let date = |k| get(k).and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok());
                match (date("from"), date("to")) {
                    (Some(a), Some(b)) if a <= b && (b - a).num_days() < MAX_DAYS => {
                        let (from, to) = (midnight(a, tz), midnight(b + Duration::days(1), tz));
                        Scope {
                            span,
                            from,
                            to,
                            previous_from: from - (to - from),
                            segment: segment.clone(),
                            from_date: a,
                            to_date: b,
                            problem: None,
                        }
                    }
                    _ => {
                        problem = Some(format!(
                            "自定义时间需要开始和结束日期，开始不晚于结束，最长 {MAX_DAYS} 天；已显示近 7 天。"
                        ));
                        rolling(7, Span::Week)
                    }
                }
            }
        };
        scope.problem = problem;
        scope
    }

    /// How the charts bucket this period: days for up to a month, weeks up to half a year.
    pub fn granularity(&self) -> Granularity {
        match (self.to - self.from).num_days() {
            0..=45 if self.span == Span::Custom => Granularity::Day,
            _ if self.span == Span::Custom && (self.to - self.from).num_days() <= 190 => {
                Granularity::Week
            }
            _ if self.span == Span::Custom => Granularity::Month,
            _ => Granularity::Week,
        }
    }

    /// Where the charts start: eight weeks (week), a quarter (month), or the custom range.
    pub fn chart_from(&self) -> DateTime<Utc> {
        match self.span {
            Span::Week => self.to - Duration::weeks(8),
            Span::Month => self.to - Duration::weeks(13),
            Span::Custom => self.from,
        }
    }

    /// The query string that keeps this scope in a link (`period=…&seg=…`).
    pub fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![(
            "period",
            match self.span {
                Span::Week => "week",
                Span::Month => "month",
                Span::Custom => "custom",
            }
            .to_owned(),
        )];
        if self.span == Span::Custom {
            pairs.push(("from", self.from_date.to_string()));
            pairs.push(("to", self.to_date.to_string()));
        }
        if let Some(s) = &self.segment {
            pairs.push(("seg", segment_param(s)));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The inbox's own filters for the same slice (RFC 3339 `from`/`to`, and the segment).
    pub fn inbox_pairs(&self) -> Vec<(String, String)> {
        let t = |d: DateTime<Utc>| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut pairs = vec![
            ("from".to_owned(), t(self.from)),
            ("to".to_owned(), t(self.to)),
        ];
        match &self.segment {
            Some(Segment::Channel(c)) => pairs.push(("channel".into(), c.clone())),
            Some(Segment::Source(s)) => pairs.push(("source".into(), s.clone())),
            Some(Segment::Attr(k, v)) => pairs.push((format!("attr.{k}"), v.clone())),
            None => {}
        }
        pairs
    }

    /// The period in words: 近 7 天（11/29–12/6）.
    pub fn label(&self) -> String {
        let days = format!(
            "{}–{}",
            self.from_date.format("%-m/%-d"),
            self.to_date.format("%-m/%-d")
        );
        match self.span {
            Span::Week => format!("近 7 天（{days}）"),
            Span::Month => format!("近 30 天（{days}）"),
            Span::Custom => days,
        }
    }

    /// The segment in words, for the page's heading.
    pub fn segment_label(&self, source_name: impl Fn(&str) -> Option<String>) -> Option<String> {
        self.segment.as_ref().map(|s| match s {
            Segment::Channel(c) => Channel::parse(c)
                .map(channel_name)
                .unwrap_or(c.as_str())
                .to_owned(),
            Segment::Source(id) => source_name(id).unwrap_or_else(|| id.clone()),
            Segment::Attr(k, v) => format!("{k} = {v}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(q).unwrap()
    }

    #[test]
    fn custom_dates_include_the_last_day_and_compare_with_as_many_days_before() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 2, 0, 0).unwrap();
        let s = Scope::parse(
            &pairs("period=custom&from=2026-11-01&to=2026-11-30&seg=attr:plan%3Dpro"),
            now,
            chrono_tz::Asia::Shanghai,
        );
        assert_eq!(
            s.from,
            Utc.with_ymd_and_hms(2026, 10, 31, 16, 0, 0).unwrap()
        );
        assert_eq!(s.to, Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap());
        assert_eq!(s.previous_from, s.from - Duration::days(30));
        assert_eq!(s.segment, Some(Segment::Attr("plan".into(), "pro".into())));
        assert!(s.problem.is_none());
        let back = Scope::parse(&pairs(&s.query()), now, chrono_tz::Asia::Shanghai);
        assert_eq!(
            (back.from, back.to, back.segment),
            (s.from, s.to, s.segment)
        );
    }

    #[test]
    fn a_bad_range_or_segment_falls_back_and_says_so() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 2, 0, 0).unwrap();
        let s = Scope::parse(
            &pairs("period=custom&from=2026-12-01&to=2026-11-01"),
            now,
            chrono_tz::Asia::Shanghai,
        );
        assert_eq!(s.span, Span::Week);
        assert!(s.problem.is_some());
        assert_eq!(parse_segment("attr:bad key=1"), None);
        assert_eq!(parse_segment("channel:nope"), None);
        assert_eq!(
            parse_segment("channel:social"),
            Some(Segment::Channel("social".into()))
        );
    }
}
