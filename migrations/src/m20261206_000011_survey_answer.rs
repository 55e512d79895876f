//! Survey results on a million responses: every answer of a response is also a row of
//! `survey_answer` (one per option of a multi-choice answer), so a question's counts are a
//! range of one covering index instead of a JSON parse per response. The rows are made again
//! whenever a response's answers change and go with the response (foreign key, cascade).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000011_survey_answer"
    }
}

/// Rows of the answers already stored. A scalar is its text (a number as written, a boolean
/// as `true`/`false`); an array gives one row per element, `ordinal` its place; text is cut
/// to 200 characters (no option is longer; the full text stays in `answers`).
const SQLITE_BACKFILL: &str = "INSERT INTO survey_answer \
     (response_id, question_id, ordinal, value, workspace_id, survey_id, received_at) \
     SELECT r.id, a.key, 0, \
       substr(CASE a.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
         ELSE CAST(a.value AS TEXT) END, 1, 200), \
       r.workspace_id, r.survey_id, r.received_at \
     FROM survey_response r, json_each(r.answers) a \
     WHERE a.type NOT IN ('array', 'object', 'null'); \
     INSERT INTO survey_answer \
     (response_id, question_id, ordinal, value, workspace_id, survey_id, received_at) \
     SELECT r.id, a.key, e.key, \
       substr(CASE e.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
         ELSE CAST(e.value AS TEXT) END, 1, 200), \
       r.workspace_id, r.survey_id, r.received_at \
     FROM survey_response r, json_each(r.answers) a, json_each(a.value) e \
     WHERE a.type = 'array' AND e.type NOT IN ('array', 'object', 'null');";

const POSTGRES_BACKFILL: &str = "INSERT INTO survey_answer \
     (response_id, question_id, ordinal, value, workspace_id, survey_id, received_at) \
     SELECT r.id, a.key, 0, left(a.value #>> '{}', 200), r.workspace_id, r.survey_id, \
       r.received_at \
     FROM survey_response r, jsonb_each(r.answers) a \
     WHERE jsonb_typeof(a.value) NOT IN ('array', 'object', 'null'); \
     INSERT INTO survey_answer \
     (response_id, question_id, ordinal, value, workspace_id, survey_id, received_at) \
     SELECT r.id, a.key, e.n - 1, left(e.v #>> '{}', 200), r.workspace_id, r.survey_id, \
       r.received_at \
     FROM survey_response r, jsonb_each(r.answers) a, \
       jsonb_array_elements(CASE WHEN jsonb_typeof(a.value) = 'array' THEN a.value \
         ELSE '[]'::jsonb END) WITH ORDINALITY AS e(v, n) \
     WHERE jsonb_typeof(a.value) = 'array' \
       AND jsonb_typeof(e.v) NOT IN ('array', 'object', 'null');";

/// The statements that make `survey_answer` rows of every stored response (public so that a
/// test can run them on responses it stored).
pub fn backfill_sql(backend: sea_orm::DbBackend) -> &'static str {
    match backend {
        sea_orm::DbBackend::Postgres => POSTGRES_BACKFILL,
        _ => SQLITE_BACKFILL,
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SurveyAnswer::Table)
                .col(ColumnDef::new(SurveyAnswer::ResponseId).string().not_null())
                .col(ColumnDef::new(SurveyAnswer::QuestionId).string().not_null())
                .col(ColumnDef::new(SurveyAnswer::Ordinal).integer().not_null())
                .col(ColumnDef::new(SurveyAnswer::Value).string().not_null())
                .col(
                    ColumnDef::new(SurveyAnswer::WorkspaceId)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(SurveyAnswer::SurveyId).string().not_null())
                .col(
                    ColumnDef::new(SurveyAnswer::ReceivedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(SurveyAnswer::ResponseId)
                        .col(SurveyAnswer::QuestionId)
                        .col(SurveyAnswer::Ordinal),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SurveyAnswer::Table, SurveyAnswer::ResponseId)
                        .to(SurveyResponse::Table, SurveyResponse::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(backfill_sql(m.get_database_backend()))
            .await?;
        // Counts per answer: (question, value) ranges, `ordinal` to count responses once.
        m.create_index(
            Index::create()
                .name("idx_survey_answer_counts")
                .table(SurveyAnswer::Table)
                .col(SurveyAnswer::WorkspaceId)
                .col(SurveyAnswer::SurveyId)
                .col(SurveyAnswer::QuestionId)
                .col(SurveyAnswer::Value)
                .col(SurveyAnswer::Ordinal)
                .to_owned(),
        )
        .await?;
        // Answers over time (the NPS chart of a survey).
        m.create_index(
            Index::create()
                .name("idx_survey_answer_time")
                .table(SurveyAnswer::Table)
                .col(SurveyAnswer::WorkspaceId)
                .col(SurveyAnswer::SurveyId)
                .col(SurveyAnswer::QuestionId)
                .col(SurveyAnswer::ReceivedAt)
                .col(SurveyAnswer::Value)
                .col(SurveyAnswer::Ordinal)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SurveyAnswer::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SurveyAnswer {
    Table,
    ResponseId,
    QuestionId,
    Ordinal,
    Value,
    WorkspaceId,
    SurveyId,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum SurveyResponse {
    Table,
    Id,
}
