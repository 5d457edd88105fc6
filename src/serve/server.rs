//! Serving a router on a listener until shutdown: the accept loop, hyper's
//! settings, and every connection watched ([`crate::serve::connections`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Service;

use crate::layers::limits::{ConnectionLimits, MIN_HEADER_BYTES};
use crate::serve::connections::Connections;

/// How [`serve`] treats connections.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// How long in-flight requests may take to finish after shutdown begins.
    pub grace: Duration,
    /// Header size and read-time limits, enforced by hyper.
    pub limits: ConnectionLimits,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            grace: Duration::from_secs(10),
            limits: ConnectionLimits::default(),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops
/// accepting connections and lets in-flight requests finish, for at most
/// `options.grace`.
///
/// The accept loop is written out (rather than `axum::serve`) to configure
/// hyper (header size and read time) and to watch every connection (see
/// [`crate::serve::connections`]): `axum::serve` closes none that stays silent.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: ServeOptions,
) -> io::Result<()> {
    let limits = options.limits;
    let max_header_bytes = limits.max_header_bytes.max(MIN_HEADER_BYTES);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(max_header_bytes)
        // One buffer per response rather than headers and body as separate
        // slices for `writev`: copying a page is cheaper than the vectored
        // write (see BENCHMARKS.md).
        .writev(false);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(max_header_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        // A peer that stops answering pings is gone: its connection closes
        // even with streams open.
        .keep_alive_interval(limits.header_read_timeout)
        .keep_alive_timeout(limits.header_read_timeout);
    // Once: without a setting, this reads (and raises) the open-file limit.
    let max_connections = limits.raise_file_limit_for_connections();
    let connections = Connections::new(max_connections, limits.header_read_timeout);
    tracing::debug!(max_connections, "accepting connections");
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut last_refusal_logged = None;
    loop {
        // Never accept past the bound: new connections wait in the kernel's
        // queue while the connection idle longest closes.
        tokio::select! {
            () = connections.room() => {}
            () = &mut shutdown => break,
        }
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_error(err, &connections).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(open) = connections.take_in() else {
            // At most one line a minute: under attack this happens for
            // every connection, and the log must not become the next target.
            if last_refusal_logged.is_none_or(|at: Instant| at.elapsed() >= REFUSAL_LOG_INTERVAL) {
                tracing::warn!(
                    open = connections.len(),
                    "connection refused: every connection has a request in flight"
                );
                last_refusal_logged = Some(Instant::now());
            }
            continue;
        };
        // Without TCP_NODELAY a small response waits for the peer's delayed
        // ACK before its last segment goes out.
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(error = %err, "cannot set TCP_NODELAY");
        }
        let Ok(service) = make_service.call(peer).await;
        let connection = builder
            .serve_connection_with_upgrades(
                TokioIo::new(open.listen(tcp)),
                TowerToHyperService::new(open.track(service)),
            )
            .into_owned();
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let finished = tokio::select! {
                result = connection.as_mut() => Some(result),
                () = open.until_done() => None,
                _ = stopping.wait_for(|stop| *stop) => None,
            };
            let result = match finished {
                Some(result) => result,
                // Idle, evicted or shutting down: HTTP/2 says GOAWAY, HTTP/1
                // closes after the response in flight, if any; one that never
                // spoke closes now.
                None => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            // Resets, timeouts and malformed requests end here; hyper has
            // already answered what deserved an answer (400, 431).
            if let Err(err) = result {
                tracing::debug!(error = %err, "connection ended with an error");
            }
            drop(open);
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    let _ = stop.send(true);
    tokio::select! {
        () = connections.all_closed() => {}
        () = tokio::time::sleep(options.grace) => {
            tracing::warn!(grace_secs = options.grace.as_secs(), "grace period over; dropping unfinished requests");
        }
    }
    Ok(())
}

/// How often a refused connection is logged, at most.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// HTTP/2 streams one connection may have open at once (hyper's default is 200).
const MAX_STREAMS_PER_CONNECTION: u32 = 64;

/// A failed `accept`: a connection that died before it was taken is nothing;
/// out of file descriptors, the connection idle longest makes room (the bound
/// on connections should keep this from happening, but another process may
/// share the limit); anything else is logged and waited out, not spun on.
async fn accept_error(err: io::Error, connections: &Connections) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    let out_of_files = err.raw_os_error().is_some_and(|code| {
        code == rustix::io::Errno::MFILE.raw_os_error()
            || code == rustix::io::Errno::NFILE.raw_os_error()
    });
    if out_of_files && connections.evict_longest_idle() {
        tracing::debug!(error = %err, "accept failed; closing the connection idle longest");
        // Its task needs a moment to close it.
        tokio::time::sleep(Duration::from_millis(10)).await;
        return;
    }
    tracing::error!(error = %err, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Resolves on SIGINT or SIGTERM: what [`serve`] waits for in the binary.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for SIGTERM");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
