//! Typed settings, built from the command line and the environment and passed in (no globals),
//! so a test can build the app with its own.

use std::path::PathBuf;
use std::time::Duration;

use crate::domain::net::AllowPrivate;
use crate::domain::Clock;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on, `127.0.0.1:8080` by default; port 0 picks a free one.
    pub bind: String,
    /// Where the SQLite file (and later mail files) live when no `DATABASE_URL` is set.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; `None` means the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Base URL the service is reached at from outside, for links in snippets and pages.
    pub public_url: Option<String>,
    /// Use the last `X-Forwarded-For` address (the hop the trusted proxy appended) as the
    /// client address.
    pub trust_proxy: bool,
    /// Survey submissions allowed per client address per minute.
    pub survey_rate_per_minute: u32,
    /// Run the social-feed poller in this process.
    pub run_poller: bool,
    /// How often the poller looks for due feeds.
    pub poll_tick: Duration,
    /// How long a replica's claim on a source lasts (or its interval, if shorter): longer
    /// than a poll can take; a replica that dies mid-poll leaves it to another after this.
    pub poll_lease: Duration,
    /// How often in-memory state is tidied (the survey rate limiter forgets addresses whose
    /// budget is full again); runs whether or not the poller does.
    pub housekeeping_tick: Duration,
    /// Worker threads for the HTTP server (0: one per core).
    pub workers: usize,
    /// SMTP server in lettre's URL form; `None` writes mail as `.eml` files to
    /// `DATA_DIR/mail`.
    pub smtp_url: Option<String>,
    /// Sender of digests and alerts, `Name <address>` or a bare address.
    pub mail_from: String,
    /// Run the digest scheduler, the delivery workers and the hourly spike check in this
    /// process.
    pub run_delivery: bool,
    /// How often due digests are queued and pending deliveries are sent.
    pub delivery_tick: Duration,
    /// How often spikes are looked for.
    pub alert_tick: Duration,
    /// Delay before the first retry of a failed delivery; doubles with each attempt.
    pub retry_base: Duration,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: i32,
    /// How long a claimed delivery stays invisible to other workers (longer than any send
    /// can take); a replica that dies mid-send leaves it to another after this.
    pub delivery_lease: Duration,
    /// Longest a whole SMTP exchange may take before it counts as failed (and is retried).
    pub smtp_timeout: Duration,
    /// A console session ends after this long without a request.
    pub session_idle: Duration,
    /// Sign-in attempts allowed per client address per minute, and per email address per
    /// fifteen minutes (whatever the address).
    pub login_rate_per_minute: u32,
    /// Longest wait between two reads of a request body before the request is answered 408
    /// and the connection closed (nginx's `client_body_timeout`).
    pub body_read_timeout: Duration,
    /// Longest a request waits for a database connection before it is answered 503.
    pub db_acquire_timeout: Duration,
    /// Hosts and networks outgoing requests (feeds, app stores, tools' APIs, group robots)
    /// may reach although they are not public (`TINGJIAN_ALLOW_PRIVATE_URLS`).
    pub allow_private_urls: AllowPrivate,
    /// Run the data lifecycle (pruning and each workspace's retention) in this process; with
    /// several replicas one of them does each round.
    pub run_lifecycle: bool,
    /// How often the data lifecycle runs a round.
    pub lifecycle_tick: Duration,
    /// The time the service goes by: the system clock, or one a test sets and moves.
    pub clock: Clock,
}

impl Settings {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir,
            database_url: None,
            public_url: None,
            trust_proxy: false,
            survey_rate_per_minute: 30,
            run_poller: true,
            poll_tick: Duration::from_secs(15),
            poll_lease: Duration::from_secs(600),
            housekeeping_tick: Duration::from_secs(60),
            workers: 0,
            smtp_url: None,
            mail_from: "听见 <tingjian@localhost>".into(),
            run_delivery: true,
            delivery_tick: Duration::from_secs(30),
            alert_tick: Duration::from_secs(3600),
            retry_base: Duration::from_secs(60),
            max_attempts: 8,
            delivery_lease: Duration::from_secs(300),
            smtp_timeout: Duration::from_secs(60),
            session_idle: Duration::from_secs(12 * 3600),
            login_rate_per_minute: 10,
            body_read_timeout: Duration::from_secs(60),
            db_acquire_timeout: Duration::from_secs(30),
            allow_private_urls: AllowPrivate::none(),
            run_lifecycle: true,
            lifecycle_tick: Duration::from_secs(3600),
            clock: Clock::system(),
        }
    }

    /// Where `.eml` files go when no SMTP server is configured.
    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    /// Base URL for links in mail and robot messages (no request to take a host from).
    pub fn link_base(&self) -> String {
        match &self.public_url {
            Some(url) if !url.trim().is_empty() => url.trim_end_matches('/').to_owned(),
            _ => format!("http://{}", self.bind),
        }
    }

    /// The database to open: `DATABASE_URL` if set, else `DATA_DIR/tingjian.db`.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.clone(),
            _ => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("tingjian.db").display()
            ),
        }
    }
}
