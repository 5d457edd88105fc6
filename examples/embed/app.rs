//! The operator's app of the `embed` example; also compiled into the
//! integration tests, so the example is tested as written.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use privacy_pages::gate::ScriptGateLayer;
use privacy_pages::{AppState, router};

/// The operator's app: their pages, gated, and the policies under `/legal`.
pub fn app(state: AppState) -> Router {
    let base_path = state.base_path.clone();
    let gate = ScriptGateLayer::new(state.library.clone(), base_path.clone());
    Router::new()
        .route("/", get(home))
        .route("/blog", get(blog))
        // The gate wraps the routes above; the nested router gates its own pages.
        .layer(gate)
        .nest(&base_path, router(state))
}

async fn home() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Home</title>",
        // Hints and embeds marked with data-service vanish for visitors who opted out.
        "<link rel=\"preconnect\" href=\"https://cdn.carbonads.com\" data-service=\"carbon\">",
        "</head><body><h1>Welcome</h1>",
        "<div class=\"ad\" data-service=\"carbon\"><p>Ads by Carbon</p></div>",
        "<p><a href=\"/legal/privacy\">Privacy policy</a></p>",
        "</body></html>"
    ))
}

async fn blog() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"en\"><head><title>Blog</title></head><body><h1>Blog</h1></body></html>",
    )
}
