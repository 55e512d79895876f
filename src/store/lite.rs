//! The SQLite writer's own connection: synchronous (rusqlite, on the same SQLite library as
//! sea-orm's), used only from the writer's thread. Through sea-orm every statement is sent to
//! the connection's worker thread and answered back, and under load the woken thread waits
//! for a core: a batch of eight statements spent more time in those hand-offs than in SQLite.
//! Here the writer runs its batch's statements itself. Values are bound as sea-orm binds them
//! for SQLite (times as RFC 3339 text, JSON as its text, booleans as 0 and 1), so that a row
//! reads the same whichever connection wrote it.

use std::borrow::Cow;
use std::future::{ready, Future};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::SecondsFormat;
use rusqlite::config::DbConfig;
use rusqlite::types::{ToSql, ToSqlOutput, Value as Sql, ValueRef};
use sea_orm::sea_query::Value;
use sea_orm::{DbBackend, DbErr, RuntimeErr, Statement};

use super::exec::{Exec, Row, Tx};
use super::wal;

/// Prepared statements kept: the writer's inserts take one shape per row count, at most 11
/// per table (`sizes::statement_sizes`), some 70 in all.
const STATEMENTS: usize = 128;

/// The writer's connection. The mutex is never contended (one thread uses it); it makes the
/// connection shareable by the futures the writer's code is written as.
pub(super) struct Lite {
    conn: Mutex<rusqlite::Connection>,
}

impl Lite {
    /// Opens the database file `path` (already created and in WAL mode): commits that do not
    /// wait for the disk (the writer's syncer fsyncs the log), no automatic checkpoints (the
    /// checkpoint task makes them), foreign keys not enforced and inserts `OR FAIL` (below).
    /// `cache_kib`: its page cache.
    pub(super) fn open(path: &Path, cache_kib: u32) -> Result<Self, DbErr> {
        use rusqlite::OpenFlags;
        let conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        // No triggers: the counters' insert triggers upsert a counter row once per inserted
        // row, and the writer adds to them once per statement instead (`counts.rs`).
        // It inserts into no other table that has triggers, and updates or deletes in none
        // (a test of the writer's holds the schema to that).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)
            .map_err(err)?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        for pragma in [
            "PRAGMA journal_mode = WAL".to_owned(),
            "PRAGMA synchronous = NORMAL".to_owned(),
            // Foreign keys not enforced here (SQLite's default): with them, every multi-row
            // INSERT could fail at its end on a missing parent, so SQLite copied each page it
            // changed into a statement journal first, to undo the statement alone. The writer
            // checks the one parent it does not write itself, each job's workspace
            // (`writer::live_workspaces`), inside the same transaction.
            "PRAGMA foreign_keys = OFF".to_owned(),
            "PRAGMA wal_autocheckpoint = 0".to_owned(),
            // Statement and savepoint journals in memory: past 64 KiB SQLite spills them
            // into a temporary file, made and deleted statement after statement.
            "PRAGMA temp_store = MEMORY".to_owned(),
            format!("PRAGMA cache_size = -{cache_kib}"),
            format!("PRAGMA journal_size_limit = {}", wal::SIZE_LIMIT),
        ] {
            // Some of these answer with a row (the value now set): read and dropped.
            let mut stmt = conn.prepare(&pragma).map_err(err)?;
            let mut rows = stmt.query([]).map_err(err)?;
            while rows.next().map_err(err)?.is_some() {}
        }
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// [`Lite::open`] with a small cache, for tests.
    #[cfg(test)]
    pub(super) fn small(path: &Path) -> Self {
        Self::open(path, 1_024).unwrap()
    }

    /// Whether triggers run on this connection.
    #[cfg(test)]
    pub(super) fn runs_triggers(&self) -> bool {
        self.conn()
            .db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER)
            .unwrap()
    }

    fn conn(&self) -> MutexGuard<'_, rusqlite::Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Begins a transaction that takes the write lock at once.
    pub(super) fn begin(&self) -> Result<LiteTx<'_>, DbErr> {
        self.batch("BEGIN IMMEDIATE")?;
        Ok(LiteTx {
            lite: self,
            depth: 0,
        })
    }

    /// Rolls back the transaction left open by a write that failed, if any.
    pub(super) fn abandon(&self) {
        let conn = self.conn();
        if !conn.is_autocommit() {
            if let Err(e) = conn.execute_batch("ROLLBACK") {
                tracing::warn!(error = %e, "the SQLite writer's rollback failed");
            }
        }
    }

    /// A `PASSIVE` checkpoint of the write-ahead log: the frames it holds.
    pub(super) fn checkpoint(&self) -> Result<i64, DbErr> {
        self.conn()
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
            .map_err(err)
    }

    fn batch(&self, sql: &str) -> Result<(), DbErr> {
        self.conn().execute_batch(sql).map_err(err)
    }

    fn run(&self, stmt: &Statement) -> Result<u64, DbErr> {
        let conn = self.conn();
        let mut prepared = conn.prepare_cached(&or_fail(&stmt.sql)).map_err(err)?;
        let n = prepared.execute(params(stmt)).map_err(err)?;
        Ok(n as u64)
    }

    fn rows<R: Row>(&self, stmt: &Statement) -> Result<Vec<R>, DbErr> {
        let conn = self.conn();
        let mut prepared = conn.prepare_cached(&or_fail(&stmt.sql)).map_err(err)?;
        let mut rows = prepared.query(params(stmt)).map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            out.push(R::lite(row).map_err(err)?);
        }
        Ok(out)
    }
}

/// A transaction on the writer's connection (`depth` 0), or a savepoint in one.
#[derive(Clone, Copy)]
pub(super) struct LiteTx<'a> {
    lite: &'a Lite,
    depth: u32,
}

impl LiteTx<'_> {
    fn name(&self) -> String {
        format!("w{}", self.depth)
    }
}

impl Exec for LiteTx<'_> {
    fn backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    fn runs_triggers(&self) -> bool {
        false
    }

    fn run(&self, stmt: Statement) -> impl Future<Output = Result<u64, DbErr>> + Send {
        ready(self.lite.run(&stmt))
    }

    fn rows<R: Row>(&self, stmt: Statement) -> impl Future<Output = Result<Vec<R>, DbErr>> + Send {
        ready(self.lite.rows(&stmt))
    }
}

impl Tx for LiteTx<'_> {
    fn savepoint(&self) -> impl Future<Output = Result<Self, DbErr>> + Send {
        let sp = Self {
            lite: self.lite,
            depth: self.depth + 1,
        };
        ready(
            self.lite
                .batch(&format!("SAVEPOINT {}", sp.name()))
                .map(|()| sp),
        )
    }

    fn release(self) -> impl Future<Output = Result<(), DbErr>> + Send {
        ready(match self.depth {
            0 => self.lite.batch("COMMIT"),
            _ => self.lite.batch(&format!("RELEASE {}", self.name())),
        })
    }

    fn roll_back(self) -> impl Future<Output = Result<(), DbErr>> + Send {
        ready(match self.depth {
            0 => self.lite.batch("ROLLBACK"),
            // Rolled back, then released: the savepoint is gone, the transaction goes on.
            _ => self
                .lite
                .batch(&format!("ROLLBACK TO {0}; RELEASE {0}", self.name())),
        })
    }
}

/// An INSERT as `INSERT OR FAIL`: a row that breaks a constraint (other than the conflict its
/// `ON CONFLICT` names) stops the statement and leaves the rows before it in place, instead of
/// undoing the statement alone, for which SQLite keeps a statement journal: a copy of every
/// page the statement changes, 9 % of the writer's time under survey submissions (`perf`).
/// Every failure of the writer's rolls back the transaction or savepoint around it anyway.
fn or_fail(sql: &str) -> Cow<'_, str> {
    match sql.strip_prefix("INSERT INTO ") {
        Some(rest) => Cow::Owned(format!("INSERT OR FAIL INTO {rest}")),
        None => Cow::Borrowed(sql),
    }
}

/// A statement's values, bound in order.
fn params(stmt: &Statement) -> rusqlite::ParamsFromIter<impl Iterator<Item = Bind<'_>>> {
    let values = stmt.values.as_ref().map_or(&[][..], |v| &v.0[..]);
    rusqlite::params_from_iter(values.iter().map(Bind))
}

/// A value bound as sea-orm's SQLite driver (sqlx) binds it.
struct Bind<'a>(&'a Value);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        fn own(v: Option<Sql>) -> ToSqlOutput<'static> {
            ToSqlOutput::Owned(v.unwrap_or(Sql::Null))
        }
        let int = |i: Option<i64>| own(i.map(Sql::Integer));
        Ok(match self.0 {
            Value::Bool(b) => int(b.map(i64::from)),
            Value::TinyInt(i) => int(i.map(i64::from)),
            Value::SmallInt(i) => int(i.map(i64::from)),
            Value::Int(i) => int(i.map(i64::from)),
            Value::BigInt(i) => int(*i),
            Value::TinyUnsigned(i) => int(i.map(i64::from)),
            Value::SmallUnsigned(i) => int(i.map(i64::from)),
            Value::Unsigned(i) => int(i.map(i64::from)),
            Value::BigUnsigned(i) => match i.map(i64::try_from).transpose() {
                Ok(i) => int(i),
                Err(e) => return Err(rusqlite::Error::ToSqlConversionFailure(Box::new(e))),
            },
            Value::Float(f) => own(f.map(|f| Sql::Real(f64::from(f)))),
            Value::Double(f) => own(f.map(Sql::Real)),
            Value::String(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Char(c) => own(c.map(|c| Sql::Text(c.to_string()))),
            Value::Bytes(Some(b)) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Value::Json(j) => own(j.as_ref().map(|j| Sql::Text(j.to_string()))),
            Value::ChronoDateTimeUtc(t) => own(t.as_ref().map(|t| Sql::Text(rfc3339(t)))),
            Value::ChronoDateTimeWithTimeZone(t) => own(t.as_ref().map(|t| Sql::Text(rfc3339(t)))),
            Value::ChronoDateTimeLocal(t) => own(t.as_ref().map(|t| Sql::Text(rfc3339(t)))),
            Value::ChronoDateTime(t) => own(t
                .as_ref()
                .map(|t| Sql::Text(t.format("%F %T%.f").to_string()))),
            Value::ChronoDate(d) => own(d.as_ref().map(|d| Sql::Text(d.format("%F").to_string()))),
            Value::ChronoTime(t) => {
                own(t.as_ref().map(|t| Sql::Text(t.format("%T%.f").to_string())))
            }
            Value::String(None) | Value::Bytes(None) => own(None),
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("no SQLite binding for {other:?}").into(),
                ))
            }
        })
    }
}

/// A time as sqlx writes it to SQLite, and so as the writer stores it.
pub(super) fn rfc3339<Tz: chrono::TimeZone>(t: &chrono::DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// A SQLite error as the store's callers see one from sea-orm: a failed statement.
fn err(e: rusqlite::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::Internal(format!("SQLite: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Database};

    #[test]
    fn inserts_stop_at_a_failing_row_without_a_statement_journal() {
        assert_eq!(
            or_fail("INSERT INTO feedback (id) VALUES (?) ON CONFLICT DO NOTHING"),
            "INSERT OR FAIL INTO feedback (id) VALUES (?) ON CONFLICT DO NOTHING"
        );
        assert_eq!(or_fail("SELECT 1"), "SELECT 1");
        assert_eq!(or_fail("UPDATE t SET x = 1"), "UPDATE t SET x = 1");
    }

    /// Every kind of value the store binds is stored as sea-orm's own SQLite connection
    /// stores it: the same type and the same bytes.
    #[tokio::test]
    async fn values_are_stored_as_sea_orm_stores_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let sea = Database::connect(&url).await.unwrap();
        sea.execute_unprepared(
            "PRAGMA journal_mode = WAL; CREATE TABLE v (src TEXT, n INTEGER, x)",
        )
        .await
        .unwrap();
        let utc = chrono::DateTime::parse_from_rfc3339("2026-12-07T16:35:00.123456Z")
            .unwrap()
            .to_utc();
        let whole = chrono::DateTime::parse_from_rfc3339("2026-12-07T16:35:00Z")
            .unwrap()
            .to_utc();
        let values: Vec<Value> = vec![
            true.into(),
            false.into(),
            7i16.into(),
            (-3i32).into(),
            i64::MAX.into(),
            0.7f32.into(),
            0.25f64.into(),
            "支付失败".into(),
            Option::<String>::None.into(),
            Option::<i32>::None.into(),
            serde_json::json!({"版本": "2.1", "n": [1, 2.5]}).into(),
            utc.into(),
            whole.into(),
            utc.fixed_offset().into(),
            utc.naive_utc().into(),
            utc.date_naive().into(),
            vec![0u8, 255].into(),
        ];
        let insert = |src: &str, n: usize, v: &Value| {
            Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO v (src, n, x) VALUES (?, ?, ?)",
                [src.into(), (n as i64).into(), v.clone()],
            )
        };
        for (n, v) in values.iter().enumerate() {
            sea.execute(insert("sea", n, v)).await.unwrap();
        }
        let lite = Lite::small(&file);
        let txn = lite.begin().unwrap();
        for (n, v) in values.iter().enumerate() {
            assert_eq!(txn.run(insert("lite", n, v)).await.unwrap(), 1);
        }
        txn.release().await.unwrap();

        let read = |src: &'static str| {
            let sea = sea.clone();
            async move {
                sea.query_all(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "SELECT typeof(x) || ':' || quote(x) FROM v WHERE src = ? ORDER BY n",
                    [src.into()],
                ))
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get_by_index::<String>(0).unwrap())
                .collect::<Vec<_>>()
            }
        };
        let (by_sea, by_lite) = (read("sea").await, read("lite").await);
        assert_eq!(by_sea.len(), values.len());
        assert_eq!(by_lite, by_sea);
    }

    /// A savepoint rolled back takes its rows with it and the transaction goes on; a
    /// statement's error is an error, not a panic.
    #[tokio::test]
    async fn savepoints_roll_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.db");
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT PRIMARY KEY)")
            .unwrap();
        let lite = Lite::small(&file);
        let put = |k: &str| {
            Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO t (k) VALUES (?) RETURNING k",
                [k.into()],
            )
        };
        let txn = lite.begin().unwrap();
        let kept: Vec<(String,)> = txn.rows(put("a")).await.unwrap();
        assert_eq!(kept, [("a".to_owned(),)]);
        let sp = txn.savepoint().await.unwrap();
        sp.rows::<(String,)>(put("b")).await.unwrap();
        let nested = sp.savepoint().await.unwrap();
        assert!(nested.rows::<(String,)>(put("a")).await.is_err(), "a taken");
        nested.roll_back().await.unwrap();
        sp.roll_back().await.unwrap();
        txn.release().await.unwrap();
        let keys: Vec<String> = conn
            .prepare("SELECT k FROM t ORDER BY k")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(keys, ["a"]);
    }
}
