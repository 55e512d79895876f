//! Which respondent attributes a period's feedback carries, read from a sample of its newest
//! items: how many carry each key and how many distinct values it has. The digest and the
//! segment alerts choose what to split by from it (`insight::segments::segment_attributes`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::Value;

use super::insights::Sql;
use super::{Store, StoreResult};
use crate::insight::segments::{AttributeProfile, MAX_ATTRIBUTE_VALUES};

impl Store {
    /// The attribute keys of the newest `sample` items of `[from, to)`, with the items
    /// carrying each and their distinct values (counted up to one past
    /// [`MAX_ATTRIBUTE_VALUES`]), and how many items were read. Only plain keys with a text,
    /// number or boolean value count: those the segment queries can group by.
    pub async fn attribute_profile(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        sample: u64,
    ) -> StoreResult<(Vec<AttributeProfile>, u64)> {
        let mut q = Sql::new(self.backend());
        let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
        let sql = format!(
            "SELECT attributes FROM feedback WHERE workspace_id = {ws} AND occurred_at >= {f} \
             AND occurred_at < {t} ORDER BY occurred_at DESC LIMIT {sample}"
        );
        let rows = self.db.query_all(q.statement(sql)).await?;
        let sampled = rows.len() as u64;
        let mut seen: HashMap<String, (u64, HashSet<String>)> = HashMap::new();
        for r in rows {
            let Some(Value::Object(m)) = r.try_get_by_index::<Option<Value>>(0)? else {
                continue;
            };
            for (k, v) in m {
                let shown = match v {
                    Value::String(s) => s,
                    Value::Number(_) | Value::Bool(_) => v.to_string(),
                    _ => continue,
                };
                if !crate::insight::is_plain_key(&k) {
                    continue;
                }
                let (items, values) = seen.entry(k).or_default();
                *items += 1;
                if values.len() <= MAX_ATTRIBUTE_VALUES {
                    values.insert(shown);
                }
            }
        }
        let mut profile: Vec<AttributeProfile> = seen
            .into_iter()
            .map(|(key, (items, values))| AttributeProfile {
                key,
                items,
                values: values.len(),
            })
            .collect();
        profile.sort_by(|a, b| a.key.cmp(&b.key));
        Ok((profile, sampled))
    }
}
