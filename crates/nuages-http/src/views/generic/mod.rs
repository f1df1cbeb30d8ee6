//! Django's generic display views over models (`django.views.generic.list` and
//! `.detail`), with the `db` feature: [`ListView`] and [`DetailView`], built from the
//! mixins as Django builds them ([`ContextMixin`], [`TemplateResponseMixin`],
//! [`MultipleObjectMixin`], [`SingleObjectMixin`]).
//!
//! The mixins are traits whose provided methods are Django's method bodies. The
//! [`ListView`]/[`DetailView`] structs set Django's class attributes with builder
//! methods; a view that overrides a method (Django's subclass) is a type of its own that
//! implements the traits, overriding what it needs. A view instance serves many requests,
//! so what Django keeps on `self` for one request (`self.object`, `self.object_list`,
//! `self.kwargs`) is passed as arguments instead.
//!
//! Differences from Django: the context has no `view` entry (a Rust view is not a template
//! object), `template_name_field` and `get_paginator` overrides are not offered, and the
//! object list in the context is the fetched instances (a list), not a lazy queryset.

pub mod detail;
pub mod list;

pub use detail::{BaseDetailView, DetailView, SingleObjectMixin};
pub use list::{BaseListView, ListView, MultipleObjectMixin};

use std::future::Future;
use std::sync::Arc;

use indexmap::IndexMap;
use nuages_template::{Engine, Value};

use crate::handler::{ViewFunc, ViewResult};
use crate::request::HttpRequest;

/// Django's `ContextMixin`: `extra_context` added to every context.
pub trait ContextMixin: Send + Sync + 'static {
    /// `extra_context`.
    fn extra_context(&self) -> Option<&IndexMap<String, Value>> {
        None
    }

    /// The class name used in Django's messages (`"ListView"`, `"BookList"`); defaults to
    /// the Rust type's name without its path and generic arguments.
    fn class_name(&self) -> &str {
        let full = std::any::type_name::<Self>();
        let base = full.split('<').next().unwrap_or(full);
        base.rsplit("::").next().unwrap_or(base)
    }

    /// `ContextMixin.get_context_data(**kwargs)`: the keyword arguments updated with
    /// `extra_context`.
    fn base_context_data(&self, mut kwargs: IndexMap<String, Value>) -> IndexMap<String, Value> {
        if let Some(extra) = self.extra_context() {
            kwargs.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        kwargs
    }
}

/// Django's `TemplateResponseMixin`: which engine and template render the response.
pub trait TemplateResponseMixin: Send + Sync + 'static {
    /// The template engine (Django's `template_engine`).
    fn engine(&self) -> &Engine;

    /// `template_name`; the generic views add `<app_label>/<model_name><suffix>.html`
    /// after it.
    fn template_name(&self) -> Option<&str> {
        None
    }
}

/// `as_view()` of a display view (`ListView`, `DetailView`): GET and HEAD run `get`,
/// other methods are 405, as with Django's `View`. One instance serves every request;
/// the view is named after its `class_name()`.
pub(crate) fn display_view<V, F, Fut>(view: V, get: F) -> ViewFunc
where
    V: ContextMixin,
    F: Fn(Arc<V>, HttpRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ViewResult> + Send + 'static,
{
    let name = view.class_name().to_owned();
    let view = Arc::new(view);
    crate::views::View::new()
        .get(move |request: HttpRequest| get(view.clone(), request))
        .named(&name)
        .as_view()
}

/// The template names of a model view: `template_name` first when set, then Django's
/// default `<app_label>/<model_name><suffix>.html`.
pub(crate) fn model_template_names(
    template_name: Option<&str>,
    meta: &nuages_db::ModelMeta,
    suffix: &str,
) -> Vec<String> {
    let mut names: Vec<String> = template_name.map(str::to_owned).into_iter().collect();
    names.push(format!("{}/{}{}.html", meta.app_label, meta.model_name, suffix));
    names
}

/// Builder state shared by [`ListView`] and [`DetailView`]: the engine, `template_name`
/// and `extra_context`.
#[derive(Clone)]
pub(crate) struct Common {
    pub(crate) engine: Engine,
    pub(crate) template_name: Option<String>,
    pub(crate) extra_context: Option<IndexMap<String, Value>>,
    pub(crate) context_object_name: Option<String>,
}

impl Common {
    pub(crate) fn new(engine: &Engine) -> Common {
        Common {
            engine: engine.clone(),
            template_name: None,
            extra_context: None,
            context_object_name: None,
        }
    }

    pub(crate) fn add_extra(&mut self, key: &str, value: Value) {
        self.extra_context
            .get_or_insert_with(IndexMap::new)
            .insert(key.to_owned(), value);
    }
}
