//! The book pages: the filtered, ordered, paginated list (`ListView`, filters through the
//! dynamic lookup API as query-string filtering does in Django), the detail page
//! (`DetailView`) and a genre's page (a `ListView` of the genre's published books).

use std::future::Future;
use std::sync::Arc;

use indexmap::IndexMap;
use nuages_db::models::manager::Manager;
use nuages_db::query::aggregates::Count;
use nuages_db::query::{Expression, Prefetch, QuerySet, Q};
use nuages_http::views::generic::detail::{self, SingleObjectMixin};
use nuages_http::views::generic::list::{self, MultipleObjectMixin, ObjectList};
use nuages_http::views::generic::{ContextMixin, TemplateResponseMixin};
use nuages_http::{HttpError, HttpRequest};
use nuages_template::{Engine, Value};

use super::{book_rows, db_error, genres_by_name, param, review_stats, PAGINATE_BY};
use crate::models::{Book, Genre, Review, Stock};
use crate::project::Site;

/// The `?ordering=` values the list accepts, with their labels; anything else falls back
/// to the model's `Meta.ordering` (newest first).
pub const ORDERINGS: &[(&str, &str)] = &[
    ("-publication_date", "Newest"),
    ("publication_date", "Oldest"),
    ("title", "Title A-Z"),
    ("-title", "Title Z-A"),
    ("-rating", "Best rated"),
    ("-num_reviews", "Most reviewed"),
    ("price", "Cheapest"),
    ("-price", "Most expensive"),
    ("pages", "Shortest"),
    ("-pages", "Longest"),
];

/// Applies the list's filters from the query string: `title` (icontains), `author`
/// (the author's name, icontains), `genre` (a genre slug) and `year` (publication year).
/// A `year` that is not a whole number from 1 to 9999 is a 400, as a form error would be.
fn filtered(mut qs: QuerySet<Book>, request: &HttpRequest) -> Result<QuerySet<Book>, HttpError> {
    if let Some(title) = param(request, "title")? {
        qs = qs.filter_str("title__icontains", title);
    }
    if let Some(author) = param(request, "author")? {
        qs = qs.filter_str("author__name__icontains", author);
    }
    if let Some(genre) = param(request, "genre")? {
        qs = qs.filter_str("genres__slug", genre);
    }
    if let Some(year) = param(request, "year")? {
        // Python's `date` covers years 1 to 9999; Django would fail on others.
        let year: i32 = year
            .parse()
            .ok()
            .filter(|y| (1..=9999).contains(y))
            .ok_or_else(|| {
                HttpError::BadRequest(format!(
                    "year must be a whole number from 1 to 9999, not {year:?}."
                ))
            })?;
        qs = qs.filter_str("publication_date__year", year);
    }
    Ok(qs)
}

/// The ordering asked for by `?ordering=`, when it is one of [`ORDERINGS`].
fn ordering(request: &HttpRequest) -> Result<&'static str, HttpError> {
    Ok(param(request, "ordering")?
        .and_then(|o| ORDERINGS.iter().find(|(value, _)| *value == o))
        .map_or(ORDERINGS[0].0, |(value, _)| *value))
}

/// `GET /books/`: Django's `ListView` of books with filters, `?ordering=` and `?page=`.
/// Four queries: the count, the page (authors joined, review statistics annotated), the
/// page's genres, the genre menu; two when the page is empty (nothing to fetch).
pub struct BookList {
    site: Arc<Site>,
}

impl BookList {
    /// The view over the site's database.
    pub fn new(site: &Arc<Site>) -> BookList {
        BookList { site: site.clone() }
    }
}

impl ContextMixin for BookList {}

impl TemplateResponseMixin for BookList {
    fn engine(&self) -> &Engine {
        &self.site.engine
    }
}

impl MultipleObjectMixin for BookList {
    type Model = Book;

    fn queryset(&self) -> QuerySet<Book> {
        book_rows(&self.site.alias, Book::objects())
    }

    fn get_queryset(&self, request: &HttpRequest) -> nuages_http::Result<QuerySet<Book>> {
        // `id` last keeps the pages stable where the ordering ties.
        Ok(filtered(self.queryset(), request)?.order_by([ordering(request)?, "id"]))
    }

    fn get_paginate_by(&self, _queryset: &QuerySet<Book>) -> Option<usize> {
        Some(PAGINATE_BY)
    }

    async fn get_context_data(
        &self,
        request: &HttpRequest,
        object_list: ObjectList<Book>,
    ) -> nuages_http::Result<IndexMap<String, Value>> {
        {
            let mut ctx = list::get_context_data(self, request, object_list).await?;
            let genres = Genre::objects()
                .using(&self.site.alias)
                .order_by(["name"])
                .fetch()
                .await
                .map_err(db_error)?;
            let mut filters = IndexMap::new();
            for key in ["title", "author", "genre", "year"] {
                filters.insert(key.to_owned(), Value::from(param(request, key)?.unwrap_or("")));
            }
            ctx.insert("genres".into(), nuages_http::db::ModelObject::list(genres));
            ctx.insert("filters".into(), Value::from(filters));
            ctx.insert("ordering".into(), Value::from(ordering(request)?));
            ctx.insert(
                "orderings".into(),
                Value::list(
                    ORDERINGS
                        .iter()
                        .map(|(v, l)| Value::tuple(vec![Value::from(*v), Value::from(*l)]))
                        .collect(),
                ),
            );
            Ok(ctx)
        }
    }
}

/// `GET /books/<pk>/`: Django's `DetailView` of one book with its author and publisher
/// (`select_related`), the number and average rating of its reviews (`annotate`), its
/// genres and reviews (`prefetch_related`), and its lending stock with the borrow form.
/// Four queries whatever the book.
pub struct BookDetail {
    site: Arc<Site>,
}

impl BookDetail {
    /// The view over the site's database.
    pub fn new(site: &Arc<Site>) -> BookDetail {
        BookDetail { site: site.clone() }
    }

    /// The context of the page for `request`, with `extra` on top (the borrow view
    /// renders the same page with its form errors).
    pub(crate) async fn context(
        &self,
        request: &HttpRequest,
        extra: Vec<(&str, Value)>,
    ) -> nuages_http::Result<IndexMap<String, Value>> {
        let book = Arc::new(self.get_object(request, None).await?);
        let mut ctx = self.get_context_data(request, book).await?;
        ctx.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
        Ok(ctx)
    }
}

impl ContextMixin for BookDetail {}

impl TemplateResponseMixin for BookDetail {
    fn engine(&self) -> &Engine {
        &self.site.engine
    }
}

impl SingleObjectMixin for BookDetail {
    type Model = Book;

    fn queryset(&self) -> QuerySet<Book> {
        let alias = self.site.alias.as_str();
        Book::objects()
            .using(alias)
            .select_related(["author", "publisher"])
            .annotate(review_stats())
            .prefetch_related([
                genres_by_name(alias, "genres"),
                Prefetch::new("reviews")
                    .queryset(Review::objects().using(alias).order_by(["-created_at", "id"])),
            ])
    }

    fn get_context_data(
        &self,
        request: &HttpRequest,
        object: Arc<Book>,
    ) -> impl Future<Output = nuages_http::Result<IndexMap<String, Value>>> + Send {
        let _ = request;
        async move {
            let stock = Stock::objects()
                .using(&self.site.alias)
                .filter_str("book", object.id)
                .first()
                .await
                .map_err(db_error)?;
            let mut ctx = detail::get_context_data(self, object);
            ctx.insert(
                "stock".into(),
                stock.map_or(Value::None, nuages_http::db::ModelObject::value),
            );
            Ok(ctx)
        }
    }
}

/// `GET /genres/<slug>/`: a `ListView` of the genre's published books
/// (`Book::published()`, the custom manager), paginated, as Django's "dynamic
/// filtering" example does it. Four queries: the genre, the count, the page, its genres.
pub struct GenreBooks {
    site: Arc<Site>,
}

impl GenreBooks {
    /// The view over the site's database.
    pub fn new(site: &Arc<Site>) -> GenreBooks {
        GenreBooks { site: site.clone() }
    }
}

impl ContextMixin for GenreBooks {}

impl TemplateResponseMixin for GenreBooks {
    fn engine(&self) -> &Engine {
        &self.site.engine
    }

    fn template_name(&self) -> Option<&str> {
        Some("bookstore/genre_detail.html")
    }
}

impl MultipleObjectMixin for GenreBooks {
    type Model = Book;

    fn queryset(&self) -> QuerySet<Book> {
        book_rows(&self.site.alias, Book::published())
    }

    fn get_queryset(&self, request: &HttpRequest) -> nuages_http::Result<QuerySet<Book>> {
        let slug = request.kwarg("slug").unwrap_or_default();
        Ok(self
            .queryset()
            .filter(Q::lookup("genres__slug", slug.as_str()))
            .order_by(["-publication_date", "id"]))
    }

    fn get_paginate_by(&self, _queryset: &QuerySet<Book>) -> Option<usize> {
        Some(PAGINATE_BY)
    }

    async fn get_context_data(
        &self,
        request: &HttpRequest,
        object_list: ObjectList<Book>,
    ) -> nuages_http::Result<IndexMap<String, Value>> {
        {
            let slug = request.kwarg("slug").unwrap_or_default();
            // `get_object_or_404(Genre, slug=...)`, with the number of books in the
            // genre (published or not) from the same query.
            let genre = Genre::objects()
                .using(&self.site.alias)
                .annotate([("num_books", Expression::from(Count::new("books")))])
                .get(Q::lookup("slug", slug.as_str()))
                .await
                .map_err(db_error)?;
            let mut ctx = list::get_context_data(self, request, object_list).await?;
            ctx.insert("genre".into(), nuages_http::db::ModelObject::value(genre));
            Ok(ctx)
        }
    }
}
