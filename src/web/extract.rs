//! What handlers take from a request beyond the [`Visit`]: path
//! parameters that fail as the site's own 404 page, and what a policy page
//! echoes back (the path to return to, a confirmation to show).

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use super::error::AppError;
use crate::consent::return_to::query_without;
use crate::request::visit::Visit;

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

/// Which way a form post turned a service: what its endpoint is, and the
/// query parameter the page it returns to reads to confirm it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    OptOut,
    OptIn,
}

impl Action {
    /// The query parameter the page reads to confirm the change.
    pub fn confirmation_param(self) -> &'static str {
        match self {
            Action::OptOut => "optout",
            Action::OptIn => "optin",
        }
    }
}

/// The change a form post just asked for, as the page's URL says it
/// (`?optout=<id>`): what the page confirms, against what the browser kept.
pub struct Asked {
    pub action: Action,
    /// The service's id as the URL spells it: not yet known to be one.
    pub service: String,
}

/// What a policy page echoes from its URL: the path to return to after a
/// form post, and the change a form post just made.
pub struct PageRequest {
    /// Path and query as the visitor requested them, under the base path.
    pub return_to: String,
    /// `optout=<id>` / `optin=<id>` after a form post.
    pub asked: Option<Asked>,
}

impl<S: Send + Sync> FromRequestParts<S> for PageRequest {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let asked = form_urlencoded::parse(query.as_bytes())
            .filter_map(|(key, value)| {
                let action = match key.as_ref() {
                    "optout" => Action::OptOut,
                    "optin" => Action::OptIn,
                    _ => return None,
                };
                Some(Asked {
                    action,
                    service: value.into_owned(),
                })
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
        Ok(PageRequest { return_to, asked })
    }
}
