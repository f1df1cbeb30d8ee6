//! `Router`: a project's URLconf, middleware and settings in one value that the server
//! serves and the test client drives. It runs Django's request cycle: middleware onion,
//! URL resolution, `process_view`, the view, `process_exception`, template responses, and
//! errors turned into responses by the (overridable) `handler400/403/404/500`.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;

use crate::conf::Conf;
use crate::debug;
use crate::error::{HttpError, Result};
use crate::handler::{BoxFuture, ViewCall, ViewResult};
use crate::middleware::{Middleware, Next};
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::urls::{set_urlconf, ResolverMatch, UrlEntry, UrlResolver};

/// What `Router::get_response` awaits after calling a view: its future, or the rare
/// path's (a synchronous view's template response or error, a panic).
enum Pending<'a> {
    View(BoxFuture<ViewResult>),
    Rare(RareFuture<'a>),
}

/// The future of a request's rare path: boxed, so that the common path's future keeps
/// no room for it.
type RareFuture<'a> = futures::future::BoxFuture<'a, HttpResponse>;

impl<'a> Pending<'a> {
    /// Moves the whole value out (matching on it would leave it in the caller's future,
    /// partly moved, across the next `.await`).
    fn into_view(self) -> std::result::Result<BoxFuture<ViewResult>, RareFuture<'a>> {
        match self {
            Pending::View(view) => Ok(view),
            Pending::Rare(rare) => Err(rare),
        }
    }
}

/// An error handler (`handler404` and friends).
pub type ErrorHandler = Arc<dyn Fn(HttpRequest, &HttpError) -> BoxFuture<HttpResponse> + Send + Sync>;

/// A hook run when a request starts or finishes (Django's `request_started` /
/// `request_finished` signals).
pub type RequestHook = Arc<dyn Fn(&HttpRequest) + Send + Sync>;

/// The project: settings, URL patterns, middleware and error handlers.
///
/// ```
/// use nuages_http::{path, Router, Client, HttpRequest, HttpResponse, HttpError};
/// use nuages_http::middleware::CommonMiddleware;
///
/// async fn hello(_request: HttpRequest) -> Result<HttpResponse, HttpError> {
///     Ok(HttpResponse::new("Hello"))
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let app = Router::for_tests(vec![path("hello/", hello).name("hello")])
///     .unwrap()
///     .with_middleware(CommonMiddleware::new());
/// let client = Client::new(app);
/// assert_eq!(client.get("/hello/").send().await.text(), "Hello");
/// // APPEND_SLASH redirects to the pattern with a slash.
/// assert_eq!(client.get("/hello").send().await.status, 301);
/// # });
/// ```
#[derive(Clone)]
pub struct Router {
    pub(crate) conf: Arc<Conf>,
    pub(crate) resolver: Arc<UrlResolver>,
    pub(crate) middleware: Arc<Vec<Arc<dyn Middleware>>>,
    handler400: Option<ErrorHandler>,
    handler403: Option<ErrorHandler>,
    handler404: Option<ErrorHandler>,
    handler500: Option<ErrorHandler>,
    started: Vec<RequestHook>,
    finished: Vec<RequestHook>,
    /// Whether a database has `ATOMIC_REQUESTS` (read once: most projects have none,
    /// and their views are then called without looking for one).
    #[cfg(feature = "db")]
    atomic_requests: bool,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<Router: {} patterns, {} middleware>",
            self.resolver.len(),
            self.middleware.len()
        )
    }
}

impl Router {
    /// An app over `settings` (its `[http]` section included) and `urlpatterns`, which
    /// becomes the URLconf used by the free function [`crate::reverse`].
    pub fn new(settings: nuages_core::Settings, urlpatterns: Vec<UrlEntry>) -> Result<Router> {
        Router::with_conf(Conf::new(settings)?, urlpatterns)
    }

    /// An app with explicit settings.
    pub fn with_conf(conf: Arc<Conf>, urlpatterns: Vec<UrlEntry>) -> Result<Router> {
        let resolver = Arc::new(UrlResolver::new(urlpatterns)?);
        set_urlconf(resolver.clone());
        #[cfg(feature = "db")]
        let atomic_requests = conf.settings.databases.values().any(|db| db.atomic_requests);
        Ok(Router {
            conf,
            resolver,
            middleware: Arc::new(Vec::new()),
            handler400: None,
            handler403: None,
            handler404: None,
            handler500: None,
            started: Vec::new(),
            finished: Vec::new(),
            #[cfg(feature = "db")]
            atomic_requests,
        })
    }

    /// An app with test settings (DEBUG off, `testserver` allowed).
    pub fn for_tests(urlpatterns: Vec<UrlEntry>) -> Result<Router> {
        Router::with_conf(Conf::for_tests(), urlpatterns)
    }

    /// Appends a middleware (the first added is the outermost, like `MIDDLEWARE`).
    pub fn with_middleware(mut self, middleware: impl Middleware) -> Router {
        Arc::make_mut(&mut self.middleware).push(Arc::new(middleware));
        self
    }

    /// Sets `handler400`.
    pub fn handler400<F>(mut self, f: F) -> Router
    where
        F: Fn(HttpRequest, &HttpError) -> BoxFuture<HttpResponse> + Send + Sync + 'static,
    {
        self.handler400 = Some(Arc::new(f));
        self
    }

    /// Sets `handler403`.
    pub fn handler403<F>(mut self, f: F) -> Router
    where
        F: Fn(HttpRequest, &HttpError) -> BoxFuture<HttpResponse> + Send + Sync + 'static,
    {
        self.handler403 = Some(Arc::new(f));
        self
    }

    /// Sets `handler404`.
    pub fn handler404<F>(mut self, f: F) -> Router
    where
        F: Fn(HttpRequest, &HttpError) -> BoxFuture<HttpResponse> + Send + Sync + 'static,
    {
        self.handler404 = Some(Arc::new(f));
        self
    }

    /// Sets `handler500`.
    pub fn handler500<F>(mut self, f: F) -> Router
    where
        F: Fn(HttpRequest, &HttpError) -> BoxFuture<HttpResponse> + Send + Sync + 'static,
    {
        self.handler500 = Some(Arc::new(f));
        self
    }

    /// Adds a `request_started` hook.
    pub fn on_request_started(mut self, f: impl Fn(&HttpRequest) + Send + Sync + 'static) -> Router {
        self.started.push(Arc::new(f));
        self
    }

    /// Adds a `request_finished` hook.
    pub fn on_request_finished(mut self, f: impl Fn(&HttpRequest) + Send + Sync + 'static) -> Router {
        self.finished.push(Arc::new(f));
        self
    }

    /// The settings.
    pub fn conf(&self) -> &Arc<Conf> {
        &self.conf
    }

    /// The URL resolver.
    pub fn resolver(&self) -> &Arc<UrlResolver> {
        &self.resolver
    }

    /// Whether request hooks or `request_started`/`request_finished` receivers are set.
    fn has_request_hooks(&self) -> bool {
        !self.started.is_empty()
            || !self.finished.is_empty()
            || crate::signals::request_started().has_listeners(None)
            || crate::signals::request_finished().has_listeners(None)
    }

    /// Whether a request runs any project code besides its view: middleware, request
    /// hooks or signal receivers, or custom error handlers. Without any, only the view
    /// can panic, and `get_response` catches that itself.
    pub(crate) fn has_layers(&self) -> bool {
        !self.middleware.is_empty()
            || self.has_request_hooks()
            || self.handler400.is_some()
            || self.handler403.is_some()
            || self.handler404.is_some()
            || self.handler500.is_some()
    }

    /// Runs one request through the whole cycle.
    pub async fn handle(&self, request: HttpRequest) -> HttpResponse {
        if self.has_request_hooks() {
            return Box::pin(self.handle_signalled(request)).await;
        }
        // `run_middleware` spelled out: one async layer less for the response to move
        // through on the common path.
        if self.middleware.is_empty() {
            self.get_response(request).await
        } else {
            Next { app: self, index: 0 }.run(request).await
        }
    }

    /// [`Router::handle`] with `request_started`/`request_finished` receivers or hooks
    /// (a separate boxed future: most projects have none, and the server's per-request
    /// future stays small without it).
    async fn handle_signalled(&self, request: HttpRequest) -> HttpResponse {
        crate::signals::send_started(&request).await;
        for hook in &self.started {
            hook(&request);
        }
        let handle = request.clone();
        let response = self.run_middleware(request).await;
        for hook in &self.finished {
            hook(&handle);
        }
        crate::signals::send_finished().await;
        response
    }

    /// The middleware onion around [`Router::get_response`]; without middleware (as in
    /// TechEmpower's Django entry), straight to it, without boxing a future.
    async fn run_middleware(&self, request: HttpRequest) -> HttpResponse {
        if self.middleware.is_empty() {
            self.get_response(request).await
        } else {
            Next { app: self, index: 0 }.run(request).await
        }
    }

    /// Django's `_get_response`: resolve, `process_view`, the view, errors.
    ///
    /// Every path but the common one (a resolved URL, a view returning a plain response)
    /// runs in a boxed future of its own: an async function's future is as large as its
    /// largest state, and this one is moved into place for every request, so keeping the
    /// rare states (error pages, template rendering) out of it keeps each move small.
    pub(crate) async fn get_response(&self, request: HttpRequest) -> HttpResponse {
        let (request, matched) = match self.resolve(request) {
            Ok(resolved) => resolved,
            Err(rare) => return rare.await,
        };
        request.set_resolver_match(Some(matched.clone()));
        if !self.middleware.is_empty() {
            // Boxed: an app without middleware (whose requests come this way without any
            // other box) keeps no room for the hooks' state in this future.
            if let Some(response) = Box::pin(self.process_view(&request, &matched.func)).await {
                return response;
            }
        }
        let handle = request.clone();
        // A panicking view is an uncaught exception: it goes through `process_exception`
        // and `handler500` like any error of the view. A synchronous view runs (and may
        // panic) in the call itself, an `async` one when its future is polled. Its result
        // is handled in a statement of its own, so that this future keeps no room for it
        // while awaiting the other kind's future.
        let call = AssertUnwindSafe(|| self.call_view(&matched.func, request).into_ready());
        let pending = match std::panic::catch_unwind(call) {
            Ok(Err(view)) => Pending::View(view),
            Ok(Ok(result)) => match self.finish_view(&handle, result) {
                Ok(response) => return response,
                Err(rare) => Pending::Rare(rare),
            },
            Err(panic) => Pending::Rare(Box::pin(
                self.handle_view_error(handle.clone(), panic_error(panic)),
            )),
        };
        let view = match pending.into_view() {
            Ok(view) => view,
            Err(rare) => return rare.await,
        };
        let result = match AssertUnwindSafe(view).catch_unwind().await {
            Ok(result) => result,
            Err(panic) => Err(panic_error(panic)),
        };
        let rare = match self.finish_view(&handle, result) {
            Ok(response) => return response,
            Err(rare) => rare,
        };
        rare.await
    }

    /// The request with its URL's match, or the future of its 404 page. A plain
    /// function, so that the resolver's error (56 bytes) is never kept in
    /// `get_response`'s future.
    fn resolve(
        &self,
        request: HttpRequest,
    ) -> std::result::Result<(HttpRequest, Arc<ResolverMatch>), RareFuture<'_>> {
        match self.resolver.resolve_shared(request.path_info()) {
            Ok(matched) => Ok((request, matched)),
            Err(err) => Err(Box::pin(self.response_for_error(request, err))),
        }
    }

    /// Each middleware's `process_view`, in order: the first response one returns
    /// (finished as a template response), or `None` to call the view.
    async fn process_view(
        &self,
        request: &HttpRequest,
        view: &crate::handler::ViewFunc,
    ) -> Option<HttpResponse> {
        for mw in self.middleware.iter() {
            if let Some(response) = mw.process_view(request, view).await {
                return Some(self.finish_template_response(request, response).await);
            }
        }
        None
    }

    /// A view's response as it is sent when it needs nothing more (the common case);
    /// else the future that finishes it: a template response's rendering, or an error's
    /// page.
    ///
    /// Inlined, so that the response is not moved into and out of a call (see
    /// [`crate::server::into_hyper`]).
    #[inline(always)]
    fn finish_view<'a>(
        &'a self,
        request: &'a HttpRequest,
        result: ViewResult,
    ) -> std::result::Result<HttpResponse, RareFuture<'a>> {
        match result {
            Ok(response) if !crate::template::is_template_response(&response) => Ok(response),
            Ok(response) => Err(Box::pin(self.finish_template_response(request, response))),
            Err(err) => Err(Box::pin(self.handle_view_error(request.clone(), err))),
        }
    }

    /// A view's error: `process_exception` of each middleware (innermost first), then the
    /// error handlers.
    async fn handle_view_error(&self, request: HttpRequest, err: HttpError) -> HttpResponse {
        for mw in self.middleware.iter().rev() {
            if let Some(response) = mw.process_exception(&request, &err).await {
                return self.finish_template_response(&request, response).await;
            }
        }
        self.response_for_error(request, err).await
    }

    /// Calls the view, inside `atomic` blocks for the databases with `ATOMIC_REQUESTS`
    /// (the `db` feature; Django's `make_view_atomic`).
    fn call_view(&self, view: &crate::handler::ViewFunc, request: HttpRequest) -> ViewCall {
        #[cfg(feature = "db")]
        {
            let debug = self.conf.settings.debug;
            if !self.atomic_requests && !debug {
                return view.call(request);
            }
            let aliases = crate::db::atomic_aliases(&self.conf.settings, view);
            // The request is cloned only when the debug capture needs it after the call.
            let debug = debug.then(|| request.clone());
            let call = if aliases.is_empty() {
                view.call(request)
            } else {
                ViewCall::pending(crate::db::call_atomic(aliases, view.clone(), request))
            };
            match debug {
                Some(request) => ViewCall::pending(crate::db::capture_for_debug(request, call)),
                None => call,
            }
        }
        #[cfg(not(feature = "db"))]
        view.call(request)
    }

    async fn finish_template_response(
        &self,
        request: &HttpRequest,
        mut response: HttpResponse,
    ) -> HttpResponse {
        if !crate::template::is_template_response(&response) {
            return response;
        }
        for mw in self.middleware.iter().rev() {
            response = mw.process_template_response(request, response).await;
        }
        match crate::template::render_response(&mut response) {
            Ok(()) => response,
            Err(err) => self.response_for_error(request.clone(), err).await,
        }
    }

    /// Django's `response_for_exception`.
    pub async fn response_for_error(&self, request: HttpRequest, err: HttpError) -> HttpResponse {
        let debug = self.conf.settings.debug;
        match &err {
            HttpError::Http404(_) | HttpError::Resolver404 { .. } => {
                if debug {
                    return debug::technical_404(&request, &err, &self.resolver);
                }
                match &self.handler404 {
                    Some(h) => h(request, &err).await,
                    None => debug::page_not_found(),
                }
            }
            HttpError::PermissionDenied(_) => match &self.handler403 {
                Some(h) => h(request, &err).await,
                None => debug::permission_denied(),
            },
            HttpError::SuspiciousOperation { kind, message } => {
                tracing::error!(target: "django.security", kind = *kind, "{message}");
                self.bad_request(request, &err, debug).await
            }
            HttpError::BadRequest(_) => self.bad_request(request, &err, debug).await,
            _ => {
                tracing::error!(
                    method = %request.method(),
                    path = request.path(),
                    error = %err,
                    "Internal Server Error: {}",
                    request.path()
                );
                if debug {
                    return debug::technical_500(&request, &err, 500);
                }
                match &self.handler500 {
                    Some(h) => h(request, &err).await,
                    None => debug::server_error(),
                }
            }
        }
    }

    async fn bad_request(&self, request: HttpRequest, err: &HttpError, debug: bool) -> HttpResponse {
        if debug {
            return debug::technical_500(&request, err, 400);
        }
        match &self.handler400 {
            Some(h) => h(request, err).await,
            None => debug::bad_request(),
        }
    }
}

/// A caught panic as the error of an uncaught exception, with what the panic says (its
/// `&str` or `String` payload) as the message of the 500 error.
pub(crate) fn panic_error(panic: Box<dyn Any + Send>) -> HttpError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "view panicked".to_owned());
    HttpError::other(message)
}
