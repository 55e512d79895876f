//! The understand schema: each feedback item's analysis (sentiment on the item itself, for
//! fast aggregation; pain points and keywords in their own indexed tables), label
//! corrections, and a workspace's dictionary and pain-point categories.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000002_analysis"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            ColumnDef::new(Feedback::Sentiment)
                .string()
                .null()
                .to_owned(),
            ColumnDef::new(Feedback::SentimentScore)
                .double()
                .null()
                .to_owned(),
            ColumnDef::new(Feedback::Analysis)
                .json_binary()
                .null()
                .to_owned(),
            ColumnDef::new(Feedback::AnalyzerVersion)
                .string()
                .null()
                .to_owned(),
            ColumnDef::new(Feedback::Corrected)
                .boolean()
                .not_null()
                .default(false)
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
        m.create_index(
            Index::create()
                .name("idx_feedback_workspace_sentiment")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::Sentiment)
                .col(Feedback::OccurredAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_feedback_analyzer_version")
                .table(Feedback::Table)
                .col(Feedback::WorkspaceId)
                .col(Feedback::AnalyzerVersion)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(FeedbackPainPoint::Table)
                .col(string(FeedbackPainPoint::FeedbackId))
                .col(string(FeedbackPainPoint::Category))
                .col(string(FeedbackPainPoint::WorkspaceId))
                .col(timestamp_with_time_zone(FeedbackPainPoint::OccurredAt))
                .primary_key(
                    Index::create()
                        .col(FeedbackPainPoint::FeedbackId)
                        .col(FeedbackPainPoint::Category),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(FeedbackPainPoint::Table, FeedbackPainPoint::FeedbackId)
                        .to(Feedback::Table, Feedback::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_pain_point_workspace_category")
                .table(FeedbackPainPoint::Table)
                .col(FeedbackPainPoint::WorkspaceId)
                .col(FeedbackPainPoint::Category)
                .col(FeedbackPainPoint::OccurredAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(FeedbackKeyword::Table)
                .col(string(FeedbackKeyword::FeedbackId))
                .col(string(FeedbackKeyword::Keyword))
                .col(string(FeedbackKeyword::WorkspaceId))
                .col(timestamp_with_time_zone(FeedbackKeyword::OccurredAt))
                .primary_key(
                    Index::create()
                        .col(FeedbackKeyword::FeedbackId)
                        .col(FeedbackKeyword::Keyword),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(FeedbackKeyword::Table, FeedbackKeyword::FeedbackId)
                        .to(Feedback::Table, Feedback::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_keyword_workspace_keyword")
                .table(FeedbackKeyword::Table)
                .col(FeedbackKeyword::WorkspaceId)
                .col(FeedbackKeyword::Keyword)
                .col(FeedbackKeyword::OccurredAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(FeedbackLabel::Table)
                .col(string(FeedbackLabel::FeedbackId).primary_key())
                .col(string(FeedbackLabel::WorkspaceId))
                .col(string_null(FeedbackLabel::Sentiment))
                .col(json_binary_null(FeedbackLabel::PainPoints))
                .col(timestamp_with_time_zone(FeedbackLabel::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(FeedbackLabel::Table, FeedbackLabel::FeedbackId)
                        .to(Feedback::Table, Feedback::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_feedback_label_workspace")
                .table(FeedbackLabel::Table)
                .col(FeedbackLabel::WorkspaceId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DictionaryWord::Table)
                .col(string(DictionaryWord::WorkspaceId))
                .col(string(DictionaryWord::Word))
                .col(timestamp_with_time_zone(DictionaryWord::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(DictionaryWord::WorkspaceId)
                        .col(DictionaryWord::Word),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PainPointCategory::Table)
                .col(string(PainPointCategory::WorkspaceId))
                .col(string(PainPointCategory::Id))
                .col(string(PainPointCategory::Name))
                .col(json_binary(PainPointCategory::Keywords))
                .col(json_binary(PainPointCategory::Examples))
                .col(timestamp_with_time_zone(PainPointCategory::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(PainPointCategory::WorkspaceId)
                        .col(PainPointCategory::Id),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PainPointCategory::Table.into_iden(),
            DictionaryWord::Table.into_iden(),
            FeedbackLabel::Table.into_iden(),
            FeedbackKeyword::Table.into_iden(),
            FeedbackPainPoint::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        for c in [
            Feedback::Sentiment,
            Feedback::SentimentScore,
            Feedback::Analysis,
            Feedback::AnalyzerVersion,
            Feedback::Corrected,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Feedback::Table)
                    .drop_column(c)
                    .to_owned(),
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
    Sentiment,
    SentimentScore,
    Analysis,
    AnalyzerVersion,
    Corrected,
}

#[derive(DeriveIden)]
enum FeedbackPainPoint {
    Table,
    FeedbackId,
    Category,
    WorkspaceId,
    OccurredAt,
}

#[derive(DeriveIden)]
enum FeedbackKeyword {
    Table,
    FeedbackId,
    Keyword,
    WorkspaceId,
    OccurredAt,
}

#[derive(DeriveIden)]
enum FeedbackLabel {
    Table,
    FeedbackId,
    WorkspaceId,
    Sentiment,
    PainPoints,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DictionaryWord {
    Table,
    WorkspaceId,
    Word,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PainPointCategory {
    Table,
    WorkspaceId,
    Id,
    Name,
    Keywords,
    Examples,
    CreatedAt,
}
