//! Renders a [`Digest`](super::digest::Digest) for people: the mail subject, the mail body
//! as HTML and as plain text, and compact markdown for group robots. The formats share wording
//! and number formatting (`shared`); each escapes user text its own way, because every name
//! and quote is untrusted.

mod html;
mod markdown;
mod shared;
mod subject;
mod text;

#[cfg(test)]
mod tests;

pub(crate) use html::esc;
pub use html::html;
pub use markdown::markdown;
pub(crate) use markdown::md;
pub use shared::Recipient;
pub(crate) use shared::{fmt_count, fmt_share, segment_who};
pub use subject::subject;
pub use text::text;
