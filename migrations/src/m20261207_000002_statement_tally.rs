//! The counters' triggers on PostgreSQL once per statement instead of once per row: a batch
//! of 500 items took 500 advisory locks and 1,000 upserts (its counter row and its day), and
//! ingest ran nine times slower than without counters. Each trigger now reads the rows its
//! statement wrote (transition tables), sums their shares per counter row and upserts each
//! counter row once, marks each touched day once, and takes the workspace lock once per
//! workspace, in the order of the workspaces' ids.
//!
//! The shares, keys and conditions are those of the per-row triggers
//! (`m20261206_000012_survey_tally`, `m20261206_000013_insight_tally`), so the counters come
//! out the same. An update counts only the rows whose counted columns changed (an update that
//! writes the same values marks no day). SQLite has no statement triggers and keeps its own.

use sea_orm_migration::prelude::*;

use crate::m20261206_000013_insight_tally::{
    feedback_key, feedback_share, hour, postgres_triggers, response_key, response_share, COUNTERS,
    FEEDBACK_COLUMNS, RESPONSE_COLUMNS,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000002_statement_tally"
    }
}

const PG: sea_orm::DbBackend = sea_orm::DbBackend::Postgres;

/// The rows a statement took away (`old`) and added (`new`), as relations of the columns the
/// counters read: the transition tables themselves, or for an update only the rows whose
/// `columns` changed (the others would be taken away and added back unchanged).
struct Change {
    old: Option<String>,
    new: Option<String>,
}

impl Change {
    fn of(op: &str, columns: &str) -> Self {
        let except = |a: &str, b: &str| {
            format!("(SELECT {columns} FROM {a} EXCEPT ALL SELECT {columns} FROM {b})")
        };
        match op {
            "INSERT" => Self {
                old: None,
                new: Some("new_rows".into()),
            },
            "DELETE" => Self {
                old: Some("old_rows".into()),
                new: None,
            },
            _ => Self {
                old: Some(except("old_rows", "new_rows")),
                new: Some(except("new_rows", "old_rows")),
            },
        }
    }

    /// `SELECT {cols} FROM` each side (row alias `r`) with `where_`, as one `UNION ALL`; a
    /// side's `{sign}` in `cols` becomes `-` for the old rows and nothing for the new ones.
    fn union(&self, cols: &str, where_: &str) -> String {
        let side = |rel: &Option<String>, sign: &str| {
            rel.as_ref().map(|rel| {
                format!(
                    "SELECT {} FROM {rel} r {where_}",
                    cols.replace("{sign}", sign)
                )
            })
        };
        [side(&self.old, "-"), side(&self.new, "")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" UNION ALL ")
    }
}

/// Takes the tally lock of every workspace the statement touched, in the order of their ids:
/// two transactions then never wait on each other's counter rows in opposite orders.
fn lock(c: &Change) -> String {
    format!(
        "FOR w IN SELECT DISTINCT workspace_id FROM ({}) x ORDER BY 1 LOOP \
           PERFORM pg_advisory_xact_lock(hashtext('tally'), hashtext(w)); \
         END LOOP;",
        c.union("r.workspace_id", "")
    )
}

/// Marks the UTC day of every row taken away or added as changed, once per statement.
fn mark_days(c: &Change, where_: &str) -> String {
    format!(
        "INSERT INTO insight_day_seq AS s \
           SELECT workspace_id, day, 1 FROM ({}) x GROUP BY 1, 2 \
         ON CONFLICT (workspace_id, day) DO UPDATE SET seq = s.seq + 1;",
        c.union(
            "r.workspace_id, to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day",
            where_
        )
    )
}

/// The statements of one change to `feedback_tally`: each counter row's net change upserted
/// once (none when it nets to nothing), the rows that count nothing any more dropped, the
/// days marked. Rows count when `where_` holds (a `WHERE` clause on `r`, or empty).
fn feedback_counts(c: &Change, key: (String, String), share: &[String], where_: &str) -> String {
    let h = hour(PG, "r.occurred_at");
    let (channel, source) = key;
    let shares: Vec<String> = share
        .iter()
        .zip(COUNTERS)
        .map(|(s, c)| format!("{{sign}}({s}) AS {c}"))
        .collect();
    let rows = c.union(
        &format!(
            "r.workspace_id, {h} AS hour, {channel} AS channel, {source} AS source, {}",
            shares.join(", ")
        ),
        where_,
    );
    let sums: Vec<String> = COUNTERS.iter().map(|c| format!("SUM({c})")).collect();
    let any: Vec<String> = COUNTERS.iter().map(|c| format!("SUM({c}) <> 0")).collect();
    let sets: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("{c} = t.{c} + excluded.{c}"))
        .collect();
    let mut sql = format!(
        "INSERT INTO feedback_tally AS t \
           SELECT workspace_id, hour, channel, source, {} FROM ({rows}) x \
           GROUP BY 1, 2, 3, 4 HAVING {} \
         ON CONFLICT (workspace_id, hour, channel, source) DO UPDATE SET {};",
        sums.join(", "),
        any.join(" OR "),
        sets.join(", ")
    );
    if let Some(old) = &c.old {
        sql.push_str(&format!(
            " DELETE FROM feedback_tally t USING (SELECT DISTINCT r.workspace_id, {h} AS hour, \
               {channel} AS channel, {source} AS source FROM {old} r {where_}) k \
             WHERE t.workspace_id = k.workspace_id AND t.hour = k.hour \
               AND t.channel = k.channel AND t.source = k.source \
               AND t.items = 0 AND t.promoters = 0 AND t.passives = 0 AND t.detractors = 0 \
               AND t.csat_n = 0 AND t.ces_n = 0;"
        ));
    }
    sql.push(' ');
    sql.push_str(&mark_days(c, where_));
    sql
}

/// The same for `pain_point_tally`: one per pain-point row.
fn pain_point_counts(c: &Change) -> String {
    let h = hour(PG, "r.occurred_at");
    let rows = c.union(
        &format!("r.workspace_id, {h} AS hour, r.category, r.channel, {{sign}}1 AS items"),
        "",
    );
    let mut sql = format!(
        "INSERT INTO pain_point_tally AS t \
           SELECT workspace_id, hour, category, channel, SUM(items) FROM ({rows}) x \
           GROUP BY 1, 2, 3, 4 HAVING SUM(items) <> 0 \
         ON CONFLICT (workspace_id, hour, category, channel) \
           DO UPDATE SET items = t.items + excluded.items;"
    );
    if let Some(old) = &c.old {
        sql.push_str(&format!(
            " DELETE FROM pain_point_tally t USING (SELECT DISTINCT r.workspace_id, \
               {h} AS hour, r.category, r.channel FROM {old} r) k \
             WHERE t.workspace_id = k.workspace_id AND t.hour = k.hour \
               AND t.category = k.category AND t.channel = k.channel AND t.items <= 0;"
        ));
    }
    sql.push(' ');
    sql.push_str(&mark_days(c, ""));
    sql
}

/// The same for `survey_answer_tally`, of answer rows (`answer`) or of responses (counted
/// under the question `''`); rows are only inserted and deleted.
fn survey_answer_counts(c: &Change, answer: bool) -> String {
    let h = hour(PG, "r.received_at");
    let (q, v, first) = if answer {
        (
            "r.question_id",
            "r.value",
            "CASE WHEN r.ordinal = 0 THEN 1 ELSE 0 END",
        )
    } else {
        ("''", "''", "1")
    };
    let key = format!("r.workspace_id, r.survey_id, {q} AS question_id, {v} AS value, {h} AS hour");
    let rows = c.union(
        &format!("{key}, {{sign}}1 AS answers, {{sign}}({first}) AS responses"),
        "",
    );
    let mut sql = format!(
        "INSERT INTO survey_answer_tally AS t \
           SELECT workspace_id, survey_id, question_id, value, hour, SUM(answers), \
             SUM(responses) FROM ({rows}) x GROUP BY 1, 2, 3, 4, 5 \
         ON CONFLICT (workspace_id, survey_id, question_id, value, hour) DO UPDATE \
           SET answers = t.answers + excluded.answers, \
               responses = t.responses + excluded.responses;"
    );
    if let Some(old) = &c.old {
        sql.push_str(&format!(
            " DELETE FROM survey_answer_tally t USING (SELECT DISTINCT {key} FROM {old} r) k \
             WHERE t.workspace_id = k.workspace_id AND t.survey_id = k.survey_id \
               AND t.question_id = k.question_id AND t.value = k.value AND t.hour = k.hour \
               AND t.answers <= 0;"
        ));
    }
    sql
}

/// A trigger function whose body for each operation `body(op)` makes, after the locks.
fn function(name: &str, ops: &[&str], columns: &str, body: impl Fn(&Change) -> String) -> String {
    let branches: Vec<String> = ops
        .iter()
        .map(|op| {
            let c = Change::of(op, columns);
            format!("TG_OP = '{op}' THEN {} {}", lock(&c), body(&c))
        })
        .collect();
    format!(
        "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
         DECLARE w TEXT; \
         BEGIN IF {} END IF; RETURN NULL; END $$;",
        branches.join(" ELSIF ")
    )
}

/// One trigger per operation: PostgreSQL takes transition tables only for a trigger of one
/// event, and of no column list.
fn triggers(name: &str, table: &str, ops: &[&str], function: &str) -> String {
    ops.iter()
        .map(|op| {
            let tables = match *op {
                "INSERT" => "NEW TABLE AS new_rows",
                "DELETE" => "OLD TABLE AS old_rows",
                _ => "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            };
            format!(
                "CREATE TRIGGER {name}_{} AFTER {op} ON {table} REFERENCING {tables} \
                 FOR EACH STATEMENT EXECUTE FUNCTION {function}();",
                op.to_lowercase()
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

const ALL: [&str; 3] = ["INSERT", "UPDATE", "DELETE"];
const COMES_AND_GOES: [&str; 2] = ["INSERT", "DELETE"];

pub(crate) fn postgres_up() -> String {
    let scored = "WHERE r.occurred_at IS NOT NULL \
                  AND (r.nps IS NOT NULL OR r.csat IS NOT NULL OR r.ces IS NOT NULL)";
    let feedback_columns = format!("id, workspace_id, {FEEDBACK_COLUMNS}");
    let response_columns = format!("id, workspace_id, {RESPONSE_COLUMNS}");
    let pain_columns = "feedback_id, category, workspace_id, occurred_at, channel";
    [
        PER_ROW_DOWN.to_owned(),
        function("feedback_tally_apply", &ALL, &feedback_columns, |c| {
            feedback_counts(c, feedback_key("r"), &feedback_share("r"), "")
        }),
        triggers("feedback_tally", "feedback", &ALL, "feedback_tally_apply"),
        function("response_tally_apply", &ALL, &response_columns, |c| {
            feedback_counts(c, response_key("r"), &response_share("r"), scored)
        }),
        triggers(
            "response_tally",
            "survey_response",
            &ALL,
            "response_tally_apply",
        ),
        function(
            "pain_point_tally_apply",
            &ALL,
            pain_columns,
            pain_point_counts,
        ),
        triggers(
            "pain_point_tally",
            "feedback_pain_point",
            &ALL,
            "pain_point_tally_apply",
        ),
        function("survey_answer_tally_apply", &COMES_AND_GOES, "", |c| {
            survey_answer_counts(c, true)
        }),
        triggers(
            "survey_answer_tally",
            "survey_answer",
            &COMES_AND_GOES,
            "survey_answer_tally_apply",
        ),
        function("survey_response_tally_apply", &COMES_AND_GOES, "", |c| {
            survey_answer_counts(c, false)
        }),
        triggers(
            "survey_response_tally",
            "survey_response",
            &COMES_AND_GOES,
            "survey_response_tally_apply",
        ),
    ]
    .join("\n")
}

/// Drops the per-row triggers and their functions.
const PER_ROW_DOWN: &str = "DROP TRIGGER IF EXISTS feedback_tally ON feedback; \
     DROP TRIGGER IF EXISTS response_tally ON survey_response; \
     DROP TRIGGER IF EXISTS pain_point_tally ON feedback_pain_point; \
     DROP TRIGGER IF EXISTS survey_answer_tally ON survey_answer; \
     DROP TRIGGER IF EXISTS survey_response_tally ON survey_response; \
     DROP FUNCTION IF EXISTS feedback_tally_count(); \
     DROP FUNCTION IF EXISTS response_tally_count(); \
     DROP FUNCTION IF EXISTS pain_point_tally_count(); \
     DROP FUNCTION IF EXISTS survey_answer_tally_count();";

/// Drops the statement triggers and makes the per-row ones again.
fn postgres_down() -> String {
    let mut sql = String::new();
    for (name, table, ops) in [
        ("feedback_tally", "feedback", &ALL[..]),
        ("response_tally", "survey_response", &ALL[..]),
        ("pain_point_tally", "feedback_pain_point", &ALL[..]),
        ("survey_answer_tally", "survey_answer", &COMES_AND_GOES[..]),
        (
            "survey_response_tally",
            "survey_response",
            &COMES_AND_GOES[..],
        ),
    ] {
        for op in ops {
            sql.push_str(&format!(
                "DROP TRIGGER IF EXISTS {name}_{} ON {table}; ",
                op.to_lowercase()
            ));
        }
        sql.push_str(&format!("DROP FUNCTION IF EXISTS {name}_apply(); "));
    }
    sql.push_str(&postgres_triggers());
    // The survey counters' per-row triggers, as `m20261206_000012_survey_tally` made them
    // (their function is the one `postgres_triggers` makes).
    sql.push_str(
        " CREATE TRIGGER survey_answer_tally AFTER INSERT OR DELETE ON survey_answer \
           FOR EACH ROW EXECUTE FUNCTION survey_answer_tally_count(); \
         CREATE TRIGGER survey_response_tally AFTER INSERT OR DELETE ON survey_response \
           FOR EACH ROW EXECUTE FUNCTION survey_answer_tally_count();",
    );
    sql
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == PG {
            m.get_connection()
                .execute_unprepared(&postgres_up())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == PG {
            m.get_connection()
                .execute_unprepared(&postgres_down())
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// `TINGJIAN_PRINT_TALLY_SQL=1 cargo test -p migration print_sql -- --nocapture` prints
    /// the SQL, to try it by hand in `psql`.
    #[test]
    fn print_sql() {
        if std::env::var_os("TINGJIAN_PRINT_TALLY_SQL").is_some() {
            println!("-- up\n{}", super::postgres_up());
            println!("-- down\n{}", super::postgres_down());
        }
    }
}
