//! Everything one workspace holds, read as records one keyset page at a time, for the
//! workspace export (`src/export/workspace.rs`). Every query is narrowed to the workspace;
//! what authenticates (password hashes, key hashes, signing secrets, tokens) is left out.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Map, Value};

use super::entity::{
    api_key, dictionary_word, digest_delivery, digest_subscription, feedback, feedback_label,
    interview, member, membership, pain_point_category, source, survey, survey_response,
};
use super::insights::Sql;
use super::{Store, StoreResult};

/// The kinds of record a workspace export holds, in the order it writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Member,
    Key,
    Source,
    Survey,
    SurveyResponse,
    Interview,
    Feedback,
    FeedbackLabel,
    DictionaryWord,
    PainPointCategory,
    Respondent,
    Subscription,
    Delivery,
}

impl RecordKind {
    pub const ALL: [RecordKind; 13] = [
        Self::Member,
        Self::Key,
        Self::Source,
        Self::Survey,
        Self::SurveyResponse,
        Self::Interview,
        Self::Feedback,
        Self::FeedbackLabel,
        Self::DictionaryWord,
        Self::PainPointCategory,
        Self::Respondent,
        Self::Subscription,
        Self::Delivery,
    ];

    /// The record's `type` in the export.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Key => "key",
            Self::Source => "source",
            Self::Survey => "survey",
            Self::SurveyResponse => "survey_response",
            Self::Interview => "interview",
            Self::Feedback => "feedback",
            Self::FeedbackLabel => "feedback_label",
            Self::DictionaryWord => "dictionary_word",
            Self::PainPointCategory => "pain_point_category",
            Self::Respondent => "respondent",
            Self::Subscription => "subscription",
            Self::Delivery => "delivery",
        }
    }
}

/// Settings of a source that authenticate to someone (a URL token, a tool's API token, a
/// Google service account's key file): left out of an export.
const SECRET_SETTINGS: [&str; 3] = ["url_token", "api_token", "service_account"];

/// A page of records and where the next one starts (`None`: this kind is done).
pub type RecordPage = (Vec<Value>, Option<String>);

impl Store {
    /// The workspace's own record, `None` when there is no such workspace.
    pub async fn workspace_record(&self, workspace_id: &str) -> StoreResult<Option<Value>> {
        Ok(self.workspace(workspace_id).await?.map(|w| {
            json!({"id": w.id, "name": w.name, "timezone": w.timezone,
                "redact_pii": w.redact_pii, "retention_days": w.retention_days,
                "created_at": w.created_at})
        }))
    }

    /// Up to `limit` records of `kind` after the key `after`, in key order.
    pub async fn workspace_records(
        &self,
        workspace_id: &str,
        kind: RecordKind,
        after: Option<&str>,
        limit: u64,
    ) -> StoreResult<RecordPage> {
        let ws = workspace_id.to_owned();
        let after = after.unwrap_or("").to_owned();
        let db = &self.db;
        let rows: Vec<(String, Value)> = match kind {
            RecordKind::Member => return self.member_records(workspace_id, &after, limit).await,
            RecordKind::Key => api_key::Entity::find()
                .filter(api_key::Column::WorkspaceId.eq(ws))
                .filter(api_key::Column::Id.gt(after))
                .order_by_asc(api_key::Column::Id)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|k| {
                    let scopes: Vec<&str> = k.scopes.split(',').filter(|s| !s.is_empty()).collect();
                    let v = json!({"id": k.id, "name": k.name, "prefix": k.prefix,
                        "scopes": scopes, "created_at": k.created_at, "revoked_at": k.revoked_at});
                    (k.id, v)
                })
                .collect(),
            RecordKind::Source => source::Entity::find()
                .filter(source::Column::WorkspaceId.eq(ws))
                .filter(source::Column::Id.gt(after))
                .order_by_asc(source::Column::Id)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|s| {
                    let mut settings = match s.settings {
                        Value::Object(map) => map,
                        _ => Map::new(),
                    };
                    for key in SECRET_SETTINGS {
                        settings.remove(key);
                    }
                    let v = json!({"id": s.id, "kind": s.kind, "name": s.name,
                        "settings": settings, "signed": s.secret.is_some(),
                        "poll_state": s.poll_state, "created_at": s.created_at,
                        "archived_at": s.archived_at});
                    (s.id, v)
                })
                .collect(),
            RecordKind::Survey => survey::Entity::find()
                .filter(survey::Column::WorkspaceId.eq(ws))
                .filter(survey::Column::Id.gt(after))
                .order_by_asc(survey::Column::Id)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|s| {
                    let v = json!({"id": s.id, "title": s.title, "definition": s.questions,
                        "allowed_origins": s.allowed_origins, "status": s.status,
                        "created_at": s.created_at, "updated_at": s.updated_at});
                    (s.id, v)
                })
                .collect(),
            RecordKind::SurveyResponse => survey_response::Entity::find()
                .filter(survey_response::Column::WorkspaceId.eq(ws))
                .filter(survey_response::Column::Id.gt(after))
                .order_by_asc(survey_response::Column::Id)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    let v = json!({"id": r.id, "survey_id": r.survey_id,
                        "respondent_id": r.respondent_id, "answers": r.answers,
                        "attributes": r.attributes,
                        "scores": {"nps": r.nps, "csat": r.csat, "ces": r.ces, "rating": r.rating},
                        "occurred_at": r.occurred_at, "received_at": r.received_at,
                        "updated_at": r.updated_at});
                    (r.id, v)
                })
                .collect(),
            RecordKind::Interview => interview::Entity::find()
                .filter(interview::Column::WorkspaceId.eq(ws))
                .filter(interview::Column::Id.gt(after))
                .order_by_asc(interview::Column::Id)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|i| {
                    let v = json!({"id": i.id, "title": i.title, "format": i.format,
                        "interviewee_id": i.interviewee_id, "attributes": i.attributes,
                        "turns": i.turns, "created_at": i.created_at});
                    (i.id, v)
                })
                .collect(),
            RecordKind::Feedback => feedback::Entity::find()
                .filter(feedback::Column::WorkspaceId.eq(ws))
                .filter(feedback::Column::Id.gt(after))
                .order_by_asc(feedback::Column::Id)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|f| {
                    let v = json!({"id": f.id, "channel": f.channel, "source_key": f.source_key,
                        "source_id": f.source_id, "external_id": f.external_id,
                        "response_id": f.response_id, "respondent_id": f.respondent_id,
                        "author": f.author, "text": f.text,
                        "scores": {"nps": f.nps, "csat": f.csat, "ces": f.ces, "rating": f.rating},
                        "attributes": f.attributes, "context": f.context,
                        "occurred_at": f.occurred_at, "received_at": f.received_at,
                        "sentiment": f.sentiment, "sentiment_score": f.sentiment_score,
                        "analysis": f.analysis, "analyzer_version": f.analyzer_version,
                        "corrected": f.corrected});
                    (f.id, v)
                })
                .collect(),
            RecordKind::FeedbackLabel => feedback_label::Entity::find()
                .filter(feedback_label::Column::WorkspaceId.eq(ws))
                .filter(feedback_label::Column::FeedbackId.gt(after))
                .order_by_asc(feedback_label::Column::FeedbackId)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|l| {
                    let v = json!({"feedback_id": l.feedback_id, "sentiment": l.sentiment,
                        "pain_points": l.pain_points, "created_at": l.created_at});
                    (l.feedback_id, v)
                })
                .collect(),
            RecordKind::DictionaryWord => dictionary_word::Entity::find()
                .filter(dictionary_word::Column::WorkspaceId.eq(ws))
                .filter(dictionary_word::Column::Word.gt(after))
                .order_by_asc(dictionary_word::Column::Word)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|d| {
                    let v = json!({"word": d.word, "created_at": d.created_at});
                    (d.word, v)
                })
                .collect(),
            RecordKind::PainPointCategory => pain_point_category::Entity::find()
                .filter(pain_point_category::Column::WorkspaceId.eq(ws))
                .filter(pain_point_category::Column::Id.gt(after))
                .order_by_asc(pain_point_category::Column::Id)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|c| {
                    let v = json!({"id": c.id, "name": c.name, "keywords": c.keywords,
                        "examples": c.examples, "created_at": c.created_at});
                    (c.id, v)
                })
                .collect(),
            RecordKind::Respondent => {
                return self.respondent_records(workspace_id, &after, limit).await
            }
            RecordKind::Subscription => digest_subscription::Entity::find()
                .filter(digest_subscription::Column::WorkspaceId.eq(ws))
                .filter(digest_subscription::Column::Id.gt(after))
                .order_by_asc(digest_subscription::Column::Id)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|s| {
                    // A robot's URL carries its token: only its host is given.
                    let robot_host = s.robot_url.as_deref().and_then(|u| {
                        url::Url::parse(u)
                            .ok()
                            .and_then(|u| u.host_str().map(str::to_owned))
                    });
                    let mentions: Option<Value> = s
                        .robot_mentions
                        .as_deref()
                        .and_then(|m| serde_json::from_str(m).ok());
                    let v = json!({"id": s.id, "email": s.email, "robot_kind": s.robot_kind,
                        "robot_host": robot_host, "robot_mentions": mentions,
                        "frequency": s.frequency, "weekday": s.weekday, "hour": s.hour,
                        "timezone": s.timezone, "alerts": s.alerts, "created_at": s.created_at,
                        "ended_at": s.ended_at});
                    (s.id, v)
                })
                .collect(),
            RecordKind::Delivery => digest_delivery::Entity::find()
                .filter(digest_delivery::Column::WorkspaceId.eq(ws))
                .filter(digest_delivery::Column::Id.gt(after))
                .order_by_asc(digest_delivery::Column::Id)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|d| {
                    let v = json!({"id": d.id, "subscription_id": d.subscription_id,
                        "kind": d.kind, "period": d.period, "status": d.status,
                        "attempts": d.attempts, "last_error": d.last_error,
                        "created_at": d.created_at, "sent_at": d.sent_at});
                    (d.id, v)
                })
                .collect(),
        };
        Ok(page(rows, limit))
    }

    /// Respondents in id order, each with what their portrait sums up (first and last seen,
    /// counts, channels, the attributes of their newest item or response).
    async fn respondent_records(
        &self,
        workspace_id: &str,
        after: &str,
        limit: u64,
    ) -> StoreResult<RecordPage> {
        let mut q = Sql::new(self.backend());
        let (w1, a1, w2, a2) = (
            q.bind(workspace_id.to_owned()),
            q.bind(after.to_owned()),
            q.bind(workspace_id.to_owned()),
            q.bind(after.to_owned()),
        );
        let sql = format!(
            "SELECT respondent_id FROM (SELECT respondent_id FROM feedback \
             WHERE workspace_id = {w1} AND respondent_id > {a1} \
             UNION SELECT respondent_id FROM survey_response \
             WHERE workspace_id = {w2} AND respondent_id > {a2}) r \
             ORDER BY respondent_id LIMIT {limit}"
        );
        let ids: Vec<String> = self
            .db
            .query_all(q.statement(sql))
            .await?
            .iter()
            .map(|r| r.try_get_by_index::<String>(0))
            .collect::<Result<_, _>>()?;
        let next = next_after(&ids, limit);
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(p) = self.respondent_portrait(workspace_id, &id).await? else {
                continue;
            };
            let channels: Map<String, Value> = p
                .channels
                .iter()
                .map(|(c, n)| (c.clone(), json!(n)))
                .collect();
            let v = json!({"respondent_id": id, "first_seen": p.first_seen,
                "last_seen": p.last_seen, "feedback_count": p.feedback_count,
                "response_count": p.response_count, "channels": channels,
                "attributes": p.attributes});
            rows.push(v);
        }
        Ok((rows, next))
    }

    /// Members of the workspace in id order, without their password hashes.
    async fn member_records(
        &self,
        workspace_id: &str,
        after: &str,
        limit: u64,
    ) -> StoreResult<RecordPage> {
        let roles = membership::Entity::find()
            .filter(membership::Column::WorkspaceId.eq(workspace_id))
            .filter(membership::Column::MemberId.gt(after))
            .order_by_asc(membership::Column::MemberId)
            .limit(limit)
            .all(&self.db)
            .await?;
        let ids: Vec<String> = roles.iter().map(|m| m.member_id.clone()).collect();
        let people: HashMap<String, member::Model> = member::Entity::find()
            .filter(member::Column::Id.is_in(ids.clone()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let rows = roles
            .iter()
            .map(|m| {
                let person = people.get(&m.member_id);
                json!({"id": m.member_id, "email": person.map(|p| &p.email),
                    "name": person.and_then(|p| p.name.as_ref()), "role": m.role,
                    "password_set": person.is_some_and(|p| p.password_hash.is_some()),
                    "added_at": m.created_at})
            })
            .collect();
        Ok((rows, next_after(&ids, limit)))
    }
}

/// The key a next page starts after: the last of a full page, none after a short one.
fn next_after(keys: &[String], limit: u64) -> Option<String> {
    if keys.len() as u64 == limit {
        keys.last().cloned()
    } else {
        None
    }
}

/// The records of a page and the key the next page starts after (none once a page comes
/// back short).
fn page(rows: Vec<(String, Value)>, limit: u64) -> RecordPage {
    let keys: Vec<String> = rows.iter().map(|(k, _)| k.clone()).collect();
    let next = next_after(&keys, limit);
    (rows.into_iter().map(|(_, v)| v).collect(), next)
}
