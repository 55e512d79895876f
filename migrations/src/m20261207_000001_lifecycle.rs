//! Data lifecycle: a workspace may keep its feedback for a number of days only
//! (`retention_days`, null keeps it for ever), and the rows that only serve a while (webhook
//! idempotency markers, finished outbox deliveries) are pruned by their time, in small
//! batches, which needs an index on that time.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000001_lifecycle"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Workspace::Table)
                .add_column(ColumnDef::new(Workspace::RetentionDays).integer().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_delivery_received")
                .table(WebhookDelivery::Table)
                .col(WebhookDelivery::ReceivedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_digest_delivery_created")
                .table(DigestDelivery::Table)
                .col(DigestDelivery::CreatedAt)
                .to_owned(),
        )
        .await?;
        // Interviews past a workspace's retention, oldest first.
        m.create_index(
            Index::create()
                .name("idx_interview_workspace_created")
                .table(Interview::Table)
                .col(Interview::WorkspaceId)
                .col(Interview::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_interview_workspace_created")
                .table(Interview::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_digest_delivery_created")
                .table(DigestDelivery::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_webhook_delivery_received")
                .table(WebhookDelivery::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Workspace::Table)
                .drop_column(Workspace::RetentionDays)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Workspace {
    Table,
    RetentionDays,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum DigestDelivery {
    Table,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Interview {
    Table,
    WorkspaceId,
    CreatedAt,
}
