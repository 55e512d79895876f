//! A robot message sent once: a delivery records which attempt handed its message to the
//! robot before the request is made (`sending_attempt`), so that an attempt cut off between
//! sending and recording the answer is recognised when the delivery is claimed again, and the
//! message is not sent a second time (see docs/design.md, "A robot message sent once").

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000020_delivery_sending"
    }
}

#[derive(DeriveIden)]
enum DigestDelivery {
    Table,
    SendingAttempt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(DigestDelivery::Table)
                .add_column(
                    ColumnDef::new(DigestDelivery::SendingAttempt)
                        .integer()
                        .null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(DigestDelivery::Table)
                .drop_column(DigestDelivery::SendingAttempt)
                .to_owned(),
        )
        .await
    }
}
