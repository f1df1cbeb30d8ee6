//! `django.urls`: `path()`, `re_path()`, `include()` with namespaces, the resolver and
//! `reverse()`.
//!
//! ```
//! use nuages_http::{path, include, HttpRequest, HttpResponse, HttpError, UrlResolver};
//!
//! async fn detail(request: HttpRequest) -> Result<HttpResponse, HttpError> {
//!     let pk: i64 = request.kwarg_as("pk")?;
//!     Ok(HttpResponse::new(format!("book {pk}")))
//! }
//!
//! let books = vec![path("<int:pk>/", detail).name("book-detail")];
//! let resolver = UrlResolver::new(vec![
//!     path("shop/", include(books).app_name("bookstore")),
//! ]).unwrap();
//! let m = resolver.resolve("/shop/007/").unwrap();
//! assert_eq!(m.kwargs["pk"], "7");
//! assert_eq!(m.view_name(), "bookstore:book-detail");
//! assert_eq!(resolver.reverse("bookstore:book-detail", &[&42], &[]).unwrap(), "/shop/42/");
//! ```

mod converters;
pub mod normalize;
mod resolver;

use std::sync::{Arc, OnceLock, RwLock};

use indexmap::IndexMap;

pub use converters::{get_converter, register_converter, Converter, ValueError};
pub use resolver::UrlResolver;

use crate::error::{HttpError, Result};
use crate::handler::{AsyncView, IntoView, ViewFunc};

/// How an entry's route is written.
#[derive(Debug, Clone)]
pub(crate) enum PatternKind {
    /// `path()` route syntax.
    Route(String),
    /// `re_path()` regex.
    Regex(String),
}

/// What an entry points at.
#[derive(Debug, Clone)]
pub enum Target {
    /// A view.
    View(ViewFunc),
    /// Nested patterns.
    Include(Include),
}

/// Something `path()` accepts: a view or an [`include`]. `Kind` is the view's
/// [`IntoView`] kind, inferred.
pub trait IntoTarget<Kind = AsyncView> {
    /// The conversion.
    fn into_target(self) -> Target;
}

impl<K, V: IntoView<K>> IntoTarget<K> for V {
    fn into_target(self) -> Target {
        Target::View(self.into_view())
    }
}

impl IntoTarget for Include {
    fn into_target(self) -> Target {
        Target::Include(self)
    }
}

/// One URL pattern (`URLPattern`) or included resolver (`URLResolver`).
#[derive(Debug, Clone)]
pub struct UrlEntry {
    pub(crate) pattern: PatternKind,
    pub(crate) target: Target,
    pub(crate) name: Option<String>,
    pub(crate) default_kwargs: Vec<(String, String)>,
}

impl UrlEntry {
    /// `name="..."`.
    pub fn name(mut self, name: &str) -> UrlEntry {
        self.name = Some(name.to_owned());
        self
    }

    /// Extra keyword arguments passed to the view (`path(..., kwargs={...})`).
    pub fn kwargs<K: Into<String>, V: Into<String>>(
        mut self,
        kwargs: impl IntoIterator<Item = (K, V)>,
    ) -> UrlEntry {
        self.default_kwargs = kwargs.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        self
    }

    /// The route or regex as written.
    pub fn pattern_str(&self) -> &str {
        match &self.pattern {
            PatternKind::Route(s) | PatternKind::Regex(s) => s,
        }
    }
}

/// `path(route, view_or_include)`.
pub fn path<K>(route: &str, target: impl IntoTarget<K>) -> UrlEntry {
    UrlEntry {
        pattern: PatternKind::Route(route.to_owned()),
        target: target.into_target(),
        name: None,
        default_kwargs: Vec::new(),
    }
}

/// `re_path(regex, view_or_include)`.
pub fn re_path<K>(regex: &str, target: impl IntoTarget<K>) -> UrlEntry {
    UrlEntry {
        pattern: PatternKind::Regex(regex.to_owned()),
        target: target.into_target(),
        name: None,
        default_kwargs: Vec::new(),
    }
}

/// `include(urlpatterns)`, optionally with an application namespace (`app_name`) and an
/// instance namespace (`namespace`, defaulting to `app_name`).
#[derive(Debug, Clone)]
pub struct Include {
    pub(crate) entries: Vec<UrlEntry>,
    pub(crate) app_name: Option<String>,
    pub(crate) namespace: Option<String>,
}

/// `include(urlpatterns)`.
pub fn include(entries: Vec<UrlEntry>) -> Include {
    Include {
        entries,
        app_name: None,
        namespace: None,
    }
}

impl Include {
    /// The application namespace (the module's `app_name`).
    pub fn app_name(mut self, app_name: &str) -> Include {
        self.app_name = Some(app_name.to_owned());
        self
    }

    /// The instance namespace (`include(..., namespace=...)`).
    pub fn namespace(mut self, namespace: &str) -> Include {
        self.namespace = Some(namespace.to_owned());
        self
    }
}

/// Django's `ResolverMatch`.
#[derive(Debug, Clone)]
pub struct ResolverMatch {
    /// The view.
    pub func: ViewFunc,
    /// Positional arguments (unnamed groups of `re_path` when there are no named ones).
    pub args: Vec<String>,
    /// Keyword arguments, converted by the path converters, plus extra kwargs.
    pub kwargs: IndexMap<String, String>,
    /// The pattern's name.
    pub url_name: Option<Arc<str>>,
    /// Application namespaces, outermost first.
    pub app_names: Arc<[String]>,
    /// Instance namespaces, outermost first.
    pub namespaces: Arc<[String]>,
    /// The route, prefixes included (`books/<int:pk>/`).
    pub route: Arc<str>,
}

impl ResolverMatch {
    /// `app_name`: the application namespaces joined with `:`.
    pub fn app_name(&self) -> String {
        self.app_names.join(":")
    }

    /// `namespace`: the instance namespaces joined with `:`.
    pub fn namespace(&self) -> String {
        self.namespaces.join(":")
    }

    /// `view_name`: namespaces and the URL name (or the view's path).
    pub fn view_name(&self) -> String {
        let mut parts = self.namespaces.to_vec();
        parts.push(self.url_name.as_deref().unwrap_or(&self.func.name).to_owned());
        parts.join(":")
    }
}

fn global() -> &'static RwLock<Option<Arc<UrlResolver>>> {
    static URLCONF: OnceLock<RwLock<Option<Arc<UrlResolver>>>> = OnceLock::new();
    URLCONF.get_or_init(|| RwLock::new(None))
}

/// Installs the resolver used by the free function [`reverse`] (Django's `ROOT_URLCONF`).
/// `Router::new` calls it.
pub fn set_urlconf(resolver: Arc<UrlResolver>) {
    *global().write().unwrap_or_else(|e| e.into_inner()) = Some(resolver);
}

/// The installed root resolver.
pub fn get_resolver() -> Option<Arc<UrlResolver>> {
    global().read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// `reverse(viewname, args=..., kwargs=...)` against the root URLconf.
pub fn reverse(
    viewname: &str,
    args: &[&dyn std::fmt::Display],
    kwargs: &[(&str, &dyn std::fmt::Display)],
) -> Result<String> {
    let resolver =
        get_resolver().ok_or_else(|| HttpError::ImproperlyConfigured("No URLconf is installed.".into()))?;
    resolver.reverse(viewname, args, kwargs)
}

/// `reverse_lazy`: a URL computed on first use, for values built before the URLconf is
/// installed (class attributes in Django, statics here).
#[derive(Debug)]
pub struct ReverseLazy {
    viewname: String,
    args: Vec<String>,
    kwargs: Vec<(String, String)>,
    cell: OnceLock<String>,
}

/// `reverse_lazy(viewname, args, kwargs)`.
pub fn reverse_lazy(viewname: &str, args: Vec<String>, kwargs: Vec<(String, String)>) -> ReverseLazy {
    ReverseLazy {
        viewname: viewname.to_owned(),
        args,
        kwargs,
        cell: OnceLock::new(),
    }
}

impl ReverseLazy {
    /// Resolves (once) and returns the URL.
    pub fn get(&self) -> Result<&str> {
        if let Some(v) = self.cell.get() {
            return Ok(v);
        }
        let args: Vec<&dyn std::fmt::Display> =
            self.args.iter().map(|a| a as &dyn std::fmt::Display).collect();
        let kwargs: Vec<(&str, &dyn std::fmt::Display)> = self
            .kwargs
            .iter()
            .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
            .collect();
        let url = reverse(&self.viewname, &args, &kwargs)?;
        Ok(self.cell.get_or_init(|| url))
    }
}
