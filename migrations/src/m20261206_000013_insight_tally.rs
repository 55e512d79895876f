//! The console's overview in constant time: counts per (workspace, UTC hour, channel, source)
//! of items, their sentiment, complaints and scores (`feedback_tally`), and of pain-point rows
//! per (workspace, UTC hour, category, channel) (`pain_point_tally`), kept by the database.
//!
//! Triggers on `feedback`, `survey_response` and `feedback_pain_point` take a row's share away
//! when it is deleted or changed and add it when it is inserted or changed, so every way a row
//! comes, goes or is corrected (ingest, a label correction, `reanalyze`, an edited answer,
//! erasing a respondent, retention, a workspace cascade) keeps the counts right without the
//! service having to remember. A period's overview then sums one counter row per hour and
//! channel instead of reading one index entry per item.
//!
//! A survey response's scores are counted from its own row (under the survey channel for a
//! hosted survey, the webhook channel for another tool's, with the survey as the source), and
//! an item's scores only when it answers no response: the same rule as the scan it replaces.
//! A missing source is counted under `''`.
//!
//! On PostgreSQL every tally trigger (these and the survey counters') first takes one
//! transaction-scoped advisory lock per workspace, so two transactions never take a workspace's
//! counter rows in opposite orders (a deadlock), and never take the two kinds of lock in
//! opposite orders either.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000013_insight_tally"
    }
}

/// The counters of `feedback_tally`, in order.
pub const COUNTERS: [&str; 14] = [
    "items",
    "analysed",
    "positive",
    "negative",
    "mixed",
    "complaints",
    "promoters",
    "passives",
    "detractors",
    "csat_n",
    "csat_satisfied",
    "ces_n",
    "ces_sum",
    "ces_sum_sq",
];

/// The scores' six counters of a row `r` whose scores count when `when` holds.
fn scores(r: &str, when: &str) -> [String; 8] {
    let w = |cond: &str, then: &str| format!("CASE WHEN {when}{cond} THEN {then} ELSE 0 END");
    [
        w(&format!("{r}.nps >= 9"), "1"),
        w(&format!("{r}.nps BETWEEN 7 AND 8"), "1"),
        w(&format!("{r}.nps <= 6"), "1"),
        w(&format!("{r}.csat IS NOT NULL"), "1"),
        w(&format!("{r}.csat >= 4"), "1"),
        w(&format!("{r}.ces IS NOT NULL"), "1"),
        w(&format!("{r}.ces IS NOT NULL"), &format!("{r}.ces")),
        w(
            &format!("{r}.ces IS NOT NULL"),
            &format!("{r}.ces * {r}.ces"),
        ),
    ]
}

/// A feedback row's share of each counter.
pub(crate) fn feedback_share(r: &str) -> Vec<String> {
    let s = |cond: &str| format!("CASE WHEN {cond} THEN 1 ELSE 0 END");
    let mut out = vec![
        "1".to_owned(),
        s(&format!(
            "{r}.sentiment IS NOT NULL AND {r}.sentiment <> 'unknown'"
        )),
        s(&format!("{r}.sentiment = 'positive'")),
        s(&format!("{r}.sentiment = 'negative'")),
        s(&format!("{r}.sentiment = 'mixed'")),
        s(&format!(
            "{r}.sentiment IN ('negative', 'mixed') OR {r}.has_pain_point"
        )),
    ];
    out.extend(scores(r, &format!("{r}.response_id IS NULL AND ")));
    out
}

/// A survey response's share: its scores only.
pub(crate) fn response_share(r: &str) -> Vec<String> {
    let mut out = vec!["0".to_owned(); 6];
    out.extend(scores(r, ""));
    out
}

/// Key columns' values of a feedback row and a response row: (channel, source).
pub(crate) fn feedback_key(r: &str) -> (String, String) {
    (
        format!("{r}.channel"),
        format!("COALESCE({r}.source_id, '')"),
    )
}

pub(crate) fn response_key(r: &str) -> (String, String) {
    (
        format!("CASE WHEN {r}.survey_id LIKE 'sv_%' THEN 'survey' ELSE 'webhook' END"),
        format!("{r}.survey_id"),
    )
}

/// An upsert's table alias and the prefix naming the stored row in its update: PostgreSQL
/// needs them, and SQLite refuses the alias inside a trigger.
fn alias(backend: sea_orm::DbBackend, name: &str) -> (String, String) {
    match backend {
        sea_orm::DbBackend::Postgres => (format!(" AS {name}"), format!("{name}.")),
        _ => (String::new(), String::new()),
    }
}

/// The UTC hour of a timestamp column as `YYYY-MM-DDTHH`.
pub(crate) fn hour(backend: sea_orm::DbBackend, col: &str) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => {
            format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')")
        }
        _ => format!("substr({col}, 1, 13)"),
    }
}

/// Adds a row's share (times `sign`) to its counter row, creating it if need be.
fn add(
    backend: sea_orm::DbBackend,
    r: &str,
    key: (String, String),
    share: &[String],
    sign: &str,
) -> String {
    let values: Vec<String> = share.iter().map(|s| format!("{sign}({s})")).collect();
    let (alias, t) = alias(backend, "t");
    let sets: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("{c} = {t}{c} + excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO feedback_tally{alias} VALUES ({r}.workspace_id, {}, {}, {}, {}) \
         ON CONFLICT (workspace_id, hour, channel, source) DO UPDATE SET {}; {}",
        hour(backend, &format!("{r}.occurred_at")),
        key.0,
        key.1,
        values.join(", "),
        sets.join(", "),
        mark_day(backend, r)
    )
}

/// Takes a row's share away from its counter row, and drops the row once it counts nothing.
fn take(backend: sea_orm::DbBackend, r: &str, key: (String, String), share: &[String]) -> String {
    let sets: Vec<String> = COUNTERS
        .iter()
        .zip(share)
        .map(|(c, s)| format!("{c} = {c} - ({s})"))
        .collect();
    let at = format!(
        "workspace_id = {r}.workspace_id AND hour = {} AND channel = {} AND source = {}",
        hour(backend, &format!("{r}.occurred_at")),
        key.0,
        key.1
    );
    format!(
        "UPDATE feedback_tally SET {} WHERE {at}; \
         DELETE FROM feedback_tally WHERE {at} AND items = 0 AND promoters = 0 \
         AND passives = 0 AND detractors = 0 AND csat_n = 0 AND ces_n = 0; {}",
        sets.join(", "),
        mark_day(backend, r)
    )
}

/// Marks the UTC day of a row as changed: the day's cached aggregates (`insight_day_cache`)
/// were computed at an older `seq` and are read no more.
fn mark_day(backend: sea_orm::DbBackend, r: &str) -> String {
    let day = match backend {
        sea_orm::DbBackend::Postgres => {
            format!("to_char({r}.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
        }
        _ => format!("substr({r}.occurred_at, 1, 10)"),
    };
    let (alias, t) = alias(backend, "s");
    format!(
        "INSERT INTO insight_day_seq{alias} VALUES ({r}.workspace_id, {day}, 1) \
         ON CONFLICT (workspace_id, day) DO UPDATE SET seq = {t}seq + 1;"
    )
}

fn pain_add(backend: sea_orm::DbBackend, r: &str) -> String {
    let (alias, t) = alias(backend, "t");
    format!(
        "INSERT INTO pain_point_tally{alias} VALUES ({r}.workspace_id, {}, {r}.category, \
         {r}.channel, 1) ON CONFLICT (workspace_id, hour, category, channel) \
         DO UPDATE SET items = {t}items + 1; {}",
        hour(backend, &format!("{r}.occurred_at")),
        mark_day(backend, r)
    )
}

fn pain_take(backend: sea_orm::DbBackend, r: &str) -> String {
    let at = format!(
        "workspace_id = {r}.workspace_id AND hour = {} AND category = {r}.category \
         AND channel = {r}.channel",
        hour(backend, &format!("{r}.occurred_at"))
    );
    format!(
        "UPDATE pain_point_tally SET items = items - 1 WHERE {at}; \
         DELETE FROM pain_point_tally WHERE {at} AND items <= 0; {}",
        mark_day(backend, r)
    )
}

/// The columns whose change moves a feedback row's share.
pub(crate) const FEEDBACK_COLUMNS: &str =
    "occurred_at, channel, source_id, sentiment, has_pain_point, \
     nps, csat, ces, response_id, attributes";

/// The same for a survey response.
pub(crate) const RESPONSE_COLUMNS: &str = "occurred_at, survey_id, nps, csat, ces, attributes";

fn tables(int: &str) -> String {
    let counters: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("{c} {int} NOT NULL"))
        .collect();
    format!(
        "CREATE TABLE feedback_tally (workspace_id TEXT NOT NULL, hour TEXT NOT NULL, \
           channel TEXT NOT NULL, source TEXT NOT NULL, {}, \
           PRIMARY KEY (workspace_id, hour, channel, source)){rowid}; \
         CREATE TABLE pain_point_tally (workspace_id TEXT NOT NULL, hour TEXT NOT NULL, \
           category TEXT NOT NULL, channel TEXT NOT NULL, items {int} NOT NULL, \
           PRIMARY KEY (workspace_id, hour, category, channel)){rowid}; \
         CREATE TABLE insight_day_seq (workspace_id TEXT NOT NULL, day TEXT NOT NULL, \
           seq {int} NOT NULL, PRIMARY KEY (workspace_id, day)){rowid}; \
         CREATE TABLE insight_day_cache (workspace_id TEXT NOT NULL, day TEXT NOT NULL, \
           kind TEXT NOT NULL, seq {int} NOT NULL, payload TEXT NOT NULL, \
           PRIMARY KEY (workspace_id, day, kind)){rowid};",
        counters.join(", "),
        rowid = if int == "INTEGER" {
            " WITHOUT ROWID"
        } else {
            ""
        }
    )
}

/// Fills the counters from the rows already stored.
fn backfill(backend: sea_orm::DbBackend) -> String {
    let sums = |share: Vec<String>| -> String {
        share
            .iter()
            .map(|s| format!("SUM({s})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (fc, fs) = feedback_key("f");
    let (rc, rs) = response_key("r");
    let fh = hour(backend, "f.occurred_at");
    let rh = hour(backend, "r.occurred_at");
    let fp = hour(backend, "p.occurred_at");
    let (alias, t) = alias(backend, "t");
    let set: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("{c} = {t}{c} + excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO feedback_tally SELECT f.workspace_id, {fh}, {fc}, {fs}, {} \
           FROM feedback f GROUP BY 1, 2, 3, 4; \
         INSERT INTO feedback_tally{alias} SELECT r.workspace_id, {rh}, {rc}, {rs}, {} \
           FROM survey_response r WHERE r.occurred_at IS NOT NULL \
           AND (r.nps IS NOT NULL OR r.csat IS NOT NULL OR r.ces IS NOT NULL) \
           GROUP BY 1, 2, 3, 4 {} \
           ON CONFLICT (workspace_id, hour, channel, source) DO UPDATE SET {}; \
         INSERT INTO pain_point_tally SELECT p.workspace_id, {fp}, p.category, p.channel, \
           COUNT(*) FROM feedback_pain_point p GROUP BY 1, 2, 3, 4;",
        sums(feedback_share("f")),
        sums(response_share("r")),
        // SQLite reads `ON` after a bare SELECT … GROUP BY as a join; a HAVING ends it.
        if backend == sea_orm::DbBackend::Postgres {
            ""
        } else {
            "HAVING 1"
        },
        set.join(", ")
    )
}

/// The trigger statements of one store: a feedback row's, a response's and a pain point's
/// share added (`NEW`) and taken away (`OLD`), and when a response counts.
struct Bodies {
    fi: String,
    fd: String,
    ri: String,
    rd: String,
    pi: String,
    pd: String,
    new_scored: String,
    old_scored: String,
}

fn bodies(b: sea_orm::DbBackend) -> Bodies {
    let (f, r) = (feedback_share, response_share);
    let scored = |row: &str| {
        format!(
            "{row}.occurred_at IS NOT NULL AND ({row}.nps IS NOT NULL OR {row}.csat IS NOT NULL \
             OR {row}.ces IS NOT NULL)"
        )
    };
    Bodies {
        fi: add(b, "NEW", feedback_key("NEW"), &f("NEW"), ""),
        fd: take(b, "OLD", feedback_key("OLD"), &f("OLD")),
        ri: add(b, "NEW", response_key("NEW"), &r("NEW"), ""),
        rd: take(b, "OLD", response_key("OLD"), &r("OLD")),
        pi: pain_add(b, "NEW"),
        pd: pain_take(b, "OLD"),
        new_scored: scored("NEW"),
        old_scored: scored("OLD"),
    }
}

fn sqlite_up() -> String {
    let b = sea_orm::DbBackend::Sqlite;
    let Bodies {
        fi,
        fd,
        ri,
        rd,
        pi,
        pd,
        new_scored,
        old_scored,
    } = bodies(b);
    let (tables, backfill) = (tables("INTEGER"), backfill(b));
    format!(
        "{tables} {backfill} \
         CREATE TRIGGER feedback_tally_insert AFTER INSERT ON feedback BEGIN {fi} END; \
         CREATE TRIGGER feedback_tally_delete AFTER DELETE ON feedback BEGIN {fd} END; \
         CREATE TRIGGER feedback_tally_update AFTER UPDATE OF {FEEDBACK_COLUMNS} ON feedback \
           BEGIN {fd} {fi} END; \
         CREATE TRIGGER response_tally_insert AFTER INSERT ON survey_response \
           WHEN {new_scored} BEGIN {ri} END; \
         CREATE TRIGGER response_tally_delete AFTER DELETE ON survey_response \
           WHEN {old_scored} BEGIN {rd} END; \
         CREATE TRIGGER response_tally_update_old AFTER UPDATE OF {RESPONSE_COLUMNS} ON survey_response WHEN {old_scored} BEGIN {rd} END; \
         CREATE TRIGGER response_tally_update_new AFTER UPDATE OF {RESPONSE_COLUMNS} ON survey_response WHEN {new_scored} BEGIN {ri} END; \
         CREATE TRIGGER pain_point_tally_insert AFTER INSERT ON feedback_pain_point \
           BEGIN {pi} END; \
         CREATE TRIGGER pain_point_tally_delete AFTER DELETE ON feedback_pain_point \
           BEGIN {pd} END; \
         CREATE TRIGGER pain_point_tally_update AFTER UPDATE ON feedback_pain_point \
           BEGIN {pd} {pi} END;"
    )
}

const SQLITE_DOWN: &str = "DROP TRIGGER IF EXISTS feedback_tally_insert; \
     DROP TRIGGER IF EXISTS feedback_tally_delete; \
     DROP TRIGGER IF EXISTS feedback_tally_update; \
     DROP TRIGGER IF EXISTS response_tally_insert; \
     DROP TRIGGER IF EXISTS response_tally_delete; \
     DROP TRIGGER IF EXISTS response_tally_update_old; \
     DROP TRIGGER IF EXISTS response_tally_update_new; \
     DROP TRIGGER IF EXISTS pain_point_tally_insert; \
     DROP TRIGGER IF EXISTS pain_point_tally_delete; \
     DROP TRIGGER IF EXISTS pain_point_tally_update; \
     DROP TABLE IF EXISTS feedback_tally; DROP TABLE IF EXISTS pain_point_tally; \
     DROP TABLE IF EXISTS insight_day_seq; DROP TABLE IF EXISTS insight_day_cache;";

/// The workspace lock every tally trigger takes first on PostgreSQL.
const PG_LOCK: &str = "PERFORM pg_advisory_xact_lock(hashtext('tally'), hashtext(";

fn postgres_up() -> String {
    let b = sea_orm::DbBackend::Postgres;
    let (tables, backfill) = (tables("BIGINT"), backfill(b));
    format!("{tables} {backfill} {}", postgres_triggers())
}

/// The per-row triggers of PostgreSQL (and the survey counters' function they share the lock
/// with); `m20261207_000002_statement_tally` replaces them and its `down` makes them again.
pub(crate) fn postgres_triggers() -> String {
    let b = sea_orm::DbBackend::Postgres;
    let Bodies {
        fi,
        fd,
        ri,
        rd,
        pi,
        pd,
        new_scored,
        old_scored,
    } = bodies(b);
    format!(
        r#"CREATE FUNCTION feedback_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'DELETE' THEN {PG_LOCK}OLD.workspace_id)); ELSE {PG_LOCK}NEW.workspace_id)); END IF;
       IF TG_OP IN ('DELETE', 'UPDATE') THEN {fd} END IF;
       IF TG_OP IN ('INSERT', 'UPDATE') THEN {fi} END IF;
       RETURN NULL;
     END $$;
     CREATE TRIGGER feedback_tally AFTER INSERT OR DELETE OR UPDATE OF {FEEDBACK_COLUMNS}
       ON feedback FOR EACH ROW EXECUTE FUNCTION feedback_tally_count();
     CREATE FUNCTION response_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'DELETE' THEN {PG_LOCK}OLD.workspace_id)); ELSE {PG_LOCK}NEW.workspace_id)); END IF;
       IF TG_OP IN ('DELETE', 'UPDATE') THEN IF {old_scored} THEN {rd} END IF; END IF;
       IF TG_OP IN ('INSERT', 'UPDATE') THEN IF {new_scored} THEN {ri} END IF; END IF;
       RETURN NULL;
     END $$;
     CREATE TRIGGER response_tally AFTER INSERT OR DELETE OR UPDATE OF {RESPONSE_COLUMNS} ON survey_response FOR EACH ROW EXECUTE FUNCTION response_tally_count();
     CREATE FUNCTION pain_point_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'DELETE' THEN {PG_LOCK}OLD.workspace_id)); ELSE {PG_LOCK}NEW.workspace_id)); END IF;
       IF TG_OP IN ('DELETE', 'UPDATE') THEN {pd} END IF;
       IF TG_OP IN ('INSERT', 'UPDATE') THEN {pi} END IF;
       RETURN NULL;
     END $$;
     CREATE TRIGGER pain_point_tally AFTER INSERT OR DELETE OR UPDATE ON feedback_pain_point
       FOR EACH ROW EXECUTE FUNCTION pain_point_tally_count();
     CREATE OR REPLACE FUNCTION survey_answer_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
     DECLARE
       r RECORD;
       q TEXT;
       v TEXT;
       first INT;
       step INT;
     BEGIN
       IF TG_OP = 'INSERT' THEN r := NEW; step := 1; ELSE r := OLD; step := -1; END IF;
       IF TG_TABLE_NAME = 'survey_answer' THEN
         q := r.question_id; v := r.value;
         first := CASE WHEN r.ordinal = 0 THEN 1 ELSE 0 END;
       ELSE
         q := ''; v := ''; first := 1;
       END IF;
       {PG_LOCK}r.workspace_id));
       INSERT INTO survey_answer_tally AS t VALUES (r.workspace_id, r.survey_id, q, v,
           to_char(r.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24'), step, step * first)
         ON CONFLICT (workspace_id, survey_id, question_id, value, hour) DO UPDATE
           SET answers = t.answers + EXCLUDED.answers,
               responses = t.responses + EXCLUDED.responses;
       IF step < 0 THEN
         DELETE FROM survey_answer_tally WHERE workspace_id = r.workspace_id
           AND survey_id = r.survey_id AND question_id = q AND value = v
           AND hour = to_char(r.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24')
           AND answers <= 0;
       END IF;
       RETURN NULL;
     END $$;"#
    )
}

const POSTGRES_DOWN: &str = "DROP TRIGGER IF EXISTS feedback_tally ON feedback; \
     DROP TRIGGER IF EXISTS response_tally ON survey_response; \
     DROP TRIGGER IF EXISTS pain_point_tally ON feedback_pain_point; \
     DROP FUNCTION IF EXISTS feedback_tally_count(); \
     DROP FUNCTION IF EXISTS response_tally_count(); \
     DROP FUNCTION IF EXISTS pain_point_tally_count(); \
     DROP TABLE IF EXISTS feedback_tally; DROP TABLE IF EXISTS pain_point_tally; \
     DROP TABLE IF EXISTS insight_day_seq; DROP TABLE IF EXISTS insight_day_cache;";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let sql = match m.get_database_backend() {
            sea_orm::DbBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        m.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let sql = match m.get_database_backend() {
            sea_orm::DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        m.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }
}
