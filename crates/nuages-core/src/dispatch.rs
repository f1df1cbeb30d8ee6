//! Signals: Django's `django.dispatch`.
//!
//! A [`Signal<A, R>`] is a typed broadcast point: code that wants to be told when something
//! happens connects a receiver, code where it happens sends the signal with its arguments
//! (a value of type `A`), and every receiver whose sender filter matches runs. Django's
//! keyword arguments become the fields of `A`, so a receiver reads them with the compiler
//! checking the names; Django's `sender` is a [`Sender`] (a name such as a model label).
//!
//! What maps to what:
//!
//! | Django | nuages |
//! |---|---|
//! | `Signal()` | `static S: Signal<Args> = Signal::new("name");` |
//! | `s.connect(f)` / `s.connect(f, sender=X, dispatch_uid="u")` | [`Signal::connect`], [`Signal::connect_receiver`] with [`Receiver::sender`], [`Receiver::dispatch_uid`] |
//! | weak references (the default) | [`Receiver::weak`]: the signal holds a `Weak`; the receiver goes when its last `Arc` does |
//! | strong references (`weak=False`) | [`Signal::connect`] (closures have no owner to outlive them) |
//! | `async def` receivers | [`Signal::connect_async`] |
//! | `s.disconnect(...)` | [`Signal::disconnect`], [`Signal::disconnect_uid`] |
//! | `s.send(sender, **kw)` | [`Signal::send`]: the first error stops and is returned |
//! | `s.send_robust(sender, **kw)` | [`Signal::send_robust`]: every receiver runs, one result each |
//! | `s.has_listeners(sender)` | [`Signal::has_listeners`] |
//!
//! As in Django, synchronous receivers run first, in the order they were connected, then
//! the asynchronous ones run concurrently. A receiver returns `Result<R, BoxError>`: any
//! error type converts with `?`, and [`Signal::send`] hands the receiver's own error back.
//!
//! The seeds' custom signal:
//!
//! ```
//! # futures::executor::block_on(async {
//! use nuages_core::dispatch::{Receiver, Signal};
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! /// `order_placed = Signal()`; the keyword arguments are the fields.
//! pub struct OrderPlaced { pub order_id: i64, pub total_cents: i64 }
//! pub static ORDER_PLACED: Signal<OrderPlaced> = Signal::new("order_placed");
//!
//! static REVENUE: AtomicU64 = AtomicU64::new(0);
//! ORDER_PLACED.connect_receiver(
//!     Receiver::new(|e: &nuages_core::dispatch::Event<OrderPlaced>| {
//!         REVENUE.fetch_add(e.total_cents as u64, Ordering::Relaxed);
//!         Ok(())
//!     })
//!     .sender("shop.Order")
//!     .dispatch_uid("revenue"),
//! );
//! ORDER_PLACED.send("shop.Order", OrderPlaced { order_id: 1, total_cents: 1250 }).await.unwrap();
//! // A different sender does not reach the receiver.
//! ORDER_PLACED.send("shop.Refund", OrderPlaced { order_id: 2, total_cents: 99 }).await.unwrap();
//! assert_eq!(REVENUE.load(Ordering::Relaxed), 1250);
//! assert!(ORDER_PLACED.disconnect_uid("revenue", Some(&"shop.Order".into())));
//! # });
//! ```

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};

use crate::error::Error;

/// The error a receiver returns: any error type, boxed (`?` converts into it).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A boxed future, as asynchronous receivers return them.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Who sends a signal: Django's `sender` argument. Receivers connected with a sender only
/// run for signals sent by an equal sender; model signals use the model's label
/// (`"bookstore.Book"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sender(Cow<'static, str>);

impl Sender {
    /// A sender named by a static string, usable in `const` and `static` items.
    pub const fn from_static(name: &'static str) -> Sender {
        Sender(Cow::Borrowed(name))
    }

    /// A sender with any name.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Sender {
        Sender(name.into())
    }

    /// The sender's name.
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&'static str> for Sender {
    fn from(s: &'static str) -> Sender {
        Sender::from_static(s)
    }
}

impl From<String> for Sender {
    fn from(s: String) -> Sender {
        Sender(Cow::Owned(s))
    }
}

impl From<&Sender> for Sender {
    fn from(s: &Sender) -> Sender {
        s.clone()
    }
}

/// One sending of a signal as a receiver sees it: the sender and the arguments. It
/// dereferences to the arguments, so `event.order_id` reads a field directly.
#[derive(Debug)]
pub struct Event<A> {
    sender: Sender,
    args: A,
}

impl<A> Event<A> {
    /// The sender of this signal (Django's `sender` keyword argument).
    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// The arguments (also reachable through `Deref`).
    pub fn args(&self) -> &A {
        &self.args
    }
}

impl<A> Deref for Event<A> {
    type Target = A;
    fn deref(&self) -> &A {
        &self.args
    }
}

/// A synchronous receiver. Every `Fn(&Event<A>) -> Result<R, BoxError>` closure is one;
/// implement it on a type of your own to connect it weakly ([`Receiver::weak`]).
pub trait Receive<A, R = ()>: Send + Sync + 'static {
    /// Handles one sending of the signal.
    fn receive(&self, event: &Event<A>) -> Result<R, BoxError>;
}

impl<A, R, F> Receive<A, R> for F
where
    F: Fn(&Event<A>) -> Result<R, BoxError> + Send + Sync + 'static,
{
    fn receive(&self, event: &Event<A>) -> Result<R, BoxError> {
        self(event)
    }
}

type AsyncFn<A, R> = dyn Fn(Arc<Event<A>>) -> BoxFuture<Result<R, BoxError>> + Send + Sync;

enum Callback<A, R> {
    Strong(Arc<dyn Receive<A, R>>),
    Weak(Weak<dyn Receive<A, R>>, usize),
    Async(Arc<AsyncFn<A, R>>),
}

impl<A, R> Clone for Callback<A, R> {
    fn clone(&self) -> Self {
        match self {
            Callback::Strong(f) => Callback::Strong(f.clone()),
            Callback::Weak(w, p) => Callback::Weak(w.clone(), *p),
            Callback::Async(f) => Callback::Async(f.clone()),
        }
    }
}

/// A receiver with its connection options (Django's `connect(receiver, sender=...,
/// weak=..., dispatch_uid=...)`), for [`Signal::connect_receiver`].
pub struct Receiver<A, R = ()> {
    callback: Callback<A, R>,
    sender: Option<Sender>,
    dispatch_uid: Option<String>,
}

impl<A: Send + Sync + 'static, R: Send + 'static> Receiver<A, R> {
    /// A synchronous receiver, held strongly.
    pub fn new<F>(f: F) -> Self
    where
        F: Fn(&Event<A>) -> Result<R, BoxError> + Send + Sync + 'static,
    {
        Receiver {
            callback: Callback::Strong(Arc::new(f)),
            sender: None,
            dispatch_uid: None,
        }
    }

    /// An asynchronous receiver (Django's `async def` receiver), held strongly.
    pub fn new_async<F, Fut>(f: F) -> Self
    where
        F: Fn(Arc<Event<A>>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, BoxError>> + Send + 'static,
    {
        let f: Arc<AsyncFn<A, R>> = Arc::new(move |e| Box::pin(f(e)) as BoxFuture<_>);
        Receiver {
            callback: Callback::Async(f),
            sender: None,
            dispatch_uid: None,
        }
    }

    /// A weakly referenced receiver (Django's default `weak=True`): the signal keeps only a
    /// `Weak`, so the receiver is disconnected once every `Arc` to it is dropped. Connecting
    /// the same `Arc` twice (with the same sender) connects it once, as Django does for the
    /// same function.
    pub fn weak<T: Receive<A, R>>(receiver: &Arc<T>) -> Self {
        let ptr = Arc::as_ptr(receiver) as *const () as usize;
        let strong: Arc<dyn Receive<A, R>> = receiver.clone();
        Receiver {
            callback: Callback::Weak(Arc::downgrade(&strong), ptr),
            sender: None,
            dispatch_uid: None,
        }
    }

    /// Only run for signals sent by `sender` (Django's `sender=`).
    pub fn sender(mut self, sender: impl Into<Sender>) -> Self {
        self.sender = Some(sender.into());
        self
    }

    /// Django's `dispatch_uid`: connecting again with the same uid (and sender) keeps the
    /// first receiver and connects nothing new, so a module imported twice does not
    /// register its receivers twice.
    pub fn dispatch_uid(mut self, uid: impl Into<String>) -> Self {
        self.dispatch_uid = Some(uid.into());
        self
    }
}

/// The handle [`Signal::connect`] returns, to disconnect that receiver and to tell the
/// results of [`Signal::send`] apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReceiverId(u64);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Django's lookup key: the `dispatch_uid`, else the receiver's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Uid(String),
    Ptr(usize),
    Id(u64),
}

struct Entry<A, R> {
    id: ReceiverId,
    key: Key,
    sender: Option<Sender>,
    callback: Callback<A, R>,
}

impl<A, R> Entry<A, R> {
    fn matches(&self, sender: &Sender) -> bool {
        self.sender.as_ref().is_none_or(|s| s == sender)
    }

    fn is_dead(&self) -> bool {
        matches!(&self.callback, Callback::Weak(w, _) if w.strong_count() == 0)
    }
}

/// A signal whose arguments are an `A` and whose receivers answer an `R` (usually `()`).
/// Declare it as a `static`; connecting and sending take `&self`.
pub struct Signal<A, R = ()> {
    name: &'static str,
    receivers: RwLock<Vec<Entry<A, R>>>,
    /// Number of connected receivers (dead weak ones included until pruned): lets
    /// [`Signal::has_listeners`] answer without a lock when nothing is connected.
    count: AtomicUsize,
}

impl<A, R> fmt::Debug for Signal<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("name", &self.name)
            .field("receivers", &self.count.load(Ordering::Relaxed))
            .finish()
    }
}

impl<A: Send + Sync + 'static, R: Send + 'static> Signal<A, R> {
    /// A signal with no receivers; `name` appears in errors and debug output.
    pub const fn new(name: &'static str) -> Self {
        Signal {
            name,
            receivers: RwLock::new(Vec::new()),
            count: AtomicUsize::new(0),
        }
    }

    /// The signal's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Entry<A, R>>> {
        self.receivers.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Entry<A, R>>> {
        self.receivers.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Connects a synchronous receiver for every sender (Django's `connect(f, weak=False)`).
    pub fn connect<F>(&self, f: F) -> ReceiverId
    where
        F: Fn(&Event<A>) -> Result<R, BoxError> + Send + Sync + 'static,
    {
        self.connect_receiver(Receiver::new(f))
    }

    /// Connects an asynchronous receiver for every sender.
    pub fn connect_async<F, Fut>(&self, f: F) -> ReceiverId
    where
        F: Fn(Arc<Event<A>>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, BoxError>> + Send + 'static,
    {
        self.connect_receiver(Receiver::new_async(f))
    }

    /// Connects a receiver with its options. When a receiver with the same lookup key
    /// (`dispatch_uid`, or the same weakly connected `Arc`) and the same sender is already
    /// connected, nothing is added and its id is returned, as in Django.
    pub fn connect_receiver(&self, receiver: Receiver<A, R>) -> ReceiverId {
        let id = ReceiverId(NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let key = match (&receiver.dispatch_uid, &receiver.callback) {
            (Some(uid), _) => Key::Uid(uid.clone()),
            (None, Callback::Weak(_, ptr)) => Key::Ptr(*ptr),
            (None, _) => Key::Id(id.0),
        };
        let mut entries = self.write();
        entries.retain(|e| !e.is_dead());
        if let Some(existing) = entries
            .iter()
            .find(|e| e.key == key && e.sender == receiver.sender)
        {
            return existing.id;
        }
        entries.push(Entry {
            id,
            key,
            sender: receiver.sender,
            callback: receiver.callback,
        });
        self.count.store(entries.len(), Ordering::Relaxed);
        id
    }

    /// Disconnects the receiver `connect` returned `id` for; false when it was not
    /// connected (Django's `disconnect` return value).
    pub fn disconnect(&self, id: ReceiverId) -> bool {
        self.remove(|e| e.id == id)
    }

    /// Django's `disconnect(sender=..., dispatch_uid=...)`: disconnects the receiver
    /// connected with this uid and sender (`None`: connected for every sender).
    pub fn disconnect_uid(&self, uid: &str, sender: Option<&Sender>) -> bool {
        self.remove(|e| matches!(&e.key, Key::Uid(u) if u == uid) && e.sender.as_ref() == sender)
    }

    fn remove(&self, pred: impl Fn(&Entry<A, R>) -> bool) -> bool {
        let mut entries = self.write();
        let before = entries.len();
        entries.retain(|e| !pred(e));
        let removed = entries.len() != before;
        self.count.store(entries.len(), Ordering::Relaxed);
        removed
    }

    /// Disconnects every receiver.
    pub fn disconnect_all(&self) {
        self.write().clear();
        self.count.store(0, Ordering::Relaxed);
    }

    /// Whether a live receiver would run for `sender` (`None`: for any sender). Senders
    /// of costly arguments check this first, as Django's model code does.
    ///
    /// Inlined up to the count: the server asks this of two signals on every request,
    /// and most projects connect nothing to them.
    #[inline]
    pub fn has_listeners(&self, sender: Option<&Sender>) -> bool {
        self.count.load(Ordering::Relaxed) != 0 && self.has_live_listeners(sender)
    }

    /// [`Signal::has_listeners`] once something is connected.
    fn has_live_listeners(&self, sender: Option<&Sender>) -> bool {
        self.read()
            .iter()
            .any(|e| !e.is_dead() && sender.is_none_or(|s| e.matches(s)))
    }

    /// The live receivers for `sender`, synchronous ones first (each group in connection
    /// order), pruning receivers whose weak reference died.
    fn live(&self, sender: &Sender) -> Vec<(ReceiverId, Callback<A, R>)> {
        if self.count.load(Ordering::Relaxed) == 0 {
            return Vec::new();
        }
        let (mut sync, mut asynchronous, mut dead) = (Vec::new(), Vec::new(), false);
        for e in self.read().iter() {
            if e.is_dead() {
                dead = true;
            } else if e.matches(sender) {
                match e.callback {
                    Callback::Async(_) => asynchronous.push((e.id, e.callback.clone())),
                    _ => sync.push((e.id, e.callback.clone())),
                }
            }
        }
        if dead {
            let mut entries = self.write();
            entries.retain(|e| !e.is_dead());
            self.count.store(entries.len(), Ordering::Relaxed);
        }
        sync.extend(asynchronous);
        sync
    }

    fn call_sync(cb: &Callback<A, R>, event: &Event<A>) -> Option<Result<R, BoxError>> {
        match cb {
            Callback::Strong(f) => Some(f.receive(event)),
            // The receiver may have died since `live` looked: it is then skipped.
            Callback::Weak(w, _) => w.upgrade().map(|f| f.receive(event)),
            Callback::Async(_) => None,
        }
    }

    /// Django's `send(sender, **kwargs)`: runs the receivers for `sender` and returns
    /// their answers. The first receiver error stops the sending and is returned as
    /// [`Error::Receiver`] (holding the receiver's own error).
    pub async fn send(&self, sender: impl Into<Sender>, args: A) -> Result<Vec<(ReceiverId, R)>, Error> {
        let sender = sender.into();
        let receivers = self.live(&sender);
        if receivers.is_empty() {
            return Ok(Vec::new());
        }
        let event = Arc::new(Event { sender, args });
        let mut out = Vec::with_capacity(receivers.len());
        let mut pending = Vec::new();
        for (id, cb) in receivers {
            match &cb {
                Callback::Async(f) => pending.push((id, f(event.clone()))),
                _ => {
                    if let Some(r) = Self::call_sync(&cb, &event) {
                        out.push((id, r.map_err(|source| self.error(source))?));
                    }
                }
            }
        }
        if !pending.is_empty() {
            let (ids, futs): (Vec<_>, Vec<_>) = pending.into_iter().unzip();
            let answers = futures::future::try_join_all(futs)
                .await
                .map_err(|source| self.error(source))?;
            out.extend(ids.into_iter().zip(answers));
        }
        Ok(out)
    }

    /// Django's `send_robust(sender, **kwargs)`: runs every receiver for `sender`, even
    /// after one fails, and returns each one's answer or error.
    pub async fn send_robust(
        &self,
        sender: impl Into<Sender>,
        args: A,
    ) -> Vec<(ReceiverId, Result<R, BoxError>)> {
        let sender = sender.into();
        let receivers = self.live(&sender);
        if receivers.is_empty() {
            return Vec::new();
        }
        let event = Arc::new(Event { sender, args });
        let mut out = Vec::with_capacity(receivers.len());
        let mut pending = Vec::new();
        for (id, cb) in receivers {
            match &cb {
                Callback::Async(f) => pending.push((id, f(event.clone()))),
                _ => {
                    if let Some(r) = Self::call_sync(&cb, &event) {
                        if let Err(e) = &r {
                            tracing::error!(signal = self.name, "Error calling receiver in send_robust: {e}");
                        }
                        out.push((id, r));
                    }
                }
            }
        }
        if !pending.is_empty() {
            let (ids, futs): (Vec<_>, Vec<_>) = pending.into_iter().unzip();
            let answers = futures::future::join_all(futs).await;
            for (id, r) in ids.into_iter().zip(answers) {
                if let Err(e) = &r {
                    tracing::error!(signal = self.name, "Error calling receiver in send_robust: {e}");
                }
                out.push((id, r));
            }
        }
        out
    }

    fn error(&self, source: BoxError) -> Error {
        Error::Receiver {
            signal: self.name,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Debug)]
    struct Args {
        n: i32,
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    #[test]
    fn order_sender_filter_and_answers() {
        let s: Signal<Args, i32> = Signal::new("t");
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        s.connect_async(move |e: Arc<Event<Args>>| {
            let l = l.clone();
            async move {
                l.lock().unwrap().push(format!("async {}", e.n));
                Ok(e.n * 10)
            }
        });
        let l = log.clone();
        let a = s.connect(move |e: &Event<Args>| {
            l.lock().unwrap().push(format!("a {} from {}", e.n, e.sender()));
            Ok(e.n)
        });
        let l = log.clone();
        s.connect_receiver(
            Receiver::new(move |e: &Event<Args>| {
                l.lock().unwrap().push(format!("only x {}", e.n));
                Ok(0)
            })
            .sender("x"),
        );
        let answers = block_on(s.send("y", Args { n: 2 })).unwrap();
        assert_eq!(answers.len(), 2);
        assert_eq!(answers[0], (a, 2));
        assert_eq!(answers[1].1, 20);
        assert_eq!(*log.lock().unwrap(), vec!["a 2 from y", "async 2"]);
        assert!(s.has_listeners(Some(&"x".into())));
        assert_eq!(block_on(s.send("x", Args { n: 1 })).unwrap().len(), 3);
    }

    #[test]
    fn errors_send_and_send_robust() {
        let s: Signal<Args> = Signal::new("t");
        let ran = Arc::new(AtomicUsize::new(0));
        s.connect(|_: &Event<Args>| Err("boom".into()));
        let r = ran.clone();
        s.connect(move |_: &Event<Args>| {
            r.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        let err = block_on(s.send("x", Args { n: 0 })).unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        let results = block_on(s.send_robust("x", Args { n: 0 }));
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].1.as_ref().unwrap_err().to_string(), "boom");
        assert!(results[1].1.is_ok());
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn dispatch_uid_disconnect_and_weak() {
        let s: Signal<Args> = Signal::new("t");
        let a = s.connect_receiver(Receiver::new(|_: &Event<Args>| Ok(())).dispatch_uid("u"));
        let b = s.connect_receiver(Receiver::new(|_: &Event<Args>| Ok(())).dispatch_uid("u"));
        assert_eq!(a, b);
        let c = s.connect_receiver(
            Receiver::new(|_: &Event<Args>| Ok(()))
                .dispatch_uid("u")
                .sender("x"),
        );
        assert_ne!(a, c);
        assert!(s.disconnect_uid("u", None));
        assert!(!s.disconnect_uid("u", None));
        assert!(s.disconnect(c));
        assert!(!s.disconnect(c));
        assert!(!s.has_listeners(None));

        struct Counter(AtomicUsize);
        impl Receive<Args> for Counter {
            fn receive(&self, _: &Event<Args>) -> Result<(), BoxError> {
                self.0.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let w1 = s.connect_receiver(Receiver::weak(&counter));
        let w2 = s.connect_receiver(Receiver::weak(&counter));
        assert_eq!(w1, w2);
        block_on(s.send("x", Args { n: 0 })).unwrap();
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        drop(counter);
        assert!(!s.has_listeners(None));
        assert!(block_on(s.send("x", Args { n: 0 })).unwrap().is_empty());
    }
}
