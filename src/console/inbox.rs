//! The inbox (`/inbox`): the feedback list with the API's filters, where each item came from
//! in Chinese, its labels, corrections in place and in bulk (editors), and export; and one
//! item (`/inbox/{id}`) with its context and the respondent's other feedback.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::Value;

use super::error::ConsoleError;
use super::frame::Page;
use super::home::source_names;
use crate::domain::names::channel_name;
use crate::domain::{Channel, Role};
use crate::insight::ranking::category_names;
use crate::store::{Feedback, FeedbackFilter, OriginNames};

/// The inbox counts its matches exactly up to this many, and says "more than" beyond (the
/// API's `/feedback/count` counts them all).
const COUNT_CAP: u64 = 10_000;

/// Filters the page's form may send, besides `attr.KEY`.
const FILTER_KEYS: [&str; 11] = [
    "q",
    "sentiment",
    "pain_point",
    "keyword",
    "channel",
    "source",
    "from",
    "to",
    "respondent_id",
    "sort",
    "cursor",
];

/// The page's query as the API's filter query: empty fields dropped, the attribute pair of
/// the form (`attr_key`, `attr_value`) made `attr.KEY=VALUE`, unknown keys left out.
fn filter_pairs(query: &str) -> Vec<(String, String)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, v)| {
            !v.trim().is_empty() && (FILTER_KEYS.contains(&k.as_str()) || k.starts_with("attr."))
        })
        .map(|(k, v)| (k.clone(), v.trim().to_owned()))
        .collect();
    let (k, v) = (get("attr_key"), get("attr_value"));
    if !k.is_empty() && !v.is_empty() {
        out.push((format!("attr.{k}"), v));
    }
    out
}

/// What was wrong with a filter, field by field.
fn said(e: &crate::http::ApiError) -> String {
    match e {
        crate::http::ApiError::Validation(errors) => errors
            .iter()
            .map(|x| format!("{}: {}", x.field, x.message))
            .collect::<Vec<_>>()
            .join("；"),
        other => other.to_string(),
    }
}

/// The last day a `to` filter includes, for the date field.
fn to_shown(to: &str, tz: chrono_tz::Tz) -> String {
    if chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").is_ok() {
        return to.to_owned();
    }
    chrono::DateTime::parse_from_rfc3339(to)
        .map(|t| {
            (t.with_timezone(&tz) - chrono::Duration::seconds(1))
                .date_naive()
                .to_string()
        })
        .unwrap_or_default()
}

/// The API's query for the form's pairs: a date picked as "to" is the last day shown, and the
/// API's `to` is exclusive.
pub fn api_query(pairs: &[(String, String)]) -> String {
    let shifted: Vec<(String, String)> = pairs
        .iter()
        .map(
            |(k, v)| match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) if k == "to" => (k.clone(), (d + chrono::Duration::days(1)).to_string()),
                _ => (k.clone(), v.clone()),
            },
        )
        .collect();
    encode(&shifted)
}

fn encode(pairs: &[(String, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[derive(Serialize)]
struct Tag {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct Item {
    id: String,
    text: String,
    when: String,
    received: String,
    channel: String,
    origin: String,
    respondent: Option<String>,
    author: Option<String>,
    scores: Vec<String>,
    sentiment: Option<String>,
    corrected: bool,
    pain_points: Vec<Tag>,
    keywords: Vec<String>,
    url: Option<String>,
}

fn analysis_list(f: &Feedback, key: &str) -> Vec<String> {
    f.analysis
        .as_ref()
        .and_then(|a| a.get(key))
        .and_then(Value::as_array)
        .map(|xs| {
            xs.iter()
                .filter_map(|x| {
                    x.as_str()
                        .or_else(|| x.get("word").and_then(Value::as_str))
                        .or_else(|| x.get("category").and_then(Value::as_str))
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn item(
    f: &Feedback,
    tz: chrono_tz::Tz,
    origins: &OriginNames,
    categories: &HashMap<String, String>,
) -> Item {
    let time = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let mut scores = Vec::new();
    for (name, v) in [
        ("NPS", f.nps),
        ("CSAT", f.csat),
        ("CES", f.ces),
        ("评分", f.rating),
    ] {
        if let Some(v) = v {
            scores.push(format!("{name} {v}"));
        }
    }
    Item {
        id: f.id.clone(),
        text: f.text.clone(),
        when: time(f.occurred_at),
        received: time(f.received_at),
        channel: Channel::parse(&f.channel)
            .map(channel_name)
            .unwrap_or(f.channel.as_str())
            .to_owned(),
        origin: origins.name(f),
        respondent: f.respondent_id.clone(),
        author: f.author.clone(),
        scores,
        sentiment: f.sentiment.clone(),
        corrected: f.corrected,
        pain_points: analysis_list(f, "pain_points")
            .into_iter()
            .map(|id| Tag {
                name: categories.get(&id).cloned().unwrap_or_else(|| id.clone()),
                id,
            })
            .collect(),
        keywords: analysis_list(f, "keywords").into_iter().take(6).collect(),
        url: f
            .context
            .get("url")
            .and_then(Value::as_str)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_owned),
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    name: String,
}

async fn categories(page: &Page) -> Result<HashMap<String, String>, ConsoleError> {
    Ok(category_names(
        &page.state.store,
        page.state.pipeline.analyzer(),
        &page.workspace.id,
    )
    .await?)
}

fn category_choices(names: &HashMap<String, String>) -> Vec<Choice> {
    let mut out: Vec<Choice> = names
        .iter()
        .map(|(id, name)| Choice {
            value: id.clone(),
            name: name.clone(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

async fn inbox(page: Page, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    let ws = &page.workspace.id;
    let pairs = filter_pairs(req.query_string());
    let without_cursor: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "cursor")
        .cloned()
        .collect();
    let (filter, problem): (FeedbackFilter, Option<String>) =
        match crate::http::parse_filter(&api_query(&pairs), page.tz) {
            Ok(f) => (f, None),
            Err(e) => (
                FeedbackFilter {
                    limit: 50,
                    ..Default::default()
                },
                Some(format!("筛选条件有误，已显示全部反馈（{}）。", said(&e))),
            ),
        };
    let (rows, next) = page.state.store.list_feedback(ws, &filter).await?;
    let (counts, capped) = page
        .state
        .store
        .count_feedback_up_to(ws, &filter, COUNT_CAP)
        .await?;
    let origins = page.state.store.origin_names(ws, &rows).await?;
    let sources = source_names(&page).await?;
    let categories = categories(&page).await?;
    let items: Vec<Item> = rows
        .iter()
        .map(|f| item(f, page.tz, &origins, &categories))
        .collect();
    let value = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (attr_key, attr_value) = pairs
        .iter()
        .find(|(k, _)| k.starts_with("attr."))
        .map(|(k, v)| (k[5..].to_owned(), v.clone()))
        .unwrap_or_default();
    let mut source_choices: Vec<Choice> = sources
        .iter()
        .map(|(id, name)| Choice {
            value: id.clone(),
            name: name.clone(),
        })
        .collect();
    source_choices.sort_by(|a, b| a.name.cmp(&b.name));
    let next_url = next.map(|c| {
        let mut p = without_cursor.clone();
        p.push(("cursor".into(), c));
        format!("{}/inbox?{}", page.base(), encode(&p))
    });
    let export_query = encode(
        &without_cursor
            .iter()
            .filter(|(k, _)| k != "sort")
            .cloned()
            .collect::<Vec<_>>(),
    );
    let filtered = !without_cursor.is_empty();
    Ok(page.render(
        "inbox.html",
        "反馈",
        "inbox",
        serde_json::json!({
            "items": items,
            "total": counts.total,
            "capped": capped,
            "by_sentiment": if capped { None } else { Some(counts.by_sentiment) },
            "problem": problem,
            "filtered": filtered,
            "first_page": !pairs.iter().any(|(k, _)| k == "cursor"),
            "next_url": next_url,
            "export_query": export_query,
            "f": {
                "q": value("q"), "sentiment": value("sentiment"), "pain_point": value("pain_point"),
                "keyword": value("keyword"), "channel": value("channel"), "source": value("source"),
                "from": value("from"), "to": value("to"), "respondent_id": value("respondent_id"),
                "sort": value("sort"), "attr_key": attr_key, "attr_value": attr_value,
                "to_shown": to_shown(&value("to"), page.tz),
            },
            "channels": Channel::ALL.iter().map(|c| Choice { value: c.as_str().into(), name: channel_name(*c).into() }).collect::<Vec<_>>(),
            "sources": source_choices,
            "categories": category_choices(&categories),
            "can_edit": page.role >= Role::Editor,
        }),
    ))
}

async fn detail(
    page: Page,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let ws = &page.workspace.id;
    let f = page
        .state
        .store
        .feedback(ws, &path.1)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let categories = categories(&page).await?;
    let ctx = |k: &str| f.context.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut others = Vec::new();
    if let Some(r) = &f.respondent_id {
        let filter = FeedbackFilter {
            respondent_id: Some(r.clone()),
            limit: 11,
            ..Default::default()
        };
        let (rows, _) = page.state.store.list_feedback(ws, &filter).await?;
        let rows: Vec<Feedback> = rows.into_iter().filter(|o| o.id != f.id).take(10).collect();
        let origins = page.state.store.origin_names(ws, &rows).await?;
        others = rows
            .iter()
            .map(|o| item(o, page.tz, &origins, &categories))
            .collect();
    }
    let origins = page
        .state
        .store
        .origin_names(ws, std::slice::from_ref(&f))
        .await?;
    let shown = item(&f, page.tz, &origins, &categories);
    let aspects = analysis_list(&f, "aspects");
    let score = f
        .analysis
        .as_ref()
        .and_then(|a| a.pointer("/sentiment/score"))
        .and_then(Value::as_f64);
    let attributes: Vec<(String, String)> = f
        .attributes
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let question = match Channel::parse(&f.channel) {
        Some(Channel::Interview) => ctx("question").map(|q| ("访谈中的上一句", q)),
        _ => ctx("question").map(|q| ("问题", q)),
    };
    Ok(page.render(
        "feedback.html",
        "反馈详情",
        "inbox",
        serde_json::json!({
            "f": shown,
            "question": question.map(|(label, text)| serde_json::json!({"label": label, "text": text})),
            "speaker": ctx("speaker"),
            "interview_title": ctx("title"),
            "row": f.context.get("row").and_then(Value::as_u64),
            "aspects": aspects,
            "score": score.map(|s| format!("{s:.2}")),
            "attributes": attributes,
            "others": others,
            "categories": category_choices(&categories),
            "can_edit": page.role >= Role::Editor,
            "respondent_url": f.respondent_id.as_ref().map(|r| format!("{}/inbox?{}", page.base(), encode(&[("respondent_id".to_owned(), r.clone())]))),
        }),
    ))
}

/// `/export?format=xlsx|csv&…`: the inbox's filters exported by the API's own export, with
/// the session standing in for a key.
async fn export(page: Page, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    let mut pairs: Vec<(String, String)> = filter_pairs(req.query_string())
        .into_iter()
        .filter(|(k, _)| k != "cursor" && k != "sort")
        .collect();
    let format = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v)
        .unwrap_or_else(|| "xlsx".to_owned());
    pairs.push(("format".to_owned(), format));
    Ok(crate::http::export_response(&page.state, &page.workspace.id, &api_query(&pairs)).await?)
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/export").route(web::get().to(export)))
        .service(web::resource("/inbox").route(web::get().to(inbox)))
        .service(web::resource("/inbox/{id}").route(web::get().to(detail)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_api_filter() {
        let p = filter_pairs("q=%E9%97%AA%E9%80%80&sentiment=&attr_key=plan&attr_value=pro&x=1");
        assert_eq!(
            p,
            vec![
                ("q".to_owned(), "闪退".to_owned()),
                ("attr.plan".to_owned(), "pro".to_owned())
            ]
        );
    }
}
