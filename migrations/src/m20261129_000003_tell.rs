//! The tell schema: digest subscriptions (mail or group robot), the delivery outbox (one row
//! per subscription and period, or per alert item and day, under a unique key), and covering
//! indexes that let insight aggregations read indexes instead of feedback rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000003_tell"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DigestSubscription::Table)
                .col(string(DigestSubscription::Id).primary_key())
                .col(string(DigestSubscription::WorkspaceId))
                .col(string_null(DigestSubscription::Email))
                .col(string_null(DigestSubscription::RobotKind))
                .col(string_null(DigestSubscription::RobotUrl))
                .col(string_null(DigestSubscription::RobotSecret))
                .col(string(DigestSubscription::Frequency))
                .col(small_integer(DigestSubscription::Weekday))
                .col(small_integer(DigestSubscription::Hour))
                .col(string(DigestSubscription::Timezone))
                .col(boolean(DigestSubscription::Alerts))
                .col(string_uniq(DigestSubscription::UnsubscribeToken))
                .col(timestamp_with_time_zone(DigestSubscription::CreatedAt))
                .col(timestamp_with_time_zone_null(DigestSubscription::EndedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DigestSubscription::Table, DigestSubscription::WorkspaceId)
                        .to(Workspace::Table, Workspace::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_digest_subscription_workspace")
                .table(DigestSubscription::Table)
                .col(DigestSubscription::WorkspaceId)
                .to_owned(),
        )
        .await?;

        // One live subscription per address (in any letter case) or robot in a workspace,
        // even when two requests race past the store's own check.
        for sql in [
            "CREATE UNIQUE INDEX uq_digest_subscription_email ON digest_subscription \
             (workspace_id, lower(email)) WHERE ended_at IS NULL AND email IS NOT NULL",
            "CREATE UNIQUE INDEX uq_digest_subscription_robot ON digest_subscription \
             (workspace_id, robot_url) WHERE ended_at IS NULL AND robot_url IS NOT NULL",
        ] {
            m.get_connection().execute_unprepared(sql).await?;
        }

        m.create_table(
            Table::create()
                .table(DigestDelivery::Table)
                .col(string(DigestDelivery::Id).primary_key())
                .col(string(DigestDelivery::WorkspaceId))
                .col(string(DigestDelivery::SubscriptionId))
                // "digest" or "alert".
                .col(string(DigestDelivery::Kind))
                // Digest: period key ("2026-W47", "2026-11-16"); alert: "ITEM@YYYY-MM-DD".
                .col(string(DigestDelivery::Period))
                .col(json_binary_null(DigestDelivery::Payload))
                // pending → sent | failed | cancelled; a claimed row has `locked_until` in the future.
                .col(string(DigestDelivery::Status))
                .col(integer(DigestDelivery::Attempts))
                .col(timestamp_with_time_zone(DigestDelivery::NextAttemptAt))
                .col(timestamp_with_time_zone_null(DigestDelivery::LockedUntil))
                .col(text_null(DigestDelivery::LastError))
                .col(timestamp_with_time_zone(DigestDelivery::CreatedAt))
                .col(timestamp_with_time_zone_null(DigestDelivery::SentAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DigestDelivery::Table, DigestDelivery::SubscriptionId)
                        .to(DigestSubscription::Table, DigestSubscription::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Once per subscription and period (or alert item and day), whatever restarts.
        m.create_index(
            Index::create()
                .name("uq_digest_delivery_once")
                .table(DigestDelivery::Table)
                .col(DigestDelivery::SubscriptionId)
                .col(DigestDelivery::Kind)
                .col(DigestDelivery::Period)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_digest_delivery_due")
                .table(DigestDelivery::Table)
                .col(DigestDelivery::Status)
                .col(DigestDelivery::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_digest_delivery_workspace")
                .table(DigestDelivery::Table)
                .col(DigestDelivery::WorkspaceId)
                .col(DigestDelivery::CreatedAt)
                .to_owned(),
        )
        .await?;

        // Trends, headline numbers and pain-point channels read only these columns: an
        // index-only scan.
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
                // The id lets joins to pain points stay inside the index.
                .col(Feedback::Id)
                .to_owned(),
        )
        .await?;
        // SQLite sorts every row for a GROUP BY on a computed hour unless an index is ordered
        // by that very expression; with this one the hour buckets stream (PostgreSQL hashes).
        if m.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            m.get_connection()
                .execute_unprepared(
                    "CREATE INDEX idx_feedback_insight_hour ON feedback \
                     (workspace_id, substr(occurred_at, 1, 13), occurred_at, channel, sentiment, \
                     nps, csat, ces, source_id)",
                )
                .await?;
        }
        // Survey scores per period, once per response.
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
        // Pain-point counts per period, without reading the category-first index whole.
        m.create_index(
            Index::create()
                .name("idx_pain_point_workspace_occurred")
                .table(FeedbackPainPoint::Table)
                .col(FeedbackPainPoint::WorkspaceId)
                .col(FeedbackPainPoint::OccurredAt)
                .col(FeedbackPainPoint::Category)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            m.get_connection()
                .execute_unprepared("DROP INDEX IF EXISTS idx_feedback_insight_hour")
                .await?;
        }
        m.drop_index(
            Index::drop()
                .name("idx_survey_response_insight")
                .table(SurveyResponse::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_pain_point_workspace_occurred")
                .table(FeedbackPainPoint::Table)
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
        m.drop_table(Table::drop().table(DigestDelivery::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(DigestSubscription::Table).to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Workspace {
    Table,
    Id,
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
}

#[derive(DeriveIden)]
enum SurveyResponse {
    Table,
    WorkspaceId,
    ReceivedAt,
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

#[derive(DeriveIden)]
enum DigestSubscription {
    Table,
    Id,
    WorkspaceId,
    Email,
    RobotKind,
    RobotUrl,
    RobotSecret,
    Frequency,
    Weekday,
    Hour,
    Timezone,
    Alerts,
    UnsubscribeToken,
    CreatedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum DigestDelivery {
    Table,
    Id,
    WorkspaceId,
    SubscriptionId,
    Kind,
    Period,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}
