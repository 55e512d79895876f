//! See on a million items: the pain-point ranking reads one index instead of joining every
//! item of the period. A pain-point row carries its item's channel, and an item says whether
//! it has any pain point (`has_pain_point`), so the period's complaints (negative or mixed,
//! or with a pain point) come out of the same covering scan as the other totals.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000010_pain_period"
    }
}

/// The covering indexes of the insight scan, with `has_pain_point` (SQLite).
const SQLITE_INSIGHT: &str = "DROP INDEX IF EXISTS idx_feedback_insight_hour; \
     CREATE INDEX idx_feedback_insight_hour ON feedback \
     (workspace_id, substr(occurred_at, 1, 13), occurred_at, channel, sentiment, \
     nps, csat, ces, source_id, response_id, has_pain_point); \
     DROP INDEX IF EXISTS idx_feedback_insight; \
     CREATE INDEX idx_feedback_insight ON feedback (workspace_id, occurred_at, \
     channel, sentiment, nps, csat, ces, source_id, response_id, has_pain_point, id);";

/// The same indexes as the previous migration left them.
const SQLITE_INSIGHT_BEFORE: &str = "DROP INDEX IF EXISTS idx_feedback_insight_hour; \
     CREATE INDEX idx_feedback_insight_hour ON feedback \
     (workspace_id, substr(occurred_at, 1, 13), occurred_at, channel, sentiment, \
     nps, csat, ces, source_id, response_id); \
     DROP INDEX IF EXISTS idx_feedback_insight; \
     CREATE INDEX idx_feedback_insight ON feedback (workspace_id, occurred_at, \
     channel, sentiment, nps, csat, ces, source_id, response_id, id);";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        m.alter_table(
            Table::alter()
                .table(Feedback::Table)
                .add_column(
                    ColumnDef::new(Feedback::HasPainPoint)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(FeedbackPainPoint::Table)
                .add_column(
                    ColumnDef::new(FeedbackPainPoint::Channel)
                        .string()
                        .not_null()
                        .default(""),
                )
                .to_owned(),
        )
        .await?;
        db.execute_unprepared(
            "UPDATE feedback SET has_pain_point = TRUE WHERE id IN \
             (SELECT feedback_id FROM feedback_pain_point)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE feedback_pain_point SET channel = \
             (SELECT f.channel FROM feedback f WHERE f.id = feedback_pain_point.feedback_id)",
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_pain_point_period")
                .table(FeedbackPainPoint::Table)
                .col(FeedbackPainPoint::WorkspaceId)
                .col(FeedbackPainPoint::OccurredAt)
                .col(FeedbackPainPoint::Category)
                .col(FeedbackPainPoint::Channel)
                .col(FeedbackPainPoint::FeedbackId)
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == sea_orm::DbBackend::Sqlite {
            // One batch on one connection, as in the connect migration.
            db.execute_unprepared(SQLITE_INSIGHT).await?;
            return Ok(());
        }
        m.drop_index(
            Index::drop()
                .name("idx_feedback_insight")
                .table(Feedback::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(insight_index(true)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == sea_orm::DbBackend::Sqlite {
            db.execute_unprepared(SQLITE_INSIGHT_BEFORE).await?;
        } else {
            m.drop_index(
                Index::drop()
                    .name("idx_feedback_insight")
                    .table(Feedback::Table)
                    .to_owned(),
            )
            .await?;
            m.create_index(insight_index(false)).await?;
        }
        m.drop_index(
            Index::drop()
                .name("idx_pain_point_period")
                .table(FeedbackPainPoint::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(FeedbackPainPoint::Table)
                .drop_column(FeedbackPainPoint::Channel)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Feedback::Table)
                .drop_column(Feedback::HasPainPoint)
                .to_owned(),
        )
        .await
    }
}

/// PostgreSQL's covering index of the insight scan, with or without `has_pain_point`.
fn insight_index(with_pain: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index
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
        .col(Feedback::ResponseId);
    if with_pain {
        index.col(Feedback::HasPainPoint);
    }
    index.col(Feedback::Id).to_owned()
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
    ResponseId,
    HasPainPoint,
}

#[derive(DeriveIden)]
enum FeedbackPainPoint {
    Table,
    FeedbackId,
    WorkspaceId,
    OccurredAt,
    Category,
    Channel,
}
