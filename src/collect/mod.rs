//! Collect: each channel turns its input into `NewFeedback`, one file (or folder) per channel:
//! surveys, webhooks, interviews, social feeds and pushed mentions, CSV imports. The feed
//! poller fetches what is due.

pub mod feeds;
pub mod fetch;
pub mod import;
pub mod interview;
pub mod mentions;
pub mod platform;
pub mod poller;
pub mod presets;
pub mod source;
pub mod survey;
pub mod webhook;
