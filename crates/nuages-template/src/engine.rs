//! The engine (Django's `django.template.Engine`): loaders, libraries, settings, and the
//! cache of compiled templates. An `Engine` is a cheap handle (`Arc`), `Send + Sync`.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};

use indexmap::IndexMap;

use crate::context::Context;
use crate::error::{Result, TemplateError};
use crate::library::Library;
use crate::template::Template;
use crate::value::Value;

/// Reverses URL names for `{% url %}` (implemented by the HTTP layer's resolver).
pub trait UrlReverser: Send + Sync {
    /// Django's `reverse(view_name, args=..., kwargs=..., current_app=...)`; fails with
    /// [`TemplateError::NoReverseMatch`].
    fn reverse(
        &self,
        view_name: &str,
        args: &[Value],
        kwargs: &IndexMap<String, Value>,
        current_app: Option<&str>,
    ) -> Result<String>;
}

/// Answers `{% static %}` for a static files storage (Django's
/// `staticfiles_storage.url(path)`), e.g. the HTTP layer's manifest storage giving hashed
/// names when `DEBUG` is off. Without one, `{% static %}` joins `STATIC_URL` and the path.
pub trait StaticUrls: Send + Sync {
    /// The URL of the static file `path`; fails with [`TemplateError::ValueError`] as
    /// Django's storages raise `ValueError` (e.g. a missing manifest entry).
    fn url(&self, path: &str) -> Result<String>;
}

/// A context processor: returns values merged under the caller's context.
pub type ContextProcessor = Arc<dyn Fn(&Context) -> Vec<(String, Value)> + Send + Sync>;

/// Where templates come from.
pub trait Loader: Send + Sync {
    /// The candidate origins (paths, keys) for `name`, in search order.
    fn origins(&self, name: &str) -> Vec<String>;
    /// The source at an origin, or `None` when it does not exist.
    fn source(&self, origin: &str) -> Option<String>;
}

/// Templates from directories (`TEMPLATES.DIRS`, or app `templates/` dirs).
pub struct FileSystemLoader {
    dirs: Vec<PathBuf>,
}

impl FileSystemLoader {
    /// A loader searching `dirs` in order.
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        FileSystemLoader { dirs }
    }
}

fn safe_join(dir: &Path, name: &str) -> Option<PathBuf> {
    let rel = Path::new(name);
    if rel.components().any(|c| {
        matches!(
            c,
            Component::ParentDir | Component::RootDir | Component::Prefix(_)
        )
    }) {
        return None;
    }
    Some(dir.join(rel))
}

impl Loader for FileSystemLoader {
    fn origins(&self, name: &str) -> Vec<String> {
        self.dirs
            .iter()
            .filter_map(|d| safe_join(d, name))
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }
    fn source(&self, origin: &str) -> Option<String> {
        std::fs::read_to_string(origin).ok()
    }
}

/// Templates held in memory (Django's `locmem.Loader`), for tests and embedded templates.
#[derive(Default)]
pub struct LocMemLoader {
    templates: HashMap<String, String>,
}

impl LocMemLoader {
    /// A loader over `name -> source`.
    pub fn new(templates: HashMap<String, String>) -> Self {
        LocMemLoader { templates }
    }
}

impl Loader for LocMemLoader {
    fn origins(&self, name: &str) -> Vec<String> {
        vec![name.to_string()]
    }
    fn source(&self, origin: &str) -> Option<String> {
        self.templates.get(origin).cloned()
    }
}

pub(crate) struct EngineInner {
    loaders: Vec<Box<dyn Loader>>,
    cache: Option<RwLock<HashMap<String, Arc<Template>>>>,
    pub(crate) autoescape: bool,
    string_if_invalid: String,
    pub(crate) debug: bool,
    pub(crate) libraries: HashMap<String, Arc<Library>>,
    pub(crate) builtins: Vec<Arc<Library>>,
    pub(crate) static_url: String,
    pub(crate) media_url: String,
    pub(crate) url_reverser: Option<Arc<dyn UrlReverser>>,
    pub(crate) static_urls: Option<Arc<dyn StaticUrls>>,
    pub(crate) context_processors: Vec<ContextProcessor>,
}

/// The template engine.
///
/// ```
/// use nuages_template::{Context, Engine};
///
/// let engine = Engine::builder()
///     .template("base.html", "<h1>{% block title %}Site{% endblock %}</h1>")
///     .template("page.html", "{% extends 'base.html' %}{% block title %}{{ block.super }} - {{ t }}{% endblock %}")
///     .build();
/// let mut ctx = Context::new();
/// ctx.insert("t", "News");
/// assert_eq!(engine.render_to_string("page.html", &mut ctx).unwrap(), "<h1>Site - News</h1>");
/// ```
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("autoescape", &self.inner.autoescape)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Engine`].
pub struct EngineBuilder {
    loaders: Vec<Box<dyn Loader>>,
    locmem: HashMap<String, String>,
    dirs: Vec<PathBuf>,
    app_dirs: Vec<PathBuf>,
    cached: bool,
    default_libraries: bool,
    autoescape: bool,
    string_if_invalid: String,
    debug: bool,
    libraries: HashMap<String, Arc<Library>>,
    builtins: Vec<Arc<Library>>,
    static_url: String,
    media_url: String,
    url_reverser: Option<Arc<dyn UrlReverser>>,
    static_urls: Option<Arc<dyn StaticUrls>>,
    context_processors: Vec<ContextProcessor>,
}

impl EngineBuilder {
    /// Adds a directory searched by the filesystem loader (`DIRS`).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dirs.push(dir.into());
        self
    }
    /// Adds an application's `templates/` directory (the app directories loader, after `DIRS`).
    pub fn app_dir(mut self, app_templates_dir: impl Into<PathBuf>) -> Self {
        self.app_dirs.push(app_templates_dir.into());
        self
    }
    /// Adds an in-memory template (the locmem loader, searched first).
    pub fn template(mut self, name: impl Into<String>, source: impl Into<String>) -> Self {
        self.locmem.insert(name.into(), source.into());
        self
    }
    /// Adds a custom loader (searched after the built-in ones).
    pub fn loader(mut self, loader: Box<dyn Loader>) -> Self {
        self.loaders.push(loader);
        self
    }
    /// Whether compiled templates are cached (Django's cached loader). Default: on.
    pub fn cached(mut self, cached: bool) -> Self {
        self.cached = cached;
        self
    }
    /// Default autoescaping for `render_to_string`. Default: on.
    pub fn autoescape(mut self, on: bool) -> Self {
        self.autoescape = on;
        self
    }
    /// `string_if_invalid` (a `%s` in it is replaced by the variable's name).
    pub fn string_if_invalid(mut self, s: impl Into<String>) -> Self {
        self.string_if_invalid = s.into();
        self
    }
    /// The DEBUG flag.
    pub fn debug(mut self, on: bool) -> Self {
        self.debug = on;
        self
    }
    /// Registers a library loadable with `{% load name %}`.
    pub fn library(mut self, name: impl Into<String>, lib: Library) -> Self {
        self.libraries.insert(name.into(), Arc::new(lib));
        self
    }
    /// Adds a library whose tags and filters are available without `{% load %}`.
    pub fn builtin(mut self, lib: Library) -> Self {
        self.builtins.push(Arc::new(lib));
        self
    }
    /// `STATIC_URL` for `{% static %}`.
    pub fn static_url(mut self, url: impl Into<String>) -> Self {
        self.static_url = url.into();
        self
    }
    /// `MEDIA_URL` for `{% get_media_prefix %}`.
    pub fn media_url(mut self, url: impl Into<String>) -> Self {
        self.media_url = url.into();
        self
    }
    /// Whether the libraries Django's template backend always offers (`static`, `i18n`) are
    /// registered. Default: on. A bare `django.template.Engine` has none.
    pub fn default_libraries(mut self, on: bool) -> Self {
        self.default_libraries = on;
        self
    }
    /// The resolver `{% url %}` reverses through.
    pub fn url_reverser(mut self, r: Arc<dyn UrlReverser>) -> Self {
        self.url_reverser = Some(r);
        self
    }
    /// The static files storage `{% static %}` asks for URLs.
    pub fn static_urls(mut self, s: Arc<dyn StaticUrls>) -> Self {
        self.static_urls = Some(s);
        self
    }
    /// Adds a context processor, run once per top-level render.
    pub fn context_processor(
        mut self,
        p: impl Fn(&Context) -> Vec<(String, Value)> + Send + Sync + 'static,
    ) -> Self {
        self.context_processors.push(Arc::new(p));
        self
    }
    /// Builds the engine.
    pub fn build(self) -> Engine {
        let mut loaders: Vec<Box<dyn Loader>> = Vec::new();
        if !self.locmem.is_empty() {
            loaders.push(Box::new(LocMemLoader::new(self.locmem)));
        }
        if !self.dirs.is_empty() {
            loaders.push(Box::new(FileSystemLoader::new(self.dirs)));
        }
        if !self.app_dirs.is_empty() {
            loaders.push(Box::new(FileSystemLoader::new(self.app_dirs)));
        }
        loaders.extend(self.loaders);
        let mut libraries = self.libraries;
        if self.default_libraries {
            libraries
                .entry("static".into())
                .or_insert_with(|| Arc::new(crate::tags::web::static_library()));
            libraries
                .entry("i18n".into())
                .or_insert_with(|| Arc::new(crate::tags::i18n::i18n_library()));
        }
        Engine {
            inner: Arc::new(EngineInner {
                loaders,
                cache: self.cached.then(|| RwLock::new(HashMap::new())),
                autoescape: self.autoescape,
                string_if_invalid: self.string_if_invalid,
                debug: self.debug,
                libraries,
                builtins: self.builtins,
                static_url: self.static_url,
                media_url: self.media_url,
                url_reverser: self.url_reverser,
                static_urls: self.static_urls,
                context_processors: self.context_processors,
            }),
        }
    }
}

impl Engine {
    /// An engine with no loaders and default settings.
    pub fn new() -> Engine {
        Engine::builder().build()
    }

    /// Starts building an engine.
    pub fn builder() -> EngineBuilder {
        EngineBuilder {
            loaders: Vec::new(),
            locmem: HashMap::new(),
            dirs: Vec::new(),
            app_dirs: Vec::new(),
            cached: true,
            default_libraries: true,
            autoescape: true,
            string_if_invalid: String::new(),
            debug: false,
            libraries: HashMap::new(),
            builtins: Vec::new(),
            static_url: "/static/".into(),
            media_url: String::new(),
            url_reverser: None,
            static_urls: None,
            context_processors: Vec::new(),
        }
    }

    /// `string_if_invalid`.
    pub fn string_if_invalid(&self) -> &str {
        &self.inner.string_if_invalid
    }

    /// The engine's default autoescaping.
    pub fn autoescape(&self) -> bool {
        self.inner.autoescape
    }

    /// Whether DEBUG is on.
    pub fn debug(&self) -> bool {
        self.inner.debug
    }

    /// Compiles a template from source (Django's `Engine.from_string`).
    pub fn from_string(&self, source: &str) -> Result<Template> {
        Template::compile(self, source, None, String::new())
    }

    /// Loads a template by name (Django's `Engine.get_template`).
    pub fn get_template(&self, name: &str) -> Result<Arc<Template>> {
        self.find_template(name, &[])
    }

    /// Loads the first template found among `names` (Django's `select_template`).
    pub fn select_template<S: AsRef<str>>(&self, names: &[S]) -> Result<Arc<Template>> {
        if names.is_empty() {
            return Err(TemplateError::TemplateDoesNotExist {
                name: "No template names provided".into(),
                tried: Vec::new(),
            });
        }
        let mut not_found: Vec<String> = Vec::new();
        let mut tried_all = Vec::new();
        for n in names {
            match self.get_template(n.as_ref()) {
                Ok(t) => return Ok(t),
                Err(TemplateError::TemplateDoesNotExist { name, tried }) => {
                    if !not_found.contains(&name) {
                        not_found.push(name);
                    }
                    tried_all.extend(tried);
                }
                Err(e) => return Err(e),
            }
        }
        Err(TemplateError::TemplateDoesNotExist {
            name: not_found.join(", "),
            tried: tried_all,
        })
    }

    /// Loads, skipping the origins in `skip` (used by `{% extends %}` to avoid recursion).
    pub(crate) fn find_template(&self, name: &str, skip: &[String]) -> Result<Arc<Template>> {
        // The key is the name itself for a plain lookup (every render of a view), so a hit
        // allocates nothing.
        let key: std::borrow::Cow<'_, str> = if skip.is_empty() {
            name.into()
        } else {
            format!("{name}\u{0}{}", skip.join("\u{0}")).into()
        };
        if let Some(cache) = &self.inner.cache {
            if let Ok(map) = cache.read() {
                if let Some(t) = map.get(key.as_ref()) {
                    return Ok(t.clone());
                }
            }
        }
        let mut tried = Vec::new();
        for (i, loader) in self.inner.loaders.iter().enumerate() {
            for origin in loader.origins(name) {
                let origin_key = format!("{i}:{origin}");
                if skip.contains(&origin_key) {
                    tried.push(format!("{origin} (Skipped to avoid recursion)"));
                    continue;
                }
                match loader.source(&origin) {
                    Some(src) => {
                        let t = Arc::new(Template::compile(self, &src, Some(name.to_string()), origin_key)?);
                        if let Some(cache) = &self.inner.cache {
                            if let Ok(mut map) = cache.write() {
                                map.insert(key.into_owned(), t.clone());
                            }
                        }
                        return Ok(t);
                    }
                    None => tried.push(format!("{origin} (Source does not exist)")),
                }
            }
        }
        Err(TemplateError::TemplateDoesNotExist {
            name: name.to_string(),
            tried,
        })
    }

    /// Loads and renders a template, with the engine's autoescape setting.
    pub fn render_to_string(&self, name: &str, ctx: &mut Context) -> Result<String> {
        let t = self.get_template(name)?;
        ctx.autoescape = self.inner.autoescape;
        t.render(ctx)
    }

    /// Drops every cached compiled template.
    pub fn clear_cache(&self) {
        if let Some(cache) = &self.inner.cache {
            if let Ok(mut map) = cache.write() {
                map.clear();
            }
        }
    }
}
