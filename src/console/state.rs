//! What the console keeps per process: its templates, and the sign-in rate limiters.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::render::templates;

pub struct Console {
    pub(super) templates: minijinja::Environment<'static>,
    /// Sign-in attempts per client address.
    pub(super) login_by_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Sign-in attempts per email address, whoever makes them: a slow guesser spread over
    /// many addresses still meets this one.
    pub(super) login_by_email: DefaultKeyedRateLimiter<String>,
}

impl Console {
    /// `per_minute`: sign-in attempts allowed per client address per minute; an email address
    /// gets as many per fifteen minutes.
    pub fn new(per_minute: u32) -> anyhow::Result<Self> {
        let n = NonZeroU32::new(per_minute.max(1))
            .ok_or_else(|| anyhow::anyhow!("rate must be positive"))?;
        let per_email = Quota::with_period(Duration::from_secs(15 * 60) / n.get())
            .ok_or_else(|| anyhow::anyhow!("rate must be positive"))?
            .allow_burst(n);
        Ok(Self {
            templates: templates()?,
            login_by_ip: RateLimiter::keyed(Quota::per_minute(n)),
            login_by_email: RateLimiter::keyed(per_email),
        })
    }

    /// Forgets addresses whose budget is full again (called by the housekeeping tick).
    pub fn tidy(&self) {
        self.login_by_ip.retain_recent();
        self.login_by_ip.shrink_to_fit();
        self.login_by_email.retain_recent();
        self.login_by_email.shrink_to_fit();
    }
}
