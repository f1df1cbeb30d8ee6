//! What a URL pattern points at: a view, as a function from `HttpRequest` to
//! `Result<HttpResponse, HttpError>` (an `async fn`, or a plain `fn` for a view that
//! waits on nothing), plus the attributes Django keeps on view functions
//! (`csrf_exempt`, `xframe_options_exempt`, ...), which middleware reads in
//! `process_view`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::error::HttpError;
use crate::request::HttpRequest;
use crate::response::HttpResponse;

/// A boxed, `Send` future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a view returns.
pub type ViewResult = Result<HttpResponse, HttpError>;

/// Anything callable as a view.
pub trait Handler: Send + Sync + 'static {
    /// Runs the view: a synchronous one at once, an `async` one when the call is
    /// awaited.
    fn call(&self, request: HttpRequest) -> ViewCall;
}

impl<F, Fut> Handler for F
where
    F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ViewResult> + Send + 'static,
{
    fn call(&self, request: HttpRequest) -> ViewCall {
        ViewCall::pending(Box::pin(self(request)))
    }
}

/// A synchronous view function as a [`Handler`].
struct SyncHandler<F>(F);

impl<F> Handler for SyncHandler<F>
where
    F: Fn(HttpRequest) -> ViewResult + Send + Sync + 'static,
{
    fn call(&self, request: HttpRequest) -> ViewCall {
        ViewCall::ready((self.0)(request))
    }
}

/// What calling a view gives: the result of a synchronous view, already made, or the
/// future of an `async` one. Awaiting it gives the result either way.
///
/// A synchronous view costs no allocation: an `async` view's future has a type of its
/// own, so it is boxed to be called through a [`ViewFunc`].
///
/// ```
/// use nuages_http::handler::ViewCall;
/// use nuages_http::{HttpRequest, HttpResponse, IntoView, ViewResult};
///
/// fn hello(_request: HttpRequest) -> ViewResult {
///     Ok(HttpResponse::new("Hello"))
/// }
///
/// let request = HttpRequest::builder("GET", "/").build();
/// let call: ViewCall = hello.into_view().call(request);
/// assert!(call.into_ready().is_ok());
/// ```
#[must_use = "a view's response is lost unless its call is awaited"]
pub struct ViewCall(Call);

enum Call {
    /// `None` once awaited.
    Ready(Option<ViewResult>),
    Pending(BoxFuture<ViewResult>),
}

impl ViewCall {
    /// The result of a view that has already run.
    pub fn ready(result: ViewResult) -> ViewCall {
        ViewCall(Call::Ready(Some(result)))
    }

    /// A view still to run.
    pub fn pending(future: BoxFuture<ViewResult>) -> ViewCall {
        ViewCall(Call::Pending(future))
    }

    /// The result when the view has already run, or else its future: lets a caller keep
    /// a synchronous view's result out of its own future's state.
    #[inline]
    pub fn into_ready(self) -> Result<ViewResult, BoxFuture<ViewResult>> {
        match self.0 {
            Call::Ready(Some(result)) => Ok(result),
            // Already awaited: its future panics as polling it again would.
            Call::Ready(None) => Err(Box::pin(async { panic!("ViewCall polled after completion") })),
            Call::Pending(future) => Err(future),
        }
    }
}

impl Future for ViewCall {
    type Output = ViewResult;

    /// # Panics
    ///
    /// When polled again after giving its result, as futures may.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ViewResult> {
        match &mut self.get_mut().0 {
            Call::Ready(result) => Poll::Ready(result.take().expect("ViewCall polled after completion")),
            Call::Pending(future) => future.as_mut().poll(cx),
        }
    }
}

impl std::fmt::Debug for ViewCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Call::Ready(_) => "ViewCall::Ready",
            Call::Pending(_) => "ViewCall::Pending",
        })
    }
}

/// Attributes Django sets on view functions with decorators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewAttrs {
    /// `@csrf_exempt`.
    pub csrf_exempt: bool,
    /// `@xframe_options_exempt`.
    pub xframe_options_exempt: bool,
    /// `@non_atomic_requests(using=...)`: the database aliases whose `ATOMIC_REQUESTS`
    /// does not apply to this view.
    pub non_atomic_requests: Vec<String>,
}

/// A view function with its name and attributes (Django's `callback`).
#[derive(Clone)]
pub struct ViewFunc {
    handler: Arc<dyn Handler>,
    /// The dotted-path-like name shown in debug pages and `ResolverMatch._func_path`.
    pub name: Arc<str>,
    /// Decorator attributes.
    pub attrs: ViewAttrs,
}

impl std::fmt::Debug for ViewFunc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<view {}>", self.name)
    }
}

impl ViewFunc {
    /// Wraps a handler, named after its Rust type path.
    pub fn new<H: Handler>(handler: H) -> ViewFunc {
        ViewFunc::named(&dotted_type_name::<H>(), handler)
    }

    /// A synchronous view (`fn(HttpRequest) -> ViewResult`), named after its Rust path.
    pub fn sync<F>(view: F) -> ViewFunc
    where
        F: Fn(HttpRequest) -> ViewResult + Send + Sync + 'static,
    {
        ViewFunc::named(&dotted_type_name::<F>(), SyncHandler(view))
    }

    /// Wraps a handler with an explicit name.
    pub fn named<H: Handler>(name: &str, handler: H) -> ViewFunc {
        ViewFunc {
            handler: Arc::new(handler),
            name: name.into(),
            attrs: ViewAttrs::default(),
        }
    }

    /// Calls the view.
    pub fn call(&self, request: HttpRequest) -> ViewCall {
        self.handler.call(request)
    }

    /// Wraps this view in another handler, keeping name and attributes (what Python's
    /// `functools.wraps` does for decorators).
    pub fn wrap<F, Fut>(self, f: F) -> ViewFunc
    where
        F: Fn(ViewFunc, HttpRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ViewResult> + Send + 'static,
    {
        let inner = self.clone();
        ViewFunc {
            handler: Arc::new(move |req: HttpRequest| f(inner.clone(), req)),
            name: self.name,
            attrs: self.attrs,
        }
    }
}

/// A Rust type path written the way Python names a function (`app.views.index`).
fn dotted_type_name<T>() -> String {
    std::any::type_name::<T>().replace("::", ".")
}

/// Anything that can become a [`ViewFunc`]: a `ViewFunc`, an `async` function or
/// closure, or a plain (synchronous) one.
///
/// `Kind` is [`AsyncView`] or [`SyncView`]: it only tells the compiler which of the two
/// function impls applies (their signatures differ in the return type alone), and is
/// inferred wherever a view is passed.
///
/// A synchronous view suits a view that waits on nothing (no query, no cache, no file):
/// it runs without the allocation an `async` view's future takes. It must not block: it
/// runs on the server's worker thread, as an `async` view's code between its `.await`s
/// does.
///
/// ```
/// use nuages_http::{path, HttpRequest, HttpResponse, Router, Client, ViewResult};
///
/// fn plaintext(_request: HttpRequest) -> ViewResult {
///     Ok(HttpResponse::with_content_type("Hello, World!", "text/plain"))
/// }
///
/// async fn hello(_request: HttpRequest) -> ViewResult {
///     Ok(HttpResponse::new("Hello"))
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let app = Router::for_tests(vec![path("plaintext", plaintext), path("hello", hello)]).unwrap();
/// let client = Client::new(app);
/// assert_eq!(client.get("/plaintext").send().await.text(), "Hello, World!");
/// assert_eq!(client.get("/hello").send().await.text(), "Hello");
/// # });
/// ```
pub trait IntoView<Kind = AsyncView> {
    /// The conversion.
    fn into_view(self) -> ViewFunc;
}

/// The [`IntoView`] kind of `async` views (and of [`ViewFunc`]s).
#[derive(Debug)]
pub enum AsyncView {}

/// The [`IntoView`] kind of synchronous views.
#[derive(Debug)]
pub enum SyncView {}

impl IntoView for ViewFunc {
    fn into_view(self) -> ViewFunc {
        self
    }
}

impl<F, Fut> IntoView<AsyncView> for F
where
    F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ViewResult> + Send + 'static,
{
    fn into_view(self) -> ViewFunc {
        ViewFunc::new(self)
    }
}

impl<F> IntoView<SyncView> for F
where
    F: Fn(HttpRequest) -> ViewResult + Send + Sync + 'static,
{
    fn into_view(self) -> ViewFunc {
        ViewFunc::sync(self)
    }
}

/// `@csrf_exempt`.
pub fn csrf_exempt<K>(view: impl IntoView<K>) -> ViewFunc {
    let mut v = view.into_view();
    v.attrs.csrf_exempt = true;
    v
}

/// `@xframe_options_exempt`.
pub fn xframe_options_exempt<K>(view: impl IntoView<K>) -> ViewFunc {
    let mut v = view.into_view();
    v.attrs.xframe_options_exempt = true;
    v
}

/// `@transaction.non_atomic_requests`: exempts the view from `ATOMIC_REQUESTS` on the
/// default database.
pub fn non_atomic_requests<K>(view: impl IntoView<K>) -> ViewFunc {
    non_atomic_requests_using("default", view)
}

/// `@transaction.non_atomic_requests(using=alias)`: exempts the view from
/// `ATOMIC_REQUESTS` on `alias` (apply it once per alias).
pub fn non_atomic_requests_using<K>(alias: &str, view: impl IntoView<K>) -> ViewFunc {
    let mut v = view.into_view();
    if !v.attrs.non_atomic_requests.iter().any(|a| a == alias) {
        v.attrs.non_atomic_requests.push(alias.to_owned());
    }
    v
}
