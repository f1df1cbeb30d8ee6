//! Error pages: Django's plain production pages (`ERROR_PAGE_TEMPLATE`) and, with
//! `DEBUG` on, the technical 404 (the URL patterns tried) and 500 (the error, the
//! request and the settings with secrets masked) pages.

use std::fmt::Write;

use http::StatusCode;

use crate::error::HttpError;
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::urls::UrlResolver;

fn error_page(title: &str, details: &str) -> String {
    format!(
        "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>{title}</title>\n</head>\n<body>\n  <h1>{title}</h1><p>{details}</p>\n</body>\n</html>\n"
    )
}

/// The default `handler404` page.
pub fn page_not_found() -> HttpResponse {
    HttpResponse::not_found(error_page(
        "Not Found",
        "The requested resource was not found on this server.",
    ))
}

/// The default `handler500` page.
pub fn server_error() -> HttpResponse {
    HttpResponse::server_error(error_page("Server Error (500)", ""))
}

/// The default `handler400` page.
pub fn bad_request() -> HttpResponse {
    HttpResponse::bad_request(error_page("Bad Request (400)", ""))
}

/// The default `handler403` page.
pub fn permission_denied() -> HttpResponse {
    HttpResponse::forbidden(error_page("403 Forbidden", ""))
}

/// HTML-escapes text as Django's `escape`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The DEBUG 404 page: the patterns tried, in order.
pub fn technical_404(request: &HttpRequest, err: &HttpError, resolver: &UrlResolver) -> HttpResponse {
    let tried: Vec<String> = match err {
        HttpError::Resolver404 { tried, path } if tried.is_empty() => resolver.tried(path),
        HttpError::Resolver404 { tried, .. } => tried.clone(),
        _ => Vec::new(),
    };
    let reason = match err {
        HttpError::Resolver404 { .. } => String::new(),
        other => other.to_string(),
    };
    let mut body = String::new();
    let path = escape(request.path());
    let _ = write!(
        body,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <title>Page not found at {path}</title>\n  <meta name=\"robots\" content=\"NONE,NOARCHIVE\">\n</head>\n<body>\n<div id=\"summary\">\n  <h1>Page not found <span>(404)</span></h1>\n"
    );
    if !reason.is_empty() {
        let _ = writeln!(body, "  <pre class=\"exception_value\">{}</pre>", escape(&reason));
    }
    let _ = write!(
        body,
        "  <table class=\"meta\">\n    <tr><th>Request Method:</th><td>{}</td></tr>\n    <tr><th>Request URL:</th><td>{}</td></tr>\n",
        escape(request.method().as_str()),
        escape(&request.build_absolute_uri(None).unwrap_or_else(|_| request.get_full_path()))
    );
    if let Some(m) = request.resolver_match() {
        let _ = writeln!(
            body,
            "    <tr><th>Raised by:</th><td>{}</td></tr>",
            escape(&m.func.name)
        );
    }
    body.push_str("  </table>\n</div>\n<div id=\"info\">\n");
    if !tried.is_empty() {
        let _ = writeln!(
            body,
            "  <p>Using the URLconf defined in <code>ROOT_URLCONF</code> ({} patterns), Django tried these URL patterns, in this order:</p>\n  <ol>",
            resolver.len()
        );
        for t in &tried {
            let _ = writeln!(body, "    <li>{}</li>", escape(t));
        }
        let _ = writeln!(
            body,
            "  </ol>\n  <p>The current path, <code>{}</code>, didn\u{2019}t match any of these.</p>",
            escape(request.path().trim_start_matches('/'))
        );
    }
    body.push_str("</div>\n<div id=\"explanation\">\n  <p>You\u{2019}re seeing this error because you have <code>DEBUG = True</code> in your Django settings file. Change that to <code>False</code>, and Django will display a standard 404 page.</p>\n</div>\n</body>\n</html>\n");
    HttpResponse::not_found(body)
}

/// Django's `HIDDEN_SETTINGS` test: names that look like secrets.
fn is_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "API",
        "TOKEN",
        "KEY",
        "SECRET",
        "PASS",
        "SIGNATURE",
        "HTTP_COOKIE",
    ]
    .iter()
    .any(|s| upper.contains(s))
}

/// Django's `CLEANSED_SUBSTITUTE`.
pub const CLEANSED_SUBSTITUTE: &str = "********************";

fn cleanse(name: &str, value: &serde_json::Value) -> serde_json::Value {
    if is_secret(name) {
        return serde_json::Value::String(CLEANSED_SUBSTITUTE.to_owned());
    }
    match value {
        serde_json::Value::Object(map) => {
            serde_json::Value::Object(map.iter().map(|(k, v)| (k.clone(), cleanse(k, v))).collect())
        }
        serde_json::Value::String(s) if s.contains("://") && s.contains('@') => {
            // Database URLs carry passwords.
            serde_json::Value::String(CLEANSED_SUBSTITUTE.to_owned())
        }
        other => other.clone(),
    }
}

/// The settings as shown on the DEBUG 500 page, secrets masked.
pub fn safe_settings(request: &HttpRequest) -> Vec<(String, String)> {
    let conf = request.conf();
    let mut out = Vec::new();
    for value in [
        serde_json::to_value(&conf.settings),
        serde_json::to_value(&conf.http),
    ]
    .into_iter()
    .flatten()
    {
        if let serde_json::Value::Object(map) = value {
            for (k, v) in map {
                out.push((k.to_ascii_uppercase(), cleanse(&k, &v).to_string()));
            }
        }
    }
    out.sort();
    out
}

/// One SQL statement a request ran, for the technical 500 page.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRecord {
    /// The database alias.
    pub alias: String,
    /// The SQL with the dialect's placeholders.
    pub sql: String,
    /// The bound parameters, as the query log prints them.
    pub params: String,
    /// How long the database took.
    pub duration: std::time::Duration,
}

/// The SQL statements the view ran, kept in the request's extensions with DEBUG on (the
/// `db` feature captures them around the view) so the technical 500 page can list them.
#[derive(Debug, Clone, Default)]
pub struct RequestQueries(pub Vec<QueryRecord>);

/// The DEBUG 500 page (also used with status 400 for `SuspiciousOperation`).
pub fn technical_500(request: &HttpRequest, err: &HttpError, status: u16) -> HttpResponse {
    let class = err.class_name();
    let path = escape(request.path());
    let mut body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <title>{class} at {path}</title>\n  <meta name=\"robots\" content=\"NONE,NOARCHIVE\">\n</head>\n<body>\n<div id=\"summary\">\n  <h1>{class} at {path}</h1>\n  <pre class=\"exception_value\">{}</pre>\n",
        escape(&err.to_string())
    );
    let _ = write!(
        body,
        "  <table class=\"meta\">\n    <tr><th>Request Method:</th><td>{}</td></tr>\n    <tr><th>Request URL:</th><td>{}</td></tr>\n    <tr><th>Exception Type:</th><td>{class}</td></tr>\n",
        escape(request.method().as_str()),
        escape(&request.get_full_path())
    );
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    while let Some(cause) = source {
        let _ = writeln!(
            body,
            "    <tr><th>Caused by:</th><td>{}</td></tr>",
            escape(&cause.to_string())
        );
        source = cause.source();
    }
    body.push_str("  </table>\n</div>\n");
    if let HttpError::Template(template_err) = err {
        template_sections(&mut body, template_err);
    }
    if let Some(queries) = request.ext::<RequestQueries>() {
        let _ = writeln!(
            body,
            "<div id=\"sql\">\n  <h2>SQL queries of the request ({})</h2>\n  <table>\n    <tr><th>#</th><th>Alias</th><th>Time (ms)</th><th>SQL</th><th>Params</th></tr>",
            queries.0.len()
        );
        for (i, q) in queries.0.iter().enumerate() {
            let _ = writeln!(
                body,
                "    <tr><td>{}</td><td>{}</td><td>{:.3}</td><td><pre>{}</pre></td><td><pre>{}</pre></td></tr>",
                i + 1,
                escape(&q.alias),
                q.duration.as_secs_f64() * 1000.0,
                escape(&q.sql),
                escape(&q.params)
            );
        }
        body.push_str("  </table>\n</div>\n");
    }
    body.push_str("<div id=\"requestinfo\">\n  <h2>Request information</h2>\n  <h3>GET</h3>\n  <table>\n");
    for (k, v) in request.GET().items() {
        let _ = writeln!(
            body,
            "    <tr><td>{}</td><td><pre>{}</pre></td></tr>",
            escape(k),
            escape(v)
        );
    }
    body.push_str("  </table>\n  <h3>POST</h3>\n  <table>\n");
    for (k, v) in request.POST().items() {
        let shown = if is_secret(k) { CLEANSED_SUBSTITUTE } else { v };
        let _ = writeln!(
            body,
            "    <tr><td>{}</td><td><pre>{}</pre></td></tr>",
            escape(k),
            escape(shown)
        );
    }
    body.push_str("  </table>\n  <h3>META</h3>\n  <table>\n");
    for (k, v) in request.META() {
        let shown = if is_secret(&k) {
            CLEANSED_SUBSTITUTE.to_owned()
        } else {
            v
        };
        let _ = writeln!(
            body,
            "    <tr><td>{}</td><td><pre>{}</pre></td></tr>",
            escape(&k),
            escape(&shown)
        );
    }
    body.push_str("  </table>\n  <h3>Settings</h3>\n  <table>\n");
    for (k, v) in safe_settings(request) {
        let _ = writeln!(
            body,
            "    <tr><td>{}</td><td><pre>{}</pre></td></tr>",
            escape(&k),
            escape(&v)
        );
    }
    body.push_str("  </table>\n</div>\n<div id=\"explanation\">\n  <p>You\u{2019}re seeing this error because you have <code>DEBUG = True</code> in your Django settings file. Change that to <code>False</code>, and Django will display a standard page generated by the handler for this status code.</p>\n</div>\n</body>\n</html>\n");
    HttpResponse::with_status(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
}

/// Django's "Template-loader postmortem" (for `TemplateDoesNotExist`) and "Error during
/// template rendering" sections of the technical 500 page. The excerpt comes from the
/// error's `template_debug` (a debug engine's errors); a syntax error from an engine
/// without debug still shows its one source line.
fn template_sections(body: &mut String, err: &nuages_template::TemplateError) {
    use nuages_template::TemplateError;
    if let TemplateError::TemplateDoesNotExist { tried, .. } = err.cause() {
        body.push_str("<div id=\"template-not-exist\">\n    <h2>Template-loader postmortem</h2>\n");
        if tried.is_empty() {
            body.push_str(
                "    <p>No templates were found because your 'TEMPLATES' setting is not configured.</p>\n",
            );
        } else {
            body.push_str("    <p class=\"append-bottom\">Django tried loading these templates, in this order:</p>\n    <p class=\"postmortem-section\">Using engine <code>django</code>:</p>\n    <ul>\n");
            for attempt in tried {
                let _ = writeln!(body, "        <li>{}</li>", escape(attempt));
            }
            body.push_str("    </ul>\n");
        }
        body.push_str("</div>\n");
    }
    if let Some(info) = err.template_debug() {
        let _ = write!(
            body,
            "<div id=\"template\">\n   <h2>Error during template rendering</h2>\n   <p>In template <code>{}</code>, error at line <strong>{}</strong></p>\n   <h3>{}</h3>\n   <table class=\"source{}{}\">\n",
            escape(&info.name),
            info.line,
            escape(&info.message),
            if info.top > 0 { " cut-top" } else { "" },
            if info.bottom != info.total { " cut-bottom" } else { "" },
        );
        for (num, text) in &info.source_lines {
            if *num == info.line {
                let _ = writeln!(
                    body,
                    "   <tr class=\"error\"><th>{num}</th>\n     <td>{}<span class=\"specific\">{}</span>{}</td>\n   </tr>",
                    escape(&info.before),
                    escape(&info.during),
                    escape(&info.after)
                );
            } else {
                let _ = writeln!(
                    body,
                    "      <tr><th>{num}</th>\n      <td>{}</td></tr>",
                    escape(text)
                );
            }
        }
        body.push_str("   </table>\n</div>\n");
    } else if let Some(loc) = err.location() {
        let _ = write!(
            body,
            "<div id=\"template\">\n   <h2>Error during template rendering</h2>\n   <p>In template <code>{}</code>, error at line <strong>{}</strong></p>\n   <h3>{}</h3>\n   <table class=\"source\">\n   <tr class=\"error\"><th>{}</th>\n     <td>{}</td>\n   </tr>\n   </table>\n</div>\n",
            escape(loc.template_name.as_deref().unwrap_or("<unknown source>")),
            loc.line,
            escape(&err.to_string()),
            loc.line,
            escape(&loc.source_line)
        );
    }
}
