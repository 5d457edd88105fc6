//! The connections #19 is about, held against a server on loopback for a
//! bounded time, for `benches/attack-soak.sh`: silent TCP connections, a
//! partial HTTP/2 preface, idle HTTP/2 connections, and request bodies that
//! never arrive over HTTP/1 and HTTP/2. Whatever the server closes is opened
//! again at once; at the end it prints, per kind, how many were opened and
//! how long the server took to close them.
//!
//! `cargo run --release --example attacker -- 127.0.0.1:8080 60`
//!
//! Loopback only: it refuses any other address.

#![allow(
    clippy::expect_used,
    reason = "a load tool: a failed setup step should stop it"
)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{Method, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Per kind: how many to hold open at once.
const SILENT: usize = 300;
const PARTIAL_PREFACE: usize = 50;
const IDLE_HTTP2: usize = 20;
const STALLED_HTTP1: usize = 64;
const STALLED_HTTP2_CONNECTIONS: usize = 4;
const STREAMS_PER_CONNECTION: usize = 64;

#[derive(Default)]
struct Tally {
    opened: usize,
    /// Seconds from open to close by the server, for each one closed.
    lifetimes: Vec<f64>,
}

type Tallies = Arc<Mutex<Vec<(&'static str, Tally)>>>;

fn record(tallies: &Tallies, kind: &'static str, opened: bool, lifetime: Option<Duration>) {
    let Ok(mut tallies) = tallies.lock() else {
        return;
    };
    let index = match tallies.iter().position(|(k, _)| *k == kind) {
        Some(index) => index,
        None => {
            tallies.push((kind, Tally::default()));
            tallies.len() - 1
        }
    };
    let tally = &mut tallies[index].1;
    tally.opened += usize::from(opened);
    if let Some(lifetime) = lifetime {
        tally.lifetimes.push(lifetime.as_secs_f64());
    }
}

/// Reads until the server closes `stream`; how long that took.
async fn until_closed(mut stream: TcpStream, opened: Instant) -> Duration {
    let mut buffer = [0u8; 4096];
    while matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {}
    opened.elapsed()
}

async fn hold(address: SocketAddr, kind: &'static str, deadline: Instant, tallies: Tallies) {
    while Instant::now() < deadline {
        let opened = Instant::now();
        let Ok(mut stream) = TcpStream::connect(address).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        record(&tallies, kind, true, None);
        let closed = match kind {
            "silent TCP" => {
                tokio::time::timeout_at(deadline.into(), until_closed(stream, opened)).await
            }
            "partial HTTP/2 preface" => {
                let _ = stream.write_all(b"PRI * HTTP/2.0\r\n").await;
                tokio::time::timeout_at(deadline.into(), until_closed(stream, opened)).await
            }
            "stalled body, HTTP/1" => {
                let _ = stream
                    .write_all(b"POST /optout/carbon HTTP/1.1\r\nHost: octoprint.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\n\r\n")
                    .await;
                tokio::time::timeout_at(deadline.into(), until_closed(stream, opened)).await
            }
            "idle HTTP/2" => {
                let Ok((client, connection)) = h2::client::handshake(stream).await else {
                    continue;
                };
                let closed = tokio::time::timeout_at(deadline.into(), connection).await;
                drop(client);
                closed.map(|_| opened.elapsed())
            }
            _ => {
                let Ok((client, connection)) = h2::client::handshake(stream).await else {
                    continue;
                };
                let connection = tokio::spawn(connection);
                let mut streams = Vec::new();
                let mut client = client;
                for _ in 0..STREAMS_PER_CONNECTION {
                    let Ok(ready) = client.clone().ready().await else {
                        break;
                    };
                    client = ready;
                    let request = Request::builder()
                        .method(Method::POST)
                        .uri(format!("http://{address}/optout/carbon"))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("content-length", "20")
                        .body(())
                        .expect("a valid request");
                    match client.send_request(request, false) {
                        Ok(stream) => streams.push(stream),
                        Err(_) => break,
                    }
                }
                let closed = tokio::time::timeout_at(deadline.into(), connection).await;
                drop((client, streams));
                closed.map(|_| opened.elapsed())
            }
        };
        match closed {
            Ok(lifetime) => record(&tallies, kind, false, Some(lifetime)),
            Err(_) => return, // the deadline: stop
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let address: SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
        .parse()?;
    anyhow::ensure!(address.ip().is_loopback(), "loopback addresses only");
    let seconds: u64 = args.next().unwrap_or_else(|| "60".to_owned()).parse()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tallies = Tallies::default();
    let mut tasks = tokio::task::JoinSet::new();
    for (kind, count) in [
        ("silent TCP", SILENT),
        ("partial HTTP/2 preface", PARTIAL_PREFACE),
        ("idle HTTP/2", IDLE_HTTP2),
        ("stalled body, HTTP/1", STALLED_HTTP1),
        (
            "stalled bodies, HTTP/2 (64 streams)",
            STALLED_HTTP2_CONNECTIONS,
        ),
    ] {
        for _ in 0..count {
            tasks.spawn(hold(address, kind, deadline, Arc::clone(&tallies)));
        }
    }
    while tasks.join_next().await.is_some() {}
    let tallies = tallies.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    println!(
        "| attack | held at once | opened in {seconds} s | closed by the server | median / max seconds to close |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for (kind, tally) in tallies.iter() {
        let mut lifetimes = tally.lifetimes.clone();
        lifetimes.sort_by(f64::total_cmp);
        let median = lifetimes
            .get(lifetimes.len() / 2)
            .copied()
            .unwrap_or(f64::NAN);
        let max = lifetimes.last().copied().unwrap_or(f64::NAN);
        let held = match *kind {
            "silent TCP" => SILENT,
            "partial HTTP/2 preface" => PARTIAL_PREFACE,
            "idle HTTP/2" => IDLE_HTTP2,
            "stalled body, HTTP/1" => STALLED_HTTP1,
            _ => STALLED_HTTP2_CONNECTIONS,
        };
        println!(
            "| {kind} | {held} | {} | {} | {median:.1} / {max:.1} |",
            tally.opened,
            lifetimes.len()
        );
    }
    Ok(())
}
