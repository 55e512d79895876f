use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_refused_origin")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub survey_id: String,
    /// A normalised origin (`https://shop.example`), or empty for sites past the cap.
    #[sea_orm(primary_key, auto_increment = false)]
    pub origin: String,
    pub refusals: i64,
    pub first_at: DateTimeUtc,
    pub last_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
