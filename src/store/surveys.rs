//! Surveys: the stored definition (validated before it gets here) and its status.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

use super::entity::survey;
use super::{Store, StoreResult};
use crate::domain::{new_id, SurveyStatus};

pub use survey::Model as Survey;

impl Store {
    pub async fn create_survey(
        &self,
        workspace_id: &str,
        title: &str,
        definition: Value,
        allowed_origins: Value,
    ) -> StoreResult<Survey> {
        let at = self.now();
        let model = survey::ActiveModel {
            id: Set(format!("sv_{}", new_id())),
            workspace_id: Set(workspace_id.to_owned()),
            title: Set(title.to_owned()),
            questions: Set(definition),
            allowed_origins: Set(allowed_origins),
            status: Set(SurveyStatus::Active.as_str().to_owned()),
            created_at: Set(at),
            updated_at: Set(at),
        };
        Ok(model.insert(&self.db).await?)
    }

    pub async fn survey(&self, workspace_id: &str, id: &str) -> StoreResult<Option<Survey>> {
        Ok(survey::Entity::find_by_id(id.to_owned())
            .filter(survey::Column::WorkspaceId.eq(workspace_id))
            .one(&self.db)
            .await?)
    }

    /// A survey by id alone, for the public pages and the response endpoint.
    pub async fn public_survey(&self, id: &str) -> StoreResult<Option<Survey>> {
        Ok(survey::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?)
    }

    pub async fn list_surveys(
        &self,
        workspace_id: &str,
        status: Option<&str>,
    ) -> StoreResult<Vec<Survey>> {
        let mut q = survey::Entity::find().filter(survey::Column::WorkspaceId.eq(workspace_id));
        q = match status {
            Some(s) => q.filter(survey::Column::Status.eq(s)),
            None => q.filter(survey::Column::Status.ne(SurveyStatus::Archived.as_str())),
        };
        Ok(q.order_by_desc(survey::Column::Id).all(&self.db).await?)
    }

    pub async fn update_survey(
        &self,
        current: Survey,
        title: String,
        definition: Value,
        allowed_origins: Value,
        status: Option<&str>,
    ) -> StoreResult<Survey> {
        let mut active = current.into_active_model();
        active.title = Set(title);
        active.questions = Set(definition);
        active.allowed_origins = Set(allowed_origins);
        if let Some(status) = status {
            active.status = Set(status.to_owned());
        }
        active.updated_at = Set(self.now());
        Ok(active.update(&self.db).await?)
    }

    pub async fn set_survey_status(&self, current: Survey, status: &str) -> StoreResult<Survey> {
        let mut active = current.into_active_model();
        active.status = Set(status.to_owned());
        active.updated_at = Set(self.now());
        Ok(active.update(&self.db).await?)
    }
}
