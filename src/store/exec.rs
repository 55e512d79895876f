//! What the writer's merged writes need of a connection, so that the same code runs on either
//! of two: sea-orm's (PostgreSQL, an in-memory SQLite) and the SQLite writer's own
//! connection ([`super::lite`]), which runs each statement on the writer's thread without
//! handing it to another thread and waiting to be woken.

use std::future::Future;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement, TryGetable};

/// A connection, or a transaction or savepoint on one, that runs built statements.
pub(super) trait Exec: Sync {
    fn backend(&self) -> DbBackend;

    /// Whether the database's triggers run on this connection. The SQLite writer's own runs
    /// none: as it inserts it adds to the counters itself ([`super::counts::Counts`]).
    fn runs_triggers(&self) -> bool {
        true
    }

    /// Runs a statement that returns no rows; the rows it changed.
    fn run(&self, stmt: Statement) -> impl Future<Output = Result<u64, DbErr>> + Send;

    /// Runs a statement and reads each row it returns as `R`.
    fn rows<R: Row>(&self, stmt: Statement) -> impl Future<Output = Result<Vec<R>, DbErr>> + Send;
}

/// A transaction or a savepoint, in which a savepoint can be taken.
pub(super) trait Tx: Exec + Send + Sized {
    /// A savepoint inside this transaction.
    fn savepoint(&self) -> impl Future<Output = Result<Self, DbErr>> + Send;
    /// Commits the transaction, or releases the savepoint.
    fn release(self) -> impl Future<Output = Result<(), DbErr>> + Send;
    /// Rolls the transaction, or the savepoint, back.
    fn roll_back(self) -> impl Future<Output = Result<(), DbErr>> + Send;
}

/// A row read by column position, from either connection.
pub(super) trait Row: Sized + Send {
    fn sea(row: &sea_orm::QueryResult) -> Result<Self, DbErr>;
    fn lite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

impl<A> Row for (A,)
where
    A: TryGetable + rusqlite::types::FromSql + Send,
{
    fn sea(row: &sea_orm::QueryResult) -> Result<Self, DbErr> {
        Ok((row.try_get_by_index(0)?,))
    }
    fn lite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok((row.get(0)?,))
    }
}

impl<A, B> Row for (A, B)
where
    A: TryGetable + rusqlite::types::FromSql + Send,
    B: TryGetable + rusqlite::types::FromSql + Send,
{
    fn sea(row: &sea_orm::QueryResult) -> Result<Self, DbErr> {
        Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?))
    }
    fn lite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok((row.get(0)?, row.get(1)?))
    }
}

/// Every sea-orm connection and transaction.
impl<C: ConnectionTrait + Sync> Exec for C {
    fn backend(&self) -> DbBackend {
        self.get_database_backend()
    }

    async fn run(&self, stmt: Statement) -> Result<u64, DbErr> {
        Ok(ConnectionTrait::execute(self, stmt).await?.rows_affected())
    }

    async fn rows<R: Row>(&self, stmt: Statement) -> Result<Vec<R>, DbErr> {
        self.query_all(stmt).await?.iter().map(R::sea).collect()
    }
}

impl Tx for DatabaseTransaction {
    async fn savepoint(&self) -> Result<Self, DbErr> {
        sea_orm::TransactionTrait::begin(self).await
    }
    async fn release(self) -> Result<(), DbErr> {
        self.commit().await
    }
    async fn roll_back(self) -> Result<(), DbErr> {
        self.rollback().await
    }
}
