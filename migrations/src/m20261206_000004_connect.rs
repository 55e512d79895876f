//! Connect: responses from other survey tools are stored like hosted-survey responses, once
//! per response and replaced by the response's later versions. Feedback items say which
//! response they belong to (`response_id`), so that a response's scores are counted once
//! from its row however many text answers it has; `rating` (1–5 stars) joins NPS, CSAT and
//! CES on items and responses; a response's time is when it was given (`occurred_at`), which
//! a tool's submit time sets, and `updated_at` orders its versions.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000004_connect"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        // SQLite takes one column per ALTER TABLE.
        for col in [
            ColumnDef::new(Feedback::Rating)
                .small_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Feedback::ResponseId)
                .string()
                .null()
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Feedback::Table)
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        for col in [
            ColumnDef::new(SurveyResponse::Rating)
                .small_integer()
                .null()
                .to_owned(),
            ColumnDef::new(SurveyResponse::OccurredAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(SurveyResponse::UpdatedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(SurveyResponse::Table)
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        // Hosted-survey items name their response in their external id (`sr_…:{question}`);
        // a response was given when it was received.
        db.execute_unprepared(
            "UPDATE feedback SET response_id = substr(external_id, 1, 35) \
             WHERE substr(source_id, 1, 3) = 'sv_' AND substr(external_id, 1, 3) = 'sr_'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE survey_response SET occurred_at = received_at, updated_at = received_at",
        )
        .await?;

        // The insight scan reads `response_id` to count a response's scores once: the covering
        // indexes carry it so the scan stays inside them.
        if m.get_database_backend() == sea_orm::DbBackend::Sqlite {
            // One batch on one connection: SQLite migrations run outside a transaction, and
            // another pooled connection may still see an index this one dropped.
            db.execute_unprepared(
                "DROP INDEX IF EXISTS idx_feedback_insight_hour; \
                 CREATE INDEX idx_feedback_insight_hour ON feedback \
                 (workspace_id, substr(occurred_at, 1, 13), occurred_at, channel, sentiment, \
                 nps, csat, ces, source_id, response_id); \
                 DROP INDEX IF EXISTS idx_feedback_insight; \
                 CREATE INDEX idx_feedback_insight ON feedback (workspace_id, occurred_at, \
                 channel, sentiment, nps, csat, ces, source_id, response_id, id); \
                 CREATE INDEX idx_feedback_response ON feedback (workspace_id, response_id); \
                 DROP INDEX IF EXISTS idx_survey_response_insight; \
                 CREATE INDEX idx_survey_response_insight ON survey_response (workspace_id, \
                 occurred_at, nps, csat, ces, survey_id);",
            )
            .await?;
            return Ok(());
        }
        m.drop_index(
            Index::drop()
                .name("idx_feedback_insight")
                .table(Feedback::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_feedback_insight")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::OccurredAt)
                .col(Feedback::Channel)
                .col(Feedback::Sentiment)
                .col(Feedback::Nps)
                .col(Feedback::Csat)
                .col(Feedback::Ces)
                .col(Feedback::SourceId)
                .col(Feedback::ResponseId)
                .col(Feedback::Id)
                .to_owned(),
        )
        .await?;
        // A response's items, to give them the response's latest scores.
        m.create_index(
            Index::create()
                .name("idx_feedback_response")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::ResponseId)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_survey_response_insight")
                .table(SurveyResponse::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_survey_response_insight")
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
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        m.drop_index(
            Index::drop()
                .name("idx_survey_response_insight")
                .table(SurveyResponse::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_survey_response_insight")
                .table(SurveyResponse::Table)
                .col(SurveyResponse::WorkspaceId)
                .col(SurveyResponse::ReceivedAt)
                .col(SurveyResponse::Nps)
                .col(SurveyResponse::Csat)
                .col(SurveyResponse::Ces)
                .col(SurveyResponse::SurveyId)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_feedback_response")
                .table(Feedback::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_feedback_insight")
                .table(Feedback::Table)
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == sea_orm::DbBackend::Sqlite {
            db.execute_unprepared("DROP INDEX IF EXISTS idx_feedback_insight_hour")
                .await?;
        }
        for col in [
            SurveyResponse::UpdatedAt,
            SurveyResponse::OccurredAt,
            SurveyResponse::Rating,
        ] {
            m.alter_table(
                Table::alter()
                    .table(SurveyResponse::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        for col in [Feedback::ResponseId, Feedback::Rating] {
            m.alter_table(
                Table::alter()
                    .table(Feedback::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        // The indexes as the previous migration left them.
        m.create_index(
            Index::create()
                .name("idx_feedback_insight")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::OccurredAt)
                .col(Feedback::Channel)
                .col(Feedback::Sentiment)
                .col(Feedback::Nps)
                .col(Feedback::Csat)
                .col(Feedback::Ces)
                .col(Feedback::SourceId)
                .col(Feedback::Id)
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == sea_orm::DbBackend::Sqlite {
            db.execute_unprepared(
                "CREATE INDEX idx_feedback_insight_hour ON feedback \
                 (workspace_id, substr(occurred_at, 1, 13), occurred_at, channel, sentiment, \
                 nps, csat, ces, source_id)",
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Id,
    WorkspaceId,
    OccurredAt,
    Channel,
    Sentiment,
    Nps,
    Csat,
    Ces,
    SourceId,
    Rating,
    ResponseId,
}

#[derive(DeriveIden)]
enum SurveyResponse {
    Table,
    WorkspaceId,
    ReceivedAt,
    OccurredAt,
    UpdatedAt,
    Nps,
    Csat,
    Ces,
    Rating,
    SurveyId,
}
