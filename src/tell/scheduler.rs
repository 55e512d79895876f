//! The loops that keep telling on time, for as long as the process runs: every delivery tick
//! the due digests are queued and the pending deliveries sent; every alert tick spikes are
//! looked for, and the alerts found are sent at once. Each round asks the clock for the time.

use std::time::Duration;

use super::alerts::Alerts;
use super::outbox::Outbox;

/// Queues due digests and sends pending deliveries every `tick`.
pub async fn digests(outbox: Outbox, tick: Duration) {
    let mut tick = tokio::time::interval(tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = outbox.schedule_due(outbox.clock.now()).await {
            tracing::warn!(error = %e, "digest scheduling failed; will try again next tick");
        }
        outbox.deliver_pending().await;
    }
}

/// Looks for spikes every `tick` and sends the alerts found without waiting for the next
/// delivery tick.
pub async fn alerts(alerts: Alerts, outbox: Outbox, tick: Duration) {
    let mut tick = tokio::time::interval(tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match alerts.check_spikes(alerts.clock.now()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(alerts = n, "spike alerts queued");
                outbox.deliver_pending().await;
            }
            Err(e) => tracing::warn!(error = %e, "spike check failed; will try again next hour"),
        }
    }
}
