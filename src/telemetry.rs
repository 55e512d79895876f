//! Structured logs through `tracing`. Ids and counts only: feedback text and personal data
//! never reach the log.

use tracing_subscriber::{fmt, EnvFilter};

/// Logs to stderr; `TINGJIAN_LOG_FORMAT=json` for JSON lines, `RUST_LOG` for the level.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let json = std::env::var("TINGJIAN_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests spawn many apps) is harmless: keep the first subscriber.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
