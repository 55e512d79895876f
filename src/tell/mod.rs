//! Telling the team: the digest (built from the insights, rendered as HTML, text and
//! markdown with PNG trend charts), its delivery by mail and group robots through an outbox,
//! and spike alerts.

pub mod alerts;
pub mod build;
pub mod chart;
pub mod digest;
pub mod invite;
pub mod links;
pub mod mail;
pub mod outbox;
pub mod render;
pub mod robots;
pub mod scheduler;
pub mod why;
