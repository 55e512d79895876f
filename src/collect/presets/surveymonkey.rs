//! surveymonkey: placeholder while the preset is written.

use serde_json::Value;

use super::{Context, Incoming, Reading, Secrets};
use crate::collect::webhook::SignatureError;
use crate::domain::FieldError;

/// What to fetch from the tool's API to read a response whose callback carried only ids.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchRequest {
    pub survey_id: String,
    pub response_id: String,
}

/// Why a response could not be fetched (placeholder).
#[derive(Debug)]
pub struct FetchError;

impl FetchError {
    pub fn summary(&self) -> String {
        "not yet".into()
    }
}

/// Fetches a response the callback announced (placeholder).
pub async fn fetch_response(
    _http: &reqwest::Client,
    _req: &FetchRequest,
    _api_token: &str,
    _base_url: Option<&str>,
    _cx: &Context,
) -> Result<super::ToolResponse, FetchError> {
    Err(FetchError)
}

pub fn verify(_req: &Incoming<'_>, _secrets: &Secrets<'_>) -> Result<(), SignatureError> {
    Err(SignatureError::Invalid)
}

pub fn read(_body: &Value, _cx: &Context) -> Result<Reading, Vec<FieldError>> {
    Err(vec![FieldError::new("", "not yet")])
}
