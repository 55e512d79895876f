//! Respondents (用户画像): everything one respondent id has told the workspace, summed from
//! their feedback and survey responses, and the list of respondents with filters and a
//! cursor. Nothing is stored apart: erasing a respondent's feedback and responses erases the
//! portrait with them.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;
use serde_json::Value;

use super::insights::{attr_expr, count, Sql};
use super::{Store, StoreResult};

/// Score and sentiment points kept in a portrait: the newest this many.
pub const PORTRAIT_POINTS: u64 = 500;

#[derive(Debug, Clone, Serialize)]
pub struct ScorePoint {
    pub at: DateTime<Utc>,
    pub nps: Option<i16>,
    pub csat: Option<i16>,
    pub ces: Option<i16>,
    pub rating: Option<i16>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SentimentPoint {
    pub at: DateTime<Utc>,
    pub feedback_id: String,
    pub sentiment: String,
    pub score: Option<f64>,
}

/// What the store knows of one respondent (the HTTP layer adds names and recent items).
#[derive(Debug, Clone)]
pub struct Portrait {
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub feedback_count: u64,
    pub response_count: u64,
    pub channels: Vec<(String, u64)>,
    /// Of their newest feedback item or response.
    pub attributes: Value,
    /// Oldest first.
    pub scores: Vec<ScorePoint>,
    pub sentiment: Vec<SentimentPoint>,
    /// (category, items), most first.
    pub pain_points: Vec<(String, u64)>,
}

/// NPS class of a respondent's latest NPS answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpsClass {
    Detractor,
    Passive,
    Promoter,
}

impl NpsClass {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "detractor" => Self::Detractor,
            "passive" => Self::Passive,
            "promoter" => Self::Promoter,
            _ => return None,
        })
    }

    fn range(self) -> (i16, i16) {
        match self {
            Self::Detractor => (0, 6),
            Self::Passive => (7, 8),
            Self::Promoter => (9, 10),
        }
    }
}

/// Filters of the respondent list. Every filter narrows to respondents with at least one
/// feedback item or response that matches it; `nps` looks at their latest NPS answer.
#[derive(Debug, Clone, Default)]
pub struct RespondentFilter {
    pub channel: Option<String>,
    pub source: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub pain_point: Option<String>,
    pub nps: Option<NpsClass>,
    pub last_seen_from: Option<DateTime<Utc>>,
    pub last_seen_to: Option<DateTime<Utc>>,
    pub cursor: Option<RespondentCursor>,
    pub limit: u64,
}

/// Where the next page starts: the last respondent's last-seen time and id. As text
/// `{unix seconds}.{nanoseconds}.{respondent id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RespondentCursor {
    pub at: DateTime<Utc>,
    pub id: String,
}

impl RespondentCursor {
    pub fn encode(&self) -> String {
        format!(
            "{}.{}.{}",
            self.at.timestamp(),
            self.at.timestamp_subsec_nanos(),
            self.id
        )
    }

    /// `None` for text that no list handed out.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.splitn(3, '.');
        let secs: i64 = parts.next()?.parse().ok()?;
        let nanos: u32 = parts.next()?.parse().ok()?;
        let id = parts.next()?;
        if id.is_empty() || id.len() > 256 {
            return None;
        }
        Some(Self {
            at: DateTime::from_timestamp(secs, nanos)?,
            id: id.to_owned(),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RespondentLine {
    pub respondent_id: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub feedback_count: u64,
    pub response_count: u64,
}

fn time(r: &QueryResult, i: usize) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(r.try_get_by_index::<Option<DateTime<Utc>>>(i)?)
}

impl Store {
    /// One respondent's portrait, or `None` when the workspace has nothing of them.
    pub async fn respondent_portrait(
        &self,
        workspace_id: &str,
        respondent_id: &str,
    ) -> StoreResult<Option<Portrait>> {
        let (ws, rid) = (workspace_id.to_owned(), respondent_id.to_owned());
        let mut seen: Vec<(DateTime<Utc>, DateTime<Utc>, u64)> = Vec::new();
        for table in ["feedback", "survey_response"] {
            let mut q = Sql::new(self.backend());
            let (w, r) = (q.bind(ws.clone()), q.bind(rid.clone()));
            let sql = format!(
                "SELECT MIN(occurred_at), MAX(occurred_at), COUNT(*) FROM {table} \
                 WHERE workspace_id = {w} AND respondent_id = {r}"
            );
            let row = self.db.query_one(q.statement(sql)).await?;
            let row = match row {
                Some(row) => (time(&row, 0)?, time(&row, 1)?, count(&row, 2)?),
                None => (None, None, 0),
            };
            match row {
                (Some(a), Some(b), n) => seen.push((a, b, n)),
                _ => seen.push((DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC, 0)),
            }
        }
        let (feedback_count, response_count) = (seen[0].2, seen[1].2);
        if feedback_count + response_count == 0 {
            return Ok(None);
        }
        let first_seen = seen[0].0.min(seen[1].0);
        let last_seen = seen[0].1.max(seen[1].1);

        let mut q = Sql::new(self.backend());
        let (w, r) = (q.bind(ws.clone()), q.bind(rid.clone()));
        let sql = format!(
            "SELECT channel, COUNT(*) FROM feedback WHERE workspace_id = {w} \
             AND respondent_id = {r} GROUP BY channel ORDER BY 2 DESC, 1"
        );
        let mut channels = Vec::new();
        for row in self.db.query_all(q.statement(sql)).await? {
            channels.push((row.try_get_by_index::<String>(0)?, count(&row, 1)?));
        }

        // Attributes of the newest thing they sent.
        let mut attributes: Option<(DateTime<Utc>, Value)> = None;
        for table in ["feedback", "survey_response"] {
            let mut q = Sql::new(self.backend());
            let (w, r) = (q.bind(ws.clone()), q.bind(rid.clone()));
            let sql = format!(
                "SELECT occurred_at, attributes FROM {table} WHERE workspace_id = {w} \
                 AND respondent_id = {r} AND occurred_at IS NOT NULL \
                 ORDER BY occurred_at DESC LIMIT 1"
            );
            if let Some(row) = self.db.query_one(q.statement(sql)).await? {
                let at: DateTime<Utc> = row.try_get_by_index(0)?;
                let v: Option<Value> = row.try_get_by_index(1)?;
                if attributes.as_ref().is_none_or(|(t, _)| at > *t) {
                    attributes = Some((at, v.unwrap_or(Value::Null)));
                }
            }
        }

        // Scores: a response's once, from its row; an item's when it answers no response.
        let mut scores = Vec::new();
        for (table, extra) in [
            ("survey_response", ""),
            ("feedback", " AND response_id IS NULL"),
        ] {
            let mut q = Sql::new(self.backend());
            let (w, r) = (q.bind(ws.clone()), q.bind(rid.clone()));
            let sql = format!(
                "SELECT occurred_at, nps, csat, ces, rating FROM {table} WHERE workspace_id = {w} \
                 AND respondent_id = {r} AND occurred_at IS NOT NULL{extra} \
                 AND (nps IS NOT NULL OR csat IS NOT NULL OR ces IS NOT NULL OR rating IS NOT NULL) \
                 ORDER BY occurred_at DESC LIMIT {PORTRAIT_POINTS}"
            );
            for row in self.db.query_all(q.statement(sql)).await? {
                scores.push(ScorePoint {
                    at: row.try_get_by_index(0)?,
                    nps: row.try_get_by_index(1)?,
                    csat: row.try_get_by_index(2)?,
                    ces: row.try_get_by_index(3)?,
                    rating: row.try_get_by_index(4)?,
                });
            }
        }
        scores.sort_by_key(|s| s.at);
        let skip = scores.len().saturating_sub(PORTRAIT_POINTS as usize);
        scores.drain(..skip);

        let mut q = Sql::new(self.backend());
        let (w, r) = (q.bind(ws.clone()), q.bind(rid.clone()));
        let sql = format!(
            "SELECT occurred_at, id, sentiment, sentiment_score FROM feedback \
             WHERE workspace_id = {w} AND respondent_id = {r} AND sentiment IS NOT NULL \
             ORDER BY occurred_at DESC, id DESC LIMIT {PORTRAIT_POINTS}"
        );
        let mut sentiment = Vec::new();
        for row in self.db.query_all(q.statement(sql)).await? {
            sentiment.push(SentimentPoint {
                at: row.try_get_by_index(0)?,
                feedback_id: row.try_get_by_index(1)?,
                sentiment: row.try_get_by_index(2)?,
                score: row.try_get_by_index(3)?,
            });
        }
        sentiment.reverse();

        let mut q = Sql::new(self.backend());
        let (w, r) = (q.bind(ws.clone()), q.bind(rid.clone()));
        let sql = format!(
            "SELECT p.category, COUNT(*) FROM feedback f JOIN feedback_pain_point p \
             ON p.feedback_id = f.id WHERE f.workspace_id = {w} AND f.respondent_id = {r} \
             GROUP BY p.category ORDER BY 2 DESC, 1"
        );
        let mut pain_points = Vec::new();
        for row in self.db.query_all(q.statement(sql)).await? {
            pain_points.push((row.try_get_by_index::<String>(0)?, count(&row, 1)?));
        }

        Ok(Some(Portrait {
            first_seen,
            last_seen,
            feedback_count,
            response_count,
            channels,
            attributes: attributes.map_or(Value::Object(Default::default()), |(_, v)| v),
            scores,
            sentiment,
            pain_points,
        }))
    }

    /// One page of respondents, most recently seen first, and the cursor of the next page.
    pub async fn list_respondents(
        &self,
        workspace_id: &str,
        filter: &RespondentFilter,
    ) -> StoreResult<(Vec<RespondentLine>, Option<String>)> {
        let backend = self.backend();
        let mut q = Sql::new(backend);
        let (w1, w2) = (
            q.bind(workspace_id.to_owned()),
            q.bind(workspace_id.to_owned()),
        );
        let mut having: Vec<String> = Vec::new();
        if let Some(c) = &filter.channel {
            let (w, c) = (q.bind(workspace_id.to_owned()), q.bind(c.clone()));
            having.push(format!(
                "respondent_id IN (SELECT respondent_id FROM feedback WHERE workspace_id = {w} \
                 AND channel = {c})"
            ));
        }
        if let Some(s) = &filter.source {
            let (w, s1) = (q.bind(workspace_id.to_owned()), q.bind(s.clone()));
            let (w2, s2) = (q.bind(workspace_id.to_owned()), q.bind(s.clone()));
            having.push(format!(
                "respondent_id IN (SELECT respondent_id FROM feedback WHERE workspace_id = {w} \
                 AND source_id = {s1} UNION SELECT respondent_id FROM survey_response \
                 WHERE workspace_id = {w2} AND survey_id = {s2})"
            ));
        }
        for (k, v) in &filter.attributes {
            let w = q.bind(workspace_id.to_owned());
            let a = attr_expr(&mut q, k, "");
            let v1 = q.bind(v.clone());
            let w2 = q.bind(workspace_id.to_owned());
            let a2 = attr_expr(&mut q, k, "");
            let v2 = q.bind(v.clone());
            having.push(format!(
                "respondent_id IN (SELECT respondent_id FROM feedback WHERE workspace_id = {w} \
                 AND {a} = {v1} UNION SELECT respondent_id FROM survey_response \
                 WHERE workspace_id = {w2} AND {a2} = {v2})"
            ));
        }
        if let Some(p) = &filter.pain_point {
            let (w, p) = (q.bind(workspace_id.to_owned()), q.bind(p.clone()));
            having.push(format!(
                "respondent_id IN (SELECT f.respondent_id FROM feedback f \
                 JOIN feedback_pain_point p ON p.feedback_id = f.id \
                 WHERE f.workspace_id = {w} AND p.category = {p})"
            ));
        }
        if let Some(class) = filter.nps {
            // Their latest NPS answer: a response's, or an item's that answers no response.
            let (w, w2) = (
                q.bind(workspace_id.to_owned()),
                q.bind(workspace_id.to_owned()),
            );
            let (lo, hi) = class.range();
            having.push(format!(
                "(SELECT x.nps FROM (SELECT nps, occurred_at FROM survey_response \
                 WHERE workspace_id = {w} AND respondent_id = r.respondent_id AND nps IS NOT NULL \
                 UNION ALL SELECT nps, occurred_at FROM feedback WHERE workspace_id = {w2} \
                 AND respondent_id = r.respondent_id AND nps IS NOT NULL AND response_id IS NULL) x \
                 ORDER BY x.occurred_at DESC LIMIT 1) BETWEEN {lo} AND {hi}"
            ));
        }
        if let Some(t) = filter.last_seen_from {
            having.push(format!("MAX(occurred_at) >= {}", q.bind(t)));
        }
        if let Some(t) = filter.last_seen_to {
            having.push(format!("MAX(occurred_at) < {}", q.bind(t)));
        }
        if let Some(c) = &filter.cursor {
            let (a1, a2, id) = (q.bind(c.at), q.bind(c.at), q.bind(c.id.clone()));
            having.push(format!(
                "(MAX(occurred_at) < {a1} OR (MAX(occurred_at) = {a2} AND respondent_id < {id}))"
            ));
        }
        let having = if having.is_empty() {
            String::new()
        } else {
            format!(" HAVING {}", having.join(" AND "))
        };
        let limit = filter.limit.max(1);
        let sql = format!(
            "SELECT respondent_id, MIN(occurred_at), MAX(occurred_at), SUM(items), SUM(responses) \
             FROM (SELECT respondent_id, occurred_at, 1 AS items, 0 AS responses FROM feedback \
             WHERE workspace_id = {w1} AND respondent_id IS NOT NULL \
             UNION ALL SELECT respondent_id, occurred_at, 0, 1 FROM survey_response \
             WHERE workspace_id = {w2} AND respondent_id IS NOT NULL AND occurred_at IS NOT NULL) r \
             GROUP BY respondent_id{having} \
             ORDER BY MAX(occurred_at) DESC, respondent_id DESC LIMIT {}",
            limit + 1
        );
        let rows = self.db.query_all(q.statement(sql)).await?;
        let mut out = Vec::new();
        for r in rows.iter().take(limit as usize) {
            out.push(RespondentLine {
                respondent_id: r.try_get_by_index(0)?,
                first_seen: r.try_get_by_index(1)?,
                last_seen: r.try_get_by_index(2)?,
                feedback_count: count(r, 3)?,
                response_count: count(r, 4)?,
            });
        }
        let next = (rows.len() as u64 > limit)
            .then(|| out.last())
            .flatten()
            .map(|l| {
                RespondentCursor {
                    at: l.last_seen,
                    id: l.respondent_id.clone(),
                }
                .encode()
            });
        Ok((out, next))
    }
}
