//! The request cycle end to end through the test client: middleware order and hooks,
//! error handlers, class-based views, decorators, CSRF, cookies, redirects.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use nuages_http::cookies::Cookie;
use nuages_http::handler::ViewFunc;
use nuages_http::middleware::{
    get_token, CommonMiddleware, ConditionalGetMiddleware, CsrfViewMiddleware, GZipMiddleware, Middleware,
    MiddlewareFuture, Next, SecurityMiddleware, XFrameOptionsMiddleware,
};
use nuages_http::views::decorators::{never_cache, require_POST, vary_on_headers};
use nuages_http::views::{RedirectView, View};
use nuages_http::{
    csrf_exempt, include, path, re_path, xframe_options_exempt, Client, Conf, HttpError, HttpRequest,
    HttpResponse, HttpSettings, JsonResponse, Router, UploadedFile,
};

type R = Result<HttpResponse, HttpError>;

async fn index(_r: HttpRequest) -> R {
    Ok(HttpResponse::new("index"))
}
async fn missing(_r: HttpRequest) -> R {
    Err(HttpError::Http404("No Book matches the given query.".into()))
}
async fn forbidden(_r: HttpRequest) -> R {
    Err(HttpError::PermissionDenied("no".into()))
}
async fn boom(_r: HttpRequest) -> R {
    Err(HttpError::other("database exploded"))
}
async fn panics(_r: HttpRequest) -> R {
    panic!("oh no")
}
async fn echo(r: HttpRequest) -> R {
    let mut out = serde_json::Map::new();
    out.insert("method".into(), r.method().as_str().into());
    out.insert("q".into(), r.GET().getlist("q").to_vec().into());
    out.insert("post".into(), r.POST().getlist("a").to_vec().into());
    out.insert(
        "body".into(),
        String::from_utf8_lossy(r.body()).into_owned().into(),
    );
    out.insert("cookie".into(), r.COOKIES().get("flavour").cloned().into());
    if let Some(f) = r.FILES().get("doc") {
        out.insert("file".into(), format!("{}:{}", f.name, f.size).into());
    }
    JsonResponse::new(&serde_json::Value::Object(out))
}
async fn json_in(r: HttpRequest) -> R {
    let v: serde_json::Value = r.json()?;
    JsonResponse::new(&serde_json::json!({"got": v}))
}
async fn set_cookie(_r: HttpRequest) -> R {
    let mut resp = HttpResponse::new("set");
    resp.set_cookie(Cookie::new("flavour", "chocolate"));
    Ok(resp)
}
async fn form_page(r: HttpRequest) -> R {
    Ok(HttpResponse::new(get_token(&r)))
}
async fn big(_r: HttpRequest) -> R {
    Ok(HttpResponse::new("x".repeat(1000)))
}

fn urls() -> Vec<nuages_http::urls::UrlEntry> {
    vec![
        path("", index).name("index"),
        path("missing/", missing),
        path("forbidden/", forbidden),
        path("boom/", boom),
        path("panic/", panics),
        path("echo/", echo).name("echo"),
        path("json/", json_in),
        path("cookie/", set_cookie),
        path("form/", form_page),
        path("exempt/", csrf_exempt(echo)),
        path("big/", big),
        path("frame-ok/", xframe_options_exempt(index)),
        path("only-post/", require_POST(index)),
        path("nocache/", never_cache(index)),
        path("vary/", vary_on_headers(&["Accept-Language"], index)),
        path("books/", View::new().get(index).post(echo).as_view()).name("books"),
        path(
            "go/",
            RedirectView {
                pattern_name: Some("index".into()),
                ..Default::default()
            }
            .as_view(),
        ),
        path("gone/", RedirectView::default().as_view()),
        path(
            "old/<int:pk>/",
            RedirectView {
                url: Some("/new/%(pk)s/".into()),
                permanent: true,
                ..Default::default()
            }
            .as_view(),
        ),
        path(
            "loop/",
            RedirectView {
                url: Some("/loop/".into()),
                ..Default::default()
            }
            .as_view(),
        ),
        path(
            "shop/",
            include(vec![re_path(r"^item/(?P<id>[0-9]+)/$", index).name("item")]).app_name("shop"),
        ),
    ]
}

fn app() -> Router {
    Router::for_tests(urls()).unwrap()
}

#[tokio::test]
async fn errors_become_django_pages() {
    let c = Client::new(app());
    let r = c.get("/nope/").send().await;
    assert_eq!(r.status, 404);
    assert!(r
        .text()
        .contains("<h1>Not Found</h1><p>The requested resource was not found on this server.</p>"));
    assert_eq!(c.get("/missing/").send().await.status, 404);
    assert_eq!(c.get("/forbidden/").send().await.status, 403);
    let r = c.get("/boom/").send().await;
    assert_eq!(r.status, 500);
    assert!(r.text().contains("Server Error (500)"));
    assert_eq!(c.get("/panic/").send().await.status, 500);
    let r = c
        .post("/json/")
        .body("{not json", "application/json")
        .send()
        .await;
    assert_eq!(r.status, 400);
    let r = c.get("/").header("Host", "evil.example").send().await;
    assert_eq!(r.status, 200, "host is only validated when asked for");
}

#[tokio::test]
async fn custom_handlers_and_debug_pages() {
    let app = app().handler404(|req, err| {
        let body = format!("custom 404 for {}: {err}", req.path());
        Box::pin(async move { HttpResponse::not_found(body) })
    });
    let c = Client::new(app);
    assert_eq!(
        c.get("/missing/").send().await.text(),
        "custom 404 for /missing/: No Book matches the given query."
    );

    let mut settings = nuages_core::Settings::default();
    settings.debug = true;
    settings.secret_key = "super-secret-value".into();
    settings.allowed_hosts = vec!["testserver".into()];
    let debug_app = Router::with_conf(Conf::with_http(settings, HttpSettings::default()), urls()).unwrap();
    let c = Client::new(debug_app);
    let r = c.get("/shop/item/x/").send().await;
    assert_eq!(r.status, 404);
    let text = r.text();
    assert!(text.contains("Page not found <span>(404)</span>"), "{text}");
    assert!(
        text.contains("shop/ ^item/(?P&lt;id&gt;[0-9]+)/$ [name=&#x27;item&#x27;]"),
        "{text}"
    );
    let r = c.get("/boom/").send().await;
    let text = r.text();
    assert!(text.contains("Exception at /boom/"));
    assert!(text.contains("database exploded"));
    assert!(!text.contains("super-secret-value"));
    assert!(text.contains("********************"));
}

#[tokio::test]
async fn client_bodies_and_cookies() {
    let c = Client::new(app());
    let r = c.get("/echo/").query([("q", "a b"), ("q", "é")]).send().await;
    let j = r.json().unwrap();
    assert_eq!(j["q"], serde_json::json!(["a b", "é"]));
    let r = c.post("/echo/").form([("a", "1"), ("a", "2")]).send().await;
    assert_eq!(r.json().unwrap()["post"], serde_json::json!(["1", "2"]));
    let file = UploadedFile::in_memory("doc", "notes.txt", "text/plain", "hello world");
    let r = c.post("/echo/").multipart([("a", "x")], vec![file]).send().await;
    let j = r.json().unwrap();
    assert_eq!(j["file"], "notes.txt:11");
    assert_eq!(j["post"], serde_json::json!(["x"]));
    let r = c
        .post("/json/")
        .json(&serde_json::json!({"k": [1, 2]}))
        .send()
        .await;
    assert_eq!(r.text(), r#"{"got": {"k": [1, 2]}}"#);
    c.get("/cookie/").send().await;
    assert_eq!(c.cookies()["flavour"], "chocolate");
    let r = c.get("/echo/").send().await;
    assert_eq!(r.json().unwrap()["cookie"], "chocolate");
}

#[tokio::test]
async fn class_based_views_and_redirects() {
    let c = Client::new(app());
    assert_eq!(c.get("/books/").send().await.text(), "index");
    let r = c.head("/books/").send().await;
    assert_eq!(r.status, 200);
    assert!(r.content().is_empty());
    let r = c.options("/books/").send().await;
    assert_eq!(r.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
    assert_eq!(r.header("content-length"), Some("0"));
    let r = c.put("/books/").send().await;
    assert_eq!(r.status, 405);
    let r = c.get("/go/").send().await;
    assert_eq!((r.status.as_u16(), r.header("location")), (302, Some("/")));
    let r = c.get("/old/7/").follow(true).send().await;
    assert_eq!(r.redirect_chain, vec![("/new/7/".to_owned(), 301)]);
    assert_eq!(r.status, 404);
    assert_eq!(c.get("/gone/").send().await.status, 410);
    let r = c.get("/loop/").follow(true).send().await;
    assert!(r.redirect_loop);
    assert_eq!(c.get("/only-post/").send().await.status, 405);
    assert_eq!(c.post("/only-post/").send().await.status, 200);
    let r = c.get("/nocache/").send().await;
    assert_eq!(
        r.header("cache-control"),
        Some("max-age=0, no-cache, no-store, must-revalidate, private")
    );
    assert_eq!(
        c.get("/vary/").send().await.header("vary"),
        Some("Accept-Language")
    );
}

struct Recorder {
    tag: &'static str,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Middleware for Recorder {
    fn call<'a>(&'a self, request: HttpRequest, next: Next<'a>) -> MiddlewareFuture<'a> {
        Box::pin(async move {
            self.log.lock().unwrap().push(format!("{} in", self.tag));
            if request.path() == "/short/" && self.tag == "outer" {
                return HttpResponse::new("short-circuited");
            }
            let r = next.run(request).await;
            self.log.lock().unwrap().push(format!("{} out", self.tag));
            r
        })
    }
    fn process_view<'a>(
        &'a self,
        _r: &'a HttpRequest,
        view: &'a ViewFunc,
    ) -> nuages_http::middleware::HookFuture<'a, Option<HttpResponse>> {
        Box::pin(async move {
            // The hooks are async: they may await (a database query, a cache lookup).
            tokio::task::yield_now().await;
            self.log.lock().unwrap().push(format!(
                "{} view {}",
                self.tag,
                view.name.rsplit('.').next().unwrap_or("")
            ));
            None
        })
    }
    fn process_exception<'a>(
        &'a self,
        _r: &'a HttpRequest,
        err: &'a HttpError,
    ) -> nuages_http::middleware::HookFuture<'a, Option<HttpResponse>> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.log.lock().unwrap().push(format!("{} exception", self.tag));
            if self.tag == "inner" {
                return Some(HttpResponse::new(format!("handled: {err}")));
            }
            None
        })
    }
}

#[tokio::test]
async fn onion_order_and_hooks() {
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = Arc::new(AtomicUsize::new(0));
    let s2 = started.clone();
    let app = app()
        .with_middleware(Recorder {
            tag: "outer",
            log: log.clone(),
        })
        .with_middleware(Recorder {
            tag: "inner",
            log: log.clone(),
        })
        .on_request_started(move |_| {
            s2.fetch_add(1, Ordering::SeqCst);
        });
    let c = Client::new(app);
    c.get("/").send().await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "outer in",
            "inner in",
            "outer view index",
            "inner view index",
            "inner out",
            "outer out"
        ]
    );
    log.lock().unwrap().clear();
    let r = c.get("/boom/").send().await;
    assert_eq!(r.text(), "handled: database exploded");
    assert_eq!(log.lock().unwrap()[4], "inner exception");
    log.lock().unwrap().clear();
    // A panicking view is an uncaught exception: process_exception sees it.
    let r = c.get("/panic/").send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "handled: oh no");
    log.lock().unwrap().clear();
    assert_eq!(c.get("/short/").send().await.text(), "short-circuited");
    assert_eq!(*log.lock().unwrap(), ["outer in"]);
    assert_eq!(started.load(Ordering::SeqCst), 4);
}

/// Panics outside the view: in a middleware, and in a custom error handler.
#[tokio::test]
async fn panics_in_middleware_and_handlers_are_500s() {
    struct Panicking;
    impl Middleware for Panicking {
        fn call<'a>(&'a self, request: HttpRequest, next: Next<'a>) -> MiddlewareFuture<'a> {
            Box::pin(async move {
                if request.path() == "/" {
                    panic!("middleware exploded");
                }
                next.run(request).await
            })
        }
    }
    let c = Client::new(app().with_middleware(Panicking));
    let r = c.get("/").send().await;
    assert_eq!(r.status, 500);
    assert!(r.text().contains("Server Error (500)"));
    assert_eq!(c.get("/missing/").send().await.status, 404);

    let c = Client::new(app().handler404(|_request, _err| Box::pin(async { panic!("handler exploded") })));
    assert_eq!(c.get("/nope/").send().await.status, 500);
    assert_eq!(c.get("/panic/").send().await.status, 500);
}

#[tokio::test]
async fn common_security_xframe_gzip_conditional() {
    let app = app()
        .with_middleware(SecurityMiddleware::new())
        .with_middleware(CommonMiddleware::new())
        .with_middleware(XFrameOptionsMiddleware)
        .with_middleware(GZipMiddleware)
        .with_middleware(ConditionalGetMiddleware);
    let c = Client::new(app);
    let r = c.get("/echo").query([("q", "1")]).send().await;
    assert_eq!(
        (r.status.as_u16(), r.header("location")),
        (301, Some("/echo/?q=1"))
    );
    assert_eq!(c.get("/nope").send().await.status, 404);
    let r = c.get("/").send().await;
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("same-origin"));
    assert_eq!(r.header("cross-origin-opener-policy"), Some("same-origin"));
    assert_eq!(r.header("content-length"), Some("5"));
    assert!(c
        .get("/frame-ok/")
        .send()
        .await
        .header("x-frame-options")
        .is_none());
    let r = c.get("/").header("Host", "evil.example").send().await;
    assert_eq!(r.status, 400, "CommonMiddleware validates the host");
    let r = c
        .get("/big/")
        .header("Accept-Encoding", "gzip, deflate")
        .send()
        .await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert!(r.header("etag").unwrap().starts_with("W/\""));
    let mut d = flate2::read::GzDecoder::new(r.content());
    let mut s = String::new();
    std::io::Read::read_to_string(&mut d, &mut s).unwrap();
    assert_eq!(s, "x".repeat(1000));
    let r = c.get("/").send().await;
    assert!(
        r.header("content-encoding").is_none(),
        "short bodies are not compressed"
    );
    let etag = r.header("etag").unwrap().to_owned();
    let r = c.get("/").header("If-None-Match", &etag).send().await;
    assert_eq!(r.status, 304);
}

#[tokio::test]
async fn csrf_rejections_and_acceptances() {
    let app = app().with_middleware(CsrfViewMiddleware);
    let c = Client::new(app.clone()).enforce_csrf_checks(true);
    let r = c.post("/echo/").form([("a", "1")]).send().await;
    assert_eq!(r.status, 403);
    assert!(r.text().contains("CSRF verification failed. Request aborted."));
    assert!(r.text().contains("requires a CSRF cookie"));
    // GET hands out a token and sets the cookie.
    let token = c.get("/form/").send().await.text();
    assert_eq!(token.len(), 64);
    let cookie = c.cookies()["csrftoken"].clone();
    assert_eq!(cookie.len(), 32);
    let r = c
        .post("/echo/")
        .form([("a", "1"), ("csrfmiddlewaretoken", token.as_str())])
        .send()
        .await;
    assert_eq!(r.status, 200);
    let r = c.post("/echo/").header("X-CSRFToken", &token).send().await;
    assert_eq!(r.status, 200);
    let r = c
        .post("/echo/")
        .header("X-CSRFToken", &"a".repeat(64))
        .send()
        .await;
    assert_eq!(r.status, 403);
    let r = c.post("/echo/").header("X-CSRFToken", "short").send().await;
    assert_eq!(r.status, 403);
    assert_eq!(c.post("/exempt/").send().await.status, 200);
    // Origin must match the host or a trusted origin.
    let r = c
        .post("/echo/")
        .header("X-CSRFToken", &token)
        .header("Origin", "http://evil.example")
        .send()
        .await;
    assert_eq!(r.status, 403);
    let r = c
        .post("/echo/")
        .header("X-CSRFToken", &token)
        .header("Origin", "http://testserver")
        .send()
        .await;
    assert_eq!(r.status, 200);
    // HTTPS requires a good Referer when there is no Origin.
    let r = c
        .post("/echo/")
        .secure(true)
        .header("X-CSRFToken", &token)
        .send()
        .await;
    assert_eq!(r.status, 403);
    assert!(r.text().contains("Referer header"));
    let r = c
        .post("/echo/")
        .secure(true)
        .header("X-CSRFToken", &token)
        .header("Referer", "https://testserver/form/")
        .send()
        .await;
    assert_eq!(r.status, 200);
    // The default client does not enforce checks, like Django's.
    assert_eq!(Client::new(app).post("/echo/").send().await.status, 200);
}

#[tokio::test]
async fn csrf_reason_strings() {
    let mut settings = nuages_core::Settings::default();
    settings.debug = true;
    settings.secret_key = "k".into();
    settings.allowed_hosts = vec!["testserver".into()];
    let http = HttpSettings {
        csrf_trusted_origins: vec!["https://*.example.com".into()],
        ..Default::default()
    };
    let app = Router::with_conf(Conf::with_http(settings, http), urls())
        .unwrap()
        .with_middleware(CsrfViewMiddleware);
    let c = Client::new(app).enforce_csrf_checks(true);
    let token = c.get("/form/").send().await.text();
    let r = c
        .post("/echo/")
        .header("X-CSRFToken", &"b".repeat(64))
        .send()
        .await;
    assert!(
        r.text()
            .contains("CSRF token from the &#x27;X-Csrftoken&#x27; HTTP header incorrect."),
        "{}",
        r.text()
    );
    let r = c
        .post("/echo/")
        .form([("csrfmiddlewaretoken", "bad!")])
        .send()
        .await;
    assert!(r.text().contains("CSRF token from POST has incorrect length."));
    let r = c.post("/echo/").send().await;
    assert!(r.text().contains("CSRF token missing."));
    let r = c
        .post("/echo/")
        .header("Origin", "https://evil.com")
        .header("X-CSRFToken", &token)
        .send()
        .await;
    assert!(r
        .text()
        .contains("Origin checking failed - https://evil.com does not match any trusted origins."));
    let r = c
        .post("/echo/")
        .header("Origin", "https://shop.example.com")
        .header("X-CSRFToken", &token)
        .send()
        .await;
    assert_eq!(r.status, 200);
}

/// Django's "Template error" section of the technical 500 page: a debug engine's syntax
/// and render errors show the template name, line, excerpt with the error marked, and
/// the message; production shows the plain page.
#[tokio::test]
async fn technical_500_shows_the_template_excerpt() {
    use nuages_http::template::{render, TemplateResponse};
    use nuages_template::Engine;

    let engine = Engine::builder()
        .debug(true)
        .template("syntax.html", "<h1>Shop</h1>\n{% if open %}\n<p>{{ name }}</p>\n")
        .template(
            "render.html",
            "<ul>\n{% for b in books %}\n  <li>{{ b }}</li>\n{% endfor %}\n<p>{% for x in total %}{% endfor %}</p>\n</ul>\n",
        )
        .template("includes.html", "top\n{% include \"nowhere.html\" %}\n")
        .build();
    let plain_engine = Engine::builder()
        .template("syntax.html", "<h1>Shop</h1>\n{% if open %}\n")
        .build();
    let (e1, e2, e3, e4) = (
        engine.clone(),
        engine.clone(),
        engine.clone(),
        plain_engine.clone(),
    );
    let urls = move || {
        let (e1, e2, e3, e4) = (e1.clone(), e2.clone(), e3.clone(), e4.clone());
        vec![
            path("syntax/", move |r: HttpRequest| {
                let e = e1.clone();
                async move { render(&r, &e, "syntax.html", &serde_json::json!({})) }
            }),
            path("render/", move |r: HttpRequest| {
                let e = e2.clone();
                async move {
                    let ctx = nuages_http::template::context_from(
                        &serde_json::json!({"books": ["a<b"], "total": 3}),
                    )?;
                    Ok::<_, HttpError>(TemplateResponse::new(&r, &e, &["render.html"], ctx))
                }
            }),
            path("includes/", move |r: HttpRequest| {
                let e = e3.clone();
                async move { render(&r, &e, "includes.html", &serde_json::json!({})) }
            }),
            path("plain/", move |r: HttpRequest| {
                let e = e4.clone();
                async move { render(&r, &e, "syntax.html", &serde_json::json!({})) }
            }),
        ]
    };
    let mut settings = nuages_core::Settings::default();
    settings.debug = true;
    settings.secret_key = "k".into();
    settings.allowed_hosts = vec!["testserver".into()];
    let c =
        Client::new(Router::with_conf(Conf::with_http(settings, HttpSettings::default()), urls()).unwrap());

    let r = c.get("/syntax/").send().await;
    assert_eq!(r.status, 500);
    let text = r.text();
    assert!(
        text.contains("<title>TemplateSyntaxError at /syntax/</title>"),
        "{text}"
    );
    assert!(
        text.contains("<h2>Error during template rendering</h2>"),
        "{text}"
    );
    assert!(
        text.contains("<p>In template <code>syntax.html</code>, error at line <strong>2</strong></p>"),
        "{text}"
    );
    assert!(
        text.contains(
            "<h3>Unclosed tag on line 2: &#x27;if&#x27;. Looking for one of: elif, else, endif.</h3>"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "<tr class=\"error\"><th>2</th>\n     <td><span class=\"specific\">{% if open %}</span>\n</td>"
        ),
        "{text}"
    );
    assert!(
        text.contains("<tr><th>1</th>\n      <td>&lt;h1&gt;Shop&lt;/h1&gt;\n</td></tr>"),
        "{text}"
    );
    assert!(
        text.contains("<tr><th>3</th>\n      <td>&lt;p&gt;{{ name }}&lt;/p&gt;\n</td></tr>"),
        "{text}"
    );

    // A render error, through a late-rendered TemplateResponse.
    let r = c.get("/render/").send().await;
    assert_eq!(r.status, 500);
    let text = r.text();
    assert!(text.contains("<title>TypeError at /render/</title>"), "{text}");
    assert!(
        text.contains("<code>render.html</code>, error at line <strong>5</strong>"),
        "{text}"
    );
    assert!(
        text.contains("<h3>&#x27;int&#x27; object is not iterable</h3>"),
        "{text}"
    );
    assert!(
        text.contains(
            "<td>&lt;p&gt;<span class=\"specific\">{% for x in total %}</span>{% endfor %}&lt;/p&gt;\n</td>"
        ),
        "{text}"
    );

    // TemplateDoesNotExist from an include: the loader postmortem and the include line.
    let r = c.get("/includes/").send().await;
    let text = r.text();
    assert!(
        text.contains("<title>TemplateDoesNotExist at /includes/</title>"),
        "{text}"
    );
    assert!(text.contains("<h2>Template-loader postmortem</h2>"), "{text}");
    assert!(
        text.contains("<li>nowhere.html (Source does not exist)</li>"),
        "{text}"
    );
    assert!(
        text.contains("<span class=\"specific\">{% include &quot;nowhere.html&quot; %}</span>"),
        "{text}"
    );

    // An engine without debug: the syntax error's own line still shows.
    let r = c.get("/plain/").send().await;
    let text = r.text();
    assert!(
        text.contains("<code>syntax.html</code>, error at line <strong>2</strong>"),
        "{text}"
    );
    assert!(
        text.contains("<tr class=\"error\"><th>2</th>\n     <td>{% if open %}</td>"),
        "{text}"
    );

    // DEBUG off: the plain page, no template source.
    let c = Client::new(Router::for_tests(urls()).unwrap());
    let r = c.get("/syntax/").send().await;
    assert_eq!(r.status, 500);
    assert!(r.text().contains("<h1>Server Error (500)</h1>"));
    assert!(!r.text().contains("if open"));
    let r = c.get("/render/").send().await;
    assert_eq!(r.status, 500);
    assert!(!r.text().contains("template"));
}

/// Synchronous views (`fn(HttpRequest) -> ViewResult`) go through the same cycle as
/// `async` ones: their errors and panics become error pages or reach
/// `process_exception`, decorators and class-based views take them, and the view name is
/// the function's path.
#[tokio::test]
async fn synchronous_views_go_through_the_whole_cycle() {
    fn hello(r: HttpRequest) -> R {
        Ok(HttpResponse::new(format!(
            "hello {}",
            r.GET().get("name").unwrap_or("you")
        )))
    }
    fn sync_missing(_r: HttpRequest) -> R {
        Err(HttpError::Http404("No Book matches the given query.".into()))
    }
    fn sync_panics(_r: HttpRequest) -> R {
        panic!("sync oh no")
    }
    let urls = vec![
        path("hello/", hello).name("hello"),
        path("missing/", sync_missing),
        path("panic/", sync_panics),
        path("post-only/", require_POST(hello)),
        path("exempt/", csrf_exempt(hello)),
        path("both/", View::new().get(hello).post(echo).as_view()),
    ];
    let c = Client::new(Router::for_tests(urls.clone()).unwrap());
    assert_eq!(
        c.get("/hello/").query([("name", "Ada")]).send().await.text(),
        "hello Ada"
    );
    assert_eq!(c.get("/missing/").send().await.status, 404);
    // No middleware, hooks or handlers: the panic is caught around the view alone.
    let r = c.get("/panic/").send().await;
    assert_eq!(r.status, 500);
    assert!(r.text().contains("Server Error (500)"));
    assert_eq!(c.get("/post-only/").send().await.status, 405);
    assert_eq!(c.post("/post-only/").send().await.text(), "hello you");
    assert_eq!(c.get("/exempt/").send().await.text(), "hello you");
    assert_eq!(c.get("/both/").send().await.text(), "hello you");
    let r = c.post("/both/").send().await;
    assert!(r.text().contains(r#""method": "POST""#), "{}", r.text());

    // A synchronous view's panic is an uncaught exception, as an async view's is.
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let app = Router::for_tests(urls).unwrap().with_middleware(Recorder {
        tag: "inner",
        log: log.clone(),
    });
    let c = Client::new(app);
    assert_eq!(c.get("/panic/").send().await.text(), "handled: sync oh no");
    assert_eq!(c.get("/hello/").send().await.text(), "hello you");
    assert_eq!(
        *log.lock().unwrap(),
        [
            "inner in",
            "inner view sync_panics",
            "inner exception",
            "inner out",
            "inner in",
            "inner view hello",
            "inner out"
        ]
    );
}
