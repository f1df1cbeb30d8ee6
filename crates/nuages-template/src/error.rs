//! The one error type of the crate, named after Django's template exceptions so that a
//! caller (and the conformance runner) can report the same class names and messages.

use std::fmt;
use std::sync::Arc;

/// Where a syntax error was found: template name, 1-based line and column, source line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceLocation {
    /// The template name, or `None` for templates built with `Engine::from_string`.
    pub template_name: Option<String>,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column (in characters) of the start of the offending token.
    pub column: usize,
    /// The full text of the offending source line.
    pub source_line: String,
}

/// Every error that loading, parsing or rendering a template can raise.
///
/// `Display` gives Django's message (`str(e)` in Python); [`TemplateError::class_name`]
/// gives Django's exception class name.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TemplateError {
    /// `django.template.TemplateSyntaxError`.
    #[error("{message}")]
    TemplateSyntaxError {
        /// Django's message.
        message: String,
        /// Where it was found, when known.
        location: Option<Box<SourceLocation>>,
    },
    /// `django.template.TemplateDoesNotExist`: `name` is the message, `tried` the places looked at.
    #[error("{name}")]
    TemplateDoesNotExist {
        /// The template name (or names, comma separated, from `select_template`).
        name: String,
        /// Each place tried, with the reason it failed ("Source does not exist").
        tried: Vec<String>,
    },
    /// `django.template.VariableDoesNotExist`, raised where Django raises it (filter arguments).
    #[error("{0}")]
    VariableDoesNotExist(String),
    /// `django.urls.NoReverseMatch` from the `{% url %}` tag.
    #[error("{0}")]
    NoReverseMatch(String),
    /// A Python `TypeError` raised by a filter or tag in Django (for example `{% for x in 5 %}`).
    #[error("{0}")]
    TypeError(String),
    /// A Python `ValueError` raised by a filter or tag in Django.
    #[error("{0}")]
    ValueError(String),
    /// An error raised by application code (a custom tag, filter or callable).
    #[error("{message}")]
    Custom {
        /// The class name to report.
        class: String,
        /// The message.
        message: String,
    },
    /// Any of the above with Django's `template_debug` information attached: what a
    /// debug engine (`EngineBuilder::debug(true)`, Django's `TEMPLATES` `debug` option,
    /// which defaults to `DEBUG`) adds to errors raised while parsing or rendering, so the
    /// technical 500 page can show the template excerpt. `Display`, [`class_name`] and
    /// [`location`] are the wrapped error's; [`cause`] gives the error itself.
    ///
    /// [`class_name`]: TemplateError::class_name
    /// [`location`]: TemplateError::location
    /// [`cause`]: TemplateError::cause
    #[error("{error}")]
    WithTemplateDebug {
        /// The error raised.
        error: Box<TemplateError>,
        /// Where, as Django's `exception.template_debug`.
        debug: Box<TemplateDebug>,
    },
}

/// Django's `template_debug` dictionary (`Template.get_exception_info`): the template and
/// the token an error was raised at, with up to ten source lines either side.
///
/// ```
/// use nuages_template::{Context, Engine};
///
/// let engine = Engine::builder()
///     .debug(true)
///     .template("page.html", "<h1>{{ title }}</h1>\n<p>{% for x in 5 %}{{ x }}{% endfor %}</p>\n")
///     .build();
/// let err = engine.render_to_string("page.html", &mut Context::new()).unwrap_err();
/// let info = err.template_debug().unwrap();
/// assert_eq!((info.name.as_str(), info.line), ("page.html", 2));
/// assert_eq!(err.to_string(), "'int' object is not iterable");
/// assert_eq!(info.during, "{% for x in 5 %}");
/// assert_eq!(info.before, "<p>");
/// assert_eq!(info.after, "{{ x }}{% endfor %}</p>\n");
/// assert_eq!(info.source_lines[0], (1, "<h1>{{ title }}</h1>\n".to_owned()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateDebug {
    /// The template's origin name (its path for the filesystem loaders, its name for
    /// in-memory templates, `<unknown source>` for `from_string`).
    pub name: String,
    /// The error message (`str(exception)`).
    pub message: String,
    /// `(line number, line text with its newline)` for the lines shown.
    pub source_lines: Vec<(usize, String)>,
    /// The 1-based line of the token.
    pub line: usize,
    /// The text of that line before the token.
    pub before: String,
    /// The token's text.
    pub during: String,
    /// The text of that line after the token.
    pub after: String,
    /// The number of lines of the template.
    pub total: usize,
    /// Index of the first line shown (lines before it are cut).
    pub top: usize,
    /// Index after the last line shown (`bottom != total`: lines after it are cut).
    pub bottom: usize,
    /// Byte offset of the token's start.
    pub start: usize,
    /// Byte offset of the token's end.
    pub end: usize,
}

/// A template's source and origin name, kept by debug engines for [`TemplateDebug`].
#[derive(Debug)]
pub(crate) struct DebugSource {
    pub(crate) name: String,
    pub(crate) source: Arc<str>,
}

impl DebugSource {
    /// Django's `Template.get_exception_info(exception, token)`.
    pub(crate) fn exception_info(&self, message: String, (start, end): (usize, usize)) -> TemplateDebug {
        const CONTEXT_LINES: usize = 10;
        let src = &*self.source;
        let (start, end) = (start.min(src.len()), end.min(src.len()));
        // Django's `linebreak_iter`: 0, each position after a newline, len + 1.
        let mut breaks = vec![0];
        breaks.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        breaks.push(src.len() + 1);
        let (mut line, mut upto) = (0, 0);
        let (mut before, mut during, mut after) = (String::new(), String::new(), String::new());
        let mut source_lines = Vec::with_capacity(breaks.len());
        for (num, &next) in breaks.iter().enumerate() {
            let stop = next.min(src.len());
            if start >= upto && end <= next {
                line = num;
                before = src.get(upto..start).unwrap_or("").to_owned();
                during = src.get(start..end).unwrap_or("").to_owned();
                after = src.get(end..stop).unwrap_or("").to_owned();
            }
            source_lines.push((num, src.get(upto..stop).unwrap_or("").to_owned()));
            upto = next;
        }
        let total = source_lines.len();
        let top = line.saturating_sub(CONTEXT_LINES).max(1);
        let bottom = total.min(line + 1 + CONTEXT_LINES);
        TemplateDebug {
            name: self.name.clone(),
            message,
            source_lines: source_lines
                .get(top..bottom)
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
            line,
            before,
            during,
            after,
            total,
            top,
            bottom,
            start,
            end,
        }
    }

    /// Attaches the exception info for the token at `position`, unless the error already
    /// carries one (an inner node was more precise), as Django's `render_annotated`.
    pub(crate) fn annotate(&self, err: TemplateError, position: (usize, usize)) -> TemplateError {
        if matches!(err, TemplateError::WithTemplateDebug { .. }) {
            return err;
        }
        let debug = self.exception_info(err.to_string(), position);
        TemplateError::WithTemplateDebug {
            error: Box::new(err),
            debug: Box::new(debug),
        }
    }
}

impl TemplateError {
    /// A `TemplateSyntaxError` without location (the parser adds it).
    pub fn syntax(message: impl Into<String>) -> Self {
        TemplateError::TemplateSyntaxError {
            message: message.into(),
            location: None,
        }
    }

    /// Django's exception class name: `TemplateSyntaxError`, `TemplateDoesNotExist`, ...
    pub fn class_name(&self) -> &str {
        match self {
            TemplateError::WithTemplateDebug { error, .. } => error.class_name(),
            TemplateError::TemplateSyntaxError { .. } => "TemplateSyntaxError",
            TemplateError::TemplateDoesNotExist { .. } => "TemplateDoesNotExist",
            TemplateError::VariableDoesNotExist(_) => "VariableDoesNotExist",
            TemplateError::NoReverseMatch(_) => "NoReverseMatch",
            TemplateError::TypeError(_) => "TypeError",
            TemplateError::ValueError(_) => "ValueError",
            TemplateError::Custom { class, .. } => class,
        }
    }

    /// The location of a syntax error, when known.
    pub fn location(&self) -> Option<&SourceLocation> {
        match self {
            TemplateError::TemplateSyntaxError { location, .. } => location.as_deref(),
            TemplateError::WithTemplateDebug { error, .. } => error.location(),
            _ => None,
        }
    }

    /// Django's `exception.template_debug`: set by debug engines on errors raised while
    /// parsing or rendering a template.
    pub fn template_debug(&self) -> Option<&TemplateDebug> {
        match self {
            TemplateError::WithTemplateDebug { debug, .. } => Some(debug),
            _ => None,
        }
    }

    /// The error itself, without the debug information a debug engine attached (match on
    /// this to tell the kinds apart).
    pub fn cause(&self) -> &TemplateError {
        match self {
            TemplateError::WithTemplateDebug { error, .. } => error.cause(),
            other => other,
        }
    }

    /// A one-line description with the location: `TemplateSyntaxError: msg (in 'a.html', line 2, column 5)`.
    pub fn describe(&self) -> String {
        DescribeError(self).to_string()
    }
}

struct DescribeError<'a>(&'a TemplateError);

impl fmt::Display for DescribeError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.class_name(), self.0)?;
        if let Some(loc) = self.0.location() {
            let name = loc.template_name.as_deref().unwrap_or("<unknown source>");
            write!(
                f,
                " (in '{}', line {}, column {}: {})",
                name,
                loc.line,
                loc.column,
                loc.source_line.trim_end()
            )?;
        }
        Ok(())
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = TemplateError> = std::result::Result<T, E>;
