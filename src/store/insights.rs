//! Aggregations behind the insights and the digest. Each query groups in the database and
//! returns a few thousand rows at most: counts per time bucket (an index-only scan of
//! `idx_feedback_insight`), pain-point counts per period (of `idx_pain_point_period`), and
//! small samples for quotes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use super::{Store, StoreError, StoreResult};
use crate::analysis::CustomCategory;
use crate::insight::queries::{Aggregates, Bucket, GroupBy, Sample, Segment};
use crate::insight::tally::Tally;

/// Placeholders differ: `$1` on PostgreSQL, `?` on SQLite.
pub(super) struct Sql {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Sql {
    pub(super) fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    pub(super) fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    pub(super) fn statement(self, sql: String) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values)
    }
}

/// The bucket of `column` (a timestamp) as the query returns it: seconds on PostgreSQL,
/// the UTC text's prefix on SQLite ([`text_bucket`] turns it into seconds).
///
/// SQLite keeps times as RFC 3339 text in UTC ("2026-11-16T08:30:00.123+00:00"): a prefix up
/// to the hour (or minute) groups faster than parsing every row. The same bucket may then come
/// back as several minute rows; callers add tallies up, so that is harmless.
pub(super) fn bucket_expr(backend: DbBackend, column: &str, bucket_secs: i64) -> String {
    match backend {
        // date_trunc groups a third faster than arithmetic on the epoch.
        DbBackend::Postgres if bucket_secs == 3600 => {
            format!("CAST(EXTRACT(EPOCH FROM date_trunc('hour', {column})) AS BIGINT)")
        }
        DbBackend::Postgres => format!(
            "CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / {bucket_secs}) AS BIGINT) * {bucket_secs}"
        ),
        _ if bucket_secs % 3600 == 0 => format!("substr({column}, 1, 13)"),
        _ => format!("substr({column}, 1, 16)"),
    }
}

/// The group column of a bucket query: `channel` and `source` name the table's own columns.
fn group_expr(q: &mut Sql, group: &GroupBy, channel: &str, source: &str) -> String {
    match group {
        GroupBy::Nothing => "NULL".to_owned(),
        GroupBy::Channel => channel.to_owned(),
        GroupBy::Source => source.to_owned(),
        GroupBy::Attr(key) => match q.backend {
            DbBackend::Postgres => format!("(attributes ->> {})", q.bind(key.clone())),
            _ => format!(
                "CAST(json_extract(attributes, {}) AS TEXT)",
                q.bind(format!("$.\"{key}\""))
            ),
        },
    }
}

/// Score counts of survey responses per bucket, in the same columns as the feedback query
/// (no items or sentiment: those are the feedback's).
fn survey_scores(
    backend: DbBackend,
    workspace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket_secs: i64,
    group: &GroupBy,
    segment: Option<&Segment>,
) -> Statement {
    let mut q = Sql::new(backend);
    let epoch = bucket_expr(backend, "occurred_at", bucket_secs);
    // Hosted surveys' responses are the survey channel's; other tools' are their webhook's.
    let channel = "CASE WHEN survey_id LIKE 'sv_%' THEN 'survey' ELSE 'webhook' END";
    let group_expr = group_expr(&mut q, group, channel, "survey_id");
    let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
    let narrow = response_segment(&mut q, segment);
    let sql = format!(
        "SELECT {epoch} AS bucket, {group_expr} AS grp, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), \
         CAST(0 AS BIGINT), CAST(0 AS BIGINT), \
         SUM(CASE WHEN nps >= 9 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN nps BETWEEN 7 AND 8 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN nps <= 6 THEN 1 ELSE 0 END), \
         COUNT(csat), SUM(CASE WHEN csat >= 4 THEN 1 ELSE 0 END), \
         COUNT(ces), SUM(ces), SUM(ces * ces), CAST(0 AS BIGINT) \
         FROM survey_response WHERE workspace_id = {ws} \
         AND occurred_at >= {f} AND occurred_at < {t} \
         AND (nps IS NOT NULL OR csat IS NOT NULL OR ces IS NOT NULL){narrow} \
         GROUP BY 1, 2"
    );
    q.statement(sql)
}

/// Seconds since the epoch of the bucket a UTC text prefix (`2026-11-16T08` or
/// `2026-11-16T08:37`) falls in.
pub(super) fn text_bucket(prefix: &str, bucket_secs: i64) -> StoreResult<i64> {
    let padded = match prefix.len() {
        13 => format!("{prefix}:00:00"),
        16 => format!("{prefix}:00"),
        _ => String::new(),
    };
    let t = chrono::NaiveDateTime::parse_from_str(&padded, "%Y-%m-%dT%H:%M:%S").map_err(|_| {
        super::StoreError::Db(sea_orm::DbErr::Type(format!(
            "unexpected stored time {prefix:?}"
        )))
    })?;
    let secs = t.and_utc().timestamp();
    Ok(secs - secs.rem_euclid(bucket_secs))
}

pub(super) fn count(row: &QueryResult, i: usize) -> StoreResult<u64> {
    let v: Option<i64> = row.try_get_by_index(i)?;
    Ok(v.unwrap_or(0).max(0) as u64)
}

impl Store {
    /// The `limit` most frequent keywords of `[from, to)`.
    pub async fn keyword_counts(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u64,
    ) -> StoreResult<Vec<(String, u64)>> {
        let mut q = Sql::new(self.backend());
        let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
        let sql = format!(
            "SELECT keyword, COUNT(*) FROM feedback_keyword \
             WHERE workspace_id = {ws} AND occurred_at >= {f} AND occurred_at < {t} \
             GROUP BY keyword ORDER BY 2 DESC, 1 LIMIT {limit}"
        );
        let rows = self.db.query_all(q.statement(sql)).await?;
        rows.iter()
            .map(|r| Ok((r.try_get_by_index::<String>(0)?, count(r, 1)?)))
            .collect()
    }

    /// Items carrying each of `keywords` in `[from, to)` (keywords without any left out).
    pub async fn keyword_counts_of(
        &self,
        workspace_id: &str,
        keywords: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, u64)>> {
        if keywords.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(self.backend());
        let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
        let list: Vec<String> = keywords.iter().map(|k| q.bind(k.clone())).collect();
        let sql = format!(
            "SELECT keyword, COUNT(*) FROM feedback_keyword WHERE workspace_id = {ws} \
             AND occurred_at >= {f} AND occurred_at < {t} AND keyword IN ({}) GROUP BY keyword",
            list.join(", ")
        );
        let rows = self.db.query_all(q.statement(sql)).await?;
        rows.iter()
            .map(|r| Ok((r.try_get_by_index::<String>(0)?, count(r, 1)?)))
            .collect()
    }

    /// The newest `limit` items carrying `keyword` in `[from, to)`.
    pub async fn keyword_samples(
        &self,
        workspace_id: &str,
        keyword: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u64,
    ) -> StoreResult<Vec<Sample>> {
        let by = ("feedback_keyword", "keyword", keyword);
        self.newest_samples(workspace_id, by, from, to, limit, None)
            .await
    }

    /// The newest `limit` items of `[from, to)` that a per-item table (pain points, keywords)
    /// links to a value, with their analysis. `table` and `column` are our own names.
    async fn newest_samples(
        &self,
        workspace_id: &str,
        (table, column, value): (&str, &str, &str),
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u64,
        segment: Option<&Segment>,
    ) -> StoreResult<Vec<Sample>> {
        let mut q = Sql::new(self.backend());
        let (ws, v, f, t) = (
            q.bind(workspace_id.to_owned()),
            q.bind(value.to_owned()),
            q.bind(from),
            q.bind(to),
        );
        let narrow = feedback_segment(&mut q, segment, "f.");
        let sql = format!(
            "SELECT f.id, f.text, f.channel, f.occurred_at, f.analysis FROM {table} x \
             JOIN feedback f ON f.id = x.feedback_id \
             WHERE x.workspace_id = {ws} AND x.{column} = {v} \
             AND x.occurred_at >= {f} AND x.occurred_at < {t}{narrow} \
             ORDER BY x.occurred_at DESC LIMIT {limit}"
        );
        self.samples(q.statement(sql)).await
    }

    async fn samples(&self, stmt: Statement) -> StoreResult<Vec<Sample>> {
        let rows = self.db.query_all(stmt).await?;
        rows.iter()
            .map(|r| {
                Ok(Sample {
                    id: r.try_get_by_index(0)?,
                    text: r.try_get_by_index(1)?,
                    channel: r.try_get_by_index(2)?,
                    occurred_at: r.try_get_by_index(3)?,
                    analysis: r.try_get_by_index(4)?,
                })
            })
            .collect()
    }
}

/// The store's aggregates narrowed to a segment (or not narrowed: `segment: None`).
pub struct Narrowed<'a> {
    pub store: &'a Store,
    pub segment: Option<Segment>,
}

impl Store {
    /// The insight queries over `segment` only.
    pub fn narrowed(&self, segment: Option<Segment>) -> Narrowed<'_> {
        Narrowed {
            store: self,
            segment,
        }
    }
}

/// The SQL condition (`AND …`, or nothing) that keeps a segment's rows of `feedback`, whose
/// columns are prefixed with `p` (`"f."` or `""`).
pub(super) fn feedback_segment(q: &mut Sql, segment: Option<&Segment>, p: &str) -> String {
    match segment {
        None => String::new(),
        Some(Segment::Channel(c)) => format!(" AND {p}channel = {}", q.bind(c.clone())),
        Some(Segment::Source(s)) => format!(" AND {p}source_id = {}", q.bind(s.clone())),
        Some(Segment::Attr(k, v)) => format!(" AND {} = {}", attr_expr(q, k, p), q.bind(v.clone())),
    }
}

/// The same for `survey_response`: a hosted survey's responses are the survey channel's,
/// other tools' the webhook channel's.
pub(super) fn response_segment(q: &mut Sql, segment: Option<&Segment>) -> String {
    match segment {
        None => String::new(),
        Some(Segment::Channel(c)) if c == "survey" => " AND survey_id LIKE 'sv_%'".to_owned(),
        Some(Segment::Channel(c)) if c == "webhook" => " AND survey_id NOT LIKE 'sv_%'".to_owned(),
        Some(Segment::Channel(_)) => " AND 1 = 0".to_owned(),
        Some(Segment::Source(s)) => format!(" AND survey_id = {}", q.bind(s.clone())),
        Some(Segment::Attr(k, v)) => {
            format!(" AND {} = {}", attr_expr(q, k, ""), q.bind(v.clone()))
        }
    }
}

/// The SQL condition (`AND …`, or nothing) that keeps a segment's rows of
/// `feedback_pain_point` in `[from, to)`: the row's own channel, else its items among the
/// segment's items of the same range.
fn pain_segment(
    q: &mut Sql,
    segment: Option<&Segment>,
    workspace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> String {
    match segment {
        None => String::new(),
        Some(Segment::Channel(c)) => format!(" AND channel = {}", q.bind(c.clone())),
        seg => {
            let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
            let cond = feedback_segment(q, seg, "");
            format!(
                " AND feedback_id IN (SELECT id FROM feedback WHERE workspace_id = {ws} \
                 AND occurred_at >= {f} AND occurred_at < {t}{cond})"
            )
        }
    }
}

/// A respondent attribute as text.
pub(super) fn attr_expr(q: &mut Sql, key: &str, p: &str) -> String {
    match q.backend {
        DbBackend::Postgres => format!("({p}attributes ->> {})", q.bind(key.to_owned())),
        // Booleans spelled as PostgreSQL prints them (json_extract gives 1/0), as the
        // feedback list's attribute filter does.
        _ => super::db::sqlite_attribute_text(&format!("{p}attributes"), key, |v| q.bind(v)),
    }
}

/// Over-representation is computed over the period's newest this many items: enough to tell
/// a segment's share apart, and a bounded read however large the period.
pub const SEGMENT_SAMPLE: u64 = 20_000;

impl Store {
    /// Items of `[from, to)` (the newest [`SEGMENT_SAMPLE`]) per value of `group` (channel, source or an attribute), and how
    /// many of them carry `category`: (value, items, with the category), values without a
    /// value left out.
    pub async fn category_by_segment(
        &self,
        workspace_id: &str,
        category: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        group: &GroupBy,
    ) -> StoreResult<Vec<(String, u64, u64)>> {
        let mut q = Sql::new(self.backend());
        let g = group_expr(&mut q, group, "f.channel", "f.source_id")
            .replace("(attributes", "(f.attributes");
        let c = q.bind(category.to_owned());
        let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
        let sql = format!(
            "SELECT {g} AS grp, COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback_pain_point p \
             WHERE p.feedback_id = f.id AND p.category = {c}) THEN 1 ELSE 0 END) \
             FROM (SELECT id, channel, source_id, attributes FROM feedback \
             WHERE workspace_id = {ws} AND occurred_at >= {f} AND occurred_at < {t} \
             ORDER BY occurred_at DESC LIMIT {SEGMENT_SAMPLE}) f GROUP BY 1"
        );
        let rows = self.db.query_all(q.statement(sql)).await?;
        let mut out = Vec::new();
        for r in rows {
            if let Some(v) = r.try_get_by_index::<Option<String>>(0)? {
                out.push((v, count(&r, 1)?, count(&r, 2)?));
            }
        }
        Ok(out)
    }

    /// The attribute keys most common among the newest `sample` items of `[from, to)`.
    pub async fn common_attribute_keys(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        sample: u64,
        keys: usize,
    ) -> StoreResult<Vec<String>> {
        let (mut profile, _) = self
            .attribute_profile(workspace_id, from, to, sample)
            .await?;
        profile.sort_by(|a, b| b.items.cmp(&a.items).then(a.key.cmp(&b.key)));
        Ok(profile.into_iter().take(keys).map(|p| p.key).collect())
    }
}

/// The insight room's queries, unnarrowed.
impl Aggregates for Store {
    type Error = StoreError;

    async fn insight_buckets(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
        group: &GroupBy,
    ) -> StoreResult<Vec<Bucket>> {
        self.narrowed(None)
            .insight_buckets(workspace_id, from, to, bucket_secs, group)
            .await
    }

    async fn pain_point_channels(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        self.narrowed(None)
            .pain_point_channels(workspace_id, from, to)
            .await
    }

    async fn pain_point_counts(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, u64)>> {
        self.narrowed(None)
            .pain_point_counts(workspace_id, from, to)
            .await
    }

    async fn pain_point_buckets(
        &self,
        workspace_id: &str,
        category: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
    ) -> StoreResult<Vec<(i64, u64)>> {
        self.narrowed(None)
            .pain_point_buckets(workspace_id, category, from, to, bucket_secs)
            .await
    }

    async fn pain_point_first_seen(
        &self,
        workspace_id: &str,
        category: &str,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        self.narrowed(None)
            .pain_point_first_seen(workspace_id, category)
            .await
    }

    async fn pain_point_samples(
        &self,
        workspace_id: &str,
        category: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u64,
    ) -> StoreResult<Vec<Sample>> {
        self.narrowed(None)
            .pain_point_samples(workspace_id, category, from, to, limit)
            .await
    }

    async fn samples_by_id(&self, workspace_id: &str, ids: &[String]) -> StoreResult<Vec<Sample>> {
        self.narrowed(None).samples_by_id(workspace_id, ids).await
    }

    async fn uncategorised_complaints(
        &self,
        workspace_id: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        limit: u64,
    ) -> StoreResult<Vec<(String, Vec<String>)>> {
        Store::uncategorised_complaints(self, workspace_id, from, to, limit, None).await
    }

    async fn custom_categories(&self, workspace_id: &str) -> StoreResult<Vec<CustomCategory>> {
        Store::custom_categories(self, workspace_id).await
    }
}

/// The insight room's queries, over the segment when there is one.
impl Aggregates for Narrowed<'_> {
    type Error = StoreError;

    /// Counts per `bucket_secs`-long bucket (aligned to the Unix epoch) of the items that
    /// occurred in `[from, to)`, split by `group`. Buckets of an hour (or a quarter hour)
    /// roll up exactly into days, weeks and months of any time zone whose offset is whole
    /// hours (or quarter hours).
    async fn insight_buckets(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
        group: &GroupBy,
    ) -> StoreResult<Vec<Bucket>> {
        let tallied = bucket_secs % 3600 == 0
            && !matches!(group, GroupBy::Attr(_))
            && !matches!(self.segment, Some(Segment::Attr(..)));
        let Some((h0, h1)) = whole_hours(from, to).filter(|_| tallied) else {
            return self
                .scan_buckets(workspace_id, from, to, bucket_secs, group)
                .await;
        };
        let mut out = self
            .tally_buckets(workspace_id, h0, h1, bucket_secs, group)
            .await?;
        for (f, t) in ends(from, to, h0, h1) {
            out.extend(
                self.scan_buckets(workspace_id, f, t, bucket_secs, group)
                    .await?,
            );
        }
        Ok(out)
    }

    async fn pain_point_channels(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        let Some((h0, h1)) = whole_hours(from, to).filter(|_| self.pain_tallied()) else {
            return self.scan_pain_point_channels(workspace_id, from, to).await;
        };
        let mut by: BTreeMap<(String, String), u64> = BTreeMap::new();
        for r in self
            .tally_pain(workspace_id, None, h0, h1, "category, channel")
            .await?
        {
            *by.entry((r.try_get_by_index(0)?, r.try_get_by_index(1)?))
                .or_default() += count(&r, 2)?;
        }
        for (f, t) in ends(from, to, h0, h1) {
            for (c, ch, n) in self.scan_pain_point_channels(workspace_id, f, t).await? {
                *by.entry((c, ch)).or_default() += n;
            }
        }
        Ok(by.into_iter().map(|((c, ch), n)| (c, ch, n)).collect())
    }

    /// The per-channel counts summed over channels.
    async fn pain_point_counts(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, u64)>> {
        let mut by: BTreeMap<String, u64> = BTreeMap::new();
        for (c, _, n) in self.pain_point_channels(workspace_id, from, to).await? {
            *by.entry(c).or_default() += n;
        }
        Ok(by.into_iter().collect())
    }

    async fn pain_point_buckets(
        &self,
        workspace_id: &str,
        category: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
    ) -> StoreResult<Vec<(i64, u64)>> {
        let tallied = self.pain_tallied() && bucket_secs % 3600 == 0;
        let Some((h0, h1)) = whole_hours(from, to).filter(|_| tallied) else {
            return self
                .scan_pain_point_buckets(workspace_id, category, from, to, bucket_secs)
                .await;
        };
        let mut out = Vec::new();
        for r in self
            .tally_pain(workspace_id, Some(category), h0, h1, "hour")
            .await?
        {
            out.push((
                text_bucket(&r.try_get_by_index::<String>(0)?, bucket_secs)?,
                count(&r, 1)?,
            ));
        }
        for (f, t) in ends(from, to, h0, h1) {
            out.extend(
                self.scan_pain_point_buckets(workspace_id, category, f, t, bucket_secs)
                    .await?,
            );
        }
        Ok(out)
    }

    /// When the workspace first saw `category`, if ever.
    async fn pain_point_first_seen(
        &self,
        workspace_id: &str,
        category: &str,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        let mut q = Sql::new(self.store.backend());
        let (ws, c) = (q.bind(workspace_id.to_owned()), q.bind(category.to_owned()));
        let sql = format!(
            "SELECT occurred_at FROM feedback_pain_point WHERE workspace_id = {ws} \
             AND category = {c} ORDER BY occurred_at LIMIT 1"
        );
        let row = self.store.db.query_one(q.statement(sql)).await?;
        Ok(match row {
            Some(r) => Some(r.try_get_by_index::<DateTime<Utc>>(0)?),
            None => None,
        })
    }

    /// The newest `limit` items of `category` in `[from, to)`, with their analysis.
    async fn pain_point_samples(
        &self,
        workspace_id: &str,
        category: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u64,
    ) -> StoreResult<Vec<Sample>> {
        let by = ("feedback_pain_point", "category", category);
        self.store
            .newest_samples(workspace_id, by, from, to, limit, self.segment.as_ref())
            .await
    }

    /// Items by id (for the members of an emerging cluster), newest first.
    async fn samples_by_id(&self, workspace_id: &str, ids: &[String]) -> StoreResult<Vec<Sample>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(self.store.backend());
        let ws = q.bind(workspace_id.to_owned());
        let list: Vec<String> = ids.iter().map(|id| q.bind(id.clone())).collect();
        let sql = format!(
            "SELECT id, text, channel, occurred_at, analysis FROM feedback \
             WHERE workspace_id = {ws} AND id IN ({}) ORDER BY occurred_at DESC",
            list.join(", ")
        );
        self.store.samples(q.statement(sql)).await
    }

    async fn uncategorised_complaints(
        &self,
        workspace_id: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        limit: u64,
    ) -> StoreResult<Vec<(String, Vec<String>)>> {
        Store::uncategorised_complaints(
            self.store,
            workspace_id,
            from,
            to,
            limit,
            self.segment.as_ref(),
        )
        .await
    }

    async fn custom_categories(&self, workspace_id: &str) -> StoreResult<Vec<CustomCategory>> {
        Store::custom_categories(self.store, workspace_id).await
    }
}

/// The whole UTC hours `[h0, h1)` inside `[from, to)`, if there is one.
fn whole_hours(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let floor = |t: DateTime<Utc>| t.timestamp().div_euclid(3600) * 3600;
    let start = if from.timestamp() % 3600 == 0 && from.timestamp_subsec_nanos() == 0 {
        floor(from)
    } else {
        floor(from) + 3600
    };
    let (h0, h1) = (start, floor(to));
    (h0 < h1).then(|| {
        (
            DateTime::from_timestamp(h0, 0).unwrap_or(from),
            DateTime::from_timestamp(h1, 0).unwrap_or(to),
        )
    })
}

/// The non-empty part-ranges `[from, a)` and `[b, to)` left around the whole units `[a, b)`.
pub(super) fn ends(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    a: DateTime<Utc>,
    b: DateTime<Utc>,
) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> {
    [(from, a), (b, to)].into_iter().filter(|(f, t)| f < t)
}

fn hour_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H").to_string()
}

/// A counter row of `feedback_tally` (or a scan's row in the same columns) as a bucket.
fn bucket_row(r: &QueryResult, text_hour: bool, bucket_secs: i64) -> StoreResult<Bucket> {
    let start = if text_hour {
        text_bucket(&r.try_get_by_index::<String>(0)?, bucket_secs)?
    } else {
        r.try_get_by_index::<i64>(0)?
    };
    Ok(Bucket {
        start,
        group: r.try_get_by_index::<Option<String>>(1)?,
        tally: Tally {
            items: count(r, 2)?,
            analysed: count(r, 3)?,
            positive: count(r, 4)?,
            negative: count(r, 5)?,
            mixed: count(r, 6)?,
            promoters: count(r, 7)?,
            passives: count(r, 8)?,
            detractors: count(r, 9)?,
            csat_n: count(r, 10)?,
            csat_satisfied: count(r, 11)?,
            ces_n: count(r, 12)?,
            ces_sum: count(r, 13)? as f64,
            ces_sum_sq: count(r, 14)? as f64,
            complaints: count(r, 15)?,
        },
    })
}

/// The counters kept by the database (migration `m20261206_000013_insight_tally`), read for
/// whole hours; the scans above read the items for the rest.
impl Narrowed<'_> {
    /// The pain-point counters serve the workspace or one channel.
    fn pain_tallied(&self) -> bool {
        matches!(self.segment, None | Some(Segment::Channel(_)))
    }

    async fn tally_buckets(
        &self,
        workspace_id: &str,
        h0: DateTime<Utc>,
        h1: DateTime<Utc>,
        bucket_secs: i64,
        group: &GroupBy,
    ) -> StoreResult<Vec<Bucket>> {
        let mut q = Sql::new(self.store.backend());
        let grp = match group {
            GroupBy::Channel => "channel",
            GroupBy::Source => "NULLIF(source, '')",
            _ => "NULL",
        };
        let (ws, f, t) = (
            q.bind(workspace_id.to_owned()),
            q.bind(hour_text(h0)),
            q.bind(hour_text(h1)),
        );
        let narrow = match &self.segment {
            Some(Segment::Channel(c)) => format!(" AND channel = {}", q.bind(c.clone())),
            Some(Segment::Source(s)) => format!(" AND source = {}", q.bind(s.clone())),
            _ => String::new(),
        };
        let sums: Vec<String> = [
            "items",
            "analysed",
            "positive",
            "negative",
            "mixed",
            "promoters",
            "passives",
            "detractors",
            "csat_n",
            "csat_satisfied",
            "ces_n",
            "ces_sum",
            "ces_sum_sq",
            "complaints",
        ]
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
        .collect();
        let sql = format!(
            "SELECT hour, {grp}, {} FROM feedback_tally WHERE workspace_id = {ws} \
             AND hour >= {f} AND hour < {t}{narrow} GROUP BY 1, 2",
            sums.join(", ")
        );
        let rows = self.store.db.query_all(q.statement(sql)).await?;
        rows.iter()
            .map(|r| bucket_row(r, true, bucket_secs))
            .collect()
    }

    /// Pain-point counters of whole hours `[h0, h1)` grouped by `by` (our own column list),
    /// with the count last.
    async fn tally_pain(
        &self,
        workspace_id: &str,
        category: Option<&str>,
        h0: DateTime<Utc>,
        h1: DateTime<Utc>,
        by: &str,
    ) -> StoreResult<Vec<QueryResult>> {
        let mut q = Sql::new(self.store.backend());
        let (ws, f, t) = (
            q.bind(workspace_id.to_owned()),
            q.bind(hour_text(h0)),
            q.bind(hour_text(h1)),
        );
        let mut narrow = String::new();
        if let Some(c) = category {
            narrow += &format!(" AND category = {}", q.bind(c.to_owned()));
        }
        if let Some(Segment::Channel(c)) = &self.segment {
            narrow += &format!(" AND channel = {}", q.bind(c.clone()));
        }
        let sql = format!(
            "SELECT {by}, CAST(SUM(items) AS BIGINT) FROM pain_point_tally \
             WHERE workspace_id = {ws} AND hour >= {f} AND hour < {t}{narrow} GROUP BY {by}"
        );
        Ok(self.store.db.query_all(q.statement(sql)).await?)
    }

    /// Items per pain-point category and channel in `[from, to)`: a range of
    /// `idx_pain_point_period`, whose rows carry their item's channel.
    async fn scan_pain_point_channels(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        let mut q = Sql::new(self.store.backend());
        let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
        let narrow = pain_segment(&mut q, self.segment.as_ref(), workspace_id, from, to);
        let sql = format!(
            "SELECT category, channel, COUNT(*) FROM feedback_pain_point \
             WHERE workspace_id = {ws} AND occurred_at >= {f} AND occurred_at < {t}{narrow} \
             GROUP BY category, channel"
        );
        let rows = self.store.db.query_all(q.statement(sql)).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get_by_index::<String>(0)?,
                    r.try_get_by_index::<String>(1)?,
                    count(r, 2)?,
                ))
            })
            .collect()
    }

    /// Items of one category per `bucket_secs`-long bucket of `[from, to)`: a range of
    /// `idx_pain_point_workspace_category`.
    async fn scan_pain_point_buckets(
        &self,
        workspace_id: &str,
        category: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
    ) -> StoreResult<Vec<(i64, u64)>> {
        let backend = self.store.backend();
        let mut q = Sql::new(backend);
        let epoch = bucket_expr(backend, "occurred_at", bucket_secs);
        let (ws, c, f, t) = (
            q.bind(workspace_id.to_owned()),
            q.bind(category.to_owned()),
            q.bind(from),
            q.bind(to),
        );
        let narrow = pain_segment(&mut q, self.segment.as_ref(), workspace_id, from, to);
        let sql = format!(
            "SELECT {epoch}, COUNT(*) FROM feedback_pain_point WHERE workspace_id = {ws} \
             AND category = {c} AND occurred_at >= {f} AND occurred_at < {t}{narrow} GROUP BY 1"
        );
        let rows = self.store.db.query_all(q.statement(sql)).await?;
        rows.iter()
            .map(|r| {
                let start = match backend {
                    DbBackend::Postgres => r.try_get_by_index::<i64>(0)?,
                    _ => text_bucket(&r.try_get_by_index::<String>(0)?, bucket_secs)?,
                };
                Ok((start, count(r, 1)?))
            })
            .collect()
    }

    /// Counts per bucket read from the items themselves (the covering index).
    async fn scan_buckets(
        &self,
        workspace_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
        group: &GroupBy,
    ) -> StoreResult<Vec<Bucket>> {
        let backend = self.store.backend();
        let mut q = Sql::new(backend);
        let epoch = bucket_expr(backend, "occurred_at", bucket_secs);
        let group_expr = group_expr(&mut q, group, "channel", "source_id");
        let (ws, f, t) = (q.bind(workspace_id.to_owned()), q.bind(from), q.bind(to));
        // On SQLite, hour buckets read `idx_feedback_insight_hour`, an index on the hour prefix
        // itself: the range on the prefix lets it seek, and its order lets GROUP BY stream
        // instead of sorting every row.
        let (hour_range, group_by) = if backend == DbBackend::Sqlite && bucket_secs == 3600 {
            let hour = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H").to_string();
            let range = format!(
                "AND substr(occurred_at, 1, 13) >= {} AND substr(occurred_at, 1, 13) <= {}",
                q.bind(hour(from)),
                q.bind(hour(to))
            );
            let by = match group {
                GroupBy::Nothing => "substr(occurred_at, 1, 13)".to_owned(),
                _ => "substr(occurred_at, 1, 13), 2".to_owned(),
            };
            (range, by)
        } else {
            (String::new(), "1, 2".to_owned())
        };
        // Bound after the hour range: SQLite's `?` placeholders are taken in order.
        let narrow = feedback_segment(&mut q, self.segment.as_ref(), "");
        // A response's scores (a hosted survey's, another tool's) are counted once, from
        // survey_response below: its feedback items (one per text answer) all carry them.
        // Tested after the score itself, so rows without one never evaluate it.
        let scored = "response_id IS NULL";
        let sql = format!(
            "SELECT {epoch} AS bucket, {group_expr} AS grp, COUNT(*), \
             SUM(CASE WHEN sentiment IS NOT NULL AND sentiment <> 'unknown' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN sentiment = 'positive' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN sentiment = 'negative' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN sentiment = 'mixed' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN nps >= 9 AND {scored} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN nps BETWEEN 7 AND 8 AND {scored} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN nps <= 6 AND {scored} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN csat IS NOT NULL AND {scored} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN csat >= 4 AND {scored} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN ces IS NOT NULL AND {scored} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN ces IS NOT NULL AND {scored} THEN ces ELSE 0 END), \
             SUM(CASE WHEN ces IS NOT NULL AND {scored} THEN ces * ces ELSE 0 END), \
             SUM(CASE WHEN sentiment IN ('negative', 'mixed') OR has_pain_point THEN 1 ELSE 0 END) \
             FROM feedback WHERE workspace_id = {ws} AND occurred_at >= {f} AND occurred_at < {t} \
             {hour_range}{narrow} GROUP BY {group_by}"
        );
        let mut rows = self.store.db.query_all(q.statement(sql)).await?;
        rows.extend(
            self.store
                .db
                .query_all(survey_scores(
                    backend,
                    workspace_id,
                    from,
                    to,
                    bucket_secs,
                    group,
                    self.segment.as_ref(),
                ))
                .await?,
        );
        let text_hour = backend != DbBackend::Postgres;
        rows.iter()
            .map(|r| bucket_row(r, text_hour, bucket_secs))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{text_bucket, whole_hours};
    use chrono::{DateTime, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn whole_hours_inside_a_range() {
        let (h0, h1) = whole_hours(at("2026-11-16T08:30:00Z"), at("2026-11-16T11:10:00Z")).unwrap();
        assert_eq!(
            (h0, h1),
            (at("2026-11-16T09:00:00Z"), at("2026-11-16T11:00:00Z"))
        );
        let aligned = whole_hours(at("2026-11-16T08:00:00Z"), at("2026-11-16T10:00:00Z"));
        assert_eq!(
            aligned,
            Some((at("2026-11-16T08:00:00Z"), at("2026-11-16T10:00:00Z")))
        );
        // A split second past the hour is not the hour.
        let (h0, _) =
            whole_hours(at("2026-11-16T08:00:00.5Z"), at("2026-11-16T12:00:00Z")).unwrap();
        assert_eq!(h0, at("2026-11-16T09:00:00Z"));
        assert_eq!(
            whole_hours(at("2026-11-16T08:10:00Z"), at("2026-11-16T09:50:00Z")),
            None
        );
        assert_eq!(
            whole_hours(at("2026-11-16T09:00:00Z"), at("2026-11-16T09:00:00Z")),
            None
        );
    }

    #[test]
    fn text_prefixes_become_bucket_starts() {
        // 2026-11-16T08:00:00Z
        assert_eq!(text_bucket("2026-11-16T08", 3600).unwrap(), 1_794_816_000);
        assert_eq!(
            text_bucket("2026-11-16T08:37", 900).unwrap(),
            1_794_816_000 + 1800
        );
        assert!(text_bucket("garbage", 3600).is_err());
    }
}
