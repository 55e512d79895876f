//! Domain types parsed once at the edge: past this module a value is valid by construction.

mod clock;
mod feedback;
mod field;
pub mod host;
mod ids;
mod key;
mod member;
pub mod names;
pub mod net;
mod retention;
mod stable_id;
mod status;
pub mod text;
pub mod time;

pub use clock::Clock;
pub use feedback::*;
pub use field::FieldError;
pub use ids::new_id;
pub use key::*;
pub use member::*;
pub use retention::RetentionDays;
pub use stable_id::{stable_id, Joint};
pub use status::{DeliveryStatus, Frequency, SurveyStatus};
