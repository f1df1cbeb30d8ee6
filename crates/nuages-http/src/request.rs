//! `HttpRequest`: Django's request object.
//!
//! A request is a cheap, cloneable handle (an `Arc`), because in Django every middleware
//! layer and the view see the same request object: a middleware can keep a handle while
//! the view runs and look at what the view left behind (per-request extensions) on the way
//! out. The parsed parts (`GET`, `POST`, `FILES`, body) are read-only after construction;
//! the mutable parts (resolver match, extensions) sit behind a lock.

use nuages_core::pyrepr::repr_str;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::conf::Conf;
use crate::error::{HttpError, Result};
use crate::multipart::Files;
use crate::querydict::{quote, QueryDict};
use crate::target::Target;
use crate::urls::ResolverMatch;

/// Django's `HttpRequest`.
///
/// Field-like accessors keep Django's names (`GET`, `POST`, `FILES`, `COOKIES`, `META`).
///
/// ```
/// use nuages_http::HttpRequest;
/// let request = HttpRequest::builder("GET", "/search/?q=rust&q=django")
///     .header("Host", "testserver")
///     .build();
/// assert_eq!(request.GET().getlist("q"), ["rust", "django"]);
/// assert_eq!(request.get_host().unwrap(), "testserver");
/// assert_eq!(request.build_absolute_uri(None).unwrap(), "http://testserver/search/?q=rust&q=django");
/// ```
#[derive(Clone)]
pub struct HttpRequest {
    inner: Arc<Inner>,
}

struct Inner {
    method: Method,
    target: Target,
    headers: HeaderMap,
    body: Bytes,
    /// `GET`; `None` when the query string is empty (most requests): an empty map still
    /// costs a hasher seeded from thread-local state.
    get: Option<QueryDict>,
    /// `POST` and `FILES`, out of line and only when a body had fields or files: most
    /// requests have neither, and every byte here is moved when the request is built.
    form: Option<Box<Form>>,
    cookies: OnceLock<HashMap<String, String>>,
    scheme: &'static str,
    remote_addr: Option<SocketAddr>,
    server_port: u16,
    conf: Arc<Conf>,
    resolver_match: Mutex<Option<Arc<ResolverMatch>>>,
    extensions: Mutex<http::Extensions>,
}

/// A request's `POST` and `FILES`.
#[derive(Clone, Default)]
struct Form {
    post: QueryDict,
    files: Files,
}

impl Form {
    /// `None` when there is nothing to keep.
    fn boxed(post: QueryDict, files: Files) -> Option<Box<Form>> {
        (!post.is_empty() || !files.is_empty()).then(|| Box::new(Form { post, files }))
    }

    /// The empty form of requests without one.
    fn empty() -> &'static Form {
        static EMPTY: std::sync::LazyLock<Form> = std::sync::LazyLock::new(Form::default);
        &EMPTY
    }
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<HttpRequest: {} '{}'>",
            self.inner.method,
            self.get_full_path()
        )
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Django's `is_same_domain`.
pub fn is_same_domain(host: &str, pattern: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let pattern = pattern.to_ascii_lowercase();
    (pattern.starts_with('.') && (host.ends_with(&pattern) || host == &pattern[1..])) || pattern == host
}

/// Django's `split_domain_port`: `("", "")` when the host is not valid.
pub fn split_domain_port(host: &str) -> (String, String) {
    let host = host.to_ascii_lowercase();
    let (domain, port) = if let Some(rest) = host.strip_prefix('[') {
        match rest.find(']') {
            Some(end) => {
                let inner = &rest[..end];
                let after = &rest[end + 1..];
                let ok = inner.contains(':')
                    && inner
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
                if !ok {
                    return (String::new(), String::new());
                }
                (format!("[{inner}]"), after)
            }
            None => return (String::new(), String::new()),
        }
    } else {
        let end = host.find(':').unwrap_or(host.len());
        let domain = &host[..end];
        if domain.is_empty()
            || !domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return (String::new(), String::new());
        }
        (domain.to_owned(), &host[end..])
    };
    let port = match port.strip_prefix(':') {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.to_owned(),
        None if port.is_empty() => String::new(),
        _ => return (String::new(), String::new()),
    };
    (
        domain.strip_suffix('.').map(str::to_owned).unwrap_or(domain),
        port,
    )
}

/// Django's `validate_host`.
pub fn validate_host(domain: &str, allowed_hosts: &[String]) -> bool {
    allowed_hosts
        .iter()
        .any(|p| p == "*" || is_same_domain(domain, p))
}

/// Header name as a META key: `X-Forwarded-Proto` -> `HTTP_X_FORWARDED_PROTO`.
pub(crate) fn meta_key(header: &str) -> String {
    let upper = header.to_ascii_uppercase().replace('-', "_");
    if upper == "CONTENT_TYPE" || upper == "CONTENT_LENGTH" {
        upper
    } else {
        format!("HTTP_{upper}")
    }
}

/// META key back to a header name: `HTTP_X_CSRFTOKEN` -> `x-csrftoken`.
pub(crate) fn header_from_meta(key: &str) -> String {
    key.strip_prefix("HTTP_")
        .unwrap_or(key)
        .to_ascii_lowercase()
        .replace('_', "-")
}

#[allow(non_snake_case)]
impl HttpRequest {
    /// Starts building a request (used by the server, the test client and
    /// `RequestFactory`). `target` is the path with an optional query string.
    pub fn builder(method: &str, target: &str) -> RequestBuilder {
        RequestBuilder::new(method, target)
    }

    /// `request.method`.
    pub fn method(&self) -> &Method {
        &self.inner.method
    }

    /// `request.path`: the percent-decoded path.
    pub fn path(&self) -> &str {
        self.inner.target.path()
    }

    /// `request.path_info` (the same as `path`: nuages has no `SCRIPT_NAME`).
    pub fn path_info(&self) -> &str {
        self.inner.target.path()
    }

    /// The path as it arrived, still percent-encoded.
    pub fn raw_path(&self) -> &str {
        self.inner.target.raw_path()
    }

    /// The raw query string (`META["QUERY_STRING"]`).
    pub fn query_string(&self) -> &str {
        self.inner.target.query_string()
    }

    /// `request.headers`.
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    /// One header as text (`request.headers.get(name)`).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `request.body`. Empty for multipart requests, whose parts are in `POST`/`FILES`.
    pub fn body(&self) -> &Bytes {
        &self.inner.body
    }

    /// `request.GET`.
    pub fn GET(&self) -> &QueryDict {
        static EMPTY: std::sync::LazyLock<QueryDict> = std::sync::LazyLock::new(QueryDict::new);
        self.inner.get.as_ref().unwrap_or(&EMPTY)
    }

    /// `request.POST`: form fields of `application/x-www-form-urlencoded` and
    /// `multipart/form-data` POST bodies.
    pub fn POST(&self) -> &QueryDict {
        &self.inner.form.as_deref().unwrap_or(Form::empty()).post
    }

    /// `request.FILES`.
    pub fn FILES(&self) -> &Files {
        &self.inner.form.as_deref().unwrap_or(Form::empty()).files
    }

    /// `request.COOKIES` (parsed on first use).
    pub fn COOKIES(&self) -> &HashMap<String, String> {
        self.inner.cookies.get_or_init(|| {
            let mut all = HashMap::new();
            for value in self.inner.headers.get_all(http::header::COOKIE) {
                all.extend(crate::cookies::parse_cookie(&String::from_utf8_lossy(
                    value.as_bytes(),
                )));
            }
            all
        })
    }

    /// `request.META`: CGI-style variables and `HTTP_*` headers.
    pub fn META(&self) -> BTreeMap<String, String> {
        let mut meta = BTreeMap::new();
        for (name, value) in &self.inner.headers {
            let key = meta_key(name.as_str());
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            meta.entry(key)
                .and_modify(|v: &mut String| {
                    v.push(',');
                    v.push_str(&value)
                })
                .or_insert(value);
        }
        meta.insert("REQUEST_METHOD".into(), self.inner.method.to_string());
        meta.insert("PATH_INFO".into(), self.path().to_owned());
        meta.insert("SCRIPT_NAME".into(), String::new());
        meta.insert("QUERY_STRING".into(), self.query_string().to_owned());
        meta.insert("SERVER_NAME".into(), self.server_name());
        meta.insert("SERVER_PORT".into(), self.inner.server_port.to_string());
        meta.insert("wsgi.url_scheme".into(), self.inner.scheme.to_owned());
        if let Some(addr) = self.inner.remote_addr {
            meta.insert("REMOTE_ADDR".into(), addr.ip().to_string());
            meta.insert("REMOTE_PORT".into(), addr.port().to_string());
        }
        meta
    }

    /// One META variable without building the whole map.
    pub fn meta(&self, key: &str) -> Option<String> {
        match key {
            "REQUEST_METHOD" => Some(self.inner.method.to_string()),
            "PATH_INFO" => Some(self.path().to_owned()),
            "QUERY_STRING" => Some(self.query_string().to_owned()),
            "SERVER_NAME" => Some(self.server_name()),
            "SERVER_PORT" => Some(self.inner.server_port.to_string()),
            "REMOTE_ADDR" => self.inner.remote_addr.map(|a| a.ip().to_string()),
            _ => {
                let name = header_from_meta(key);
                let mut values = self.inner.headers.get_all(name.as_str()).iter().peekable();
                values.peek()?;
                Some(
                    values
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                        .collect::<Vec<_>>()
                        .join(","),
                )
            }
        }
    }

    fn server_name(&self) -> String {
        "localhost".to_owned()
    }

    /// The client address.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.inner.remote_addr
    }

    /// The settings this request was made under.
    pub fn conf(&self) -> &Arc<Conf> {
        &self.inner.conf
    }

    /// `request.scheme`: `https` when `is_secure()`, else the connection's scheme.
    pub fn scheme(&self) -> &'static str {
        if let Some((header, secure_value)) = &self.inner.conf.http.secure_proxy_ssl_header {
            let name = if header.starts_with("HTTP_") {
                header_from_meta(header)
            } else {
                header.to_ascii_lowercase()
            };
            if let Some(value) = self.header(&name) {
                let first = value.split(',').next().unwrap_or("").trim();
                return if first == secure_value { "https" } else { "http" };
            }
        }
        self.inner.scheme
    }

    /// `request.is_secure()`.
    pub fn is_secure(&self) -> bool {
        self.scheme() == "https"
    }

    /// `request.get_port()`.
    pub fn get_port(&self) -> String {
        if self.inner.conf.http.use_x_forwarded_port {
            if let Some(port) = self.header("x-forwarded-port") {
                return port.to_owned();
            }
        }
        self.inner.server_port.to_string()
    }

    fn raw_host(&self) -> String {
        if self.inner.conf.http.use_x_forwarded_host {
            if let Some(host) = self.header("x-forwarded-host") {
                return host.to_owned();
            }
        }
        if let Some(host) = self.header("host") {
            return host.to_owned();
        }
        let port = self.get_port();
        let default = if self.is_secure() { "443" } else { "80" };
        if port != default {
            format!("{}:{port}", self.server_name())
        } else {
            self.server_name()
        }
    }

    /// `request.get_host()`, validated against `ALLOWED_HOSTS` (`DisallowedHost`, a 400).
    pub fn get_host(&self) -> Result<String> {
        let host = self.raw_host();
        let (domain, _port) = split_domain_port(&host);
        if !domain.is_empty() && validate_host(&domain, &self.inner.conf.allowed_hosts) {
            return Ok(host);
        }
        let mut msg = format!("Invalid HTTP_HOST header: {}.", repr_str(&host));
        if domain.is_empty() {
            msg.push_str(" The domain name provided is not valid according to RFC 1034/1035.");
        } else {
            msg.push_str(&format!(
                " You may need to add {} to ALLOWED_HOSTS.",
                repr_str(&domain)
            ));
        }
        Err(HttpError::suspicious("DisallowedHost", msg))
    }

    /// `request.get_full_path()`: the path and query string, URI-escaped.
    pub fn get_full_path(&self) -> String {
        let path = escape_uri_path(self.path());
        if self.query_string().is_empty() {
            path
        } else {
            format!("{path}?{}", iri_to_uri(self.query_string()))
        }
    }

    /// `request.build_absolute_uri(location)`.
    pub fn build_absolute_uri(&self, location: Option<&str>) -> Result<String> {
        let scheme_host = format!("{}://{}", self.scheme(), self.get_host()?);
        let full = match location {
            None => format!("{scheme_host}{}", self.get_full_path()),
            Some(loc) if has_scheme_and_netloc(loc) => loc.to_owned(),
            Some(loc) if loc.starts_with("//") => format!("{}:{loc}", self.scheme()),
            Some(loc) if loc.starts_with('/') && !loc.contains("/./") && !loc.contains("/../") => {
                format!("{scheme_host}{loc}")
            }
            Some(loc) => format!("{scheme_host}{}", join_path(&escape_uri_path(self.path()), loc)),
        };
        Ok(iri_to_uri(&full))
    }

    /// `request.resolver_match`, set once the URL resolver matched.
    pub fn resolver_match(&self) -> Option<Arc<ResolverMatch>> {
        lock(&self.inner.resolver_match).clone()
    }

    /// Sets `request.resolver_match`.
    pub fn set_resolver_match(&self, m: Option<Arc<ResolverMatch>>) {
        *lock(&self.inner.resolver_match) = m;
    }

    /// A keyword argument captured by the URL pattern (`kwargs["pk"]`).
    pub fn kwarg(&self, name: &str) -> Option<String> {
        self.resolver_match().and_then(|m| m.kwargs.get(name).cloned())
    }

    /// A captured keyword argument parsed as `T`; `Http404` when absent or unparseable.
    pub fn kwarg_as<T: std::str::FromStr>(&self, name: &str) -> Result<T> {
        self.kwarg(name)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| HttpError::Http404(format!("No URL argument {name:?}.")))
    }

    /// Typed per-request extensions (middleware state such as `request.user`).
    pub fn extensions(&self) -> MutexGuard<'_, http::Extensions> {
        lock(&self.inner.extensions)
    }

    /// Stores a typed value in the extensions.
    pub fn set_ext<T: Clone + Send + Sync + 'static>(&self, value: T) {
        self.extensions().insert(value);
    }

    /// A copy of a typed value from the extensions.
    pub fn ext<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.extensions().get::<T>().cloned()
    }

    /// A request object for the same exchange whose method, target and headers come from
    /// `parts` (what a tower layer handed on); body, `POST`, `FILES` and settings are
    /// shared, `GET` is parsed again when the query string changed, and the extensions
    /// and resolver match start as copies of this request's (see
    /// [`HttpRequest::absorb`] for the way back).
    pub(crate) fn derive(&self, parts: &http::request::Parts) -> HttpRequest {
        let i = &self.inner;
        let target = Target::from_uri(&parts.uri);
        let query = target.query_string();
        let get = if query == i.target.query_string() {
            i.get.clone()
        } else {
            QueryDict::parse(query, i.conf.http.data_upload_max_number_fields)
                .ok()
                .filter(|get| !get.is_empty())
        };
        HttpRequest {
            inner: Arc::new(Inner {
                method: parts.method.clone(),
                target,
                headers: parts.headers.clone(),
                body: i.body.clone(),
                get,
                form: i.form.clone(),
                cookies: OnceLock::new(),
                scheme: i.scheme,
                remote_addr: i.remote_addr,
                server_port: i.server_port,
                conf: i.conf.clone(),
                resolver_match: Mutex::new(self.resolver_match()),
                extensions: Mutex::new(self.extensions().clone()),
            }),
        }
    }

    /// Whether `parts` describe this request unchanged (same method, target, headers).
    pub(crate) fn same_as(&self, parts: &http::request::Parts) -> bool {
        let i = &self.inner;
        let target = parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
        let (raw_path, query) = target.split_once('?').unwrap_or((target, ""));
        parts.method == i.method
            && (raw_path == i.target.raw_path() || (raw_path.is_empty() && i.target.raw_path() == "/"))
            && query == i.target.query_string()
            && parts.headers == i.headers
    }

    /// Takes back what the inner layers left on a [`HttpRequest::derive`]d request: its
    /// extensions (per-request state such as the CSRF cookie to set) and resolver match,
    /// so the outer middleware sees them as on one Django request object.
    pub(crate) fn absorb(&self, derived: &HttpRequest) {
        if Arc::ptr_eq(&self.inner, &derived.inner) {
            return;
        }
        let ext = derived.extensions().clone();
        self.extensions().extend(ext);
        self.set_resolver_match(derived.resolver_match());
    }

    /// The body parsed as JSON; invalid JSON is a `BadRequest` (400).
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.inner.body)
            .map_err(|e| HttpError::BadRequest(format!("Invalid JSON: {e}")))
    }

    /// The body's content type without parameters (`request.content_type`).
    pub fn content_type(&self) -> &str {
        self.header("content-type")
            .and_then(|c| c.split(';').next())
            .map(str::trim)
            .unwrap_or("")
    }

    /// `request.get_signed_cookie(key, salt=..., max_age=...)`: `None` when absent or
    /// when the signature is bad or expired (Django's `default` behaviour).
    pub fn get_signed_cookie(
        &self,
        key: &str,
        salt: &str,
        max_age: Option<std::time::Duration>,
    ) -> Result<String> {
        let value = self
            .COOKIES()
            .get(key)
            .ok_or_else(|| HttpError::BadSignature(format!("Cookie {key:?} not set")))?;
        crate::signing::get_cookie_signer(&self.inner.conf.settings, &format!("{key}{salt}"))
            .unsign(value, max_age)
    }

    /// Whether the client accepts `media_type` (`request.accepts()`).
    pub fn accepts(&self, media_type: &str) -> bool {
        let Some(accept) = self.header("accept") else {
            return true;
        };
        accept.split(',').any(|item| {
            let range = item.split(';').next().unwrap_or("").trim();
            range == "*/*"
                || range == media_type
                || (range.ends_with("/*") && media_type.starts_with(&range[..range.len() - 1]))
        })
    }
}

fn has_scheme_and_netloc(loc: &str) -> bool {
    match loc.find("://") {
        Some(i) => {
            i > 0
                && loc[..i]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
                && loc.len() > i + 3
        }
        None => false,
    }
}

/// `urljoin` for a relative reference against a base path.
fn join_path(base: &str, rel: &str) -> String {
    if rel.starts_with('?') {
        return format!("{base}{rel}");
    }
    if rel.starts_with('#') || rel.is_empty() {
        return format!("{base}{rel}");
    }
    let mut segments: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        let dir = &base[..base.rfind('/').map(|i| i + 1).unwrap_or(0)];
        dir.split('/').collect::<Vec<_>>()
    };
    segments.pop();
    let rel_path = rel.trim_start_matches('/');
    let parts: Vec<&str> = rel_path.split('/').collect();
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        match *part {
            "." => {
                if i == last {
                    segments.push("");
                }
            }
            ".." => {
                if segments.len() > 1 {
                    segments.pop();
                }
                if i == last {
                    segments.push("");
                }
            }
            p => segments.push(p),
        }
    }
    let joined = segments.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

/// Django's `escape_uri_path`.
pub fn escape_uri_path(path: &str) -> String {
    quote(path, "/:@&+$,-_.!~*'()")
}

/// Django's `iri_to_uri`: percent-encodes what is not allowed in a URI, keeps the rest.
pub fn iri_to_uri(iri: &str) -> String {
    quote(iri, "/#%[]=:;$&()+,!?*@'~")
}

/// Builds an [`HttpRequest`] from parts; the body must already be read.
#[derive(Debug)]
pub struct RequestBuilder {
    method: Method,
    target: Target,
    headers: HeaderMap,
    body: Bytes,
    post: Option<QueryDict>,
    files: Files,
    scheme: &'static str,
    remote_addr: Option<SocketAddr>,
    server_port: u16,
    conf: Option<Arc<Conf>>,
}

impl RequestBuilder {
    fn new(method: &str, target: &str) -> RequestBuilder {
        RequestBuilder {
            method: Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET),
            target: Target::owned(target),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            post: None,
            files: Files::default(),
            scheme: "http",
            remote_addr: None,
            server_port: 80,
            conf: None,
        }
    }

    /// Adds a header (invalid names or values are skipped).
    pub fn header(mut self, name: &str, value: &str) -> RequestBuilder {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            self.headers.append(n, v);
        }
        self
    }

    /// Removes a header.
    pub fn remove_header(mut self, name: &str) -> RequestBuilder {
        self.headers.remove(name);
        self
    }

    /// Replaces all headers.
    pub fn headers(mut self, headers: HeaderMap) -> RequestBuilder {
        self.headers = headers;
        self
    }

    /// Sets the raw body.
    pub fn body(mut self, body: impl Into<Bytes>) -> RequestBuilder {
        self.body = body.into();
        self
    }

    /// Sets already-parsed `POST` and `FILES` (multipart).
    pub fn form(mut self, post: QueryDict, files: Files) -> RequestBuilder {
        self.post = Some(post);
        self.files = files;
        self
    }

    /// Sets the connection scheme (`https` behind TLS).
    pub fn scheme(mut self, scheme: &'static str) -> RequestBuilder {
        self.scheme = scheme;
        self
    }

    /// Sets the client address.
    pub fn remote_addr(mut self, addr: SocketAddr) -> RequestBuilder {
        self.remote_addr = Some(addr);
        self
    }

    /// Sets the server port (`SERVER_PORT`).
    pub fn server_port(mut self, port: u16) -> RequestBuilder {
        self.server_port = port;
        self
    }

    /// Sets the settings.
    pub fn conf(mut self, conf: Arc<Conf>) -> RequestBuilder {
        self.conf = Some(conf);
        self
    }

    /// Builds the request; fields beyond the limits are not an error here (`GET`/`POST`
    /// are then empty). Servers use [`RequestBuilder::try_build`], which reports them.
    pub fn build(mut self) -> HttpRequest {
        let conf = self.conf.clone().unwrap_or_else(Conf::for_tests);
        let get = QueryDict::parse(
            self.target.query_string(),
            conf.http.data_upload_max_number_fields,
        )
        .unwrap_or_default();
        let post = match self.post.take() {
            Some(p) => p,
            None => self.parse_form(&conf).unwrap_or_default(),
        };
        self.finish(conf, get, post)
    }

    /// The builder of a request the server received (its body read already): method,
    /// target and headers are taken over as hyper parsed them, without copies.
    pub(crate) fn served(
        parts: http::request::Parts,
        body: Bytes,
        remote_addr: SocketAddr,
        server_port: u16,
        conf: Arc<Conf>,
    ) -> RequestBuilder {
        RequestBuilder {
            method: parts.method,
            target: Target::from_uri(&parts.uri),
            headers: parts.headers,
            body,
            post: None,
            files: Files::default(),
            scheme: "http",
            remote_addr: Some(remote_addr),
            server_port,
            conf: Some(conf),
        }
    }

    /// Builds the request, parsing `GET` and form `POST` bodies with Django's limits.
    pub fn try_build(self) -> Result<HttpRequest> {
        self.try_build_or_bare().map_err(|(_, e)| e)
    }

    /// [`RequestBuilder::try_build`] that, when parsing fails, also gives the request
    /// with empty `GET` and `POST` that the server renders the error page for.
    pub(crate) fn try_build_or_bare(mut self) -> std::result::Result<HttpRequest, (HttpRequest, HttpError)> {
        let conf = self.conf.take().unwrap_or_else(Conf::for_tests);
        let parsed = QueryDict::parse(
            self.target.query_string(),
            conf.http.data_upload_max_number_fields,
        )
        .and_then(|get| match self.post.take() {
            Some(post) => Ok((get, post)),
            None => self.parse_form(&conf).map(|post| (get, post)),
        });
        match parsed {
            Ok((get, post)) => Ok(self.finish(conf, get, post)),
            Err(e) => Err((self.finish(conf, QueryDict::new(), QueryDict::new()), e)),
        }
    }

    /// `POST` for an `application/x-www-form-urlencoded` POST body, else empty.
    fn parse_form(&self, conf: &Conf) -> Result<QueryDict> {
        if self.method != Method::POST {
            return Ok(QueryDict::new());
        }
        let ct = self
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let is_form = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded");
        if !is_form {
            return Ok(QueryDict::new());
        }
        if let Some(max) = conf.http.data_upload_max_memory_size {
            if self.body.len() as u64 > max {
                return Err(crate::multipart::too_big());
            }
        }
        QueryDict::parse_bytes(&self.body, conf.http.data_upload_max_number_fields)
    }

    fn finish(self, conf: Arc<Conf>, get: QueryDict, post: QueryDict) -> HttpRequest {
        HttpRequest {
            inner: Arc::new(Inner {
                method: self.method,
                target: self.target,
                headers: self.headers,
                body: self.body,
                get: (!get.is_empty()).then_some(get),
                form: Form::boxed(post, self.files),
                cookies: OnceLock::new(),
                scheme: self.scheme,
                remote_addr: self.remote_addr,
                server_port: self.server_port,
                conf,
                resolver_match: Mutex::new(None),
                extensions: Mutex::new(http::Extensions::new()),
            }),
        }
    }
}

impl HttpRequest {
    /// A request the server received without a body (every `GET`), built straight from
    /// what hyper parsed: what [`RequestBuilder::served`] and
    /// [`RequestBuilder::try_build_or_bare`] give for an empty body, without moving the
    /// parts through a builder first. `POST` and `FILES` are empty (a form POST with no
    /// body has no fields); a query string over `DATA_UPLOAD_MAX_NUMBER_FIELDS` gives the
    /// error with the request (empty `GET`) its error page is rendered for.
    pub(crate) fn served_without_body(
        parts: http::request::Parts,
        remote_addr: SocketAddr,
        server_port: u16,
        conf: Arc<Conf>,
    ) -> std::result::Result<HttpRequest, (HttpRequest, HttpError)> {
        let target = match parts.uri.into_parts().path_and_query {
            Some(pq) => Target::shared(pq),
            None => Target::owned("/"),
        };
        let (get, err) = match target.query_string() {
            "" => (None, None),
            query => match QueryDict::parse(query, conf.http.data_upload_max_number_fields) {
                Ok(get) => (Some(get), None),
                Err(e) => (None, Some(e)),
            },
        };
        // Built in place rather than through `RequestBuilder::finish`: no builder value
        // (a few hundred bytes) to fill and move, no empty `FILES` to make and drop.
        let request = HttpRequest {
            inner: Arc::new(Inner {
                method: parts.method,
                target,
                headers: parts.headers,
                body: Bytes::new(),
                get,
                form: None,
                cookies: OnceLock::new(),
                scheme: "http",
                remote_addr: Some(remote_addr),
                server_port,
                conf,
                resolver_match: Mutex::new(None),
                extensions: Mutex::new(http::Extensions::new()),
            }),
        };
        match err {
            None => Ok(request),
            Some(e) => Err((request, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::HttpSettings;

    fn conf(allowed: &[&str], debug: bool) -> Arc<Conf> {
        let mut s = nuages_core::Settings::default();
        s.debug = debug;
        s.secret_key = "k".into();
        s.allowed_hosts = allowed.iter().map(|s| s.to_string()).collect();
        Conf::with_http(s, HttpSettings::default())
    }

    /// A served request's `GET`: no map at all without a query string, the parsed one
    /// with it, and `TooManyFieldsSent` with an empty `GET` past the limit.
    #[test]
    fn served_requests_parse_get_only_when_there_is_a_query() {
        let mut s = nuages_core::Settings::default();
        s.secret_key = "k".into();
        let http = HttpSettings {
            data_upload_max_number_fields: Some(2),
            ..HttpSettings::default()
        };
        let conf = Conf::with_http(s, http);
        let serve = |target: &str| {
            let (parts, ()) = http::Request::get(target).body(()).unwrap().into_parts();
            let remote = "127.0.0.1:9".parse().unwrap();
            HttpRequest::served_without_body(parts, remote, 80, conf.clone())
        };
        let plain = serve("/books/").unwrap();
        assert!(plain.inner.get.is_none());
        assert!(plain.GET().is_empty());
        let query = serve("/books/?a=1&a=2").unwrap();
        assert_eq!(query.GET().getlist("a"), ["1", "2"]);
        let (bare, err) = serve("/books/?a=1&b=2&c=3").unwrap_err();
        assert!(bare.GET().is_empty());
        assert!(err.to_string().contains("DATA_UPLOAD_MAX_NUMBER_FIELDS"), "{err}");
    }

    #[test]
    fn host_validation() {
        let c = conf(&[".example.com", "exact.org"], false);
        let ok = |h: &str| {
            HttpRequest::builder("GET", "/")
                .header("Host", h)
                .conf(c.clone())
                .build()
                .get_host()
        };
        assert_eq!(ok("www.example.com:8000").unwrap(), "www.example.com:8000");
        assert_eq!(ok("example.com.").unwrap(), "example.com.");
        assert_eq!(ok("EXACT.org").unwrap(), "EXACT.org");
        let err = ok("evil.com").unwrap_err();
        assert_eq!(err.class_name(), "DisallowedHost");
        assert_eq!(
            err.to_string(),
            "Invalid HTTP_HOST header: 'evil.com'. You may need to add 'evil.com' to ALLOWED_HOSTS."
        );
        assert_eq!(
            ok("bad host").unwrap_err().to_string(),
            "Invalid HTTP_HOST header: 'bad host'. The domain name provided is not valid according to RFC 1034/1035."
        );
        assert!(ok("[::1]:80").is_err());
        let d = conf(&[], true);
        let r = HttpRequest::builder("GET", "/")
            .header("Host", "app.localhost")
            .conf(d.clone())
            .build();
        assert!(r.get_host().is_ok());
        let r = HttpRequest::builder("GET", "/")
            .header("Host", "[::1]:8000")
            .conf(d)
            .build();
        assert_eq!(r.get_host().unwrap(), "[::1]:8000");
    }

    #[test]
    fn split_domain_port_cases() {
        assert_eq!(
            split_domain_port("Example.com:80"),
            ("example.com".into(), "80".into())
        );
        assert_eq!(split_domain_port("[::1]:8000"), ("[::1]".into(), "8000".into()));
        assert_eq!(split_domain_port("a:b"), ("".into(), "".into()));
        assert_eq!(split_domain_port(""), ("".into(), "".into()));
    }

    #[test]
    fn absolute_uris_and_meta() {
        let r = HttpRequest::builder("GET", "/a/b/c%20d?x=1")
            .header("Host", "testserver")
            .build();
        assert_eq!(r.path(), "/a/b/c d");
        assert_eq!(r.get_full_path(), "/a/b/c%20d?x=1");
        assert_eq!(r.build_absolute_uri(Some("/z/")).unwrap(), "http://testserver/z/");
        assert_eq!(
            r.build_absolute_uri(Some("../up")).unwrap(),
            "http://testserver/a/up"
        );
        assert_eq!(
            r.build_absolute_uri(Some("sib")).unwrap(),
            "http://testserver/a/b/sib"
        );
        assert_eq!(
            r.build_absolute_uri(Some("?p=2")).unwrap(),
            "http://testserver/a/b/c%20d?p=2"
        );
        assert_eq!(
            r.build_absolute_uri(Some("https://other.org/x")).unwrap(),
            "https://other.org/x"
        );
        assert_eq!(r.meta("HTTP_HOST").as_deref(), Some("testserver"));
        assert_eq!(r.META()["QUERY_STRING"], "x=1");
    }

    #[test]
    fn proxy_ssl_header() {
        let http = HttpSettings {
            secure_proxy_ssl_header: Some(("HTTP_X_FORWARDED_PROTO".into(), "https".into())),
            ..HttpSettings::default()
        };
        let c = Conf::with_http(nuages_core::Settings::default(), http);
        let r = HttpRequest::builder("GET", "/")
            .header("X-Forwarded-Proto", "https, http")
            .conf(c.clone())
            .build();
        assert!(r.is_secure());
        let r = HttpRequest::builder("GET", "/").conf(c).build();
        assert!(!r.is_secure());
    }

    #[test]
    fn post_form_and_json() {
        let r = HttpRequest::builder("POST", "/")
            .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
            .body("a=1&a=2&b=%zz")
            .build();
        assert_eq!(r.POST().getlist("a"), ["1", "2"]);
        assert_eq!(r.POST().get("b"), Some("%zz"));
        let r = HttpRequest::builder("POST", "/")
            .header("Content-Type", "application/json")
            .body("{bad")
            .build();
        let err = r.json::<serde_json::Value>().unwrap_err();
        assert_eq!(err.status(), 400);
        let big = HttpRequest::builder("POST", "/")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(vec![b'a'; 3_000_000])
            .try_build()
            .unwrap_err();
        assert_eq!(big.class_name(), "RequestDataTooBig");
    }

    #[test]
    fn cookies_and_extensions() {
        #[derive(Clone, Debug, PartialEq)]
        struct User(&'static str);
        let r = HttpRequest::builder("GET", "/")
            .header("Cookie", "a=1; b=2")
            .header("Cookie", "c=3")
            .build();
        assert_eq!(r.COOKIES()["b"], "2");
        assert_eq!(r.COOKIES()["c"], "3");
        let handle = r.clone();
        r.set_ext(User("ada"));
        assert_eq!(handle.ext::<User>(), Some(User("ada")));
    }
}
