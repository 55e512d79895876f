//! A covering index for the scans of survey responses by the time they happened: the scores
//! of the part-hours and part-days the counters and the cached days do not hold, the drivers'
//! and segments' per-day scans, and a segment filter. Without it every such scan read every
//! response of the workspace (`occurred_at` was in no index).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000014_response_period"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_survey_response_period ON survey_response \
                 (workspace_id, occurred_at, nps, csat, ces, survey_id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS idx_survey_response_period")
            .await?;
        Ok(())
    }
}
