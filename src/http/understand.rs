//! The analysis over HTTP: `POST /api/v1/analyze` (no storage), a workspace's dictionary and
//! pain-point categories, and label corrections on stored feedback.

use actix_web::{web, HttpRequest, HttpResponse};
use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::{ApiError, Auth, Edit, Json, JsonText, Read, State};
use crate::analysis::painpoint::DEFAULT_IDS;
use crate::analysis::{CustomCategory, Label};
use crate::domain::MAX_TEXT_CHARS;
use crate::ingest::AnalysisJson;
use crate::store::PainEdit;

/// Texts one analyze request may carry.
const MAX_ANALYZE_ITEMS: usize = 1000;

/// The request, borrowed from the body: a text is copied only when it holds escapes, and an
/// id (any JSON value) is written back as it was sent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalyzeRequest<'a> {
    #[serde(borrow)]
    items: Vec<AnalyzeItem<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalyzeItem<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    text: Cow<'a, str>,
}

/// Checks the request's shape and bounds.
fn analyze_request(body: &JsonText) -> Result<AnalyzeRequest<'_>, ApiError> {
    let request: AnalyzeRequest = body.parse()?;
    if request.items.is_empty() || request.items.len() > MAX_ANALYZE_ITEMS {
        return Err(ApiError::field(
            "/items",
            format!("1 to {MAX_ANALYZE_ITEMS} items"),
        ));
    }
    let mut errors = Vec::new();
    for (i, item) in request.items.iter().enumerate() {
        // No more characters than bytes: most texts need no count.
        if item.text.len() > MAX_TEXT_CHARS && item.text.chars().count() > MAX_TEXT_CHARS {
            errors.push(crate::domain::FieldError::new(
                format!("/items/{i}/text"),
                "longer than 10000 characters",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(request)
}

async fn analyze(state: State, auth: Auth<Read>, body: JsonText) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace().to_owned();
    let profile = state.pipeline.profile(&ws).await?;
    let analyzer = state.pipeline.analyzer().clone();
    // Parsed once, on an analysis thread with the analysis: a request of 1,000 texts takes as
    // long to read as a tenth of its analysis.
    let work = move || -> Result<Vec<u8>, ApiError> {
        let request = analyze_request(&body)?;
        let ctx = &profile.context;
        // Each item analysed and written as JSON one after the other: an analysis is
        // serialised while it is still in the cache, and none is held for the whole request.
        let write = |items: &[AnalyzeItem], out: &mut Vec<u8>| {
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                let a = analyzer.analyze_with(&item.text, ctx);
                AnalysisJson::new(item.id, &a).write_to(out);
            }
        };
        let items = &request.items;
        let head = b"{\"items\":[";
        let mut out = if crate::analysis::cores() == 1 {
            // Straight into the answer: no part to copy.
            let mut out = Vec::with_capacity(items.len() * 448 + 12);
            out.extend_from_slice(head);
            write(items, &mut out);
            out
        } else {
            // On more cores, each core takes a part of the items into a buffer of its own.
            let parts = crate::analysis::in_parts(items, |part| {
                let mut out = Vec::with_capacity(part.len() * 448);
                write(part, &mut out);
                out
            });
            let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 12);
            out.extend_from_slice(head);
            for (k, part) in parts.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(part);
            }
            out
        };
        out.extend_from_slice(b"]}");
        Ok(out)
    };
    let json = state
        .pipeline
        .workers()
        .run(work)
        .await
        .map_err(|e| ApiError::Internal(e.into()))??;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Words {
    words: Vec<String>,
}

async fn dictionary(state: State, auth: Auth<Read>) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    Ok(HttpResponse::Ok().json(json!({"words": state.store.dictionary(ws).await?})))
}

async fn add_words(
    state: State,
    auth: Auth<Edit>,
    Json(body): Json<Words>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();

    if body.words.is_empty() || body.words.len() > 1000 {
        return Err(ApiError::field("/words", "1 to 1000 words"));
    }
    let mut words = Vec::new();
    for (i, w) in body.words.iter().enumerate() {
        let w = w.trim();
        // Every character must show: a zero-width or control character makes a word that
        // matches nothing a person typed (and one of only those is no word at all).
        let shown = |c: char| crate::domain::text::has_visible(c.encode_utf8(&mut [0; 4]));
        if w.is_empty() || w.chars().count() > 30 || !w.chars().all(shown) {
            return Err(ApiError::field(
                format!("/words/{i}"),
                "1 to 30 characters, no spaces",
            ));
        }
        words.push(w.to_owned());
    }
    let added = state.store.add_dictionary_words(ws, &words).await?;
    state.pipeline.invalidate(ws);
    Ok(
        HttpResponse::Ok()
            .json(json!({"added": added, "words": state.store.dictionary(ws).await?})),
    )
}

async fn delete_word(
    state: State,
    auth: Auth<Edit>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    if !state.store.delete_dictionary_word(ws, &path).await? {
        return Err(ApiError::NotFound("word"));
    }
    state.pipeline.invalidate(ws);
    Ok(HttpResponse::NoContent().finish())
}

/// A workspace's own category as the API shows it.
pub fn custom_json(c: &CustomCategory) -> Value {
    json!({"id": c.id, "name": c.name, "custom": true, "keywords": c.keywords, "examples": c.examples})
}

async fn categories(state: State, auth: Auth<Read>) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let defaults = state
        .pipeline
        .analyzer()
        .taxonomy()
        .categories
        .iter()
        .map(|c| json!({"id": c.id, "name": c.name, "custom": false}));
    let custom = state.store.custom_categories(ws).await?;
    let items: Vec<Value> = defaults.chain(custom.iter().map(custom_json)).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

async fn create_category(
    state: State,
    auth: Auth<Edit>,
    Json(c): Json<CustomCategory>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();

    let valid_id = !c.id.is_empty()
        && c.id.len() <= 40
        && c.id
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
    if !valid_id || c.id.starts_with("cluster") {
        return Err(ApiError::field(
            "/id",
            "1 to 40 of a-z, 0-9 and _ (not starting with cluster)",
        ));
    }
    if DEFAULT_IDS.contains(&c.id.as_str()) {
        return Err(ApiError::Conflict(format!(
            "{} is a default category",
            c.id
        )));
    }
    super::body::bounded("/name", &c.name, 50)?;
    if c.keywords.is_empty() && c.examples.is_empty() {
        return Err(ApiError::field(
            "/keywords",
            "give keywords, example sentences, or both",
        ));
    }
    super::body::bounded_list("/keywords", &c.keywords, 200, 30)?;
    super::body::bounded_list("/examples", &c.examples, 50, 500)?;
    state.store.create_category(ws, &c).await?;
    state.pipeline.invalidate(ws);
    Ok(HttpResponse::Created().json(custom_json(&c)))
}

async fn delete_category(
    state: State,
    auth: Auth<Edit>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    if !state.store.delete_category(ws, &path).await? {
        return Err(ApiError::NotFound("category"));
    }
    state.pipeline.invalidate(ws);
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Labels {
    sentiment: Option<Label>,
    pain_points: Option<Vec<String>>,
}

/// Checks pain-point ids against the workspace's categories (default, its own, or an
/// emerging cluster); `field` names the list in errors.
async fn check_pains(
    state: &State,
    ws: &str,
    field: &str,
    pains: &[String],
) -> Result<(), ApiError> {
    let custom = state.store.custom_categories(ws).await?;
    for (i, p) in pains.iter().enumerate() {
        if !DEFAULT_IDS.contains(&p.as_str())
            && !custom.iter().any(|c| &c.id == p)
            && !p.starts_with("cluster:")
        {
            return Err(ApiError::field(
                format!("/{field}/{i}"),
                "not a category of this workspace",
            ));
        }
    }
    Ok(())
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

async fn set_labels(
    state: State,
    auth: Auth<Edit>,
    path: web::Path<String>,
    Json(body): Json<Labels>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();

    if body.sentiment.is_none() && body.pain_points.is_none() {
        return Err(ApiError::field("/", "give sentiment, pain_points, or both"));
    }
    if let Some(pains) = &body.pain_points {
        check_pains(&state, ws, "pain_points", pains).await?;
    }
    let updated = state
        .store
        .set_labels(ws, &path, body.sentiment, body.pain_points.map(sorted))
        .await?;
    state.pipeline.invalidate(ws);
    let names = state
        .store
        .origin_names(ws, std::slice::from_ref(&updated))
        .await?;
    Ok(HttpResponse::Ok().json(super::feedback::feedback_json(&updated, &names)))
}

/// Items one bulk correction may change.
const MAX_BULK_LABELS: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkLabels {
    ids: Vec<String>,
    sentiment: Option<Label>,
    pain_points: Option<Vec<String>>,
    #[serde(default)]
    add_pain_points: Vec<String>,
    #[serde(default)]
    remove_pain_points: Vec<String>,
}

/// The same correction for many items at once (the inbox's bulk bar): all or nothing.
async fn set_labels_many(
    state: State,
    auth: Auth<Edit>,
    Json(body): Json<BulkLabels>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let ids = sorted(body.ids);
    if ids.is_empty() || ids.len() > MAX_BULK_LABELS {
        return Err(ApiError::field(
            "/ids",
            format!("give 1 to {MAX_BULK_LABELS} feedback ids"),
        ));
    }
    let adjusting = !body.add_pain_points.is_empty() || !body.remove_pain_points.is_empty();
    if body.pain_points.is_some() && adjusting {
        return Err(ApiError::field(
            "/pain_points",
            "give pain_points (replace) or add_pain_points/remove_pain_points, not both",
        ));
    }
    if body.sentiment.is_none() && body.pain_points.is_none() && !adjusting {
        return Err(ApiError::field(
            "/",
            "give sentiment, pain_points, add_pain_points or remove_pain_points",
        ));
    }
    for (field, list) in [
        (
            "pain_points",
            body.pain_points.as_deref().unwrap_or_default(),
        ),
        ("add_pain_points", &body.add_pain_points[..]),
        ("remove_pain_points", &body.remove_pain_points[..]),
    ] {
        check_pains(&state, ws, field, list).await?;
    }
    let edit = match body.pain_points {
        Some(p) => PainEdit::Replace(sorted(p)),
        None if adjusting => PainEdit::Adjust {
            add: body.add_pain_points,
            remove: body.remove_pain_points,
        },
        None => PainEdit::Keep,
    };
    let updated = state
        .store
        .set_labels_many(ws, &ids, body.sentiment, &edit)
        .await?;
    state.pipeline.invalidate(ws);
    tracing::info!(workspace = ws, items = updated, "labels corrected in bulk");
    Ok(HttpResponse::Ok().json(json!({"updated": updated})))
}

/// Emerging complaints: complaints of a period that fit no category, grouped by the
/// keywords they share, each group labelled by its top keywords.
async fn emerging(
    state: State,
    auth: Auth<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let tz = super::feedback::workspace_tz(&state, ws).await?;
    let pairs: Vec<(String, String)> = super::query_pairs(req.query_string())?;
    let (mut from, mut to, mut min_size) = (None, None, 3usize);
    for (k, v) in pairs {
        match k.as_str() {
            "from" => from = Some(super::feedback::parse_instant(&v, tz, "from")?),
            "to" => to = Some(super::feedback::parse_instant(&v, tz, "to")?),
            "min_size" => min_size = super::number_in("min_size", &v, 2..=100)?,
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown parameter (expected from, to, min_size)",
                ))
            }
        }
    }
    let items = state
        .store
        .uncategorised_complaints(ws, from, to, 5_000, None)
        .await?;
    let considered = items.len();
    let clusters = crate::analysis::painpoint::cluster_emerging(&items, min_size);
    let out: Vec<Value> = clusters
        .iter()
        .map(|c| json!({"id": c.id, "label": c.label, "keywords": c.keywords, "count": c.members.len(), "feedback_ids": c.members.iter().take(20).collect::<Vec<_>>()}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": out, "considered": considered})))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/analyze").route(web::post().to(analyze)))
        .service(
            web::resource("/dictionary")
                .route(web::get().to(dictionary))
                .route(web::post().to(add_words)),
        )
        .service(web::resource("/dictionary/{word}").route(web::delete().to(delete_word)))
        .service(
            web::resource("/pain-point-categories")
                .route(web::get().to(categories))
                .route(web::post().to(create_category)),
        )
        .service(
            web::resource("/pain-point-categories/{id}").route(web::delete().to(delete_category)),
        )
        .service(web::resource("/feedback/{id}/labels").route(web::put().to(set_labels)))
        .service(web::resource("/label-corrections").route(web::post().to(set_labels_many)))
        .service(web::resource("/pain-points/emerging").route(web::get().to(emerging)));
}
