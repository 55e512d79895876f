use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_keyword")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub feedback_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub keyword: String,
    pub workspace_id: String,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
