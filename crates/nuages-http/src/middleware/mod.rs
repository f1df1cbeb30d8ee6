//! Middleware: Django's onion. Each middleware wraps the rest of the chain; `call`
//! receives the request and a [`Next`] to run the inner layers, so it can act before,
//! after, or instead of them (short-circuiting skips every inner layer, as in Django).
//! `process_view`, `process_exception` and `process_template_response` are the hooks
//! Django calls from the innermost layer, in order for views and in reverse for the
//! other two.
//!
//! ```
//! use nuages_http::middleware::{Middleware, Next};
//! use nuages_http::handler::BoxFuture;
//! use nuages_http::{HttpRequest, HttpResponse};
//!
//! struct PoweredBy;
//! impl Middleware for PoweredBy {
//!     fn call<'a>(&'a self, request: HttpRequest, next: Next<'a>) -> nuages_http::middleware::MiddlewareFuture<'a> {
//!         Box::pin(async move {
//!             let mut response = next.run(request).await;
//!             response.set_header("X-Powered-By", "nuages");
//!             response
//!         })
//!     }
//! }
//! ```

mod common;
mod conditional;
pub mod csrf;
mod gzip;
mod logging;
mod security;
pub mod tower;
mod xframe;

use std::future::Future;
use std::pin::Pin;

pub use common::CommonMiddleware;
pub use conditional::ConditionalGetMiddleware;
pub use csrf::{get_token, rotate_token, CsrfViewMiddleware};
pub use gzip::{gzip_response, GZipMiddleware};
pub use logging::RequestLoggingMiddleware;
pub use security::SecurityMiddleware;
pub use tower::{TowerBody, TowerMiddleware, TowerNext};
pub use xframe::{XFrameOptionsExempt, XFrameOptionsMiddleware};

use crate::error::HttpError;
use crate::handler::ViewFunc;
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::router::Router;

/// The future a middleware's `call` returns.
pub type MiddlewareFuture<'a> = Pin<Box<dyn Future<Output = HttpResponse> + Send + 'a>>;

/// The future the `process_view`, `process_exception` and `process_template_response`
/// hooks return (boxed like [`MiddlewareFuture`], so the trait stays object-safe).
///
/// ```
/// use nuages_http::handler::ViewFunc;
/// use nuages_http::middleware::{HookFuture, Middleware};
/// use nuages_http::{HttpRequest, HttpResponse};
///
/// struct Maintenance;
/// impl Middleware for Maintenance {
///     fn process_view<'a>(
///         &'a self,
///         request: &'a HttpRequest,
///         _view: &'a ViewFunc,
///     ) -> HookFuture<'a, Option<HttpResponse>> {
///         Box::pin(async move {
///             // An async check (a cache or database lookup) could be awaited here.
///             (request.path() == "/admin/").then(|| HttpResponse::new("Down for maintenance"))
///         })
///     }
/// }
/// ```
pub type HookFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A Django middleware.
///
/// Implement `call` for the full onion, or only `process_request` / `process_response`
/// (Django's `MiddlewareMixin` style); the hooks have no-op defaults.
pub trait Middleware: Send + Sync + 'static {
    /// Runs around the inner layers. The default calls `process_request`, then (unless it
    /// answered) the inner layers, then `process_response`.
    fn call<'a>(&'a self, request: HttpRequest, next: Next<'a>) -> MiddlewareFuture<'a> {
        Box::pin(async move {
            let handle = request.clone();
            let app = next.app;
            let response = match self.process_request(&handle) {
                Ok(Some(response)) => response,
                Ok(None) => next.run(request).await,
                Err(err) => app.response_for_error(handle.clone(), err).await,
            };
            self.process_response(&handle, response)
        })
    }

    /// Before the inner layers; a response short-circuits them, an error becomes the
    /// response its handler gives (Django's `convert_exception_to_response`).
    fn process_request(&self, _request: &HttpRequest) -> Result<Option<HttpResponse>, HttpError> {
        Ok(None)
    }

    /// After the inner layers.
    fn process_response(&self, _request: &HttpRequest, response: HttpResponse) -> HttpResponse {
        response
    }

    /// Called once the view is known, before it runs; a response skips the view. Async
    /// like Django's async middleware (a hook may query the database).
    fn process_view<'a>(
        &'a self,
        _request: &'a HttpRequest,
        _view: &'a ViewFunc,
    ) -> HookFuture<'a, Option<HttpResponse>> {
        Box::pin(std::future::ready(None))
    }

    /// Called when the view fails; a response replaces the error handling.
    fn process_exception<'a>(
        &'a self,
        _request: &'a HttpRequest,
        _error: &'a HttpError,
    ) -> HookFuture<'a, Option<HttpResponse>> {
        Box::pin(std::future::ready(None))
    }

    /// Called for template responses before they are rendered.
    fn process_template_response<'a>(
        &'a self,
        _request: &'a HttpRequest,
        response: HttpResponse,
    ) -> HookFuture<'a, HttpResponse> {
        Box::pin(std::future::ready(response))
    }
}

/// The rest of the chain, handed to [`Middleware::call`].
pub struct Next<'a> {
    pub(crate) app: &'a Router,
    pub(crate) index: usize,
}

impl<'a> Next<'a> {
    /// The app being served (settings, resolver, error handlers).
    pub fn app(&self) -> &'a Router {
        self.app
    }

    /// Runs the inner middleware and, at the centre, URL resolution and the view.
    pub fn run(self, request: HttpRequest) -> MiddlewareFuture<'a> {
        let app = self.app;
        match app.middleware.get(self.index) {
            Some(mw) => mw.call(
                request,
                Next {
                    app,
                    index: self.index + 1,
                },
            ),
            None => Box::pin(app.get_response(request)),
        }
    }
}

pub use crate::cache::patch_vary_headers;
