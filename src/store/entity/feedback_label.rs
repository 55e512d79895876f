use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_label")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub feedback_id: String,
    pub workspace_id: String,
    pub sentiment: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub pain_points: Option<Json>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
