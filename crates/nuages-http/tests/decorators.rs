//! View decorators (`django.views.decorators.*`), the CSRF decorators, `redirect()` to a
//! view name and `reverse_lazy`, through the test client. One test function: `reverse`
//! and `reverse_lazy` use the process-wide URLconf (the last `Router` built).

use std::time::{Duration, SystemTime};

use nuages_http::cache::Directive;
use nuages_http::middleware::csrf::{csrf_protect, ensure_csrf_cookie};
use nuages_http::middleware::RequestLoggingMiddleware;
use nuages_http::shortcuts::{redirect, redirect_to_view};
use nuages_http::views::decorators::{
    cache_control, condition, etag, etag_fn, gzip_page, last_modified, last_modified_fn, require_GET,
    require_http_methods, require_safe, vary_on_cookie,
};
use nuages_http::{path, reverse_lazy, Client, HttpError, HttpRequest, HttpResponse, Router};

type R = Result<HttpResponse, HttpError>;

async fn ok(_r: HttpRequest) -> R {
    Ok(HttpResponse::new("ok"))
}

async fn big(_r: HttpRequest) -> R {
    Ok(HttpResponse::new("nuages ".repeat(100)))
}

async fn book(r: HttpRequest) -> R {
    Ok(HttpResponse::new(format!(
        "book {}",
        r.kwarg("pk").unwrap_or_default()
    )))
}

async fn to_book(_r: HttpRequest) -> R {
    redirect_to_view("book", &[&7], &[], false)
}

fn modified() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

#[tokio::test]
async fn decorators_and_redirects() {
    let urls = vec![
        path("methods/", require_http_methods(&["GET", "post"], ok)),
        path("get-only/", require_GET(ok)),
        path("safe/", require_safe(ok)),
        path("etag/", etag(etag_fn(|_r| async { Some("v1".to_owned()) }), ok)),
        path(
            "modified/",
            last_modified(last_modified_fn(|_r| async { Some(modified()) }), ok),
        ),
        path(
            "both/",
            condition(
                Some(etag_fn(|_r| async { Some("v2".to_owned()) })),
                Some(last_modified_fn(|_r| async { Some(modified()) })),
                ok,
            ),
        ),
        path(
            "cached/",
            cache_control(
                &[
                    ("max_age", Directive::Value("3600".into())),
                    ("private", Directive::Flag),
                ],
                ok,
            ),
        ),
        path("vary/", vary_on_cookie(ok)),
        path("gzip/", gzip_page(big)),
        path("protected/", csrf_protect(ok)),
        path("ensure/", ensure_csrf_cookie(ok)),
        path("books/<int:pk>/", book).name("book"),
        path("to-book/", to_book),
    ];
    let c = Client::new(
        Router::for_tests(urls)
            .unwrap()
            .with_middleware(RequestLoggingMiddleware),
    );

    // require_http_methods: 405 with Django's `Allow` (the methods as given, upper-cased).
    assert_eq!(c.get("/methods/").send().await.status, 200);
    assert_eq!(c.post("/methods/").send().await.status, 200);
    let r = c.put("/methods/").send().await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, POST"));
    let r = c.post("/get-only/").send().await;
    assert_eq!((r.status.as_u16(), r.header("allow")), (405, Some("GET")));
    assert_eq!(c.head("/safe/").send().await.status, 200);
    let r = c.delete("/safe/").send().await;
    assert_eq!((r.status.as_u16(), r.header("allow")), (405, Some("GET, HEAD")));

    // etag / last_modified / condition: headers on GET, 304 when they match, 412 for
    // unsafe methods whose precondition fails.
    let r = c.get("/etag/").send().await;
    assert_eq!(r.header("etag"), Some("\"v1\""));
    let r = c.get("/etag/").header("If-None-Match", "\"v1\"").send().await;
    assert_eq!(r.status, 304);
    assert_eq!(r.text(), "");
    let r = c.get("/etag/").header("If-None-Match", "\"other\"").send().await;
    assert_eq!(r.status, 200);
    let r = c.post("/etag/").header("If-Match", "\"other\"").send().await;
    assert_eq!(r.status, 412);
    let r = c.get("/modified/").send().await;
    assert_eq!(r.header("last-modified"), Some("Tue, 14 Nov 2023 22:13:20 GMT"));
    let r = c
        .get("/modified/")
        .header("If-Modified-Since", "Tue, 14 Nov 2023 22:13:20 GMT")
        .send()
        .await;
    assert_eq!(r.status, 304);
    let r = c
        .get("/modified/")
        .header("If-Modified-Since", "Tue, 14 Nov 2023 22:13:19 GMT")
        .send()
        .await;
    assert_eq!(r.status, 200);
    let r = c.get("/both/").send().await;
    assert_eq!(
        (r.header("etag"), r.header("last-modified")),
        (Some("\"v2\""), Some("Tue, 14 Nov 2023 22:13:20 GMT"))
    );
    // If-None-Match wins over If-Modified-Since (RFC 9110, as Django).
    let r = c
        .get("/both/")
        .header("If-None-Match", "\"stale\"")
        .header("If-Modified-Since", "Tue, 14 Nov 2023 22:13:20 GMT")
        .send()
        .await;
    assert_eq!(r.status, 200);

    // cache_control / vary_on_cookie / gzip_page.
    let r = c.get("/cached/").send().await;
    assert_eq!(r.header("cache-control"), Some("max-age=3600, private"));
    let r = c.get("/vary/").send().await;
    assert_eq!(r.header("vary"), Some("Cookie"));
    let r = c.get("/gzip/").header("Accept-Encoding", "gzip").send().await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    let r = c.get("/gzip/").send().await;
    assert_eq!(r.header("content-encoding"), None);

    // csrf_protect without the middleware: the checks run for this view.
    let strict = Client::new(
        Router::for_tests(vec![
            path("protected/", csrf_protect(ok)),
            path("ensure/", ensure_csrf_cookie(ok)),
            path("plain/", ok),
        ])
        .unwrap(),
    )
    .enforce_csrf_checks(true);
    let r = strict.post("/protected/").send().await;
    assert_eq!(r.status, 403);
    assert!(
        r.text()
            .contains("this site requires a CSRF cookie when submitting forms"),
        "{}",
        r.text()
    );
    assert_eq!(strict.post("/plain/").send().await.status, 200);
    // ensure_csrf_cookie sends the cookie; its token then passes csrf_protect.
    let r = strict.get("/ensure/").send().await;
    assert!(r.cookie("csrftoken").is_some());
    let secret = strict.cookies()["csrftoken"].clone();
    let r = strict
        .post("/protected/")
        .header("X-CSRFToken", &secret)
        .send()
        .await;
    assert_eq!(r.status, 200);
    // A page without the decorator sends no cookie.
    let fresh = Client::new(Router::for_tests(vec![path("plain/", ok)]).unwrap());
    assert!(fresh.get("/plain/").send().await.cookie("csrftoken").is_none());

    // redirect() to a URL and to a view name; reverse_lazy resolves on first use. The
    // URLconf is the last Router built: build the main one again.
    let c = Client::new(
        Router::for_tests(vec![
            path("books/<int:pk>/", book).name("book"),
            path("to-book/", to_book),
        ])
        .unwrap(),
    );
    let r = c.get("/to-book/").send().await;
    assert_eq!(
        (r.status.as_u16(), r.header("location")),
        (302, Some("/books/7/"))
    );
    let r = c.get("/to-book/").follow(true).send().await;
    assert_eq!(r.text(), "book 7");
    assert_eq!(r.redirect_chain, [("/books/7/".to_owned(), 302)]);
    assert_eq!(redirect("/x/", true).unwrap().status, 301);
    let lazy = reverse_lazy("book", vec!["12".into()], vec![]);
    assert_eq!(lazy.get().unwrap(), "/books/12/");
    let missing = reverse_lazy("nope", vec![], vec![]);
    assert_eq!(
        missing.get().unwrap_err().to_string(),
        "Reverse for 'nope' not found. 'nope' is not a valid view function or pattern name."
    );
}

/// `RequestFactory`: requests for calling views directly, without middleware or URLconf
/// (Django's `RequestFactory`), here through a decorated view.
#[tokio::test]
async fn request_factory_calls_views_directly() {
    use nuages_http::{IntoView, RequestFactory};
    let rf = RequestFactory::default();
    let view = require_http_methods(&["GET", "POST"], |r: HttpRequest| async move {
        Ok::<_, HttpError>(HttpResponse::new(format!(
            "{} {} {:?} {}",
            r.method(),
            r.get_full_path(),
            r.POST().getlist("a"),
            String::from_utf8_lossy(r.body())
        )))
    })
    .into_view();
    let r = view.call(rf.get("/x/?q=1")).await.unwrap();
    assert_eq!(r.text(), "GET /x/?q=1 [] ");
    assert_eq!(rf.get("/x/").get_host().unwrap(), "testserver");
    let r = view
        .call(rf.post_form("/x/", &[("a", "1"), ("a", "2")]))
        .await
        .unwrap();
    assert_eq!(r.text(), "POST /x/ [\"1\", \"2\"] a=1&a=2");
    let r = view
        .call(rf.generic("PUT", "/x/", "{\"k\": 1}", "application/json"))
        .await
        .unwrap();
    assert_eq!(r.status, 405);
    let r = view
        .call(rf.generic("POST", "/x/", "{\"k\": 1}", "application/json"))
        .await
        .unwrap();
    assert_eq!(r.text(), "POST /x/ [] {\"k\": 1}");
}
