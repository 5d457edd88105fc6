//! Reading a response body into memory, within a bound, without losing it
//! when the bound is hit: the layers that must see a whole body (the script
//! gate, the ETag) pass over large or broken bodies rather than break them.

use axum::body::{Body, Bytes};
use futures_util::StreamExt;
use http_body_util::BodyExt;

/// Reads at most `limit` bytes. On overflow or a body error, the bytes read
/// so far and the rest of the stream are handed back as one body.
pub async fn read_bounded(mut body: Body, limit: usize) -> Result<Bytes, Body> {
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0;
    loop {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    total += data.len();
                    chunks.push(data);
                    if total > limit {
                        let read = futures_util::stream::iter(
                            chunks.into_iter().map(Ok::<_, axum::Error>),
                        );
                        return Err(Body::from_stream(read.chain(body.into_data_stream())));
                    }
                }
            }
            Some(Err(err)) => {
                tracing::warn!(error = %err, "response body failed while being read");
                let read = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, axum::Error>));
                return Err(Body::from_stream(read));
            }
        }
    }
    Ok(match chunks.len() {
        1 => chunks.pop().unwrap_or_default(),
        _ => chunks.concat().into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn within_the_bound_the_body_is_read() {
        let body = Body::from_stream(futures_util::stream::iter(
            ["ab", "cd"].map(|s| Ok::<_, axum::Error>(Bytes::from(s))),
        ));
        assert_eq!(read_bounded(body, 4).await.ok(), Some(Bytes::from("abcd")));
    }

    #[tokio::test]
    async fn beyond_it_nothing_is_lost() {
        let body = Body::from_stream(futures_util::stream::iter(
            ["ab", "cd", "ef"].map(|s| Ok::<_, axum::Error>(Bytes::from(s))),
        ));
        let Err(rest) = read_bounded(body, 3).await else {
            panic!("over the bound");
        };
        let all = rest.collect().await.expect("body").to_bytes();
        assert_eq!(all, Bytes::from("abcdef"));
    }
}
