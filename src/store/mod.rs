//! The store: the only module that speaks SQL. SQLite (default, a WAL file) and PostgreSQL
//! share the same migrations and queries; backend differences stay inside this module.

pub mod entity;
mod feedback;
mod keys;
mod sources;
mod surveys;
mod understand;
mod workspaces;

pub use feedback::*;
pub use keys::*;
pub use sources::*;
pub use surveys::*;
pub use understand::*;
pub use workspaces::*;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error")]
    Db(#[from] DbErr),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A handle to the database, cheap to clone (a pool inside).
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Opens the database at `url`, creating the SQLite file if needed. SQLite runs in WAL
    /// mode with `synchronous=FULL`, so an answered write survives a power cut.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        if url.starts_with("sqlite:") {
            opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
        } else {
            opts.max_connections(16);
        }
        let db = Database::connect(opts).await?;
        Ok(Self { db })
    }

    /// Applies every pending migration; safe to run from several replicas at once on
    /// PostgreSQL (sea-orm takes the migration table row by row), and at every start.
    pub async fn migrate(&self) -> StoreResult<()> {
        Migrator::up(&self.db, None).await?;
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

/// Is this error a unique-constraint violation? Decided here, at the storage edge.
fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

fn now() -> chrono::DateTime<chrono::Utc> {
    // Microsecond precision: what PostgreSQL keeps, so values read back compare equal.
    let t = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}
