//! Graceful shutdown of the server's connections, for one atomic load per poll of a
//! connection.
//!
//! hyper-util's `GracefulShutdown` polls a `watch` channel's `changed()` future beside
//! each connection on every poll: a cooperative-budget check, a lock and a waker
//! comparison, about 235 instructions, twice per request on a keep-alive connection
//! (`docs/benchmarks.md`, session 12). Here a connection reads a flag, and registers its
//! task's waker only when that waker changes (in practice once). Starting the shutdown
//! sets the flag and wakes every registered connection; each then asks hyper to finish
//! the requests it has started and close. The server waits until every connection's
//! [`ConnectionWatch`] is dropped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};

/// The server's side: starts the shutdown and waits for the connections to end.
#[derive(Debug)]
pub(crate) struct Shutdown {
    shared: Arc<Shared>,
    /// Every connection holds a sender; the channel closes when the last is dropped.
    open: tokio::sync::mpsc::Sender<()>,
    closed: tokio::sync::mpsc::Receiver<()>,
}

#[derive(Debug, Default)]
struct Shared {
    started: AtomicBool,
    next_id: AtomicU64,
    /// The waker of each open connection that has been polled, by connection id.
    wakers: Mutex<HashMap<u64, Waker>>,
}

impl Shared {
    fn wakers(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Waker>> {
        self.wakers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Shutdown {
    pub(crate) fn new() -> Shutdown {
        let (open, closed) = tokio::sync::mpsc::channel(1);
        Shutdown {
            shared: Arc::default(),
            open,
            closed,
        }
    }

    /// The handle a new connection keeps until it ends.
    pub(crate) fn watch(&self) -> ConnectionWatch {
        ConnectionWatch {
            shared: self.shared.clone(),
            id: self.shared.next_id.fetch_add(1, Ordering::Relaxed),
            waker: None,
            began: false,
            _open: self.open.clone(),
        }
    }

    /// Tells every connection to finish its in-flight requests and close, and resolves
    /// once all of them have ended.
    pub(crate) async fn shutdown(self) {
        let Shutdown {
            shared,
            open,
            mut closed,
        } = self;
        // Set before the wakers are read: a connection registering after this lock sees
        // the flag when it checks it, right after registering.
        shared.started.store(true, Ordering::Release);
        let wakers: Vec<Waker> = shared.wakers().values().cloned().collect();
        for waker in wakers {
            waker.wake();
        }
        drop(open);
        // `None` once every connection's sender is dropped.
        let _ = closed.recv().await;
    }
}

/// One connection's view of the shutdown.
#[derive(Debug)]
pub(crate) struct ConnectionWatch {
    shared: Arc<Shared>,
    id: u64,
    /// The waker registered in `shared`, to tell when the task's waker changes.
    waker: Option<Waker>,
    /// Whether this connection has already been told.
    began: bool,
    _open: tokio::sync::mpsc::Sender<()>,
}

impl ConnectionWatch {
    /// Whether the shutdown has begun since this connection was last polled (true once):
    /// the caller then starts the connection's graceful shutdown. Registers the task's
    /// waker when it is not the one registered, before reading the flag, so that a
    /// shutdown starting meanwhile either sees the waker or is seen here.
    pub(crate) fn began(&mut self, cx: &Context<'_>) -> bool {
        if self.began {
            return false;
        }
        if !self.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            let waker = cx.waker().clone();
            self.shared.wakers().insert(self.id, waker.clone());
            self.waker = Some(waker);
        }
        self.began = self.shared.started.load(Ordering::Acquire);
        self.began
    }
}

impl Drop for ConnectionWatch {
    fn drop(&mut self) {
        if self.waker.is_some() {
            self.shared.wakers().remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::Poll;

    /// Counts its wakes.
    struct CountingWaker(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_connection_is_woken_and_told_once() {
        let shutdown = Shutdown::new();
        let counter = Arc::new(CountingWaker(Default::default()));
        let waker = Waker::from(counter.clone());
        let cx = Context::from_waker(&waker);
        let mut watch = shutdown.watch();
        assert!(!watch.began(&cx));
        assert!(!watch.began(&cx), "polled again, nothing new");
        let mut done = pin!(shutdown.shutdown());
        // The connection is still open: the shutdown waits for it, having woken it.
        assert!(done
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending());
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert!(watch.began(&cx));
        assert!(!watch.began(&cx), "told once");
        drop(watch);
        assert_eq!(
            done.as_mut().poll(&mut Context::from_waker(Waker::noop())),
            Poll::Ready(())
        );
    }

    #[test]
    fn a_connection_first_polled_after_the_shutdown_began_is_told() {
        let shutdown = Shutdown::new();
        let mut watch = shutdown.watch();
        let mut done = pin!(shutdown.shutdown());
        assert!(done
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending());
        assert!(watch.began(&Context::from_waker(Waker::noop())));
    }

    #[test]
    fn without_connections_the_shutdown_is_immediate() {
        let shutdown = Shutdown::new();
        let done = pin!(shutdown.shutdown());
        assert_eq!(
            done.poll(&mut Context::from_waker(Waker::noop())),
            Poll::Ready(())
        );
    }
}
