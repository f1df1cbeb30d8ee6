//! The server: hyper 1 through hyper-util's auto builder (HTTP/1.1 with keep-alive and
//! pipelining, HTTP/2 by preface), graceful shutdown on SIGINT/SIGTERM that lets
//! in-flight requests finish, header read timeout (per connection,
//! `src/header_timeout.rs`) and body read timeout, `Server` and `Date` on every
//! response (`Date` written by hyper from its per-second cache), and an access log
//! through `tracing`.
//!
//! The hot path is one clone of the connection's `Arc` (no reference count that every core
//! writes: see `src/striped.rs`), one request allocation and the app; nothing is parsed
//! that the view does not ask for (cookies are parsed on first use), the request shares
//! hyper's buffers for its target and headers, and a request without a body never enters
//! the body-reading code (a separate boxed future).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use http::header::{HeaderValue, CONTENT_TYPE, SERVER, SET_COOKIE};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulConnection;
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::conf::Conf;
use crate::error::HttpError;
use crate::header_timeout::{Activity, InFlight, Watchdog, WatchedIo};
use crate::request::{HttpRequest, RequestBuilder};
use crate::response::{Body, BodyStream, HttpResponse};
use crate::router::Router;
use crate::shutdown::{ConnectionWatch, Shutdown};
use crate::striped::Striped;

/// The body type handed to hyper.
pub struct ResponseBody {
    content: Content,
    /// The request's place among its connection's requests in flight, given up when
    /// hyper drops the body (all of it handed to the socket): the header read timeout
    /// does not run while a request is being served (`src/header_timeout.rs`).
    in_flight: Option<InFlight<Peer>>,
}

enum Content {
    /// Bytes in memory (taken once).
    Full(Option<Bytes>),
    /// A stream.
    Stream(BodyStream),
}

impl HttpBody for ResponseBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match &mut self.get_mut().content {
            Content::Full(b) => Poll::Ready(b.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b)))),
            Content::Stream(s) => s.as_mut().poll_next(cx).map(|o| o.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.content {
            Content::Full(b) => b.as_ref().is_none_or(|b| b.is_empty()),
            Content::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.content {
            Content::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Content::Stream(_) => SizeHint::default(),
        }
    }
}

/// Converts a response for hyper: cookies become `Set-Cookie`, `Server` is added. `Date`
/// is not: hyper writes it on every response it sends (HTTP/1 and HTTP/2), from a value it
/// formats at most once a second.
///
/// Inlined: a response is 192 bytes, and every move of a value over 128 bytes is a call to
/// `memcpy`, which costs more than the copy on the server's hot path.
#[inline]
pub fn into_hyper(response: HttpResponse, server: &HeaderValue) -> http::Response<ResponseBody> {
    let HttpResponse {
        status,
        mut headers,
        cookies,
        body,
        ..
    } = response;
    for c in &cookies {
        if let Ok(v) = HeaderValue::from_str(&c.to_header_value()) {
            headers.append(SET_COOKIE, v);
        }
    }
    headers.entry(SERVER).or_insert_with(|| server.clone());
    let content = match body {
        Body::Full(b) => Content::Full(Some(b)),
        Body::Stream(s) => Content::Stream(s),
    };
    let mut out = http::Response::new(ResponseBody {
        content,
        in_flight: None,
    });
    *out.status_mut() = status;
    // The map `Response::new` made is empty, and an empty `HeaderMap` owns no allocation
    // (`HeaderMap::new` documents that it does not allocate): forgetting it instead of
    // dropping it leaks nothing and skips its drop on every response.
    std::mem::forget(std::mem::replace(out.headers_mut(), headers));
    out
}

/// The request being read: built already (no body), or a body still to read.
type ReadRequest = Result<HttpRequest, (HttpRequest, HttpError)>;

/// Builds the request from what hyper parsed. A request without a body (every `GET`) is
/// built on the spot, before any future exists; reading a body, with its limits and
/// timeout, is a boxed future of its own, so that the future the server keeps per request
/// stays small.
fn read_request(
    req: http::Request<Incoming>,
    conf: &Arc<crate::conf::Conf>,
    remote: SocketAddr,
    port: u16,
) -> Result<ReadRequest, futures::future::BoxFuture<'static, ReadRequest>> {
    let (parts, body) = req.into_parts();
    if body.is_end_stream() && !is_multipart(&parts) {
        return Ok(HttpRequest::served_without_body(
            parts,
            remote,
            port,
            conf.clone(),
        ));
    }
    Err(Box::pin(read_body(parts, body, conf.clone(), remote, port)))
}

/// Whether the request is a `multipart/form-data` POST (parsed into `POST` and `FILES`).
fn is_multipart(parts: &http::request::Parts) -> bool {
    parts.method == http::Method::POST
        && parts
            .headers
            .get(CONTENT_TYPE)
            .map(|v| v.as_bytes())
            .is_some_and(|ct| ct.len() >= 19 && ct[..19].eq_ignore_ascii_case(b"multipart/form-data"))
}

/// Reads the body of a request (multipart parsed, others kept as bytes) within
/// `DATA_UPLOAD_MAX_MEMORY_SIZE` and the body read timeout.
async fn read_body(
    parts: http::request::Parts,
    body: Incoming,
    conf: Arc<crate::conf::Conf>,
    remote: SocketAddr,
    port: u16,
) -> ReadRequest {
    let conf = &conf;
    let served = |parts, body| RequestBuilder::served(parts, body, remote, port, conf.clone());
    // The request the error page is rendered for when the body cannot be read.
    let bare = |parts, err| (served(parts, Bytes::new()).build(), err);
    let timeout = Duration::from_secs(conf.http.body_read_timeout.max(1));
    if is_multipart(&parts) {
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let stream = body.into_data_stream();
        let parsed = tokio::time::timeout(
            timeout,
            crate::multipart::parse(&content_type, stream, &conf.http),
        )
        .await;
        return match parsed {
            Ok(Ok((post, files))) => served(parts, Bytes::new()).form(post, files).try_build_or_bare(),
            Ok(Err(e)) => Err(bare(parts, e)),
            Err(_) => Err(bare(
                parts,
                HttpError::BadRequest("Timed out reading the request body.".into()),
            )),
        };
    }
    let limit = conf.http.data_upload_max_memory_size;
    if let (Some(max), Some(len)) = (limit, parts.headers.get(http::header::CONTENT_LENGTH)) {
        if len
            .to_str()
            .ok()
            .and_then(|l| l.parse::<u64>().ok())
            .is_some_and(|l| l > max)
        {
            return Err(bare(parts, crate::multipart::too_big()));
        }
    }
    let collect = async {
        let mut out = Vec::new();
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk =
                chunk.map_err(|e| HttpError::BadRequest(format!("Error reading the request body: {e}")))?;
            out.extend_from_slice(&chunk);
            if limit.is_some_and(|max| out.len() as u64 > max) {
                return Err(crate::multipart::too_big());
            }
        }
        Ok(Bytes::from(out))
    };
    match tokio::time::timeout(timeout, collect).await {
        Ok(Ok(bytes)) => served(parts, bytes).try_build_or_bare(),
        Ok(Err(e)) => Err(bare(parts, e)),
        Err(_) => Err(bare(
            parts,
            HttpError::BadRequest("Timed out reading the request body.".into()),
        )),
    }
}

/// Runs one request through `app`, turning a panic into a 500 like an uncaught exception
/// in Django. A view's panic is caught around the view (`Router::get_response`), where it
/// goes through `process_exception`; this catches what panics in middleware or in a
/// request hook, and costs nothing (no handle on the request kept aside) when the app has
/// neither.
pub async fn handle_catching(app: &Router, request: HttpRequest) -> HttpResponse {
    if !app.has_layers() {
        // Nothing around the view: `Router::handle` would only call `get_response`.
        return app.get_response(request).await;
    }
    let handle = request.clone();
    // The panic's future is made in a statement of its own, so that this future does not
    // keep room for the caught result across its `.await` (see `Router::get_response`).
    let panicked = match AssertUnwindSafe(app.handle(request)).catch_unwind().await {
        Ok(response) => return response,
        Err(panic) => Box::pin(app.response_for_error(handle, crate::router::panic_error(panic))),
    };
    panicked.await
}

/// What every request of a server shares: the app, its `Server` header value and the
/// settings requests keep, striped per worker thread (`src/striped.rs`).
struct Served {
    app: Router,
    server: HeaderValue,
    conf: Striped<Conf>,
}

/// One connection's handle on the server, cloned for each of its requests: its count is
/// written by the connection's own task only, where cloning the server's `Arc<Served>`
/// for every request would write one count from every core (`src/striped.rs`). A
/// request's clone is its in-flight guard too ([`Activity::start`]), kept by its
/// future and then by its response body.
///
/// Aligned to 128 bytes (two cache lines, which x86 cores fetch in pairs): connections
/// are accepted one after another, so their handles would otherwise be allocated side by
/// side, and the counts of two connections served by different cores would share a line.
#[repr(align(128))]
struct Peer {
    served: Arc<Served>,
    remote: SocketAddr,
    port: u16,
    activity: Arc<Activity>,
}

impl AsRef<Activity> for Peer {
    fn as_ref(&self) -> &Activity {
        &self.activity
    }
}

/// Serves one request of a connection; `in_flight` (with the connection's handle) goes
/// into the response body.
///
/// Not an `async fn`: hyper stores each request's future in place and moves it there
/// whole, and an `async fn` would carry hyper's request (its parts are over 200 bytes) in
/// every state. The request is built here, synchronously, and the future holds only what
/// the rest of the cycle needs.
fn serve_one(
    in_flight: InFlight<Peer>,
    req: http::Request<Incoming>,
) -> impl Future<Output = Result<http::Response<ResponseBody>, Infallible>> + Send + 'static {
    let log = tracing::enabled!(target: "nuages.access", tracing::Level::INFO);
    // Boxed: most servers do not log each request, and the future keeps only a pointer.
    let start = log.then(|| {
        Box::new(AccessLog {
            start: Instant::now(),
            method: req.method().clone(),
            path: req.uri().path().to_owned(),
        })
    });
    let peer = in_flight.conn();
    let served = &peer.served;
    // The common case (a request without a body, for an app with nothing around its
    // views) goes straight to `get_response`; any other is a boxed future of its own, so
    // that the future hyper moves for every request keeps neither its state nor a
    // half-read request (what an `async` block captures stays in it until it ends).
    let begin = match read_request(req, served.conf.get(), peer.remote, peer.port) {
        Ok(Ok(request)) if !served.app.has_layers() => Ok(request),
        read => Err(Box::pin(serve_read(peer.clone(), read))),
    };
    async move {
        let peer = in_flight.conn();
        let served = &peer.served;
        let response = match begin {
            Ok(request) => served.app.get_response(request).await,
            Err(rare) => rare.await,
        };
        if let Some(entry) = start {
            entry.write(peer.remote, &response);
        }
        let mut out = into_hyper(response, &served.server);
        out.body_mut().in_flight = Some(in_flight);
        Ok(out)
    }
}

/// [`serve_one`] for a request with a body to read, a request that could not be read,
/// or an app with middleware, request hooks or error handlers.
async fn serve_read(
    peer: Arc<Peer>,
    read: Result<ReadRequest, futures::future::BoxFuture<'static, ReadRequest>>,
) -> HttpResponse {
    let app = &peer.served.app;
    let read = match read {
        Ok(read) => read,
        Err(body) => body.await,
    };
    match read {
        Ok(request) => handle_catching(app, request).await,
        Err((request, err)) => Box::pin(app.response_for_error(request, err)).await,
    }
}

/// What the access log (`nuages.access`) writes about a request, taken before the request
/// is handed to the view.
struct AccessLog {
    start: Instant,
    method: http::Method,
    path: String,
}

impl AccessLog {
    fn write(self, remote: SocketAddr, response: &HttpResponse) {
        tracing::info!(
            target: "nuages.access",
            remote = %remote.ip(),
            method = %self.method,
            path = self.path,
            status = response.status.as_u16(),
            micros = self.start.elapsed().as_micros() as u64,
        );
    }
}

/// Drives one connection until it ends, or until its client has taken longer than the
/// header read timeout to send a request head (then the connection is dropped, which
/// closes it, as hyper's own timeout does).
/// When the server shuts down, the connection finishes the requests it has started and
/// closes (hyper's graceful shutdown).
async fn serve_connection<C>(conn: C, mut watchdog: Watchdog, mut shutdown: ConnectionWatch)
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    tokio::pin!(conn);
    // The connection's one timer, moved from one wait for a head to the next.
    let sleep = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(sleep);
    let done = std::future::poll_fn(|cx| {
        if shutdown.began(cx) {
            conn.as_mut().graceful_shutdown();
        }
        match conn.as_mut().poll(cx) {
            Poll::Ready(result) => Poll::Ready(Some(result)),
            Poll::Pending if watchdog.expired(sleep.as_mut(), cx) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    match done {
        Some(Ok(())) => {}
        Some(Err(e)) => tracing::debug!(target: "nuages.server", "connection error: {e}"),
        None => tracing::debug!(target: "nuages.server", "read header from client timeout"),
    }
}

/// `serve(addr, app)`: binds and serves until SIGINT or SIGTERM, then lets in-flight
/// requests finish (up to `shutdown_grace_period` seconds).
///
/// ```no_run
/// use nuages_http::{path, serve, Router, HttpRequest, HttpResponse, HttpError};
///
/// async fn plaintext(_r: HttpRequest) -> Result<HttpResponse, HttpError> {
///     Ok(HttpResponse::with_content_type("Hello, World!", "text/plain"))
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let settings = nuages_core::Settings::load()?;
///     let app = Router::new(settings, vec![path("plaintext", plaintext)])?;
///     serve("0.0.0.0:8080", app).await?;
///     Ok(())
/// }
/// ```
pub async fn serve(addr: impl ToSocketAddrs, app: Router) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(target: "nuages.server", "Listening on http://{}", listener.local_addr()?);
    serve_with_shutdown(listener, app, shutdown_signal()).await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The `Server` header's value, static: a value made from a `String` is reference
/// counted, which would cost two atomic writes per response (its clone and its drop) on
/// a count every core shares. The text is leaked once per server started (a few bytes),
/// unless it is the default; a value with bytes outside visible ASCII (which a static
/// value cannot hold) stays counted. An invalid value falls back to `nuages`.
fn server_header_value(text: &str) -> HeaderValue {
    const DEFAULT: HeaderValue = HeaderValue::from_static("nuages");
    if text == "nuages" {
        DEFAULT
    } else if text.bytes().all(|b| b == b'\t' || (32..127).contains(&b)) {
        HeaderValue::from_static(Box::leak(text.to_owned().into_boxed_str()))
    } else {
        HeaderValue::from_str(text).unwrap_or(DEFAULT)
    }
}

/// Serves connections from `listener` until `shutdown` resolves, then drains.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let server = server_header_value(&app.conf.http.server_header);
    let header_read_timeout = Duration::from_secs(app.conf.http.header_read_timeout.max(1));
    let grace = Duration::from_secs(app.conf.http.shutdown_grace_period);
    let conf = Striped::from_arc(&app.conf);
    let served = Arc::new(Served { app, server, conf });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper's own header read timeout would cost a timer per request: it is kept per
    // connection instead (`src/header_timeout.rs`).
    builder
        .http1()
        .keep_alive(true)
        .pipeline_flush(true)
        .header_read_timeout(None);
    let builder = Arc::new(builder);
    let shutdown_watch = Shutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(target: "nuages.server", "accept failed: {e}");
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let port = stream.local_addr().map(|a| a.port()).unwrap_or(80);
        let activity = Arc::new(Activity::default());
        let peer = Arc::new(Peer {
            served: served.clone(),
            remote,
            port,
            activity: activity.clone(),
        });
        let io = WatchedIo::new(TokioIo::new(stream), activity.clone());
        let watchdog = Watchdog::new(activity, header_read_timeout);
        let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
            serve_one(Activity::start(peer.clone(), req.version()), req)
        });
        let conn = builder.serve_connection_with_upgrades(io, service).into_owned();
        tokio::spawn(serve_connection(conn, watchdog, shutdown_watch.watch()));
    }
    tracing::info!(target: "nuages.server", "Shutting down: waiting for in-flight requests");
    tokio::select! {
        _ = shutdown_watch.shutdown() => {}
        _ = tokio::time::sleep(grace) => {
            tracing::warn!(target: "nuages.server", "Grace period over; closing remaining connections");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of the future `f` returns.
    fn future_size<A, B, F>(_f: fn(A, B) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// hyper moves each request's future into place whole, so its size is paid on every
    /// request: it once was 1,352 bytes, most of it room for error pages and template
    /// rendering that a request rarely needs (`Router::get_response`). The bounds leave
    /// room for compiler changes, not for a rare path moved back into the common one
    /// (the view's `process_view` hooks and the resolver's error took 40 bytes of
    /// `get_response`'s 136 until they moved out of it).
    #[test]
    fn the_per_request_future_stays_small() {
        let app = Router::for_tests(vec![]).unwrap();
        let request = HttpRequest::builder("GET", "/").build();
        let get_response = std::mem::size_of_val(&app.get_response(request.clone()));
        let catching = std::mem::size_of_val(&handle_catching(&app, request));
        let serve = future_size(serve_one);
        assert!(get_response <= 128, "get_response: {get_response} bytes");
        assert!(catching <= 384, "handle_catching: {catching} bytes");
        assert!(serve <= 192, "serve_one: {serve} bytes");
    }

    #[test]
    fn server_header_values() {
        assert_eq!(server_header_value("nuages"), "nuages");
        assert_eq!(server_header_value("my server/1.0"), "my server/1.0");
        assert_eq!(
            server_header_value("caf\u{e9}").as_bytes(),
            "caf\u{e9}".as_bytes()
        );
        assert_eq!(server_header_value("bad\nvalue"), "nuages");
    }
}
