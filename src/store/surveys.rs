//! Surveys: the stored definition (validated before it gets here) and its status.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

use super::entity::{survey, survey_refused_origin};
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
    /// A survey by id alone, for the public endpoints; read from memory when this process
    /// read it less than [`super::recent::TRUSTED_FOR`] ago.
    pub async fn public_survey(&self, id: &str) -> StoreResult<Option<Survey>> {
        if let Some(s) = self.surveys.get(id) {
            return Ok(Some((*s).clone()));
        }
        let found = survey::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?;
        if let Some(s) = &found {
            self.surveys.put(&s.id, std::sync::Arc::new(s.clone()));
        }
        Ok(found)
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
        let saved = active.update(&self.db).await?;
        self.surveys.forget(&saved.id);
        Ok(saved)
    }

    pub async fn set_survey_status(&self, current: Survey, status: &str) -> StoreResult<Survey> {
        let mut active = current.into_active_model();
        active.status = Set(status.to_owned());
        active.updated_at = Set(self.now());
        let saved = active.update(&self.db).await?;
        self.surveys.forget(&saved.id);
        Ok(saved)
    }
}

/// Sites kept by name per survey in the refused-embed counter; refusals from further sites
/// count under the empty origin, so a survey's rows stay bounded whatever is sent to it.
pub const MAX_REFUSED_ORIGINS: u64 = 20;

/// How often a site not in `allowed_origins` asked for a survey.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RefusedOrigin {
    /// The normalised origin to add.
    pub origin: String,
    pub refusals: i64,
    pub first_at: chrono::DateTime<chrono::Utc>,
    pub last_at: chrono::DateTime<chrono::Utc>,
}

/// A survey's refused embeds, as the API's `refused_embeds` shows them.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct RefusedEmbeds {
    /// All refusals, `others` included.
    pub total: i64,
    /// The sites kept by name, most refused first.
    pub origins: Vec<RefusedOrigin>,
    /// Refusals of the sites past [`MAX_REFUSED_ORIGINS`] and of opaque (`null`) origins.
    pub others: i64,
}

impl Store {
    /// Counts one refused embed of `survey_id` by `origin` (already normalised). One
    /// statement when the site is known; a new site takes a row while there are fewer than
    /// [`MAX_REFUSED_ORIGINS`] (two requests at once may both take the last one: the cap
    /// bounds, it is not exact), else counts under the empty origin.
    pub async fn record_refused_origin(&self, survey_id: &str, origin: &str) -> StoreResult<()> {
        use sea_orm::sea_query::{Expr, OnConflict};
        use sea_orm::PaginatorTrait;
        let at = self.now();
        let bump = |origin: &str| {
            survey_refused_origin::Entity::update_many()
                .col_expr(
                    survey_refused_origin::Column::Refusals,
                    Expr::col(survey_refused_origin::Column::Refusals).add(1),
                )
                .col_expr(survey_refused_origin::Column::LastAt, Expr::value(at))
                .filter(survey_refused_origin::Column::SurveyId.eq(survey_id))
                .filter(survey_refused_origin::Column::Origin.eq(origin.to_owned()))
        };
        if bump(origin).exec(&self.db).await?.rows_affected > 0 {
            return Ok(());
        }
        let named = survey_refused_origin::Entity::find()
            .filter(survey_refused_origin::Column::SurveyId.eq(survey_id))
            .filter(survey_refused_origin::Column::Origin.ne(""))
            .count(&self.db)
            .await?;
        let key = if named < MAX_REFUSED_ORIGINS {
            origin
        } else {
            ""
        };
        survey_refused_origin::Entity::insert(survey_refused_origin::ActiveModel {
            survey_id: Set(survey_id.to_owned()),
            origin: Set(key.to_owned()),
            refusals: Set(1),
            first_at: Set(at),
            last_at: Set(at),
        })
        .on_conflict(
            OnConflict::columns([
                survey_refused_origin::Column::SurveyId,
                survey_refused_origin::Column::Origin,
            ])
            .value(
                survey_refused_origin::Column::Refusals,
                Expr::col((
                    survey_refused_origin::Entity,
                    survey_refused_origin::Column::Refusals,
                ))
                .add(1),
            )
            .value(survey_refused_origin::Column::LastAt, Expr::value(at))
            .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// The survey's refused embeds, most refused site first.
    pub async fn refused_embeds(&self, survey_id: &str) -> StoreResult<RefusedEmbeds> {
        let mut out = RefusedEmbeds::default();
        for r in survey_refused_origin::Entity::find()
            .filter(survey_refused_origin::Column::SurveyId.eq(survey_id))
            .all(&self.db)
            .await?
        {
            out.total += r.refusals;
            if r.origin.is_empty() {
                out.others += r.refusals;
            } else {
                out.origins.push(RefusedOrigin {
                    origin: r.origin,
                    refusals: r.refusals,
                    first_at: r.first_at,
                    last_at: r.last_at,
                });
            }
        }
        out.origins
            .sort_by(|a, b| b.refusals.cmp(&a.refusals).then(a.origin.cmp(&b.origin)));
        Ok(out)
    }

    /// Refused embeds per survey, for a list of surveys: one query over their rows (at most
    /// [`MAX_REFUSED_ORIGINS`] + 1 each), summed here the same way on both databases.
    pub async fn refused_totals(
        &self,
        survey_ids: &[String],
    ) -> StoreResult<std::collections::HashMap<String, i64>> {
        use sea_orm::QuerySelect;
        let mut totals = std::collections::HashMap::new();
        if survey_ids.is_empty() {
            return Ok(totals);
        }
        let rows: Vec<(String, i64)> = survey_refused_origin::Entity::find()
            .select_only()
            .column(survey_refused_origin::Column::SurveyId)
            .column(survey_refused_origin::Column::Refusals)
            .filter(survey_refused_origin::Column::SurveyId.is_in(survey_ids.to_vec()))
            .into_tuple()
            .all(&self.db)
            .await?;
        for (id, n) in rows {
            *totals.entry(id).or_insert(0) += n;
        }
        Ok(totals)
    }

    /// Forgets the refusals of origins that are allowed now (called when the survey's
    /// `allowed_origins` change), so the warning goes once the editor has acted on it.
    pub async fn forget_refused_origins(
        &self,
        survey_id: &str,
        allowed: &[String],
    ) -> StoreResult<()> {
        let q = survey_refused_origin::Entity::delete_many()
            .filter(survey_refused_origin::Column::SurveyId.eq(survey_id));
        let q = if allowed.iter().any(|o| o == "*") {
            q
        } else {
            q.filter(survey_refused_origin::Column::Origin.is_in(allowed.to_vec()))
        };
        q.exec(&self.db).await?;
        Ok(())
    }
}
