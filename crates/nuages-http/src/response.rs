//! Responses: `HttpResponse` and Django's subclasses as constructors (`JsonResponse`,
//! redirects, `HttpResponseNotModified`, the 4xx/5xx classes), `StreamingHttpResponse`
//! over an async stream, and cookies with Django's `set_cookie` semantics.

use std::fmt;
use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, StatusCode};
use serde::Serialize;

use crate::cookies::{Cookie, SameSite};
use crate::error::{HttpError, Result};
use crate::request::iri_to_uri;

/// A boxed stream of body chunks.
pub type BodyStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send + 'static>>;

/// A response body: bytes in memory, or a stream (`StreamingHttpResponse`, `FileResponse`).
pub enum Body {
    /// `response.content`.
    Full(Bytes),
    /// `response.streaming_content`.
    Stream(BodyStream),
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Full(b) => write!(f, "Body::Full({} bytes)", b.len()),
            Body::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

/// Django's default `Content-Type`.
pub const DEFAULT_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// `HeaderValue::from_static(value)` checked when compiling: called at run time,
/// `from_static` validates every byte again on each call.
macro_rules! static_value {
    ($value:expr) => {
        const { HeaderValue::from_static($value) }
    };
}

/// `value` as a header value, static (nothing copied, nothing validated) when it is one
/// of the values views most often set (`Content-Type`s).
fn header_value(value: &str) -> std::result::Result<HeaderValue, http::header::InvalidHeaderValue> {
    Ok(match value {
        DEFAULT_CONTENT_TYPE => static_value!(DEFAULT_CONTENT_TYPE),
        "text/plain" => static_value!("text/plain"),
        "text/plain; charset=utf-8" => static_value!("text/plain; charset=utf-8"),
        "application/json" => static_value!("application/json"),
        "text/html" => static_value!("text/html"),
        "text/css" => static_value!("text/css"),
        _ => return HeaderValue::from_str(value),
    })
}

/// Logs a refused header (Django raises `BadHeaderError`).
fn bad_header(name: &str) {
    tracing::warn!(
        header = name,
        "BadHeaderError: Header values can't contain newlines"
    );
}

/// Django's `HttpResponse` (and, with a stream body, `StreamingHttpResponse`).
///
/// ```
/// use nuages_http::{HttpResponse, cookies::Cookie};
/// let mut response = HttpResponse::new("<p>Hello</p>");
/// response.set_header("X-Frame-Options", "DENY");
/// response.set_cookie(Cookie::new("theme", "dark").max_age(3600).httponly(true));
/// assert_eq!(response.status.as_u16(), 200);
/// assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"));
/// assert_eq!(response.text(), "<p>Hello</p>");
/// ```
#[derive(Debug)]
pub struct HttpResponse {
    /// The status code.
    pub status: StatusCode,
    /// The headers (cookies are kept apart, in `cookies`, until the response is sent).
    pub headers: HeaderMap,
    /// Cookies to set, by name (setting the same name again replaces it, as in Django).
    pub cookies: Vec<Cookie>,
    /// The body.
    pub body: Body,
    /// A custom reason phrase (`reason_phrase`), if any.
    pub reason_phrase: Option<String>,
    /// Typed values attached by views and middleware (e.g. the template context of a
    /// `TemplateResponse`, markers read by middleware).
    pub extensions: http::Extensions,
}

impl HttpResponse {
    /// A 200 response with `text/html; charset=utf-8`.
    pub fn new(content: impl Into<Bytes>) -> HttpResponse {
        HttpResponse::with_status(StatusCode::OK, content)
    }

    /// A response with the given status and Django's default content type.
    pub fn with_status(status: StatusCode, content: impl Into<Bytes>) -> HttpResponse {
        HttpResponse::with_header_value(status, content, static_value!(DEFAULT_CONTENT_TYPE))
    }

    /// A 200 response of another content type: Django's
    /// `HttpResponse(content, content_type="text/plain")`.
    ///
    /// The header is set once, where `HttpResponse::new(content).content_type(..)` sets
    /// the default and then replaces it (a second header map write, about 250
    /// instructions, on every response of a view as small as TechEmpower's `/plaintext`).
    /// A value with a newline is refused as `.content_type()` refuses it (logged, the
    /// default kept).
    ///
    /// ```
    /// use nuages_http::HttpResponse;
    /// let response = HttpResponse::with_content_type("Hello, World!", "text/plain");
    /// assert_eq!(response.header("content-type"), Some("text/plain"));
    /// let refused = HttpResponse::with_content_type("x", "text/plain\nX-Evil: 1");
    /// assert_eq!(refused.header("content-type"), Some("text/html; charset=utf-8"));
    /// ```
    pub fn with_content_type(content: impl Into<Bytes>, content_type: &str) -> HttpResponse {
        match header_value(content_type) {
            Ok(value) => HttpResponse::with_header_value(StatusCode::OK, content, value),
            Err(_) => HttpResponse::new(content).content_type(content_type),
        }
    }

    /// A response whose `Content-Type` is known up front (set once, not replaced).
    fn with_header_value(
        status: StatusCode,
        content: impl Into<Bytes>,
        content_type: HeaderValue,
    ) -> HttpResponse {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, content_type);
        HttpResponse {
            status,
            headers,
            cookies: Vec::new(),
            body: Body::Full(content.into()),
            reason_phrase: None,
            extensions: http::Extensions::new(),
        }
    }

    /// Sets the `Content-Type`.
    pub fn content_type(mut self, content_type: &str) -> HttpResponse {
        self.set_named_header(CONTENT_TYPE, content_type);
        self
    }

    /// Sets the status.
    pub fn status(mut self, status: StatusCode) -> HttpResponse {
        self.status = status;
        self
    }

    /// `StreamingHttpResponse(streaming_content)`.
    pub fn streaming<S>(stream: S) -> HttpResponse
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        let mut r = HttpResponse::new(Bytes::new());
        r.body = Body::Stream(Box::pin(stream));
        r
    }

    /// Whether the body is a stream (`response.streaming`).
    pub fn is_streaming(&self) -> bool {
        matches!(self.body, Body::Stream(_))
    }

    /// `response.content` (empty for streaming responses).
    pub fn content(&self) -> &[u8] {
        match &self.body {
            Body::Full(b) => b,
            Body::Stream(_) => &[],
        }
    }

    /// The content as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.content()).into_owned()
    }

    /// Replaces the content.
    pub fn set_content(&mut self, content: impl Into<Bytes>) {
        self.body = Body::Full(content.into());
    }

    /// Reads a streaming body to the end (for tests and middleware that must see it all).
    pub async fn collect_body(&mut self) -> std::io::Result<Bytes> {
        use futures::StreamExt;
        match &mut self.body {
            Body::Full(b) => Ok(b.clone()),
            Body::Stream(s) => {
                let mut out = Vec::new();
                while let Some(chunk) = s.next().await {
                    out.extend_from_slice(&chunk?);
                }
                let b = Bytes::from(out);
                self.body = Body::Full(b.clone());
                Ok(b)
            }
        }
    }

    /// One header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether a header is set (`name in response`).
    pub fn has_header(&self, name: &str) -> bool {
        self.headers.contains_key(name)
    }

    /// Sets a header (`response[name] = value`); invalid names or values are refused
    /// with `BadHeaderError` semantics by being ignored and logged.
    pub fn set_header(&mut self, name: &str, value: &str) {
        match HeaderName::from_bytes(name.as_bytes()) {
            Ok(n) => self.set_named_header(n, value),
            Err(_) => bad_header(name),
        }
    }

    /// `set_header` for a parsed name.
    fn set_named_header(&mut self, name: HeaderName, value: &str) {
        match header_value(value) {
            Ok(v) => {
                self.headers.insert(name, v);
            }
            Err(_) => bad_header(name.as_str()),
        }
    }

    /// `response.setdefault(name, value)`.
    pub fn set_default_header(&mut self, name: &str, value: &str) {
        if !self.has_header(name) {
            self.set_header(name, value);
        }
    }

    /// Removes a header (`del response[name]`).
    pub fn remove_header(&mut self, name: &str) {
        self.headers.remove(name);
    }

    /// `set_cookie`: replaces a cookie of the same name.
    pub fn set_cookie(&mut self, cookie: Cookie) {
        self.cookies.retain(|c| c.name != cookie.name);
        self.cookies.push(cookie);
    }

    /// `set_signed_cookie(key, value, salt=...)`, signed with Django's cookie signer.
    pub fn set_signed_cookie(&mut self, settings: &nuages_core::Settings, mut cookie: Cookie, salt: &str) {
        let signer = crate::signing::get_cookie_signer(settings, &format!("{}{salt}", cookie.name));
        cookie.value = signer.sign(&cookie.value);
        self.set_cookie(cookie);
    }

    /// `delete_cookie(key, path="/", domain=None, samesite=None)`.
    pub fn delete_cookie(
        &mut self,
        name: &str,
        path: &str,
        domain: Option<&str>,
        samesite: Option<SameSite>,
    ) {
        let mut c = Cookie::new(name, "")
            .max_age(0)
            .path(path)
            .expires("Thu, 01 Jan 1970 00:00:00 GMT")
            .secure(name.starts_with("__Secure-") || name.starts_with("__Host-"));
        c.domain = domain.map(str::to_owned);
        c.samesite = samesite;
        self.set_cookie(c);
    }

    /// The cookie set under `name`, if any (`response.cookies[name]`).
    pub fn cookie(&self, name: &str) -> Option<&Cookie> {
        self.cookies.iter().find(|c| c.name == name)
    }

    /// Attaches a typed value.
    pub fn with_ext<T: Clone + Send + Sync + 'static>(mut self, value: T) -> HttpResponse {
        self.extensions.insert(value);
        self
    }

    /// The `Set-Cookie` values, in order.
    pub fn set_cookie_headers(&self) -> impl Iterator<Item = String> + '_ {
        self.cookies.iter().map(Cookie::to_header_value)
    }

    /// `HttpResponseRedirect(url)` (302); refuses schemes other than http, https and ftp
    /// with `DisallowedRedirect`.
    pub fn redirect(url: &str) -> Result<HttpResponse> {
        redirect(url, StatusCode::FOUND)
    }

    /// `HttpResponsePermanentRedirect(url)` (301).
    pub fn permanent_redirect(url: &str) -> Result<HttpResponse> {
        redirect(url, StatusCode::MOVED_PERMANENTLY)
    }

    /// `HttpResponseNotModified()`: 304 without a content type.
    pub fn not_modified() -> HttpResponse {
        let mut r = HttpResponse::with_status(StatusCode::NOT_MODIFIED, Bytes::new());
        r.headers.remove(CONTENT_TYPE);
        r
    }

    /// `HttpResponseBadRequest` (400).
    pub fn bad_request(content: impl Into<Bytes>) -> HttpResponse {
        HttpResponse::with_status(StatusCode::BAD_REQUEST, content)
    }

    /// `HttpResponseForbidden` (403).
    pub fn forbidden(content: impl Into<Bytes>) -> HttpResponse {
        HttpResponse::with_status(StatusCode::FORBIDDEN, content)
    }

    /// `HttpResponseNotFound` (404).
    pub fn not_found(content: impl Into<Bytes>) -> HttpResponse {
        HttpResponse::with_status(StatusCode::NOT_FOUND, content)
    }

    /// `HttpResponseNotAllowed(permitted_methods)` (405 with `Allow`).
    pub fn not_allowed(permitted: &[&str]) -> HttpResponse {
        let mut r = HttpResponse::with_status(StatusCode::METHOD_NOT_ALLOWED, Bytes::new());
        r.set_header("Allow", &permitted.join(", "));
        r
    }

    /// `HttpResponseGone` (410).
    pub fn gone(content: impl Into<Bytes>) -> HttpResponse {
        HttpResponse::with_status(StatusCode::GONE, content)
    }

    /// `HttpResponseServerError` (500).
    pub fn server_error(content: impl Into<Bytes>) -> HttpResponse {
        HttpResponse::with_status(StatusCode::INTERNAL_SERVER_ERROR, content)
    }
}

fn redirect(url: &str, status: StatusCode) -> Result<HttpResponse> {
    if let Some((scheme, _)) = url.split_once(':') {
        let is_scheme = !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
            && scheme.as_bytes()[0].is_ascii_alphabetic();
        if is_scheme && !["http", "https", "ftp"].contains(&scheme.to_ascii_lowercase().as_str()) {
            return Err(HttpError::suspicious(
                "DisallowedRedirect",
                format!("Unsafe redirect to URL with protocol '{scheme}'"),
            ));
        }
    }
    let mut r = HttpResponse::with_status(status, Bytes::new());
    let location = iri_to_uri(url);
    match HeaderValue::from_str(&location) {
        Ok(v) => {
            r.headers.insert(LOCATION, v);
            Ok(r)
        }
        Err(_) => Err(HttpError::suspicious(
            "DisallowedRedirect",
            format!("Invalid redirect URL {url:?}"),
        )),
    }
}

/// `JsonResponse`: serializes with Python's `json.dumps` bytes (`", "` and `": "`
/// separators, ASCII escapes) and `Content-Type: application/json`.
pub struct JsonResponse;

impl JsonResponse {
    /// `JsonResponse(data)`: `data` must serialize to a JSON object unless `safe` is off
    /// (Django's `TypeError` otherwise).
    ///
    /// ```
    /// use nuages_http::JsonResponse;
    /// let r = JsonResponse::new(&serde_json::json!({"message": "Hello, World!"})).unwrap();
    /// assert_eq!(r.text(), r#"{"message": "Hello, World!"}"#);
    /// assert_eq!(r.header("content-type"), Some("application/json"));
    /// assert!(JsonResponse::new(&[1, 2]).is_err());
    /// ```
    #[allow(clippy::new_ret_no_self)]
    pub fn new<T: Serialize + ?Sized>(data: &T) -> Result<HttpResponse> {
        JsonResponse::with_safe(data, true)
    }

    /// `JsonResponse(data, safe=...)`.
    pub fn with_safe<T: Serialize + ?Sized>(data: &T, safe: bool) -> Result<HttpResponse> {
        let bytes = crate::pyjson::dumps_bytes(data)?;
        if safe && bytes.first() != Some(&b'{') {
            return Err(HttpError::other(
                "In order to allow non-dict objects to be serialized set the safe parameter to False.",
            ));
        }
        Ok(HttpResponse::with_header_value(
            StatusCode::OK,
            bytes,
            static_value!("application/json"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects() {
        let r = HttpResponse::redirect("/caf\u{e9}/?a=b c").unwrap();
        assert_eq!(r.status, 302);
        assert_eq!(r.header("location"), Some("/caf%C3%A9/?a=b%20c"));
        assert_eq!(
            HttpResponse::permanent_redirect("https://x.org/").unwrap().status,
            301
        );
        let err = HttpResponse::redirect("javascript:alert(1)").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unsafe redirect to URL with protocol 'javascript'"
        );
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn cookies_replace_and_delete() {
        let mut r = HttpResponse::new("");
        r.set_cookie(Cookie::new("a", "1"));
        r.set_cookie(Cookie::new("a", "2"));
        assert_eq!(r.cookies.len(), 1);
        r.delete_cookie("__Host-x", "/", None, None);
        let del = r.cookie("__Host-x").unwrap().to_header_value();
        assert_eq!(
            del,
            "__Host-x=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; Secure"
        );
    }

    #[test]
    fn not_modified_and_not_allowed() {
        let r = HttpResponse::not_modified();
        assert!(!r.has_header("content-type"));
        let r = HttpResponse::not_allowed(&["GET", "POST"]);
        assert_eq!(r.header("allow"), Some("GET, POST"));
    }

    #[tokio::test]
    async fn streaming_collects() {
        let mut r = HttpResponse::streaming(futures::stream::iter(vec![
            Ok(Bytes::from("a")),
            Ok(Bytes::from("b")),
        ]));
        assert!(r.is_streaming());
        assert_eq!(r.collect_body().await.unwrap(), "ab");
    }

    #[test]
    fn signed_cookie_round_trip() {
        let settings = nuages_core::Settings::from_toml_str("secret_key = \"secret\"").unwrap();
        let mut r = HttpResponse::new("");
        r.set_signed_cookie(&settings, Cookie::new("name", "v"), "");
        let value = r.cookie("name").unwrap().value.clone();
        assert!(value.starts_with("v:"));
        let mut s = nuages_core::Settings::default();
        s.secret_key = "secret".into();
        let conf = crate::conf::Conf::with_http(s, Default::default());
        let req = crate::HttpRequest::builder("GET", "/")
            .header("Cookie", &format!("name={value}"))
            .conf(conf)
            .build();
        assert_eq!(req.get_signed_cookie("name", "", None).unwrap(), "v");
        assert!(req.get_signed_cookie("name", "other-salt", None).is_err());
    }
}
