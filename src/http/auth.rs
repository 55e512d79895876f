//! `Authorization: Bearer KEY` → the calling workspace, with the scope a handler needs in the
//! extractor's type: a handler that takes `Auth<Admin>` runs only for an admin key. The
//! body extractor [`super::body::Json`] waits for this one, so a caller who may not act never
//! has its body read or judged.

use std::cell::RefCell;
use std::marker::PhantomData;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use tokio::sync::oneshot;

use super::{ApiError, AppState};
use crate::domain::Scope;
use crate::store::Caller;

/// What a handler requires of the key: one scope.
pub trait Policy {
    const SCOPE: Scope;
}

/// Read feedback and configuration.
pub struct Read;
/// Push feedback.
pub struct Ingest;
/// Everything, including keys, sources, surveys and erasure.
pub struct Admin;

impl Policy for Read {
    const SCOPE: Scope = Scope::Read;
}
impl Policy for Ingest {
    const SCOPE: Scope = Scope::Ingest;
}
impl Policy for Admin {
    const SCOPE: Scope = Scope::Admin;
}

/// A caller whose key carries `P`'s scope.
pub struct Auth<P> {
    caller: Caller,
    policy: PhantomData<P>,
}

impl<P> Auth<P> {
    /// The caller's workspace: every query the handler makes is scoped to it.
    pub fn workspace(&self) -> &str {
        &self.caller.workspace_id
    }
}

/// Opened when the caller is authenticated and allowed; a body extractor of the same request
/// waits for it. Dropped unopened when the caller is refused.
pub(super) struct Gate(pub(super) RefCell<Option<oneshot::Receiver<()>>>);

impl<P: Policy> FromRequest for Auth<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| rest.trim().to_owned())
            });
        let (open, gate) = oneshot::channel();
        req.extensions_mut().insert(Gate(RefCell::new(Some(gate))));
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            let key = key
                .filter(|k| !k.is_empty())
                .ok_or(ApiError::Unauthorized)?;
            let caller = state
                .store
                .authenticate(&key)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            if !caller.scopes.allows(P::SCOPE) {
                return Err(ApiError::Forbidden(P::SCOPE.as_str()));
            }
            let _ = open.send(());
            Ok(Auth {
                caller,
                policy: PhantomData,
            })
        })
    }
}
