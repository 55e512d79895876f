//! Per-response sums for the drivers and the segments (`insight::ResponseAggregates`), each
//! a GROUP BY in the database. A response is a survey response (hosted, or another tool's)
//! with all its text answers, or a feedback item that answers none: its scores are counted
//! once from the response's row, and a pain point of any of its answers is the response's.
//!
//! Items with no response (`response_id IS NULL`) are their own response and are summed
//! straight from the covering index; only answers of responses need the DISTINCT or the
//! per-response GROUP BY, so a workspace without survey responses pays nothing for them.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};

use super::days::GroupCounts;
use super::insights::{attr_expr, count, feedback_segment, response_segment, Narrowed, Sql};
use super::{Store, StoreError, StoreResult};
use crate::insight::moments::Moments;
use crate::insight::queries::{GroupBy, ResponseAggregates};
use crate::insight::tally::Metric;

/// Ids per `IN (…)` list.
const CHUNK: usize = 500;

/// The per-response value of a score metric as SQL over columns prefixed with `p`, and the
/// column that must be set: NPS +100/0/−100, CSAT 100/0, CES the score.
fn score_value(metric: Metric, p: &str) -> Option<(String, String)> {
    Some(match metric {
        Metric::Nps => (
            format!("{p}nps"),
            format!("(CASE WHEN {p}nps >= 9 THEN 100 WHEN {p}nps <= 6 THEN -100 ELSE 0 END)"),
        ),
        Metric::Csat => (
            format!("{p}csat"),
            format!("(CASE WHEN {p}csat >= 4 THEN 100 ELSE 0 END)"),
        ),
        Metric::Ces => (format!("{p}ces"), format!("{p}ces")),
        Metric::Sentiment | Metric::Volume => return None,
    })
}

/// One text's sentiment as +100, 0 (neutral, mixed) or −100.
fn sentiment_value(p: &str) -> String {
    format!(
        "(CASE {p}sentiment WHEN 'positive' THEN 100.0 WHEN 'negative' THEN -100.0 ELSE 0.0 END)"
    )
}

/// `COUNT(*), SUM(x), SUM(x²)` as three columns.
fn sums(x: &str) -> String {
    format!(
        "COUNT(*), CAST(SUM({x}) AS DOUBLE PRECISION), CAST(SUM(({x}) * ({x})) AS DOUBLE PRECISION)"
    )
}

fn moments(row: &QueryResult, at: usize) -> StoreResult<Moments> {
    Ok(Moments {
        n: count(row, at)?,
        sum: row.try_get_by_index::<Option<f64>>(at + 1)?.unwrap_or(0.0),
        sum_sq: row.try_get_by_index::<Option<f64>>(at + 2)?.unwrap_or(0.0),
    })
}

/// The group column of `feedback` (columns prefixed with `p`) or of `survey_response`.
fn group_of(q: &mut Sql, group: &GroupBy, p: &str, response: bool) -> String {
    match (group, response) {
        (GroupBy::Nothing, _) => "NULL".to_owned(),
        (GroupBy::Channel, false) => format!("{p}channel"),
        (GroupBy::Channel, true) => {
            "(CASE WHEN survey_id LIKE 'sv_%' THEN 'survey' ELSE 'webhook' END)".to_owned()
        }
        (GroupBy::Source, false) => format!("{p}source_id"),
        (GroupBy::Source, true) => "survey_id".to_owned(),
        (GroupBy::Attr(key), _) => attr_expr(q, key, p),
    }
}

/// Adds `(key, moments)` rows into a map.
fn add_rows(
    into: &mut BTreeMap<String, Moments>,
    rows: &[QueryResult],
    key_at: usize,
) -> StoreResult<()> {
    for r in rows {
        if let Some(k) = r.try_get_by_index::<Option<String>>(key_at)? {
            *into.entry(k).or_default() += moments(r, key_at + 1)?;
        }
    }
    Ok(())
}

impl Narrowed<'_> {
    fn backend(&self) -> DbBackend {
        self.store.backend()
    }

    async fn one(&self, q: Sql, sql: String) -> StoreResult<Moments> {
        match self.store.db.query_one(q.statement(sql)).await? {
            Some(r) => moments(&r, 0),
            None => Ok(Moments::default()),
        }
    }

    async fn all_rows(&self, q: Sql, sql: String) -> StoreResult<Vec<QueryResult>> {
        Ok(self.store.db.query_all(q.statement(sql)).await?)
    }
}

/// The scans themselves, over any range.
impl Narrowed<'_> {
    async fn scan_response_moments(
        &self,
        workspace_id: &str,
        metric: Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Moments> {
        let seg = self.segment.as_ref();
        let mut total = Moments::default();
        if let Some((col, x)) = score_value(metric, "") {
            // Responses from their own rows (with or without text answers) ...
            let mut q = Sql::new(self.backend());
            let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
            let narrow = response_segment(&mut q, seg);
            let sql = format!(
                "SELECT {} FROM survey_response WHERE workspace_id = {ws} AND occurred_at >= {f} \
                 AND occurred_at < {t} AND {col} IS NOT NULL{narrow}",
                sums(&x)
            );
            total += self.one(q, sql).await?;
            // ... and items that answer no response, each its own.
            let mut q = Sql::new(self.backend());
            let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
            let narrow = feedback_segment(&mut q, seg, "");
            let sql = format!(
                "SELECT {} FROM feedback WHERE workspace_id = {ws} AND occurred_at >= {f} \
                 AND occurred_at < {t} AND {col} IS NOT NULL AND response_id IS NULL{narrow}",
                sums(&x)
            );
            total += self.one(q, sql).await?;
        } else if metric == Metric::Sentiment {
            let s = sentiment_value("");
            let mut q = Sql::new(self.backend());
            let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
            let narrow = feedback_segment(&mut q, seg, "");
            let sql = format!(
                "SELECT {} FROM feedback WHERE workspace_id = {ws} AND occurred_at >= {f} \
                 AND occurred_at < {t} AND sentiment IS NOT NULL AND response_id IS NULL{narrow}",
                sums(&s)
            );
            total += self.one(q, sql).await?;
            let mut q = Sql::new(self.backend());
            let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
            let narrow = feedback_segment(&mut q, seg, "");
            let sql = format!(
                "SELECT {} FROM (SELECT AVG({s}) AS x FROM feedback WHERE workspace_id = {ws} \
                 AND occurred_at >= {f} AND occurred_at < {t} AND sentiment IS NOT NULL \
                 AND response_id IS NOT NULL{narrow} GROUP BY response_id) r",
                sums("x")
            );
            total += self.one(q, sql).await?;
        }
        Ok(total)
    }

    async fn scan_pain_point_moments(
        &self,
        workspace_id: &str,
        metric: Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<BTreeMap<String, Moments>> {
        let seg = self.segment.as_ref();
        let mut by: BTreeMap<String, Moments> = BTreeMap::new();
        // Driven from the feedback side: the covering index gives each item's id, scores,
        // response and `has_pain_point` without reading its row, and only the items that have
        // a pain point look theirs up by key.
        let (must, x) = match score_value(metric, "f.") {
            Some((col, x)) => (format!("{col} IS NOT NULL"), x),
            None if metric == Metric::Sentiment => {
                ("f.sentiment IS NOT NULL".to_owned(), sentiment_value("f."))
            }
            None => return Ok(BTreeMap::new()),
        };
        // Items that answer no response: (item, category) is the key, so no duplicates.
        let mut q = Sql::new(self.backend());
        let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
        let narrow = feedback_segment(&mut q, seg, "f.");
        let sql = format!(
            "SELECT p.category, {} FROM feedback f JOIN feedback_pain_point p ON p.feedback_id = f.id \
             WHERE f.workspace_id = {ws} AND f.occurred_at >= {f} AND f.occurred_at < {t} \
             AND {must} AND f.has_pain_point AND f.response_id IS NULL{narrow} GROUP BY p.category",
            sums(&x)
        );
        add_rows(&mut by, &self.all_rows(q, sql).await?, 0)?;
        // Answers of responses: each (category, response) once.
        let mut q = Sql::new(self.backend());
        let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
        let narrow = feedback_segment(&mut q, seg, "f.");
        let mentions = format!(
            "SELECT DISTINCT p.category, f.response_id AS u FROM feedback f \
             JOIN feedback_pain_point p ON p.feedback_id = f.id \
             WHERE f.workspace_id = {ws} AND f.occurred_at >= {f} AND f.occurred_at < {t} \
             AND f.has_pain_point AND f.response_id IS NOT NULL{narrow}"
        );
        let sql = if metric == Metric::Sentiment {
            // A response's sentiment is the mean over all its texts, not only those naming
            // the pain point.
            let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
            let narrow = feedback_segment(&mut q, seg, "");
            format!(
                "SELECT d.category, {} FROM ({mentions}) d JOIN (SELECT response_id AS u, \
                 AVG({}) AS x FROM feedback WHERE workspace_id = {ws} AND occurred_at >= {f} \
                 AND occurred_at < {t} AND sentiment IS NOT NULL AND response_id IS NOT NULL{narrow} \
                 GROUP BY response_id) r ON r.u = d.u GROUP BY d.category",
                sums("r.x"),
                sentiment_value("")
            )
        } else {
            // Every answer of a response carries the response's scores.
            let mentions = mentions.replace("AS u FROM", &format!("AS u, {x} AS x FROM"));
            format!(
                "SELECT d.category, {} FROM ({mentions} AND {must}) d GROUP BY d.category",
                sums("d.x")
            )
        };
        add_rows(&mut by, &self.all_rows(q, sql).await?, 0)?;
        Ok(by)
    }

    async fn scan_moments_by_group(
        &self,
        workspace_id: &str,
        metric: Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        group: &GroupBy,
    ) -> StoreResult<BTreeMap<String, Moments>> {
        let seg = self.segment.as_ref();
        let mut by: BTreeMap<String, Moments> = BTreeMap::new();
        if let Some((col, x)) = score_value(metric, "") {
            let mut q = Sql::new(self.backend());
            let g = group_of(&mut q, group, "", true);
            let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
            let narrow = response_segment(&mut q, seg);
            let sql = format!(
                "SELECT {g}, {} FROM survey_response WHERE workspace_id = {ws} \
                 AND occurred_at >= {f} AND occurred_at < {t} AND {col} IS NOT NULL{narrow} \
                 GROUP BY 1",
                sums(&x)
            );
            add_rows(&mut by, &self.all_rows(q, sql).await?, 0)?;
            let mut q = Sql::new(self.backend());
            let g = group_of(&mut q, group, "", false);
            let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
            let narrow = feedback_segment(&mut q, seg, "");
            let sql = format!(
                "SELECT {g}, {} FROM feedback WHERE workspace_id = {ws} \
                 AND occurred_at >= {f} AND occurred_at < {t} AND {col} IS NOT NULL \
                 AND response_id IS NULL{narrow} GROUP BY 1",
                sums(&x)
            );
            add_rows(&mut by, &self.all_rows(q, sql).await?, 0)?;
        } else if metric == Metric::Sentiment {
            let s = sentiment_value("");
            let mut q = Sql::new(self.backend());
            let g = group_of(&mut q, group, "", false);
            let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
            let narrow = feedback_segment(&mut q, seg, "");
            let sql = format!(
                "SELECT {g}, {} FROM feedback WHERE workspace_id = {ws} \
                 AND occurred_at >= {f} AND occurred_at < {t} AND sentiment IS NOT NULL \
                 AND response_id IS NULL{narrow} GROUP BY 1",
                sums(&s)
            );
            add_rows(&mut by, &self.all_rows(q, sql).await?, 0)?;
            // The answers of one response share its channel, source and attributes.
            let mut q = Sql::new(self.backend());
            let g = group_of(&mut q, group, "", false);
            let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
            let narrow = feedback_segment(&mut q, seg, "");
            let sql = format!(
                "SELECT r.g, {} FROM (SELECT MAX({g}) AS g, AVG({s}) AS x FROM feedback \
                 WHERE workspace_id = {ws} AND occurred_at >= {f} AND occurred_at < {t} \
                 AND sentiment IS NOT NULL AND response_id IS NOT NULL{narrow} \
                 GROUP BY response_id) r GROUP BY r.g",
                sums("r.x")
            );
            add_rows(&mut by, &self.all_rows(q, sql).await?, 0)?;
        }
        Ok(by)
    }

    async fn scan_pain_points_by_group(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        group: &GroupBy,
    ) -> StoreResult<GroupCounts> {
        let seg = self.segment.as_ref();
        let mut q = Sql::new(self.backend());
        let g = group_of(&mut q, group, "", false);
        let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
        let narrow = feedback_segment(&mut q, seg, "");
        let sql = format!(
            "SELECT {g}, COUNT(*) FROM feedback WHERE workspace_id = {ws} \
             AND occurred_at >= {f} AND occurred_at < {t}{narrow} GROUP BY 1"
        );
        let mut items = BTreeMap::new();
        for r in self.all_rows(q, sql).await? {
            if let Some(v) = r.try_get_by_index::<Option<String>>(0)? {
                *items.entry(v).or_default() += count(&r, 1)?;
            }
        }
        let mut q = Sql::new(self.backend());
        let g = group_of(&mut q, group, "f.", false);
        let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
        let narrow = feedback_segment(&mut q, seg, "f.");
        // By channel over the whole workspace, the pain-point rows say it all (each carries its
        // item's time and channel): one range of `idx_pain_point_period`, no join.
        let sql = if seg.is_none() && matches!(group, GroupBy::Channel) {
            format!(
                "SELECT category, channel, COUNT(*) FROM feedback_pain_point \
                 WHERE workspace_id = {ws} AND occurred_at >= {f} AND occurred_at < {t} \
                 GROUP BY 1, 2"
            )
        } else {
            format!(
                "SELECT p.category, {g}, COUNT(*) FROM feedback f \
                 JOIN feedback_pain_point p ON p.feedback_id = f.id WHERE f.workspace_id = {ws} \
                 AND f.occurred_at >= {f} AND f.occurred_at < {t} AND f.has_pain_point{narrow} \
                 GROUP BY 1, 2"
            )
        };
        let mut with = BTreeMap::new();
        for r in self.all_rows(q, sql).await? {
            if let Some(v) = r.try_get_by_index::<Option<String>>(1)? {
                *with
                    .entry((r.try_get_by_index::<String>(0)?, v))
                    .or_default() += count(&r, 2)?;
            }
        }
        Ok((items, with))
    }
}

/// Each range answered from cached whole days ([`Narrowed::by_days`]) and scanned part-days.
impl ResponseAggregates for Narrowed<'_> {
    type Error = StoreError;

    async fn response_moments(
        &self,
        workspace_id: &str,
        metric: Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Moments> {
        let kind = format!("{CACHE}moments:{}", metric.as_str());
        self.by_days(workspace_id, &kind, from, to, |f, t| {
            self.scan_response_moments(workspace_id, metric, f, t)
        })
        .await
    }

    async fn pain_point_moments(
        &self,
        workspace_id: &str,
        metric: Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, Moments)>> {
        let kind = format!("{CACHE}pain_moments:{}", metric.as_str());
        let by = self
            .by_days(workspace_id, &kind, from, to, |f, t| {
                self.scan_pain_point_moments(workspace_id, metric, f, t)
            })
            .await?;
        Ok(by.into_iter().collect())
    }

    async fn moments_of_items(
        &self,
        workspace_id: &str,
        metric: Metric,
        ids: &[String],
    ) -> StoreResult<Moments> {
        let score = score_value(metric, "");
        if score.is_none() && metric != Metric::Sentiment {
            return Ok(Moments::default());
        }
        // (response or item) → its value; a response met twice is kept once.
        let mut values: HashMap<String, f64> = HashMap::new();
        let mut responses: HashSet<String> = HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let mut q = Sql::new(self.backend());
            let ws = q.bind(workspace_id.to_owned());
            let list: Vec<String> = chunk.iter().map(|id| q.bind(id.clone())).collect();
            let x = match &score {
                Some((col, x)) => format!("CASE WHEN {col} IS NULL THEN NULL ELSE {x} END"),
                None => format!(
                    "CASE WHEN sentiment IS NULL THEN NULL ELSE {} END",
                    sentiment_value("")
                ),
            };
            let sql = format!(
                "SELECT id, response_id, CAST({x} AS DOUBLE PRECISION) FROM feedback \
                 WHERE workspace_id = {ws} AND id IN ({})",
                list.join(", ")
            );
            for r in self.all_rows(q, sql).await? {
                let id: String = r.try_get_by_index(0)?;
                let response: Option<String> = r.try_get_by_index(1)?;
                let x: Option<f64> = r.try_get_by_index(2)?;
                match (response, x) {
                    (Some(rid), _) if score.is_none() => {
                        responses.insert(rid);
                    }
                    (Some(rid), Some(x)) => {
                        values.insert(rid, x);
                    }
                    (None, Some(x)) => {
                        values.insert(id, x);
                    }
                    _ => {}
                }
            }
        }
        // Sentiment: a response's value is the mean over all its texts.
        let responses: Vec<String> = responses.into_iter().collect();
        for chunk in responses.chunks(CHUNK) {
            let mut q = Sql::new(self.backend());
            let ws = q.bind(workspace_id.to_owned());
            let list: Vec<String> = chunk.iter().map(|id| q.bind(id.clone())).collect();
            let sql = format!(
                "SELECT response_id, CAST(AVG({}) AS DOUBLE PRECISION) FROM feedback \
                 WHERE workspace_id = {ws} AND sentiment IS NOT NULL AND response_id IN ({}) \
                 GROUP BY response_id",
                sentiment_value(""),
                list.join(", ")
            );
            for r in self.all_rows(q, sql).await? {
                let rid: String = r.try_get_by_index(0)?;
                if let Some(x) = r.try_get_by_index::<Option<f64>>(1)? {
                    values.insert(rid, x);
                }
            }
        }
        let mut m = Moments::default();
        for x in values.into_values() {
            m += Moments {
                n: 1,
                sum: x,
                sum_sq: x * x,
            };
        }
        Ok(m)
    }

    async fn moments_by_group(
        &self,
        workspace_id: &str,
        metric: Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        group: &GroupBy,
    ) -> StoreResult<Vec<(String, Moments)>> {
        let kind = format!(
            "{CACHE}group_moments:{}:{}",
            metric.as_str(),
            group_name(group)
        );
        let by = self
            .by_days(workspace_id, &kind, from, to, |f, t| {
                self.scan_moments_by_group(workspace_id, metric, f, t, group)
            })
            .await?;
        Ok(by.into_iter().collect())
    }

    async fn pain_points_by_group(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        group: &GroupBy,
    ) -> StoreResult<(Vec<(String, u64)>, Vec<(String, String, u64)>)> {
        let kind = format!("{CACHE}group_pains:{}", group_name(group));
        let (items, with) = self
            .by_days(workspace_id, &kind, from, to, |f, t| {
                self.scan_pain_points_by_group(workspace_id, f, t, group)
            })
            .await?;
        Ok((
            items.into_iter().collect(),
            with.into_iter().map(|((c, g), n)| (c, g, n)).collect(),
        ))
    }
}

/// Names the scans' cached results: bump it when a scan starts counting differently.
const CACHE: &str = "v1:";

fn group_name(group: &GroupBy) -> String {
    match group {
        GroupBy::Nothing => "all".to_owned(),
        GroupBy::Channel => "channel".to_owned(),
        GroupBy::Source => "source".to_owned(),
        GroupBy::Attr(key) => format!("attr:{key}"),
    }
}

/// The same, unnarrowed.
impl ResponseAggregates for Store {
    type Error = StoreError;

    async fn response_moments(
        &self,
        workspace_id: &str,
        metric: Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Moments> {
        self.narrowed(None)
            .response_moments(workspace_id, metric, from, to)
            .await
    }

    async fn pain_point_moments(
        &self,
        workspace_id: &str,
        metric: Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, Moments)>> {
        self.narrowed(None)
            .pain_point_moments(workspace_id, metric, from, to)
            .await
    }

    async fn moments_of_items(
        &self,
        workspace_id: &str,
        metric: Metric,
        ids: &[String],
    ) -> StoreResult<Moments> {
        self.narrowed(None)
            .moments_of_items(workspace_id, metric, ids)
            .await
    }

    async fn moments_by_group(
        &self,
        workspace_id: &str,
        metric: Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        group: &GroupBy,
    ) -> StoreResult<Vec<(String, Moments)>> {
        self.narrowed(None)
            .moments_by_group(workspace_id, metric, from, to, group)
            .await
    }

    async fn pain_points_by_group(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        group: &GroupBy,
    ) -> StoreResult<(Vec<(String, u64)>, Vec<(String, String, u64)>)> {
        self.narrowed(None)
            .pain_points_by_group(workspace_id, from, to, group)
            .await
    }
}
