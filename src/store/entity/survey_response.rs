use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_response")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub survey_id: String,
    pub respondent_id: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub answers: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub attributes: Json,
    pub nps: Option<i16>,
    pub csat: Option<i16>,
    pub ces: Option<i16>,
    pub rating: Option<i16>,
    pub received_at: DateTimeUtc,
    /// When the response was given: its tool's submit time, else when it was received.
    pub occurred_at: Option<DateTimeUtc>,
    /// The time of the version stored (a tool's update time), to keep the latest.
    pub updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
