//! The project around the app: the template engine (templates and the tag library
//! compiled into the binary), the URLconf, middleware and the static files served in
//! DEBUG. Tests build the same [`Router`] over a test database alias.

use std::sync::Arc;

use nuages_http::middleware::{
    CommonMiddleware, CsrfViewMiddleware, Middleware, SecurityMiddleware, XFrameOptionsMiddleware,
};
use nuages_http::template::UrlconfReverser;
use nuages_http::urls::UrlEntry;
use nuages_http::views::decorators::require_POST;
use nuages_http::views::generic::{BaseDetailView, BaseListView};
use nuages_http::views::RedirectView;
use nuages_http::{path, HttpError, HttpRequest, HttpResponse, Router, ViewResult};
use nuages_template::Engine;

use crate::views;

/// `STATIC_URL`.
pub const STATIC_URL: &str = "/static/";

/// The templates, by name (Django's app directories loader over `templates/`).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "bookstore/base.html",
        include_str!("../templates/bookstore/base.html"),
    ),
    (
        "bookstore/pagination.html",
        include_str!("../templates/bookstore/pagination.html"),
    ),
    (
        "bookstore/book_rows.html",
        include_str!("../templates/bookstore/book_rows.html"),
    ),
    (
        "bookstore/book_list.html",
        include_str!("../templates/bookstore/book_list.html"),
    ),
    (
        "bookstore/book_detail.html",
        include_str!("../templates/bookstore/book_detail.html"),
    ),
    (
        "bookstore/author_list.html",
        include_str!("../templates/bookstore/author_list.html"),
    ),
    (
        "bookstore/author_detail.html",
        include_str!("../templates/bookstore/author_detail.html"),
    ),
    (
        "bookstore/genre_detail.html",
        include_str!("../templates/bookstore/genre_detail.html"),
    ),
];

/// The static files, by path under `STATIC_URL` (Django's `static/` app directories).
const STATIC_FILES: &[(&str, &str, &str)] = &[(
    "bookstore/style.css",
    "text/css; charset=utf-8",
    include_str!("../static/bookstore/style.css"),
)];

/// The template engine: the app's templates, `{% load bookstore_tags %}`, `{% static %}`
/// under [`STATIC_URL`] and `{% url %}` through the installed URLconf. `debug` is Django's
/// `OPTIONS["debug"]`, which defaults to `DEBUG`: it records where each node came from, so
/// the technical 500 page can show the template excerpt.
pub fn engine(debug: bool) -> Engine {
    let mut builder = Engine::builder()
        .debug(debug)
        .library("bookstore_tags", crate::templatetags::library())
        .static_url(STATIC_URL)
        .url_reverser(Arc::new(UrlconfReverser));
    for (name, source) in TEMPLATES {
        builder = builder.template(*name, *source);
    }
    builder.build()
}

/// What every view needs: the database alias its queries use and the template engine.
#[derive(Clone)]
pub struct Site {
    /// The database alias (`"default"` when serving; a per-test alias in tests).
    pub alias: String,
    /// The template engine.
    pub engine: Engine,
}

impl Site {
    /// A site over `alias` with the app's [`engine`] (`debug` as `settings.debug`).
    pub fn new(alias: &str, debug: bool) -> Arc<Site> {
        Arc::new(Site {
            alias: alias.to_owned(),
            engine: engine(debug),
        })
    }
}

/// Binds a view function to the site (what a Django view finds in `settings` and the
/// default connection).
fn bind<F, Fut>(site: &Arc<Site>, view: F) -> impl Fn(HttpRequest) -> Fut + Send + Sync + 'static
where
    F: Fn(Arc<Site>, HttpRequest) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ViewResult> + Send + 'static,
{
    let site = site.clone();
    move |request| view(site.clone(), request)
}

/// `django.contrib.staticfiles`' `serve` view for DEBUG: the compiled-in files only.
async fn serve_static(request: HttpRequest) -> ViewResult {
    let wanted = request.kwarg("path").unwrap_or_default();
    let (_, content_type, body) = STATIC_FILES
        .iter()
        .find(|(name, _, _)| *name == wanted)
        .ok_or_else(|| HttpError::Http404(format!("“{wanted}” could not be found")))?;
    Ok(HttpResponse::with_content_type(*body, content_type))
}

/// The URLconf (`bookstore/urls.py` plus the project's `static()` patterns in DEBUG).
pub fn urlpatterns(site: &Arc<Site>, debug: bool) -> Vec<UrlEntry> {
    let mut patterns = vec![
        path(
            "",
            RedirectView {
                pattern_name: Some("book_list".to_owned()),
                ..Default::default()
            }
            .as_view(),
        )
        .name("home"),
        path("books/", views::BookList::new(site).as_view()).name("book_list"),
        path("books/<int:pk>/", views::BookDetail::new(site).as_view()).name("book_detail"),
        path("books/<int:pk>/borrow/", require_POST(bind(site, views::borrow))).name("book_borrow"),
        path("authors/", views::AuthorList::new(site).as_view()).name("author_list"),
        path("authors/<int:pk>/", views::AuthorDetail::new(site).as_view()).name("author_detail"),
        path("genres/<slug:slug>/", views::GenreBooks::new(site).as_view()).name("genre_detail"),
    ];
    if debug {
        patterns.push(path("static/<path:path>", serve_static).name("static"));
    }
    patterns
}

/// The project's `Router`: settings, the URLconf over `alias`, and the middleware of a new
/// Django project that applies here (security headers, `APPEND_SLASH`, CSRF protection of
/// the borrow form, clickjacking).
///
/// ```
/// use nuages_http::Client;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let settings = nuages_core::Settings::from_toml_str("allowed_hosts = [\"testserver\"]").unwrap();
/// let client = Client::new(bookstore::project::build_app(settings, "default").unwrap());
/// let response = client.get("/").send().await;
/// assert_eq!((response.status.as_u16(), response.header("location")), (302, Some("/books/")));
/// # });
/// ```
pub fn build_app(settings: nuages_core::Settings, alias: &str) -> nuages_http::Result<Router> {
    build_app_with(
        settings,
        alias,
        None::<nuages_http::middleware::RequestLoggingMiddleware>,
    )
}

/// [`build_app`] with an extra outermost middleware (`runserver`'s request log).
pub fn build_app_with<M: Middleware>(
    settings: nuages_core::Settings,
    alias: &str,
    outer: Option<M>,
) -> nuages_http::Result<Router> {
    let debug = settings.debug;
    // Django's `AppConfig.ready()`: the app's signal receivers (idempotent).
    crate::signals::connect();
    let site = Site::new(alias, debug);
    let mut app = Router::new(settings, urlpatterns(&site, debug))?;
    if let Some(outer) = outer {
        app = app.with_middleware(outer);
    }
    Ok(app
        .with_middleware(SecurityMiddleware::new())
        .with_middleware(CommonMiddleware::new())
        .with_middleware(CsrfViewMiddleware)
        .with_middleware(XFrameOptionsMiddleware))
}
