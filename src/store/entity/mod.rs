//! sea-orm entities, one module per table; only `store` uses them.

pub mod api_key;
pub mod console_session;
pub mod dictionary_word;
pub mod digest_delivery;
pub mod digest_subscription;
pub mod feedback;
pub mod feedback_keyword;
pub mod feedback_label;
pub mod feedback_pain_point;
pub mod interview;
pub mod member;
pub mod member_token;
pub mod membership;
pub mod pain_point_category;
pub mod service_setting;
pub mod source;
pub mod survey;
pub mod survey_answer;
pub mod survey_refused_origin;
pub mod survey_response;
pub mod webhook_delivery;
pub mod workspace;
