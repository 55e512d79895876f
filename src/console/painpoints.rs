//! Pain points: `/pain-points` ranks them all for the period and segment chosen; each opens
//! `/pain-points/{id}` with its trend, share of complaints, keywords, aspects, channels, the
//! segments where it is over-represented, and its newest feedback.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::error::ConsoleError;
use super::frame::Page;
use super::home::{pain_row, ranked, ranked_line, scope_of, scope_view, source_names, PainRow};
use crate::domain::names::channel_name;
use crate::domain::Channel;
use crate::insight::period::{period_bounds, periods_between, Granularity};
use crate::insight::segments::{over_represented, OverRepresented};
use crate::insight::trends::{pain_point_periods, MAX_PERIODS};
use crate::insight::{Aggregates, GroupBy};

/// Attribute keys the page looks at for over-representation, found among recent items.
const ATTRIBUTE_KEYS: usize = 4;

async fn list(page: Page, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    let scope = scope_of(&page, &req);
    let base = page.base();
    let lines = ranked(&page, &scope, None).await?;
    let (categories, emerging): (Vec<_>, Vec<_>) = lines.iter().partition(|l| !l.emerging);
    let names = source_names(&page).await?;
    Ok(page.render(
        "pain_points.html",
        "痛点",
        "pain",
        serde_json::json!({
            "scope": scope_view(&scope, &names),
            "pain_points": categories.iter().map(|l| pain_row(l, &base, &scope)).collect::<Vec<PainRow>>(),
            "emerging": emerging.iter().map(|l| pain_row(l, &base, &scope)).collect::<Vec<PainRow>>(),
        }),
    ))
}

#[derive(Serialize)]
struct TrendBar {
    label: String,
    count: u64,
    /// Percent of the largest period, for the bar's length.
    width: u64,
}

#[derive(Serialize)]
struct SegmentRow {
    dimension: String,
    value: String,
    n: u64,
    with: u64,
    share: String,
    rest_share: String,
    lift: String,
    significant: bool,
}

fn segment_row(dimension: &str, o: &OverRepresented, shown: String) -> SegmentRow {
    SegmentRow {
        dimension: dimension.to_owned(),
        value: shown,
        n: o.n,
        with: o.with,
        share: format!("{:.1}%", o.share * 100.0),
        rest_share: format!("{:.1}%", o.rest_share * 100.0),
        lift: o
            .lift
            .map(|l| format!("{l:.1} 倍"))
            .unwrap_or_else(|| "仅此人群".to_owned()),
        significant: o.significant,
    }
}

async fn detail(
    page: Page,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let id = &path.1;
    let scope = scope_of(&page, &req);
    let base = page.base();
    let Some(line) = ranked_line(&page, &scope, id).await? else {
        // Not a category at all (a mistyped or made-up id): not found, like any other page.
        let store = page.state.store.narrowed(None);
        let known = crate::insight::ranking::category_names(
            &store,
            page.state.pipeline.analyzer(),
            &page.workspace.id,
        )
        .await?;
        if !known.contains_key(id.as_str()) && !id.starts_with("cluster:") {
            return Err(ConsoleError::NotFound);
        }
        // Known but quiet in this period: say so instead of a dead end.
        let names = source_names(&page).await?;
        return Ok(page.render(
            "pain_point.html",
            "痛点",
            "pain",
            serde_json::json!({
                "scope": scope_view(&scope, &names),
                "missing": true,
                "id": id,
            }),
        ));
    };
    let line = &line;
    let row = pain_row(line, &base, &scope);
    let ws = &page.workspace.id;
    let store = page.state.store.narrowed(scope.segment.clone());
    let mut trend = Vec::new();
    let mut segments = Vec::new();
    if !line.emerging {
        // Counts per period over the chart range, from one range of the category's index.
        let g = scope.granularity();
        let per_period =
            pain_point_periods(&store, ws, id, page.tz, g, scope.chart_from(), scope.to).await?;
        for key in periods_between(scope.chart_from(), scope.to, page.tz, g, MAX_PERIODS) {
            let Some((a, _)) = period_bounds(&key, page.tz, g) else {
                continue;
            };
            let start = a.max(scope.chart_from()).with_timezone(&page.tz);
            let shown = match g {
                Granularity::Month => start.format("%Y年%-m月").to_string(),
                Granularity::Week => format!("{} 起的一周", start.format("%-m/%-d")),
                Granularity::Day => start.format("%-m/%-d").to_string(),
            };
            trend.push((shown, per_period.get(&key).copied().unwrap_or(0)));
        }
        // Where it is over-represented: channels, then the commonest attributes.
        let s = &page.state.store;
        let by_channel = s
            .category_by_segment(ws, id, scope.from, scope.to, &GroupBy::Channel)
            .await?;
        for o in over_represented(&by_channel) {
            let shown = Channel::parse(&o.value)
                .map(channel_name)
                .unwrap_or(o.value.as_str())
                .to_owned();
            segments.push(segment_row("渠道", &o, shown));
        }
        for key in s
            .common_attribute_keys(ws, scope.from, scope.to, 2_000, ATTRIBUTE_KEYS)
            .await?
        {
            let counts = s
                .category_by_segment(ws, id, scope.from, scope.to, &GroupBy::Attr(key.clone()))
                .await?;
            for o in over_represented(&counts) {
                let shown = o.value.clone();
                segments.push(segment_row(&key, &o, shown));
            }
        }
        segments.sort_by_key(|s| std::cmp::Reverse(s.significant));
        segments.truncate(12);
    }
    // Periods before the pain point was first seen say nothing.
    let first = trend.iter().position(|(_, n)| *n > 0).unwrap_or(0);
    trend.drain(..first);
    let max = trend.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let bars: Vec<TrendBar> = trend
        .into_iter()
        .map(|(label, count)| TrendBar {
            label,
            width: count * 100 / max,
            count,
        })
        .collect();
    let items = if line.emerging {
        Vec::new()
    } else {
        store
            .pain_point_samples(ws, id, scope.from, scope.to, 10)
            .await?
    };
    let feedback: Vec<serde_json::Value> = items
        .iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id,
                "text": s.text,
                "channel": Channel::parse(&s.channel).map(channel_name).unwrap_or("其他"),
                "when": s.occurred_at.with_timezone(&page.tz).format("%Y-%m-%d %H:%M").to_string(),
                "sentiment": s.analysis.as_ref().and_then(|a| a.get("sentiment")).and_then(|v| v.get("label").or(Some(v))).and_then(|v| v.as_str()),
            })
        })
        .collect();
    let names = source_names(&page).await?;
    Ok(page.render(
        "pain_point.html",
        line.name.clone(),
        "pain",
        serde_json::json!({
            "scope": scope_view(&scope, &names),
            "p": row,
            "aspects": line.aspects,
            "all_keywords": line.keywords,
            "channels": line.channels.iter().map(|(c, n)| serde_json::json!({
                "name": Channel::parse(c).map(channel_name).unwrap_or(c.as_str()),
                "count": n,
                "width": n * 100 / line.count.max(1),
            })).collect::<Vec<_>>(),
            "trend": bars,
            "granularity": scope.granularity(),
            "segments": segments,
            "feedback": feedback,
        }),
    ))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/pain-points").route(web::get().to(list)))
        .service(web::resource("/pain-points/{id}").route(web::get().to(detail)));
}
