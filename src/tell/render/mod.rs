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
pub use subject::subject;
pub use text::text;

use crate::domain::Frequency;

/// Who a mail goes to: the subscription's unsubscribe link and its cadence, which the footer
/// names. A preview has none.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub unsubscribe_url: &'a str,
    pub frequency: Frequency,
}
