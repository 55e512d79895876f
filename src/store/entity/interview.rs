use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "interview")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub title: String,
    pub format: String,
    pub interviewee_id: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub attributes: Json,
    /// Every parsed turn, interviewer questions included, as context for the feedback items.
    #[sea_orm(column_type = "JsonBinary")]
    pub turns: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
