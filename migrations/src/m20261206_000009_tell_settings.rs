//! Tell, settings: a robot subscription may name the people its messages @ (mobile numbers
//! for DingTalk and WeCom, open ids for Feishu), kept as a JSON array of strings; and the
//! service's own settings (its public URL, recorded by `serve`) where the command line can
//! read them.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000009_tell_settings"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(DigestSubscription::Table)
                .add_column(
                    ColumnDef::new(DigestSubscription::RobotMentions)
                        .text()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ServiceSetting::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(ServiceSetting::Key)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(ServiceSetting::Value).text().not_null())
                .col(
                    ColumnDef::new(ServiceSetting::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ServiceSetting::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(DigestSubscription::Table)
                .drop_column(DigestSubscription::RobotMentions)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum ServiceSetting {
    Table,
    Key,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DigestSubscription {
    Table,
    RobotMentions,
}
