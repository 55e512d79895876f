//! Telling the team: the digest (built from the insights, rendered as HTML, text and
//! markdown with PNG trend charts), its delivery by mail and group robots through an outbox,
//! and spike alerts.

pub mod digest;
