//! Black-box tests: the real app on a random port, a fresh database per test (SQLite and
//! PostgreSQL), spoken to over HTTP like a user's system would.

mod helpers;
mod robot_server;
mod smtp_server;

mod analysis;
mod basics;
mod browser;
mod cli;
mod clock;
mod console;
mod console_auth;
mod console_manage;
mod console_pages;
mod console_surveys;
mod crash;
mod demo;
mod digest;
mod doors;
mod exports;
mod feedback;
mod group_commit;
mod hostile;
mod imports;
mod interviews;
mod keys;
mod layers;
mod lifecycle;
mod outbound;
mod presets;
mod queueing;
mod replicas;
mod social;
mod stores;
mod survey_limits;
mod survey_pages;
mod surveys;
mod tenants;
mod webhooks;
mod why;
