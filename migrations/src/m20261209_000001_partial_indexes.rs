//! The feedback indexes on a column most items leave empty hold only the items that fill it.
//! An item from a webhook, an app store or a feed has no survey response, and most have no
//! respondent, yet each wrote an entry into `idx_feedback_response` and
//! `idx_feedback_respondent` all the same. Every query these indexes serve asks for one
//! response or respondent (`= ?`) or for `IS NOT NULL`, which both stores read as within the
//! index's condition, so they answer as before; the items without one write two index entries
//! fewer (docs/performance.md, session 31). Same SQL on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261209_000001_partial_indexes"
    }
}

/// (index, its column): each on `feedback (workspace_id, column)`.
const PARTIAL: [(&str, &str); 2] = [
    ("idx_feedback_respondent", "respondent_id"),
    ("idx_feedback_response", "response_id"),
];

async fn remake(m: &SchemaManager<'_>, condition: impl Fn(&str) -> String) -> Result<(), DbErr> {
    let db = m.get_connection();
    for (name, column) in PARTIAL {
        // One call, so one connection: on SQLite the migrations run on a pool, outside a
        // transaction, and a second connection may not yet see the index gone.
        db.execute_unprepared(&format!(
            "DROP INDEX IF EXISTS {name}; \
             CREATE INDEX {name} ON feedback (workspace_id, {column}){}",
            condition(column)
        ))
        .await?;
    }
    Ok(())
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        remake(m, |column| format!(" WHERE {column} IS NOT NULL")).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        remake(m, |_| String::new()).await
    }
}
