//! Workspaces: the tenant wall. Every other table carries `workspace_id`.

use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

use super::entity::{service_setting, workspace};
use super::{Store, StoreResult};
use crate::domain::{new_id, RetentionDays};

pub use workspace::Model as Workspace;

/// What a change to a workspace sets; a field left `None` keeps its value.
#[derive(Debug, Default, Clone, Copy)]
pub struct WorkspaceChange<'a> {
    pub name: Option<&'a str>,
    pub timezone: Option<&'a str>,
    pub redact_pii: Option<bool>,
    /// `Some(None)` keeps feedback for ever.
    pub retention_days: Option<Option<RetentionDays>>,
}

impl Store {
    pub async fn create_workspace(&self, name: &str, timezone: &str) -> StoreResult<Workspace> {
        self.create_workspace_with_id(&format!("ws_{}", new_id()), name, timezone)
            .await
    }

    /// A workspace under an id the caller chose: the demo's, which a second run looks for.
    pub async fn create_workspace_with_id(
        &self,
        id: &str,
        name: &str,
        timezone: &str,
    ) -> StoreResult<Workspace> {
        let model = workspace::ActiveModel {
            id: Set(id.to_owned()),
            name: Set(name.to_owned()),
            timezone: Set(timezone.to_owned()),
            redact_pii: Set(true),
            created_at: Set(self.now()),
            retention_days: Set(None),
        };
        Ok(model.insert(&self.db).await?)
    }

    pub async fn update_workspace(
        &self,
        id: &str,
        change: WorkspaceChange<'_>,
    ) -> StoreResult<Workspace> {
        let current = self
            .workspace(id)
            .await?
            .ok_or(super::StoreError::NotFound("workspace"))?;
        let mut active = current.into_active_model();
        if let Some(n) = change.name {
            active.name = Set(n.to_owned());
        }
        if let Some(tz) = change.timezone {
            active.timezone = Set(tz.to_owned());
        }
        if let Some(r) = change.redact_pii {
            active.redact_pii = Set(r);
        }
        if let Some(days) = change.retention_days {
            active.retention_days = Set(days.map(|d| i32::from(d.days())));
        }
        Ok(active.update(&self.db).await?)
    }

    /// The workspace's time zone (Asia/Shanghai when it names none this build knows).
    pub async fn workspace_zone(&self, id: &str) -> StoreResult<chrono_tz::Tz> {
        let ws = self
            .workspace(id)
            .await?
            .ok_or(super::StoreError::NotFound("workspace"))?;
        Ok(ws.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai))
    }

    pub async fn workspace(&self, id: &str) -> StoreResult<Option<Workspace>> {
        Ok(workspace::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?)
    }
}

/// The service setting that holds the URL the service is reached at (`--public-url`), which
/// `serve` records so that commands run elsewhere (`digest send`) link to the same place.
pub const PUBLIC_URL_SETTING: &str = "public_url";

impl Store {
    /// A setting of the whole service (not of a workspace); `None` when never set.
    pub async fn service_setting(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(service_setting::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await?
            .map(|s| s.value))
    }

    /// Sets a service setting, replacing what it was.
    pub async fn set_service_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        let row = service_setting::ActiveModel {
            key: Set(key.to_owned()),
            value: Set(value.to_owned()),
            updated_at: Set(self.now()),
        };
        match service_setting::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await?
        {
            Some(_) => row.update(&self.db).await?,
            None => row.insert(&self.db).await?,
        };
        Ok(())
    }
}
