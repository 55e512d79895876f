//! Collect: each channel turns its input into `NewFeedback`. One file per channel.

pub mod import;
pub mod interview;
pub mod poller;
pub mod social;
pub mod survey;
pub mod webhook;
