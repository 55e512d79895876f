//! The store: the only module that speaks SQL. SQLite (default, a WAL file) and PostgreSQL
//! share the same migrations and queries; backend differences stay inside this module.

mod attributes;
mod days;
mod db;
mod drivers;
pub mod entity;
mod error;
mod feedback;
mod insights;
mod interviews;
mod keys;
mod lifecycle;
mod members;
mod origins;
mod recent;
mod respondents;
mod responses;
mod rows;
mod sources;
mod survey_results;
mod surveys;
mod synthetic;
mod tell;
mod understand;
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
