//! Insights over HTTP: `GET /api/v1/insights/trends` (a metric per period, optionally split
//! by channel, source or a respondent attribute, with 95 % intervals) and
//! `GET /api/v1/insights/pain-points` (the ranked pain points of a range against the range
//! just before it).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::feedback::{parse_instant, workspace_tz};
use super::{number_in, query_pairs, ApiError, Auth, Read, State};
use crate::insight::period::{periods_between, Granularity};
use crate::insight::ranking::{self, RankInput};
use crate::insight::tally::Metric;
use crate::insight::trends::{self, MAX_PERIODS};
use crate::insight::GroupBy;

/// `from`/`to` (RFC 3339 or a date in the workspace zone, `to` exclusive), checked in order.
fn range(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    default_span: Duration,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to - default_span);
    if from >= to {
        return Err(ApiError::field("from", "must be before to"));
    }
    Ok((from, to))
}

fn parse_group(v: &str) -> Result<GroupBy, ApiError> {
    match v {
        "" => Ok(GroupBy::Nothing),
        "channel" => Ok(GroupBy::Channel),
        "source" => Ok(GroupBy::Source),
        _ => {
            let key = v.strip_prefix("attr:").unwrap_or_default();
            if crate::insight::is_plain_key(key) {
                Ok(GroupBy::Attr(key.to_owned()))
            } else {
                Err(ApiError::field(
                    "group_by",
                    "must be channel, source or attr:KEY (KEY: letters, digits, _ - ., up to 64)",
                ))
            }
        }
    }
}

async fn trends(
    state: State,
    auth: Auth<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let tz = workspace_tz(&state, ws).await?;
    let (mut metric, mut g, mut from, mut to, mut group) =
        (None, Granularity::Week, None, None, GroupBy::Nothing);
    for (k, v) in query_pairs(req.query_string())? {
        match k.as_str() {
            "metric" => {
                metric = Some(Metric::parse(&v).ok_or_else(|| {
                    ApiError::field("metric", "must be nps, csat, ces, sentiment or volume")
                })?)
            }
            "interval" => {
                g = match v.as_str() {
                    "day" => Granularity::Day,
                    "week" => Granularity::Week,
                    "month" => Granularity::Month,
                    _ => return Err(ApiError::field("interval", "must be day, week or month")),
                }
            }
            "from" => from = Some(parse_instant(&v, tz, "from")?),
            "to" => to = Some(parse_instant(&v, tz, "to")?),
            "group_by" => group = parse_group(&v)?,
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown parameter (expected metric, interval, from, to, group_by)",
                ))
            }
        }
    }
    let metric = metric.ok_or_else(|| ApiError::field("metric", "is required"))?;
    let default_span = match g {
        Granularity::Day => Duration::days(30),
        Granularity::Week => Duration::weeks(12),
        Granularity::Month => Duration::days(365),
    };
    let (from, to) = range(from, to, default_span, state.clock.now())?;
    if periods_between(from, to, tz, g, MAX_PERIODS + 1).len() > MAX_PERIODS {
        return Err(ApiError::field(
            "from",
            format!("the range spans more than {MAX_PERIODS} periods: use a longer interval"),
        ));
    }
    let series = trends::trends(&state.store, ws, tz, metric, g, from, to, &group).await?;
    Ok(HttpResponse::Ok().json(json!({
        "metric": metric,
        "interval": g,
        "from": from,
        "to": to,
        "timezone": tz.name(),
        "series": series,
    })))
}

async fn pain_points(
    state: State,
    auth: Auth<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let tz = workspace_tz(&state, ws).await?;
    let (mut from, mut to, mut limit) = (None, None, 20usize);
    for (k, v) in query_pairs(req.query_string())? {
        match k.as_str() {
            "from" => from = Some(parse_instant(&v, tz, "from")?),
            "to" => to = Some(parse_instant(&v, tz, "to")?),
            "limit" => limit = number_in("limit", &v, 1..=100)?,
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown parameter (expected from, to, limit)",
                ))
            }
        }
    }
    let (from, to) = range(from, to, Duration::days(7), state.clock.now())?;
    if to - from > Duration::days(366) {
        return Err(ApiError::field(
            "from",
            "the range may span at most 366 days",
        ));
    }
    let previous_from = from - (to - from);
    let (previous, current) =
        trends::totals_around(&state.store, ws, tz, previous_from, from, to).await?;
    let names = ranking::category_names(&state.store, state.pipeline.analyzer(), ws).await?;
    let base = state.public_url(&req);
    let link = |id: &str| {
        crate::tell::links::console_link(
            &base,
            ws,
            Some(crate::tell::links::Narrow::pain_point(id)),
            from,
            to,
        )
    };
    let input = RankInput {
        workspace_id: ws,
        from,
        to,
        previous_from,
        current,
        previous,
        link: &link,
    };
    let mut items = ranking::rank_pain_points(&state.store, &names, &input).await?;
    items.truncate(limit);
    let items: Vec<_> = items.iter().map(ranking::pain_point_json).collect();
    Ok(HttpResponse::Ok().json(json!({
        "from": from,
        "to": to,
        "previous": {"from": previous_from, "to": from},
        "items": items,
    })))
}

/// The metric, range and (for segments) attribute of a drivers or segments request: the
/// metric is one with a per-response value (not volume), nps by default; the range defaults
/// to the 30 days before now and spans at most 366 days.
struct WhyQuery {
    metric: Metric,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    attr: Option<GroupBy>,
}

fn why_query(
    query: &str,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    with_attr: bool,
) -> Result<WhyQuery, ApiError> {
    let (mut metric, mut from, mut to, mut attr) = (Metric::Nps, None, None, None);
    let expected = if with_attr {
        "unknown parameter (expected attr, metric, from, to)"
    } else {
        "unknown parameter (expected metric, from, to)"
    };
    for (k, v) in query_pairs(query)? {
        match k.as_str() {
            "metric" => {
                metric = Metric::parse(&v)
                    .filter(|m| *m != Metric::Volume)
                    .ok_or_else(|| ApiError::field("metric", "must be nps, csat, ces or sentiment"))?
            }
            "from" => from = Some(parse_instant(&v, tz, "from")?),
            "to" => to = Some(parse_instant(&v, tz, "to")?),
            "attr" if with_attr => {
                attr = Some(match v.as_str() {
                    "channel" => GroupBy::Channel,
                    "source" => GroupBy::Source,
                    key if crate::insight::is_plain_key(key) => GroupBy::Attr(key.to_owned()),
                    _ => {
                        return Err(ApiError::field(
                            "attr",
                            "must be channel, source or an attribute name (letters, digits, _ - ., up to 64)",
                        ))
                    }
                })
            }
            other => return Err(ApiError::field(other, expected)),
        }
    }
    if with_attr && attr.is_none() {
        return Err(ApiError::field("attr", "is required"));
    }
    let (from, to) = range(from, to, Duration::days(30), now)?;
    if to - from > Duration::days(366) {
        return Err(ApiError::field(
            "from",
            "the range may span at most 366 days",
        ));
    }
    Ok(WhyQuery {
        metric,
        from,
        to,
        attr,
    })
}

/// `GET /api/v1/insights/drivers`: what each pain point costs the metric.
async fn drivers(
    state: State,
    auth: Auth<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let tz = workspace_tz(&state, ws).await?;
    let q = why_query(req.query_string(), tz, state.clock.now(), false)?;
    let names = ranking::category_names(&state.store, state.pipeline.analyzer(), ws).await?;
    let (all, items) =
        crate::insight::drivers::drivers(&state.store, &names, ws, q.metric, q.from, q.to).await?;
    let base = state.public_url(&req);
    let items: Vec<_> = items
        .iter()
        .map(|d| {
            let mut v = serde_json::to_value(d).unwrap_or_default();
            v["url"] = json!(crate::tell::links::console_link(
                &base,
                ws,
                Some(crate::tell::links::Narrow::pain_point(&d.id)),
                q.from,
                q.to,
            ));
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "metric": q.metric,
        "from": q.from,
        "to": q.to,
        "n": all.n,
        "value": all.mean().map(|m| (m * 100.0).round() / 100.0),
        "min_responses": crate::insight::drivers::MIN_RESPONSES,
        "items": items,
    })))
}

/// `GET /api/v1/insights/segments`: the metric and over-represented pain points per value of
/// a channel, source or respondent attribute.
async fn segments(
    state: State,
    auth: Auth<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let tz = workspace_tz(&state, ws).await?;
    let q = why_query(req.query_string(), tz, state.clock.now(), true)?;
    let group = q.attr.unwrap_or(GroupBy::Channel);
    let names = ranking::category_names(&state.store, state.pipeline.analyzer(), ws).await?;
    let lines = crate::insight::segments::segments(
        &state.store,
        &names,
        ws,
        q.metric,
        q.from,
        q.to,
        &group,
    )
    .await?;
    let attr = match &group {
        GroupBy::Attr(k) => k.clone(),
        GroupBy::Source => "source".to_owned(),
        _ => "channel".to_owned(),
    };
    Ok(HttpResponse::Ok().json(json!({
        "attr": attr,
        "metric": q.metric,
        "from": q.from,
        "to": q.to,
        "min_segment": crate::insight::segments::MIN_SEGMENT,
        "segments": lines,
    })))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/insights/trends").route(web::get().to(trends)))
        .service(web::resource("/insights/pain-points").route(web::get().to(pain_points)))
        .service(web::resource("/insights/drivers").route(web::get().to(drivers)))
        .service(web::resource("/insights/segments").route(web::get().to(segments)));
}
