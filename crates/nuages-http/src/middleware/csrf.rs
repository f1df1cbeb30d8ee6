//! `CsrfViewMiddleware` with Django's algorithm: a 32-character secret kept in the
//! `csrftoken` cookie, 64-character masked tokens in forms and the `X-CSRFToken` header
//! (a fresh mask each time, against BREACH), `Origin` checked against the host and
//! `CSRF_TRUSTED_ORIGINS`, `Referer` checked on HTTPS, and Django's reason strings.

use std::sync::{Arc, Mutex};

use rand::Rng;

use super::Middleware;
use crate::cache::patch_vary_headers;
use crate::cookies::{Cookie, SameSite};
use crate::debug::escape;
use crate::handler::{IntoView, ViewFunc};
use crate::request::{header_from_meta, is_same_domain, HttpRequest};
use crate::response::HttpResponse;

const CSRF_SECRET_LENGTH: usize = 32;
const CSRF_TOKEN_LENGTH: usize = 64;
const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// `REASON_BAD_ORIGIN` (with `%s`).
pub const REASON_BAD_ORIGIN: &str = "Origin checking failed - %s does not match any trusted origins.";
/// `REASON_NO_REFERER`.
pub const REASON_NO_REFERER: &str = "Referer checking failed - no Referer.";
/// `REASON_BAD_REFERER` (with `%s`).
pub const REASON_BAD_REFERER: &str = "Referer checking failed - %s does not match any trusted origins.";
/// `REASON_NO_CSRF_COOKIE`.
pub const REASON_NO_CSRF_COOKIE: &str = "CSRF cookie not set.";
/// `REASON_CSRF_TOKEN_MISSING`.
pub const REASON_CSRF_TOKEN_MISSING: &str = "CSRF token missing.";
/// `REASON_MALFORMED_REFERER`.
pub const REASON_MALFORMED_REFERER: &str = "Referer checking failed - Referer is malformed.";
/// `REASON_INSECURE_REFERER`.
pub const REASON_INSECURE_REFERER: &str =
    "Referer checking failed - Referer is insecure while host is secure.";

/// Per-request CSRF state (Django keeps it in `request.META`).
#[derive(Debug, Default)]
struct CsrfState {
    cookie: Option<String>,
    needs_update: bool,
    processing_done: bool,
}

type Shared = Arc<Mutex<CsrfState>>;

/// A request marker that disables enforcement (the test client's default, Django's
/// `request._dont_enforce_csrf_checks`).
#[derive(Debug, Clone, Copy)]
pub struct DontEnforceCsrfChecks;

fn state(request: &HttpRequest) -> Shared {
    if let Some(s) = request.ext::<Shared>() {
        return s;
    }
    let s: Shared = Arc::new(Mutex::new(CsrfState::default()));
    request.set_ext(s.clone());
    s
}

fn with_state<R>(request: &HttpRequest, f: impl FnOnce(&mut CsrfState) -> R) -> R {
    let shared = state(request);
    let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

fn random_string(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

fn index(c: u8) -> usize {
    CHARS.iter().position(|x| *x == c).unwrap_or(0)
}

/// `_mask_cipher_secret`: a random mask followed by the secret shifted by it.
pub fn mask_cipher_secret(secret: &str) -> String {
    let mask = random_string(CSRF_SECRET_LENGTH);
    mask_with(secret, &mask)
}

fn mask_with(secret: &str, mask: &str) -> String {
    let cipher: String = secret
        .bytes()
        .zip(mask.bytes())
        .map(|(s, m)| CHARS[(index(s) + index(m)) % CHARS.len()] as char)
        .collect();
    format!("{mask}{cipher}")
}

/// `_unmask_cipher_token`.
pub fn unmask_cipher_token(token: &str) -> String {
    let (mask, cipher) = token.split_at(CSRF_SECRET_LENGTH.min(token.len()));
    cipher
        .bytes()
        .zip(mask.bytes())
        .map(|(c, m)| CHARS[(index(c) + CHARS.len() - index(m)) % CHARS.len()] as char)
        .collect()
}

/// `InvalidTokenFormat` reasons.
fn check_token_format(token: &str) -> Result<(), &'static str> {
    if token.len() != CSRF_SECRET_LENGTH && token.len() != CSRF_TOKEN_LENGTH {
        return Err("has incorrect length");
    }
    if !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("has invalid characters");
    }
    Ok(())
}

fn does_token_match(request_token: &str, secret: &str) -> bool {
    let token = if request_token.len() == CSRF_TOKEN_LENGTH {
        unmask_cipher_token(request_token)
    } else {
        request_token.to_owned()
    };
    token.len() == secret.len()
        && token
            .bytes()
            .zip(secret.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn add_new_csrf_cookie(request: &HttpRequest) -> String {
    let secret = random_string(CSRF_SECRET_LENGTH);
    with_state(request, |s| {
        s.cookie = Some(secret.clone());
        s.needs_update = true;
    });
    secret
}

/// `get_token(request)`: a freshly masked token for the request's secret (creating the
/// secret, and scheduling the cookie, when there is none).
pub fn get_token(request: &HttpRequest) -> String {
    let existing = with_state(request, |s| {
        if s.cookie.is_some() {
            s.needs_update = true;
        }
        s.cookie.clone()
    });
    let secret = existing.unwrap_or_else(|| add_new_csrf_cookie(request));
    mask_cipher_secret(&secret)
}

/// `rotate_token(request)`: a new secret (call on login).
pub fn rotate_token(request: &HttpRequest) {
    add_new_csrf_cookie(request);
}

/// The secret from the cookie: `Ok(None)` when absent, `Err(reason)` when malformed.
fn get_secret(request: &HttpRequest) -> Result<Option<String>, &'static str> {
    let name = &request.conf().http.csrf_cookie_name;
    let Some(value) = request.COOKIES().get(name) else {
        return Ok(None);
    };
    check_token_format(value)?;
    Ok(Some(if value.len() == CSRF_TOKEN_LENGTH {
        unmask_cipher_token(value)
    } else {
        value.clone()
    }))
}

/// A minimal `urlsplit`: `(scheme, netloc)`.
fn urlsplit(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = match url.split_once(':') {
        Some((s, r))
            if !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
        {
            (s.to_ascii_lowercase(), r)
        }
        _ => (String::new(), url),
    };
    let netloc = match rest.strip_prefix("//") {
        Some(r) => r.split(['/', '?', '#']).next().unwrap_or("").to_owned(),
        None => String::new(),
    };
    if netloc.contains('[') != netloc.contains(']') {
        return None;
    }
    Some((scheme, netloc))
}

/// Django's `CsrfViewMiddleware`.
#[derive(Debug, Default)]
pub struct CsrfViewMiddleware;

impl CsrfViewMiddleware {
    fn origin_verified(request: &HttpRequest, origin: &str) -> bool {
        if let Ok(host) = request.get_host() {
            let good = format!("{}://{host}", if request.is_secure() { "https" } else { "http" });
            if origin == good {
                return true;
            }
        }
        let trusted = &request.conf().http.csrf_trusted_origins;
        if trusted.iter().any(|t| !t.contains('*') && t == origin) {
            return true;
        }
        let Some((scheme, netloc)) = urlsplit(origin) else {
            return false;
        };
        trusted
            .iter()
            .filter(|t| t.contains('*'))
            .any(|t| match urlsplit(t) {
                Some((ts, tn)) => ts == scheme && is_same_domain(&netloc, tn.trim_start_matches('*')),
                None => false,
            })
    }

    fn check_referer(request: &HttpRequest) -> Result<(), String> {
        let Some(referer) = request.header("referer") else {
            return Err(REASON_NO_REFERER.to_owned());
        };
        let (scheme, netloc) = urlsplit(referer).ok_or_else(|| REASON_MALFORMED_REFERER.to_owned())?;
        if scheme.is_empty() || netloc.is_empty() {
            return Err(REASON_MALFORMED_REFERER.to_owned());
        }
        if scheme != "https" {
            return Err(REASON_INSECURE_REFERER.to_owned());
        }
        let http = &request.conf().http;
        let trusted_hosts = http
            .csrf_trusted_origins
            .iter()
            .filter_map(|o| urlsplit(o).map(|(_, n)| n.trim_start_matches('*').to_owned()));
        for host in trusted_hosts {
            if is_same_domain(&netloc, &host) {
                return Ok(());
            }
        }
        let bad = || REASON_BAD_REFERER.replace("%s", referer);
        let good_referer = match &http.csrf_cookie_domain {
            None => request.get_host().map_err(|_| bad())?,
            Some(domain) => {
                let port = request.get_port();
                if port != "443" && port != "80" {
                    format!("{domain}:{port}")
                } else {
                    domain.clone()
                }
            }
        };
        if !is_same_domain(&netloc, &good_referer) {
            return Err(bad());
        }
        Ok(())
    }

    fn check_token(request: &HttpRequest) -> Result<(), String> {
        let secret = match get_secret(request) {
            Err(reason) => return Err(format!("CSRF cookie {reason}.")),
            Ok(None) => return Err(REASON_NO_CSRF_COOKIE.to_owned()),
            Ok(Some(s)) => s,
        };
        let http = &request.conf().http;
        let mut token = String::new();
        let mut source = "POST".to_owned();
        if request.method() == http::Method::POST {
            token = request.POST().get("csrfmiddlewaretoken").unwrap_or("").to_owned();
        }
        if token.is_empty() {
            let header = header_from_meta(&http.csrf_header_name);
            token = request
                .header(&header)
                .ok_or_else(|| REASON_CSRF_TOKEN_MISSING.to_owned())?
                .to_owned();
            // HttpHeaders.parse_header_name: HTTP_X_CSRFTOKEN -> 'X-Csrftoken'.
            let title: Vec<String> = header
                .split('-')
                .map(|p| {
                    let mut c = p.chars();
                    match c.next() {
                        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                        None => String::new(),
                    }
                })
                .collect();
            source = format!("the '{}' HTTP header", title.join("-"));
        }
        if let Err(reason) = check_token_format(&token) {
            return Err(format!("CSRF token from {source} {reason}."));
        }
        if !does_token_match(&token, &secret) {
            return Err(format!("CSRF token from {source} incorrect."));
        }
        Ok(())
    }

    /// The checks of `process_view`; `Err(reason)` means reject.
    fn verify(request: &HttpRequest, view: Option<&ViewFunc>) -> Result<(), String> {
        if with_state(request, |s| s.processing_done) {
            return Ok(());
        }
        if view.is_some_and(|v| v.attrs.csrf_exempt) {
            return Ok(());
        }
        let accept = || with_state(request, |s| s.processing_done = true);
        if matches!(request.method().as_str(), "GET" | "HEAD" | "OPTIONS" | "TRACE") {
            accept();
            return Ok(());
        }
        if request.ext::<DontEnforceCsrfChecks>().is_some() {
            accept();
            return Ok(());
        }
        if let Some(origin) = request.header("origin") {
            if !CsrfViewMiddleware::origin_verified(request, origin) {
                return Err(REASON_BAD_ORIGIN.replace("%s", origin));
            }
        } else if request.is_secure() {
            CsrfViewMiddleware::check_referer(request)?;
        }
        CsrfViewMiddleware::check_token(request)?;
        accept();
        Ok(())
    }

    fn load_cookie(request: &HttpRequest) {
        match get_secret(request) {
            Err(_) => {
                add_new_csrf_cookie(request);
            }
            Ok(Some(secret)) => with_state(request, |s| s.cookie = Some(secret)),
            Ok(None) => {}
        }
    }

    fn set_cookie(request: &HttpRequest, mut response: HttpResponse) -> HttpResponse {
        let (needs, secret) = with_state(request, |s| (s.needs_update, s.cookie.clone()));
        if let (true, Some(secret)) = (needs, secret) {
            let http = &request.conf().http;
            let mut cookie = Cookie::new(&http.csrf_cookie_name, secret)
                .path(&http.csrf_cookie_path)
                .secure(http.csrf_cookie_secure)
                .httponly(http.csrf_cookie_httponly);
            cookie.max_age = http.csrf_cookie_age;
            cookie.domain = http.csrf_cookie_domain.clone();
            cookie.samesite = http
                .csrf_cookie_samesite
                .as_deref()
                .and_then(|s| SameSite::parse(s).ok());
            response.set_cookie(cookie);
            patch_vary_headers(&mut response, &["Cookie"]);
            with_state(request, |s| s.needs_update = false);
        }
        response
    }
}

/// Django's `csrf_failure` view: the 403 page.
pub fn csrf_failure(request: &HttpRequest, reason: &str) -> HttpResponse {
    let no_referer = reason == REASON_NO_REFERER;
    let no_cookie = reason == REASON_NO_CSRF_COOKIE;
    let mut body = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\">\n  <meta name=\"robots\" content=\"NONE,NOARCHIVE\">\n  <title>403 Forbidden</title>\n</head>\n<body>\n<div id=\"summary\">\n  <h1>Forbidden <span>(403)</span></h1>\n  <p>CSRF verification failed. Request aborted.</p>\n",
    );
    if no_referer {
        body.push_str("  <p>You are seeing this message because this HTTPS site requires a \u{201c}Referer header\u{201d} to be sent by your web browser, but none was sent. This header is required for security reasons, to ensure that your browser is not being hijacked by third parties.</p>\n");
    }
    if no_cookie {
        body.push_str("  <p>You are seeing this message because this site requires a CSRF cookie when submitting forms. This cookie is required for security reasons, to ensure that your browser is not being hijacked by third parties.</p>\n");
    }
    body.push_str("</div>\n");
    if request.conf().settings.debug {
        body.push_str(&format!(
            "<div id=\"info\">\n  <h2>Help</h2>\n  <p>Reason given for failure:</p>\n  <pre>\n    {}\n  </pre>\n</div>\n",
            escape(reason)
        ));
    } else {
        body.push_str("<div id=\"explanation\">\n  <p><small>More information is available with DEBUG=True.</small></p>\n</div>\n");
    }
    body.push_str("</body>\n</html>\n");
    HttpResponse::forbidden(body)
}

fn reject(request: &HttpRequest, reason: &str) -> HttpResponse {
    tracing::warn!(target: "django.security.csrf", path = request.path(), "Forbidden ({reason}): {}", request.path());
    csrf_failure(request, reason)
}

impl Middleware for CsrfViewMiddleware {
    fn process_request(&self, request: &HttpRequest) -> Result<Option<HttpResponse>, crate::HttpError> {
        CsrfViewMiddleware::load_cookie(request);
        Ok(None)
    }

    fn process_view<'a>(
        &'a self,
        request: &'a HttpRequest,
        view: &'a ViewFunc,
    ) -> super::HookFuture<'a, Option<HttpResponse>> {
        let response = CsrfViewMiddleware::verify(request, Some(view))
            .err()
            .map(|reason| reject(request, &reason));
        Box::pin(std::future::ready(response))
    }

    fn process_response(&self, request: &HttpRequest, response: HttpResponse) -> HttpResponse {
        CsrfViewMiddleware::set_cookie(request, response)
    }
}

/// `@csrf_protect`: the middleware's checks around one view.
pub fn csrf_protect<K>(view: impl IntoView<K>) -> ViewFunc {
    view.into_view().wrap(|inner, request| async move {
        CsrfViewMiddleware::load_cookie(&request);
        if let Err(reason) = CsrfViewMiddleware::verify(&request, Some(&inner)) {
            return Ok(reject(&request, &reason));
        }
        let handle = request.clone();
        let response = inner.call(request).await?;
        Ok(CsrfViewMiddleware::set_cookie(&handle, response))
    })
}

/// `@ensure_csrf_cookie`: sends the cookie even if the view did not use the token.
pub fn ensure_csrf_cookie<K>(view: impl IntoView<K>) -> ViewFunc {
    view.into_view().wrap(|inner, request| async move {
        CsrfViewMiddleware::load_cookie(&request);
        get_token(&request);
        let handle = request.clone();
        let response = inner.call(request).await?;
        Ok(CsrfViewMiddleware::set_cookie(&handle, response))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_round_trip() {
        let secret = random_string(32);
        let token = mask_cipher_secret(&secret);
        assert_eq!(token.len(), 64);
        assert_eq!(unmask_cipher_token(&token), secret);
        assert_ne!(mask_cipher_secret(&secret), token);
        // Known vector: mask "a"*32 shifts each character by 0.
        assert_eq!(
            mask_with(&"b".repeat(32), &"a".repeat(32)),
            format!("{}{}", "a".repeat(32), "b".repeat(32))
        );
        assert_eq!(mask_with("9", "b"), "ba"); // (61 + 1) % 62 = 0 -> 'a'
    }

    #[test]
    fn token_format() {
        assert_eq!(check_token_format("short"), Err("has incorrect length"));
        assert_eq!(check_token_format(&"!".repeat(32)), Err("has invalid characters"));
        assert!(check_token_format(&"a".repeat(64)).is_ok());
    }
}
