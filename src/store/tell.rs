//! Digest subscriptions and the delivery outbox. A delivery row is created once per
//! subscription and period (a unique key), claimed by one worker at a time under a lease
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer), and finished as sent,
//! retried later, or failed.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};
use serde_json::Value;

use super::entity::{digest_delivery, digest_subscription};
use super::error::is_unique_violation;
use super::{Store, StoreError, StoreResult};
use crate::domain::{new_id, DeliveryStatus};

pub use digest_delivery::Model as DigestDelivery;
pub use digest_subscription::Model as Subscription;

pub struct NewSubscription {
    pub email: Option<String>,
    /// Kind, webhook URL and signing secret of a group robot.
    pub robot: Option<(String, String, Option<String>)>,
    /// Whom a robot's messages @ (already checked for the robot's kind); empty for mail.
    pub mentions: Vec<String>,
    pub frequency: String,
    pub weekday: i16,
    pub hour: i16,
    pub timezone: String,
    pub alerts: bool,
}

/// Whom a subscription's robot messages @, as stored (a JSON array of strings).
pub fn subscription_mentions(s: &Subscription) -> Vec<String> {
    s.robot_mentions
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default()
}

/// A pending delivery of `kind` for `period` to a subscription, due at `at`.
fn new_delivery(
    sub: &Subscription,
    kind: &str,
    period: &str,
    payload: Option<Value>,
    at: DateTime<Utc>,
) -> digest_delivery::ActiveModel {
    digest_delivery::ActiveModel {
        id: Set(format!("dlv_{}", new_id())),
        workspace_id: Set(sub.workspace_id.clone()),
        subscription_id: Set(sub.id.clone()),
        kind: Set(kind.to_owned()),
        period: Set(period.to_owned()),
        payload: Set(payload),
        status: Set(DeliveryStatus::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(at),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        sent_at: Set(None),
        sending_attempt: Set(None),
    }
}

/// A subscription gets one delivery of a kind per period (the outbox's unique key): a second
/// insert of the same is skipped.
fn once_per_period() -> OnConflict {
    OnConflict::columns([
        digest_delivery::Column::SubscriptionId,
        digest_delivery::Column::Kind,
        digest_delivery::Column::Period,
    ])
    .do_nothing()
    .to_owned()
}

impl Store {
    /// Subscribes an address or a robot. The same address or robot URL twice in one
    /// workspace is a conflict.
    pub async fn create_subscription(
        &self,
        workspace_id: &str,
        new: NewSubscription,
    ) -> StoreResult<Subscription> {
        let mut dup = digest_subscription::Entity::find()
            .filter(digest_subscription::Column::WorkspaceId.eq(workspace_id))
            .filter(digest_subscription::Column::EndedAt.is_null());
        dup = match (&new.email, &new.robot) {
            (Some(email), _) => dup.filter(digest_subscription::Column::Email.eq(email.clone())),
            (None, Some((_, url, _))) => {
                dup.filter(digest_subscription::Column::RobotUrl.eq(url.clone()))
            }
            (None, None) => return Err(StoreError::Conflict("nothing to deliver to".into())),
        };
        if dup.count(&self.db).await? > 0 {
            return Err(StoreError::Conflict(
                "this address or robot is already subscribed".into(),
            ));
        }
        let (kind, url, secret) = match new.robot {
            Some((k, u, s)) => (Some(k), Some(u), s),
            None => (None, None, None),
        };
        let model = digest_subscription::ActiveModel {
            id: Set(format!("sub_{}", new_id())),
            workspace_id: Set(workspace_id.to_owned()),
            email: Set(new.email),
            robot_kind: Set(kind),
            robot_url: Set(url),
            robot_secret: Set(secret),
            robot_mentions: Set((!new.mentions.is_empty())
                .then(|| serde_json::Value::from(new.mentions).to_string())),
            frequency: Set(new.frequency),
            weekday: Set(new.weekday),
            hour: Set(new.hour),
            timezone: Set(new.timezone),
            alerts: Set(new.alerts),
            unsubscribe_token: Set(unsubscribe_token()),
            created_at: Set(self.now()),
            ended_at: Set(None),
        };
        match model.insert(&self.db).await {
            Ok(sub) => Ok(sub),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(
                "this address or robot is already subscribed".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Live subscriptions of a workspace, oldest first.
    pub async fn subscriptions(&self, workspace_id: &str) -> StoreResult<Vec<Subscription>> {
        Ok(digest_subscription::Entity::find()
            .filter(digest_subscription::Column::WorkspaceId.eq(workspace_id))
            .filter(digest_subscription::Column::EndedAt.is_null())
            .order_by_asc(digest_subscription::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// Every live subscription, for the scheduler.
    pub async fn live_subscriptions(&self) -> StoreResult<Vec<Subscription>> {
        Ok(digest_subscription::Entity::find()
            .filter(digest_subscription::Column::EndedAt.is_null())
            .order_by_asc(digest_subscription::Column::Id)
            .all(&self.db)
            .await?)
    }

    pub async fn subscription(&self, id: &str) -> StoreResult<Option<Subscription>> {
        Ok(digest_subscription::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?)
    }

    pub async fn subscription_by_token(&self, token: &str) -> StoreResult<Option<Subscription>> {
        Ok(digest_subscription::Entity::find()
            .filter(digest_subscription::Column::UnsubscribeToken.eq(token))
            .one(&self.db)
            .await?)
    }

    /// Ends a live subscription of the workspace; `false` if there was none to end.
    pub async fn end_subscription(&self, workspace_id: &str, id: &str) -> StoreResult<bool> {
        let res = digest_subscription::Entity::update_many()
            .col_expr(
                digest_subscription::Column::EndedAt,
                Expr::value(self.now()),
            )
            .filter(digest_subscription::Column::Id.eq(id))
            .filter(digest_subscription::Column::WorkspaceId.eq(workspace_id))
            .filter(digest_subscription::Column::EndedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// One-click unsubscribe by token; ending an ended subscription again is fine.
    pub async fn unsubscribe(&self, token: &str) -> StoreResult<Option<Subscription>> {
        digest_subscription::Entity::update_many()
            .col_expr(
                digest_subscription::Column::EndedAt,
                Expr::value(self.now()),
            )
            .filter(digest_subscription::Column::UnsubscribeToken.eq(token))
            .filter(digest_subscription::Column::EndedAt.is_null())
            .exec(&self.db)
            .await?;
        self.subscription_by_token(token).await
    }

    /// Records that `(subscription, kind, period)` is due; `false` if it already was (the
    /// unique key makes a second scheduler tick, replica or `digest send` a no-op).
    pub async fn enqueue_delivery(
        &self,
        sub: &Subscription,
        kind: &str,
        period: &str,
        payload: Option<Value>,
    ) -> StoreResult<bool> {
        let model = new_delivery(sub, kind, period, payload, self.now());
        let res = digest_delivery::Entity::insert(model)
            .on_conflict(once_per_period())
            .exec_without_returning(&self.db)
            .await?;
        Ok(res == 1)
    }

    /// Records every `(subscription, period)` of `due` as a digest delivery, in one
    /// transaction: a run that dies midway queues none of them, and the next run queues them
    /// all. Pairs already queued are skipped (the unique key), so running this again, or on
    /// another replica at the same time, adds nothing twice. Returns how many were new.
    pub async fn enqueue_digests(&self, due: &[(&Subscription, String)]) -> StoreResult<usize> {
        use sea_orm::TransactionTrait;
        if due.is_empty() {
            return Ok(0);
        }
        let at = self.now();
        let txn = self.db.begin().await?;
        let mut queued = 0;
        // A few hundred rows a statement keeps well inside SQLite's bound on parameters.
        for chunk in due.chunks(400) {
            let models = chunk
                .iter()
                .map(|(sub, period)| new_delivery(sub, "digest", period, None, at));
            queued += digest_delivery::Entity::insert_many(models)
                .on_conflict(once_per_period())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(queued as usize)
    }

    /// Claims up to `limit` due deliveries for `lease`: they are invisible to other workers
    /// until the lease ends, so a worker that dies mid-send leaves its deliveries to be
    /// retried after it. `workspace` narrows the claim to one workspace's deliveries.
    pub async fn claim_deliveries(
        &self,
        lease: Duration,
        limit: u64,
        workspace: Option<&str>,
    ) -> StoreResult<Vec<DigestDelivery>> {
        let at = self.now();
        let backend = self.backend();
        let mut values: Vec<sea_orm::Value> = vec![(at + lease).into(), at.into()];
        let (sql, values) = match backend {
            DbBackend::Postgres => {
                let only = match workspace {
                    Some(ws) => {
                        values.push(ws.into());
                        "AND workspace_id = $3"
                    }
                    None => "",
                };
                (
                    format!(
                        "UPDATE digest_delivery SET locked_until = $1, attempts = attempts + 1 \
                         WHERE id IN (SELECT id FROM digest_delivery WHERE status = 'pending' \
                         AND next_attempt_at <= $2 AND (locked_until IS NULL OR locked_until <= $2) \
                         {only} ORDER BY next_attempt_at LIMIT {limit} FOR UPDATE SKIP LOCKED) \
                         RETURNING *"
                    ),
                    values,
                )
            }
            _ => {
                values.push(at.into());
                let only = match workspace {
                    Some(ws) => {
                        values.push(ws.into());
                        "AND workspace_id = ?"
                    }
                    None => "",
                };
                (
                    format!(
                        "UPDATE digest_delivery SET locked_until = ?, attempts = attempts + 1 \
                         WHERE id IN (SELECT id FROM digest_delivery WHERE status = 'pending' \
                         AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?) \
                         {only} ORDER BY next_attempt_at LIMIT {limit}) RETURNING *"
                    ),
                    values,
                )
            }
        };
        Ok(digest_delivery::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
            .all(&self.db)
            .await?)
    }

    /// Finishes a claimed delivery: sent, cancelled or failed for good. Only while the claim
    /// is still this worker's (its lease unchanged): a worker that outlived its lease, whose
    /// delivery another worker took over, records nothing.
    pub async fn finish_delivery(
        &self,
        d: &DigestDelivery,
        status: DeliveryStatus,
        error: Option<String>,
    ) -> StoreResult<()> {
        let mut q = digest_delivery::Entity::update_many()
            .col_expr(
                digest_delivery::Column::Status,
                Expr::value(status.as_str()),
            )
            .col_expr(
                digest_delivery::Column::LockedUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(digest_delivery::Column::LastError, Expr::value(error))
            .col_expr(
                digest_delivery::Column::SendingAttempt,
                Expr::value(None::<i32>),
            );
        if status == DeliveryStatus::Sent {
            q = q.col_expr(digest_delivery::Column::SentAt, Expr::value(self.now()));
        }
        q.filter(digest_delivery::Column::Id.eq(d.id.clone()))
            .filter(digest_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(digest_delivery::Column::LockedUntil.eq(d.locked_until))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Records, before a robot's message is handed over, that this attempt is sending it;
    /// `false` if the claim is no longer this worker's (its lease ran out and another took
    /// it), and then nothing must be sent. Committed before the request is made: an attempt
    /// cut off after this point is recognised when the delivery is claimed again.
    pub async fn mark_sending(&self, d: &DigestDelivery) -> StoreResult<bool> {
        let res = digest_delivery::Entity::update_many()
            .col_expr(
                digest_delivery::Column::SendingAttempt,
                Expr::value(Some(d.attempts)),
            )
            .filter(digest_delivery::Column::Id.eq(d.id.clone()))
            .filter(digest_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(digest_delivery::Column::LockedUntil.eq(d.locked_until))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Puts a claimed delivery back for another attempt at `at`.
    pub async fn retry_delivery(
        &self,
        d: &DigestDelivery,
        at: DateTime<Utc>,
        error: String,
    ) -> StoreResult<()> {
        digest_delivery::Entity::update_many()
            .col_expr(digest_delivery::Column::NextAttemptAt, Expr::value(at))
            .col_expr(
                digest_delivery::Column::LockedUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(digest_delivery::Column::LastError, Expr::value(Some(error)))
            .col_expr(
                digest_delivery::Column::SendingAttempt,
                Expr::value(None::<i32>),
            )
            .filter(digest_delivery::Column::Id.eq(d.id.clone()))
            .filter(digest_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(digest_delivery::Column::LockedUntil.eq(d.locked_until))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// A workspace's deliveries, newest first, optionally of one status.
    pub async fn deliveries(
        &self,
        workspace_id: &str,
        status: Option<DeliveryStatus>,
        limit: u64,
    ) -> StoreResult<Vec<DigestDelivery>> {
        let mut q = digest_delivery::Entity::find()
            .filter(digest_delivery::Column::WorkspaceId.eq(workspace_id));
        if let Some(s) = status {
            q = q.filter(digest_delivery::Column::Status.eq(s.as_str()));
        }
        Ok(q.order_by_desc(digest_delivery::Column::CreatedAt)
            .order_by_desc(digest_delivery::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    /// Deliveries per status across all workspaces, for `/metrics`.
    pub async fn delivery_status_counts(&self) -> StoreResult<Vec<(String, i64)>> {
        Ok(digest_delivery::Entity::find()
            .select_only()
            .column(digest_delivery::Column::Status)
            .column_as(digest_delivery::Column::Id.count(), "n")
            .group_by(digest_delivery::Column::Status)
            .into_tuple()
            .all(&self.db)
            .await?)
    }
}

/// 32 random bytes, URL-safe: the only thing a one-click unsubscribe needs to know.
fn unsubscribe_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
