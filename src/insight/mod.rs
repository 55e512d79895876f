//! Insights: what the feedback says in numbers. The maths (NPS, CSAT, CES and sentiment with
//! their intervals and significance tests; calendar periods in the workspace's zone; spike
//! tests) are pure functions; trends, the pain-point ranking and quotes are assembled over
//! [`queries::Aggregates`], which the store answers, so this room never names the database.

pub mod drivers;
pub mod metrics;
pub mod moments;
pub mod period;
pub mod queries;
pub mod quotes;
pub mod ranking;
pub mod segments;
pub mod stats;
pub mod summary;
pub mod tally;
pub mod trends;

pub use queries::{is_plain_key, Aggregates, Bucket, GroupBy, ResponseAggregates, Sample, Segment};
