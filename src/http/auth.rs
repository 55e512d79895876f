//! `Authorization: Bearer KEY` → the calling workspace and its scopes.

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{ApiError, AppState};
use crate::domain::Scope;
use crate::store::Caller;

/// An authenticated caller. Handlers ask for the scope they need with [`Auth::require`].
pub struct Auth(pub Caller);

impl Auth {
    /// The caller's workspace id, if the key carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<&str, ApiError> {
        if self.0.scopes.allows(scope) {
            Ok(&self.0.workspace_id)
        } else {
            Err(ApiError::Forbidden(scope.as_str()))
        }
    }
}

impl FromRequest for Auth {
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
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            let key = key
                .filter(|k| !k.is_empty())
                .ok_or(ApiError::Unauthorized)?;
            match state.store.authenticate(&key).await? {
                Some(caller) => Ok(Auth(caller)),
                None => Err(ApiError::Unauthorized),
            }
        })
    }
}
