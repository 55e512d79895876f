//! Where an item came from, by the name people know it by: the survey's title, the source's
//! name, the platform (微博), CSV 导入, the interview's title. A list looks its names up once,
//! one query per kind of origin that it holds, never once per item.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;

use super::entity::{feedback, interview, source, survey};
use super::{Feedback, Store, StoreResult};
use crate::domain::names::{channel_name, platform_name};
use crate::domain::Channel;

/// The names of the surveys, sources and interviews a list of items came from.
#[derive(Debug, Default, Clone)]
pub struct OriginNames {
    surveys: HashMap<String, String>,
    sources: HashMap<String, String>,
    interviews: HashMap<String, String>,
}

/// The kind of origin and its id or code, from a source key such as `survey:sv_…`.
fn origin(f: &Feedback) -> (&str, &str) {
    f.source_key
        .split_once(':')
        .unwrap_or((f.source_key.as_str(), ""))
}

impl OriginNames {
    /// The item's origin in Chinese, for people: never empty. An origin deleted since (a
    /// survey, an interview) falls back to the name the item recorded, then to its channel.
    pub fn name(&self, f: &Feedback) -> String {
        let recorded = |key: &str| {
            f.context
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned)
        };
        let (kind, id) = origin(f);
        let found = match kind {
            "survey" => self.surveys.get(id).cloned(),
            "webhook" | "feed" | "app_store" | "google_play" => {
                self.sources.get(id).cloned().or_else(|| recorded("source"))
            }
            "interview" => self
                .interviews
                .get(id)
                .cloned()
                .or_else(|| recorded("title")),
            "mentions" if !id.is_empty() => Some(platform_name(id).unwrap_or(id).to_owned()),
            // The label given at import (`source=…`), `csv` when none was.
            "import" if id.is_empty() || id == "csv" => Some("CSV 导入".to_owned()),
            "import" => Some(format!("CSV 导入 · {id}")),
            _ => None,
        };
        found
            .filter(|n| !n.trim().is_empty())
            .or_else(|| Channel::parse(&f.channel).map(|c| channel_name(c).to_owned()))
            .unwrap_or_else(|| f.source_key.clone())
    }
}

impl Store {
    /// Where each of the items `ids` came from, by name (see [`OriginNames::name`]): two
    /// queries for the items and at most three for their origins. Ids not in the workspace are
    /// left out.
    pub async fn origin_names_of(
        &self,
        workspace_id: &str,
        ids: &[String],
    ) -> StoreResult<HashMap<String, String>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let items = feedback::Entity::find()
            .filter(feedback::Column::WorkspaceId.eq(workspace_id))
            .filter(feedback::Column::Id.is_in(ids.iter().cloned()))
            .all(&self.db)
            .await?;
        let names = self.origin_names(workspace_id, &items).await?;
        Ok(items
            .iter()
            .map(|f| (f.id.clone(), names.name(f)))
            .collect())
    }

    /// The names of the origins of `items`, all of the workspace: at most one query for
    /// surveys, one for sources and one for interviews.
    pub async fn origin_names(
        &self,
        workspace_id: &str,
        items: &[Feedback],
    ) -> StoreResult<OriginNames> {
        let mut surveys = HashSet::new();
        let mut sources = HashSet::new();
        let mut interviews = HashSet::new();
        for f in items {
            match origin(f) {
                ("survey", id) => surveys.insert(id.to_owned()),
                ("webhook" | "feed" | "app_store" | "google_play", id) => {
                    sources.insert(id.to_owned())
                }
                ("interview", id) => interviews.insert(id.to_owned()),
                _ => false,
            };
        }
        let mut names = OriginNames::default();
        if !surveys.is_empty() {
            names.surveys = survey::Entity::find()
                .filter(survey::Column::WorkspaceId.eq(workspace_id))
                .filter(survey::Column::Id.is_in(surveys))
                .select_only()
                .columns([survey::Column::Id, survey::Column::Title])
                .into_tuple::<(String, String)>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect();
        }
        if !sources.is_empty() {
            names.sources = source::Entity::find()
                .filter(source::Column::WorkspaceId.eq(workspace_id))
                .filter(source::Column::Id.is_in(sources))
                .select_only()
                .columns([source::Column::Id, source::Column::Name])
                .into_tuple::<(String, String)>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect();
        }
        if !interviews.is_empty() {
            names.interviews = interview::Entity::find()
                .filter(interview::Column::WorkspaceId.eq(workspace_id))
                .filter(interview::Column::Id.is_in(interviews))
                .select_only()
                .columns([interview::Column::Id, interview::Column::Title])
                .into_tuple::<(String, String)>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect();
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;

    fn item(channel: &str, source_key: &str, context: Value) -> Feedback {
        Feedback {
            id: "fb_1".into(),
            workspace_id: "ws".into(),
            channel: channel.into(),
            source_key: source_key.into(),
            source_id: None,
            external_id: None,
            respondent_id: None,
            author: None,
            text: "x".into(),
            nps: None,
            csat: None,
            ces: None,
            rating: None,
            attributes: json!({}),
            context,
            occurred_at: Utc::now(),
            received_at: Utc::now(),
            sentiment: None,
            sentiment_score: None,
            analysis: None,
            analyzer_version: None,
            corrected: false,
            response_id: None,
            has_pain_point: false,
        }
    }

    #[test]
    fn every_origin_has_a_name_for_people() {
        let mut names = OriginNames::default();
        names.surveys.insert("sv_1".into(), "十一月满意度".into());
        names.sources.insert("src_1".into(), "问卷星 NPS".into());
        names.interviews.insert("iv_1".into(), "王女士访谈".into());
        let cases = [
            ("survey", "survey:sv_1", json!({}), "十一月满意度"),
            ("webhook", "webhook:src_1", json!({}), "问卷星 NPS"),
            ("social", "feed:src_1", json!({}), "问卷星 NPS"),
            ("review", "app_store:src_1", json!({}), "问卷星 NPS"),
            ("interview", "interview:iv_1", json!({}), "王女士访谈"),
            ("social", "mentions:xiaohongshu", json!({}), "小红书"),
            ("social", "mentions:example.com", json!({}), "example.com"),
            ("import", "import:csv", json!({}), "CSV 导入"),
            (
                "import",
                "import:wjx-export",
                json!({}),
                "CSV 导入 · wjx-export",
            ),
            // Gone since: the name the item recorded, else its channel.
            (
                "review",
                "google_play:src_9",
                json!({"source": "安卓评价"}),
                "安卓评价",
            ),
            (
                "interview",
                "interview:iv_9",
                json!({"title": "旧访谈"}),
                "旧访谈",
            ),
            ("survey", "survey:sv_9", json!({}), "问卷"),
            ("webhook", "synthetic", json!({}), "Webhook 推送"),
        ];
        for (channel, key, context, want) in cases {
            assert_eq!(names.name(&item(channel, key, context)), want, "{key}");
        }
    }
}
