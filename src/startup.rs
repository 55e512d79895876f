//! Builds the application: opens and migrates the store, binds the listener (port 0 picks a
//! free port, which tests use), mounts the routes and starts the feed poller.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::header::{HeaderValue, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App, HttpServer, ResponseError};

use crate::analysis::Analyzer;
use crate::config::Settings;
use crate::http::{self, ApiError, AppState};
use crate::store::Store;

pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
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
    let store = Store::connect(&settings.database_url()).await?;
    store.migrate().await?;
    Ok(store)
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let analyzer = tokio::task::spawn_blocking(Analyzer::new).await?;
        Self::build_with(settings, Arc::new(analyzer)).await
    }

    /// Builds with an analyzer made elsewhere (tests share one across many apps).
    pub async fn build_with(settings: Settings, analyzer: Arc<Analyzer>) -> anyhow::Result<Self> {
        let store = open_store(&settings).await?;
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let state = AppState::new(store, settings, analyzer)?;
        let server = serve(listener, state.clone())?;
        if state.settings.run_poller {
            tokio::spawn(crate::collect::poller::run(state.clone()));
        }
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Runs until SIGINT/SIGTERM, then stops accepting and lets requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn serve(listener: TcpListener, state: Arc<AppState>) -> anyhow::Result<Server> {
    let workers = state.settings.workers;
    let data = web::Data::from(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(
                ErrorHandlers::new()
                    .handler(StatusCode::METHOD_NOT_ALLOWED, |res| {
                        as_problem(res, ApiError::MethodNotAllowed)
                    })
                    .handler(StatusCode::NOT_FOUND, |res| {
                        as_problem(res, ApiError::RouteNotFound)
                    }),
            )
            .wrap(from_fn(http::metrics::track))
            .wrap(from_fn(http::refuse_nul_in_uri))
            .configure(http::routes)
    })
    .shutdown_timeout(30)
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// actix answers an unknown path (404) or a known path with the wrong method (405) with an
/// empty body; give those our problem+json. Our own errors already carry one.
fn as_problem<B>(
    res: ServiceResponse<B>,
    error: ApiError,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let already = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v == HeaderValue::from_static("application/problem+json"));
    if already {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, _) = res.into_parts();
    let res = ServiceResponse::new(req, error.error_response());
    Ok(ErrorHandlerResponse::Response(res.map_into_right_body()))
}
