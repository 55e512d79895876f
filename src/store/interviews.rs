//! Interviews as the console lists them: the newest uploads of a workspace with how many
//! feedback items each gave, without reading their transcripts back.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

use super::entity::{feedback, interview};
use super::{Store, StoreResult};

/// One uploaded interview, for a list.
#[derive(Debug, Clone, PartialEq)]
pub struct InterviewSummary {
    pub id: String,
    pub title: String,
    pub format: String,
    pub interviewee_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Feedback items stored from its respondent turns (fewer once some are deleted).
    pub feedback_count: u64,
}

/// id, title, format, interviewee, uploaded at.
type InterviewRow = (String, String, String, Option<String>, DateTime<Utc>);

impl Store {
    /// The workspace's `limit` most recent interviews, newest first.
    pub async fn recent_interviews(
        &self,
        workspace_id: &str,
        limit: u64,
    ) -> StoreResult<Vec<InterviewSummary>> {
        let rows: Vec<InterviewRow> = interview::Entity::find()
            .filter(interview::Column::WorkspaceId.eq(workspace_id))
            .select_only()
            .column(interview::Column::Id)
            .column(interview::Column::Title)
            .column(interview::Column::Format)
            .column(interview::Column::IntervieweeId)
            .column(interview::Column::CreatedAt)
            .order_by_desc(interview::Column::CreatedAt)
            .order_by_desc(interview::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // One grouped count over (workspace_id, source_key): the feedback table's unique
        // index on (workspace_id, source_key, external_id) serves it.
        let keys: Vec<String> = rows.iter().map(|r| format!("interview:{}", r.0)).collect();
        let counts: HashMap<String, i64> = feedback::Entity::find()
            .filter(feedback::Column::WorkspaceId.eq(workspace_id))
            .filter(feedback::Column::SourceKey.is_in(keys))
            .select_only()
            .column(feedback::Column::SourceKey)
            .column_as(feedback::Column::Id.count(), "n")
            .group_by(feedback::Column::SourceKey)
            .into_tuple::<(String, i64)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .map(|(id, title, format, interviewee_id, created_at)| {
                let n = counts.get(&format!("interview:{id}")).copied().unwrap_or(0);
                InterviewSummary {
                    id,
                    title,
                    format,
                    interviewee_id,
                    created_at,
                    feedback_count: n.max(0) as u64,
                }
            })
            .collect())
    }
}
