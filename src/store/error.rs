//! The errors every query returns, and how they are told apart: the database out of reach
//! (answered 503) or a unique key already taken.

use sea_orm::DbErr;

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

/// Is this error the database being out of reach (no connection to be had, a connection
/// refused, closed, reset or timed out, the server shutting down or refusing connections),
/// rather than something about the query? Such an error passes when the database is back;
/// the HTTP edge answers it 503 with `Retry-After`.
pub fn unreachable(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_unreachable(e)
        }
        _ => false,
    }
}

fn sqlx_unreachable(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match e {
        Error::Io(_)
        | Error::Tls(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed
        | Error::Protocol(_) => true,
        // PostgreSQL's connection exceptions (class 08), operator intervention (57P01
        // terminated by an administrator, 57P02 crash shutdown, 57P03 cannot connect now),
        // too many connections (53300), and a transaction chosen as a deadlock's victim
        // (40P01) or failed to serialise (40001): all pass, and a retry of the same
        // idempotent request succeeds.
        Error::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("08")
                || c.starts_with("57P0")
                || c == "53300"
                || c == "40P01"
                || c == "40001"
        }),
        _ => false,
    }
}

/// Is this error a unique-constraint violation? Decided here, at the storage edge.
pub(super) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
