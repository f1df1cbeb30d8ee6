//! System checks (Django's `django.core.checks`): [`CheckMessage`]s produced by check
//! functions registered with tags, the report `check` and every command print before
//! running, and the built-in model and deployment checks.
//!
//! ```
//! use nuages_cli::checks::{CheckMessage, Level};
//! let msg = CheckMessage::error("CharFields must define a 'max_length' attribute.", "fields.E120")
//!     .with_obj("bookstore.Book.title");
//! assert_eq!(msg.to_string(), "bookstore.Book.title: (fields.E120) CharFields must define a 'max_length' attribute.");
//! assert!(msg.is_serious(Level::Error));
//! ```

pub mod db_comments;
pub mod model_checks;
pub mod registry;
pub mod security;

use std::fmt;

use nuages_core::Settings;

use crate::apps::{App, Apps};
use crate::command::CommandContext;
use crate::error::{CommandError, Result};

pub use registry::{tags, CheckRegistry, RegisteredCheck};

/// The severity of a check message (Django's levels, with the same ordering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `DEBUG` (10).
    Debug = 10,
    /// `INFO` (20).
    Info = 20,
    /// `WARNING` (30).
    Warning = 30,
    /// `ERROR` (40).
    Error = 40,
    /// `CRITICAL` (50).
    Critical = 50,
}

impl Level {
    /// Parses Django's level names (`"ERROR"`), as `--fail-level` takes them.
    pub fn from_name(name: &str) -> Option<Level> {
        match name {
            "DEBUG" => Some(Level::Debug),
            "INFO" => Some(Level::Info),
            "WARNING" => Some(Level::Warning),
            "ERROR" => Some(Level::Error),
            "CRITICAL" => Some(Level::Critical),
            _ => None,
        }
    }
}

/// One finding of a check (Django's `CheckMessage`, `Error`, `Warning`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckMessage {
    /// The severity.
    pub level: Level,
    /// The message.
    pub msg: String,
    /// An optional hint on how to fix it.
    pub hint: Option<String>,
    /// What the message is about, as Django prints it: `app.Model.field` for a field,
    /// `app.Model` for a model; `None` prints `?`.
    pub obj: Option<String>,
    /// The identifier (`fields.E120`), used to silence it.
    pub id: Option<String>,
}

impl CheckMessage {
    /// A message of any level.
    pub fn new(level: Level, msg: impl Into<String>, id: impl Into<String>) -> CheckMessage {
        CheckMessage {
            level,
            msg: msg.into(),
            hint: None,
            obj: None,
            id: Some(id.into()),
        }
    }
    /// `checks.Debug`.
    pub fn debug(msg: impl Into<String>, id: impl Into<String>) -> CheckMessage {
        CheckMessage::new(Level::Debug, msg, id)
    }
    /// `checks.Info`.
    pub fn info(msg: impl Into<String>, id: impl Into<String>) -> CheckMessage {
        CheckMessage::new(Level::Info, msg, id)
    }
    /// `checks.Warning`.
    pub fn warning(msg: impl Into<String>, id: impl Into<String>) -> CheckMessage {
        CheckMessage::new(Level::Warning, msg, id)
    }
    /// `checks.Error`.
    pub fn error(msg: impl Into<String>, id: impl Into<String>) -> CheckMessage {
        CheckMessage::new(Level::Error, msg, id)
    }
    /// `checks.Critical`.
    pub fn critical(msg: impl Into<String>, id: impl Into<String>) -> CheckMessage {
        CheckMessage::new(Level::Critical, msg, id)
    }

    /// Sets the hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> CheckMessage {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the object the message is about.
    pub fn with_obj(mut self, obj: impl Into<String>) -> CheckMessage {
        self.obj = Some(obj.into());
        self
    }

    /// Whether the message is at least `level` (Django's `is_serious`, `ERROR` by default).
    pub fn is_serious(&self, level: Level) -> bool {
        self.level >= level
    }

    /// Whether `SILENCED_SYSTEM_CHECKS` lists the message's id.
    pub fn is_silenced(&self, silenced: &[String]) -> bool {
        self.id
            .as_ref()
            .is_some_and(|id| silenced.iter().any(|s| s == id))
    }
}

impl fmt::Display for CheckMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let obj = self.obj.as_deref().unwrap_or("?");
        write!(f, "{obj}: ")?;
        if let Some(id) = &self.id {
            write!(f, "({id}) ")?;
        }
        f.write_str(&self.msg)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n\tHINT: {hint}")?;
        }
        Ok(())
    }
}

/// What a check function sees (Django passes `app_configs` and `databases`).
#[derive(Debug, Clone, Copy)]
pub struct CheckContext<'a> {
    /// The project's settings.
    pub settings: &'a Settings,
    /// Every installed app.
    pub apps: &'a Apps,
    /// The apps to check (`check app_label ...`), or `None` for all.
    pub app_configs: Option<&'a [&'a App]>,
    /// Database aliases to run database checks against (`--database`).
    pub databases: &'a [String],
}

impl CheckContext<'_> {
    /// The models to check: those of the selected apps, or of every app.
    pub fn models(&self) -> Vec<&'static nuages_db::ModelMeta> {
        match self.app_configs {
            Some(apps) => apps.iter().flat_map(|a| a.models.iter().copied()).collect(),
            None => self.apps.get_models(),
        }
    }
}

/// The options of Django's `BaseCommand.check()`.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Only these apps (empty: all).
    pub app_labels: Vec<String>,
    /// Only checks with one of these tags.
    pub tags: Option<Vec<String>>,
    /// Also run deployment checks (`--deploy`).
    pub include_deployment_checks: bool,
    /// The level from which messages make the command fail.
    pub fail_level: Level,
    /// Print "System check identified N issues (M silenced)."
    pub display_num_errors: bool,
    /// Database aliases for database checks.
    pub databases: Vec<String>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            app_labels: Vec::new(),
            tags: None,
            include_deployment_checks: false,
            fail_level: Level::Error,
            display_num_errors: false,
            databases: Vec::new(),
        }
    }
}

/// `SILENCED_SYSTEM_CHECKS` from the settings (`silenced_system_checks` in `nuages.toml`).
pub fn silenced_system_checks(settings: &Settings) -> Result<Vec<String>> {
    Ok(settings.section::<Vec<String>>("silenced_system_checks")?)
}

/// Runs the registered checks (built-ins and the apps') and returns every message
/// (Django's `checks.run_checks`).
pub fn run_checks(
    ctx: &CheckContext<'_>,
    tags: Option<&[String]>,
    include_deployment_checks: bool,
) -> Vec<CheckMessage> {
    CheckRegistry::for_apps(ctx.apps).run_checks(ctx, tags, include_deployment_checks)
}

/// Django's `BaseCommand.check()`: runs the checks, prints warnings on stderr (or "no
/// issues" on stdout), and fails with `SystemCheckError` when a message reaches
/// `fail_level`.
pub fn check(ctx: &CommandContext, options: &CheckOptions) -> Result<()> {
    let app_configs: Vec<&App> = options
        .app_labels
        .iter()
        .map(|l| ctx.apps.get_app_config(l))
        .collect::<Result<_>>()?;
    let check_ctx = CheckContext {
        settings: &ctx.settings,
        apps: &ctx.apps,
        app_configs: if options.app_labels.is_empty() {
            None
        } else {
            Some(&app_configs)
        },
        databases: &options.databases,
    };
    let all_issues = run_checks(
        &check_ctx,
        options.tags.as_deref(),
        options.include_deployment_checks,
    );
    let silenced = silenced_system_checks(&ctx.settings)?;
    let report = format_report(ctx, &all_issues, &silenced, options);
    match report {
        Report::Fail(msg) => Err(CommandError::SystemCheck(msg)),
        Report::Issues(msg) => Ok(ctx.stderr.write(&msg)?),
        Report::Clean(msg) if !msg.is_empty() => Ok(ctx.stdout.write(&msg)?),
        Report::Clean(_) => Ok(()),
    }
}

enum Report {
    Fail(String),
    Issues(String),
    Clean(String),
}

fn format_report(
    ctx: &CommandContext,
    all: &[CheckMessage],
    silenced: &[String],
    options: &CheckOptions,
) -> Report {
    let visible: Vec<&CheckMessage> = all.iter().filter(|e| !e.is_silenced(silenced)).collect();
    let groups = [
        ("CRITICALS", Level::Critical, None),
        ("ERRORS", Level::Error, Some(Level::Critical)),
        ("WARNINGS", Level::Warning, Some(Level::Error)),
        ("INFOS", Level::Info, Some(Level::Warning)),
        ("DEBUGS", Level::Debug, Some(Level::Info)),
    ];
    let mut body = String::new();
    for (group_name, low, high) in groups {
        let mut formatted: Vec<String> = visible
            .iter()
            .filter(|e| e.level >= low && high.is_none_or(|h| e.level < h))
            .map(|e| {
                let text = e.to_string();
                if e.is_serious(Level::Error) {
                    ctx.style.error(&text)
                } else {
                    ctx.style.warning(&text)
                }
            })
            .collect();
        if !formatted.is_empty() {
            formatted.sort();
            body.push_str(&format!("\n{group_name}:\n{}\n", formatted.join("\n")));
        }
    }
    let count = visible.len();
    let header = if count > 0 {
        "System check identified some issues:\n"
    } else {
        ""
    };
    let mut footer = String::new();
    if options.display_num_errors {
        if count > 0 {
            footer.push('\n');
        }
        let issues = match count {
            0 => "no issues".to_owned(),
            1 => "1 issue".to_owned(),
            n => format!("{n} issues"),
        };
        footer.push_str(&format!(
            "System check identified {issues} ({} silenced).",
            all.len() - count
        ));
    }
    if visible.iter().any(|e| e.is_serious(options.fail_level)) {
        Report::Fail(format!(
            "{}{body}{footer}",
            ctx.style.error(&format!("SystemCheckError: {header}"))
        ))
    } else if count > 0 {
        Report::Issues(format!("{header}{body}{footer}"))
    } else {
        Report::Clean(format!("{header}{body}{footer}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_print_like_django() {
        let m = CheckMessage::warning(
            "You should not have DEBUG set to True in deployment.",
            "security.W018",
        );
        assert_eq!(
            m.to_string(),
            "?: (security.W018) You should not have DEBUG set to True in deployment."
        );
        let m = CheckMessage::error(
            "Field specifies on_delete=SET_NULL, but cannot be null.",
            "fields.E320",
        )
        .with_obj("bookstore.Book.author")
        .with_hint("Set null=True argument on the field, or change the on_delete rule.");
        assert_eq!(
            m.to_string(),
            "bookstore.Book.author: (fields.E320) Field specifies on_delete=SET_NULL, but cannot be null.\n\tHINT: Set null=True argument on the field, or change the on_delete rule."
        );
        assert!(m.is_silenced(&["fields.E320".to_owned()]));
        assert!(!m.is_silenced(&[]));
        assert_eq!(Level::from_name("WARNING"), Some(Level::Warning));
        assert_eq!(Level::from_name("warning"), None);
    }
}
