//! Survey results in constant time: counts per (survey, question, answer, hour) kept by the
//! database itself. Triggers on `survey_answer` and `survey_response` add one when a row is
//! inserted and take one away when it is deleted, so every way a row comes or goes (a new
//! response, a later version that replaces the answers, erasing a respondent, deleting a
//! workspace, a cascade) keeps the counts right without the service having to remember.
//!
//! A results page then sums a few thousand counter rows (answers × hours) instead of reading
//! a range of one row per response. The answer of an open (text) question is not counted by
//! its text: its `survey_answer.value` is empty, so the question has one counter per hour.
//! A response itself is counted under the question id `''`.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000012_survey_tally"
    }
}

/// Open answers (those that became a feedback item: the item's context names the question)
/// keep no text in `survey_answer`: their text is the item's.
const OPEN_ANSWERS_SQLITE: &str = "UPDATE survey_answer SET value = '' WHERE value <> '' \
     AND EXISTS (SELECT 1 FROM feedback f WHERE f.workspace_id = survey_answer.workspace_id \
       AND f.response_id = survey_answer.response_id \
       AND json_extract(f.context, '$.question_id') = survey_answer.question_id);";

const OPEN_ANSWERS_POSTGRES: &str = "UPDATE survey_answer SET value = '' WHERE value <> '' \
     AND EXISTS (SELECT 1 FROM feedback f WHERE f.workspace_id = survey_answer.workspace_id \
       AND f.response_id = survey_answer.response_id \
       AND f.context ->> 'question_id' = survey_answer.question_id);";

const SQLITE_UP: &str = "CREATE TABLE survey_answer_tally ( \
       workspace_id TEXT NOT NULL, survey_id TEXT NOT NULL, question_id TEXT NOT NULL, \
       value TEXT NOT NULL, hour TEXT NOT NULL, \
       answers INTEGER NOT NULL, responses INTEGER NOT NULL, \
       PRIMARY KEY (workspace_id, survey_id, question_id, value, hour)) WITHOUT ROWID; \
     INSERT INTO survey_answer_tally \
       SELECT workspace_id, survey_id, question_id, value, substr(received_at, 1, 13), \
         COUNT(*), SUM(CASE WHEN ordinal = 0 THEN 1 ELSE 0 END) \
       FROM survey_answer GROUP BY 1, 2, 3, 4, 5; \
     INSERT INTO survey_answer_tally \
       SELECT workspace_id, survey_id, '', '', substr(received_at, 1, 13), COUNT(*), COUNT(*) \
       FROM survey_response GROUP BY 1, 2, 5; \
     CREATE TRIGGER survey_answer_tally_insert AFTER INSERT ON survey_answer BEGIN \
       INSERT INTO survey_answer_tally VALUES (NEW.workspace_id, NEW.survey_id, \
         NEW.question_id, NEW.value, substr(NEW.received_at, 1, 13), 1, \
         CASE WHEN NEW.ordinal = 0 THEN 1 ELSE 0 END) \
       ON CONFLICT (workspace_id, survey_id, question_id, value, hour) DO UPDATE \
         SET answers = answers + 1, responses = responses + excluded.responses; \
     END; \
     CREATE TRIGGER survey_answer_tally_delete AFTER DELETE ON survey_answer BEGIN \
       UPDATE survey_answer_tally SET answers = answers - 1, \
         responses = responses - CASE WHEN OLD.ordinal = 0 THEN 1 ELSE 0 END \
       WHERE workspace_id = OLD.workspace_id AND survey_id = OLD.survey_id \
         AND question_id = OLD.question_id AND value = OLD.value \
         AND hour = substr(OLD.received_at, 1, 13); \
       DELETE FROM survey_answer_tally WHERE workspace_id = OLD.workspace_id \
         AND survey_id = OLD.survey_id AND question_id = OLD.question_id \
         AND value = OLD.value AND hour = substr(OLD.received_at, 1, 13) AND answers <= 0; \
     END; \
     CREATE TRIGGER survey_response_tally_insert AFTER INSERT ON survey_response BEGIN \
       INSERT INTO survey_answer_tally VALUES (NEW.workspace_id, NEW.survey_id, '', '', \
         substr(NEW.received_at, 1, 13), 1, 1) \
       ON CONFLICT (workspace_id, survey_id, question_id, value, hour) DO UPDATE \
         SET answers = answers + 1, responses = responses + 1; \
     END; \
     CREATE TRIGGER survey_response_tally_delete AFTER DELETE ON survey_response BEGIN \
       UPDATE survey_answer_tally SET answers = answers - 1, responses = responses - 1 \
       WHERE workspace_id = OLD.workspace_id AND survey_id = OLD.survey_id \
         AND question_id = '' AND value = '' AND hour = substr(OLD.received_at, 1, 13); \
       DELETE FROM survey_answer_tally WHERE workspace_id = OLD.workspace_id \
         AND survey_id = OLD.survey_id AND question_id = '' AND value = '' \
         AND hour = substr(OLD.received_at, 1, 13) AND answers <= 0; \
     END;";

const SQLITE_DOWN: &str = "DROP TRIGGER IF EXISTS survey_answer_tally_insert; \
     DROP TRIGGER IF EXISTS survey_answer_tally_delete; \
     DROP TRIGGER IF EXISTS survey_response_tally_insert; \
     DROP TRIGGER IF EXISTS survey_response_tally_delete; \
     DROP TABLE IF EXISTS survey_answer_tally;";

/// On PostgreSQL each trigger first takes a transaction-scoped advisory lock on the survey,
/// so that two transactions never take the same survey's counter rows in opposite orders
/// (a deadlock); the counter rows of one survey and hour are taken in turn anyway.
const POSTGRES_UP: &str = r#"CREATE TABLE survey_answer_tally (
       workspace_id TEXT NOT NULL, survey_id TEXT NOT NULL, question_id TEXT NOT NULL,
       value TEXT NOT NULL, hour TEXT NOT NULL,
       answers BIGINT NOT NULL, responses BIGINT NOT NULL,
       PRIMARY KEY (workspace_id, survey_id, question_id, value, hour));
     INSERT INTO survey_answer_tally
       SELECT workspace_id, survey_id, question_id, value,
         to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24'),
         COUNT(*), SUM(CASE WHEN ordinal = 0 THEN 1 ELSE 0 END)
       FROM survey_answer GROUP BY 1, 2, 3, 4, 5;
     INSERT INTO survey_answer_tally
       SELECT workspace_id, survey_id, '', '',
         to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS h, COUNT(*), COUNT(*)
       FROM survey_response GROUP BY 1, 2, h;
     CREATE FUNCTION survey_answer_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
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
       PERFORM pg_advisory_xact_lock(hashtext('survey_answer_tally'), hashtext(r.survey_id));
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
     END $$;
     CREATE TRIGGER survey_answer_tally AFTER INSERT OR DELETE ON survey_answer
       FOR EACH ROW EXECUTE FUNCTION survey_answer_tally_count();
     CREATE TRIGGER survey_response_tally AFTER INSERT OR DELETE ON survey_response
       FOR EACH ROW EXECUTE FUNCTION survey_answer_tally_count();"#;

const POSTGRES_DOWN: &str = "DROP TRIGGER IF EXISTS survey_answer_tally ON survey_answer; \
     DROP TRIGGER IF EXISTS survey_response_tally ON survey_response; \
     DROP FUNCTION IF EXISTS survey_answer_tally_count(); \
     DROP TABLE IF EXISTS survey_answer_tally;";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                db.execute_unprepared(OPEN_ANSWERS_POSTGRES).await?;
                db.execute_unprepared(POSTGRES_UP).await?;
            }
            _ => {
                db.execute_unprepared(OPEN_ANSWERS_SQLITE).await?;
                db.execute_unprepared(SQLITE_UP).await?;
            }
        }
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
