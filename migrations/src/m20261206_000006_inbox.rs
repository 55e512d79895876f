//! See, the inbox: feedback is listed newest first by when it was given or when it was
//! stored, the id breaking ties. One index per order, `(workspace, time, id)`, lets a page
//! start at its cursor and read no more than it shows; the occurred one replaces the older
//! `(workspace, occurred_at)` index, which is its prefix.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000006_inbox"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_feedback_occurred")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::OccurredAt)
                .col(Feedback::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_feedback_received")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::ReceivedAt)
                .col(Feedback::Id)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_feedback_workspace_occurred")
                .table(Feedback::Table)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_feedback_workspace_occurred")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::OccurredAt)
                .to_owned(),
        )
        .await?;
        for name in ["idx_feedback_received", "idx_feedback_occurred"] {
            m.drop_index(Index::drop().name(name).table(Feedback::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    WorkspaceId,
    OccurredAt,
    ReceivedAt,
    Id,
}
