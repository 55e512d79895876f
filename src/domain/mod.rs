//! Domain types parsed once at the edge: past this module a value is valid by construction.

mod clock;
mod feedback;
pub mod host;
mod key;
mod stable_id;
mod status;
pub mod text;

pub use clock::Clock;
pub use feedback::*;
pub use key::*;
pub use stable_id::{stable_id, Joint};
pub use status::{DeliveryStatus, Frequency, SurveyStatus};

use serde::Serialize;

/// One problem with one field of a request, named by JSON Pointer (`/questions/1/options`)
/// or, for form posts and query strings, by the field name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A new random id: UUID v7, so ids sort by creation time (used as the pagination cursor).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}
