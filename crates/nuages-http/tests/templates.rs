//! Template responses in the request cycle: late rendering and
//! `process_template_response`, `TemplateView`, `{% url %}` through the resolver,
//! `{% csrf_token %}`, `request` in templates, the client's `context`/`templates`.
//! One test function: `{% url %}` uses the process-wide URLconf.

use std::sync::Arc;

use indexmap::IndexMap;
use nuages_http::middleware::{CsrfViewMiddleware, Middleware};
use nuages_http::template::{render, template_data, TemplateResponse, TemplateView, UrlconfReverser};
use nuages_http::{include, path, Client, HttpError, HttpRequest, HttpResponse, Router};
use nuages_template::{Engine, Value};

struct AddFooter;

impl Middleware for AddFooter {
    fn process_template_response<'a>(
        &'a self,
        _r: &'a HttpRequest,
        mut response: HttpResponse,
    ) -> nuages_http::middleware::HookFuture<'a, HttpResponse> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            if let Some(data) = template_data(&mut response) {
                data.context_data
                    .insert("footer".into(), Value::from("from middleware"));
            }
            response
        })
    }
}

fn engine() -> Engine {
    Engine::builder()
        .template(
            "book.html",
            "{{ title }}|{{ footer }}|{% url 'shop:book' pk=7 %}|{{ request.method }} {{ request.GET.q }}",
        )
        .template(
            "page.html",
            "page {{ slug }} {{ extra }} {{ request.resolver_match.url_name }}",
        )
        .template("form.html", "<form>{% csrf_token %}</form>")
        .template("token.html", "{{ csrf_token }}")
        .template("broken.html", "{% url 'nope' %}")
        .url_reverser(Arc::new(UrlconfReverser))
        .build()
}

#[tokio::test]
async fn template_responses_end_to_end() {
    let e = engine();
    let e1 = e.clone();
    let book = move |r: HttpRequest| {
        let e = e1.clone();
        async move {
            let mut ctx = IndexMap::new();
            ctx.insert("title".to_owned(), Value::from("Dune <1>"));
            Ok::<_, HttpError>(TemplateResponse::new(&r, &e, &["missing.html", "book.html"], ctx))
        }
    };
    let e2 = e.clone();
    let form = move |r: HttpRequest| {
        let e = e2.clone();
        async move { render(&r, &e, "form.html", &serde_json::json!({})) }
    };
    let e4 = e.clone();
    let token_var = move |r: HttpRequest| {
        let e = e4.clone();
        async move { Ok::<_, HttpError>(TemplateResponse::new(&r, &e, &["token.html"], IndexMap::new())) }
    };
    let e3 = e.clone();
    let broken = move |r: HttpRequest| {
        let e = e3.clone();
        async move { render(&r, &e, "broken.html", &serde_json::json!({})) }
    };
    let app = Router::for_tests(vec![
        path(
            "shop/",
            include(vec![path("<int:pk>/", book).name("book")]).app_name("shop"),
        ),
        path(
            "pages/<slug:slug>/",
            TemplateView::new(&e, "page.html")
                .extra_context("extra", "x")
                .as_view(),
        )
        .name("page"),
        path("form/", form),
        path("token-var/", token_var),
        path("broken/", broken),
    ])
    .unwrap()
    .with_middleware(CsrfViewMiddleware)
    .with_middleware(AddFooter);
    let c = Client::new(app);

    let r = c.get("/shop/1/").query([("q", "a&b")]).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "Dune &lt;1&gt;|from middleware|/shop/7/|GET a&amp;b");
    // The template never used the token: no CSRF cookie (Django's lazy `csrf_token`).
    assert!(r.cookie("csrftoken").is_none());
    assert!(!c.cookies().contains_key("csrftoken"));
    assert_eq!(r.templates(), ["missing.html", "book.html"]);
    assert_eq!(r.context().unwrap()["footer"].py_str(), "from middleware");

    let r = c.get("/pages/intro/").send().await;
    assert_eq!(r.text(), "page intro x page");
    assert_eq!(c.post("/pages/intro/").send().await.status, 405);

    let r = c.get("/form/").send().await;
    let text = r.text();
    assert!(
        text.starts_with("<form><input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\""),
        "{text}"
    );
    assert!(r.cookie("csrftoken").is_some());
    // The masked token in the form unmasks to the cookie's secret.
    let token = &text[text.find("value=\"").unwrap() + 7..text.rfind('"').unwrap()];
    assert_eq!(token.len(), 64);
    let secret = &r.cookie("csrftoken").unwrap().value;
    assert_eq!(nuages_http::middleware::csrf::unmask_cipher_token(token), *secret);
    // `{{ csrf_token }}` also makes the token (and cookie), rendered unescaped.
    let r = c.get("/token-var/").send().await;
    assert_eq!(r.text().len(), 64);
    assert!(r.cookie("csrftoken").is_some());

    let r = c.get("/broken/").send().await;
    assert_eq!(r.status, 500);

    // Context processors from the settings (Django's TEMPLATES context_processors).
    let e5 = Engine::builder()
        .template(
            "cp.html",
            "{{ STATIC_URL }}|{{ MEDIA_URL }}|{{ TIME_ZONE }}|{{ debug }}|{{ sql_queries|length }}|{{ shadowed }}",
        )
        .build();
    let cp_view = move |r: HttpRequest| {
        let e = e5.clone();
        async move { render(&r, &e, "cp.html", &serde_json::json!({"shadowed": "view"})) }
    };
    nuages_http::context_processors::register("tests.shadow", |_r: &HttpRequest| {
        vec![("shadowed".to_owned(), Value::from("processor"))]
    });
    let mut settings = nuages_http::Conf::for_tests().settings.clone();
    settings.debug = true;
    let mut http = nuages_http::HttpSettings {
        media_url: "/media/".into(),
        internal_ips: vec!["127.0.0.1".into()],
        context_processors: [
            "django.template.context_processors.debug",
            "django.template.context_processors.request",
            "django.template.context_processors.static",
            "django.template.context_processors.media",
            "django.template.context_processors.tz",
            "tests.shadow",
        ]
        .map(String::from)
        .to_vec(),
        ..Default::default()
    };
    let conf = nuages_http::Conf::with_http(settings.clone(), http.clone());
    let c = Client::new(Router::with_conf(conf, vec![path("cp/", cp_view.clone())]).unwrap());
    // The view's own context wins over the processors (Django pushes it on top).
    assert_eq!(
        c.get("/cp/").send().await.text(),
        "/static/|/media/|UTC|True|0|view"
    );
    // `debug` only for INTERNAL_IPS and with DEBUG on.
    http.internal_ips = vec!["10.0.0.1".into()];
    let conf = nuages_http::Conf::with_http(settings, http.clone());
    let c = Client::new(Router::with_conf(conf, vec![path("cp/", cp_view.clone())]).unwrap());
    assert_eq!(c.get("/cp/").send().await.text(), "/static/|/media/|UTC||0|view");
    // An unknown processor is a configuration error (a 500), not silently skipped.
    http.context_processors = vec!["myapp.missing".into()];
    let conf = nuages_http::Conf::with_http(nuages_http::Conf::for_tests().settings.clone(), http);
    let c = Client::new(Router::with_conf(conf, vec![path("cp/", cp_view)]).unwrap());
    assert_eq!(c.get("/cp/").send().await.status, 500);
}
