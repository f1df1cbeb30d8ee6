//! Templates in the request cycle: `TemplateResponse` (rendered late, after middleware's
//! `process_template_response` hooks had a chance to change the template or the
//! context), the `render` shortcut, `TemplateView`, the request as a template object
//! (`{{ request.path }}`, `{{ request.GET.q }}`), `csrf_token` in the context, and
//! `{% url %}` through the URL resolver ([`UrlconfReverser`]).
//!
//! ```
//! use std::sync::Arc;
//! use nuages_http::template::{render, UrlconfReverser};
//! use nuages_http::{path, Router, Client, HttpRequest, HttpResponse, HttpError};
//! use nuages_template::Engine;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let engine = Engine::builder()
//!     .template("home.html", "<a href=\"{% url 'home' %}\">{{ greeting }} {{ request.path }}</a>")
//!     .url_reverser(Arc::new(UrlconfReverser))
//!     .build();
//! let view = move |request: HttpRequest| {
//!     let engine = engine.clone();
//!     async move { render(&request, &engine, "home.html", &serde_json::json!({"greeting": "Hi"})) }
//! };
//! let client = Client::new(Router::for_tests(vec![path("", view).name("home")]).unwrap());
//! assert_eq!(client.get("/").send().await.text(), "<a href=\"/\">Hi /</a>");
//! # });
//! ```

use std::sync::Arc;

use indexmap::IndexMap;
use nuages_template::{Context, Engine, TemplateError, TemplateObject, UrlReverser, Value};

use crate::error::{HttpError, Result};
use crate::handler::ViewFunc;
use crate::request::HttpRequest;
use crate::response::HttpResponse;

fn template_error(e: TemplateError) -> HttpError {
    HttpError::Template(e)
}

/// `{% url %}` through the installed URLconf (the last `Router` created).
#[derive(Debug, Clone, Copy, Default)]
pub struct UrlconfReverser;

fn reverse_values(
    resolver: &crate::urls::UrlResolver,
    view_name: &str,
    args: &[Value],
    kwargs: &IndexMap<String, Value>,
) -> nuages_template::Result<String> {
    let args: Vec<String> = args.iter().map(Value::py_str).collect();
    let kwargs: Vec<(String, String)> = kwargs.iter().map(|(k, v)| (k.clone(), v.py_str())).collect();
    let a: Vec<&dyn std::fmt::Display> = args.iter().map(|a| a as &dyn std::fmt::Display).collect();
    let k: Vec<(&str, &dyn std::fmt::Display)> = kwargs
        .iter()
        .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
        .collect();
    resolver
        .reverse(view_name, &a, &k)
        .map_err(|e| TemplateError::NoReverseMatch(e.to_string()))
}

impl UrlReverser for UrlconfReverser {
    fn reverse(
        &self,
        view_name: &str,
        args: &[Value],
        kwargs: &IndexMap<String, Value>,
        _current_app: Option<&str>,
    ) -> nuages_template::Result<String> {
        let resolver = crate::urls::get_resolver()
            .ok_or_else(|| TemplateError::NoReverseMatch("No URLconf is installed.".to_owned()))?;
        reverse_values(&resolver, view_name, args, kwargs)
    }
}

impl UrlReverser for crate::urls::UrlResolver {
    fn reverse(
        &self,
        view_name: &str,
        args: &[Value],
        kwargs: &IndexMap<String, Value>,
        _current_app: Option<&str>,
    ) -> nuages_template::Result<String> {
        reverse_values(self, view_name, args, kwargs)
    }
}

/// Extra attributes of `request` in templates (e.g. `request.user`, set by the auth
/// middleware), stored in the request's extensions.
#[derive(Clone, Default)]
pub struct RequestTemplateAttrs(pub Arc<IndexMap<String, Value>>);

/// The request as a template object.
struct RequestObject(HttpRequest);

fn dict(items: impl Iterator<Item = (String, Value)>) -> Value {
    Value::from(items.collect::<IndexMap<String, Value>>())
}

impl TemplateObject for RequestObject {
    fn get_attr(&self, name: &str) -> Option<Value> {
        let r = &self.0;
        Some(match name {
            "path" => Value::from(r.path()),
            "path_info" => Value::from(r.path_info()),
            "method" => Value::from(r.method().as_str()),
            "scheme" => Value::from(r.scheme()),
            "GET" => dict(r.GET().items().map(|(k, v)| (k.to_owned(), Value::from(v)))),
            "POST" => dict(r.POST().items().map(|(k, v)| (k.to_owned(), Value::from(v)))),
            "COOKIES" => dict(
                r.COOKIES()
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str()))),
            ),
            "META" => dict(r.META().into_iter().map(|(k, v)| (k, Value::from(v)))),
            "is_secure" => Value::from(r.is_secure()),
            "get_full_path" => Value::from(r.get_full_path()),
            "get_host" => Value::from(r.get_host().ok()?),
            "build_absolute_uri" => Value::from(r.build_absolute_uri(None).ok()?),
            "resolver_match" => {
                let m = r.resolver_match()?;
                let mut d = IndexMap::new();
                d.insert("url_name".to_owned(), Value::from(m.url_name.as_deref()));
                d.insert("app_name".to_owned(), Value::from(m.app_name()));
                d.insert("namespace".to_owned(), Value::from(m.namespace()));
                d.insert("view_name".to_owned(), Value::from(m.view_name()));
                d.insert("route".to_owned(), Value::from(&*m.route));
                d.insert(
                    "kwargs".to_owned(),
                    dict(m.kwargs.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str())))),
                );
                Value::from(d)
            }
            other => {
                return r
                    .ext::<RequestTemplateAttrs>()
                    .and_then(|a| a.0.get(other).cloned())
            }
        })
    }

    fn to_str(&self) -> String {
        format!("<HttpRequest: {} '{}'>", self.0.method(), self.0.get_full_path())
    }

    fn type_name(&self) -> &str {
        "WSGIRequest"
    }
}

/// `csrf_token` in templates: Django's `csrf` context processor puts a lazy object there,
/// so `get_token()` (which schedules the CSRF cookie) runs only when a template renders
/// `{% csrf_token %}` or `{{ csrf_token }}`; a page that never uses it sends no cookie.
struct LazyCsrfToken {
    request: HttpRequest,
    token: std::sync::OnceLock<String>,
}

impl LazyCsrfToken {
    fn token(&self) -> &str {
        self.token
            .get_or_init(|| crate::middleware::get_token(&self.request))
    }
}

impl TemplateObject for LazyCsrfToken {
    fn get_attr(&self, _name: &str) -> Option<Value> {
        None
    }

    fn to_str(&self) -> String {
        self.token().to_owned()
    }

    fn is_safe(&self) -> bool {
        true
    }

    fn type_name(&self) -> &str {
        "SimpleLazyObject"
    }
}

/// The variables a `RequestContext` adds: `request` and `csrf_token` (lazy: the token, and
/// with it the CSRF cookie, is made only when the template uses it).
pub fn request_context(request: &HttpRequest) -> IndexMap<String, Value> {
    let mut m = IndexMap::new();
    m.insert(
        "request".to_owned(),
        Value::object(RequestObject(request.clone())),
    );
    m.insert(
        "csrf_token".to_owned(),
        Value::object(LazyCsrfToken {
            request: request.clone(),
            token: std::sync::OnceLock::new(),
        }),
    );
    m
}

/// A context map from any serializable value that serializes to a map.
pub fn context_from<T: serde::Serialize + ?Sized>(data: &T) -> Result<IndexMap<String, Value>> {
    match Value::from_serialize(data).map_err(template_error)? {
        Value::Dict(d) => Ok(Arc::try_unwrap(d).unwrap_or_else(|d| (*d).clone())),
        Value::None => Ok(IndexMap::new()),
        other => Err(HttpError::Template(TemplateError::TypeError(format!(
            "context must be a dict rather than {}.",
            other.type_name()
        )))),
    }
}

/// The unrendered part of a `TemplateResponse`, kept in the response's extensions.
#[derive(Clone)]
pub struct TemplateResponseData {
    /// `template_name`: candidates, the first that exists is used.
    pub template_name: Vec<String>,
    /// `context_data`.
    pub context_data: IndexMap<String, Value>,
    engine: Engine,
    request: Option<HttpRequest>,
}

impl std::fmt::Debug for TemplateResponseData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateResponseData")
            .field("template_name", &self.template_name)
            .finish()
    }
}

/// Django's `TemplateResponse(request, template, context)`: rendered by the request
/// cycle after `process_template_response`.
pub struct TemplateResponse;

impl TemplateResponse {
    /// A template response over a context map.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(
        request: &HttpRequest,
        engine: &Engine,
        template_name: &[&str],
        context_data: IndexMap<String, Value>,
    ) -> HttpResponse {
        HttpResponse::new("").with_ext(TemplateResponseData {
            template_name: template_name.iter().map(|s| (*s).to_owned()).collect(),
            context_data,
            engine: engine.clone(),
            request: Some(request.clone()),
        })
    }

    /// A template response over any serializable context.
    pub fn from_serialize<T: serde::Serialize + ?Sized>(
        request: &HttpRequest,
        engine: &Engine,
        template_name: &[&str],
        context: &T,
    ) -> Result<HttpResponse> {
        Ok(TemplateResponse::new(
            request,
            engine,
            template_name,
            context_from(context)?,
        ))
    }
}

/// Whether `response` still has to be rendered.
pub fn is_template_response(response: &HttpResponse) -> bool {
    response.extensions.get::<TemplateResponseData>().is_some()
}

/// The template data of an unrendered response, for `process_template_response` hooks.
pub fn template_data(response: &mut HttpResponse) -> Option<&mut TemplateResponseData> {
    response.extensions.get_mut::<TemplateResponseData>()
}

fn render_with(
    engine: &Engine,
    names: &[String],
    context_data: &IndexMap<String, Value>,
    request: Option<&HttpRequest>,
) -> Result<String> {
    let template = engine.select_template(names).map_err(template_error)?;
    let mut values = match request {
        Some(r) => {
            let mut values = request_context(r);
            values.extend(crate::context_processors::run(r)?);
            values
        }
        None => IndexMap::new(),
    };
    values.extend(context_data.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut ctx = Context::from_map(values);
    ctx.autoescape = engine.autoescape();
    template.render(&mut ctx).map_err(template_error)
}

/// Renders a template response in place (`response.render()`); a no-op otherwise. What
/// it was rendered from stays available as [`RenderedTemplate`] (the test client's
/// `context` and `templates`).
pub fn render_response(response: &mut HttpResponse) -> Result<()> {
    let Some(data) = response.extensions.remove::<TemplateResponseData>() else {
        return Ok(());
    };
    let text = render_with(
        &data.engine,
        &data.template_name,
        &data.context_data,
        data.request.as_ref(),
    )?;
    response.set_content(text);
    response.extensions.insert(RenderedTemplate {
        template_name: data.template_name,
        context_data: data.context_data,
    });
    Ok(())
}

/// What a rendered template response was rendered from.
#[derive(Debug, Clone)]
pub struct RenderedTemplate {
    /// The template names.
    pub template_name: Vec<String>,
    /// The context.
    pub context_data: IndexMap<String, Value>,
}

/// The `render(request, template_name, context)` shortcut: renders now.
pub fn render<T: serde::Serialize + ?Sized>(
    request: &HttpRequest,
    engine: &Engine,
    template_name: &str,
    context: &T,
) -> Result<HttpResponse> {
    let names = vec![template_name.to_owned()];
    let context_data = context_from(context)?;
    let text = render_with(engine, &names, &context_data, Some(request))?;
    Ok(HttpResponse::new(text).with_ext(RenderedTemplate {
        template_name: names,
        context_data,
    }))
}

/// Django's `TemplateView`: renders `template_name` with the URL kwargs and
/// `extra_context`, as a `TemplateResponse`.
#[derive(Clone)]
pub struct TemplateView {
    engine: Engine,
    template_name: String,
    extra_context: IndexMap<String, Value>,
}

impl TemplateView {
    /// `TemplateView.as_view(template_name=...)`.
    pub fn new(engine: &Engine, template_name: &str) -> TemplateView {
        TemplateView {
            engine: engine.clone(),
            template_name: template_name.to_owned(),
            extra_context: IndexMap::new(),
        }
    }

    /// `extra_context`.
    pub fn extra_context(mut self, key: &str, value: impl Into<Value>) -> TemplateView {
        self.extra_context.insert(key.to_owned(), value.into());
        self
    }

    /// `as_view()`: GET (and HEAD) render; other methods are 405 (OPTIONS lists them).
    pub fn as_view(self) -> ViewFunc {
        let this = Arc::new(self);
        let get = move |request: HttpRequest| {
            let this = this.clone();
            async move {
                let mut ctx: IndexMap<String, Value> = request
                    .resolver_match()
                    .map(|m| {
                        m.kwargs
                            .iter()
                            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                            .collect()
                    })
                    .unwrap_or_default();
                ctx.extend(this.extra_context.iter().map(|(k, v)| (k.clone(), v.clone())));
                Ok(TemplateResponse::new(
                    &request,
                    &this.engine,
                    &[this.template_name.as_str()],
                    ctx,
                ))
            }
        };
        crate::views::View::new().get(get).named("TemplateView").as_view()
    }
}
