//! The stylesheet and scripts under `static/`, compiled into the binary so a
//! release serves with no files beside it.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};

use crate::error::AppError;
use crate::negotiate::LangPrefs;
use crate::pages::{CurrentSite, Mount};

static STATIC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

/// `GET /static/{*path}`. Lookups are exact matches against the embedded
/// tree, so `..` or encoded tricks can only ever miss.
pub async fn serve(
    mount: Mount,
    site: CurrentSite,
    prefs: LangPrefs,
    Path(path): Path<String>,
) -> Result<Response, AppError> {
    let Some(file) = STATIC.get_file(&path) else {
        return Err(crate::pages::fallback(mount, site, prefs).await);
    };
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    let content_type = match mime.type_() {
        mime_guess::mime::TEXT => format!("{mime}; charset=utf-8"),
        _ if mime.subtype() == "javascript" => format!("{mime}; charset=utf-8"),
        _ => mime.to_string(),
    };
    Ok((
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=3600".to_owned()),
        ],
        file.contents(),
    )
        .into_response())
}
