//! Workspaces: the tenant wall. Every other table carries `workspace_id`.

use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use super::entity::workspace;
use super::{now, Store, StoreResult};
use crate::domain::new_id;

pub use workspace::Model as Workspace;

impl Store {
    pub async fn create_workspace(&self, name: &str, timezone: &str) -> StoreResult<Workspace> {
        let model = workspace::ActiveModel {
            id: Set(format!("ws_{}", new_id())),
            name: Set(name.to_owned()),
            timezone: Set(timezone.to_owned()),
            redact_pii: Set(true),
            created_at: Set(now()),
        };
        Ok(model.insert(&self.db).await?)
    }

    pub async fn workspace(&self, id: &str) -> StoreResult<Option<Workspace>> {
        Ok(workspace::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?)
    }
}
