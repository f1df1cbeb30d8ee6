//! Class-based views: `View` (dispatch by method, 405 with `Allow`, automatic `HEAD`
//! and `OPTIONS`) and `RedirectView`. A Django class with `get`/`post` methods is a
//! `View` with a handler per method here.
//!
//! ```
//! use nuages_http::views::View;
//! use nuages_http::{path, Router, Client, HttpRequest, HttpResponse, HttpError};
//!
//! async fn list(_r: HttpRequest) -> Result<HttpResponse, HttpError> { Ok(HttpResponse::new("list")) }
//! async fn create(_r: HttpRequest) -> Result<HttpResponse, HttpError> { Ok(HttpResponse::new("created")) }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let app = Router::for_tests(vec![path("books/", View::new().get(list).post(create).as_view())]).unwrap();
//! let client = Client::new(app);
//! let r = client.delete("/books/").send().await;
//! assert_eq!(r.status, 405);
//! assert_eq!(r.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
//! # });
//! ```

pub mod decorators;
#[cfg(feature = "db")]
pub mod generic;
pub mod static_files;

use std::sync::Arc;

use crate::error::HttpError;
use crate::handler::{IntoView, ViewFunc, ViewResult};
use crate::request::HttpRequest;
use crate::response::HttpResponse;

/// Django's `View.http_method_names`, in order.
pub const HTTP_METHOD_NAMES: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

/// A class-based view: a handler per HTTP method.
#[derive(Clone, Default)]
pub struct View {
    handlers: Vec<(&'static str, ViewFunc)>,
    name: Option<String>,
}

impl std::fmt::Debug for View {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View")
            .field("methods", &self.allowed_methods())
            .finish()
    }
}

impl View {
    /// A view with no handlers (every method but OPTIONS answers 405).
    pub fn new() -> View {
        View::default()
    }

    fn with<K>(mut self, method: &'static str, handler: impl IntoView<K>) -> View {
        self.handlers.retain(|(m, _)| *m != method);
        self.handlers.push((method, handler.into_view()));
        self
    }

    /// Sets the name shown in debug pages (the class path in Django).
    pub fn named(mut self, name: &str) -> View {
        self.name = Some(name.to_owned());
        self
    }

    /// `def get(self, request, ...)`.
    pub fn get<K>(self, handler: impl IntoView<K>) -> View {
        self.with("get", handler)
    }
    /// `def post(...)`.
    pub fn post<K>(self, handler: impl IntoView<K>) -> View {
        self.with("post", handler)
    }
    /// `def put(...)`.
    pub fn put<K>(self, handler: impl IntoView<K>) -> View {
        self.with("put", handler)
    }
    /// `def patch(...)`.
    pub fn patch<K>(self, handler: impl IntoView<K>) -> View {
        self.with("patch", handler)
    }
    /// `def delete(...)`.
    pub fn delete<K>(self, handler: impl IntoView<K>) -> View {
        self.with("delete", handler)
    }
    /// `def head(...)` (defaults to `get`).
    pub fn head<K>(self, handler: impl IntoView<K>) -> View {
        self.with("head", handler)
    }
    /// `def options(...)` (defaults to an empty response with `Allow`).
    pub fn options<K>(self, handler: impl IntoView<K>) -> View {
        self.with("options", handler)
    }
    /// `def trace(...)`.
    pub fn trace<K>(self, handler: impl IntoView<K>) -> View {
        self.with("trace", handler)
    }

    fn handler(&self, method: &str) -> Option<&ViewFunc> {
        self.handlers.iter().find(|(m, _)| *m == method).map(|(_, h)| h)
    }

    /// `_allowed_methods()`: upper-case names in `http_method_names` order.
    pub fn allowed_methods(&self) -> Vec<String> {
        HTTP_METHOD_NAMES
            .iter()
            .filter(|m| {
                self.handler(m).is_some()
                    || **m == "options"
                    || (**m == "head" && self.handler("get").is_some())
            })
            .map(|m| m.to_ascii_uppercase())
            .collect()
    }

    /// `dispatch(request)`.
    pub async fn dispatch(&self, request: HttpRequest) -> ViewResult {
        let method = request.method().as_str().to_ascii_lowercase();
        if !HTTP_METHOD_NAMES.contains(&method.as_str()) {
            return Ok(self.not_allowed(&request));
        }
        if let Some(h) = self.handler(&method) {
            return h.call(request).await;
        }
        match method.as_str() {
            "head" => match self.handler("get") {
                Some(get) => get.call(request).await,
                None => Ok(self.not_allowed(&request)),
            },
            "options" => {
                let mut r = HttpResponse::new("");
                r.set_header("Allow", &self.allowed_methods().join(", "));
                r.set_header("Content-Length", "0");
                Ok(r)
            }
            _ => Ok(self.not_allowed(&request)),
        }
    }

    fn not_allowed(&self, request: &HttpRequest) -> HttpResponse {
        tracing::warn!(target: "django.request", "Method Not Allowed ({}): {}", request.method(), request.path());
        let allowed = self.allowed_methods();
        HttpResponse::not_allowed(&allowed.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// `as_view()`.
    pub fn as_view(self) -> ViewFunc {
        let name = self.name.clone().unwrap_or_else(|| "View".to_owned());
        let view = Arc::new(self);
        ViewFunc::named(&name, move |request: HttpRequest| {
            let view = view.clone();
            async move { view.dispatch(request).await }
        })
    }
}

/// Django's `RedirectView`.
#[derive(Debug, Clone, Default)]
pub struct RedirectView {
    /// `url`, with `%(name)s` placeholders filled from the URL kwargs.
    pub url: Option<String>,
    /// `pattern_name`, reversed with the same args and kwargs.
    pub pattern_name: Option<String>,
    /// `permanent` (301 instead of 302).
    pub permanent: bool,
    /// `query_string`: pass the query string on.
    pub query_string: bool,
}

fn percent_format(template: &str, kwargs: &indexmap::IndexMap<String, String>) -> Result<String, HttpError> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('%') {
            out.push('%');
            rest = r;
        } else if let Some(r) = after.strip_prefix('(') {
            let close = r
                .find(')')
                .ok_or_else(|| HttpError::other("incomplete format key"))?;
            let key = &r[..close];
            let value = kwargs
                .get(key)
                .ok_or_else(|| HttpError::other(format!("KeyError: '{key}'")))?;
            out.push_str(value);
            rest = r[close + 1..].strip_prefix('s').unwrap_or(&r[close + 1..]);
        } else {
            out.push('%');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

impl RedirectView {
    /// `get_redirect_url(*args, **kwargs)`.
    pub fn get_redirect_url(&self, request: &HttpRequest) -> Result<Option<String>, HttpError> {
        let m = request.resolver_match();
        let kwargs = m.as_ref().map(|m| m.kwargs.clone()).unwrap_or_default();
        let args = m.as_ref().map(|m| m.args.clone()).unwrap_or_default();
        let url = if let Some(url) = &self.url {
            percent_format(url, &kwargs)?
        } else if let Some(name) = &self.pattern_name {
            let a: Vec<&dyn std::fmt::Display> = args.iter().map(|a| a as &dyn std::fmt::Display).collect();
            let k: Vec<(&str, &dyn std::fmt::Display)> = kwargs
                .iter()
                .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
                .collect();
            crate::urls::reverse(name, &a, &k)?
        } else {
            return Ok(None);
        };
        let qs = request.query_string();
        Ok(Some(if self.query_string && !qs.is_empty() {
            format!("{url}?{qs}")
        } else {
            url
        }))
    }

    /// `as_view()`: every method redirects; no URL gives 410 Gone.
    pub fn as_view(self) -> ViewFunc {
        let view = Arc::new(self);
        ViewFunc::named("RedirectView", move |request: HttpRequest| {
            let view = view.clone();
            async move {
                match view.get_redirect_url(&request)? {
                    Some(url) if view.permanent => HttpResponse::permanent_redirect(&url),
                    Some(url) => HttpResponse::redirect(&url),
                    None => {
                        tracing::warn!(target: "django.request", "Gone: {}", request.path());
                        Ok(HttpResponse::gone(""))
                    }
                }
            }
        })
    }
}

/// The `redirect()` shortcut for a URL (`permanent` for 301).
pub fn redirect(to: &str, permanent: bool) -> Result<HttpResponse, HttpError> {
    if permanent {
        HttpResponse::permanent_redirect(to)
    } else {
        HttpResponse::redirect(to)
    }
}

/// The `redirect()` shortcut for a view name, reversed with `args`/`kwargs`.
pub fn redirect_to_view(
    viewname: &str,
    args: &[&dyn std::fmt::Display],
    kwargs: &[(&str, &dyn std::fmt::Display)],
    permanent: bool,
) -> Result<HttpResponse, HttpError> {
    redirect(&crate::urls::reverse(viewname, args, kwargs)?, permanent)
}
