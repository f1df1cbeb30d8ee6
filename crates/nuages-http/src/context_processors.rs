//! Django's `django.template.context_processors`: functions from the request to template
//! variables, run for every template rendered with a request (`render()`,
//! `TemplateResponse`, the generic views). `csrf` and `request` always run (Django always
//! runs `csrf`; `request` is in every `startproject`'s list); the others are chosen with
//! the `[http] context_processors` setting, Django's `TEMPLATES` `context_processors`
//! option, by Django's dotted names or by names given to [`register`].
//!
//! ```
//! use nuages_http::context_processors::register;
//! use nuages_http::template::render;
//! use nuages_http::{path, Client, Conf, HttpRequest, HttpSettings, Router};
//! use nuages_template::{Engine, Value};
//!
//! register("shop.context_processors.cart", |request: &HttpRequest| {
//!     vec![("cart_size".to_owned(), Value::from(request.COOKIES().len() as i64))]
//! });
//! let engine = Engine::builder().template("t.html", "{{ STATIC_URL }} {{ cart_size }}").build();
//! let view = move |request: HttpRequest| {
//!     let engine = engine.clone();
//!     async move { render(&request, &engine, "t.html", &serde_json::json!({})) }
//! };
//! let mut http = HttpSettings::default();
//! http.context_processors = vec![
//!     "django.template.context_processors.static".into(),
//!     "shop.context_processors.cart".into(),
//! ];
//! let conf = Conf::with_http(Conf::for_tests().settings.clone(), http);
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let client = Client::new(Router::with_conf(conf, vec![path("", view)]).unwrap());
//! assert_eq!(client.get("/").send().await.text(), "/static/ 0");
//! # });
//! ```

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock, RwLock};

use nuages_template::Value;

use crate::error::{HttpError, Result};
use crate::request::HttpRequest;

/// A context processor: the variables it adds for one request.
pub type ContextProcessor = Arc<dyn Fn(&HttpRequest) -> Vec<(String, Value)> + Send + Sync>;

fn registry() -> &'static RwLock<HashMap<String, ContextProcessor>> {
    static REGISTRY: OnceLock<RwLock<HashMap<String, ContextProcessor>>> = OnceLock::new();
    REGISTRY.get_or_init(|| RwLock::new(HashMap::new()))
}

/// Makes a processor available under `name` (Django's dotted path to the function), for
/// the `[http] context_processors` setting.
pub fn register(
    name: &str,
    processor: impl Fn(&HttpRequest) -> Vec<(String, Value)> + Send + Sync + 'static,
) {
    registry()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.to_owned(), Arc::new(processor));
}

/// Django's `debug`: `debug` (True) and `sql_queries` when `DEBUG` is on and the client's
/// address is in `INTERNAL_IPS`; nothing otherwise. `sql_queries` lists the statements the
/// view ran (`sql` and `time` in seconds, as Django's `connection.queries`), which the
/// `db` feature captures around the view with DEBUG on: a template response rendered
/// after the view sees them, a `render()` inside the view sees none yet.
pub fn debug(request: &HttpRequest) -> Vec<(String, Value)> {
    let conf = request.conf();
    let internal = request.remote_addr().map(|a| a.ip()).is_some_and(|ip| {
        conf.http
            .internal_ips
            .iter()
            .any(|i| i.parse::<IpAddr>().ok() == Some(ip))
    });
    if !conf.settings.debug || !internal {
        return Vec::new();
    }
    let queries: Vec<Value> = request
        .ext::<crate::debug::RequestQueries>()
        .map(|q| q.0)
        .unwrap_or_default()
        .into_iter()
        .map(|q| {
            let mut d = indexmap::IndexMap::new();
            d.insert("sql".to_owned(), Value::from(q.sql));
            d.insert(
                "time".to_owned(),
                Value::from(format!("{:.3}", q.duration.as_secs_f64())),
            );
            Value::from(d)
        })
        .collect();
    vec![
        ("debug".to_owned(), Value::from(true)),
        ("sql_queries".to_owned(), Value::from(queries)),
    ]
}

/// Django's `static`: `STATIC_URL`.
pub fn static_url(request: &HttpRequest) -> Vec<(String, Value)> {
    vec![(
        "STATIC_URL".to_owned(),
        Value::from(request.conf().http.static_url.as_str()),
    )]
}

/// Django's `media`: `MEDIA_URL`.
pub fn media(request: &HttpRequest) -> Vec<(String, Value)> {
    vec![(
        "MEDIA_URL".to_owned(),
        Value::from(request.conf().http.media_url.as_str()),
    )]
}

/// Django's `tz`: `TIME_ZONE`, the current time zone's name (the `TIME_ZONE` setting:
/// nuages has no per-request `timezone.activate`).
pub fn tz(request: &HttpRequest) -> Vec<(String, Value)> {
    vec![(
        "TIME_ZONE".to_owned(),
        Value::from(request.conf().settings.time_zone.as_str()),
    )]
}

/// A built-in processor function.
type BuiltinProcessor = fn(&HttpRequest) -> Vec<(String, Value)>;

fn builtin(name: &str) -> Option<BuiltinProcessor> {
    let short = name
        .strip_prefix("django.template.context_processors.")
        .unwrap_or(name);
    Some(match short {
        "debug" => debug,
        "static" => static_url,
        "media" => media,
        "tz" => tz,
        _ => return None,
    })
}

/// The variables of the configured processors for `request`, in setting order (a later
/// processor's value wins, as Django's `RequestContext` updates in order). `request` and
/// `csrf` are not listed here: `template::request_context` always adds them, so naming
/// them in the setting is accepted and does nothing more.
pub fn run(request: &HttpRequest) -> Result<Vec<(String, Value)>> {
    let names = &request.conf().http.context_processors;
    let mut out = Vec::new();
    for name in names {
        let short = name
            .strip_prefix("django.template.context_processors.")
            .unwrap_or(name);
        if matches!(short, "request" | "csrf") {
            continue;
        }
        if let Some(f) = builtin(name) {
            out.extend(f(request));
            continue;
        }
        let custom = registry()
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name.as_str())
            .cloned();
        match custom {
            Some(f) => out.extend(f(request)),
            None => {
                return Err(HttpError::ImproperlyConfigured(format!(
                    "Context processor '{name}' is neither one of Django's built-ins nor registered with nuages_http::context_processors::register()."
                )))
            }
        }
    }
    Ok(out)
}
