//! Two indexes every insert kept up to date and no query needed: `idx_survey_response_period`
//! has exactly the columns of `idx_survey_response_insight` (the connect migration gave that
//! one `occurred_at`, and the response-period migration then made it again under another
//! name), and `idx_pain_point_workspace_occurred` is the first three columns of
//! `idx_pain_point_period`, which answers every range it answered. Each survey response and
//! each pain point wrote one index entry fewer after this (docs/performance.md, session 28).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000001_redundant_indexes"
    }
}

#[derive(DeriveIden)]
enum SurveyResponse {
    Table,
    WorkspaceId,
    OccurredAt,
    Nps,
    Csat,
    Ces,
    SurveyId,
}

#[derive(DeriveIden)]
enum FeedbackPainPoint {
    Table,
    WorkspaceId,
    OccurredAt,
    Category,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_survey_response_period")
                .table(SurveyResponse::Table)
                .if_exists()
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_pain_point_workspace_occurred")
                .table(FeedbackPainPoint::Table)
                .if_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_survey_response_period")
                .table(SurveyResponse::Table)
                .col(SurveyResponse::WorkspaceId)
                .col(SurveyResponse::OccurredAt)
                .col(SurveyResponse::Nps)
                .col(SurveyResponse::Csat)
                .col(SurveyResponse::Ces)
                .col(SurveyResponse::SurveyId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_pain_point_workspace_occurred")
                .table(FeedbackPainPoint::Table)
                .col(FeedbackPainPoint::WorkspaceId)
                .col(FeedbackPainPoint::OccurredAt)
                .col(FeedbackPainPoint::Category)
                .to_owned(),
        )
        .await
    }
}
