//! Per-day results of the drivers' and segments' scans, kept in `insight_day_cache`.
//!
//! Those scans read every item of their range, so a quarter's range on a million items takes
//! seconds. Their results add up day by day (counts and the sums of [`Moments`]), so a range
//! is answered as its whole UTC days plus the part-days at either end: a whole day's result
//! is read from the cache when it is still current and computed (and stored) when it is not;
//! the part-days are always scanned.
//!
//! "Current" is kept by the database: triggers (migration `m20261206_000013_insight_tally`)
//! raise `insight_day_seq.seq` of a day whenever an item, a pain point or a scored response
//! of that day is written, corrected or deleted, in the same transaction. A cached result
//! carries the `seq` read *before* its scan, so a write that lands during the scan leaves it
//! stale rather than wrong. The housekeeping loop warms the caches of the default ranges
//! ([`Store::warm_insight_days`]) so a first request seldom scans more than today.
//!
//! A response's answers share its time, so a response falls in one day and the per-response
//! counting of the scans holds across days.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::ConnectionTrait;

use super::insights::{ends, Narrowed, Sql};
use super::StoreResult;
use crate::insight::moments::Moments;

/// A day's result that adds to another's and travels as text.
pub(super) trait DayValue: Default + Sized {
    fn add_day(&mut self, other: Self);
    fn encode(&self) -> String;
    fn decode(text: &str) -> Option<Self>;
}

fn moments_json(m: &Moments) -> serde_json::Value {
    serde_json::json!([m.n, m.sum, m.sum_sq])
}

fn moments_of(v: &serde_json::Value) -> Option<Moments> {
    Some(Moments {
        n: v.get(0)?.as_u64()?,
        sum: v.get(1)?.as_f64()?,
        sum_sq: v.get(2)?.as_f64()?,
    })
}

impl DayValue for Moments {
    fn add_day(&mut self, other: Self) {
        *self += other;
    }

    fn encode(&self) -> String {
        moments_json(self).to_string()
    }

    fn decode(text: &str) -> Option<Self> {
        moments_of(&serde_json::from_str(text).ok()?)
    }
}

impl DayValue for BTreeMap<String, Moments> {
    fn add_day(&mut self, other: Self) {
        for (k, m) in other {
            *self.entry(k).or_default() += m;
        }
    }

    fn encode(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .iter()
            .map(|(k, m)| (k.clone(), moments_json(m)))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    fn decode(text: &str) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        v.as_object()?
            .iter()
            .map(|(k, m)| Some((k.clone(), moments_of(m)?)))
            .collect()
    }
}

/// Items per group value, and items per (pain point, group value).
pub(super) type GroupCounts = (BTreeMap<String, u64>, BTreeMap<(String, String), u64>);

impl DayValue for GroupCounts {
    fn add_day(&mut self, other: Self) {
        for (k, n) in other.0 {
            *self.0.entry(k).or_default() += n;
        }
        for (k, n) in other.1 {
            *self.1.entry(k).or_default() += n;
        }
    }

    fn encode(&self) -> String {
        let items: Vec<_> = self.0.iter().collect();
        let with: Vec<_> = self.1.iter().map(|((c, g), n)| (c, g, n)).collect();
        serde_json::json!([items, with]).to_string()
    }

    fn decode(text: &str) -> Option<Self> {
        type Wire = (Vec<(String, u64)>, Vec<(String, String, u64)>);
        let (items, with): Wire = serde_json::from_str(text).ok()?;
        Some((
            items.into_iter().collect(),
            with.into_iter().map(|(c, g, n)| ((c, g), n)).collect(),
        ))
    }
}

/// The whole UTC days `[d0, d1)` inside `[from, to)`, if there is one.
fn whole_days(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<(NaiveDate, NaiveDate)> {
    let start = from.date_naive();
    let d0 = if from == start.and_hms_opt(0, 0, 0)?.and_utc() {
        start
    } else {
        start.succ_opt()?
    };
    let d1 = to.date_naive();
    (d0 < d1).then_some((d0, d1))
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default()
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl Narrowed<'_> {
    /// `scan` over `[from, to)`, from cached whole days where it can be. `kind` names the scan
    /// and its parameters (our own text); narrowed queries are not cached.
    pub(super) async fn by_days<T, F, Fut>(
        &self,
        workspace_id: &str,
        kind: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scan: F,
    ) -> StoreResult<T>
    where
        T: DayValue,
        F: Fn(DateTime<Utc>, DateTime<Utc>) -> Fut,
        Fut: std::future::Future<Output = StoreResult<T>>,
    {
        let Some((d0, d1)) = whole_days(from, to).filter(|_| self.segment.is_none()) else {
            return scan(from, to).await;
        };
        let db = &self.store.db;
        let backend = self.store.backend();
        let mut q = Sql::new(backend);
        let (ws, f, t) = (
            q.bind(workspace_id.to_owned()),
            q.bind(day_text(d0)),
            q.bind(day_text(d1)),
        );
        let sql = format!(
            "SELECT day, seq FROM insight_day_seq WHERE workspace_id = {ws} \
             AND day >= {f} AND day < {t}"
        );
        let mut seqs: HashMap<String, i64> = HashMap::new();
        for r in db.query_all(q.statement(sql)).await? {
            seqs.insert(r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        }
        let mut q = Sql::new(backend);
        let (ws, k, f, t) = (
            q.bind(workspace_id.to_owned()),
            q.bind(kind.to_owned()),
            q.bind(day_text(d0)),
            q.bind(day_text(d1)),
        );
        let sql = format!(
            "SELECT day, seq, payload FROM insight_day_cache WHERE workspace_id = {ws} \
             AND kind = {k} AND day >= {f} AND day < {t}"
        );
        let mut cached: HashMap<String, T> = HashMap::new();
        for r in db.query_all(q.statement(sql)).await? {
            let day: String = r.try_get_by_index(0)?;
            let seq: i64 = r.try_get_by_index(1)?;
            if seqs.get(&day).copied().unwrap_or(0) != seq {
                continue;
            }
            if let Some(v) = T::decode(&r.try_get_by_index::<String>(2)?) {
                cached.insert(day, v);
            }
        }
        let mut total = T::default();
        for (f, t) in ends(from, to, midnight(d0), midnight(d1)) {
            total.add_day(scan(f, t).await?);
        }
        let mut day = d0;
        while day < d1 {
            let text = day_text(day);
            let next = day.succ_opt().unwrap_or(d1);
            match cached.remove(&text) {
                Some(v) => total.add_day(v),
                None => {
                    let seq = seqs.get(&text).copied().unwrap_or(0);
                    let v = scan(midnight(day), midnight(next)).await?;
                    self.store_day(workspace_id, &text, kind, seq, &v.encode())
                        .await?;
                    total.add_day(v);
                }
            }
            day = next;
        }
        Ok(total)
    }

    async fn store_day(
        &self,
        workspace_id: &str,
        day: &str,
        kind: &str,
        seq: i64,
        payload: &str,
    ) -> StoreResult<()> {
        let backend = self.store.backend();
        let mut q = Sql::new(backend);
        let values = [
            q.bind(workspace_id.to_owned()),
            q.bind(day.to_owned()),
            q.bind(kind.to_owned()),
            q.bind(seq),
            q.bind(payload.to_owned()),
        ];
        let sql = format!(
            "INSERT INTO insight_day_cache VALUES ({}) ON CONFLICT (workspace_id, day, kind) \
             DO UPDATE SET seq = excluded.seq, payload = excluded.payload",
            values.join(", ")
        );
        self.store.db.execute(q.statement(sql)).await?;
        Ok(())
    }
}

impl super::Store {
    /// Drops cached days older than `keep_days` (results nobody asks for any more).
    pub async fn prune_insight_days(&self, now: DateTime<Utc>, keep_days: i64) -> StoreResult<u64> {
        let mut q = Sql::new(self.backend());
        let before = q.bind(day_text((now - Duration::days(keep_days)).date_naive()));
        let sql = format!("DELETE FROM insight_day_cache WHERE day < {before}");
        Ok(self.db.execute(q.statement(sql)).await?.rows_affected())
    }
}

/// How far back the warmer keeps whole days cached: a quarter and a bit, the longest range
/// the console and the digests ask for by default.
pub const WARM_DAYS: i64 = 92;

/// Respondent attributes whose segments the warmer keeps: the commonest few.
const WARM_ATTRIBUTES: usize = 3;

impl super::Store {
    /// Brings the cached days of each workspace with at least `min_items` items in the last
    /// [`WARM_DAYS`] up to date: the drivers of every metric, and the segments by channel,
    /// source (every metric) and the commonest attributes (NPS). A workspace smaller than
    /// that is scanned quickly enough on demand. Returns the workspaces warmed.
    pub async fn warm_insight_days(
        &self,
        now: DateTime<Utc>,
        min_items: u64,
    ) -> StoreResult<usize> {
        use crate::insight::queries::{GroupBy, ResponseAggregates};
        use crate::insight::tally::Metric;
        let to = midnight(now.date_naive());
        let from = to - Duration::days(WARM_DAYS);
        let mut warmed = 0;
        for ws in self.workspace_ids().await? {
            let mut q = Sql::new(self.backend());
            let (w, f) = (
                q.bind(ws.clone()),
                q.bind(from.format("%Y-%m-%dT%H").to_string()),
            );
            let sql = format!(
                "SELECT CAST(SUM(items) AS BIGINT) FROM feedback_tally \
                 WHERE workspace_id = {w} AND hour >= {f}"
            );
            let items = match self.db.query_one(q.statement(sql)).await? {
                Some(r) => r.try_get_by_index::<Option<i64>>(0)?.unwrap_or(0),
                None => 0,
            };
            if (items.max(0) as u64) < min_items {
                continue;
            }
            let keys = self
                .common_attribute_keys(&ws, now - Duration::days(30), now, 20_000, WARM_ATTRIBUTES)
                .await?;
            let all = self.narrowed(None);
            for metric in [Metric::Nps, Metric::Csat, Metric::Ces, Metric::Sentiment] {
                all.response_moments(&ws, metric, from, to).await?;
                all.pain_point_moments(&ws, metric, from, to).await?;
                for group in [GroupBy::Channel, GroupBy::Source] {
                    all.moments_by_group(&ws, metric, from, to, &group).await?;
                }
            }
            let mut groups = vec![GroupBy::Channel, GroupBy::Source];
            groups.extend(keys.into_iter().map(GroupBy::Attr));
            for group in &groups {
                all.pain_points_by_group(&ws, from, to, group).await?;
                if matches!(group, GroupBy::Attr(_)) {
                    all.moments_by_group(&ws, Metric::Nps, from, to, group)
                        .await?;
                }
            }
            warmed += 1;
        }
        Ok(warmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn whole_days_inside_a_range() {
        assert_eq!(
            whole_days(at("2026-11-16T08:30:00Z"), at("2026-11-19T10:00:00Z")),
            Some((d("2026-11-17"), d("2026-11-19")))
        );
        assert_eq!(
            whole_days(at("2026-11-16T00:00:00Z"), at("2026-11-17T00:00:00Z")),
            Some((d("2026-11-16"), d("2026-11-17")))
        );
        assert_eq!(
            whole_days(at("2026-11-16T08:30:00Z"), at("2026-11-17T10:00:00Z")),
            None
        );
    }

    #[test]
    fn day_values_travel_as_text_and_add_up() {
        let m = Moments {
            n: 3,
            sum: -100.0,
            sum_sq: 30000.0,
        };
        assert_eq!(Moments::decode(&m.encode()), Some(m));
        let mut by: BTreeMap<String, Moments> = BTreeMap::new();
        by.insert("payment".into(), m);
        let mut total = BTreeMap::<String, Moments>::decode(&by.encode()).unwrap();
        total.add_day(by.clone());
        assert_eq!(total["payment"].n, 6);
        let counts: GroupCounts = (
            [("3.2".to_owned(), 5u64)].into(),
            [(("crash".to_owned(), "3.2".to_owned()), 4u64)].into(),
        );
        let mut back = GroupCounts::decode(&counts.encode()).unwrap();
        back.add_day(counts);
        assert_eq!(back.0["3.2"], 10);
        assert_eq!(back.1[&("crash".to_owned(), "3.2".to_owned())], 8);
    }
}
