//! The ceiling for `benches/load.sh`: the least an axum server on this
//! machine can do for a request, returning a file's bytes from memory. What
//! privacy-pages does beyond that is what it costs.
//!
//! `cargo run --release --example ceiling -- ADDR FILE [CONTENT-ENCODING]`

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(address), Some(file)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: ceiling ADDR FILE [CONTENT-ENCODING]");
    };
    let encoding = args.next().map(HeaderValue::try_from).transpose()?;
    let body = Bytes::from(std::fs::read(&file)?);
    let handler = move || {
        let body = body.clone();
        let encoding = encoding.clone();
        async move {
            let mut response = (
                [(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                )],
                body,
            )
                .into_response();
            if let Some(encoding) = encoding {
                response.headers_mut().insert(CONTENT_ENCODING, encoding);
            }
            response
        }
    };
    let app = Router::new().fallback(get(handler));
    let listener = tokio::net::TcpListener::bind(&address).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
