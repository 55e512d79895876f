//! The delivery outbox at work: a scheduler tick records each due `(subscription, period)`
//! once (a unique key), and workers claim pending deliveries under a lease, render, send by
//! mail or group robot, and record the outcome, retrying with exponential backoff and jitter.
//!
//! Once means: a delivery row exists at most once per subscription and period; it is marked
//! sent only after the transport accepted it; a worker that dies holding a claim leaves it
//! to be retried when the lease ends. The one gap is SMTP's own: a server that accepted the
//! message but whose reply was lost looks like a failure, and the message is sent again (with
//! the same Message-ID).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use lettre::message::Mailbox;
use rand::Rng;
use serde_json::Value;

use super::alerts::{render_alert, AlertPayload};
use super::build::{build_digest, last_complete_period, DigestError};
use super::digest::Digest;
use super::mail::Mailer;
use super::mail::{compose, Email, InlineImage, SendError};
use super::robots::{
    build_delivery_request, check_reply, mention_request, ReplyError, RobotKind, RobotRequest,
};
use super::{chart, render};
use crate::analysis::Analyzer;
use crate::counters::Counters;
use crate::domain::Clock;
use crate::domain::{DeliveryStatus, Frequency};
use crate::insight::period::Granularity;
use crate::store::{subscription_mentions, DigestDelivery, Store, StoreResult, Subscription};

/// Deliveries claimed per round: few enough that sending them one after another (each cut
/// off after the SMTP timeout, a minute by default) ends well inside the lease.
const CLAIM_BATCH: u64 = 4;

/// Longest wait between two attempts.
const MAX_BACKOFF_SECS: f64 = 6.0 * 3600.0;

/// What delivering needs, built once at start-up; cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    pub store: Store,
    pub analyzer: Arc<Analyzer>,
    /// Digest and alert mail: SMTP, or `.eml` files when none is configured.
    pub mailer: Arc<Mailer>,
    /// Group robots' webhooks are posted with it.
    pub http: crate::domain::net::Outbound,
    pub counters: Arc<Counters>,
    pub clock: Clock,
    pub policy: DeliveryPolicy,
}

/// Who mail comes from, where links point, and how often a failed delivery is tried again.
#[derive(Clone)]
pub struct DeliveryPolicy {
    /// Base URL of links in mail and robot messages.
    pub link_base: String,
    pub mail_from: Mailbox,
    /// Delay before the first retry; doubles with each attempt.
    pub retry_base: std::time::Duration,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: i32,
    /// How long a claimed delivery stays invisible to other workers: longer than any send
    /// can take (the SMTP exchange is cut at one minute, a robot request at thirty seconds).
    pub lease: std::time::Duration,
}

/// The most recent scheduled send time at or before `now`: `hour` o'clock local time in
/// `tz`, on ISO `weekday` (1 = Monday) for weekly subscriptions, every day for daily ones.
pub fn last_due(
    frequency: &str,
    weekday: i16,
    hour: i16,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&tz).date_naive();
    let time = NaiveTime::from_hms_opt(u32::try_from(hour).ok()?, 0, 0)?;
    let at = |d: chrono::NaiveDate| {
        // A send hour inside a DST gap moves to the first hour that exists.
        tz.from_local_datetime(&d.and_time(time))
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(d.and_time(time) + Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
    };
    let daily = Frequency::parse(frequency) == Some(Frequency::Daily);
    let step = if daily { 1 } else { 7 };
    let mut day = if daily {
        local
    } else {
        let back = (local.weekday().number_from_monday() as i64 - i64::from(weekday)).rem_euclid(7);
        local - Duration::days(back)
    };
    for _ in 0..3 {
        if let Some(t) = at(day) {
            if t <= now {
                return Some(t);
            }
        }
        day -= Duration::days(step);
    }
    None
}

/// A digest rendered once for every subscription that receives it.
struct Rendered {
    subject: String,
    digest: Digest,
    markdown: String,
    images: Vec<(String, Vec<u8>)>,
}

/// What one delivery carries, for either transport.
struct Content {
    subject: String,
    text: String,
    html: String,
    markdown: String,
    images: Vec<(String, Vec<u8>)>,
}

impl Outbox {
    /// Queues the digest each live subscription is due at `now` (its last complete period as
    /// of its most recent send time), unless that send time came before the subscription
    /// existed. Returns how many deliveries were new.
    ///
    /// Every tick works out the whole list again and queues it in one transaction, skipping
    /// what is queued already: a tick that died (a kill, a lost database) queued nothing, and
    /// the next one queues the lot; rows queued some other way (`digest send`, an older
    /// version's tick) are not queued twice.
    pub async fn schedule_due(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        let mut zones: HashMap<String, Tz> = HashMap::new();
        let subs = self.store.live_subscriptions().await?;
        let mut due_list: Vec<(&Subscription, String)> = Vec::new();
        for sub in &subs {
            let sub_tz: Tz = sub.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
            let Some(due) = last_due(&sub.frequency, sub.weekday, sub.hour, sub_tz, now) else {
                continue;
            };
            if due < sub.created_at {
                continue;
            }
            let ws_tz = match zones.get(&sub.workspace_id) {
                Some(tz) => *tz,
                None => {
                    let tz = self
                        .store
                        .workspace(&sub.workspace_id)
                        .await?
                        .and_then(|w| w.timezone.parse().ok())
                        .unwrap_or(chrono_tz::Asia::Shanghai);
                    zones.insert(sub.workspace_id.clone(), tz);
                    tz
                }
            };
            let g = if Frequency::parse(&sub.frequency) == Some(Frequency::Daily) {
                Granularity::Day
            } else {
                Granularity::Week
            };
            due_list.push((sub, last_complete_period(due, ws_tz, g)));
        }
        self.store.enqueue_digests(&due_list).await
    }

    /// Queues `period`'s digest for every live subscription of the workspace (idempotent per
    /// period) and sends what is due. Returns how many deliveries were new.
    pub async fn send_now(&self, workspace_id: &str, period: &str) -> Result<usize, DigestError> {
        let g = super::build::parse_period(period)?;
        let tz: Tz = self
            .store
            .workspace(workspace_id)
            .await?
            .ok_or(DigestError::NoWorkspace)?
            .timezone
            .parse()
            .unwrap_or(chrono_tz::Asia::Shanghai);
        // A period still running would take the period's one delivery with half its data.
        let over = crate::insight::period::period_bounds(period, tz, g)
            .is_some_and(|(_, end)| end <= self.clock.now());
        if !over {
            return Err(DigestError::BadPeriod(format!("{period} (not over yet)")));
        }
        let subs = self.store.subscriptions(workspace_id).await?;
        let due: Vec<_> = subs.iter().map(|s| (s, period.to_owned())).collect();
        let queued = self.store.enqueue_digests(&due).await?;
        // Only this workspace's: the request (or command) waits for what it asked for, not for
        // every other workspace's backlog.
        self.deliver_due(Some(workspace_id)).await;
        Ok(queued)
    }

    /// Claims and sends pending deliveries until none are due. Returns how many were handled.
    pub async fn deliver_pending(&self) -> usize {
        self.deliver_due(None).await
    }

    async fn deliver_due(&self, workspace: Option<&str>) -> usize {
        let mut handled = 0;
        let mut digests: HashMap<(String, String), Arc<Rendered>> = HashMap::new();
        let lease = Duration::from_std(self.policy.lease).unwrap_or(Duration::minutes(5));
        loop {
            let batch = match self
                .store
                .claim_deliveries(lease, CLAIM_BATCH, workspace)
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming deliveries failed");
                    return handled;
                }
            };
            if batch.is_empty() {
                return handled;
            }
            for d in &batch {
                tracing::debug!(delivery = %d.id, attempt = d.attempts, "claimed a delivery");
            }
            for d in batch {
                handled += 1;
                if let Err(e) = self.deliver(&d, &mut digests).await {
                    // The claim lapses with its lease and the delivery is tried again then.
                    tracing::warn!(delivery = %d.id, error = %e, "recording a delivery outcome failed");
                }
            }
        }
    }

    async fn deliver(
        &self,
        d: &DigestDelivery,
        digests: &mut HashMap<(String, String), Arc<Rendered>>,
    ) -> StoreResult<()> {
        let store = &self.store;
        let sub = match store.subscription(&d.subscription_id).await? {
            Some(s) if s.ended_at.is_none() => s,
            _ => {
                self.count(d, "-", DeliveryStatus::Cancelled.as_str());
                return store
                    .finish_delivery(
                        d,
                        DeliveryStatus::Cancelled,
                        Some("the subscription ended".into()),
                    )
                    .await;
            }
        };
        if let (Some(cut), Some(_)) = (d.sending_attempt, &sub.robot_kind) {
            if sub.email.is_none() {
                // Attempt `cut` handed the message to the robot and stopped before recording
                // the answer. The robot may have posted it; it cannot recognise a repeat, so
                // the message is not sent again (docs/design.md, "A robot message sent once").
                self.count(d, channel_of(&sub), DeliveryStatus::Unconfirmed.as_str());
                tracing::warn!(delivery = %d.id, attempt = cut, "a robot delivery was cut off mid-send; not sent again");
                let why = format!(
                    "attempt {cut} was cut off after handing the message to the robot; its \
                     outcome is unknown and it is not sent again (look for 编号 {} in the group)",
                    d.id
                );
                return store
                    .finish_delivery(d, DeliveryStatus::Unconfirmed, Some(why))
                    .await;
            }
        }
        if d.attempts > self.policy.max_attempts {
            // Earlier attempts died before recording an outcome (a crash, a lost database).
            self.count(d, channel_of(&sub), DeliveryStatus::Failed.as_str());
            let why = format!("gave up after {} attempts", d.attempts - 1);
            return store
                .finish_delivery(d, DeliveryStatus::Failed, Some(why))
                .await;
        }
        let unsubscribe = format!(
            "{}/unsubscribe/{}",
            self.policy.link_base, sub.unsubscribe_token
        );
        let content = match d.kind.as_str() {
            "alert" => self.alert_content(d.payload.as_ref(), &unsubscribe),
            _ => {
                let key = (d.workspace_id.clone(), d.period.clone());
                let rendered = match digests.get(&key) {
                    Some(r) => r.clone(),
                    None => match self.render_digest(&d.workspace_id, &d.period).await {
                        Ok(r) => {
                            let r = Arc::new(r);
                            digests.insert(key, r.clone());
                            r
                        }
                        Err(DigestError::Store(e)) => return Err(e),
                        Err(e) => {
                            self.count(d, channel_of(&sub), DeliveryStatus::Failed.as_str());
                            return store
                                .finish_delivery(d, DeliveryStatus::Failed, Some(e.to_string()))
                                .await;
                        }
                    },
                };
                let to = render::Recipient {
                    unsubscribe_url: &unsubscribe,
                    frequency: Frequency::parse(&sub.frequency).unwrap_or(Frequency::Weekly),
                };
                Some(Content {
                    subject: rendered.subject.clone(),
                    text: render::text(&rendered.digest, Some(&to)),
                    html: render::html(&rendered.digest, Some(&to)),
                    markdown: rendered.markdown.clone(),
                    images: rendered.images.clone(),
                })
            }
        };
        let Some(content) = content else {
            self.count(d, channel_of(&sub), DeliveryStatus::Failed.as_str());
            return store
                .finish_delivery(
                    d,
                    DeliveryStatus::Failed,
                    Some("the alert has no content".into()),
                )
                .await;
        };
        let outcome = match (&sub.email, &sub.robot_kind) {
            (Some(to), _) => self.send_mail(d, to, &unsubscribe, content).await,
            (None, Some(kind)) => self.send_robot(d, &sub, kind, content).await,
            (None, None) => Err(SendError::permanent("the subscription has no address")),
        };
        let channel = channel_of(&sub);
        match outcome {
            Ok(()) => {
                self.count(d, channel, DeliveryStatus::Sent.as_str());
                tracing::info!(delivery = %d.id, kind = %d.kind, channel, "delivered");
                store.finish_delivery(d, DeliveryStatus::Sent, None).await
            }
            Err(e) if e.outcome_unknown => {
                self.count(d, channel, DeliveryStatus::Unconfirmed.as_str());
                tracing::warn!(delivery = %d.id, attempt = d.attempts, error = %e.message, "a robot's answer never came; not sent again");
                let why = format!(
                    "{}; its outcome is unknown and it is not sent again (look for 编号 {} in \
                     the group)",
                    e.message, d.id
                );
                store
                    .finish_delivery(d, DeliveryStatus::Unconfirmed, Some(why))
                    .await
            }
            Err(e) if e.retryable && d.attempts < self.policy.max_attempts => {
                self.count(d, channel, "retry");
                let wait = backoff(self.policy.retry_base, d.attempts);
                tracing::warn!(delivery = %d.id, attempt = d.attempts, error = %e.message, "delivery failed; retrying later");
                store
                    .retry_delivery(d, self.clock.now() + wait, e.message)
                    .await
            }
            Err(e) => {
                self.count(d, channel, DeliveryStatus::Failed.as_str());
                tracing::warn!(delivery = %d.id, attempt = d.attempts, error = %e.message, "delivery failed for good");
                store
                    .finish_delivery(d, DeliveryStatus::Failed, Some(e.message))
                    .await
            }
        }
    }
}

fn channel_of(sub: &Subscription) -> &str {
    match (&sub.email, &sub.robot_kind) {
        (Some(_), _) => "email",
        (None, Some(k)) => k.as_str(),
        _ => "-",
    }
}

impl Outbox {
    fn count(&self, d: &DigestDelivery, channel: &str, outcome: &str) {
        self.counters
            .deliveries
            .with_label_values(&[&d.kind, channel, outcome])
            .inc();
    }
}

/// `base · 2^(attempt−1)`, capped at six hours, times a random factor in [0.8, 1.2) so
/// deliveries that failed together do not retry together.
pub fn backoff(base: std::time::Duration, attempt: i32) -> Duration {
    let exp = 2f64.powi((attempt - 1).clamp(0, 30));
    let secs = (base.as_secs_f64() * exp).min(MAX_BACKOFF_SECS);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    Duration::milliseconds((secs * jitter * 1000.0) as i64)
}

impl Outbox {
    async fn render_digest(
        &self,
        workspace_id: &str,
        period: &str,
    ) -> Result<Rendered, DigestError> {
        let digest = build_digest(
            &self.store,
            &self.analyzer,
            &self.policy.link_base,
            workspace_id,
            period,
        )
        .await?;
        let charts = digest.charts.clone();
        // Drawing is CPU work: off the async executor.
        let images = tokio::task::spawn_blocking(move || {
        charts
            .iter()
            .filter_map(|c| match chart::trend_png(c) {
                Ok(png) => Some((c.cid.clone(), png)),
                Err(e) => {
                    tracing::warn!(chart = %c.cid, error = %e, "a chart could not be drawn; sent without it");
                    None
                }
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
        Ok(Rendered {
            subject: render::subject(&digest),
            markdown: render::markdown(&digest),
            digest,
            images,
        })
    }

    fn alert_content(&self, payload: Option<&Value>, unsubscribe: &str) -> Option<Content> {
        let p: AlertPayload = serde_json::from_value(payload?.clone()).ok()?;
        let a = render_alert(&p, &self.policy.link_base, Some(unsubscribe));
        Some(Content {
            subject: a.subject,
            text: a.text,
            html: a.html,
            markdown: a.markdown,
            images: Vec::new(),
        })
    }

    async fn send_mail(
        &self,
        d: &DigestDelivery,
        to: &str,
        unsubscribe: &str,
        content: Content,
    ) -> Result<(), SendError> {
        let message = compose(Email {
            from: &self.policy.mail_from,
            to,
            subject: &content.subject,
            text: content.text,
            html: content.html,
            images: content
                .images
                .into_iter()
                .map(|(content_id, png)| InlineImage { content_id, png })
                .collect(),
            unsubscribe_url: unsubscribe,
            message_id: format!("<{}@tingjian>", d.id),
        })?;
        self.mailer.send(message).await
    }

    async fn send_robot(
        &self,
        d: &DigestDelivery,
        sub: &Subscription,
        kind: &str,
        content: Content,
    ) -> Result<(), SendError> {
        let kind: RobotKind = serde_json::from_value(Value::String(kind.to_owned()))
            .map_err(|_| SendError::permanent(format!("unknown robot kind {kind}")))?;
        let url = sub.robot_url.as_deref().unwrap_or_default();
        let mentions = subscription_mentions(sub);
        let req = build_delivery_request(
            kind,
            url,
            sub.robot_secret.as_deref(),
            &content.subject,
            &content.markdown,
            &mentions,
            self.clock.now(),
            Some(&d.id),
        );
        // Committed before the request: if this process stops between handing the message
        // over and recording the answer, the next claim sees it and does not send again.
        match self.store.mark_sending(d).await {
            Ok(true) => {}
            Ok(false) => {
                return Err(SendError::retry(
                    "the delivery's claim ran out before sending; another worker has it",
                ))
            }
            Err(e) => {
                return Err(SendError::retry(format!(
                    "could not record the attempt before sending: {e}"
                )))
            }
        }
        self.post_robot(kind, &req).await?;
        // WeCom's @ by mobile number is a message of its own. The digest is delivered by now:
        // a failed @ is logged, not retried, so that a retry never sends the digest twice.
        if let Some(at) = mention_request(kind, url, &content.subject, &mentions) {
            if let Err(e) = self.post_robot(kind, &at).await {
                tracing::warn!(subscription = %sub.id, error = %e.message, "the robot's @ message failed");
            }
        }
        Ok(())
    }

    async fn post_robot(&self, kind: RobotKind, req: &RobotRequest) -> Result<(), SendError> {
        let res = self
            .http
            .send(self.http.post(&req.url).json(&req.body))
            .await
            // The URL carries the robot's credential, and what answered (a refused address, a
            // closed port, a timeout) would map the network: the log has the cause, the
            // delivery's error only that the robot could not be reached.
            .map_err(|e| {
                let before_sending = e.before_sending();
                tracing::warn!(detail = %e.log_detail(), "the robot webhook could not be reached");
                if before_sending {
                    SendError::retry(
                        "the robot webhook could not be reached (the server log has the cause)",
                    )
                } else {
                    // The robot may have posted it and its answer was lost: sending it again
                    // could be a second message in the group.
                    SendError::outcome_unknown(
                        "the robot webhook did not answer (cut off or timed out after the \
                         message went out; the server log has the cause)",
                    )
                }
            })?;
        let status = res.status().as_u16();
        let body = res.bytes().await.unwrap_or_default();
        check_reply(kind, status, &body).map_err(|e| match e {
            ReplyError::Retryable(m) => SendError::retry(m),
            ReplyError::Permanent(m) => SendError::permanent(m),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Shanghai;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weekly_due_is_the_last_monday_nine_oclock() {
        // Wednesday 2026-11-25 10:00 in Shanghai: last due Monday 2026-11-23 09:00.
        let due = last_due("weekly", 1, 9, Shanghai, at("2026-11-25T10:00:00+08:00"));
        assert_eq!(due, Some(at("2026-11-23T09:00:00+08:00")));
        // Monday 08:59: not yet; the Monday before.
        let due = last_due("weekly", 1, 9, Shanghai, at("2026-11-23T08:59:00+08:00"));
        assert_eq!(due, Some(at("2026-11-16T09:00:00+08:00")));
        let due = last_due("weekly", 1, 9, Shanghai, at("2026-11-23T09:00:00+08:00"));
        assert_eq!(due, Some(at("2026-11-23T09:00:00+08:00")));
    }

    #[test]
    fn daily_due_is_today_or_yesterday() {
        let due = last_due("daily", 1, 8, Shanghai, at("2026-11-25T07:00:00+08:00"));
        assert_eq!(due, Some(at("2026-11-24T08:00:00+08:00")));
        let due = last_due("daily", 1, 8, Shanghai, at("2026-11-25T08:30:00+08:00"));
        assert_eq!(due, Some(at("2026-11-25T08:00:00+08:00")));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        let base = std::time::Duration::from_secs(60);
        for attempt in 1..=4 {
            let d = backoff(base, attempt).num_milliseconds() as f64 / 1000.0;
            let nominal = 60.0 * 2f64.powi(attempt - 1);
            assert!(d >= nominal * 0.8 && d < nominal * 1.2, "{attempt}: {d}");
        }
        assert!(backoff(base, 30).num_seconds() as f64 <= MAX_BACKOFF_SECS * 1.2);
    }
}
