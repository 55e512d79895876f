//! survicate: placeholder while the preset is written.

use serde_json::Value;

use super::{Context, Incoming, Reading, Secrets};
use crate::collect::webhook::SignatureError;
use crate::domain::FieldError;

#[allow(dead_code)]
pub const SIGNATURE_SCHEME: Option<&str> = None;

#[allow(dead_code)]
pub fn verify(_req: &Incoming<'_>, _secrets: &Secrets<'_>) -> Result<(), SignatureError> {
    Err(SignatureError::Invalid)
}

pub fn read(_body: &Value, _cx: &Context) -> Result<Reading, Vec<FieldError>> {
    Err(vec![FieldError::new("", "not yet")])
}
