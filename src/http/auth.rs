//! Who is calling, and whether they may: `Authorization: Bearer KEY` for machines, or the
//! console's session cookie (with `X-Tingjian-Workspace` naming the workspace and, for
//! anything that changes state, `X-CSRF-Token`) for a member in the browser. What a handler
//! requires is in the extractor's type: a handler that takes `Auth<Admin>` runs only for an
//! admin key or an admin member. The body extractor [`super::body::Json`] waits for this one,
//! so a caller who may not act never has its body read or judged.

use std::cell::RefCell;
use std::marker::PhantomData;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use tokio::sync::oneshot;

use super::session::{changes_state, csrf_header_matches, session_of, WORKSPACE_HEADER};
use super::{ApiError, AppState};
use crate::domain::Caller;
use crate::domain::{Role, Scope};

/// What a handler requires: a key scope, or a member's role.
pub trait Policy {
    const SCOPE: Scope;
    const ROLE: Role;
}

/// Read feedback and configuration.
pub struct Read;
/// Push feedback (for members: imports and interview uploads).
pub struct Ingest;
/// Change what a team works with: surveys, label corrections, digest subscriptions,
/// dictionary words and categories. Keys need `admin`; members need `editor`.
pub struct Edit;
/// Everything, including keys, sources, members, settings and erasure.
pub struct Admin;

impl Policy for Read {
    const SCOPE: Scope = Scope::Read;
    const ROLE: Role = Role::Viewer;
}
impl Policy for Ingest {
    const SCOPE: Scope = Scope::Ingest;
    const ROLE: Role = Role::Editor;
}
impl Policy for Edit {
    const SCOPE: Scope = Scope::Admin;
    const ROLE: Role = Role::Editor;
}
impl Policy for Admin {
    const SCOPE: Scope = Scope::Admin;
    const ROLE: Role = Role::Admin;
}

/// A caller allowed `P`.
pub struct Auth<P> {
    caller: Caller,
    member_id: Option<String>,
    policy: PhantomData<P>,
}

impl<P> Auth<P> {
    /// The caller's workspace: every query the handler makes is scoped to it.
    pub fn workspace(&self) -> &str {
        &self.caller.workspace_id
    }

    /// The signed-in member, when the console made the call.
    pub fn member_id(&self) -> Option<&str> {
        self.member_id.as_deref()
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
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            let auth = match key {
                Some(key) => by_key::<P>(&state, &key).await?,
                None => by_session::<P>(&state, &req).await?,
            };
            let _ = open.send(());
            Ok(auth)
        })
    }
}

async fn by_key<P: Policy>(state: &AppState, key: &str) -> Result<Auth<P>, ApiError> {
    if key.is_empty() {
        return Err(ApiError::Unauthorized);
    }
    let caller = state
        .store
        .authenticate(key)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !caller.scopes.allows(P::SCOPE) {
        return Err(ApiError::Forbidden(P::SCOPE.as_str()));
    }
    Ok(Auth {
        caller,
        member_id: None,
        policy: PhantomData,
    })
}

/// The console's own calls: a live session whose member is in the named workspace, with the
/// session's CSRF token on anything that changes state (checked before the role, so a forged
/// request learns nothing about the member).
async fn by_session<P: Policy>(state: &AppState, req: &HttpRequest) -> Result<Auth<P>, ApiError> {
    let session = session_of(state, req)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if changes_state(req) && !csrf_header_matches(req, &session) {
        return Err(ApiError::CsrfFailed);
    }
    let workspace_id = req
        .headers()
        .get(WORKSPACE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .ok_or(ApiError::Unauthorized)?
        .to_owned();
    let role = state
        .store
        .role_in(&workspace_id, &session.member.id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if role < P::ROLE {
        return Err(ApiError::RoleForbidden(P::ROLE.as_str()));
    }
    Ok(Auth {
        caller: Caller {
            workspace_id,
            key_id: String::new(),
            scopes: role.scopes(),
        },
        member_id: Some(session.member.id),
        policy: PhantomData,
    })
}
