//! The survey pages: the list, the builder (editors), sharing (link, embed snippets, a QR code
//! for WeChat), results per question, the responses table and its CSV export, and a preview of
//! the form as respondents see it that stores nothing. Changes go through `/api/v1/surveys`;
//! counts come from the database grouped (`store::survey_results`), never from rows in memory.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use super::error::ConsoleError;
use super::frame::Page;
use crate::collect::survey::{
    iframe_snippet, parse_submission_form, preview_csp, render_preview, render_preview_thanks,
    script_snippet, Advance, Question, QuestionKind, SurveyDefinition,
};
use crate::domain::{Role, SurveyStatus};
use crate::insight::period::{period_bounds, period_key, periods_between, Granularity};
use crate::insight::stats::nps_interval;
use crate::insight::trends::{round1, TrendPoint};
use crate::store::{Survey, SurveyResponse};
use crate::tell::chart::trend_png_width;
use crate::tell::digest::{Metric, TrendChart};

/// Text answers and responses shown per page.
const TEXTS_ON_RESULTS: u64 = 5;
const TEXTS_PER_PAGE: u64 = 20;
const RESPONSES_PER_PAGE: u64 = 50;
/// Weeks of the NPS trend.
const TREND_WEEKS: i64 = 12;
/// Width of the trend chart (CSS px).
const CHART_WIDTH: u32 = 640;
/// Responses read per batch when exporting.
const EXPORT_BATCH: u64 = 1000;

fn kind_name(k: QuestionKind) -> &'static str {
    match k {
        QuestionKind::Nps => "NPS 推荐度（0–10）",
        QuestionKind::Csat => "CSAT 满意度（1–5）",
        QuestionKind::Ces => "CES 费力度（1–7）",
        QuestionKind::Rating => "评分（1–5）",
        QuestionKind::SingleChoice => "单选",
        QuestionKind::MultiChoice => "多选",
        QuestionKind::Text => "文本",
    }
}

fn status_name(s: &str) -> &'static str {
    match SurveyStatus::parse(s) {
        Some(SurveyStatus::Active) => "收集中",
        Some(SurveyStatus::Closed) => "已关闭",
        Some(SurveyStatus::Archived) => "已归档",
        None => "未知",
    }
}

fn definition(s: &Survey) -> Result<SurveyDefinition, ConsoleError> {
    Ok(crate::http::survey_definition(s)?)
}

async fn find(page: &Page, id: &str) -> Result<(Survey, SurveyDefinition), ConsoleError> {
    let s = page
        .state
        .store
        .survey(&page.workspace.id, id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let def = definition(&s)?;
    Ok((s, def))
}

fn local(page: &Page, t: DateTime<Utc>) -> String {
    t.with_timezone(&page.tz)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// What every page of one survey shows at its top.
fn head(page: &Page, s: &Survey, def: &SurveyDefinition, tab: &str) -> Value {
    json!({
        "id": s.id,
        "title": def.title,
        "status": s.status,
        "status_name": status_name(&s.status),
        "tab": tab,
        "url": format!("{}/surveys/{}", page.base(), s.id),
    })
}

/// `?page=N` (1-based).
fn page_number(req: &HttpRequest) -> u64 {
    web::Query::<BTreeMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("page").and_then(|p| p.parse::<u64>().ok()))
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

fn pager(page: u64, per_page: u64, total: u64) -> Value {
    let pages = total.div_ceil(per_page).max(1);
    json!({
        "page": page,
        "pages": pages,
        "prev": (page > 1).then(|| page - 1),
        "next": (page < pages).then(|| page + 1),
        "total": total,
    })
}

// ---- list ---------------------------------------------------------------------------------

async fn list(page: Page, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    let archived = req.query_string().contains("status=archived");
    let ws = &page.workspace.id;
    let store = &page.state.store;
    let surveys = store
        .list_surveys(ws, archived.then_some(SurveyStatus::Archived.as_str()))
        .await?;
    let totals = store.survey_totals(ws).await?;
    let ids: Vec<String> = surveys.iter().map(|s| s.id.clone()).collect();
    let refused = store.refused_totals(&ids).await?;
    let rows: Vec<Value> = surveys
        .iter()
        .map(|s| {
            let t = totals.get(&s.id);
            let questions = s
                .questions
                .get("questions")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            json!({
                "id": s.id,
                "title": s.title,
                "status": s.status,
                "status_name": status_name(&s.status),
                "questions": questions,
                "responses": t.map_or(0, |t| t.responses),
                "refused": refused.get(&s.id).copied().unwrap_or(0),
                "last_at": t.and_then(|t| t.last_at).map(|at| local(&page, at)),
                "created": s.created_at.with_timezone(&page.tz).format("%Y-%m-%d").to_string(),
            })
        })
        .collect();
    Ok(page.render(
        "survey_list.html",
        if archived {
            "已归档的问卷"
        } else {
            "问卷"
        },
        "surveys",
        json!({"surveys": rows, "archived": archived}),
    ))
}

/// The sites refused as embedders of the survey, for the warning on its share and edit pages.
async fn refused(page: &Page, s: &Survey) -> Result<Value, ConsoleError> {
    let r = page.state.store.refused_embeds(&s.id).await?;
    let origins: Vec<Value> = r
        .origins
        .iter()
        .map(
            |o| json!({"origin": o.origin, "refusals": o.refusals, "last": local(page, o.last_at)}),
        )
        .collect();
    Ok(json!({"total": r.total, "others": r.others, "origins": origins}))
}

// ---- builder ------------------------------------------------------------------------------

/// A question as the builder's form shows it.
fn builder_question(q: &Question) -> Value {
    let cond = q.show_if.as_ref().map(|c| {
        let mut values: Vec<String> = c
            .any_of
            .iter()
            .chain(c.equals.iter())
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        values.dedup();
        // 6, not 6.0: scores are whole numbers.
        let whole = |x: Option<f64>| {
            x.map(|v| {
                if v.fract() == 0.0 {
                    json!(v as i64)
                } else {
                    json!(v)
                }
            })
        };
        json!({
            "question": c.question,
            "values": values.join("\n"),
            "min": whole(c.min),
            "max": whole(c.max),
        })
    });
    json!({
        "id": q.id,
        "type": q.kind.as_str(),
        "title": q.title,
        "description": q.description,
        "required": q.required,
        "options": q.options.join("\n"),
        "placeholder": q.placeholder,
        "max_length": q.max_length,
        "show_if": cond,
    })
}

fn builder(
    page: &Page,
    survey: Option<(&Survey, &SurveyDefinition)>,
    saved: bool,
    refused: Value,
) -> HttpResponse {
    let kinds: Vec<Value> = QuestionKind::ALL
        .iter()
        .map(|k| json!({"value": k.as_str(), "name": kind_name(*k), "score": k.score_range().is_some(), "choice": k.is_choice()}))
        .collect();
    let (title, values) = match survey {
        Some((s, def)) => (
            format!("编辑：{}", def.title),
            json!({
                "kinds": kinds,
                "saved": saved,
                "refused": refused,
                "head": head(page, s, def, "edit"),
                "survey": {
                    "id": s.id,
                    "status": s.status,
                    "title": def.title,
                    "description": def.description,
                    "thank_you": def.thank_you,
                    "language": def.language.as_str(),
                    "allowed_origins": def.allowed_origins.join("\n"),
                    "product_name": def.product_name,
                    "logo_url": def.logo_url,
                    "accent_color": def.accent_color,
                    "privacy_url": def.privacy_url,
                    "questions": def.questions.iter().map(builder_question).collect::<Vec<_>>(),
                },
            }),
        ),
        None => (
            "新建问卷".to_owned(),
            json!({
                "kinds": kinds,
                "survey": {
                    "title": "",
                    "language": "zh-CN",
                    "allowed_origins": "",
                    "questions": [
                        {"id": "q1", "type": "nps", "title": "您有多大可能把我们推荐给朋友或同事？", "required": true, "options": ""},
                        {"id": "q2", "type": "text", "title": "主要是什么原因让您给出这个分数？", "required": false, "options": ""},
                    ],
                },
            }),
        ),
    };
    page.render("survey_builder.html", title, "surveys", values)
}

async fn new_survey(page: Page) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Editor)?;
    Ok(builder(&page, None, false, Value::Null))
}

async fn edit(
    page: Page,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Editor)?;
    let (s, def) = find(&page, &path.1).await?;
    let saved = req.query_string().contains("saved=1");
    let refused = refused(&page, &s).await?;
    Ok(builder(&page, Some((&s, &def)), saved, refused))
}

// ---- preview ------------------------------------------------------------------------------

/// The preview is the hosted form with another action: framed by the console (same origin)
/// only, and its posts are checked like real ones but stored nowhere.
fn preview_html(
    status: actix_web::http::StatusCode,
    def: &SurveyDefinition,
    body: String,
) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, preview_csp(def)))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

fn preview_action(page: &Page, id: &str) -> String {
    format!("{}/surveys/{}/preview", page.base(), id)
}

async fn preview(
    page: Page,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (s, def) = find(&page, &path.1).await?;
    let action = preview_action(&page, &s.id);
    Ok(preview_html(
        actix_web::http::StatusCode::OK,
        &def,
        render_preview(&action, &def, &[], None),
    ))
}

async fn preview_post(
    page: Page,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let (s, def) = find(&page, &path.1).await?;
    let action = preview_action(&page, &s.id);
    let again = |errors: &[crate::domain::FieldError], sub| {
        preview_html(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            &def,
            render_preview(&action, &def, errors, sub),
        )
    };
    let mut sub = match parse_submission_form(&def, &body) {
        Ok(sub) => sub,
        Err(errors) => return Ok(again(&errors, None)),
    };
    // In steps, as on the hosted page.
    match def.advance(&mut sub) {
        Advance::Complete(_) => Ok(preview_html(
            actix_web::http::StatusCode::OK,
            &def,
            render_preview_thanks(&def),
        )),
        Advance::Next(next) => Ok(preview_html(
            actix_web::http::StatusCode::OK,
            &def,
            render_preview(&action, &def, &[], Some(&next)),
        )),
        Advance::Invalid(errors) => Ok(again(&errors, Some(&sub))),
    }
}

// ---- share --------------------------------------------------------------------------------

fn hosted_url(page: &Page, req: &HttpRequest, id: &str) -> String {
    format!("{}/s/{}", page.state.public_url(req), id)
}

async fn share(
    page: Page,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (s, def) = find(&page, &path.1).await?;
    let base = page.state.public_url(&req);
    Ok(page.render(
        "survey_share.html",
        format!("分享：{}", def.title),
        "surveys",
        json!({
            "head": head(&page, &s, &def, "share"),
            "link": hosted_url(&page, &req, &s.id),
            "script": script_snippet(&base, &s.id),
            "iframe": iframe_snippet(&base, &s.id),
            "origins": def.allowed_origins,
            "any_origin": def.allowed_origins.iter().any(|o| o == "*"),
            "refused": refused(&page, &s).await?,
            "active": s.status == SurveyStatus::Active.as_str(),
        }),
    ))
}

/// The share link as a QR code (SVG), for WeChat and print.
async fn qr(
    page: Page,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (s, _) = find(&page, &path.1).await?;
    let svg = qr_svg(&hosted_url(&page, &req, &s.id))?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .body(svg))
}

fn qr_svg(text: &str) -> Result<String, ConsoleError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ConsoleError::Internal(format!("qr: {e}")))?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

// ---- results ------------------------------------------------------------------------------

#[derive(Serialize)]
struct Bar {
    label: String,
    count: u64,
    share: f64,
    /// `pro`, `pas`, `det` for NPS answers.
    group: &'static str,
}

fn bars(labels: impl IntoIterator<Item = (String, u64, &'static str)>, of: u64) -> Vec<Bar> {
    labels
        .into_iter()
        .map(|(label, count, group)| Bar {
            label,
            count,
            share: if of == 0 {
                0.0
            } else {
                count as f64 / of as f64
            },
            group,
        })
        .collect()
}

/// Score answers 0..=10 (or 1..=5 …) as counts per value.
fn score_counts(rows: &[(String, u64)], lo: i16, hi: i16) -> BTreeMap<i16, u64> {
    let mut counts: BTreeMap<i16, u64> = (lo..=hi).map(|v| (v, 0)).collect();
    for (v, n) in rows {
        if let Ok(x) = v.trim().parse::<f64>() {
            let x = x as i16;
            if let Some(c) = counts.get_mut(&x) {
                *c += n;
            }
        }
    }
    counts
}

fn nps_group(v: i16) -> &'static str {
    match v {
        9..=10 => "pro",
        7..=8 => "pas",
        _ => "det",
    }
}

async fn question_result(
    page: &Page,
    s: &Survey,
    q: &Question,
    index: usize,
) -> Result<Value, ConsoleError> {
    let store = &page.state.store;
    let ws = &page.workspace.id;
    let mut out = json!({
        "id": q.id,
        "number": index + 1,
        "title": q.title,
        "type": q.kind.as_str(),
        "kind_name": kind_name(q.kind),
    });
    match q.kind {
        QuestionKind::Nps | QuestionKind::Csat | QuestionKind::Ces | QuestionKind::Rating => {
            let (lo, hi) = q.kind.score_range().unwrap_or((0, 10));
            let counts = score_counts(&store.answer_counts(ws, &s.id, &q.id).await?, lo, hi);
            let n: u64 = counts.values().sum();
            let sum: f64 = counts.iter().map(|(v, c)| *v as f64 * *c as f64).sum();
            out["n"] = json!(n);
            out["mean"] = json!((n > 0).then(|| round1(sum / n as f64)));
            let nps = q.kind == QuestionKind::Nps;
            out["bars"] = json!(bars(
                counts.iter().map(|(v, c)| (
                    v.to_string(),
                    *c,
                    if nps { nps_group(*v) } else { "" }
                )),
                n
            ));
            if nps {
                let group = |g: &str| -> u64 {
                    counts
                        .iter()
                        .filter(|(v, _)| nps_group(**v) == g)
                        .map(|(_, c)| c)
                        .sum()
                };
                let (p, pa, d) = (group("pro"), group("pas"), group("det"));
                out["groups"] = json!(bars(
                    [
                        ("推荐者（9–10）".to_owned(), p, "pro"),
                        ("被动者（7–8）".to_owned(), pa, "pas"),
                        ("贬损者（0–6）".to_owned(), d, "det"),
                    ],
                    n
                ));
                if n > 0 {
                    let score = 100.0 * (p as f64 - d as f64) / n as f64;
                    out["score"] = json!(round1(score));
                    if let Some(i) = nps_interval(p, pa, d, 1.96) {
                        out["low"] = json!(round1(i.low));
                        out["high"] = json!(round1(i.high));
                    }
                    out["chart"] =
                        json!(format!("{}/surveys/{}/nps/{}.png", page.base(), s.id, q.id));
                }
            } else if q.kind == QuestionKind::Csat && n > 0 {
                let satisfied: u64 = counts.range(4..).map(|(_, c)| c).sum();
                out["satisfied"] = json!(satisfied as f64 / n as f64);
            }
        }
        QuestionKind::SingleChoice => {
            let rows = store.answer_counts(ws, &s.id, &q.id).await?;
            let n: u64 = rows.iter().map(|(_, c)| c).sum();
            out["n"] = json!(n);
            out["bars"] = json!(choice_bars(q, &rows, n));
        }
        QuestionKind::MultiChoice => {
            let (rows, n) = store.multi_choice_counts(ws, &s.id, &q.id).await?;
            out["n"] = json!(n);
            out["bars"] = json!(choice_bars(q, &rows, n));
            out["multi"] = json!(true);
        }
        QuestionKind::Text => {
            let (total, answers) = store
                .text_answers(ws, &s.id, &q.id, 0, TEXTS_ON_RESULTS)
                .await?;
            out["n"] = json!(total);
            out["answers"] = json!(text_rows(page, answers).await?);
            out["more"] = json!(total > TEXTS_ON_RESULTS);
            out["answers_url"] =
                json!(format!("{}/surveys/{}/answers/{}", page.base(), s.id, q.id));
        }
    }
    Ok(out)
}

/// Options in the survey's order (an option removed later still shows, after them).
fn choice_bars(q: &Question, rows: &[(String, u64)], n: u64) -> Vec<Bar> {
    let mut counts: Vec<(String, u64, &'static str)> = q
        .options
        .iter()
        .map(|o| {
            let c = rows.iter().filter(|(v, _)| v == o).map(|(_, c)| *c).sum();
            (o.clone(), c, "")
        })
        .collect();
    for (v, c) in rows {
        if !q.options.contains(v) {
            counts.push((v.clone(), *c, ""));
        }
    }
    bars(counts, n)
}

async fn text_rows(
    page: &Page,
    answers: Vec<crate::store::TextAnswer>,
) -> Result<Vec<Value>, ConsoleError> {
    let names = crate::insight::ranking::category_names(
        &page.state.store,
        page.state.pipeline.analyzer(),
        &page.workspace.id,
    )
    .await?;
    Ok(answers
        .into_iter()
        .map(|a| {
            json!({
                "text": a.text,
                "at": local(page, a.occurred_at),
                "respondent": a.respondent_id,
                "sentiment": a.sentiment,
                "pain_points": a.pain_points.iter().map(|p| names.get(p).cloned().unwrap_or_else(|| p.clone())).collect::<Vec<_>>(),
                "keywords": a.keywords,
            })
        })
        .collect())
}

async fn results(
    page: Page,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (s, def) = find(&page, &path.1).await?;
    let t = page
        .state
        .store
        .survey_total(&page.workspace.id, &s.id)
        .await?;
    // Each question is its own grouped query; run side by side, the page takes as long as
    // the slowest one rather than their sum.
    let questions = futures_util::future::try_join_all(
        def.questions
            .iter()
            .enumerate()
            .map(|(i, q)| question_result(&page, &s, q, i)),
    )
    .await?;
    Ok(page.render(
        "survey_results.html",
        format!("结果：{}", def.title),
        "surveys",
        json!({
            "head": head(&page, &s, &def, "results"),
            "responses": t.responses,
            "last_at": t.last_at.map(|at| local(&page, at)),
            "questions": questions,
        }),
    ))
}

async fn answers(
    page: Page,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (s, def) = find(&page, &path.1).await?;
    let q = def
        .question(&path.2)
        .filter(|q| q.kind == QuestionKind::Text)
        .ok_or(ConsoleError::NotFound)?;
    let n = page_number(&req);
    let (total, rows) = page
        .state
        .store
        .text_answers(
            &page.workspace.id,
            &s.id,
            &q.id,
            (n - 1) * TEXTS_PER_PAGE,
            TEXTS_PER_PAGE,
        )
        .await?;
    Ok(page.render(
        "survey_answers.html",
        format!("文本回答：{}", q.title),
        "surveys",
        json!({
            "head": head(&page, &s, &def, "results"),
            "question": {"id": q.id, "title": q.title},
            "answers": text_rows(&page, rows).await?,
            "pager": pager(n, TEXTS_PER_PAGE, total),
        }),
    ))
}

/// NPS per ISO week over the last [`TREND_WEEKS`] weeks in the workspace's zone.
async fn nps_weeks(page: &Page, s: &Survey, q: &Question) -> Result<Vec<TrendPoint>, ConsoleError> {
    let now = page.state.clock.now();
    let this_week = period_key(now, page.tz, Granularity::Week);
    let start = period_bounds(&this_week, page.tz, Granularity::Week)
        .map(|(from, _)| from - Duration::weeks(TREND_WEEKS - 1))
        .unwrap_or(now - Duration::weeks(TREND_WEEKS));
    let rows = page
        .state
        .store
        .answer_buckets(&page.workspace.id, &s.id, &q.id, start, now)
        .await?;
    let mut weeks: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    for (bucket, v, n) in rows {
        let (Some(at), Ok(score)) = (
            DateTime::<Utc>::from_timestamp(bucket, 0),
            v.trim().parse::<f64>(),
        ) else {
            continue;
        };
        let g = match nps_group(score as i16) {
            "pro" => 0,
            "pas" => 1,
            _ => 2,
        };
        weeks
            .entry(period_key(at, page.tz, Granularity::Week))
            .or_default()[g] += n;
    }
    Ok(periods_between(
        start,
        now,
        page.tz,
        Granularity::Week,
        TREND_WEEKS as usize + 1,
    )
    .into_iter()
    .map(|key| {
        let [p, pa, d] = weeks.get(&key).copied().unwrap_or_default();
        let n = p + pa + d;
        let interval = nps_interval(p, pa, d, 1.96);
        TrendPoint {
            period: key,
            value: (n > 0).then(|| round1(100.0 * (p as f64 - d as f64) / n as f64)),
            n,
            low: interval.map(|i| round1(i.low)),
            high: interval.map(|i| round1(i.high)),
        }
    })
    .collect())
}

/// `…/nps/{question}.png[?w=CSS px]`: a phone asks for a narrower chart, so its text stays
/// legible.
async fn nps_chart(
    page: Page,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let width = web::Query::<BTreeMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("w").and_then(|w| w.parse::<u32>().ok()))
        .unwrap_or(CHART_WIDTH);
    let (s, def) = find(&page, &path.1).await?;
    let qid = path.2.strip_suffix(".png").unwrap_or(&path.2);
    let q = def
        .question(qid)
        .filter(|q| q.kind == QuestionKind::Nps)
        .ok_or(ConsoleError::NotFound)?;
    let points = nps_weeks(&page, &s, q).await?;
    let chart = TrendChart::from_trend("", "NPS 每周变化", Metric::Nps, &points);
    let png = web::block(move || trend_png_width(&chart, width))
        .await
        .map_err(|e| ConsoleError::Internal(format!("chart: {e}")))?
        .map_err(|e| ConsoleError::Internal(format!("chart: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "private, max-age=60"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(png))
}

// ---- responses ----------------------------------------------------------------------------

/// One answer as a cell: a score as its number, choices joined with 、, text as it is.
fn answer_cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("、"),
        Some(other) => other.to_string(),
    }
}

fn attributes_cell(v: &Value) -> String {
    match v.as_object() {
        Some(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| format!("{k}={}", answer_cell(Some(v))))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    }
}

async fn responses(
    page: Page,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (s, def) = find(&page, &path.1).await?;
    let n = page_number(&req);
    let (total, rows) = page
        .state
        .store
        .survey_responses(
            &page.workspace.id,
            &s.id,
            (n - 1) * RESPONSES_PER_PAGE,
            RESPONSES_PER_PAGE,
        )
        .await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "at": local(&page, r.received_at),
                "respondent": r.respondent_id,
                "answers": def.questions.iter().map(|q| answer_cell(r.answers.get(&q.id))).collect::<Vec<_>>(),
                "attributes": attributes_cell(&r.attributes),
            })
        })
        .collect();
    let questions: Vec<Value> = def
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| json!({"number": i + 1, "title": q.title}))
        .collect();
    Ok(page.render(
        "survey_responses.html",
        format!("回答：{}", def.title),
        "surveys",
        json!({
            "head": head(&page, &s, &def, "responses"),
            "questions": questions,
            "rows": rows,
            "pager": pager(n, RESPONSES_PER_PAGE, total),
            "export": format!("{}/surveys/{}/responses.csv", page.base(), s.id),
        }),
    ))
}

/// A cell a spreadsheet would run as a formula gets a leading `'`.
fn neutralise(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

fn csv_rows(rows: &[Vec<String>]) -> Result<Vec<u8>, ConsoleError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r.iter().cloned().map(neutralise))
            .map_err(|e| ConsoleError::Internal(format!("csv: {e}")))?;
    }
    w.into_inner()
        .map_err(|e| ConsoleError::Internal(format!("csv: {e}")))
}

fn response_record(
    page_tz: chrono_tz::Tz,
    def: &SurveyDefinition,
    r: &SurveyResponse,
) -> Vec<String> {
    let mut rec = vec![
        r.id.clone(),
        r.received_at
            .with_timezone(&page_tz)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        r.respondent_id.clone().unwrap_or_default(),
    ];
    rec.extend(
        def.questions
            .iter()
            .map(|q| answer_cell(r.answers.get(&q.id))),
    );
    rec.push(attributes_cell(&r.attributes));
    rec
}

/// `GET …/responses.csv`: every response, streamed a batch at a time (UTF-8 with a BOM so
/// Excel on Chinese Windows reads it; Chinese headers; one column per question).
async fn export(
    page: Page,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (s, def) = find(&page, &path.1).await?;
    let mut header_row = vec![
        "回答 ID".to_owned(),
        "提交时间".to_owned(),
        "答题者".to_owned(),
    ];
    header_row.extend(
        def.questions
            .iter()
            .enumerate()
            .map(|(i, q)| format!("{}. {}", i + 1, q.title)),
    );
    header_row.push("属性".to_owned());
    let mut first = b"\xEF\xBB\xBF".to_vec();
    first.extend(csv_rows(&[header_row])?);

    struct Cursor {
        state: crate::http::State,
        workspace: String,
        survey: String,
        tz: chrono_tz::Tz,
        def: SurveyDefinition,
        after: Option<(DateTime<Utc>, String)>,
        first: Option<Vec<u8>>,
        done: bool,
    }
    let cursor = Cursor {
        state: page.state.clone(),
        workspace: page.workspace.id.clone(),
        survey: s.id.clone(),
        tz: page.tz,
        def,
        after: None,
        first: Some(first),
        done: false,
    };
    let body = futures_util::stream::unfold(cursor, |mut c| async move {
        if let Some(first) = c.first.take() {
            return Some((Ok(web::Bytes::from(first)), c));
        }
        if c.done {
            return None;
        }
        let batch = match c
            .state
            .store
            .survey_responses_after(&c.workspace, &c.survey, c.after.take(), EXPORT_BATCH)
            .await
        {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, survey = %c.survey, "survey export failed");
                c.done = true;
                return Some((Err(actix_web::error::ErrorInternalServerError("export")), c));
            }
        };
        if (batch.len() as u64) < EXPORT_BATCH {
            c.done = true;
        }
        let last = batch.last().map(|r| (r.received_at, r.id.clone()));
        let records: Vec<Vec<String>> = batch
            .iter()
            .map(|r| response_record(c.tz, &c.def, r))
            .collect();
        c.after = last;
        match csv_rows(&records) {
            Ok(bytes) => Some((Ok(web::Bytes::from(bytes)), c)),
            Err(_) => {
                c.done = true;
                Some((Err(actix_web::error::ErrorInternalServerError("export")), c))
            }
        }
    });
    let filename = format!("survey-{}-responses.csv", s.id);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .streaming(body))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/surveys").route(web::get().to(list)))
        .service(web::resource("/surveys/new").route(web::get().to(new_survey)))
        .service(web::resource("/surveys/{id}").route(web::get().to(results)))
        .service(web::resource("/surveys/{id}/edit").route(web::get().to(edit)))
        .service(
            web::resource("/surveys/{id}/preview")
                .route(web::get().to(preview))
                .route(web::post().to(preview_post)),
        )
        .service(web::resource("/surveys/{id}/share").route(web::get().to(share)))
        .service(web::resource("/surveys/{id}/qr.svg").route(web::get().to(qr)))
        .service(web::resource("/surveys/{id}/responses").route(web::get().to(responses)))
        .service(web::resource("/surveys/{id}/responses.csv").route(web::get().to(export)))
        .service(web::resource("/surveys/{id}/answers/{question}").route(web::get().to(answers)))
        .service(web::resource("/surveys/{id}/nps/{question}").route(web::get().to(nps_chart)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralise(bad.to_owned()).starts_with('\''), "{bad:?}");
        }
        assert_eq!(neutralise("很好".to_owned()), "很好");
    }

    #[test]
    fn qr_code_is_svg() {
        let svg = qr_svg("https://fb.example/s/sv_1").unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn answers_become_cells() {
        assert_eq!(answer_cell(Some(&json!(9))), "9");
        assert_eq!(answer_cell(Some(&json!(["快", "便宜"]))), "快、便宜");
        assert_eq!(answer_cell(None), "");
    }
}
