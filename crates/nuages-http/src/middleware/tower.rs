//! tower layers as middleware: `Router::with_layer(layer)` puts any
//! [`tower_layer::Layer`] (tower-http's `TimeoutLayer`, `CorsLayer`,
//! `SetResponseHeaderLayer`, tower's `ConcurrencyLimitLayer`, ...) into the `MIDDLEWARE`
//! list, in order with the Django-style middleware around it.
//!
//! The layer wraps [`TowerNext`], a service that runs the rest of the chain (the inner
//! middleware, URL resolution and the view). The layered service is built once, when it is
//! added, so layers that keep state in their service (a concurrency limit's semaphore, a
//! rate limit's window) share it across requests; each request clones it, as tower expects.
//!
//! What crosses the boundary:
//! - **Request**: an `http::Request<`[`RequestBody`]`>` with the request's method, URI,
//!   headers and body bytes. A layer that changes the method, URI or headers (e.g.
//!   `SetRequestHeaderLayer`, `SetRequestIdLayer`) hands a changed request to the inner
//!   layers and the view: they get a request object with those changes and the same body,
//!   `POST` and `FILES`; what they store in the request's extensions is seen by the outer
//!   middleware afterwards, as on Django's single request object. The body was read when the
//!   request arrived (Django's limits applied), so a layer must keep the body type
//!   ([`RequestBody`]); layers that replace the request body type do not fit the bound and
//!   are refused at compile time.
//! - **Response**: an `http::Response<`[`TowerBody`]`>`. Cookies, the reason phrase and the
//!   response extensions (template context for the test client, markers for other
//!   middleware) travel in the `http` response's extensions and come back on the way out;
//!   status and headers are whatever the layer left. A layer that changes the body type
//!   (compression) or answers by itself (a CORS preflight, a timeout's 408) gives a body
//!   that becomes a streaming body.
//! - **Errors** of the layered service (tower's `Elapsed`, `Overloaded`) are uncaught
//!   exceptions: they go through `handler500` (the technical page in DEBUG).
//!
//! ```
//! use std::time::Duration;
//! use http::{HeaderValue, StatusCode};
//! use http::header::X_CONTENT_TYPE_OPTIONS;
//! use nuages_http::middleware::CommonMiddleware;
//! use nuages_http::{path, Client, HttpError, HttpRequest, HttpResponse, Router};
//! use tower_http::set_header::SetResponseHeaderLayer;
//! use tower_http::timeout::TimeoutLayer;
//!
//! async fn hello(_request: HttpRequest) -> Result<HttpResponse, HttpError> {
//!     Ok(HttpResponse::new("Hello"))
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let app = Router::for_tests(vec![path("hello/", hello)])
//!     .unwrap()
//!     // MIDDLEWARE = [SetResponseHeader, Timeout, CommonMiddleware]
//!     .with_layer(SetResponseHeaderLayer::if_not_present(
//!         X_CONTENT_TYPE_OPTIONS,
//!         HeaderValue::from_static("nosniff"),
//!     ))
//!     .with_layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
//!     .with_middleware(CommonMiddleware::new());
//! let response = Client::new(app).get("/hello/").send().await;
//! assert_eq!(response.text(), "Hello");
//! assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
//! # });
//! ```

use std::any::Any;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures::StreamExt;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;
use tower_service::Service;

use super::{Middleware, MiddlewareFuture, Next};
use crate::cookies::Cookie;
use crate::error::HttpError;
use crate::handler::BoxFuture;
use crate::request::HttpRequest;
use crate::response::{Body, HttpResponse};
use crate::router::Router;

/// The request body handed to tower layers: the bytes read when the request arrived.
pub type RequestBody = http_body_util::Full<Bytes>;

/// The error type tower uses for boxed errors.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The response body handed back through tower layers: an `HttpResponse` body (bytes or a
/// stream). `Default` is the empty body that layers answering by themselves use.
pub struct TowerBody(Option<Body>);

impl Default for TowerBody {
    fn default() -> Self {
        TowerBody(Some(Body::Full(Bytes::new())))
    }
}

impl HttpBody for TowerBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        match &mut this.0 {
            None => Poll::Ready(None),
            Some(Body::Full(_)) => match this.0.take() {
                Some(Body::Full(b)) if !b.is_empty() => Poll::Ready(Some(Ok(Frame::data(b)))),
                _ => Poll::Ready(None),
            },
            Some(Body::Stream(s)) => s.as_mut().poll_next(cx).map(|o| o.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            None => true,
            Some(Body::Full(b)) => b.is_empty(),
            Some(Body::Stream(_)) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            None => SizeHint::with_exact(0),
            Some(Body::Full(b)) => SizeHint::with_exact(b.len() as u64),
            Some(Body::Stream(_)) => SizeHint::default(),
        }
    }
}

/// What travels with the `http` request through the layer: the request object and the
/// router that runs the rest of the chain.
#[derive(Clone)]
struct Carry {
    request: HttpRequest,
    router: Router,
}

/// What an `HttpResponse` has beyond status, headers and body, kept in the `http`
/// response's extensions while it crosses the layer.
#[derive(Clone)]
struct ResponseRest {
    cookies: Vec<Cookie>,
    reason_phrase: Option<String>,
}

/// The service a tower layer wraps: the middleware after it, URL resolution and the view.
///
/// It answers the `http::Request` it is given, which must be one the adapter made (a layer
/// that builds a new request must carry the extensions over, as tower-http's layers do).
#[derive(Debug, Clone, Copy)]
pub struct TowerNext {
    index: usize,
}

impl Service<http::Request<RequestBody>> for TowerNext {
    type Response = http::Response<TowerBody>;
    type Error = BoxError;
    type Future = BoxFuture<Result<http::Response<TowerBody>, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        let index = self.index;
        Box::pin(async move {
            let (mut parts, _body) = request.into_parts();
            let Some(carry) = parts.extensions.remove::<Carry>() else {
                return Err(BoxError::from(
                    "a tower layer called the inner service with a request that lost its extensions",
                ));
            };
            let outer = carry.request;
            let inner = if outer.same_as(&parts) {
                outer.clone()
            } else {
                outer.derive(&parts)
            };
            let response = Next {
                app: &carry.router,
                index,
            }
            .run(inner.clone())
            .await;
            outer.absorb(&inner);
            Ok(to_http(response))
        })
    }
}

fn to_http(response: HttpResponse) -> http::Response<TowerBody> {
    let HttpResponse {
        status,
        headers,
        cookies,
        body,
        reason_phrase,
        mut extensions,
    } = response;
    extensions.insert(ResponseRest {
        cookies,
        reason_phrase,
    });
    let mut out = http::Response::new(TowerBody(Some(body)));
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    *out.extensions_mut() = extensions;
    out
}

fn from_http<B>(response: http::Response<B>) -> HttpResponse
where
    B: HttpBody + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let (parts, body) = response.into_parts();
    let mut extensions = parts.extensions;
    let rest = extensions.remove::<ResponseRest>();
    let boxed: Box<dyn Any> = Box::new(body);
    let body = match boxed.downcast::<TowerBody>() {
        Ok(ours) => ours.0.unwrap_or(Body::Full(Bytes::new())),
        Err(other) => match other.downcast::<B>() {
            Ok(theirs) => stream_body(*theirs),
            // Unreachable: the box holds a `B`.
            Err(_) => Body::Full(Bytes::new()),
        },
    };
    let (cookies, reason_phrase) = rest.map(|r| (r.cookies, r.reason_phrase)).unwrap_or_default();
    HttpResponse {
        status: parts.status,
        headers: parts.headers,
        cookies,
        body,
        reason_phrase,
        extensions,
    }
}

fn stream_body<B>(body: B) -> Body
where
    B: HttpBody + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    if body.is_end_stream() {
        return Body::Full(Bytes::new());
    }
    let stream = body.into_data_stream().map(|chunk| match chunk {
        Ok(mut data) => Ok(data.copy_to_bytes(data.remaining())),
        Err(e) => Err(std::io::Error::other(e.into())),
    });
    Body::Stream(Box::pin(stream))
}

/// A tower service (a layer applied to [`TowerNext`]) in the middleware list; made by
/// [`Router::with_layer`].
pub struct TowerMiddleware<S> {
    service: Mutex<S>,
}

impl<S> TowerMiddleware<S> {
    fn new(service: S) -> Self {
        TowerMiddleware {
            service: Mutex::new(service),
        }
    }
}

impl<S, B> Middleware for TowerMiddleware<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: HttpBody + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    fn call<'a>(&'a self, request: HttpRequest, next: Next<'a>) -> MiddlewareFuture<'a> {
        let mut service = self.service.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let app = next.app;
        Box::pin(async move {
            let target = match request.query_string() {
                "" => request.raw_path().to_owned(),
                q => format!("{}?{q}", request.raw_path()),
            };
            let uri = match target
                .parse::<http::Uri>()
                .or_else(|_| crate::request::iri_to_uri(&target).parse::<http::Uri>())
            {
                Ok(uri) => uri,
                Err(_) => {
                    let err = HttpError::BadRequest(format!("Invalid request target {target:?}."));
                    return app.response_for_error(request, err).await;
                }
            };
            let mut http_request = http::Request::new(RequestBody::new(request.body().clone()));
            *http_request.method_mut() = request.method().clone();
            *http_request.uri_mut() = uri;
            *http_request.headers_mut() = request.headers().clone();
            http_request.extensions_mut().insert(Carry {
                request: request.clone(),
                router: app.clone(),
            });
            let outcome = async {
                poll_fn(|cx| service.poll_ready(cx)).await.map_err(Into::into)?;
                service.call(http_request).await.map_err(Into::into)
            }
            .await;
            match outcome {
                Ok(response) => from_http(response),
                Err(err) => app.response_for_error(request, HttpError::Other(err)).await,
            }
        })
    }
}

impl Router {
    /// Appends a tower layer to the middleware list (after those already added, so
    /// inside them): the layer wraps everything added after it, the view included.
    ///
    /// The layer is applied once, here; see [the module docs](crate::middleware::tower)
    /// for what a layer sees and can change.
    pub fn with_layer<L, B>(mut self, layer: L) -> Router
    where
        L: tower_layer::Layer<TowerNext>,
        L::Service:
            Service<http::Request<RequestBody>, Response = http::Response<B>> + Clone + Send + 'static,
        <L::Service as Service<http::Request<RequestBody>>>::Future: Send + 'static,
        <L::Service as Service<http::Request<RequestBody>>>::Error: Into<BoxError>,
        B: HttpBody + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let service = layer.layer(TowerNext {
            index: self.middleware.len() + 1,
        });
        std::sync::Arc::make_mut(&mut self.middleware)
            .push(std::sync::Arc::new(TowerMiddleware::new(service)));
        self
    }
}
