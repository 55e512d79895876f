//! The store: the only module that speaks SQL. SQLite (default, a WAL file) and PostgreSQL
//! share the same migrations and queries; backend differences stay inside this module.

mod attributes;
mod counts;
mod days;
mod db;
mod drivers;
pub mod entity;
mod error;
mod exec;
mod feedback;
mod insights;
mod interviews;
mod keys;
mod lifecycle;
mod lite;
mod members;
mod origins;
mod recent;
mod respondents;
mod responses;
mod rows;
mod sizes;
mod sources;
mod survey_results;
mod surveys;
mod synthetic;
mod tell;
mod understand;
mod wal;
mod workspace_export;
mod workspaces;
mod writer;

pub use days::WARM_DAYS;
pub use db::Store;
pub use error::{unreachable, StoreError, StoreResult};
pub use feedback::*;
pub use interviews::*;
pub use keys::*;
pub use members::*;
pub use origins::OriginNames;
pub use respondents::*;
pub use responses::*;
pub use rows::{Delivery, Ingested, NewSurveyResponse};
pub use sources::*;
pub use survey_results::*;
pub use surveys::*;
pub use synthetic::BENCH_SURVEY;
pub use tell::*;
pub use understand::*;
pub use workspace_export::{RecordKind, RecordPage};
pub use workspaces::*;

/// What the crate's unit tests need of a real store.
#[cfg(test)]
pub(crate) mod testing {
    use super::Store;

    /// A migrated SQLite store in `file`, with one workspace (its id).
    pub(crate) async fn store_with_workspace(file: &std::path::Path) -> (Store, String) {
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let ws = store
            .create_workspace("测试", "Asia/Shanghai")
            .await
            .unwrap()
            .id;
        (store, ws)
    }
}
