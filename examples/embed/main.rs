//! An operator's existing axum app with privacy-pages built in:
//!
//! - the policy pages and opt-out endpoints are nested under `/legal`,
//! - the operator's own pages are wrapped with the script gate, so they get
//!   Carbon Ads and Plausible only for visitors who have not opted out, and
//!   `window.gaOptout()` / `window.carbonOptout()` keep working on them.
//!
//! Run: `cargo run --example embed`, then open http://127.0.0.1:8081/ and
//! http://127.0.0.1:8081/legal/privacy. `EMBED_LISTEN` and `EMBED_CONTENT`
//! choose another address and content folder.

mod app;

use std::net::SocketAddr;

use privacy_pages::AppState;
use privacy_pages::content::{self, Source};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let source =
        std::env::var_os("EMBED_CONTENT").map_or(Source::Embedded, |dir| Source::Dir(dir.into()));
    let library = content::load(&source)?;
    let state = AppState::new(library).with_base_path("/legal");
    let address: SocketAddr = std::env::var("EMBED_LISTEN")
        .unwrap_or_else(|_| "127.0.0.1:8081".to_owned())
        .parse()?;
    let listener = tokio::net::TcpListener::bind(address).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app::app(state)).await?;
    Ok(())
}
