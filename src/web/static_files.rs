//! `GET /static/{*path}`: the bundled files of [`crate::assets`].

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use super::extract::PathParams;
use crate::assets;
use crate::request::visit::Visit;

/// `GET /static/{*path}`. Lookups are exact matches against the embedded
/// tree, so `..` or encoded tricks can only ever miss.
pub async fn serve(
    visit: Visit,
    PathParams(path): PathParams<String>,
) -> Result<Response, AppError> {
    let Some((asset, cache)) = assets::lookup(&path) else {
        return Err(AppError::not_found(&visit));
    };
    Ok((
        [
            (CONTENT_TYPE, asset.content_type.clone()),
            (CACHE_CONTROL, cache),
        ],
        asset.contents,
    )
        .into_response())
}
