//! The connection to the database: opening it (SQLite in WAL mode, or PostgreSQL) with its
//! writer, and migrating it.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};

use super::error::{StoreError, StoreResult};
use super::lite::Lite;
use super::wal::{self, Wal};
use super::writer::{LogSync, Writer};
use crate::domain::Clock;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
    TransactionTrait,
};

/// Key of the PostgreSQL advisory lock that serialises migrations between processes: the
/// bytes of "tingjian" read as a big-endian integer, so it does not collide by accident with
/// another application's lock on a shared server.
const MIGRATION_LOCK_KEY: i64 = 0x7469_6e67_6a69_616e;

/// SQLite: the attribute `key` of the JSON object in column `attributes`, as text, booleans
/// spelled `true`/`false` (as PostgreSQL's `->>` gives them). `bind` binds a value and returns
/// its placeholder. Any key works: SQLite ends a quoted JSON path label at the first `"` and
/// does not read escapes in it (before 3.45), so a key holding `"` or `\` is looked up by
/// name through `json_each` instead, which compares decoded keys.
pub(super) fn sqlite_attribute_text(
    attributes: &str,
    key: &str,
    mut bind: impl FnMut(String) -> String,
) -> String {
    if key.contains(['"', '\\']) {
        let k = bind(key.to_owned());
        format!(
            "(SELECT CASE type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
             ELSE CAST(value AS TEXT) END FROM json_each({attributes}) WHERE key = {k} LIMIT 1)"
        )
    } else {
        let path = format!("$.\"{key}\"");
        let (a, b) = (bind(path.clone()), bind(path));
        format!(
            "(CASE json_type({attributes}, {a}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
             ELSE CAST(json_extract({attributes}, {b}) AS TEXT) END)"
        )
    }
}

/// The file of a SQLite connection's main database; none for one in memory. A file not in WAL
/// mode is an error: the writer's commits are made durable by the fsync of the log.
async fn main_file(db: &DatabaseConnection) -> StoreResult<Option<std::path::PathBuf>> {
    let text = |sql: &str| {
        let query = db.query_one(Statement::from_string(DbBackend::Sqlite, sql));
        async move {
            let row = query.await?;
            Ok::<_, DbErr>(match row {
                Some(row) => row.try_get_by_index::<Option<String>>(0)?,
                None => None,
            })
        }
    };
    let file = text("SELECT file FROM pragma_database_list WHERE name = 'main'").await?;
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    let mode = text("PRAGMA journal_mode").await?.unwrap_or_default();
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Db(DbErr::Custom(format!(
            "SQLite kept the journal mode {mode:?} instead of WAL for {file}"
        ))));
    }
    Ok(Some(file.into()))
}

/// The writer's syncer thread could not be started.
fn no_writer(e: std::io::Error) -> StoreError {
    StoreError::Db(DbErr::Custom(format!(
        "cannot start the store's writer: {e}"
    )))
}

/// A handle to the database, cheap to clone (a pool inside).
#[derive(Clone, Debug)]
pub struct Store {
    pub(super) db: DatabaseConnection,
    /// The writer tasks that group concurrent requests' feedback into one transaction.
    pub(super) writer: Writer,
    /// Live webhook sources read recently (`Store::live_source`).
    pub(super) sources: std::sync::Arc<super::recent::Recent<super::entity::source::Model>>,
    /// Surveys read recently by the public endpoints (`Store::public_survey`).
    pub(super) surveys: std::sync::Arc<super::recent::Recent<super::entity::survey::Model>>,
    /// Live API keys read recently, by the hash of the key (`Store::authenticate`).
    pub(super) keys: std::sync::Arc<super::recent::Recent<crate::domain::Caller>>,
    clock: Clock,
}

impl Store {
    /// Opens the database at `url`, creating the SQLite file if needed. SQLite runs in WAL
    /// mode; its writer commits with `synchronous=NORMAL` and fsyncs the log before it
    /// answers, every other connection with `synchronous=FULL`, so an answered write survives
    /// a power cut.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(url, Duration::from_secs(30)).await
    }

    /// [`Store::connect`], with a request waiting at most `acquire_timeout` for a connection
    /// (the pool's all busy, or the database is not answering) before it fails as
    /// [`unreachable`].
    pub async fn connect_with(url: &str, acquire_timeout: Duration) -> StoreResult<Self> {
        let opts = |connections: u32| {
            let mut opts = ConnectOptions::new(url.to_owned());
            opts.sqlx_logging(false)
                .max_connections(connections)
                .connect_timeout(Duration::from_secs(10).min(acquire_timeout))
                .acquire_timeout(acquire_timeout);
            opts
        };
        if !url.starts_with("sqlite:") {
            let db = Database::connect(opts(16)).await?;
            return Ok(Self {
                writer: Writer::start(db.clone()),
                db,
                sources: Default::default(),
                surveys: Default::default(),
                keys: Default::default(),
                clock: Clock::system(),
            });
        }
        // A SQLite connection is a file handle in this process: it cannot be lost as a network
        // connection can, so it is not pinged before each use (the ping is a round trip to the
        // connection's worker thread, as costly as a small query).
        // Commits wait for the disk (`FULL`), and the log is copied into the database file
        // every 1,000 pages (SQLite's default); the writer's own connection (lite.rs) differs.
        let sqlite = |mut opts: ConnectOptions, cache_kib: u32, statements: usize| {
            opts.test_before_acquire(false)
                .map_sqlx_sqlite_opts(move |o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full)
                        .busy_timeout(Duration::from_secs(10))
                        .foreign_keys(true)
                        .create_if_missing(true)
                        .pragma("cache_size", format!("-{cache_kib}"))
                        .pragma("journal_size_limit", wal::SIZE_LIMIT.to_string())
                        .pragma("wal_autocheckpoint", "1000")
                        .statement_cache_capacity(statements)
                });
            opts
        };
        let db = Database::connect(sqlite(opts(8), 2_048, 100)).await?;
        let writer = match main_file(&db).await? {
            Some(file) => {
                // The writer keeps a connection of its own, always the same, used on its own
                // thread (lite.rs): its page cache stays valid from one batch to the next (a
                // pooled connection finds its cache stale whenever another connection has
                // written since its last use, and reads the pages again), and it is large
                // enough to hold the indexes' hot pages. Its commits do not wait for the disk
                // (its syncer fsyncs the log), nor copy the log into the database file (the
                // checkpoint task does, on a connection of its own).
                let path = file.clone();
                let own = tokio::task::spawn_blocking(move || Lite::open(&path, 16_384))
                    .await
                    .map_err(|e| no_writer(std::io::Error::other(e)))??;
                let mut checkpoints = sqlite(opts(1), 1_024, 4);
                checkpoints.min_connections(1);
                let log = LogSync {
                    wal: Wal::of(&file),
                    checkpoints: Database::connect(checkpoints).await?,
                };
                Writer::start_sqlite(own, db.clone(), log).map_err(no_writer)?
            }
            // An in-memory database keeps nothing through a crash anyway; its writer writes
            // through the pool (another connection would open another database).
            None => Writer::start(db.clone()),
        };
        Ok(Self {
            writer,
            db,
            sources: Default::default(),
            surveys: Default::default(),
            keys: Default::default(),
            clock: Clock::system(),
        })
    }

    /// The same database, with the times it writes taken from `clock`.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// The time rows are written with, to the microsecond (what PostgreSQL keeps).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Applies every pending migration, at every start. On PostgreSQL, several processes
    /// (replicas starting together, `tingjian migrate` beside them) take turns: each waits for
    /// an advisory lock, so only the first applies what is pending and the others find nothing
    /// left to do. Without it they race on `CREATE TABLE` and all but one fail.
    pub async fn migrate(&self) -> StoreResult<()> {
        if self.backend() != DbBackend::Postgres {
            // SQLite has no advisory locks, and sea-orm runs its migrations outside a
            // transaction: two processes migrating a fresh file at the same moment could still
            // race. One machine runs one service there, so that is left as it is.
            Migrator::up(&self.db, None).await?;
            return Ok(());
        }
        // `self.db` is a pool: two statements on it may run on two different connections, so
        // a session-level `pg_advisory_lock` / `pg_advisory_unlock` pair could unlock on the
        // wrong connection and leave the lock held by a pooled connection. A transaction
        // pins one connection instead, and `pg_advisory_xact_lock` is released when that
        // transaction ends: on the rollback below, when `lock` is dropped on an error or a
        // cancelled future, or when the connection dies with the process. The transaction
        // runs nothing but the lock. `Migrator::up` runs on another connection of the pool
        // and commits its own transaction before the lock is released, so the next process
        // to get the lock sees the migrations as applied. Being transaction-scoped, the lock
        // also works behind PgBouncer in transaction mode (operations.md suggests it), where
        // a session-level lock could be taken and released on different server connections.
        let lock = self.db.begin().await?;
        lock.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [MIGRATION_LOCK_KEY.into()],
        ))
        .await?;
        let applied = Migrator::up(&self.db, None).await;
        lock.rollback().await?;
        applied?;
        Ok(())
    }

    /// Is the database answering?
    pub async fn ping(&self) -> StoreResult<()> {
        self.db.ping().await?;
        Ok(())
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn close(self) -> StoreResult<()> {
        self.db.close().await?;
        Ok(())
    }
}
