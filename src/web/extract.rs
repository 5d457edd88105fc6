//! What handlers take from a request beyond the [`Visit`]: path
//! parameters that fail as the site's own 404 page, and what a policy page
//! echoes back (the path to return to, a confirmation to show).

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use super::error::AppError;
use crate::consent::return_to::query_without;
use crate::visit::Visit;

/// Path parameters (`Path<T>`), whose failure is the site's own 404 page.
/// A segment that does not percent-decode to UTF-8 names no policy,
/// version, file or service: it is a miss like any other, where axum's
/// `Path` would answer with a bare-text 400.
pub struct PathParams<T>(pub T);

impl<T, S> FromRequestParts<S> for PathParams<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(params)) => Ok(PathParams(params)),
            Err(rejection) => {
                tracing::debug!(%rejection, "path parameters rejected");
                Err(match parts.extensions.get::<Visit>() {
                    Some(visit) => AppError::not_found(visit),
                    None => AppError::MissingVisit,
                })
            }
        }
    }
}

/// What a policy page echoes from its URL: the path to return to after a
/// form post, and the change a form post just made.
pub struct PageRequest {
    /// Path and query as the visitor requested them, under the base path.
    pub return_to: String,
    /// `optout=<id>` / `optin=<id>` after a form post.
    pub confirmation: Option<(bool, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for PageRequest {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let confirmation = form_urlencoded::parse(query.as_bytes())
            .filter_map(|(key, value)| match key.as_ref() {
                "optout" => Some((true, value.into_owned())),
                "optin" => Some((false, value.into_owned())),
                _ => None,
            })
            .last();
        let kept = query_without(query, &["optout", "optin"]);
        let base = match parts.extensions.get::<Visit>() {
            Some(visit) => visit.base.clone(),
            None => return Err(AppError::MissingVisit),
        };
        let path = format!("{base}{}", parts.uri.path());
        let return_to = if kept.is_empty() {
            path
        } else {
            format!("{path}?{kept}")
        };
        Ok(PageRequest {
            return_to,
            confirmation,
        })
    }
}
