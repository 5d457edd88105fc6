//! What an open connection may hold, whatever protocol it speaks.
//!
//! hyper closes an HTTP/1 connection whose request head is slow, once it
//! knows the connection speaks HTTP/1. Nothing closes one that never sends a
//! byte (hyper-util's HTTP/1-or-2 detection waits without a deadline), one
//! that stops inside the HTTP/2 preface, or an HTTP/2 connection that idles
//! after its SETTINGS; each holds a file descriptor, and a few hundred of
//! them used to take the service offline. So every connection is watched
//! from the moment it is accepted:
//!
//! - **Idle deadline.** A connection with no request in flight (none yet,
//!   or none since its last response was sent) for `idle_timeout` is closed:
//!   gracefully (HTTP/2 `GOAWAY`), and at once if it is not even speaking.
//! - **A bound on open connections.** At the bound, the connection idle
//!   longest is closed to make room; if none is idle, the new one is turned
//!   away. A visitor's next connection always finds room while someone is
//!   merely holding connections open.
//!
//! A request is in flight from the moment its head has arrived until its
//! response is made; closing is graceful, so a response being written is
//! still sent in full.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, Response};
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tower::Service;

/// The open connections of one listener.
#[derive(Clone, Debug)]
pub struct Connections {
    open: Arc<Mutex<BTreeMap<u64, Arc<Activity>>>>,
    next_id: Arc<AtomicU64>,
    max: usize,
    idle_timeout: Duration,
    /// Told whenever a connection is closed, so shutdown can wait for the last.
    closed: Arc<Notify>,
}

/// What one connection is doing.
#[derive(Debug)]
struct Activity {
    in_flight: AtomicUsize,
    /// Told to close and not yet closed: it still holds its descriptor.
    closing: std::sync::atomic::AtomicBool,
    /// It has sent a byte: not a silent socket.
    spoke: std::sync::atomic::AtomicBool,
    /// It has delivered a request: a client, not just a socket.
    served: std::sync::atomic::AtomicBool,
    /// When the connection last became idle, in milliseconds since [`EPOCH`].
    idle_since: AtomicU64,
    /// Told to close: room was needed.
    evicted: Notify,
}

/// The origin of [`Activity::idle_since`].
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Milliseconds since [`EPOCH`], on tokio's clock: the real clock, except in
/// a test that pauses time, where it moves only as the test advances it.
fn now_ms() -> u64 {
    let now = tokio::time::Instant::now().into_std();
    u64::try_from(now.saturating_duration_since(*EPOCH).as_millis()).unwrap_or(u64::MAX)
}

impl Connections {
    /// At most `max` open connections (at least 1), each closed after
    /// `idle_timeout` with nothing in flight.
    pub fn new(max: usize, idle_timeout: Duration) -> Self {
        Connections {
            open: Arc::default(),
            next_id: Arc::default(),
            max: max.max(1),
            idle_timeout,
            closed: Arc::default(),
        }
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        self.open.lock().map_or(0, |open| open.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until there is room for one more connection: at the bound, the
    /// connection idle longest is told to close, and the wait lasts until it
    /// has (its descriptor is free), so that `accept` is never called past
    /// the bound; new connections wait in the kernel's listen queue meanwhile.
    /// Returns at once if no connection is idle or closing (the next one is
    /// turned away), and after a second at most whatever happens.
    pub async fn room(&self) {
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let closed = self.closed.notified();
            let full = self.open.lock().is_ok_and(|mut open| {
                open.len() >= self.max
                    && (evict_longest_idle(&mut open)
                        || open.values().any(|a| a.closing.load(Ordering::Acquire)))
            });
            if !full || Instant::now() >= deadline {
                return;
            }
            // A closing connection normally goes within milliseconds; one that
            // does not is passed over by the next round's eviction.
            let _ = tokio::time::timeout(Duration::from_millis(20), closed).await;
        }
    }

    /// Takes a newly accepted connection in, making room by closing the
    /// connection idle longest if the bound is reached; `None` if no room can be made.
    pub fn take_in(&self) -> Option<OpenConnection> {
        let activity = Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            closing: std::sync::atomic::AtomicBool::new(false),
            spoke: std::sync::atomic::AtomicBool::new(false),
            served: std::sync::atomic::AtomicBool::new(false),
            idle_since: AtomicU64::new(now_ms()),
            evicted: Notify::new(),
        });
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut open = self.open.lock().ok()?;
        if open.len() >= self.max && !evict_longest_idle(&mut open) {
            return None;
        }
        open.insert(id, Arc::clone(&activity));
        Some(OpenConnection {
            id,
            activity,
            connections: self.clone(),
        })
    }

    /// Closes the connection idle longest (when `accept` finds no file
    /// descriptor left); whether there was one.
    pub fn evict_longest_idle(&self) -> bool {
        self.open
            .lock()
            .is_ok_and(|mut open| evict_longest_idle(&mut open))
    }

    /// Resolves once every connection has closed.
    pub async fn all_closed(&self) {
        loop {
            let closed = self.closed.notified();
            if self.is_empty() {
                return;
            }
            closed.await;
        }
    }
}

/// How many of the oldest connections are looked at to find the one idle
/// longest: eviction stays cheap however many are open.
const EVICTION_WINDOW: usize = 1024;

/// Tells an idle connection (among the [`EVICTION_WINDOW`] oldest) to close:
/// one that has never sent a byte first, then one that has never delivered
/// a request, then clients (a flood of silent connections must push out
/// neither a new visitor whose request is still being read nor a visitor's
/// kept-alive connection between two requests); the one idle longest
/// within each. It stays on the books, `closing`, until it has closed.
fn evict_longest_idle(open: &mut BTreeMap<u64, Arc<Activity>>) -> bool {
    let oldest = open
        .values()
        .take(EVICTION_WINDOW)
        .filter(|activity| {
            activity.in_flight.load(Ordering::Acquire) == 0
                && !activity.closing.load(Ordering::Acquire)
        })
        .min_by_key(|activity| {
            (
                activity.served.load(Ordering::Acquire),
                activity.spoke.load(Ordering::Acquire),
                activity.idle_since.load(Ordering::Acquire),
            )
        });
    match oldest {
        Some(activity) => {
            activity.closing.store(true, Ordering::Release);
            activity.evicted.notify_one();
            true
        }
        None => false,
    }
}

/// One accepted connection; dropping it takes it off the books.
#[derive(Debug)]
pub struct OpenConnection {
    id: u64,
    activity: Arc<Activity>,
    connections: Connections,
}

impl OpenConnection {
    /// `io`, noting when this connection first sends a byte.
    pub fn listen<I>(&self, io: I) -> Heard<I> {
        Heard {
            inner: io,
            activity: Arc::clone(&self.activity),
            spoke: false,
        }
    }

    /// `service`, counting this connection's requests in flight.
    pub fn track<S>(&self, service: S) -> Tracked<S> {
        Tracked {
            inner: service,
            activity: Arc::clone(&self.activity),
        }
    }

    /// Resolves when the connection should close: idle past the deadline,
    /// or evicted to make room.
    pub async fn until_done(&self) {
        tokio::select! {
            () = self.idle_past_deadline() => {}
            () = self.activity.evicted.notified() => {}
        }
    }

    async fn idle_past_deadline(&self) {
        let timeout = self.connections.idle_timeout;
        loop {
            if self.activity.in_flight.load(Ordering::Acquire) > 0 {
                // Busy: look again a deadline later (a request ending
                // restarts the count from then).
                tokio::time::sleep(timeout).await;
                continue;
            }
            let idle_since = self.activity.idle_since.load(Ordering::Acquire);
            let idle_for = Duration::from_millis(now_ms().saturating_sub(idle_since));
            match timeout.checked_sub(idle_for) {
                Some(left) if !left.is_zero() => tokio::time::sleep(left).await,
                _ => return,
            }
        }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        if let Ok(mut open) = self.connections.open.lock() {
            open.remove(&self.id);
        }
        self.connections.closed.notify_waiters();
    }
}

/// A request in flight on one connection, until its response is made.
#[derive(Debug)]
pub struct RequestUnderway(Arc<Activity>);

impl RequestUnderway {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.served.store(true, Ordering::Release);
        RequestUnderway(Arc::clone(activity))
    }
}

impl Drop for RequestUnderway {
    fn drop(&mut self) {
        self.0.idle_since.store(now_ms(), Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection's transport, noting its first byte (see [`OpenConnection::listen`]).
#[derive(Debug)]
pub struct Heard<I> {
    inner: I,
    activity: Arc<Activity>,
    /// A copy of `activity.spoke`, so that later reads touch no atomic.
    spoke: bool,
}

impl<I: AsyncRead + Unpin> AsyncRead for Heard<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if !self.spoke && buf.filled().len() > before {
            self.spoke = true;
            self.activity.spoke.store(true, Ordering::Release);
        }
        result
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Heard<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A service that counts the requests in flight on its connection.
#[derive(Clone, Debug)]
pub struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S, B> Service<Request<B>> for Tracked<S>
where
    S: Service<Request<B>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = TrackedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        TrackedFuture {
            in_flight: Some(RequestUnderway::start(&self.activity)),
            inner: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's future, in flight until it resolves: done once the
    /// response is made, since a connection told to close gracefully still
    /// sends a response it is writing.
    pub struct TrackedFuture<F> {
        #[pin]
        inner: F,
        in_flight: Option<RequestUnderway>,
    }
}

impl<F: std::future::Future> std::future::Future for TrackedFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        this.in_flight.take();
        Poll::Ready(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(admitted: &OpenConnection) -> RequestUnderway {
        RequestUnderway::start(&admitted.activity)
    }

    #[test]
    fn at_the_bound_an_idle_connection_makes_room() {
        let connections = Connections::new(2, Duration::from_secs(60));
        let first = connections.take_in().expect("room");
        let second = connections.take_in().expect("room");
        let _working = busy(&first);
        let third = connections.take_in().expect("the idle second makes room");
        assert!(second.activity.closing.load(Ordering::Acquire));
        assert!(!first.activity.closing.load(Ordering::Acquire));
        // On the books until it has closed (its descriptor is still open).
        assert_eq!(connections.len(), 3);
        drop(second);
        assert_eq!(connections.len(), 2);
        let _also_working = busy(&third);
        assert!(connections.take_in().is_none(), "nobody idle: turned away");
        drop(first);
        assert_eq!(connections.len(), 1);
        assert!(connections.take_in().is_some());
    }

    #[test]
    fn the_connection_idle_longest_goes_first() {
        let connections = Connections::new(3, Duration::from_secs(60));
        let visitor = connections.take_in().expect("room");
        let silent = connections.take_in().expect("room");
        let other = connections.take_in().expect("room");
        // The visitor's connection was busy until just now; the silent one
        // has been idle longest.
        drop(busy(&visitor));
        silent.activity.idle_since.store(1_000, Ordering::Release);
        visitor.activity.idle_since.store(9_000, Ordering::Release);
        other.activity.idle_since.store(5_000, Ordering::Release);
        let _newcomer = connections.take_in().expect("room made");
        assert!(silent.activity.closing.load(Ordering::Acquire));
        assert!(!visitor.activity.closing.load(Ordering::Acquire));
        assert!(!other.activity.closing.load(Ordering::Acquire));
    }

    #[test]
    fn connections_that_never_spoke_go_before_clients() {
        let connections = Connections::new(2, Duration::from_secs(60));
        let visitor = connections.take_in().expect("room");
        let silent = connections.take_in().expect("room");
        drop(busy(&visitor));
        // The visitor has been idle far longer, but has been served.
        visitor.activity.idle_since.store(1_000, Ordering::Release);
        silent.activity.idle_since.store(9_000, Ordering::Release);
        let _newcomer = connections.take_in().expect("room made");
        assert!(silent.activity.closing.load(Ordering::Acquire));
        assert!(!visitor.activity.closing.load(Ordering::Acquire));
    }

    #[tokio::test]
    async fn a_connection_that_spoke_goes_after_silent_ones() {
        let connections = Connections::new(2, Duration::from_secs(60));
        let speaking = connections.take_in().expect("room");
        let silent = connections.take_in().expect("room");
        let (client, server) = tokio::io::duplex(64);
        let mut heard = speaking.listen(server);
        let mut client = client;
        tokio::io::AsyncWriteExt::write_all(&mut client, b"GET /")
            .await
            .expect("write");
        let mut buffer = [0u8; 8];
        let read = tokio::io::AsyncReadExt::read(&mut heard, &mut buffer)
            .await
            .expect("read");
        assert_eq!(&buffer[..read], b"GET /");
        // The speaking one is older and idle longer, but it spoke.
        speaking.activity.idle_since.store(1_000, Ordering::Release);
        silent.activity.idle_since.store(9_000, Ordering::Release);
        let _newcomer = connections.take_in().expect("room made");
        assert!(silent.activity.closing.load(Ordering::Acquire));
        assert!(!speaking.activity.closing.load(Ordering::Acquire));
    }

    #[tokio::test]
    async fn room_waits_for_the_evicted_connection_to_close() {
        let connections = Connections::new(2, Duration::from_secs(60));
        let busy_one = connections.take_in().expect("room");
        let _working = busy(&busy_one);
        let idle = connections.take_in().expect("room");
        let waiting = {
            let connections = connections.clone();
            tokio::spawn(async move { connections.room().await })
        };
        // Told to close, it closes (its task drops it) a moment later.
        tokio::time::timeout(Duration::from_secs(1), idle.until_done())
            .await
            .expect("told");
        assert!(!waiting.is_finished(), "no room until it has closed");
        drop(idle);
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("room once it closed")
            .expect("no panic");
        assert_eq!(connections.len(), 1);
        // Nobody idle: no wait at all.
        let _second = connections.take_in().expect("room");
        let second_busy = busy(&_second);
        tokio::time::timeout(Duration::from_millis(100), connections.room())
            .await
            .expect("returns at once");
        drop(second_busy);
    }

    #[tokio::test]
    async fn an_evicted_connection_is_told() {
        let connections = Connections::new(1, Duration::from_secs(60));
        let first = connections.take_in().expect("room");
        let _second = connections.take_in().expect("room made");
        tokio::time::timeout(Duration::from_secs(1), first.until_done())
            .await
            .expect("the evicted connection is told to close");
    }

    /// Runs the rest of a test on a paused clock, which moves only when every
    /// task waits on a timer (then straight to the next one): deadlines are
    /// met to the millisecond without waiting for them. [`EPOCH`] is read
    /// first, so that it is not later than the paused clock.
    fn pause_the_clock() {
        let _ = now_ms();
        tokio::time::pause();
    }

    /// Whether `until_done` resolves within `limit` of (paused) time.
    async fn done_within(connection: &OpenConnection, limit: Duration) -> bool {
        tokio::time::timeout(limit, connection.until_done())
            .await
            .is_ok()
    }

    const DEADLINE: Duration = Duration::from_secs(10);
    const JUST_UNDER: Duration = Duration::from_millis(9_990);
    const A_MOMENT: Duration = Duration::from_millis(20);

    #[tokio::test]
    async fn an_idle_connection_closes_at_the_deadline_not_before() {
        pause_the_clock();
        let connections = Connections::new(8, DEADLINE);
        let idle = connections.take_in().expect("room");
        assert!(
            !done_within(&idle, JUST_UNDER).await,
            "open until the deadline"
        );
        assert!(done_within(&idle, A_MOMENT).await, "closed at the deadline");
    }

    #[tokio::test]
    async fn a_request_in_flight_keeps_a_connection_open_and_its_end_restarts_the_count() {
        pause_the_clock();
        let connections = Connections::new(8, DEADLINE);
        let working = connections.take_in().expect("room");
        let request = busy(&working);
        assert!(
            !done_within(&working, DEADLINE * 6).await,
            "a request in flight keeps it open, however long it takes"
        );
        drop(request);
        assert!(
            !done_within(&working, JUST_UNDER).await,
            "idle since the request ended, not since it was taken in"
        );
        assert!(
            done_within(&working, A_MOMENT).await,
            "closed a deadline after"
        );
    }

    /// Between requests the count starts again: a connection used every
    /// 6 s of a 10 s deadline stays open, and closes 10 s after the last.
    #[tokio::test]
    async fn a_connection_in_use_is_not_idle() {
        pause_the_clock();
        let connections = Connections::new(8, DEADLINE);
        let used = connections.take_in().expect("room");
        for _ in 0..3 {
            assert!(!done_within(&used, Duration::from_secs(6)).await);
            drop(busy(&used));
        }
        assert!(!done_within(&used, JUST_UNDER).await);
        assert!(done_within(&used, A_MOMENT).await);
    }
}
