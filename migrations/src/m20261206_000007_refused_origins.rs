//! Refused embeds: how often a survey was asked for from a site not in its
//! `allowed_origins`, per site, so its editors learn which origin to add. At most a fixed
//! number of sites per survey are kept by name; the rest count under the empty origin.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000007_refused_origins"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SurveyRefusedOrigin::Table)
                .col(string(SurveyRefusedOrigin::SurveyId))
                .col(string(SurveyRefusedOrigin::Origin))
                .col(big_integer(SurveyRefusedOrigin::Refusals))
                .col(timestamp_with_time_zone(SurveyRefusedOrigin::FirstAt))
                .col(timestamp_with_time_zone(SurveyRefusedOrigin::LastAt))
                .primary_key(
                    Index::create()
                        .col(SurveyRefusedOrigin::SurveyId)
                        .col(SurveyRefusedOrigin::Origin),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SurveyRefusedOrigin::Table, SurveyRefusedOrigin::SurveyId)
                        .to(Survey::Table, Survey::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SurveyRefusedOrigin::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SurveyRefusedOrigin {
    Table,
    SurveyId,
    Origin,
    Refusals,
    FirstAt,
    LastAt,
}

#[derive(DeriveIden)]
enum Survey {
    Table,
    Id,
}
