//! The one error type of `nuages-http`, shaped after Django's exceptions so that a view
//! can `return Err(HttpError::Http404(..))` the way a Django view raises `Http404`, and
//! the handler turns each kind into the response Django would send.

use http::StatusCode;

/// Everything that can go wrong between a request arriving and a response leaving.
///
/// The variants carry Django's exception names; [`HttpError::status`] tells which
/// status code the default handlers answer with.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// `django.http.Http404`.
    #[error("{0}")]
    Http404(String),
    /// `django.urls.Resolver404`: no URL pattern matched; carries the patterns tried.
    #[error("Resolver404: {path}")]
    Resolver404 {
        /// The path that did not match.
        path: String,
        /// The patterns tried, outermost first, in Django's display form.
        tried: Vec<String>,
    },
    /// `django.core.exceptions.PermissionDenied`.
    #[error("{0}")]
    PermissionDenied(String),
    /// `django.core.exceptions.BadRequest`.
    #[error("{0}")]
    BadRequest(String),
    /// `django.core.exceptions.SuspiciousOperation` and its subclasses (`DisallowedHost`,
    /// `RequestDataTooBig`, `TooManyFieldsSent`, `TooManyFilesSent`, `DisallowedRedirect`,
    /// `SuspiciousMultipartForm`): answered with a 400.
    #[error("{message}")]
    SuspiciousOperation {
        /// Django's exception class name, e.g. `DisallowedHost`.
        kind: &'static str,
        /// Django's message.
        message: String,
    },
    /// `django.urls.NoReverseMatch`.
    #[error("{0}")]
    NoReverseMatch(String),
    /// `django.core.signing.BadSignature`.
    #[error("{0}")]
    BadSignature(String),
    /// `django.core.signing.SignatureExpired`.
    #[error("{0}")]
    SignatureExpired(String),
    /// `django.core.exceptions.ImproperlyConfigured`.
    #[error("ImproperlyConfigured: {0}")]
    ImproperlyConfigured(String),
    /// `django.core.paginator.EmptyPage` (an `InvalidPage`).
    #[error("{0}")]
    EmptyPage(String),
    /// `django.core.paginator.PageNotAnInteger` (an `InvalidPage`).
    #[error("{0}")]
    PageNotAnInteger(String),
    /// A failure reading or writing a file or socket.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A template could not be loaded, parsed or rendered (`TemplateSyntaxError`,
    /// `TemplateDoesNotExist`, or what a filter or tag raised). A debug engine's errors
    /// carry the template excerpt the technical 500 page shows.
    #[error("{0}")]
    Template(nuages_template::TemplateError),
    /// Any other error raised by a view (an uncaught exception in Django): a 500.
    #[error("{0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl HttpError {
    /// The status the default error handlers answer with (Django's
    /// `response_for_exception`).
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::Http404(_) | HttpError::Resolver404 { .. } => StatusCode::NOT_FOUND,
            HttpError::PermissionDenied(_) => StatusCode::FORBIDDEN,
            HttpError::BadRequest(_) | HttpError::SuspiciousOperation { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Django's exception class name for this error.
    pub fn class_name(&self) -> &'static str {
        match self {
            HttpError::Http404(_) => "Http404",
            HttpError::Resolver404 { .. } => "Resolver404",
            HttpError::PermissionDenied(_) => "PermissionDenied",
            HttpError::BadRequest(_) => "BadRequest",
            HttpError::SuspiciousOperation { kind, .. } => kind,
            HttpError::NoReverseMatch(_) => "NoReverseMatch",
            HttpError::BadSignature(_) => "BadSignature",
            HttpError::SignatureExpired(_) => "SignatureExpired",
            HttpError::ImproperlyConfigured(_) => "ImproperlyConfigured",
            HttpError::EmptyPage(_) => "EmptyPage",
            HttpError::PageNotAnInteger(_) => "PageNotAnInteger",
            HttpError::Io(_) => "OSError",
            HttpError::Template(e) => match e.class_name() {
                "TemplateSyntaxError" => "TemplateSyntaxError",
                "TemplateDoesNotExist" => "TemplateDoesNotExist",
                "VariableDoesNotExist" => "VariableDoesNotExist",
                "NoReverseMatch" => "NoReverseMatch",
                "TypeError" => "TypeError",
                "ValueError" => "ValueError",
                "RecursionError" => "RecursionError",
                _ => "Exception",
            },
            HttpError::Other(_) => "Exception",
        }
    }

    /// Shorthand for a `SuspiciousOperation` subclass.
    pub fn suspicious(kind: &'static str, message: impl Into<String>) -> HttpError {
        HttpError::SuspiciousOperation {
            kind,
            message: message.into(),
        }
    }

    /// Wraps any error as an uncaught exception (a 500).
    pub fn other(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> HttpError {
        HttpError::Other(err.into())
    }
}

impl From<nuages_template::TemplateError> for HttpError {
    fn from(err: nuages_template::TemplateError) -> Self {
        HttpError::Template(err)
    }
}

impl From<serde_json::Error> for HttpError {
    fn from(err: serde_json::Error) -> Self {
        HttpError::Other(Box::new(err))
    }
}

/// `Result` with [`HttpError`].
pub type Result<T, E = HttpError> = std::result::Result<T, E>;
