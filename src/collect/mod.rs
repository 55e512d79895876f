//! Collect: each channel turns its input into `NewFeedback`, one file (or folder) per channel:
//! surveys, webhooks, interviews, social feeds and pushed mentions, CSV imports, app-store
//! reviews. The poller fetches the feeds and app stores that are due.

pub mod feeds;
pub mod fetch;
pub mod import;
pub mod interview;
pub mod mentions;
pub mod platform;
pub mod poller;
pub mod presets;
pub mod source;
pub mod stores;
pub mod survey;
pub mod webhook;

#[cfg(test)]
mod properties;
