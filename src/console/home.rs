//! The home page (`/console/w/{ws}`): the period's NPS, CSAT, CES, sentiment index and volume
//! against the period before, with sample sizes and whether each change is more than noise;
//! their trend charts (the digest's chart code, as PNG, with 95 % intervals); the ranked pain
//! points with quotes and emerging complaints. A period picker and a segment filter narrow all
//! of it at once.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::error::ConsoleError;
use super::frame::Page;
use super::scope::{segment_param, Scope, Span};
use crate::domain::names::channel_name;
use crate::domain::Channel;
use crate::insight::ranking::{self, PainPointLine, RankInput};
use crate::insight::summary::{headline, Headline};
use crate::insight::tally::{Metric, Tally};
use crate::insight::trends;
use crate::insight::{GroupBy, Segment};
use crate::tell::chart::{trend_png_width, SMALL_SAMPLE};
use crate::tell::digest::TrendChart;

/// Below this many items in both periods a pain point's change is not given as a percentage.
const SMALL_COUNT: u64 = 10;

/// Pain points the home page lists; the pain-point page lists them all.
const HOME_PAIN_POINTS: usize = 8;

pub const METRICS: [Metric; 5] = [
    Metric::Nps,
    Metric::Csat,
    Metric::Ces,
    Metric::Sentiment,
    Metric::Volume,
];

fn metric_help(m: Metric) -> &'static str {
    match m {
        Metric::Nps => "净推荐值：推荐者占比减贬损者占比（−100 到 100）",
        Metric::Csat => "满意度：打 4 分或 5 分的回答占比",
        Metric::Ces => "费力度：平均分（1 到 7，越低越省力）",
        Metric::Sentiment => "情感指数：正面占比减负面占比（−100 到 100）",
        Metric::Volume => "收到的反馈条数",
    }
}

/// One headline as the page shows it.
#[derive(Serialize)]
pub struct MetricCard {
    pub key: &'static str,
    pub name: &'static str,
    pub help: &'static str,
    pub value: Option<String>,
    pub previous: Option<String>,
    pub change: Option<String>,
    /// up, down or flat, only when the change is significant.
    pub direction: &'static str,
    /// Whether up is good (NPS, CSAT, sentiment), bad (CES) or neither (volume).
    pub tone: &'static str,
    pub significant: bool,
    pub n: u64,
    pub few: bool,
    pub chart: String,
}

fn show(m: Metric, v: f64) -> String {
    match m {
        Metric::Nps | Metric::Sentiment => format!("{v:+.1}").trim_end_matches(".0").to_owned(),
        Metric::Csat => format!("{v:.1}%"),
        Metric::Ces => format!("{v:.2}"),
        Metric::Volume => format!("{}", v as u64),
    }
}

fn show_change(m: Metric, c: f64) -> String {
    match m {
        Metric::Nps | Metric::Sentiment => format!("{:+.1} 分", c),
        Metric::Csat => format!("{:+.1} 个百分点", c),
        Metric::Ces => format!("{:+.2}", c),
        Metric::Volume => format!("{:+.0}%", c * 100.0),
    }
}

pub fn card(h: &Headline, chart: String) -> MetricCard {
    let m = h.metric;
    // A rate from a handful of answers is shown with its count, never compared.
    let few = m != Metric::Volume && h.n < SMALL_SAMPLE;
    let change = if few {
        None
    } else {
        h.change.map(|c| show_change(m, c))
    };
    let direction = match h.change {
        Some(c) if h.significant && !few && c > 0.0 => "up",
        Some(c) if h.significant && !few && c < 0.0 => "down",
        _ => "flat",
    };
    MetricCard {
        key: m.as_str(),
        name: m.display(),
        help: metric_help(m),
        value: h.value.map(|v| show(m, v)),
        previous: h.previous.map(|v| show(m, v)),
        change,
        direction,
        tone: match m {
            Metric::Nps | Metric::Csat | Metric::Sentiment => "higher-better",
            Metric::Ces => "lower-better",
            Metric::Volume => "neutral",
        },
        significant: h.significant && !few,
        n: h.n,
        few,
        chart,
    }
}

/// A choice in the segment filter.
#[derive(Serialize)]
pub struct Choice {
    pub value: String,
    pub name: String,
    pub selected: bool,
}

/// Names of the workspace's sources and surveys by id.
pub async fn source_names(page: &Page) -> Result<HashMap<String, String>, ConsoleError> {
    let ws = &page.workspace.id;
    let mut names: HashMap<String, String> = HashMap::new();
    for s in page.state.store.list_sources(ws).await? {
        names.insert(s.id, s.name);
    }
    for s in page.state.store.list_surveys(ws, None).await? {
        names.insert(s.id, format!("问卷：{}", s.title));
    }
    Ok(names)
}

/// The segment filter's options: channels, then sources and surveys.
pub fn segment_choices(scope: &Scope, names: &HashMap<String, String>) -> Vec<Choice> {
    let current = scope.segment.as_ref().map(segment_param);
    let mut out: Vec<Choice> = Channel::ALL
        .iter()
        .map(|c| {
            let value = segment_param(&Segment::Channel(c.as_str().to_owned()));
            Choice {
                selected: current.as_deref() == Some(value.as_str()),
                name: format!("渠道：{}", channel_name(*c)),
                value,
            }
        })
        .collect();
    let mut sources: Vec<(&String, &String)> = names.iter().collect();
    sources.sort_by(|a, b| a.1.cmp(b.1));
    for (id, name) in sources {
        let value = segment_param(&Segment::Source(id.clone()));
        out.push(Choice {
            selected: current.as_deref() == Some(value.as_str()),
            name: if name.starts_with("问卷：") {
                name.clone()
            } else {
                format!("来源：{name}")
            },
            value,
        });
    }
    out
}

/// The scope's fields a template needs.
#[derive(Serialize)]
pub struct ScopeView {
    pub span: Span,
    pub label: String,
    pub query: String,
    pub from_date: String,
    pub to_date: String,
    pub segment: Option<String>,
    pub segment_label: Option<String>,
    pub attr_key: String,
    pub attr_value: String,
    pub problem: Option<String>,
    pub choices: Vec<Choice>,
    pub inbox_query: String,
}

pub fn scope_view(scope: &Scope, names: &HashMap<String, String>) -> ScopeView {
    let (attr_key, attr_value) = match &scope.segment {
        Some(Segment::Attr(k, v)) => (k.clone(), v.clone()),
        _ => (String::new(), String::new()),
    };
    ScopeView {
        span: scope.span,
        label: scope.label(),
        query: scope.query(),
        from_date: scope.from_date.to_string(),
        to_date: scope.to_date.to_string(),
        segment: scope.segment.as_ref().map(segment_param),
        segment_label: scope.segment_label(|id| names.get(id).cloned()),
        attr_key,
        attr_value,
        problem: scope.problem.clone(),
        choices: segment_choices(scope, names),
        inbox_query: serde_urlencoded::to_string(scope.inbox_pairs()).unwrap_or_default(),
    }
}

/// Reads the scope of a page from its query string.
pub fn scope_of(page: &Page, req: &HttpRequest) -> Scope {
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    // The picker's attribute fields become one segment.
    let key = pairs
        .iter()
        .find(|(k, _)| k == "attr_key")
        .map(|(_, v)| v.trim().to_owned());
    let value = pairs
        .iter()
        .find(|(k, _)| k == "attr_value")
        .map(|(_, v)| v.trim().to_owned());
    if let (Some(k), Some(v)) = (key, value) {
        if !k.is_empty() && !v.is_empty() {
            pairs.retain(|(k, _)| k != "seg");
            pairs.push(("seg".into(), format!("attr:{k}={v}")));
        }
    }
    Scope::parse(&pairs, page.state.clock.now(), page.tz)
}

/// One pain point as a list shows it.
#[derive(Serialize)]
pub struct PainRow {
    pub id: String,
    pub name: String,
    pub count: u64,
    pub share: String,
    pub previous_count: u64,
    pub change: Option<String>,
    pub significant: bool,
    pub rising: bool,
    pub is_new: bool,
    pub emerging: bool,
    pub keywords: Vec<String>,
    pub quotes: Vec<QuoteRow>,
    pub channels: Vec<String>,
    pub url: String,
    pub inbox_url: String,
}

#[derive(Serialize)]
pub struct QuoteRow {
    pub id: String,
    pub text: String,
    pub channel: String,
}

pub fn pain_row(p: &PainPointLine, base: &str, scope: &Scope) -> PainRow {
    let inbox = {
        let mut pairs = scope.inbox_pairs();
        if p.emerging {
            if let Some(k) = p.keywords.first() {
                pairs.push(("keyword".into(), k.clone()));
            }
        } else {
            pairs.push(("pain_point".into(), p.id.clone()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    };
    PainRow {
        id: p.id.clone(),
        name: p.name.clone(),
        count: p.count,
        share: format!("{:.0}%", p.share * 100.0),
        previous_count: p.previous_count,
        // A percentage of a handful reads as an alarm: below ten on both sides only the
        // counts are shown.
        change: p
            .change
            .filter(|_| p.count.max(p.previous_count) >= SMALL_COUNT)
            .map(|c| format!("{:+.0}%", c * 100.0)),
        significant: p.significant,
        rising: p.significant && p.change.is_some_and(|c| c > 0.0),
        is_new: p.is_new,
        emerging: p.emerging,
        keywords: p.keywords.iter().take(6).cloned().collect(),
        quotes: p
            .quotes
            .iter()
            .map(|q| QuoteRow {
                id: q.feedback_id.clone(),
                text: q.text.clone(),
                channel: Channel::parse(&q.channel)
                    .map(channel_name)
                    .unwrap_or("其他")
                    .to_owned(),
            })
            .collect(),
        channels: p
            .channels
            .iter()
            .take(4)
            .map(|(c, n)| {
                format!(
                    "{} {n}",
                    Channel::parse(c).map(channel_name).unwrap_or(c.as_str())
                )
            })
            .collect(),
        url: format!(
            "{base}/pain-points/{}?{}",
            urlencoding(&p.id),
            scope.query()
        ),
        inbox_url: format!("{base}/inbox?{inbox}"),
    }
}

fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .unwrap_or_default()
        .trim_start_matches("x=")
        .to_owned()
}

/// The ranked pain points of the scope.
/// `totals`: the two periods' tallies when the caller has them already.
pub async fn ranked(
    page: &Page,
    scope: &Scope,
    totals: Option<(Tally, Tally)>,
) -> Result<Vec<PainPointLine>, ConsoleError> {
    ranking_of(page, scope, totals, None).await
}

/// One pain point's line of the scope's ranking (`None`: no items in the period), without
/// ranking the others.
pub async fn ranked_line(
    page: &Page,
    scope: &Scope,
    id: &str,
) -> Result<Option<PainPointLine>, ConsoleError> {
    Ok(ranking_of(page, scope, None, Some(id)).await?.pop())
}

async fn ranking_of(
    page: &Page,
    scope: &Scope,
    totals: Option<(Tally, Tally)>,
    only: Option<&str>,
) -> Result<Vec<PainPointLine>, ConsoleError> {
    let store = page.state.store.narrowed(scope.segment.clone());
    let ws = &page.workspace.id;
    let (previous, current) = match totals {
        Some(t) => t,
        None => {
            trends::totals_around(
                &store,
                ws,
                page.tz,
                scope.previous_from,
                scope.from,
                scope.to,
            )
            .await?
        }
    };
    let names = ranking::category_names(&store, page.state.pipeline.analyzer(), ws).await?;
    let link = |_: &str| String::new();
    let input = RankInput {
        workspace_id: ws,
        from: scope.from,
        to: scope.to,
        previous_from: scope.previous_from,
        current,
        previous,
        link: &link,
    };
    Ok(match only {
        None => ranking::rank_pain_points(&store, &names, &input).await?,
        Some(id) => ranking::pain_point_line(&store, &names, &input, id)
            .await?
            .into_iter()
            .collect(),
    })
}

async fn home(page: Page, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    let scope = scope_of(&page, &req);
    let ws = &page.workspace.id;
    let store = page.state.store.narrowed(scope.segment.clone());
    let (previous, current) = trends::totals_around(
        &store,
        ws,
        page.tz,
        scope.previous_from,
        scope.from,
        scope.to,
    )
    .await?;
    let base = page.base();
    let query = scope.query();
    // NPS and sentiment changes are tested by a bootstrap of up to 2,000 rounds: CPU work,
    // kept off the async workers.
    let headlines = web::block(move || {
        METRICS
            .iter()
            .map(|m| headline(*m, &previous, &current))
            .collect::<Vec<Headline>>()
    })
    .await
    .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let cards: Vec<MetricCard> = headlines
        .iter()
        .map(|h| {
            card(
                h,
                format!("{base}/charts/{}.png?{query}", h.metric.as_str()),
            )
        })
        .collect();
    let lines = ranked(&page, &scope, Some((previous, current))).await?;
    let total_pain = lines.len();
    let rows: Vec<PainRow> = lines
        .iter()
        .filter(|l| !l.emerging)
        .take(HOME_PAIN_POINTS)
        .map(|l| pain_row(l, &base, &scope))
        .collect();
    let emerging: Vec<PainRow> = lines
        .iter()
        .filter(|l| l.emerging)
        .take(4)
        .map(|l| pain_row(l, &base, &scope))
        .collect();
    let names = source_names(&page).await?;
    let view = scope_view(&scope, &names);
    Ok(page.render(
        "home.html",
        "概览",
        "home",
        serde_json::json!({
            "scope": view,
            "metrics": cards,
            "pain_points": rows,
            "emerging": emerging,
            "more_pain_points": total_pain > rows.len() + emerging.len(),
            "items": current.items,
            "granularity": scope.granularity(),
            "previous_items": previous.items,
        }),
    ))
}

/// `/charts/{metric}.png?period…&seg…&w=CSS_WIDTH`: a trend chart of the scope, drawn by the
/// digest's chart code.
async fn chart(
    page: Page,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let name = path.1.trim_end_matches(".png");
    let metric = Metric::parse(name).ok_or(ConsoleError::NotFound)?;
    let scope = scope_of(&page, &req);
    let width: u32 = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "w")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(crate::tell::chart::CSS_WIDTH);
    let store = page.state.store.narrowed(scope.segment.clone());
    let series = trends::trends(
        &store,
        &page.workspace.id,
        page.tz,
        metric,
        scope.granularity(),
        scope.chart_from(),
        scope.to,
        &GroupBy::Nothing,
    )
    .await?;
    let points = series
        .into_iter()
        .next()
        .map(|s| s.points)
        .unwrap_or_default();
    let chart = TrendChart::from_trend(metric.as_str(), metric.display(), metric, &points);
    let png = web::block(move || trend_png_width(&chart, width))
        .await
        .map_err(|e| ConsoleError::Internal(e.to_string()))?
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header(("Cache-Control", "private, max-age=300"))
        .body(png))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("").route(web::get().to(home)))
        .service(web::resource("/").route(web::get().to(home)))
        .service(web::resource("/charts/{metric}").route(web::get().to(chart)));
}
