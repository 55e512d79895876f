use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "digest_subscription")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub email: Option<String>,
    pub robot_kind: Option<String>,
    pub robot_url: Option<String>,
    pub robot_secret: Option<String>,
    /// Whom the robot's messages @: a JSON array of mobile numbers or Feishu open ids.
    pub robot_mentions: Option<String>,
    pub frequency: String,
    pub weekday: i16,
    pub hour: i16,
    pub timezone: String,
    pub alerts: bool,
    pub unsubscribe_token: String,
    pub created_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
