//! sea-orm entities, one module per table; only `store` uses them.

pub mod api_key;
pub mod feedback;
pub mod interview;
pub mod source;
pub mod survey;
pub mod survey_response;
pub mod webhook_delivery;
pub mod workspace;
