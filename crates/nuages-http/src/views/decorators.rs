//! View decorators as functions from view to view: `require_http_methods`,
//! `require_GET`/`require_POST`/`require_safe`, `condition`/`etag`/`last_modified`,
//! `cache_control`, `never_cache`, `vary_on_headers`/`vary_on_cookie`, `gzip_page`.

use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use crate::cache::{
    add_never_cache_headers, get_conditional_response, patch_cache_control, patch_vary_headers, quote_etag,
    Directive,
};
use crate::handler::{BoxFuture, IntoView, ViewFunc};
use crate::request::HttpRequest;
use crate::response::HttpResponse;

/// `@require_http_methods([...])`: 405 with `Allow` for other methods.
pub fn require_http_methods<K>(methods: &[&str], view: impl IntoView<K>) -> ViewFunc {
    let methods: Arc<Vec<String>> = Arc::new(methods.iter().map(|m| m.to_ascii_uppercase()).collect());
    view.into_view().wrap(move |inner, request| {
        let methods = methods.clone();
        async move {
            if !methods.iter().any(|m| m == request.method().as_str()) {
                tracing::warn!(target: "django.request", "Method Not Allowed ({}): {}", request.method(), request.path());
                return Ok(HttpResponse::not_allowed(&methods.iter().map(String::as_str).collect::<Vec<_>>()));
            }
            inner.call(request).await
        }
    })
}

/// `@require_GET`.
#[allow(non_snake_case)]
pub fn require_GET<K>(view: impl IntoView<K>) -> ViewFunc {
    require_http_methods(&["GET"], view)
}

/// `@require_POST`.
#[allow(non_snake_case)]
pub fn require_POST<K>(view: impl IntoView<K>) -> ViewFunc {
    require_http_methods(&["POST"], view)
}

/// `@require_safe` (GET and HEAD).
pub fn require_safe<K>(view: impl IntoView<K>) -> ViewFunc {
    require_http_methods(&["GET", "HEAD"], view)
}

type EtagFn = Arc<dyn Fn(HttpRequest) -> BoxFuture<Option<String>> + Send + Sync>;
type LastModifiedFn = Arc<dyn Fn(HttpRequest) -> BoxFuture<Option<SystemTime>> + Send + Sync>;

/// Boxes an async ETag function for [`condition`].
pub fn etag_fn<F, Fut>(f: F) -> EtagFn
where
    F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<String>> + Send + 'static,
{
    Arc::new(move |r| Box::pin(f(r)))
}

/// Boxes an async last-modified function for [`condition`].
pub fn last_modified_fn<F, Fut>(f: F) -> LastModifiedFn
where
    F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<SystemTime>> + Send + 'static,
{
    Arc::new(move |r| Box::pin(f(r)))
}

/// `@condition(etag_func, last_modified_func)`.
pub fn condition<K>(
    etag_func: Option<EtagFn>,
    last_modified_func: Option<LastModifiedFn>,
    view: impl IntoView<K>,
) -> ViewFunc {
    view.into_view().wrap(move |inner, request| {
        let etag_func = etag_func.clone();
        let last_modified_func = last_modified_func.clone();
        async move {
            let last_modified = match &last_modified_func {
                Some(f) => f(request.clone())
                    .await
                    .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                    .map(|d| d.as_secs()),
                None => None,
            };
            let etag = match &etag_func {
                Some(f) => f(request.clone()).await.map(|e| quote_etag(&e)),
                None => None,
            };
            let mut response = match get_conditional_response(&request, etag.as_deref(), last_modified, None)
            {
                Some(r) => r,
                None => inner.call(request.clone()).await?,
            };
            if matches!(request.method().as_str(), "GET" | "HEAD") {
                if let Some(lm) = last_modified {
                    if !response.has_header("last-modified") {
                        let when = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(lm);
                        response.set_header("Last-Modified", &httpdate::fmt_http_date(when));
                    }
                }
                if let Some(e) = &etag {
                    response.set_default_header("ETag", e);
                }
            }
            Ok(response)
        }
    })
}

/// `@etag(etag_func)`.
pub fn etag<K>(etag_func: EtagFn, view: impl IntoView<K>) -> ViewFunc {
    condition(Some(etag_func), None, view)
}

/// `@last_modified(last_modified_func)`.
pub fn last_modified<K>(last_modified_func: LastModifiedFn, view: impl IntoView<K>) -> ViewFunc {
    condition(None, Some(last_modified_func), view)
}

/// `@cache_control(**kwargs)`, e.g. `&[("max_age", Directive::Value("3600".into())), ("public", Directive::Flag)]`.
pub fn cache_control(directives: &[(&str, Directive)], view: impl IntoView) -> ViewFunc {
    let directives: Arc<Vec<(String, Directive)>> = Arc::new(
        directives
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    );
    view.into_view().wrap(move |inner, request| {
        let directives = directives.clone();
        async move {
            let mut response = inner.call(request).await?;
            let d: Vec<(&str, Directive)> = directives.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            patch_cache_control(&mut response, &d);
            Ok(response)
        }
    })
}

/// `@never_cache`.
pub fn never_cache<K>(view: impl IntoView<K>) -> ViewFunc {
    view.into_view().wrap(|inner, request| async move {
        let mut response = inner.call(request).await?;
        add_never_cache_headers(&mut response);
        Ok(response)
    })
}

/// `@vary_on_headers(*headers)`.
pub fn vary_on_headers<K>(headers: &[&str], view: impl IntoView<K>) -> ViewFunc {
    let headers: Arc<Vec<String>> = Arc::new(headers.iter().map(|h| (*h).to_owned()).collect());
    view.into_view().wrap(move |inner, request| {
        let headers = headers.clone();
        async move {
            let mut response = inner.call(request).await?;
            let h: Vec<&str> = headers.iter().map(String::as_str).collect();
            patch_vary_headers(&mut response, &h);
            Ok(response)
        }
    })
}

/// `@vary_on_cookie`.
pub fn vary_on_cookie<K>(view: impl IntoView<K>) -> ViewFunc {
    vary_on_headers(&["Cookie"], view)
}

/// `@gzip_page`.
pub fn gzip_page<K>(view: impl IntoView<K>) -> ViewFunc {
    view.into_view().wrap(|inner, request| async move {
        let handle = request.clone();
        let response = inner.call(request).await?;
        Ok(crate::middleware::gzip_response(&handle, response))
    })
}
