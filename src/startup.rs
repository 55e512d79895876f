//! Builds the application: opens and migrates the store, builds what the workers and the
//! HTTP edge share (pipeline, counters, mailer, outgoing HTTP client, clock), binds the
//! listener (port 0 picks a free port, which tests use), mounts the routes and starts the
//! feed poller, the digest scheduler, the spike check and the data lifecycle.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::header::{HeaderValue, CONTENT_TYPE};
use actix_web::middleware::{from_fn, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App, HttpServer, ResponseError};

use crate::analysis::Analyzer;
use crate::collect::poller::Poller;
use crate::config::Settings;
use crate::console::{self, Console};
use crate::counters::Counters;
use crate::domain::net::Outbound;
use crate::http::{self, ApiError, AppState};
use crate::ingest::Pipeline;
use crate::lifecycle::Lifecycle;
use crate::store::Store;
use crate::tell::alerts::Alerts;
use crate::tell::mail::Mailer;
use crate::tell::outbox::{DeliveryPolicy, Outbox};
use crate::tell::scheduler;

pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
    workers: Workers,
}

/// What each background worker works with: the poller, the outbox, the spike check and the
/// data lifecycle. Tests drive them through the same functions their loops call.
#[derive(Clone)]
pub struct Workers {
    pub poller: Poller,
    pub outbox: Outbox,
    pub alerts: Alerts,
    pub lifecycle: Lifecycle,
}

/// Opens the configured database (creating the data dir for the SQLite default) and
/// applies pending migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    if settings
        .database_url
        .as_deref()
        .is_none_or(|u| u.trim().is_empty())
    {
        std::fs::create_dir_all(&settings.data_dir)?;
    }
    let store = Store::connect_with(&settings.database_url(), settings.db_acquire_timeout)
        .await?
        .with_clock(settings.clock.clone());
    store.migrate().await?;
    Ok(store)
}

/// The client every outgoing request goes through (feeds, app stores, tools' APIs, group
/// robots): bounded time and redirects, public addresses only unless the settings allow
/// others (see [`crate::domain::net`]).
pub fn outgoing_client(settings: &Settings) -> anyhow::Result<Outbound> {
    Outbound::new(settings.allow_private_urls.clone())
}

/// The outbox as the settings describe it: their mail server (or `.eml` files), sender,
/// link base and retry policy.
pub fn outbox(
    store: Store,
    settings: &Settings,
    analyzer: Arc<Analyzer>,
    counters: Arc<Counters>,
    http: Outbound,
) -> anyhow::Result<Outbox> {
    let mail_from = settings
        .mail_from
        .parse::<lettre::message::Mailbox>()
        .map_err(|e| anyhow::anyhow!("TINGJIAN_MAIL_FROM is not a mail address: {e}"))?;
    let mailer = Mailer::new(
        settings.smtp_url.as_deref(),
        &settings.mail_dir(),
        settings.smtp_timeout,
    )?;
    Ok(Outbox {
        store,
        analyzer,
        mailer: Arc::new(mailer),
        http,
        counters,
        clock: settings.clock.clone(),
        policy: DeliveryPolicy {
            link_base: settings.link_base(),
            mail_from,
            retry_base: settings.retry_base,
            max_attempts: settings.max_attempts,
            lease: settings.delivery_lease,
        },
    })
}

impl Workers {
    pub fn build(
        store: &Store,
        settings: &Settings,
        pipeline: Arc<Pipeline>,
        counters: Arc<Counters>,
    ) -> anyhow::Result<Self> {
        let http = outgoing_client(settings)?;
        let analyzer = pipeline.analyzer().clone();
        Ok(Self {
            outbox: outbox(
                store.clone(),
                settings,
                analyzer.clone(),
                counters.clone(),
                http.clone(),
            )?,
            alerts: Alerts {
                store: store.clone(),
                analyzer,
                clock: settings.clock.clone(),
            },
            lifecycle: Lifecycle::new(store.clone(), settings.clock.clone()),
            poller: Poller {
                store: store.clone(),
                pipeline,
                counters,
                http,
                clock: settings.clock.clone(),
            },
        })
    }
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let analyzer = tokio::task::spawn_blocking(Analyzer::new).await?;
        Self::build_with(settings, Arc::new(analyzer)).await
    }

    /// Builds with an analyzer made elsewhere (tests share one across many apps).
    pub async fn build_with(settings: Settings, analyzer: Arc<Analyzer>) -> anyhow::Result<Self> {
        let store = open_store(&settings).await?;
        // Commands run elsewhere against the same database (`digest send`) link where this
        // service is reached.
        if let Some(url) = settings
            .public_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            store
                .set_service_setting(
                    crate::store::PUBLIC_URL_SETTING,
                    url.trim().trim_end_matches('/'),
                )
                .await?;
        }
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let counters = Arc::new(Counters::new()?);
        let pipeline = Arc::new(Pipeline::new(store.clone(), analyzer));
        let workers = Workers::build(&store, &settings, pipeline.clone(), counters.clone())?;
        let state = AppState::new(
            store,
            settings,
            pipeline,
            counters,
            workers.poller.clone(),
            workers.outbox.clone(),
        )?;
        let console = Arc::new(Console::new(state.settings.login_rate_per_minute)?);
        let server = serve(listener, state.clone(), console.clone())?;
        let settings = &state.settings;
        if settings.run_poller {
            tokio::spawn(
                workers
                    .poller
                    .clone()
                    .run(settings.poll_tick, settings.poll_lease),
            );
        }
        if settings.run_delivery {
            let (outbox, alerts) = (workers.outbox.clone(), workers.alerts.clone());
            tokio::spawn(scheduler::digests(outbox.clone(), settings.delivery_tick));
            tokio::spawn(scheduler::alerts(alerts, outbox, settings.alert_tick));
        }
        if settings.run_lifecycle {
            tokio::spawn(workers.lifecycle.clone().run(settings.lifecycle_tick));
        }
        tokio::spawn(housekeeping(state.clone(), console));
        tokio::spawn(warm_insights(state.clone()));
        Ok(Self {
            port,
            server,
            state,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    pub fn workers(&self) -> Workers {
        self.workers.clone()
    }

    /// Runs until SIGINT/SIGTERM, then stops accepting and lets requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Tidies in-memory state every `housekeeping_tick`, for as long as the process runs: the
/// survey rate limiter drops addresses whose budget has refilled, so its memory follows the
/// recent clients rather than every client ever seen.
async fn housekeeping(state: Arc<AppState>, console: Arc<Console>) {
    let mut tick = tokio::time::interval(state.settings.housekeeping_tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        state.survey_limiter.retain_recent();
        state.survey_limiter.shrink_to_fit();
        state.survey_hours.forget_past(state.clock.now());
        console.tidy();
        let idle = chrono::Duration::from_std(state.settings.session_idle)
            .unwrap_or_else(|_| chrono::Duration::hours(12));
        if let Err(e) = state.store.prune_sessions(idle).await {
            tracing::warn!(error = %e, "pruning console sessions failed");
        }
    }
}

/// A workspace with fewer items than this in the warmed range is scanned on demand.
const WARM_MIN_ITEMS: u64 = 10_000;

/// Keeps the drivers' and segments' cached days current (`Store::warm_insight_days`) every
/// `housekeeping_tick`, so a request over a long range reads cached days and scans only the
/// days written since. Each pass is a few reads when nothing changed.
async fn warm_insights(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(state.settings.housekeeping_tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = state.clock.now();
        let started = std::time::Instant::now();
        match state.store.warm_insight_days(now, WARM_MIN_ITEMS).await {
            Ok(workspaces) if started.elapsed().as_secs() >= 1 => tracing::info!(
                workspaces,
                ms = started.elapsed().as_millis() as u64,
                "warmed the insight caches"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "warming the insight caches failed"),
        }
        if let Err(e) = state
            .store
            .prune_insight_days(now, crate::store::WARM_DAYS + 366)
            .await
        {
            tracing::warn!(error = %e, "pruning the insight caches failed");
        }
    }
}

fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    console: Arc<Console>,
) -> anyhow::Result<Server> {
    let workers = state.settings.workers;
    let data = web::Data::from(state);
    let console = web::Data::from(console);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(console.clone())
            .wrap(problem_errors())
            .wrap(from_fn(http::counters::track))
            .wrap(from_fn(http::refuse_bad_uri))
            .wrap(from_fn(http::guard_body))
            .wrap(from_fn(http::html_needs_csp))
            .configure(http::routes)
            .configure(console::routes)
    })
    .shutdown_timeout(30)
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}

fn problem_errors<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler_client(as_problem)
}

/// Every 4xx a client sees is problem+json. actix answers some requests itself before our
/// handlers run, with an empty or plain-text body: an unknown path (404), a known path with
/// another method (405), an extractor that fails. Those become problems with a code by status
/// ([`ApiError::for_client_status`]). Answers our handlers built on purpose are kept as they
/// are: problems, and pages with a body and no error attached (the hosted survey form shown
/// again with its errors, 422; the survey-not-found page, 404).
///
/// Requests that actix-http cannot parse at all (raw non-ASCII bytes in the request line, a
/// malformed header) never reach the application: the HTTP/1 dispatcher answers them with an
/// empty 400 of its own, which no middleware can change.
fn as_problem<B: MessageBody>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let problem = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v == HeaderValue::from_static("application/problem+json"));
    let has_body = !matches!(
        res.response().body().size(),
        BodySize::None | BodySize::Sized(0)
    );
    // The console's error pages are HTML built on purpose, error attached or not.
    let page = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let deliberate = has_body && (res.response().error().is_none() || page);
    if problem || deliberate {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let error = ApiError::for_client_status(res.status());
    let (req, _) = res.into_parts();
    let res = ServiceResponse::new(req, error.error_response());
    Ok(ErrorHandlerResponse::Response(res.map_into_right_body()))
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::{test, web, App, HttpResponse};
    use serde_json::Value;

    use super::problem_errors;
    use crate::http::ApiError;

    #[actix_web::test]
    async fn client_errors_become_problems_unless_built_on_purpose() {
        let app = test::init_service(
            App::new()
                .wrap(problem_errors())
                .route(
                    "/414",
                    web::get().to(|| async { HttpResponse::UriTooLong().finish() }),
                )
                .route(
                    "/400",
                    web::get().to(|| async {
                        Err::<HttpResponse, _>(actix_web::error::ErrorBadRequest("plain text"))
                    }),
                )
                .route(
                    "/413",
                    web::get().to(|| async {
                        Err::<HttpResponse, _>(actix_web::error::ErrorPayloadTooLarge("too big"))
                    }),
                )
                .service(web::resource("/page").route(web::get().to(|| async {
                    HttpResponse::UnprocessableEntity()
                        .content_type("text/html")
                        .body("<p>form</p>")
                })))
                .route(
                    "/ours",
                    web::get().to(|| async { Err::<HttpResponse, _>(ApiError::RateLimited) }),
                ),
        )
        .await;
        for (path, status, code) in [
            ("/414", 414, "client_error"),
            ("/400", 400, "bad_request"),
            ("/413", 413, "payload_too_large"),
            ("/ours", 429, "rate_limited"),
            ("/nope", 404, "route_not_found"),
        ] {
            let res =
                test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
            assert_eq!(res.status().as_u16(), status, "{path}");
            assert_eq!(
                res.headers().get("content-type").unwrap(),
                "application/problem+json",
                "{path}"
            );
            let body: Value = test::read_body_json(res).await;
            assert_eq!(body["code"], code, "{path}");
            assert_eq!(body["status"], status, "{path}");
        }
        let res =
            test::call_service(&app, test::TestRequest::get().uri("/page").to_request()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.headers().get("content-type").unwrap(), "text/html");
        let res =
            test::call_service(&app, test::TestRequest::post().uri("/page").to_request()).await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
    }
}
