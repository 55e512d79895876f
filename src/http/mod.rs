//! The HTTP edge: routes per module, the API-key extractor, body reading with limits, and
//! problem+json for everything that goes wrong.

mod auth;
mod body;
mod digests;
pub mod error;
mod feedback;
mod health;
mod imports;
mod insights;
mod interviews;
mod keys;
mod mentions;
pub mod metrics;
mod openapi;
mod sources;
mod surveys;
mod understand;
mod webhooks;
mod workspace;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::{web, HttpRequest};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub use auth::Auth;
pub use body::{from_value, json_body, number_in, parse_json, query_pairs, read_body};
pub use error::ApiError;

use crate::config::Settings;
use crate::store::Store;

/// What every handler can reach; built once per process and shared by all workers.
pub struct AppState {
    pub store: Store,
    /// Redaction and analysis of everything ingested.
    pub pipeline: crate::ingest::Pipeline,
    pub settings: Settings,
    pub metrics: metrics::Metrics,
    pub survey_limiter: DefaultKeyedRateLimiter<IpAddr>,
    pub http_client: reqwest::Client,
    /// Digest and alert mail: SMTP, or `.eml` files when none is configured.
    pub mailer: crate::tell::mail::Mailer,
}

impl AppState {
    pub fn new(
        store: Store,
        settings: Settings,
        analyzer: Arc<crate::analysis::Analyzer>,
    ) -> anyhow::Result<Arc<Self>> {
        let per_minute = NonZeroU32::new(settings.survey_rate_per_minute.max(1))
            .ok_or_else(|| anyhow::anyhow!("rate must be positive"))?;
        let http_client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .connect_timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()?;
        settings
            .mail_from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| anyhow::anyhow!("TINGJIAN_MAIL_FROM is not a mail address: {e}"))?;
        let mailer = crate::tell::mail::Mailer::new(
            settings.smtp_url.as_deref(),
            &settings.mail_dir(),
            settings.smtp_timeout,
        )?;
        Ok(Arc::new(Self {
            mailer,
            store,
            pipeline: crate::ingest::Pipeline::new(analyzer),
            settings,
            metrics: metrics::Metrics::new()?,
            survey_limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            http_client,
        }))
    }

    /// The client's address for rate limiting: the peer, or, when the service sits behind a
    /// trusted proxy, the last `X-Forwarded-For` hop. That is the address the proxy itself
    /// appended (or wrote); everything before it came from the client and can be anything.
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
                let info = req.connection_info();
                format!("{}://{}", info.scheme(), info.host())
            }
        }
    }

    /// Redacts personal data from text kept beside the feedback (interview turns, survey
    /// answers), as the pipeline does for the feedback itself, unless the workspace opted out.
    pub async fn redact_for(
        &self,
        workspace_id: &str,
        texts: &mut [&mut String],
    ) -> Result<(), ApiError> {
        if self
            .pipeline
            .profile(&self.store, workspace_id)
            .await?
            .redact_pii
        {
            for t in texts.iter_mut() {
                if let std::borrow::Cow::Owned(clean) = crate::analysis::pii::redact(t) {
                    **t = clean;
                }
            }
        }
        Ok(())
    }

    /// Redacts and analyses items of a workspace before they are stored.
    pub async fn prepare(
        &self,
        workspace_id: &str,
        items: Vec<crate::domain::NewFeedback>,
    ) -> Result<Vec<crate::domain::NewFeedback>, ApiError> {
        Ok(self
            .pipeline
            .prepare(&self.store, workspace_id, items)
            .await?)
    }
}

/// One `X-Forwarded-For` entry: an address, or an address with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`), which some proxies write.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

pub type State = web::Data<AppState>;

/// Mounts every route; the server and the tests call this.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::routes)
        .configure(openapi::routes)
        .configure(surveys::public_routes)
        .configure(webhooks::routes)
        .configure(digests::public_routes)
        .service(
            web::scope("/api/v1")
                .configure(keys::routes)
                .configure(surveys::routes)
                .configure(sources::routes)
                .configure(interviews::routes)
                .configure(mentions::routes)
                .configure(imports::routes)
                .configure(feedback::routes)
                .configure(understand::routes)
                .configure(insights::routes)
                .configure(digests::routes)
                .configure(workspace::routes),
        );
}

/// A `%00` anywhere in the path or query is refused before routing (see `body::reject_nul`).
pub async fn refuse_nul_in_uri(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    if let Err(e) = body::reject_percent_nul(req.uri().to_string().as_bytes()) {
        let res = actix_web::ResponseError::error_response(&e);
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
