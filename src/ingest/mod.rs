//! The ingest pipeline between collect and store: personal data is redacted (unless the
//! workspace opted out) and every item analysed, off the async executor, before the items
//! are stored with their analysis in one transaction. Also re-analysis of stored items.

mod pipeline;
mod profile;
mod reanalyze;
mod report;

pub use pipeline::{prepare_items, Pipeline};
pub use profile::Profile;
pub use reanalyze::{reanalyze, Progress};
pub use report::{stored_analysis, AnalysisJson};
