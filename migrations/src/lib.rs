//! Schema migrations shared by SQLite and PostgreSQL: one list, applied in order at start-up
//! (`tingjian migrate` or `tingjian serve`).

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_collect;
mod m20261129_000002_analysis;
mod m20261129_000003_tell;
mod m20261206_000004_connect;
mod m20261206_000005_see;
mod m20261206_000006_inbox;
mod m20261206_000007_refused_origins;
mod m20261206_000009_tell_settings;
mod m20261206_000010_pain_period;
mod m20261206_000011_survey_answer;
mod m20261206_000012_survey_tally;
mod m20261206_000013_insight_tally;
mod m20261206_000014_response_period;
mod m20261206_000020_delivery_sending;
mod m20261207_000001_lifecycle;
mod m20261207_000002_statement_tally;
mod m20261208_000001_redundant_indexes;
mod m20261209_000001_partial_indexes;

pub use m20261206_000011_survey_answer::backfill_sql as survey_answer_backfill;
pub use m20261206_000013_insight_tally::COUNTERS as INSIGHT_COUNTERS;

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_collect::Migration),
            Box::new(m20261129_000002_analysis::Migration),
            Box::new(m20261129_000003_tell::Migration),
            Box::new(m20261206_000004_connect::Migration),
            Box::new(m20261206_000005_see::Migration),
            Box::new(m20261206_000006_inbox::Migration),
            Box::new(m20261206_000007_refused_origins::Migration),
            Box::new(m20261206_000009_tell_settings::Migration),
            Box::new(m20261206_000010_pain_period::Migration),
            Box::new(m20261206_000011_survey_answer::Migration),
            Box::new(m20261206_000012_survey_tally::Migration),
            Box::new(m20261206_000013_insight_tally::Migration),
            Box::new(m20261206_000014_response_period::Migration),
            Box::new(m20261206_000020_delivery_sending::Migration),
            Box::new(m20261207_000001_lifecycle::Migration),
            Box::new(m20261207_000002_statement_tally::Migration),
            Box::new(m20261208_000001_redundant_indexes::Migration),
            Box::new(m20261209_000001_partial_indexes::Migration),
        ]
    }
}
