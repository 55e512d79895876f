//! Structured logs through `tracing`. Ids and counts only: feedback text and personal data
//! never reach the log.

use tracing_subscriber::{fmt, EnvFilter};

/// Logs to stderr; `TINGJIAN_LOG_FORMAT=json` for JSON lines, `RUST_LOG` for the level.
pub fn init() {
    init_with("info,sqlx=warn,sea_orm=warn");
}

/// As [`init`], with another default level when `RUST_LOG` is not set (tests use `warn`).
pub fn init_with(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("TINGJIAN_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests spawn many apps) is harmless: keep the first subscriber.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
