use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub channel: String,
    pub source_key: String,
    pub source_id: Option<String>,
    pub external_id: Option<String>,
    pub respondent_id: Option<String>,
    pub author: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub nps: Option<i16>,
    pub csat: Option<i16>,
    pub ces: Option<i16>,
    pub rating: Option<i16>,
    #[sea_orm(column_type = "JsonBinary")]
    pub attributes: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub context: Json,
    pub occurred_at: DateTimeUtc,
    pub received_at: DateTimeUtc,
    pub sentiment: Option<String>,
    pub sentiment_score: Option<f64>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub analysis: Option<Json>,
    pub analyzer_version: Option<String>,
    /// A person corrected the labels: re-analysis leaves them alone.
    pub corrected: bool,
    /// The response this item answers (hosted survey or another tool), if any.
    pub response_id: Option<String>,
    /// It carries at least one pain point (kept with its `feedback_pain_point` rows), so the
    /// period's complaints come out of the insight scan.
    pub has_pain_point: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
