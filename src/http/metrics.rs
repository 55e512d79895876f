//! Prometheus metrics, served at `/metrics`: requests by route and status, feedback stored by
//! channel, rejected webhooks, feed polls.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use super::State;

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub feedback_stored: IntCounterVec,
    pub webhook_rejected: IntCounterVec,
    pub feed_polls: IntCounterVec,
    pub deliveries: IntCounterVec,
    /// Deliveries in the outbox by status, read from the database at each scrape (so every
    /// replica reports the same shared outbox).
    outbox: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new_custom(Some("tingjian".into()), None)?;
        let http_requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency"),
            &["route"],
        )?;
        let feedback_stored = IntCounterVec::new(
            Opts::new("feedback_stored_total", "Feedback items stored, by channel"),
            &["channel"],
        )?;
        let webhook_rejected = IntCounterVec::new(
            Opts::new(
                "webhook_rejected_total",
                "Webhook deliveries refused, by reason",
            ),
            &["reason"],
        )?;
        let feed_polls = IntCounterVec::new(
            Opts::new("feed_polls_total", "Social feed polls, by outcome"),
            &["outcome"],
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(feedback_stored.clone()))?;
        registry.register(Box::new(webhook_rejected.clone()))?;
        let deliveries = IntCounterVec::new(
            Opts::new(
                "deliveries_total",
                "Digest and alert delivery attempts, by kind (digest, alert), channel (email, \
                 wecom, dingtalk, feishu) and outcome (sent, retry, failed, cancelled)",
            ),
            &["kind", "channel", "outcome"],
        )?;
        registry.register(Box::new(feed_polls.clone()))?;
        registry.register(Box::new(deliveries.clone()))?;
        let outbox = IntGaugeVec::new(
            Opts::new(
                "outbox_deliveries",
                "Digest and alert deliveries in the outbox, by status (pending, sent, failed, cancelled)",
            ),
            &["status"],
        )?;
        registry.register(Box::new(outbox.clone()))?;
        Ok(Self {
            registry,
            http_requests,
            http_duration,
            feedback_stored,
            webhook_rejected,
            feed_polls,
            deliveries,
            outbox,
        })
    }

    pub fn stored(&self, channel: &str, n: u64) {
        self.feedback_stored.with_label_values(&[channel]).inc_by(n);
    }

    fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding our own registry into a Vec cannot fail short of a bug in prometheus.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

/// Counts and times every request, labelled by route pattern (never the raw path, which
/// carries ids).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<State>().cloned();
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let res = next.call(req).await?;
    if let Some(state) = state {
        let status = res.status().as_u16().to_string();
        state
            .metrics
            .http_requests
            .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
            .inc();
        state
            .metrics
            .http_duration
            .with_label_values(&[route.as_str()])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}

pub(super) async fn metrics(state: State) -> HttpResponse {
    match state.store.delivery_status_counts().await {
        Ok(counts) => {
            for status in ["pending", "sent", "failed", "cancelled"] {
                let n = counts
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n);
                state.metrics.outbox.with_label_values(&[status]).set(n);
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not count the outbox for /metrics"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/metrics").route(web::get().to(metrics)));
}
