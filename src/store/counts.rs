//! What the SQLite writer adds to the counters for the rows it inserts.
//!
//! The counters (`feedback_tally`, `pain_point_tally`, `insight_day_seq`,
//! `survey_answer_tally`) are kept by triggers (migrations `m20261206_000012_survey_tally` and
//! `m20261206_000013_insight_tally`): on every connection but one, each inserted row upserts
//! its counter row and marks its day. Under batches of items those upserts took a tenth of the
//! SQLite writer's time, and the writer is what limits ingest. Its own connection therefore
//! runs no triggers (`lite.rs`): it sums here the shares of the rows it inserted, by the
//! triggers' rules, and adds them with one upsert per counter row and statement.
//! `writer::tests::the_writer_counts_as_the_triggers_do` holds the two to the same counts, and
//! `writer::tests::every_trigger_the_writer_skips_it_counts_itself` holds the schema to
//! [`SKIPPED`].

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use migration::INSIGHT_COUNTERS as INSIGHT;
use sea_orm::{DbBackend, Statement, Value};

use super::error::StoreResult;
use super::exec::Exec;
use super::lite::rfc3339;
use super::sizes::pieces_owned;
use crate::domain::NewFeedback;

/// The insert triggers whose work [`Counts`] does, by table: the only triggers of the tables
/// the writer inserts into, which are the only ones it writes but for `webhook_delivery` and
/// `feedback_keyword` (none there).
#[cfg(test)]
pub(super) const SKIPPED: [(&str, &str); 5] = [
    ("feedback", "feedback_tally_insert"),
    ("feedback_pain_point", "pain_point_tally_insert"),
    ("survey_response", "response_tally_insert"),
    ("survey_response", "survey_response_tally_insert"),
    ("survey_answer", "survey_answer_tally_insert"),
];

/// Counter rows of one statement's worth of a table, at most: well under SQLite's bound
/// parameters with 18 a row.
const ROWS: usize = 256;

/// Shares summed per counter row, to add once the rows they count are inserted.
#[derive(Default)]
pub(super) struct Counts {
    /// (workspace, hour, channel, source) → `feedback_tally`'s counters.
    insight: HashMap<[String; 4], [i64; 14]>,
    /// (workspace, hour, category, channel) → items.
    pains: HashMap<[String; 4], i64>,
    /// (workspace, day) → rows inserted that day: `insight_day_seq` grows by them.
    days: HashMap<[String; 2], i64>,
    /// (workspace, survey, question, value, hour) → (answers, responses).
    answers: HashMap<[String; 5], (i64, i64)>,
}

/// The first `n` characters of a time as the writer stores it: SQLite's `substr(t, 1, n)`,
/// which is how the triggers read hours (13) and days (10).
fn prefix(t: &DateTime<Utc>, n: usize) -> String {
    let mut text = rfc3339(t);
    text.truncate(n);
    text
}

/// A survey's channel as the triggers tell it: `survey_id LIKE 'sv_%'` (SQLite's `LIKE`:
/// ASCII letters in either case, `_` any one character) is a hosted survey.
fn survey_channel(survey_id: &str) -> &'static str {
    let mut c = survey_id.chars();
    let hosted = matches!(c.next(), Some('s' | 'S'))
        && matches!(c.next(), Some('v' | 'V'))
        && c.next().is_some();
    if hosted {
        "survey"
    } else {
        "webhook"
    }
}

/// The scores' eight counters (promoters … `ces_sum_sq`) of one row.
fn scores(nps: Option<i16>, csat: Option<i16>, ces: Option<i16>) -> [i64; 8] {
    let ces = ces.map(i64::from);
    [
        i64::from(nps.is_some_and(|n| n >= 9)),
        i64::from(nps.is_some_and(|n| (7..=8).contains(&n))),
        i64::from(nps.is_some_and(|n| n <= 6)),
        i64::from(csat.is_some()),
        i64::from(csat.is_some_and(|c| c >= 4)),
        i64::from(ces.is_some()),
        ces.unwrap_or(0),
        ces.map_or(0, |c| c * c),
    ]
}

impl Counts {
    /// A feedback row inserted for `item` of `workspace_id`, and its pain-point rows.
    pub(super) fn item(&mut self, workspace_id: &str, item: &NewFeedback) {
        let a = item.analysis.as_ref();
        let sentiment = a.map(|a| a.sentiment.as_str());
        let pains = a.map_or(&[][..], |a| &a.pain_points[..]);
        let is = |s: &str| i64::from(sentiment == Some(s));
        let mut share = [0; 14];
        share[..6].copy_from_slice(&[
            1,
            i64::from(sentiment.is_some_and(|s| s != "unknown")),
            is("positive"),
            is("negative"),
            is("mixed"),
            i64::from(matches!(sentiment, Some("negative" | "mixed")) || !pains.is_empty()),
        ]);
        if item.response_id.is_none() {
            let s = &item.scores;
            share[6..].copy_from_slice(&scores(s.nps, s.csat, s.ces));
        }
        let hour = prefix(&item.occurred_at, 13);
        let channel = item.channel.as_str();
        let key = [
            workspace_id.to_owned(),
            hour.clone(),
            channel.to_owned(),
            item.source_id.clone().unwrap_or_default(),
        ];
        sum_into(self.insight.entry(key).or_default(), &share);
        for category in pains {
            let key = [
                workspace_id.to_owned(),
                hour.clone(),
                category.clone(),
                channel.to_owned(),
            ];
            *self.pains.entry(key).or_default() += 1;
        }
        self.day(workspace_id, &hour, 1 + pains.len() as i64);
    }

    /// A survey response of `survey_id` inserted at `now` (`rows::insert_responses`): its scores
    /// (NPS, CSAT, CES; it occurred `now`) and its count among the survey's responses.
    pub(super) fn response(
        &mut self,
        workspace_id: &str,
        survey_id: &str,
        [nps, csat, ces]: [Option<i16>; 3],
        now: DateTime<Utc>,
    ) {
        let hour = prefix(&now, 13);
        if nps.is_some() || csat.is_some() || ces.is_some() {
            let mut share = [0; 14];
            share[6..].copy_from_slice(&scores(nps, csat, ces));
            let key = [
                workspace_id.to_owned(),
                hour.clone(),
                survey_channel(survey_id).to_owned(),
                survey_id.to_owned(),
            ];
            sum_into(self.insight.entry(key).or_default(), &share);
            self.day(workspace_id, &hour, 1);
        }
        let key = [
            workspace_id.to_owned(),
            survey_id.to_owned(),
            String::new(),
            String::new(),
            hour,
        ];
        let e = self.answers.entry(key).or_default();
        e.0 += 1;
        e.1 += 1;
    }

    /// A `survey_answer` row inserted.
    pub(super) fn answer(&mut self, key: [&str; 4], ordinal: i32, received_at: &DateTime<Utc>) {
        let [workspace_id, survey_id, question_id, value] = key;
        let key = [
            workspace_id.to_owned(),
            survey_id.to_owned(),
            question_id.to_owned(),
            value.to_owned(),
            prefix(received_at, 13),
        ];
        let e = self.answers.entry(key).or_default();
        e.0 += 1;
        e.1 += i64::from(ordinal == 0);
    }

    fn day(&mut self, workspace_id: &str, hour: &str, rows: i64) {
        let day = hour.get(..10).unwrap_or(hour).to_owned();
        *self.days.entry([workspace_id.to_owned(), day]).or_default() += rows;
    }

    /// Adds the sums to their counter rows, in `conn`'s transaction, and starts again.
    pub(super) async fn add<C: Exec>(&mut self, conn: &C) -> StoreResult<()> {
        let insight: Vec<Vec<Value>> = self
            .insight
            .drain()
            .map(|(key, n)| row(key, n.iter().copied()))
            .collect();
        upsert(
            conn,
            "feedback_tally",
            "workspace_id, hour, channel, source",
            || {
                let sets: Vec<String> = INSIGHT
                    .iter()
                    .map(|c| format!("{c} = {c} + excluded.{c}"))
                    .collect();
                sets.join(", ")
            },
            insight,
        )
        .await?;
        let pains: Vec<Vec<Value>> = self.pains.drain().map(|(k, n)| row(k, [n])).collect();
        upsert(
            conn,
            "pain_point_tally",
            "workspace_id, hour, category, channel",
            || "items = items + excluded.items".into(),
            pains,
        )
        .await?;
        let answers: Vec<Vec<Value>> = self
            .answers
            .drain()
            .map(|(k, (a, r))| row(k, [a, r]))
            .collect();
        upsert(
            conn,
            "survey_answer_tally",
            "workspace_id, survey_id, question_id, value, hour",
            || {
                "answers = answers + excluded.answers, responses = responses + excluded.responses"
                    .into()
            },
            answers,
        )
        .await?;
        let days: Vec<Vec<Value>> = self.days.drain().map(|(k, n)| row(k, [n])).collect();
        upsert(
            conn,
            "insight_day_seq",
            "workspace_id, day",
            || "seq = seq + excluded.seq".into(),
            days,
        )
        .await
    }
}

fn sum_into(sum: &mut [i64; 14], share: &[i64; 14]) {
    for (s, x) in sum.iter_mut().zip(share) {
        *s += x;
    }
}

/// A counter row's values: its key, then its counts.
fn row<const K: usize>(key: [String; K], counts: impl IntoIterator<Item = i64>) -> Vec<Value> {
    key.into_iter()
        .map(Value::from)
        .chain(counts.into_iter().map(Value::from))
        .collect()
}

thread_local! {
    /// The upserts' texts by table and rows, written once on the writer's thread (a table
    /// has at most a few sizes of statement, [`pieces_owned`]): written at every commit, they
    /// were a third of the counting's instructions when each commit held one survey response
    /// (callgrind, docs/performance.md, session 31).
    static UPSERTS: RefCell<HashMap<(&'static str, usize), String>> = RefCell::default();
}

/// Adds `rows` (each the key's columns, then the counts, in the table's column order) to
/// `table`: a new counter row, or `set` on the one there.
async fn upsert<C: Exec>(
    conn: &C,
    table: &'static str,
    key: &str,
    set: impl Fn() -> String,
    rows: Vec<Vec<Value>>,
) -> StoreResult<()> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    for chunk in pieces_owned(DbBackend::Sqlite, rows, ROWS) {
        let sql = UPSERTS.with_borrow_mut(|texts| {
            texts
                .entry((table, chunk.len()))
                .or_insert_with(|| {
                    let one = format!("({})", vec!["?"; width].join(", "));
                    format!(
                        "INSERT INTO {table} VALUES {} ON CONFLICT ({key}) DO UPDATE SET {}",
                        vec![one.as_str(); chunk.len()].join(", "),
                        set()
                    )
                })
                .clone()
        });
        let values: Vec<Value> = chunk.into_iter().flatten().collect();
        conn.run(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            values,
        ))
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosted_surveys_are_told_as_sqlite_like_tells_them() {
        assert_eq!(survey_channel("sv_01abc"), "survey");
        assert_eq!(
            survey_channel("SVx"),
            "survey",
            "LIKE: any case, `_` any character"
        );
        assert_eq!(survey_channel("sv"), "webhook", "`_` needs a character");
        assert_eq!(survey_channel("typeform:abc"), "webhook");
    }

    #[test]
    fn scores_fall_in_the_triggers_buckets() {
        assert_eq!(scores(Some(9), None, None), [1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(scores(Some(7), Some(4), None), [0, 1, 0, 1, 1, 0, 0, 0]);
        assert_eq!(scores(Some(6), Some(3), Some(5)), [0, 0, 1, 1, 0, 1, 5, 25]);
        assert_eq!(scores(None, None, None), [0; 8]);
    }
}
