//! The author pages: the list with each author's number of books (`annotate`), and the
//! detail page with the profile (a reverse one-to-one through `select_related`) and the
//! books (`prefetch_related`).

use std::sync::Arc;

use nuages_db::models::manager::Manager;
use nuages_db::query::aggregates::Count;
use nuages_db::query::{Expression, Prefetch, QuerySet};
use nuages_http::views::generic::detail::SingleObjectMixin;
use nuages_http::views::generic::list::MultipleObjectMixin;
use nuages_http::views::generic::{ContextMixin, TemplateResponseMixin};
use nuages_template::Engine;

use super::{genres_by_name, review_stats, PAGINATE_BY};
use crate::models::{Author, Book};
use crate::project::Site;

/// `num_books=Count("books")`.
fn num_books() -> [(&'static str, Expression); 1] {
    [("num_books", Count::new("books").into())]
}

/// `GET /authors/`: Django's `ListView` of authors by name (`Meta.ordering`, then `id`
/// for stable pages), 20 a page, each annotated with its number of books. Two queries:
/// the count and the page.
pub struct AuthorList {
    site: Arc<Site>,
}

impl AuthorList {
    /// The view over the site's database.
    pub fn new(site: &Arc<Site>) -> AuthorList {
        AuthorList { site: site.clone() }
    }
}

impl ContextMixin for AuthorList {}

impl TemplateResponseMixin for AuthorList {
    fn engine(&self) -> &Engine {
        &self.site.engine
    }
}

impl MultipleObjectMixin for AuthorList {
    type Model = Author;

    fn queryset(&self) -> QuerySet<Author> {
        Author::objects().using(&self.site.alias).annotate(num_books())
    }

    fn get_ordering(&self, _request: &nuages_http::HttpRequest) -> Option<Vec<String>> {
        Some(vec!["name".into(), "id".into()])
    }

    fn get_paginate_by(&self, _queryset: &QuerySet<Author>) -> Option<usize> {
        Some(PAGINATE_BY)
    }
}

/// `GET /authors/<pk>/`: Django's `DetailView` of an author with the profile
/// (`select_related("profile")`), the number of books (`annotate`) and the books, newest
/// first, each with its genres and review statistics (`prefetch_related("books",
/// "books__genres")`). Three queries whatever the author.
pub struct AuthorDetail {
    site: Arc<Site>,
}

impl AuthorDetail {
    /// The view over the site's database.
    pub fn new(site: &Arc<Site>) -> AuthorDetail {
        AuthorDetail { site: site.clone() }
    }
}

impl ContextMixin for AuthorDetail {}

impl TemplateResponseMixin for AuthorDetail {
    fn engine(&self) -> &Engine {
        &self.site.engine
    }
}

impl SingleObjectMixin for AuthorDetail {
    type Model = Author;

    fn queryset(&self) -> QuerySet<Author> {
        let alias = self.site.alias.as_str();
        Author::objects()
            .using(alias)
            .select_related(["profile"])
            .annotate(num_books())
            .prefetch_related([
                Prefetch::new("books").queryset(
                    Book::objects()
                        .using(alias)
                        .select_related(["author"])
                        .annotate(review_stats()),
                ),
                genres_by_name(alias, "books__genres"),
            ])
    }
}
