//! One problem with one field of a request: what every parser in the house reports.

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
