use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_pain_point")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub feedback_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub category: String,
    pub workspace_id: String,
    pub occurred_at: DateTimeUtc,
    /// The item's channel, so counts per channel read this table's index alone.
    pub channel: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
