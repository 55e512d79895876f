//! Insight maths: feedback metrics (NPS, CSAT, CES, sentiment), their confidence intervals and
//! significance tests, and calendar bucketing of timestamps into reporting periods.
//! Everything here is a pure function over query results, unit-tested without a server.

pub mod metrics;
pub mod period;
pub mod stats;
pub mod tally;
