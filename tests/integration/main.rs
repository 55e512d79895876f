//! Black-box tests: the real app on a random port, a fresh database per test (SQLite and
//! PostgreSQL), spoken to over HTTP like a user's system would.

mod helpers;

mod analysis;
mod basics;
mod browser;
mod cli;
mod feedback;
mod imports;
mod interviews;
mod keys;
mod social;
mod surveys;
mod webhooks;
