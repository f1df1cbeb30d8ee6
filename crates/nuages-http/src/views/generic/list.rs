//! `django.views.generic.list`: [`MultipleObjectMixin`], [`BaseListView`] and
//! [`ListView`].
//!
//! ```
//! # use nuages_db::models::model::ModelRow;
//! # use nuages_db::{Field, FieldType, Model, ModelMeta, Value};
//! # static FIELDS: [Field; 2] = [
//! #     Field::new("id", FieldType::BigAutoField).primary_key(),
//! #     Field::new("title", FieldType::CharField).max_length(100),
//! # ];
//! # static META: ModelMeta = ModelMeta::new("shop", "Book", "book", "shop_book", &FIELDS);
//! # #[derive(Default)]
//! # struct Book { id: i64, title: String }
//! # impl Model for Book {
//! #     fn meta() -> &'static ModelMeta { &META }
//! #     fn from_db(mut row: ModelRow) -> nuages_db::Result<Self> {
//! #         Ok(Book { id: row.next()?, title: row.next()? })
//! #     }
//! #     fn get_field(&self, name: &str) -> Option<Value> {
//! #         match name { "id" => Some(Value::Int(self.id)), "title" => Some(Value::Text(self.title.clone())), _ => None }
//! #     }
//! #     fn set_field(&mut self, _: &str, _: Value) -> nuages_db::Result<()> { Ok(()) }
//! # }
//! use nuages_http::db::TemplateModel;
//! use nuages_http::views::generic::ListView;
//! use nuages_http::path;
//! use nuages_template::Engine;
//!
//! impl TemplateModel for Book {}
//!
//! let engine = Engine::builder()
//!     .template("shop/book_list.html", "{% for book in book_list %}{{ book.title }} {% endfor %}")
//!     .build();
//! // Renders `shop/book_list.html` with `book_list`, `object_list`, `page_obj`, ...
//! let urlpatterns = vec![
//!     path("books/", ListView::<Book>::new(&engine).paginate_by(20).ordering(["title"]).as_view())
//!         .name("book-list"),
//! ];
//! ```

use std::future::Future;
use std::sync::Arc;

use indexmap::IndexMap;
use nuages_db::models::manager::Manager;
use nuages_db::query::QuerySet;
use nuages_db::Model;
use nuages_template::{Engine, TemplateObject, Value};

use super::{model_template_names, Common, ContextMixin, TemplateResponseMixin};
use crate::db::{ModelObject, TemplateModel};
use crate::error::{HttpError, Result};
use crate::handler::{ViewFunc, ViewResult};
use crate::paginator::Paginator;
use crate::request::HttpRequest;
use crate::template::TemplateResponse;

/// Django's `MultipleObjectMixin`: the queryset, its ordering, pagination and the
/// context of a list of objects. Every method has Django's default; override what a view
/// changes.
pub trait MultipleObjectMixin: ContextMixin {
    /// The model listed.
    type Model: TemplateModel;

    /// The `queryset` attribute; defaults to the model's default manager (Django's
    /// `model._default_manager.all()`: the first declared manager's filter applies).
    fn queryset(&self) -> QuerySet<Self::Model> {
        Self::Model::default_manager()
    }

    /// `get_ordering()`: `ordering`.
    fn get_ordering(&self, _request: &HttpRequest) -> Option<Vec<String>> {
        None
    }

    /// `get_queryset()`: the queryset, ordered by `get_ordering()` when it gives one.
    fn get_queryset(&self, request: &HttpRequest) -> Result<QuerySet<Self::Model>> {
        let qs = self.queryset().all();
        Ok(match self.get_ordering(request) {
            Some(ordering) if !ordering.is_empty() => qs.order_by(ordering),
            _ => qs,
        })
    }

    /// `get_paginate_by(queryset)`: `paginate_by` (`None`: no pagination).
    fn get_paginate_by(&self, _queryset: &QuerySet<Self::Model>) -> Option<usize> {
        None
    }

    /// `get_paginate_orphans()`: `paginate_orphans`.
    fn get_paginate_orphans(&self) -> usize {
        0
    }

    /// `get_allow_empty()`: `allow_empty` (an empty list is a 404 when false).
    fn get_allow_empty(&self) -> bool {
        true
    }

    /// `page_kwarg`: the URL keyword argument or query parameter holding the page.
    fn page_kwarg(&self) -> &str {
        "page"
    }

    /// `context_object_name`.
    fn context_object_name(&self) -> Option<&str> {
        None
    }

    /// `get_context_object_name(object_list)`: `context_object_name`, or
    /// `<model_name>_list`.
    fn get_context_object_name(&self) -> String {
        match self.context_object_name() {
            Some(name) => name.to_owned(),
            None => format!("{}_list", Self::Model::meta().model_name),
        }
    }

    /// `template_name_suffix`.
    fn template_name_suffix(&self) -> &str {
        "_list"
    }

    /// `paginate_queryset(queryset, page_size)`: the page asked for by the URL keyword
    /// argument or the query string (`"last"` for the last page), fetched. Django's 404s:
    /// "Page is not “last”, nor can it be converted to an int." and "Invalid page (N):
    /// That page contains no results".
    fn paginate_queryset(
        &self,
        request: &HttpRequest,
        queryset: QuerySet<Self::Model>,
        page_size: usize,
    ) -> impl Future<Output = Result<PaginatedList<Self::Model>>> + Send {
        async move {
            if !queryset.as_dyn().ordered() {
                tracing::warn!(
                    target: "django.core.paginator",
                    "UnorderedObjectListWarning: Pagination may yield inconsistent results with an unordered object_list: <class '{}'> QuerySet.",
                    Self::Model::meta().object_name
                );
            }
            let count = queryset.count().await?;
            let units = vec![(); usize::try_from(count).unwrap_or(usize::MAX)];
            let paginator = Paginator::new(&units, page_size)
                .orphans(self.get_paginate_orphans())
                .allow_empty_first_page(self.get_allow_empty());
            let kwarg = self.page_kwarg();
            let page = request
                .kwarg(kwarg)
                .filter(|p| !p.is_empty())
                .or_else(|| {
                    request
                        .GET()
                        .get(kwarg)
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "1".to_owned());
            let number: i64 = match page.trim().parse() {
                Ok(n) => n,
                Err(_) if page == "last" => paginator.num_pages() as i64,
                Err(_) => {
                    return Err(HttpError::Http404(
                        "Page is not \u{201c}last\u{201d}, nor can it be converted to an int.".to_owned(),
                    ))
                }
            };
            let page = paginator
                .page(number)
                .map_err(|e| HttpError::Http404(format!("Invalid page ({number}): {e}")))?;
            let offset = (page.number - 1) * page_size;
            let objects = if page.is_empty() {
                Vec::new()
            } else {
                queryset
                    .slice(Some(offset as i64), Some((offset + page.len()) as i64))
                    .fetch()
                    .await?
            };
            let paginator_value = Arc::new(PaginatorObject {
                count: paginator.count(),
                per_page: page_size,
                orphans: self.get_paginate_orphans(),
                allow_empty_first_page: self.get_allow_empty(),
                num_pages: paginator.num_pages(),
            });
            let is_paginated = page.has_other_pages();
            let page = PageObject {
                number: page.number,
                start_index: page.start_index(),
                end_index: page.end_index(),
                len: page.len(),
                object_list: Value::None,
                paginator: paginator_value.clone(),
            };
            Ok(PaginatedList {
                paginator: paginator_value,
                page,
                object_list: objects.into_iter().map(Arc::new).collect(),
                is_paginated,
            })
        }
    }

    /// `get_context_data(**kwargs)`: `paginator`, `page_obj`, `is_paginated`,
    /// `object_list` and the list under [`Self::get_context_object_name`], then
    /// `extra_context`. `object_list` is the queryset `get()` evaluated (not yet fetched
    /// when paginating; the page is fetched here). Overrides usually call
    /// [`get_context_data`] and add to its result.
    fn get_context_data(
        &self,
        request: &HttpRequest,
        object_list: ObjectList<Self::Model>,
    ) -> impl Future<Output = Result<IndexMap<String, Value>>> + Send {
        get_context_data(self, request, object_list)
    }
}

/// What `get()` hands `get_context_data`: the queryset, and its instances when the
/// `allow_empty` check already fetched them.
pub struct ObjectList<M> {
    /// The queryset from `get_queryset()`.
    pub queryset: QuerySet<M>,
    /// The fetched instances, when they were fetched already.
    pub fetched: Option<Vec<M>>,
}

/// One page of a queryset: what `paginate_queryset` returns.
pub struct PaginatedList<M> {
    /// The paginator, as templates see it.
    pub paginator: Arc<PaginatorObject>,
    /// The page, as templates see it (its `object_list` is filled in the context).
    pub page: PageObject,
    /// The instances on the page.
    pub object_list: Vec<Arc<M>>,
    /// `page.has_other_pages()`.
    pub is_paginated: bool,
}

/// `MultipleObjectMixin.get_context_data` (what an override calls as `super()`).
pub async fn get_context_data<V: MultipleObjectMixin + ?Sized>(
    view: &V,
    request: &HttpRequest,
    object_list: ObjectList<V::Model>,
) -> Result<IndexMap<String, Value>> {
    let page_size = view.get_paginate_by(&object_list.queryset);
    let mut context = IndexMap::new();
    let objects: Value;
    match page_size {
        Some(size) => {
            let mut page = view
                .paginate_queryset(request, object_list.queryset, size)
                .await?;
            objects = Value::list(page.object_list.into_iter().map(ModelObject::shared).collect());
            page.page.object_list = objects.clone();
            context.insert("paginator".to_owned(), Value::Object(page.paginator));
            context.insert("page_obj".to_owned(), Value::object(page.page));
            context.insert("is_paginated".to_owned(), Value::Bool(page.is_paginated));
        }
        None => {
            let fetched = match object_list.fetched {
                Some(f) => f,
                None => object_list.queryset.fetch().await?,
            };
            objects = ModelObject::list(fetched);
            context.insert("paginator".to_owned(), Value::None);
            context.insert("page_obj".to_owned(), Value::None);
            context.insert("is_paginated".to_owned(), Value::Bool(false));
        }
    }
    context.insert("object_list".to_owned(), objects.clone());
    context.insert(view.get_context_object_name(), objects);
    Ok(view.base_context_data(context))
}

/// Django's `BaseListView.get` and `as_view()` for every [`MultipleObjectMixin`] that
/// renders with a [`TemplateResponseMixin`] (Django's `ListView`).
pub trait BaseListView: MultipleObjectMixin + TemplateResponseMixin + Sized {
    /// `get(request)`: `get_queryset()`, the `allow_empty` check ("Empty list and
    /// “ListView.allow_empty” is False." as a 404), `get_context_data()`, and a
    /// `TemplateResponse` of `get_template_names()`.
    fn get(&self, request: HttpRequest) -> impl Future<Output = ViewResult> + Send {
        async move {
            let queryset = self.get_queryset(&request)?;
            let mut fetched = None;
            if !self.get_allow_empty() {
                let is_empty = if self.get_paginate_by(&queryset).is_some() {
                    !queryset.exists().await?
                } else {
                    let all = queryset.fetch().await?;
                    let empty = all.is_empty();
                    fetched = Some(all);
                    empty
                };
                if is_empty {
                    return Err(HttpError::Http404(format!(
                        "Empty list and \u{201c}{}.allow_empty\u{201d} is False.",
                        self.class_name()
                    )));
                }
            }
            let context = self
                .get_context_data(&request, ObjectList { queryset, fetched })
                .await?;
            let names = self.get_template_names();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            Ok(TemplateResponse::new(&request, self.engine(), &names, context))
        }
    }

    /// `MultipleObjectTemplateResponseMixin.get_template_names()`: `template_name`,
    /// then `<app_label>/<model_name>_list.html`.
    fn get_template_names(&self) -> Vec<String> {
        model_template_names(
            self.template_name(),
            Self::Model::meta(),
            MultipleObjectMixin::template_name_suffix(self),
        )
    }

    /// `as_view()`: GET (and HEAD) list; other methods are 405.
    #[allow(clippy::wrong_self_convention)] // Django's name; the view moves into the handler.
    fn as_view(self) -> ViewFunc {
        super::display_view(
            self,
            |view: Arc<Self>, request| async move { view.get(request).await },
        )
    }
}

impl<T: MultipleObjectMixin + TemplateResponseMixin> BaseListView for T {}

/// Django's `ListView` with its class attributes set by builder methods.
pub struct ListView<M> {
    common: Common,
    queryset: Option<QuerySet<M>>,
    paginate_by: Option<usize>,
    paginate_orphans: usize,
    page_kwarg: String,
    ordering: Option<Vec<String>>,
    allow_empty: bool,
}

impl<M: TemplateModel> ListView<M> {
    /// `ListView.as_view(model=M)` rendering with `engine`.
    pub fn new(engine: &Engine) -> ListView<M> {
        ListView {
            common: Common::new(engine),
            queryset: None,
            paginate_by: None,
            paginate_orphans: 0,
            page_kwarg: "page".to_owned(),
            ordering: None,
            allow_empty: true,
        }
    }

    /// `queryset`.
    pub fn queryset(mut self, queryset: QuerySet<M>) -> Self {
        self.queryset = Some(queryset);
        self
    }

    /// `template_name`.
    pub fn template_name(mut self, name: &str) -> Self {
        self.common.template_name = Some(name.to_owned());
        self
    }

    /// `context_object_name`.
    pub fn context_object_name(mut self, name: &str) -> Self {
        self.common.context_object_name = Some(name.to_owned());
        self
    }

    /// `extra_context` (one entry).
    pub fn extra_context(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.common.add_extra(key, value.into());
        self
    }

    /// `as_view()` (also reachable through [`BaseListView`]; inherent so no trait import is
    /// needed).
    pub fn as_view(self) -> ViewFunc {
        BaseListView::as_view(self)
    }

    /// `paginate_by`.
    pub fn paginate_by(mut self, per_page: usize) -> Self {
        self.paginate_by = Some(per_page);
        self
    }

    /// `paginate_orphans`.
    pub fn paginate_orphans(mut self, orphans: usize) -> Self {
        self.paginate_orphans = orphans;
        self
    }

    /// `page_kwarg`.
    pub fn page_kwarg(mut self, name: &str) -> Self {
        self.page_kwarg = name.to_owned();
        self
    }

    /// `ordering`.
    pub fn ordering<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.ordering = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    /// `allow_empty`.
    pub fn allow_empty(mut self, allow: bool) -> Self {
        self.allow_empty = allow;
        self
    }
}

impl<M: TemplateModel> ContextMixin for ListView<M> {
    fn extra_context(&self) -> Option<&IndexMap<String, Value>> {
        self.common.extra_context.as_ref()
    }
    fn class_name(&self) -> &str {
        "ListView"
    }
}

impl<M: TemplateModel> TemplateResponseMixin for ListView<M> {
    fn engine(&self) -> &Engine {
        &self.common.engine
    }
    fn template_name(&self) -> Option<&str> {
        self.common.template_name.as_deref()
    }
}

impl<M: TemplateModel> MultipleObjectMixin for ListView<M> {
    type Model = M;
    fn queryset(&self) -> QuerySet<M> {
        self.queryset.clone().unwrap_or_else(M::default_manager)
    }
    fn get_ordering(&self, _request: &HttpRequest) -> Option<Vec<String>> {
        self.ordering.clone()
    }
    fn get_paginate_by(&self, _queryset: &QuerySet<M>) -> Option<usize> {
        self.paginate_by
    }
    fn get_paginate_orphans(&self) -> usize {
        self.paginate_orphans
    }
    fn get_allow_empty(&self) -> bool {
        self.allow_empty
    }
    fn page_kwarg(&self) -> &str {
        &self.page_kwarg
    }
    fn context_object_name(&self) -> Option<&str> {
        self.common.context_object_name.as_deref()
    }
}

/// A `Paginator` as templates see it: `count`, `num_pages`, `per_page`, `orphans`,
/// `allow_empty_first_page`, `page_range`.
#[derive(Debug)]
pub struct PaginatorObject {
    /// `count`.
    pub count: usize,
    /// `per_page`.
    pub per_page: usize,
    /// `orphans`.
    pub orphans: usize,
    /// `allow_empty_first_page`.
    pub allow_empty_first_page: bool,
    /// `num_pages`.
    pub num_pages: usize,
}

impl TemplateObject for PaginatorObject {
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "count" => Value::from(self.count as u64),
            "per_page" => Value::from(self.per_page as u64),
            "orphans" => Value::from(self.orphans as u64),
            "allow_empty_first_page" => Value::Bool(self.allow_empty_first_page),
            "num_pages" => Value::from(self.num_pages as u64),
            "page_range" => Value::list((1..=self.num_pages as i64).map(Value::Int).collect()),
            "ELLIPSIS" => Value::from(crate::paginator::ELLIPSIS),
            _ => return None,
        })
    }
    fn to_str(&self) -> String {
        "<django.core.paginator.Paginator object>".to_owned()
    }
    fn type_name(&self) -> &str {
        "Paginator"
    }
}

/// A `Page` as templates see it: `number`, `object_list`, `paginator`, `has_next`,
/// `has_previous`, `has_other_pages`, `next_page_number`, `previous_page_number`,
/// `start_index`, `end_index`; iterable and sized like Django's.
#[derive(Debug)]
pub struct PageObject {
    /// `number`.
    pub number: usize,
    /// `start_index()`.
    pub start_index: usize,
    /// `end_index()`.
    pub end_index: usize,
    /// `len(page)`.
    pub len: usize,
    /// `object_list`.
    pub object_list: Value,
    /// `paginator`.
    pub paginator: Arc<PaginatorObject>,
}

impl PageObject {
    fn has_next(&self) -> bool {
        self.number < self.paginator.num_pages
    }
    fn has_previous(&self) -> bool {
        self.number > 1
    }
}

impl TemplateObject for PageObject {
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "number" => Value::from(self.number as u64),
            "object_list" => self.object_list.clone(),
            "paginator" => Value::Object(self.paginator.clone()),
            "has_next" => Value::Bool(self.has_next()),
            "has_previous" => Value::Bool(self.has_previous()),
            "has_other_pages" => Value::Bool(self.has_next() || self.has_previous()),
            // Django raises EmptyPage past either end; a template sees nothing.
            "next_page_number" if self.has_next() => Value::from(self.number as u64 + 1),
            "previous_page_number" if self.has_previous() => Value::from(self.number as u64 - 1),
            "start_index" => Value::from(self.start_index as u64),
            "end_index" => Value::from(self.end_index as u64),
            _ => return None,
        })
    }
    fn to_str(&self) -> String {
        format!("<Page {} of {}>", self.number, self.paginator.num_pages)
    }
    fn repr(&self) -> String {
        self.to_str()
    }
    fn type_name(&self) -> &str {
        "Page"
    }
    fn len(&self) -> Option<usize> {
        Some(self.len)
    }
    fn iter(&self) -> Option<Vec<Value>> {
        self.object_list.py_iter().ok()
    }
}
