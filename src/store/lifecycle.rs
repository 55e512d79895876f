//! The data lifecycle's SQL: deleting what has served its time one bounded batch at a time
//! (each batch a short transaction of its own, so a large prune never holds the write lock
//! long), the once-per-interval claim that lets one replica do a round, and the online backup
//! of a SQLite database.
//!
//! Every delete names its rows by a condition, not by a list read earlier: run twice, or on
//! two replicas at once, the second finds nothing left and deletes nothing.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};

use super::entity::{service_setting, workspace};
use super::insights::Sql;
use super::{Store, StoreError, StoreResult};
use crate::domain::RetentionDays;

/// Finished outbox deliveries: what may be pruned (pending ones never are).
const FINISHED: &str = "('sent', 'failed', 'cancelled')";

impl Store {
    /// Deletes up to `limit` webhook idempotency markers received before `before`, oldest
    /// first; returns how many went.
    pub async fn prune_webhook_markers(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> StoreResult<u64> {
        let mut q = Sql::new(self.backend());
        let b = q.bind(before);
        let sql = format!(
            "DELETE FROM webhook_delivery WHERE (source_id, webhook_id) IN \
             (SELECT source_id, webhook_id FROM webhook_delivery WHERE received_at < {b} \
             ORDER BY received_at LIMIT {limit})"
        );
        Ok(self.db.execute(q.statement(sql)).await?.rows_affected())
    }

    /// Deletes up to `limit` finished (sent, failed or cancelled) outbox deliveries queued
    /// before `before`, oldest first; returns how many went.
    pub async fn prune_deliveries(&self, before: DateTime<Utc>, limit: u64) -> StoreResult<u64> {
        let mut q = Sql::new(self.backend());
        let b = q.bind(before);
        let sql = format!(
            "DELETE FROM digest_delivery WHERE id IN (SELECT id FROM digest_delivery \
             WHERE created_at < {b} AND status IN {FINISHED} ORDER BY created_at LIMIT {limit})"
        );
        Ok(self.db.execute(q.statement(sql)).await?.rows_affected())
    }

    /// The workspaces that keep feedback for a limited time, with that time.
    pub async fn retained_workspaces(&self) -> StoreResult<Vec<(String, RetentionDays)>> {
        let rows: Vec<(String, Option<i32>)> = workspace::Entity::find()
            .select_only()
            .column(workspace::Column::Id)
            .column(workspace::Column::RetentionDays)
            .filter(workspace::Column::RetentionDays.is_not_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, days)| Some((id, RetentionDays::from_stored(days?))))
            .collect())
    }

    /// Deletes up to `limit` of the workspace's feedback items given before `before`, oldest
    /// first, with their pain-point, keyword and label rows (foreign keys, cascade).
    pub async fn delete_feedback_before(
        &self,
        workspace_id: &str,
        before: DateTime<Utc>,
        limit: u64,
    ) -> StoreResult<u64> {
        self.delete_oldest(("feedback", "occurred_at"), workspace_id, before, limit)
            .await
    }

    /// The surveys of the workspace with responses given before `before`.
    pub async fn surveys_with_responses_before(
        &self,
        workspace_id: &str,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let mut q = Sql::new(self.backend());
        let (w, b) = (q.bind(workspace_id.to_owned()), q.bind(before));
        let sql = format!(
            "SELECT DISTINCT survey_id FROM survey_response WHERE workspace_id = {w} \
             AND COALESCE(occurred_at, received_at) < {b}"
        );
        let rows = self.db.query_all(q.statement(sql)).await?;
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).map_err(StoreError::from))
            .collect()
    }

    /// Deletes up to `limit` of one survey's responses given before `before`, oldest first.
    /// Their answer rows go with them (cascade), and the database's triggers take them off the
    /// survey's counts. One survey per statement keeps each delete small and its counter rows
    /// few (on PostgreSQL the counting triggers take the workspace's lock first, so no two
    /// deletes take counter rows in opposite orders).
    pub async fn delete_responses_before(
        &self,
        workspace_id: &str,
        survey_id: &str,
        before: DateTime<Utc>,
        limit: u64,
    ) -> StoreResult<u64> {
        let mut q = Sql::new(self.backend());
        let (w, s, b) = (
            q.bind(workspace_id.to_owned()),
            q.bind(survey_id.to_owned()),
            q.bind(before),
        );
        let sql = format!(
            "DELETE FROM survey_response WHERE id IN (SELECT id FROM survey_response \
             WHERE workspace_id = {w} AND survey_id = {s} \
             AND COALESCE(occurred_at, received_at) < {b} LIMIT {limit})"
        );
        Ok(self.db.execute(q.statement(sql)).await?.rows_affected())
    }

    /// Deletes up to `limit` of the workspace's interviews uploaded before `before` (their
    /// transcripts); their feedback items go by their own time.
    pub async fn delete_interviews_before(
        &self,
        workspace_id: &str,
        before: DateTime<Utc>,
        limit: u64,
    ) -> StoreResult<u64> {
        self.delete_oldest(("interview", "created_at"), workspace_id, before, limit)
            .await
    }

    /// Deletes up to `limit` rows of the workspace's `table` whose `time` is before `before`,
    /// oldest first; both names are our own.
    async fn delete_oldest(
        &self,
        (table, time): (&str, &str),
        workspace_id: &str,
        before: DateTime<Utc>,
        limit: u64,
    ) -> StoreResult<u64> {
        let mut q = Sql::new(self.backend());
        let (w, b) = (q.bind(workspace_id.to_owned()), q.bind(before));
        let sql = format!(
            "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE workspace_id = {w} \
             AND {time} < {b} ORDER BY {time} LIMIT {limit})"
        );
        Ok(self.db.execute(q.statement(sql)).await?.rows_affected())
    }

    /// Claims the job `name` for this round if no process claimed it within `every` before
    /// `now`: `true` means this process runs it. One conditional update decides, so of two
    /// replicas asking at once exactly one wins; the claim is kept as a service setting.
    pub async fn claim_job(
        &self,
        name: &str,
        now: DateTime<Utc>,
        every: Duration,
    ) -> StoreResult<bool> {
        let key = format!("job:{name}");
        service_setting::Entity::insert(service_setting::ActiveModel {
            key: sea_orm::Set(key.clone()),
            value: sea_orm::Set("last run".to_owned()),
            updated_at: sea_orm::Set(DateTime::UNIX_EPOCH),
        })
        .on_conflict(
            OnConflict::column(service_setting::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        let claimed = service_setting::Entity::update_many()
            .col_expr(
                service_setting::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(service_setting::Column::Key.eq(key))
            .filter(service_setting::Column::UpdatedAt.lte(now - every))
            .exec(&self.db)
            .await?;
        Ok(claimed.rows_affected == 1)
    }

    /// Writes a consistent copy of the SQLite database to `file` while the service keeps
    /// writing (`VACUUM INTO` reads one snapshot; writers go on beside it in WAL mode). The
    /// file must not exist. PostgreSQL has its own tools for this: it is refused.
    pub async fn backup_sqlite(&self, file: &Path) -> StoreResult<()> {
        if self.backend() != DbBackend::Sqlite {
            return Err(StoreError::Conflict(
                "this is a PostgreSQL database: back it up with pg_dump or continuous \
                 archiving (docs/operations.md, Backups)"
                    .into(),
            ));
        }
        let Some(path) = file.to_str() else {
            return Err(StoreError::Conflict(
                "the backup file's path is not valid UTF-8".into(),
            ));
        };
        let mut q = Sql::new(DbBackend::Sqlite);
        let p = q.bind(path.to_owned());
        self.db
            .execute(q.statement(format!("VACUUM INTO {p}")))
            .await?;
        Ok(())
    }
}
