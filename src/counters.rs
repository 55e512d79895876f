//! Prometheus counters: requests by route and status, feedback stored by channel, rejected
//! webhooks, feed polls and deliveries. The HTTP edge, the poller and the outbox count into one
//! set per process; `/metrics` serves them.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

pub struct Counters {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub feedback_stored: IntCounterVec,
    pub webhook_rejected: IntCounterVec,
    pub feed_polls: IntCounterVec,
    pub deliveries: IntCounterVec,
    /// Deliveries in the outbox by status, read from the database at each scrape (so every
    /// replica reports the same shared outbox).
    pub outbox: IntGaugeVec,
}

impl Counters {
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
                "Digest and alert deliveries in the outbox, by status (pending, sent, failed, cancelled, unconfirmed)",
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

    /// The text exposition format, as `/metrics` serves it.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding our own registry into a Vec cannot fail short of a bug in prometheus.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}
