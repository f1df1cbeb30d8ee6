//! The server's header read timeout (`[http] header_read_timeout`), kept per connection
//! instead of per request.
//!
//! hyper's own `header_read_timeout` asks its timer for a new boxed sleep at the start of
//! every request head and drops it once the head is parsed: a clock read, an allocation
//! and a free per request, even for pipelined requests whose heads are already in the
//! buffer. The same protection (a client that does not complete a request head in time,
//! slowloris, or keeps an idle keep-alive connection open, is disconnected) costs
//! nothing per request when it watches the connection instead:
//!
//! - the server counts, per connection, the requests whose head was read (the service
//!   was called) and those still in flight (until hyper drops the response body, that is
//!   once it has all been handed to the socket), and the IO notes whether a write is
//!   blocked on a slow reader;
//! - each time the connection's future waits, the [`Watchdog`] checks those: when no
//!   request is in flight and nothing waits to be written, the connection waits for a
//!   request head, and one tokio timer per connection (moved lazily, never reallocated;
//!   see [`Watchdog`]) closes it at that wait's deadline.
//!
//! One pipelined batch of requests is one wait, so the clock is read once per batch.
//! HTTP/2 connections are left alone (hyper's timeout never applied to them either:
//! their streams are separate tasks, and idle HTTP/2 connections are the client's to
//! close).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use hyper::rt::{Read, ReadBufCursor, Write};

/// What the server knows of one connection's requests.
///
/// Aligned to 128 bytes, as the server's per-connection handle is (`Peer` in
/// `server.rs`): its counters are written on every request, and the activities of
/// connections accepted one after another would otherwise share cache lines between the
/// cores that serve them.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Activity {
    /// Requests whose head was read.
    started: AtomicUsize,
    /// Requests whose response body hyper has not dropped yet.
    in_flight: AtomicUsize,
    /// Whether the last write or flush to the socket could not complete.
    write_blocked: AtomicBool,
    /// Whether the connection speaks HTTP/2 (no head timeout then).
    http2: AtomicBool,
}

impl Activity {
    /// A request's head was read: in flight until the returned guard is dropped (the
    /// server keeps it in the response body).
    ///
    /// On HTTP/1 the counters are written with plain loads and stores, not atomic
    /// read-modify-writes (which stall a core for tens of cycles, several times per
    /// request): one connection's requests are started, and their bodies dropped, by its
    /// one task, so no two writes can race. HTTP/2 serves each stream in a task of its
    /// own; there nothing is counted (no head timeout applies to it).
    ///
    /// The guard holds `conn`, the caller's handle on whatever owns the activity (the
    /// server's per-connection state), so that the request's future and its body keep
    /// one reference between them, not one each.
    pub(crate) fn start<C: AsRef<Activity>>(conn: Arc<C>, version: http::Version) -> InFlight<C> {
        let activity = (*conn).as_ref();
        if version == http::Version::HTTP_2 {
            activity.http2.store(true, Relaxed);
            return InFlight { conn, counted: false };
        }
        activity
            .started
            .store(activity.started.load(Relaxed).wrapping_add(1), Relaxed);
        activity
            .in_flight
            .store(activity.in_flight.load(Relaxed) + 1, Relaxed);
        InFlight { conn, counted: true }
    }
}

impl AsRef<Activity> for Activity {
    fn as_ref(&self) -> &Activity {
        self
    }
}

/// One request in flight on its connection (see [`Activity::start`]), holding the
/// connection's handle; not counted for an HTTP/2 stream.
#[derive(Debug)]
pub(crate) struct InFlight<C: AsRef<Activity>> {
    conn: Arc<C>,
    counted: bool,
}

impl<C: AsRef<Activity>> InFlight<C> {
    /// The connection's handle the guard holds.
    pub(crate) fn conn(&self) -> &Arc<C> {
        &self.conn
    }
}

impl<C: AsRef<Activity>> Drop for InFlight<C> {
    fn drop(&mut self) {
        if self.counted {
            let in_flight = &(*self.conn).as_ref().in_flight;
            in_flight.store(in_flight.load(Relaxed).saturating_sub(1), Relaxed);
        }
    }
}

/// Decides, each time a connection's future is pending, whether the client has had its
/// time to send a request head.
///
/// The timer is moved lazily: a new wait for a head only notes its deadline, and the
/// timer, still set to an earlier deadline, is moved to the noted one when it fires.
/// Moving a tokio timer takes its driver's lock, which on a keep-alive connection
/// without pipelining would be once per request; this way it is once per timeout
/// period at most, and the connection still closes at the deadline of the wait that
/// ran out.
pub(crate) struct Watchdog {
    activity: Arc<Activity>,
    timeout: Duration,
    /// `started` when last looked at.
    seen: usize,
    /// The deadline of the current wait for a head, once one began.
    deadline: Option<tokio::time::Instant>,
    /// The waker the timer holds while it has not run out: polling the timer again with
    /// the same one would only register it again (a few atomic writes per request).
    registered: Option<Waker>,
}

impl Watchdog {
    pub(crate) fn new(activity: Arc<Activity>, timeout: Duration) -> Watchdog {
        Watchdog {
            activity,
            timeout,
            seen: 0,
            deadline: None,
            registered: None,
        }
    }

    /// Called after the connection's future returned `Pending`, with the connection's
    /// timer: true when the connection has waited for a request head past the timeout
    /// and is to be closed. Registers `cx` with the timer while waiting.
    pub(crate) fn expired(&mut self, mut sleep: Pin<&mut tokio::time::Sleep>, cx: &mut Context<'_>) -> bool {
        let activity = &*self.activity;
        if activity.http2.load(Relaxed) {
            return false;
        }
        let started = activity.started.load(Relaxed);
        if activity.in_flight.load(Relaxed) > 0 || activity.write_blocked.load(Relaxed) {
            // Serving: the wait for the next head starts when this ends.
            self.deadline = None;
            self.seen = started;
            return false;
        }
        let deadline = match self.deadline {
            Some(deadline) if started == self.seen => deadline,
            // A new wait (requests were served since the last look): a new deadline.
            _ => {
                self.seen = started;
                *self.deadline.insert(tokio::time::Instant::now() + self.timeout)
            }
        };
        if sleep.deadline() > deadline {
            sleep.as_mut().reset(deadline);
            // A moved timer holds no waker until it is polled again.
            self.registered = None;
        }
        loop {
            let holds_waker = self.registered.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
            if holds_waker && !sleep.is_elapsed() {
                return false;
            }
            if sleep.as_mut().poll(cx).is_pending() {
                if !holds_waker {
                    self.registered = Some(cx.waker().clone());
                }
                return false;
            }
            // Run out: the timer woke its waker and holds none now.
            self.registered = None;
            if sleep.deadline() >= deadline {
                return true;
            }
            // The timer ran out at an earlier wait's deadline: on to this one's.
            sleep.as_mut().reset(deadline);
        }
    }
}

/// The connection's IO, noting in [`Activity`] whether writes are blocked (a client
/// reading its response slowly is not one that is slow to send a head).
pub(crate) struct WatchedIo<T> {
    io: T,
    activity: Arc<Activity>,
}

impl<T> WatchedIo<T> {
    pub(crate) fn new(io: T, activity: Arc<Activity>) -> WatchedIo<T> {
        WatchedIo { io, activity }
    }

    fn note<R>(&self, poll: Poll<R>) -> Poll<R> {
        self.activity.write_blocked.store(poll.is_pending(), Relaxed);
        poll
    }
}

impl<T: Read + Unpin> Read for WatchedIo<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for WatchedIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write(cx, buf);
        this.note(poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.note(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_flush(cx);
        this.note(poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_millis(300);
    const PAST_IT: Duration = Duration::from_millis(450);

    fn expired(dog: &mut Watchdog, sleep: Pin<&mut tokio::time::Sleep>) -> bool {
        let waker = futures::task::noop_waker();
        dog.expired(sleep, &mut Context::from_waker(&waker))
    }

    #[tokio::test]
    async fn fires_only_while_waiting_for_a_head() {
        let activity = Arc::new(Activity::default());
        let mut dog = Watchdog::new(activity.clone(), TIMEOUT);
        let sleep = tokio::time::sleep(Duration::from_secs(3600));
        tokio::pin!(sleep);

        // Idle from the start: a deadline at the first look.
        assert!(!expired(&mut dog, sleep.as_mut()));
        // A request in flight for longer than the timeout is not cut off...
        let request = Activity::start(activity.clone(), http::Version::HTTP_11);
        tokio::time::sleep(PAST_IT).await;
        assert!(!expired(&mut dog, sleep.as_mut()));
        // ...nor a response still being written to a slow reader.
        drop(request);
        activity.write_blocked.store(true, Relaxed);
        assert!(!expired(&mut dog, sleep.as_mut()));
        activity.write_blocked.store(false, Relaxed);

        // The next wait for a head gets a deadline of its own, then the connection is
        // to be closed.
        assert!(!expired(&mut dog, sleep.as_mut()));
        tokio::time::sleep(PAST_IT).await;
        assert!(expired(&mut dog, sleep.as_mut()));
    }

    #[tokio::test]
    async fn requests_served_between_looks_restart_the_wait() {
        let activity = Arc::new(Activity::default());
        let mut dog = Watchdog::new(activity.clone(), TIMEOUT);
        let sleep = tokio::time::sleep(Duration::from_secs(3600));
        tokio::pin!(sleep);
        assert!(!expired(&mut dog, sleep.as_mut()));
        tokio::time::sleep(PAST_IT).await;
        // A pipelined batch served entirely between two looks: a new wait.
        for _ in 0..16 {
            drop(Activity::start(activity.clone(), http::Version::HTTP_11));
        }
        assert!(!expired(&mut dog, sleep.as_mut()));
        tokio::time::sleep(PAST_IT).await;
        assert!(expired(&mut dog, sleep.as_mut()));

        // HTTP/2 connections are never timed out here.
        drop(Activity::start(activity.clone(), http::Version::HTTP_2));
        assert!(!expired(&mut dog, sleep.as_mut()));
    }

    /// The timer is not moved for each new wait: it runs out at an earlier wait's
    /// deadline and only then moves on to the current one.
    #[tokio::test]
    async fn a_new_wait_moves_the_timer_only_when_it_runs_out() {
        let activity = Arc::new(Activity::default());
        let mut dog = Watchdog::new(activity.clone(), TIMEOUT);
        // The server's timer starts out already run out.
        let sleep = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(sleep);
        assert!(!expired(&mut dog, sleep.as_mut()));
        // Once run out, it moves to the first wait's deadline.
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!expired(&mut dog, sleep.as_mut()));
        let first = sleep.deadline();
        assert!(first > tokio::time::Instant::now());
        tokio::time::sleep(TIMEOUT / 2).await;
        drop(Activity::start(activity.clone(), http::Version::HTTP_11));
        // A new wait: the timer keeps the first wait's deadline...
        assert!(!expired(&mut dog, sleep.as_mut()));
        assert_eq!(sleep.deadline(), first);
        // ...which passes without closing the connection: the timer moves on.
        tokio::time::sleep(TIMEOUT / 2 + TIMEOUT / 4).await;
        assert!(!expired(&mut dog, sleep.as_mut()));
        assert!(sleep.deadline() > first);
        tokio::time::sleep(TIMEOUT / 2).await;
        assert!(expired(&mut dog, sleep.as_mut()));
    }

    /// Once the timer has run out at an earlier wait's deadline and moved on, it must
    /// wake the connection at the current wait's: only the timer can wake a connection
    /// whose client sends nothing.
    #[tokio::test]
    async fn the_moved_timer_wakes_the_connection() {
        let activity = Arc::new(Activity::default());
        let mut dog = Watchdog::new(activity.clone(), TIMEOUT);
        let sleep = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(sleep);
        let start = tokio::time::Instant::now();
        /// One look with the task's own waker.
        async fn look(dog: &mut Watchdog, sleep: Pin<&mut tokio::time::Sleep>) -> bool {
            let mut sleep = Some(sleep);
            std::future::poll_fn(|cx| Poll::Ready(sleep.take().is_some_and(|s| dog.expired(s, cx)))).await
        }
        assert!(!look(&mut dog, sleep.as_mut()).await);
        tokio::time::sleep(TIMEOUT / 2).await;
        drop(Activity::start(activity.clone(), http::Version::HTTP_11));
        // A new wait, seen after the timer ran out at the first wait's deadline.
        assert!(!look(&mut dog, sleep.as_mut()).await);
        // From here only the timer wakes this task.
        let closed = std::future::poll_fn(|cx| match dog.expired(sleep.as_mut(), cx) {
            true => Poll::Ready(()),
            false => Poll::Pending,
        });
        tokio::time::timeout(TIMEOUT * 4, closed)
            .await
            .expect("the timer woke the connection");
        // At the second wait's deadline (1.5 timeouts from the start), not at whatever
        // else happened to wake the task later (here the 4-timeout guard above).
        let waited = start.elapsed();
        assert!(waited >= TIMEOUT + TIMEOUT / 2, "{waited:?}");
        assert!(waited < TIMEOUT * 2 + TIMEOUT / 2, "{waited:?}");
    }
}
