//! Sources: webhook endpoints (with their signing secrets), and the sources polled on a
//! schedule (social feeds, app stores).

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

use super::entity::{feedback, source};
use super::{Store, StoreResult};
use crate::domain::new_id;

pub use source::Model as Source;

/// How long a rotated-out webhook secret stays valid.
pub const SECRET_GRACE: Duration = Duration::hours(24);

pub struct NewSource {
    pub kind: &'static str,
    pub name: String,
    pub settings: Value,
    pub secret: Option<String>,
    pub next_poll_at: Option<DateTime<Utc>>,
}

impl Store {
    pub async fn create_source(&self, workspace_id: &str, new: NewSource) -> StoreResult<Source> {
        let model = source::ActiveModel {
            id: Set(format!("src_{}", new_id())),
            workspace_id: Set(workspace_id.to_owned()),
            kind: Set(new.kind.to_owned()),
            name: Set(new.name),
            settings: Set(new.settings),
            secret: Set(new.secret),
            previous_secret: Set(None),
            previous_secret_expires_at: Set(None),
            next_poll_at: Set(new.next_poll_at),
            poll_state: Set(Value::Object(Default::default())),
            created_at: Set(self.now()),
            archived_at: Set(None),
        };
        Ok(model.insert(&self.db).await?)
    }

    /// A source of this workspace (archived ones included).
    pub async fn source(&self, workspace_id: &str, id: &str) -> StoreResult<Option<Source>> {
        Ok(source::Entity::find_by_id(id.to_owned())
            .filter(source::Column::WorkspaceId.eq(workspace_id))
            .one(&self.db)
            .await?)
    }

    /// A live source by id alone, for the unauthenticated webhook endpoint (the signature is
    /// the authentication there). Read from memory when this process read it less than
    /// [`super::recent::TRUSTED_FOR`] ago.
    pub async fn live_source(&self, id: &str) -> StoreResult<Option<Arc<Source>>> {
        if let Some(src) = self.sources.get(id) {
            return Ok(Some(src));
        }
        let found = source::Entity::find_by_id(id.to_owned())
            .filter(source::Column::ArchivedAt.is_null())
            .one(&self.db)
            .await?
            .map(Arc::new);
        if let Some(src) = &found {
            self.sources.put(&src.id, src.clone());
        }
        Ok(found)
    }

    pub async fn list_sources(&self, workspace_id: &str) -> StoreResult<Vec<Source>> {
        Ok(source::Entity::find()
            .filter(source::Column::WorkspaceId.eq(workspace_id))
            .order_by_asc(source::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// Replaces the signing secret; the old one stays valid for [`SECRET_GRACE`].
    pub async fn rotate_secret(&self, src: Source, new_secret: String) -> StoreResult<Source> {
        let old = src.secret.clone();
        let mut active = src.into_active_model();
        active.previous_secret = Set(old);
        active.previous_secret_expires_at = Set(Some(self.now() + SECRET_GRACE));
        active.secret = Set(Some(new_secret));
        let saved = active.update(&self.db).await?;
        self.sources.forget(&saved.id);
        Ok(saved)
    }

    pub async fn update_source(
        &self,
        src: Source,
        name: Option<String>,
        settings: Option<Value>,
        next_poll_at: Option<DateTime<Utc>>,
    ) -> StoreResult<Source> {
        let mut active = src.into_active_model();
        if let Some(name) = name {
            active.name = Set(name);
        }
        if let Some(settings) = settings {
            active.settings = Set(settings);
        }
        if next_poll_at.is_some() {
            active.next_poll_at = Set(next_poll_at);
        }
        let saved = active.update(&self.db).await?;
        self.sources.forget(&saved.id);
        Ok(saved)
    }

    /// Sets a webhook's signing secret, or clears it (its URL then carries a token, which
    /// `settings` says). A secret replaced stays valid for [`SECRET_GRACE`], as on rotation.
    pub async fn set_signing(
        &self,
        src: Source,
        secret: Option<String>,
        settings: Value,
    ) -> StoreResult<Source> {
        let old = src.secret.clone();
        let mut active = src.into_active_model();
        if old.is_some() && secret.is_some() && old != secret {
            active.previous_secret = Set(old);
            active.previous_secret_expires_at = Set(Some(self.now() + SECRET_GRACE));
        }
        active.secret = Set(secret);
        active.settings = Set(settings);
        let saved = active.update(&self.db).await?;
        self.sources.forget(&saved.id);
        Ok(saved)
    }

    pub async fn archive_source(&self, src: Source) -> StoreResult<Source> {
        let mut active = src.into_active_model();
        active.archived_at = Set(Some(self.now()));
        active.next_poll_at = Set(None);
        let saved = active.update(&self.db).await?;
        self.sources.forget(&saved.id);
        Ok(saved)
    }

    /// Claims the source of one of `kinds` (the polled kinds: `feed`, `app_store` …) that is
    /// most overdue, for `lease` or its interval if that is shorter: its next poll moves that
    /// far ahead, so other replicas leave it alone while this one polls, and take it over
    /// once the lease ends if this one died. The claim is a compare-and-set on
    /// `next_poll_at`, so of several replicas only one wins. Returns the source and the time
    /// the claim ends, which [`Store::finish_poll`] expects.
    pub async fn claim_due_source(
        &self,
        at: DateTime<Utc>,
        kinds: &[&str],
        lease: Duration,
    ) -> StoreResult<Option<(Source, DateTime<Utc>)>> {
        let due = source::Entity::find()
            .filter(source::Column::Kind.is_in(kinds.iter().copied()))
            .filter(source::Column::ArchivedAt.is_null())
            .filter(source::Column::NextPollAt.lte(at))
            .order_by_asc(source::Column::NextPollAt)
            .limit(1)
            .one(&self.db)
            .await?;
        let Some(src) = due else { return Ok(None) };
        let until = at + poll_interval(&src).min(lease);
        let res = source::Entity::update_many()
            .col_expr(source::Column::NextPollAt, Expr::value(until))
            .filter(source::Column::Id.eq(src.id.clone()))
            .filter(source::Column::NextPollAt.eq(src.next_poll_at))
            .exec(&self.db)
            .await?;
        Ok((res.rows_affected == 1).then_some((src, until)))
    }

    /// Ends a claim made by [`Store::claim_due_source`] at `at` (the poll done, or failed):
    /// the source's next poll is one interval after `at`. Only while the claim is still the
    /// one that ended at `until`: a poll that outlived its lease, taken over by another
    /// replica, changes nothing.
    pub async fn finish_poll(
        &self,
        src: &Source,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<()> {
        source::Entity::update_many()
            .col_expr(
                source::Column::NextPollAt,
                Expr::value(at + poll_interval(src)),
            )
            .filter(source::Column::Id.eq(src.id.clone()))
            .filter(source::Column::NextPollAt.eq(until))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Pushes a live source's next poll one interval past `at`, as a claim does, but
    /// unconditionally: for a poll made by hand (`POST /api/v1/sources/{id}/poll`), so the
    /// background poller does not fetch it again right after.
    pub async fn postpone_poll(&self, src: &Source, at: DateTime<Utc>) -> StoreResult<()> {
        source::Entity::update_many()
            .col_expr(
                source::Column::NextPollAt,
                Expr::value(at + poll_interval(src)),
            )
            .filter(source::Column::Id.eq(src.id.clone()))
            .filter(source::Column::ArchivedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn save_poll_state(&self, source_id: &str, state: Value) -> StoreResult<()> {
        source::Entity::update_many()
            .col_expr(source::Column::PollState, Expr::value(state))
            .filter(source::Column::Id.eq(source_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// When each of these sources' newest feedback item happened, for the sources page; a
    /// source without items is absent from the map.
    pub async fn last_item_at(
        &self,
        workspace_id: &str,
        source_ids: &[String],
    ) -> StoreResult<HashMap<String, DateTime<Utc>>> {
        if source_ids.is_empty() {
            return Ok(HashMap::new());
        }
        // `source_id` is part of the insight index on (workspace_id, occurred_at, …): an
        // index-only scan.
        let rows: Vec<(Option<String>, Option<DateTime<Utc>>)> = feedback::Entity::find()
            .filter(feedback::Column::WorkspaceId.eq(workspace_id))
            .filter(feedback::Column::SourceId.is_in(source_ids.iter().cloned()))
            .select_only()
            .column(feedback::Column::SourceId)
            .column_as(feedback::Column::OccurredAt.max(), "last")
            .group_by(feedback::Column::SourceId)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, at)| Some((id?, at?)))
            .collect())
    }
}

/// A polled source's interval (`settings.interval_secs`, 900 s if missing).
fn poll_interval(src: &Source) -> Duration {
    Duration::seconds(
        src.settings
            .get("interval_secs")
            .and_then(Value::as_i64)
            .unwrap_or(900),
    )
}
