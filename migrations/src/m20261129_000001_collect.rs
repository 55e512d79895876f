//! The collect schema: workspaces and their keys, sources, surveys, survey responses,
//! interviews, feedback items and webhook deliveries (for idempotent redelivery).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000001_collect"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Workspace::Table)
                .col(string(Workspace::Id).primary_key())
                .col(string(Workspace::Name))
                .col(string(Workspace::Timezone))
                .col(boolean(Workspace::RedactPii))
                .col(timestamp_with_time_zone(Workspace::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiKey::Table)
                .col(string(ApiKey::Id).primary_key())
                .col(string(ApiKey::WorkspaceId))
                .col(string(ApiKey::Name))
                .col(string(ApiKey::Prefix))
                .col(string_uniq(ApiKey::Hash))
                .col(string(ApiKey::Scopes))
                .col(timestamp_with_time_zone(ApiKey::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiKey::RevokedAt))
                .foreign_key(&mut fk(ApiKey::Table, ApiKey::WorkspaceId))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Source::Table)
                .col(string(Source::Id).primary_key())
                .col(string(Source::WorkspaceId))
                .col(string(Source::Kind))
                .col(string(Source::Name))
                .col(json_binary(Source::Settings))
                .col(string_null(Source::Secret))
                .col(string_null(Source::PreviousSecret))
                .col(timestamp_with_time_zone_null(
                    Source::PreviousSecretExpiresAt,
                ))
                .col(timestamp_with_time_zone_null(Source::NextPollAt))
                .col(json_binary(Source::PollState))
                .col(timestamp_with_time_zone(Source::CreatedAt))
                .col(timestamp_with_time_zone_null(Source::ArchivedAt))
                .foreign_key(&mut fk(Source::Table, Source::WorkspaceId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_source_workspace")
                .table(Source::Table)
                .col(Source::WorkspaceId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_source_next_poll")
                .table(Source::Table)
                .col(Source::NextPollAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Survey::Table)
                .col(string(Survey::Id).primary_key())
                .col(string(Survey::WorkspaceId))
                .col(string(Survey::Title))
                .col(json_binary(Survey::Questions))
                .col(json_binary(Survey::AllowedOrigins))
                .col(string(Survey::Status))
                .col(timestamp_with_time_zone(Survey::CreatedAt))
                .col(timestamp_with_time_zone(Survey::UpdatedAt))
                .foreign_key(&mut fk(Survey::Table, Survey::WorkspaceId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_survey_workspace")
                .table(Survey::Table)
                .col(Survey::WorkspaceId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SurveyResponse::Table)
                .col(string(SurveyResponse::Id).primary_key())
                .col(string(SurveyResponse::WorkspaceId))
                .col(string(SurveyResponse::SurveyId))
                .col(string_null(SurveyResponse::RespondentId))
                .col(json_binary(SurveyResponse::Answers))
                .col(json_binary(SurveyResponse::Attributes))
                .col(small_integer_null(SurveyResponse::Nps))
                .col(small_integer_null(SurveyResponse::Csat))
                .col(small_integer_null(SurveyResponse::Ces))
                .col(timestamp_with_time_zone(SurveyResponse::ReceivedAt))
                .foreign_key(&mut fk(SurveyResponse::Table, SurveyResponse::WorkspaceId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_survey_response_survey")
                .table(SurveyResponse::Table)
                .col(SurveyResponse::WorkspaceId)
                .col(SurveyResponse::SurveyId)
                .col(SurveyResponse::ReceivedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Interview::Table)
                .col(string(Interview::Id).primary_key())
                .col(string(Interview::WorkspaceId))
                .col(string(Interview::Title))
                .col(string(Interview::Format))
                .col(string_null(Interview::IntervieweeId))
                .col(json_binary(Interview::Attributes))
                .col(json_binary(Interview::Turns))
                .col(timestamp_with_time_zone(Interview::CreatedAt))
                .foreign_key(&mut fk(Interview::Table, Interview::WorkspaceId))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Feedback::Table)
                .col(string(Feedback::Id).primary_key())
                .col(string(Feedback::WorkspaceId))
                .col(string(Feedback::Channel))
                .col(string(Feedback::SourceKey))
                .col(string_null(Feedback::SourceId))
                .col(string_null(Feedback::ExternalId))
                .col(string_null(Feedback::RespondentId))
                .col(string_null(Feedback::Author))
                .col(text(Feedback::Text))
                .col(small_integer_null(Feedback::Nps))
                .col(small_integer_null(Feedback::Csat))
                .col(small_integer_null(Feedback::Ces))
                .col(json_binary(Feedback::Attributes))
                .col(json_binary(Feedback::Context))
                .col(timestamp_with_time_zone(Feedback::OccurredAt))
                .col(timestamp_with_time_zone(Feedback::ReceivedAt))
                .foreign_key(&mut fk(Feedback::Table, Feedback::WorkspaceId))
                .to_owned(),
        )
        .await?;
        // Retries never double: one external id per source.
        m.create_index(
            Index::create()
                .name("uq_feedback_external")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::SourceKey)
                .col(Feedback::ExternalId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_feedback_workspace_occurred")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::OccurredAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_feedback_workspace_id")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_feedback_respondent")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::RespondentId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(WebhookDelivery::Table)
                .col(string(WebhookDelivery::SourceId))
                .col(string(WebhookDelivery::WebhookId))
                .col(integer(WebhookDelivery::Stored))
                .col(timestamp_with_time_zone(WebhookDelivery::ReceivedAt))
                .primary_key(
                    Index::create()
                        .col(WebhookDelivery::SourceId)
                        .col(WebhookDelivery::WebhookId),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDelivery::Table.into_iden(),
            Feedback::Table.into_iden(),
            Interview::Table.into_iden(),
            SurveyResponse::Table.into_iden(),
            Survey::Table.into_iden(),
            Source::Table.into_iden(),
            ApiKey::Table.into_iden(),
            Workspace::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

fn fk<T: IntoIden + 'static, C: IntoIden + 'static>(table: T, col: C) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Workspace::Table, Workspace::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[derive(DeriveIden)]
enum Workspace {
    Table,
    Id,
    Name,
    Timezone,
    RedactPii,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKey {
    Table,
    Id,
    WorkspaceId,
    Name,
    Prefix,
    Hash,
    Scopes,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Source {
    Table,
    Id,
    WorkspaceId,
    Kind,
    Name,
    Settings,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    NextPollAt,
    PollState,
    CreatedAt,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum Survey {
    Table,
    Id,
    WorkspaceId,
    Title,
    Questions,
    AllowedOrigins,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SurveyResponse {
    Table,
    Id,
    WorkspaceId,
    SurveyId,
    RespondentId,
    Answers,
    Attributes,
    Nps,
    Csat,
    Ces,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Interview {
    Table,
    Id,
    WorkspaceId,
    Title,
    Format,
    IntervieweeId,
    Attributes,
    Turns,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Id,
    WorkspaceId,
    Channel,
    SourceKey,
    SourceId,
    ExternalId,
    RespondentId,
    Author,
    Text,
    Nps,
    Csat,
    Ces,
    Attributes,
    Context,
    OccurredAt,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    SourceId,
    WebhookId,
    Stored,
    ReceivedAt,
}
