//! Surveys: the admin API (`/api/v1/surveys`), the hosted page (`/s/{id}`), the embed script
//! (`/embed.js`) and the public response endpoint, with per-survey CORS and a rate limit.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde_json::{json, Value};

use super::body::{is_json, json_from_bytes};
use super::{json_body, read_body, ApiError, Auth, Edit, Json, Read, State};
use crate::collect::survey::{
    iframe_snippet, is_valid_response_id, normalize_origin, page_csp, parse_submission_form,
    parse_submission_json, public_definition, render_closed, render_not_found, render_page,
    render_thanks, render_unavailable, response_feedback, response_id, script_snippet, Advance,
    Submission, SurveyDefinition, EMBED_JS, FORM_RESPONSE_ID, FRAME_JS, PLAIN_PAGE_CSP,
};
use crate::config::MAX_BODY_BYTES;
use crate::domain::SurveyStatus;
use crate::store::{NewSurveyResponse, Survey};

pub fn definition(s: &Survey) -> Result<SurveyDefinition, ApiError> {
    serde_json::from_value(s.questions.clone()).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!(
            "stored survey {} does not parse: {e}",
            s.id
        ))
    })
}

pub fn survey_json(state: &State, req: &HttpRequest, s: &Survey, def: &SurveyDefinition) -> Value {
    let base = state.public_url(req);
    let mut out = serde_json::to_value(def).unwrap_or_else(|_| json!({}));
    out["id"] = json!(s.id);
    out["status"] = json!(s.status);
    out["created_at"] = json!(s.created_at);
    out["updated_at"] = json!(s.updated_at);
    out["links"] = json!({
        "hosted": format!("{base}/s/{}", s.id),
        "script": script_snippet(&base, &s.id),
        "iframe": iframe_snippet(&base, &s.id),
    });
    out
}

async fn create(
    state: State,
    auth: Auth<Edit>,
    req: HttpRequest,
    Json(body): Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();

    let def = SurveyDefinition::parse(&body).map_err(ApiError::Validation)?;
    let stored = serde_json::to_value(&def).map_err(|e| ApiError::Internal(e.into()))?;
    let s = state
        .store
        .create_survey(ws, &def.title, stored, json!(def.allowed_origins))
        .await?;
    tracing::info!(workspace = ws, survey = %s.id, "survey created");
    Ok(HttpResponse::Created().json(survey_json(&state, &req, &s, &def)))
}

async fn list(state: State, auth: Auth<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let pairs: Vec<(String, String)> = super::query_pairs(req.query_string())?;
    let mut status = None;
    for (k, v) in &pairs {
        match k.as_str() {
            "status" if SurveyStatus::parse(v).is_some() => status = Some(v.as_str()),
            "status" => {
                return Err(ApiError::field(
                    "status",
                    "must be active, closed or archived",
                ))
            }
            other => return Err(ApiError::field(other, "unknown parameter")),
        }
    }
    let mut items = Vec::new();
    for s in state.store.list_surveys(ws, status).await? {
        items.push(survey_json(&state, &req, &s, &definition(&s)?));
    }
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

async fn find(state: &State, ws: &str, id: &str) -> Result<Survey, ApiError> {
    state
        .store
        .survey(ws, id)
        .await?
        .ok_or(ApiError::NotFound("survey"))
}

async fn get(
    state: State,
    auth: Auth<Read>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let s = find(&state, ws, &path).await?;
    let mut out = survey_json(&state, &req, &s, &definition(&s)?);
    out["response_count"] = json!(state.store.survey_response_count(ws, &s.id).await?);
    out["refused_embeds"] = json!(state.store.refused_embeds(&s.id).await?);
    Ok(HttpResponse::Ok().json(out))
}

async fn patch(
    state: State,
    auth: Auth<Edit>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let s = find(&state, ws, &path).await?;
    let mut body: Value = json_body(&req, payload).await?;
    let obj = body
        .as_object_mut()
        .ok_or_else(|| ApiError::field("/", "must be an object"))?;
    let status = match obj.remove("status") {
        None => None,
        Some(Value::String(st)) if SurveyStatus::parse(&st).is_some() => Some(st),
        Some(_) => {
            return Err(ApiError::field(
                "/status",
                "must be active, closed or archived",
            ))
        }
    };
    let def = definition(&s)?
        .apply_patch(&body)
        .map_err(ApiError::Validation)?;
    let stored = serde_json::to_value(&def).map_err(|e| ApiError::Internal(e.into()))?;
    let s = state
        .store
        .update_survey(
            s,
            def.title.clone(),
            stored,
            json!(def.allowed_origins),
            status.as_deref(),
        )
        .await?;
    // A site the editor has just allowed is no longer a warning.
    state
        .store
        .forget_refused_origins(&s.id, &def.allowed_origins)
        .await?;
    Ok(HttpResponse::Ok().json(survey_json(&state, &req, &s, &def)))
}

async fn archive(
    state: State,
    auth: Auth<Edit>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let s = find(&state, ws, &path).await?;
    let s = state
        .store
        .set_survey_status(s, SurveyStatus::Archived.as_str())
        .await?;
    Ok(HttpResponse::Ok().json(survey_json(&state, &req, &s, &definition(&s)?)))
}

// ---- public side -------------------------------------------------------------------------

/// The `Origin` of a cross-origin request, if it is one. A request from our own host (the
/// hosted page posting its form) is not cross-origin.
fn cross_origin(req: &HttpRequest) -> Option<String> {
    let origin = req
        .headers()
        .get(header::ORIGIN)?
        .to_str()
        .ok()?
        .to_ascii_lowercase();
    let host = super::state::request_origin(req).1.to_ascii_lowercase();
    let own = origin.split_once("://").map(|(_, h)| h) == Some(host.as_str());
    (!own).then_some(origin)
}

/// Adds CORS headers for an allowed origin.
fn cors(res: &mut HttpResponseBuilder, origin: &Option<String>) {
    res.insert_header((header::VARY, "Origin"));
    if let Some(o) = origin {
        if let Ok(v) = HeaderValue::from_str(o) {
            res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, v));
        }
    }
}

/// Refuses a cross-origin request from a site not in `allowed_origins`, and counts it for
/// the survey's editors (see [`note_refused_origin`]).
async fn check_origin(
    state: &State,
    req: &HttpRequest,
    survey_id: &str,
    def: &SurveyDefinition,
    origin: &Option<String>,
) -> Result<(), ApiError> {
    match origin {
        Some(o) if !def.origin_allowed(o) => {
            note_refused_origin(state, req, survey_id, o).await;
            Err(ApiError::OriginNotAllowed)
        }
        _ => Ok(()),
    }
}

/// Counts a refused embed. The per-address survey rate limit bounds how often one client
/// can make us write; a failure to count is logged and changes nothing for the respondent.
async fn note_refused_origin(state: &State, req: &HttpRequest, survey_id: &str, origin: &str) {
    if !state.survey_rate_ok(req) {
        return;
    }
    // Browsers send `null` from sandboxed frames and files: counted with the unnamed rest.
    let origin = normalize_origin(origin)
        .ok()
        .filter(|o| o != "*")
        .unwrap_or_default();
    if let Err(e) = state.store.record_refused_origin(survey_id, &origin).await {
        tracing::warn!(survey = survey_id, error = %e, "refused embed not counted");
    }
}

async fn public_survey(state: &State, id: &str) -> Result<(Survey, SurveyDefinition), ApiError> {
    let s = state
        .store
        .public_survey(id)
        .await?
        .filter(|s| s.status != SurveyStatus::Archived.as_str())
        .ok_or(ApiError::NotFound("survey"))?;
    let def = definition(&s)?;
    Ok((s, def))
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}

/// `GET /s/{id}`. The answer depends on `Accept` when the survey is not found (an HTML page
/// for browsers, problem+json for API clients), so every answer here says `Vary: Accept`.
async fn hosted_page(state: State, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let mut res = match hosted_page_response(&state, &req, &path).await {
        Ok(res) => res,
        Err(e) => actix_web::ResponseError::error_response(&e),
    };
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    res
}

async fn hosted_page_response(
    state: &State,
    req: &HttpRequest,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    let (s, def) = match public_survey(state, id).await {
        Ok(found) => found,
        Err(ApiError::NotFound(_)) if prefers_html(req) => {
            let mut res = html(StatusCode::NOT_FOUND, render_not_found());
            res.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PLAIN_PAGE_CSP),
            );
            return Ok(res);
        }
        Err(e) => return Err(e),
    };
    if s.status != SurveyStatus::Active.as_str() {
        return Ok(html(StatusCode::OK, render_closed()));
    }
    if let Some(parent) = refused_frame_parent(req, &def) {
        // The browser would refuse the frame (CSP frame-ancestors) and show a broken page:
        // the respondent gets a neutral one instead, and the editors get the site's name.
        note_refused_origin(state, req, &s.id, &parent).await;
        let mut res = html(StatusCode::OK, render_unavailable(&def));
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PLAIN_PAGE_CSP),
        );
        return Ok(res);
    }
    // Each page view carries its own response id, so posting the same form twice (a double
    // click, a reload after a lost answer) stores one response. The page is `no-store`, so
    // no two people are served the same id.
    let fresh = Submission {
        response_id: Some(new_form_response_id()),
        ..Default::default()
    };
    Ok(survey_page(
        StatusCode::OK,
        render_page(&s.id, &def, &[], Some(&fresh)),
        &def,
    ))
}

/// The origin of the page framing this one, when the browser says it is a frame
/// (`Sec-Fetch-Dest: iframe`) and its `Referer` names a site not allowed to frame the survey.
/// Without a `Referer` nothing is known, and `frame-ancestors` alone decides.
fn refused_frame_parent(req: &HttpRequest, def: &SurveyDefinition) -> Option<String> {
    let headers = req.headers();
    let dest = headers.get("sec-fetch-dest")?.to_str().ok()?;
    if !dest.eq_ignore_ascii_case("iframe") && !dest.eq_ignore_ascii_case("frame") {
        return None;
    }
    let referer = reqwest::Url::parse(headers.get(header::REFERER)?.to_str().ok()?).ok()?;
    let parent = referer.origin().ascii_serialization();
    let own = referer.host_str().map(|h| match referer.port() {
        Some(p) => format!("{h}:{p}"),
        None => h.to_owned(),
    });
    let host = super::state::request_origin(req).1.to_ascii_lowercase();
    if own.as_deref() == Some(host.as_str()) || def.origin_allowed(&parent) {
        return None;
    }
    Some(parent)
}

/// Does the request's `Accept` rank `text/html` above JSON? True for browsers navigating to
/// a link; false for API clients, `*/*` alone, or no `Accept` at all.
fn prefers_html(req: &HttpRequest) -> bool {
    use actix_web::http::header::{Accept, Header, Quality};
    let Ok(accept) = Accept::parse(req) else {
        return false;
    };
    // The most specific media range that matches decides the quality (RFC 9110, 12.5.1).
    let quality = |essence: &str| {
        let ty = essence.split('/').next().unwrap_or_default();
        let mut best: Option<(u8, Quality)> = None;
        for item in accept.iter() {
            let m = &item.item;
            let specificity = if m.essence_str() == essence {
                2
            } else if m.type_() == ty && m.subtype() == actix_web::mime::STAR {
                1
            } else if m.type_() == actix_web::mime::STAR {
                0
            } else {
                continue;
            };
            if best.is_none_or(|(s, _)| specificity > s) {
                best = Some((specificity, item.quality));
            }
        }
        best.map_or(Quality::ZERO, |(_, q)| q)
    };
    let html = quality("text/html");
    let json = quality("application/problem+json").max(quality("application/json"));
    html > Quality::ZERO && html > json
}

/// A response id for a hosted form: random (not time-ordered), so one respondent cannot
/// guess another's and make their answer look like a replay.
fn new_form_response_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The response id a form post carried, if valid, else a new one: the form shown again after
/// an error keeps the id of the form that was posted.
fn posted_response_id(body: &[u8]) -> String {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == FORM_RESPONSE_ID)
                .map(|(_, v)| v.trim().to_owned())
        })
        .filter(|v| is_valid_response_id(v))
        .unwrap_or_else(new_form_response_id)
}

/// What `Retry-After` says to a client over the per-network rate (its budget refills within
/// a minute).
const RATE_RETRY_SECS: u64 = 60;

/// The hosted form's answer past a limit: a calm page, 429 with `Retry-After`.
fn busy_page(def: Option<&SurveyDefinition>, retry_after: u64) -> HttpResponse {
    let mut res = html(
        StatusCode::TOO_MANY_REQUESTS,
        crate::collect::survey::render_busy(def, retry_after),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    if let Some(def) = def {
        if let Ok(csp) = HeaderValue::from_str(&page_csp(def)) {
            res.headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, csp);
        }
    }
    res
}

/// A page of this survey, with its Content-Security-Policy: `frame-ancestors` follows the
/// allowed origins, so the iframe embed works there and nowhere else.
fn survey_page(status: StatusCode, body: String, def: &SurveyDefinition) -> HttpResponse {
    let mut res = html(status, body);
    if let Ok(csp) = HeaderValue::from_str(&page_csp(def)) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    res
}

async fn definition_response(
    state: State,
    req: &HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let origin = cross_origin(req);
    let (s, def) = public_survey(&state, &path).await?;
    check_origin(&state, req, &s.id, &def, &origin).await?;
    if s.status != SurveyStatus::Active.as_str() {
        return Err(ApiError::SurveyClosed);
    }
    let mut res = HttpResponse::Ok();
    cors(&mut res, &origin);
    res.insert_header((header::CACHE_CONTROL, "no-cache"));
    Ok(res.json(public_definition(&s.id, &def)))
}

async fn preflight(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let origin = cross_origin(&req);
    let (_, def) = public_survey(&state, &path).await?;
    // Not counted here: the embed asks for the definition first, and that is counted.
    if let Some(o) = &origin {
        if !def.origin_allowed(o) {
            return Err(ApiError::OriginNotAllowed);
        }
    }
    let mut res = HttpResponse::NoContent();
    cors(&mut res, &origin);
    res.insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type"))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
    Ok(res.finish())
}

/// Public endpoints answer errors with CORS headers too, so the embed script can show them
/// (they carry nothing private: the endpoint is unauthenticated and sends no credentials).
fn with_cors(req: &HttpRequest, result: Result<HttpResponse, ApiError>) -> HttpResponse {
    match result {
        Ok(res) => res,
        Err(e) => {
            let mut res = actix_web::ResponseError::error_response(&e);
            if let Some(Ok(v)) = cross_origin(req).map(|o| HeaderValue::from_str(&o)) {
                res.headers_mut()
                    .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
                res.headers_mut()
                    .insert(header::VARY, HeaderValue::from_static("Origin"));
            }
            res
        }
    }
}

async fn submit(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let result = submit_response(state, &req, path, payload).await;
    with_cors(&req, result)
}

async fn definition_json(state: State, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let result = definition_response(state, &req, path).await;
    with_cors(&req, result)
}

#[tracing::instrument(skip_all, fields(survey = %path))]
async fn submit_response(
    state: State,
    req: &HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let req = req.clone();
    let origin = cross_origin(&req);
    let as_form = req.content_type() == "application/x-www-form-urlencoded";
    if !state.survey_rate_ok(&req) {
        if as_form {
            return Ok(busy_page(None, RATE_RETRY_SECS));
        }
        return Err(ApiError::RateLimited);
    }
    let (s, def) = public_survey(&state, &path).await?;
    check_origin(&state, &req, &s.id, &def, &origin).await?;
    if s.status != SurveyStatus::Active.as_str() {
        return Err(ApiError::SurveyClosed);
    }
    if !as_form && !is_json(&req) {
        return Err(ApiError::UnsupportedMediaType(
            "application/json or application/x-www-form-urlencoded",
        ));
    }
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let parsed = if as_form {
        super::body::reject_nul_in_form(&body)?;
        // A browser posts the page's own UTF-8; anything else was not sent by the form.
        let text = std::str::from_utf8(&body).map_err(|_| ApiError::InvalidUtf8)?;
        super::body::decodes_to_utf8("form body", text)?;
        parse_submission_form(&def, &body)
    } else {
        parse_submission_json(&json_from_bytes(&body)?)
    };
    let submission = match parsed {
        Ok(sub) => sub,
        Err(errors) if as_form => {
            let again = Submission {
                response_id: Some(posted_response_id(&body)),
                ..Default::default()
            };
            return Ok(survey_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                render_page(&s.id, &def, &errors, Some(&again)),
                &def,
            ));
        }
        Err(errors) => return Err(ApiError::Validation(errors)),
    };
    // What a person sees after submitting: the thank-you page, or JSON for the embed script.
    let received = |status, body: Value| {
        if as_form {
            survey_page(status, render_thanks(&def), &def)
        } else {
            let mut res = HttpResponse::build(status);
            cors(&mut res, &origin);
            res.json(body)
        }
    };
    let mut submission = submission;
    if as_form && submission.response_id.is_none() {
        submission.response_id = Some(new_form_response_id());
    }
    let outcome = if as_form {
        // The hosted page asks in steps: a step that is not the last one stores nothing and
        // answers with the next step, the answers so far travelling in its hidden fields.
        def.advance(&mut submission)
    } else {
        match def.validate_answers(&submission.answers) {
            Ok(a) => Advance::Complete(a),
            Err(errors) => Advance::Invalid(errors),
        }
    };
    let answers = match outcome {
        Advance::Complete(a) => a,
        Advance::Next(next) => {
            return Ok(survey_page(
                StatusCode::OK,
                render_page(&s.id, &def, &[], Some(&next)),
                &def,
            ))
        }
        Advance::Invalid(errors) if as_form => {
            // Shown again with the same response id (or a new one if the post had none), so
            // the corrected form is still posted once however often it is sent.
            return Ok(survey_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                render_page(&s.id, &def, &errors, Some(&submission)),
                &def,
            ));
        }
        Advance::Invalid(errors) => return Err(ApiError::Validation(errors)),
    };
    let rid = response_id(&s.id, submission.response_id.as_deref());
    let items = response_feedback(&s.id, &def, &rid, &submission, &answers, state.clock.now());
    if submission.honeypot_filled {
        // Bots get the same answer as people (validation errors included), and nothing is
        // stored: the response id is what a real one would be, and the count is real too.
        tracing::info!("survey honeypot filled; response dropped");
        return Ok(received(
            StatusCode::CREATED,
            json!({"response_id": rid, "feedback_count": items.len(), "replayed": false}),
        ));
    }
    // The survey's hourly cap, counted for complete responses only.
    if let Err(wait) = state
        .survey_hours
        .take(&s.id, def.responses_per_hour(), state.clock.now())
    {
        tracing::info!(
            cap = def.responses_per_hour(),
            "survey's hourly cap reached"
        );
        if as_form {
            return Ok(busy_page(Some(&def), wait));
        }
        return Err(ApiError::SurveyFull(wait));
    }
    let items = state.pipeline.prepare(&s.workspace_id, items).await?;
    let mut stored_answers = answers.answers.clone();
    let mut texts: Vec<&mut String> = stored_answers
        .values_mut()
        .filter_map(|v| match v {
            Value::String(s) => Some(s),
            _ => None,
        })
        .collect();
    state.pipeline.redact(&s.workspace_id, &mut texts).await?;
    let new = NewSurveyResponse {
        id: rid.clone(),
        survey_id: s.id.clone(),
        respondent_id: submission.respondent_id.clone(),
        answers: Value::Object(stored_answers),
        attributes: Value::Object(submission.attributes.clone()),
        nps: answers.nps,
        csat: answers.csat,
        ces: answers.ces,
        rating: answers.rating,
    };
    let texts = items.len();
    let fresh = state
        .store
        .record_survey_response(&s.workspace_id, new, items)
        .await?;
    if fresh {
        state.counters.stored("survey", texts as u64);
        tracing::info!(texts, "survey response stored");
    }
    let status = if fresh {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(received(
        status,
        json!({"response_id": rid, "feedback_count": texts, "replayed": !fresh}),
    ))
}

async fn frame_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(FRAME_JS)
}

async fn embed_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(EMBED_JS)
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/surveys")
            .route(web::post().to(create))
            .route(web::get().to(list)),
    )
    .service(
        web::resource("/surveys/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(patch)),
    )
    .service(web::resource("/surveys/{id}/archive").route(web::post().to(archive)));
}

pub(super) fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/embed.js").route(web::get().to(embed_js)))
        .service(web::resource("/frame.js").route(web::get().to(frame_js)))
        .service(web::resource("/s/{id}").route(web::get().to(hosted_page)))
        .service(web::resource("/s/{id}/definition.json").route(web::get().to(definition_json)))
        .service(
            web::resource("/s/{id}/responses")
                .route(web::post().to(submit))
                .route(web::method(actix_web::http::Method::OPTIONS).to(preflight)),
        );
}
