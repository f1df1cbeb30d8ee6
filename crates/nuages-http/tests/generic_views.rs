//! Generic views over models (`ListView`, `DetailView`, overridden mixins), the ORM
//! shortcuts and `ATOMIC_REQUESTS`, on every test database.

use std::sync::Arc;

use indexmap::IndexMap;
use nuages_db::models::manager::Manager;
use nuages_db::query::{QuerySet, Q};
use nuages_db::{connection, schema, testing, Model, Value as DbValue};
use nuages_http::conf::Conf;
use nuages_http::db::{ModelObject, TemplateModel};
use nuages_http::shortcuts::{get_list_or_404, get_object_or_404, redirect_to_object};
use nuages_http::views::generic::list::ObjectList;
use nuages_http::views::generic::{
    list, BaseDetailView, BaseListView, ContextMixin, DetailView, ListView, MultipleObjectMixin,
    SingleObjectMixin, TemplateResponseMixin,
};
use nuages_http::{non_atomic_requests, path, Client, HttpError, HttpRequest, HttpResponse, Router};
use nuages_macros::Model;
use nuages_template::{Engine, Value};

#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "shop")]
pub struct Book {
    pub id: i64,
    #[field(max_length = 100)]
    pub title: String,
    #[field(slug, max_length = 50)]
    pub slug: String,
    pub pages: i32,
}

impl TemplateModel for Book {
    fn str(&self) -> String {
        self.title.clone()
    }
    fn get_absolute_url(&self) -> Option<String> {
        Some(format!("/books/{}/", self.id))
    }
    fn template_attr(&self, name: &str) -> Option<Value> {
        (name == "is_long").then(|| Value::Bool(self.pages > 300))
    }
}

fn engine() -> Engine {
    Engine::builder()
        .template(
            "shop/book_list.html",
            "{% for b in book_list %}{{ b }}({{ b.pk }},{{ b.pages }}{% if b.is_long %},long{% endif %}) {% empty %}none{% endfor %}\
             |{{ page_obj }}|{{ is_paginated }}|{{ paginator.count }}|{{ page_obj.has_next }}|{{ object_list|length }}|{{ extra }}",
        )
        .template("shop/book_detail.html", "{{ object }}|{{ book.slug }}|{{ book.get_absolute_url }}")
        .template("custom.html", "custom {% for b in books %}{{ b.title }} {% endfor %}{{ total }}")
        .build()
}

/// 404s show their message so tests can check Django's wording.
fn router(urls: Vec<nuages_http::urls::UrlEntry>, conf: Arc<Conf>) -> Router {
    Router::with_conf(conf, urls).unwrap().handler404(|_r, err| {
        let msg = err.to_string();
        Box::pin(async move { HttpResponse::not_found(msg) })
    })
}

async fn seed(alias: &str) {
    schema::create_models(alias, &[Book::meta()]).await.unwrap();
    for (title, pages) in [
        ("Dune", 412),
        ("Emma", 250),
        ("Ulysses", 730),
        ("Beloved", 324),
        ("Hamlet", 104),
    ] {
        Book::objects()
            .using(alias)
            .create(Book {
                title: title.into(),
                slug: title.to_lowercase(),
                pages,
                id: 0,
            })
            .await
            .unwrap();
    }
}

/// A `ListView` subclass overriding `get_queryset` and `get_context_data`.
struct LongBooks {
    alias: String,
    engine: Engine,
}

impl ContextMixin for LongBooks {}
impl TemplateResponseMixin for LongBooks {
    fn engine(&self) -> &Engine {
        &self.engine
    }
    fn template_name(&self) -> Option<&str> {
        Some("custom.html")
    }
}
impl MultipleObjectMixin for LongBooks {
    type Model = Book;
    fn get_queryset(&self, request: &HttpRequest) -> Result<QuerySet<Book>, HttpError> {
        let min: i32 = request.GET().get("min").unwrap_or("300").parse().unwrap_or(300);
        Ok(Book::objects()
            .using(&self.alias)
            .filter(Q::lookup("pages__gt", min))
            .order_by(["title"]))
    }
    fn context_object_name(&self) -> Option<&str> {
        Some("books")
    }
    async fn get_context_data(
        &self,
        request: &HttpRequest,
        object_list: ObjectList<Book>,
    ) -> Result<IndexMap<String, Value>, HttpError> {
        let total = Book::objects().using(&self.alias).count().await?;
        let mut ctx = list::get_context_data(self, request, object_list).await?;
        ctx.insert("total".into(), Value::from(total));
        Ok(ctx)
    }
}

#[tokio::test]
async fn list_and_detail_views() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor.name();
        seed(alias).await;
        let e = engine();
        let qs = || Book::objects().using(alias);
        let urls = vec![
            path(
                "all/",
                ListView::new(&e)
                    .queryset(qs())
                    .ordering(["title"])
                    .extra_context("extra", "x")
                    .as_view(),
            ),
            path(
                "paged/",
                ListView::new(&e)
                    .queryset(qs())
                    .ordering(["-pages"])
                    .paginate_by(2)
                    .as_view(),
            ),
            path(
                "paged/<int:page>/",
                ListView::new(&e)
                    .queryset(qs())
                    .ordering(["id"])
                    .paginate_by(2)
                    .page_kwarg("page")
                    .as_view(),
            ),
            path(
                "none/",
                ListView::new(&e)
                    .queryset(qs().filter(Q::lookup("pages__gt", 10_000)))
                    .allow_empty(false)
                    .as_view(),
            ),
            path(
                "none-paged/",
                ListView::new(&e)
                    .queryset(qs().filter(Q::lookup("pages__gt", 10_000)))
                    .paginate_by(3)
                    .allow_empty(false)
                    .as_view(),
            ),
            path(
                "empty/",
                ListView::new(&e)
                    .queryset(qs().filter(Q::lookup("pages__gt", 10_000)))
                    .as_view(),
            ),
            path(
                "long/",
                LongBooks {
                    alias: alias.to_owned(),
                    engine: e.clone(),
                }
                .as_view(),
            ),
            path("books/<int:pk>/", DetailView::new(&e).queryset(qs()).as_view()),
            path("books/<slug:slug>/", DetailView::new(&e).queryset(qs()).as_view()),
            path(
                "by-title/<str:title>/",
                DetailView::new(&e)
                    .queryset(qs())
                    .slug_url_kwarg("title")
                    .slug_field("title")
                    .context_object_name("book")
                    .as_view(),
            ),
            path(
                "both/<int:pk>/<slug:slug>/",
                DetailView::<Book>::new(&e)
                    .queryset(qs())
                    .query_pk_and_slug(true)
                    .as_view(),
            ),
            path("nokw/", DetailView::<Book>::new(&e).queryset(qs()).as_view()),
        ];
        let client = Client::new(router(urls, Conf::for_tests()));

        // ListView: every object, `<model>_list`, no pagination, extra_context, template.
        let r = client.get("/all/").send().await;
        assert_eq!(r.status, 200, "{vendor}");
        assert_eq!(
            r.text(),
            "Beloved(4,324,long) Dune(1,412,long) Emma(2,250) Hamlet(5,104) Ulysses(3,730,long) |None|False|||5|x",
            "{vendor}"
        );
        assert_eq!(r.templates(), ["shop/book_list.html"]);
        assert!(r.context().unwrap().contains_key("object_list"));

        // Pagination from the query string, "last", and Django's 404 messages.
        let r = client.get("/paged/").send().await;
        assert_eq!(
            r.text(),
            "Ulysses(3,730,long) Dune(1,412,long) |&lt;Page 1 of 3&gt;|True|5|True|2|",
            "{vendor}"
        );
        let r = client.get("/paged/").query([("page", "last")]).send().await;
        assert_eq!(
            r.text(),
            "Hamlet(5,104) |&lt;Page 3 of 3&gt;|True|5|False|1|",
            "{vendor}"
        );
        let r = client.get("/paged/").query([("page", "4")]).send().await;
        assert_eq!(
            (r.status.as_u16(), r.text()),
            (404, "Invalid page (4): That page contains no results".to_owned())
        );
        let r = client.get("/paged/").query([("page", "x")]).send().await;
        assert_eq!(
            (r.status.as_u16(), r.text()),
            (
                404,
                "Page is not \u{201c}last\u{201d}, nor can it be converted to an int.".to_owned()
            )
        );
        // The page from the URL keyword argument wins.
        let r = client.get("/paged/2/").send().await;
        assert!(
            r.text()
                .starts_with("Ulysses(3,730,long) Beloved(4,324,long) |&lt;Page 2 of 3&gt;"),
            "{vendor}: {}",
            r.text()
        );

        // allow_empty = False: 404 with Django's message, with and without pagination.
        for url in ["/none/", "/none-paged/"] {
            let r = client.get(url).send().await;
            assert_eq!(
                (r.status.as_u16(), r.text()),
                (
                    404,
                    "Empty list and \u{201c}ListView.allow_empty\u{201d} is False.".to_owned()
                ),
                "{vendor} {url}"
            );
        }
        assert!(client.get("/empty/").send().await.text().starts_with("none|"));

        // Overridden get_queryset / get_context_data ("super()" + an extra query).
        let r = client.get("/long/").query([("min", "400")]).send().await;
        assert_eq!(r.text(), "custom Dune Ulysses 5", "{vendor}");
        assert_eq!(r.templates(), ["custom.html", "shop/book_list.html"]);

        // DetailView by pk, by slug, by a custom slug field/kwarg, pk and slug together.
        let r = client.get("/books/1/").send().await;
        assert_eq!(r.text(), "Dune|dune|/books/1/", "{vendor}");
        assert_eq!(r.templates(), ["shop/book_detail.html"]);
        assert_eq!(
            client.get("/books/emma/").send().await.text(),
            "Emma|emma|/books/2/"
        );
        assert_eq!(
            client.get("/by-title/Hamlet/").send().await.text(),
            "Hamlet|hamlet|/books/5/"
        );
        assert_eq!(client.get("/both/3/ulysses/").send().await.status, 200);
        let r = client.get("/both/3/dune/").send().await;
        assert_eq!(
            (r.status.as_u16(), r.text()),
            (404, "No book found matching the query".to_owned())
        );
        let r = client.get("/books/99/").send().await;
        assert_eq!(
            (r.status.as_u16(), r.text()),
            (404, "No book found matching the query".to_owned())
        );
        // A pk past the 64-bit key's range names no object (Django 5's integer lookups
        // match nothing there), not a database error.
        let r = client.get("/books/99999999999999999999/").send().await;
        assert_eq!(
            (r.status.as_u16(), r.text()),
            (404, "No book found matching the query".to_owned()),
            "{vendor}"
        );
        // No pk or slug in the URLconf: Django's AttributeError, a 500.
        assert_eq!(client.get("/nokw/").send().await.status, 500);
        // Only GET/HEAD.
        assert_eq!(client.post("/books/1/").send().await.status, 405);
    }
}

#[tokio::test]
async fn shortcuts() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor.name();
        seed(alias).await;
        let qs = || Book::objects().using(alias);
        let dune = get_object_or_404(qs(), Q::lookup("slug", "dune")).await.unwrap();
        assert_eq!(dune.title, "Dune", "{vendor}");
        let err = get_object_or_404(qs(), Q::lookup("slug", "nope"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, HttpError::Http404(m) if m == "No Book matches the given query."),
            "{err}"
        );
        let err = get_object_or_404(qs(), Q::lookup("pages__gt", 300))
            .await
            .unwrap_err();
        assert_eq!(
            err.status(),
            500,
            "{vendor}: MultipleObjectsReturned is not a 404"
        );
        assert!(
            err.to_string().contains("get() returned more than one Book"),
            "{err}"
        );
        let long = get_list_or_404(qs().order_by(["pages"]), Q::lookup("pages__gt", 300))
            .await
            .unwrap();
        assert_eq!(long.iter().map(|b| b.pages).collect::<Vec<_>>(), [324, 412, 730]);
        let err = get_list_or_404(qs(), Q::lookup("pages__gt", 3000))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "No Book matches the given query.");
        let r = redirect_to_object(&dune, false).unwrap();
        assert_eq!(
            (r.status.as_u16(), r.header("location")),
            (302, Some("/books/1/"))
        );
        assert_eq!(redirect_to_object(&dune, true).unwrap().status, 301);
        let v = ModelObject::value(dune);
        assert_eq!(v.py_str(), "Dune");
    }
}

async fn count(alias: &str) -> i64 {
    let rows = connection::fetch(alias, "SELECT COUNT(*) FROM shop_book", &[])
        .await
        .unwrap();
    match rows[0].get(0) {
        Some(DbValue::Int(n)) => *n,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn atomic_requests() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.clone();
        let vendor = db.vendor.name();
        schema::create_models(&alias, &[Book::meta()]).await.unwrap();

        let insert = |alias: String, outcome: &'static str| {
            move |_r: HttpRequest| {
                let alias = alias.clone();
                async move {
                    Book::objects()
                        .using(&alias)
                        .create(Book {
                            title: outcome.into(),
                            slug: outcome.into(),
                            pages: 1,
                            id: 0,
                        })
                        .await?;
                    match outcome {
                        "raise" => Err(HttpError::other("boom")),
                        "error-page" => Ok(HttpResponse::server_error("made by the view")),
                        "404" => Err(HttpError::Http404("gone".into())),
                        _ => Ok(HttpResponse::new("ok")),
                    }
                }
            }
        };
        let urls = || {
            vec![
                path("ok/", insert(alias.clone(), "ok")),
                path("raise/", insert(alias.clone(), "raise")),
                path("error-page/", insert(alias.clone(), "error-page")),
                path("404/", insert(alias.clone(), "404")),
                path(
                    "exempt/",
                    non_atomic_requests_on(&alias, insert(alias.clone(), "raise")),
                ),
                // A synchronous view runs inside the block too.
                path("sync/", {
                    let alias = alias.clone();
                    move |_r: HttpRequest| -> Result<HttpResponse, HttpError> {
                        let inside = nuages_db::transaction::in_atomic_block(&alias);
                        Ok(HttpResponse::new(inside.to_string()))
                    }
                }),
            ]
        };
        let mut settings = Conf::for_tests().settings.clone();
        settings.databases.insert(
            alias.clone(),
            nuages_core::DatabaseSettings {
                atomic_requests: true,
                ..Default::default()
            },
        );
        let client = Client::new(router(urls(), Conf::with_http(settings, Default::default())));

        assert_eq!(client.get("/ok/").send().await.status, 200);
        assert_eq!(count(&alias).await, 1, "{vendor}: committed");
        assert_eq!(client.get("/raise/").send().await.status, 500);
        assert_eq!(count(&alias).await, 1, "{vendor}: a raising view rolls back");
        assert_eq!(client.get("/404/").send().await.status, 404);
        assert_eq!(
            count(&alias).await,
            1,
            "{vendor}: Http404 raised is rolled back too"
        );
        assert_eq!(client.get("/error-page/").send().await.status, 500);
        assert_eq!(
            count(&alias).await,
            2,
            "{vendor}: an error response returned commits"
        );
        assert_eq!(client.get("/exempt/").send().await.status, 500);
        assert_eq!(
            count(&alias).await,
            3,
            "{vendor}: non_atomic_requests keeps the write"
        );

        assert_eq!(client.get("/sync/").send().await.text(), "true", "{vendor}");

        // Without ATOMIC_REQUESTS a raising view's write stays.
        let client = Client::new(router(urls(), Conf::for_tests()));
        assert_eq!(client.get("/sync/").send().await.text(), "false", "{vendor}");
        assert_eq!(client.get("/raise/").send().await.status, 500);
        assert_eq!(count(&alias).await, 4, "{vendor}: autocommit");
    }
}

fn non_atomic_requests_on(alias: &str, view: impl nuages_http::IntoView) -> nuages_http::ViewFunc {
    let v = nuages_http::non_atomic_requests_using(alias, view);
    // The default alias too, as `@non_atomic_requests` does.
    non_atomic_requests(v)
}

/// With DEBUG on, the technical 500 page lists the SQL the view ran (issue 6: "SQL queries
/// of the request"); with DEBUG off nothing is captured.
#[tokio::test]
async fn technical_500_lists_the_views_sql() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.clone();
        let vendor = db.vendor.name();
        seed(&alias).await;
        let a = alias.clone();
        let view = move |_r: HttpRequest| {
            let alias = a.clone();
            async move {
                let n = Book::objects()
                    .using(&alias)
                    .filter(Q::lookup("title__startswith", "Du"))
                    .count()
                    .await?;
                Err::<HttpResponse, _>(HttpError::other(format!("counted {n}")))
            }
        };
        let urls = || vec![path("boom/", view.clone())];
        let mut settings = Conf::for_tests().settings.clone();
        settings.debug = true;
        let client = Client::new(router(urls(), Conf::with_http(settings, Default::default())));
        let r = client.get("/boom/").send().await;
        assert_eq!(r.status, 500);
        let text = r.text();
        assert!(text.contains("counted 1"), "{vendor}: {text}");
        assert!(
            text.contains("<h2>SQL queries of the request (1)</h2>"),
            "{vendor}: {text}"
        );
        assert!(text.contains("COUNT(*)"), "{vendor}: {text}");
        assert!(text.contains("shop_book"), "{vendor}: {text}");
        assert!(text.contains("Du%"), "{vendor}: the parameters are shown: {text}");
        assert!(text.contains(&format!("<td>{alias}</td>")), "{vendor}: {text}");

        let client = Client::new(router(urls(), Conf::for_tests()));
        let r = client.get("/boom/").send().await;
        assert_eq!(r.status, 500);
        assert!(!r.text().contains("SQL"));
    }
}

/// Django's `PublishedManager`: the default manager of [`Note`] hides the drafts.
pub struct PublishedManager;
impl nuages_db::models::manager::ManagerClass<Note> for PublishedManager {
    fn get_queryset() -> QuerySet<Note> {
        QuerySet::new().filter(Q::lookup("published", true))
    }
}

/// A model whose first declared manager filters (Django's `_meta.default_manager`).
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "shop", managers = [manager(name = "published", class = PublishedManager)])]
pub struct Note {
    pub id: i64,
    #[field(max_length = 40)]
    pub title: String,
    pub published: bool,
}

impl TemplateModel for Note {
    fn str(&self) -> String {
        self.title.clone()
    }
}

/// A list and a detail view that keep the default `queryset` (the model's default
/// manager) and only point it at the test database, as Django's `get_queryset()` does
/// with `model._default_manager.all()`.
struct NoteViews {
    alias: String,
    engine: Engine,
}
impl ContextMixin for NoteViews {}
impl TemplateResponseMixin for NoteViews {
    fn engine(&self) -> &Engine {
        &self.engine
    }
}
impl MultipleObjectMixin for NoteViews {
    type Model = Note;
    fn get_queryset(&self, _request: &HttpRequest) -> Result<QuerySet<Note>, HttpError> {
        Ok(MultipleObjectMixin::queryset(self)
            .using(&self.alias)
            .order_by(["id"]))
    }
}
impl SingleObjectMixin for NoteViews {
    type Model = Note;
    fn get_queryset(&self, _request: &HttpRequest) -> Result<QuerySet<Note>, HttpError> {
        Ok(SingleObjectMixin::queryset(self).using(&self.alias))
    }
}

#[tokio::test]
async fn generic_views_start_from_the_default_manager() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let vendor = db.vendor.name();
        schema::create_models(alias, &[Note::meta()]).await.unwrap();
        for (title, published) in [("out", true), ("draft", false), ("also", true)] {
            Note::objects()
                .using(alias)
                .create(Note {
                    id: 0,
                    title: title.into(),
                    published,
                })
                .await
                .unwrap();
        }
        let engine = Engine::builder()
            .template(
                "shop/note_list.html",
                "{% for n in note_list %}{{ n }} {% endfor %}",
            )
            .template("shop/note_detail.html", "{{ note }}")
            .build();
        // ListView / DetailView without a queryset: the default manager's rows.
        let titles = |notes: Vec<Note>| notes.into_iter().map(|n| n.title).collect::<Vec<_>>();
        let listed = MultipleObjectMixin::queryset(&ListView::<Note>::new(&engine))
            .using(alias)
            .order_by(["id"])
            .fetch()
            .await
            .unwrap();
        assert_eq!(titles(listed), ["out", "also"], "{vendor}");
        let shown = SingleObjectMixin::queryset(&DetailView::<Note>::new(&engine))
            .using(alias)
            .order_by(["id"])
            .fetch()
            .await
            .unwrap();
        assert_eq!(titles(shown), ["out", "also"], "{vendor}");

        // Over HTTP: the draft is neither listed nor shown.
        let views = || NoteViews {
            alias: alias.to_owned(),
            engine: engine.clone(),
        };
        let urls = vec![
            path("notes/", BaseListView::as_view(views())),
            path("notes/<int:pk>/", BaseDetailView::as_view(views())),
        ];
        let client = Client::new(router(urls, Conf::for_tests()));
        assert_eq!(client.get("/notes/").send().await.text(), "out also ", "{vendor}");
        assert_eq!(client.get("/notes/1/").send().await.text(), "out", "{vendor}");
        let r = client.get("/notes/2/").send().await;
        assert_eq!(
            (r.status.as_u16(), r.text()),
            (404, "No note found matching the query".to_owned()),
            "{vendor}: the default manager hides the draft"
        );
    }
}
