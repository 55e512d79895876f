//! What every handler can reach: the store, the ingest pipeline, the settings, the counters,
//! the survey rate limiter, and the poller and outbox for requests that poll or send now.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::{web, HttpRequest};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::collect::poller::Poller;
use crate::config::Settings;
use crate::counters::Counters;
use crate::domain::Clock;
use crate::ingest::Pipeline;
use crate::store::Store;
use crate::tell::outbox::Outbox;

/// What handlers take to reach the state.
pub type State = web::Data<AppState>;

/// Built once per process and shared by all HTTP workers.
pub struct AppState {
    pub store: Store,
    /// Redaction and analysis of everything ingested.
    pub pipeline: Arc<Pipeline>,
    pub settings: Settings,
    pub counters: Arc<Counters>,
    /// Survey submissions per client network (see [`super::limits::network_key`]).
    pub survey_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Responses per survey per clock hour.
    pub survey_hours: super::limits::SurveyHours,
    /// Polls a feed on request (`POST /sources/{id}/poll`).
    pub poller: Poller,
    /// Sends a digest on request (`POST /digests/send`).
    pub outbox: Outbox,
    pub clock: Clock,
}

impl AppState {
    pub fn new(
        store: Store,
        settings: Settings,
        pipeline: Arc<Pipeline>,
        counters: Arc<Counters>,
        poller: Poller,
        outbox: Outbox,
    ) -> anyhow::Result<Arc<Self>> {
        let per_minute = NonZeroU32::new(settings.survey_rate_per_minute.max(1))
            .ok_or_else(|| anyhow::anyhow!("rate must be positive"))?;
        Ok(Arc::new(Self {
            store,
            pipeline,
            clock: settings.clock.clone(),
            settings,
            counters,
            survey_limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            survey_hours: Default::default(),
            poller,
            outbox,
        }))
    }

    /// The client's address for rate limiting: the peer, or, when the service sits behind a
    /// trusted proxy, the last `X-Forwarded-For` hop. That is the address the proxy itself
    /// appended (or wrote); everything before it came from the client and can be anything.
    /// Whether the client's network (an IPv4 address, an IPv6 /64) may submit to a survey
    /// now; counts the submission.
    pub fn survey_rate_ok(&self, req: &HttpRequest) -> bool {
        match self.client_ip(req) {
            Some(ip) => self
                .survey_limiter
                .check_key(&super::limits::network_key(ip))
                .is_ok(),
            None => true,
        }
    }

    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        if self.settings.trust_proxy {
            // Several header lines form one list, in order: the last line has the last hop.
            let forwarded = req
                .headers()
                .get_all("x-forwarded-for")
                .last()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| parse_hop(v.trim()));
            if forwarded.is_some() {
                return forwarded;
            }
        }
        req.peer_addr().map(|a| a.ip())
    }

    /// Base URL for links the service hands out (snippets, pages).
    pub fn public_url(&self, req: &HttpRequest) -> String {
        match &self.settings.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let (scheme, host) = request_origin(req);
                format!("{scheme}://{host}")
            }
        }
    }
}

/// The scheme and host (with its port) the client addressed: the connection's own and its
/// `Host` header, or, behind a trusted proxy (`--trust-proxy`), what the proxy forwarded
/// (`Forwarded`, else `X-Forwarded-Proto` and `X-Forwarded-Host`). Without the flag those
/// headers come from the client and can name any site, so they are not read.
pub fn request_origin(req: &HttpRequest) -> (String, String) {
    let trusted = req
        .app_data::<State>()
        .is_some_and(|s| s.settings.trust_proxy);
    if trusted {
        let info = req.connection_info();
        return (info.scheme().to_owned(), info.host().to_owned());
    }
    let config = req.app_config();
    let scheme = if config.secure() { "https" } else { "http" };
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| config.host().to_owned());
    (scheme.to_owned(), host)
}

/// One `X-Forwarded-For` entry: an address, or an address with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`), which some proxies write.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}
