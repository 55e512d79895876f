//! 听见 Tingjian: collects user feedback from surveys, webhooks, interviews and social feeds,
//! stores it durably, and serves it to the team over a JSON API.

pub mod analysis;
pub mod cli;
pub mod collect;
pub mod config;
pub mod console;
pub mod counters;
pub mod demo;
pub mod domain;
pub mod export;
pub mod http;
pub mod ingest;
pub mod insight;
pub mod lifecycle;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tell;
