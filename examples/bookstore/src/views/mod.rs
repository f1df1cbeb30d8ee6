//! The bookstore's views (Django's `views.py`): class-based generic views (`ListView`,
//! `DetailView`) where Django would use them, each a struct implementing nuages-http's
//! `MultipleObjectMixin`/`SingleObjectMixin` with the methods Django code overrides
//! (`get_queryset`, `get_context_data`), and one function view for the borrow form.
//!
//! Every page runs a fixed number of queries whatever the data: related objects come with
//! `select_related` (joins) and `prefetch_related` (one query per relation for the whole
//! page), counts and averages with `annotate`, and templates never query.

mod authors;
mod books;
mod lending;
mod objects;

pub use authors::{AuthorDetail, AuthorList};
pub use books::{BookDetail, BookList, GenreBooks, ORDERINGS};
pub use lending::borrow;

use nuages_db::query::aggregates::{Avg, Count};
use nuages_db::query::{Expression, Prefetch, QuerySet};
use nuages_db::DbError;
use nuages_http::{HttpError, HttpRequest};

use crate::models::{Book, Genre};

/// Items per page on the list pages (`paginate_by`).
pub const PAGINATE_BY: usize = 20;

/// ORM errors as responses: `DoesNotExist` is a 404 (`get_object_or_404`), anything
/// else a 500.
pub(crate) fn db_error(err: DbError) -> HttpError {
    match err {
        DbError::DoesNotExist { model } => HttpError::Http404(format!("No {model} matches the given query.")),
        other => HttpError::other(other),
    }
}

/// The non-empty, trimmed query parameter `name`. A NUL character is a 400 (Django's
/// forms say "Null characters are not allowed."; PostgreSQL cannot store it).
pub(crate) fn param<'r>(request: &'r HttpRequest, name: &str) -> Result<Option<&'r str>, HttpError> {
    let value = request.GET().get(name).map(str::trim).filter(|v| !v.is_empty());
    if value.is_some_and(|v| v.contains('\0')) {
        return Err(HttpError::BadRequest(format!(
            "{name}: Null characters are not allowed."
        )));
    }
    Ok(value)
}

/// The annotations every book row shows: its number of reviews and their average
/// rating (`None` without reviews), computed by the database in the page's query.
pub fn review_stats() -> [(&'static str, Expression); 2] {
    [
        ("num_reviews", Count::new("reviews").into()),
        ("avg_rating", Avg::new("reviews__rating").into()),
    ]
}

/// What a table of books needs, added to `books`: the author in the same query
/// (`select_related`), the review statistics (`annotate`) and the genres by name in one
/// more query for the whole page (`prefetch_related`).
pub(crate) fn book_rows(alias: &str, books: QuerySet<Book>) -> QuerySet<Book> {
    books
        .using(alias)
        .select_related(["author"])
        .annotate(review_stats())
        .prefetch_related([genres_by_name(alias, "genres")])
}

/// `Prefetch(lookup, queryset=Genre.objects.order_by("name"))` for a lookup ending in
/// `genres`.
pub(crate) fn genres_by_name(alias: &str, lookup: &str) -> Prefetch {
    use nuages_db::models::manager::Manager;
    Prefetch::new(lookup).queryset(Genre::objects().using(alias).order_by(["name"]))
}
