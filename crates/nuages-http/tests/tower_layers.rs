//! tower layers in the middleware list (`Router::with_layer`): real tower-http and tower
//! layers through the test client, in order with Django-style middleware.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use http::{Method, StatusCode};
use nuages_http::cookies::Cookie;
use nuages_http::middleware::{get_token, CsrfViewMiddleware, Middleware, MiddlewareFuture, Next};
use nuages_http::template::TemplateResponse;
use nuages_http::{path, Client, HttpError, HttpRequest, HttpResponse, Router};
use nuages_template::Engine;
use tower::limit::ConcurrencyLimitLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::{SetRequestHeaderLayer, SetResponseHeaderLayer};
use tower_http::timeout::TimeoutLayer;

/// Appends its name to `X-Order` on the way in (request extension) and out (header).
struct Mark(&'static str);

#[derive(Clone, Default)]
struct Trail(Arc<std::sync::Mutex<Vec<String>>>);

impl Middleware for Mark {
    fn call<'a>(&'a self, request: HttpRequest, next: Next<'a>) -> MiddlewareFuture<'a> {
        Box::pin(async move {
            let trail = request.ext::<Trail>().unwrap_or_default();
            trail.0.lock().unwrap().push(format!("in:{}", self.0));
            request.set_ext(trail.clone());
            let mut response = next.run(request.clone()).await;
            trail.0.lock().unwrap().push(format!("out:{}", self.0));
            let seen = response.header("x-order").unwrap_or("").to_owned();
            response.set_header("X-Order", &format!("{seen}{}", self.0));
            // What the view left on the request is visible here, through any layer.
            if let Some(v) = request.ext::<ViewWasHere>() {
                response.set_header(&format!("X-Seen-By-{}", self.0), v.0);
            }
            response
        })
    }
}

#[derive(Clone)]
struct ViewWasHere(&'static str);

async fn hello(request: HttpRequest) -> Result<HttpResponse, HttpError> {
    request.set_ext(ViewWasHere("yes"));
    let trail = request
        .ext::<Trail>()
        .map(|t| t.0.lock().unwrap().join(","))
        .unwrap_or_default();
    let mut response = HttpResponse::new(format!("hello {trail}"));
    response.set_cookie(Cookie::new("flavour", "plain").httponly(true));
    Ok(response)
}

async fn echo_header(request: HttpRequest) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::new(format!(
        "{}|{}",
        request.header("x-from-layer").unwrap_or("-"),
        request
            .META()
            .get("HTTP_X_FROM_LAYER")
            .cloned()
            .unwrap_or_default()
    )))
}

async fn slow(_request: HttpRequest) -> Result<HttpResponse, HttpError> {
    tokio::time::sleep(Duration::from_millis(400)).await;
    Ok(HttpResponse::new("late"))
}

async fn token(request: HttpRequest) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::new(get_token(&request)))
}

fn urls() -> Vec<nuages_http::urls::UrlEntry> {
    vec![
        path("hello/", hello),
        path("echo/", echo_header),
        path("slow/", slow),
        path("token/", token),
    ]
}

#[tokio::test]
async fn layers_run_in_middleware_order() {
    let app = Router::for_tests(urls())
        .unwrap()
        .with_middleware(Mark("A"))
        .with_layer(SetResponseHeaderLayer::appending(
            HeaderName::from_static("x-order"),
            HeaderValue::from_static("tower"),
        ))
        .with_middleware(Mark("B"));
    let client = Client::new(app);
    let response = client.get("/hello/").send().await;
    assert_eq!(response.status, 200);
    // Both Django middleware ran in order around the view, through the layer.
    assert_eq!(response.text(), "hello in:A,in:B");
    // B set X-Order first (inner); the layer appended a second X-Order value; A (outer)
    // read the first value and replaced the header.
    assert_eq!(response.header("x-order"), Some("BA"));
    assert_eq!(response.header("x-seen-by-a"), Some("yes"));
    assert_eq!(response.header("x-seen-by-b"), Some("yes"));
    // The cookie the view set survived the crossing.
    assert_eq!(client.cookies().get("flavour").map(String::as_str), Some("plain"));
    let flavour = response.response.cookie("flavour").unwrap();
    assert!(flavour.httponly);
}

#[tokio::test]
async fn set_response_header_adds_only_when_missing() {
    let app = Router::for_tests(urls())
        .unwrap()
        .with_layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("SAMEORIGIN"),
        ))
        .with_layer(SetResponseHeaderLayer::overriding(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain"),
        ));
    let response = Client::new(app).get("/hello/").send().await;
    assert_eq!(response.header("x-frame-options"), Some("SAMEORIGIN"));
    assert_eq!(response.header("content-type"), Some("text/plain"));
}

#[tokio::test]
async fn request_header_layer_reaches_the_view() {
    let app = Router::for_tests(urls())
        .unwrap()
        .with_layer(SetRequestHeaderLayer::overriding(
            HeaderName::from_static("x-from-layer"),
            HeaderValue::from_static("tower"),
        ));
    let response = Client::new(app).get("/echo/").send().await;
    assert_eq!(response.text(), "tower|tower");
}

#[tokio::test]
async fn timeout_layer_answers_408() {
    let app = Router::for_tests(urls())
        .unwrap()
        .with_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(50),
        ));
    let client = Client::new(app);
    let response = client.get("/slow/").send().await;
    assert_eq!(response.status, 408);
    assert_eq!(response.text(), "");
    // A fast view is untouched.
    let response = client.get("/hello/").send().await;
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn tower_errors_are_uncaught_exceptions() {
    // tower's own TimeoutLayer fails with `Elapsed`: a 500 through handler500.
    let app = Router::for_tests(urls())
        .unwrap()
        .with_layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(50)));
    let response = Client::new(app).get("/slow/").send().await;
    assert_eq!(response.status, 500);
    assert!(
        response.text().contains("Server Error (500)"),
        "{}",
        response.text()
    );
}

#[tokio::test]
async fn cors_layer_preflight_and_simple_requests() {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list([HeaderValue::from_static(
            "https://example.com",
        )]))
        .allow_methods([Method::GET, Method::POST]);
    let app = Router::for_tests(urls())
        .unwrap()
        .with_layer(cors)
        .with_middleware(Mark("inner"));
    let client = Client::new(app);
    // A preflight is answered by the layer; the inner middleware and the view never run.
    let response = client
        .options("/hello/")
        .header("Origin", "https://example.com")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://example.com")
    );
    assert_eq!(response.header("access-control-allow-methods"), Some("GET,POST"));
    assert_eq!(response.header("x-order"), None);
    assert_eq!(response.text(), "");
    // A simple request goes through and gets the CORS header.
    let response = client
        .get("/hello/")
        .header("Origin", "https://example.com")
        .send()
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "hello in:inner");
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://example.com")
    );
    // Another origin gets no CORS header.
    let response = client
        .get("/hello/")
        .header("Origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(response.header("access-control-allow-origin"), None);
}

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MAX_RUNNING: AtomicUsize = AtomicUsize::new(0);

async fn counted(_request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    MAX_RUNNING.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(30)).await;
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    Ok(HttpResponse::new("ok"))
}

#[tokio::test]
async fn concurrency_limit_is_shared_across_requests() {
    let app = Router::for_tests(vec![path("counted/", counted)])
        .unwrap()
        .with_layer(ConcurrencyLimitLayer::new(1));
    let client = Client::new(app);
    let requests = (0..4).map(|_| client.get("/counted/").send());
    let responses = futures::future::join_all(requests).await;
    assert!(responses.iter().all(|r| r.status == 200 && r.text() == "ok"));
    // One semaphore for every request: never two views at once.
    assert_eq!(MAX_RUNNING.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn csrf_cookie_and_template_context_cross_a_layer() {
    let engine = Engine::builder().template("t.html", "{{ word }}").build();
    let view = move |request: HttpRequest| {
        let engine = engine.clone();
        async move {
            let mut ctx = indexmap::IndexMap::new();
            ctx.insert("word".to_owned(), nuages_template::Value::from("templated"));
            Ok(TemplateResponse::new(&request, &engine, &["t.html"], ctx))
        }
    };
    let app = Router::for_tests(vec![path("t/", view), path("token/", token)])
        .unwrap()
        .with_middleware(CsrfViewMiddleware)
        // A layer that changes the request, so the view gets a derived request object.
        .with_layer(SetRequestHeaderLayer::overriding(
            HeaderName::from_static("x-from-layer"),
            HeaderValue::from_static("1"),
        ));
    let client = Client::new(app);
    let response = client.get("/t/").send().await;
    assert_eq!(response.text(), "templated");
    assert_eq!(response.templates(), ["t.html"]);
    assert_eq!(
        response.context().and_then(|c| c.get("word")).map(|v| v.py_str()),
        Some("templated".to_owned())
    );
    // The view asked for a token on the derived request; the outer CsrfViewMiddleware
    // still sets the cookie.
    let response = client.get("/token/").send().await;
    assert_eq!(response.text().len(), 64);
    assert_eq!(client.cookies().get("csrftoken").map(String::len), Some(32));
}
