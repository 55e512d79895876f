use sea_orm::entity::prelude::*;

/// One answer of a survey response (one option of a multi-choice answer), kept beside the
/// response's `answers` JSON so that results are counted from an index.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_answer")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub response_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: String,
    /// The option's place in a multi-choice answer; 0 for a single value.
    #[sea_orm(primary_key, auto_increment = false)]
    pub ordinal: i32,
    /// The answer as text, cut to 200 characters (no option is longer).
    pub value: String,
    pub workspace_id: String,
    pub survey_id: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
