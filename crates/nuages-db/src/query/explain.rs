//! `explain(format=..., **options)`: the database's plan of a query, with Django's
//! per-backend formats and options (`explain_query_prefix`) and its messages for what a
//! backend does not take.
//!
//! ```
//! use nuages_db::backends::MySqlServer;
//! use nuages_db::query::explain_prefix;
//! use nuages_db::Vendor;
//! assert_eq!(explain_prefix(Vendor::Postgres, None, Some("json"), &[("analyze", true)]).unwrap(), "EXPLAIN (ANALYZE true, FORMAT json)");
//! assert_eq!(explain_prefix(Vendor::Sqlite, None, None, &[]).unwrap(), "EXPLAIN QUERY PLAN");
//! let mariadb = MySqlServer::from_version("10.11.6-MariaDB");
//! assert_eq!(explain_prefix(Vendor::MySql, Some(mariadb), Some("json"), &[("analyze", true)]).unwrap(), "ANALYZE FORMAT=json");
//! assert_eq!(
//!     explain_prefix(Vendor::Sqlite, None, Some("json"), &[]).unwrap_err().to_string(),
//!     "JSON is not a recognized format. SQLite does not support any formats."
//! );
//! ```

use crate::backends::{MySqlServer, Vendor};
use crate::connection;
use crate::error::{DbError, Result};

use super::queryset::DynQuerySet;

/// Django's `DatabaseOperations.explain_options` on PostgreSQL, in the order written.
const POSTGRES_OPTIONS: [&str; 10] = [
    "ANALYZE",
    "BUFFERS",
    "COSTS",
    "GENERIC_PLAN",
    "MEMORY",
    "SETTINGS",
    "SUMMARY",
    "TIMING",
    "VERBOSE",
    "WAL",
];

/// Django's `features.supported_explain_formats`.
fn supported_formats(vendor: Vendor, server: Option<MySqlServer>) -> &'static [&'static str] {
    match vendor {
        Vendor::Sqlite => &[],
        Vendor::Postgres => &["JSON", "TEXT", "XML", "YAML"],
        Vendor::MySql => match server {
            Some(s) if !s.mariadb && s.version >= (8, 0, 16) => &["JSON", "TEXT", "TRADITIONAL", "TREE"],
            _ => &["JSON", "TEXT", "TRADITIONAL"],
        },
    }
}

/// Django's `BaseDatabaseOperations.explain_query_prefix`: the format must be one the
/// backend knows and no option may be left over.
fn base_prefix(
    vendor: Vendor,
    server: Option<MySqlServer>,
    format: Option<&str>,
    rest: &[String],
) -> Result<()> {
    if let Some(format) = format {
        let normalized = format.to_uppercase();
        let supported = supported_formats(vendor, server);
        if !supported.contains(&normalized.as_str()) {
            let mut msg = format!("{normalized} is not a recognized format.");
            if supported.is_empty() {
                // Only SQLite supports none.
                msg.push_str(" SQLite does not support any formats.");
            } else {
                msg.push_str(&format!(" Allowed formats: {}", supported.join(", ")));
            }
            return Err(DbError::ValueError(msg));
        }
    }
    if !rest.is_empty() {
        let mut names = rest.to_vec();
        names.sort();
        return Err(DbError::ValueError(format!(
            "Unknown options: {}",
            names.join(", ")
        )));
    }
    Ok(())
}

/// The `EXPLAIN ...` prefix Django writes for `format` and the boolean `options`
/// (`analyze=True`, ...) on `vendor`; `server` is a MySQL alias's server once known
/// (MariaDB and MySQL differ; `None` elsewhere). Errors are Django's ValueErrors.
pub fn explain_prefix(
    vendor: Vendor,
    server: Option<MySqlServer>,
    format: Option<&str>,
    options: &[(&str, bool)],
) -> Result<String> {
    match vendor {
        Vendor::Sqlite => {
            let rest: Vec<String> = options.iter().map(|(n, _)| (*n).to_owned()).collect();
            base_prefix(vendor, server, format, &rest)?;
            Ok("EXPLAIN QUERY PLAN".to_owned())
        }
        Vendor::Postgres => {
            let mut extra: Vec<(String, String)> = Vec::new();
            let mut rest = Vec::new();
            for (name, value) in options {
                let upper = name.to_uppercase();
                if POSTGRES_OPTIONS.contains(&upper.as_str()) {
                    extra.push((upper, if *value { "true" } else { "false" }.to_owned()));
                } else {
                    rest.push(upper);
                }
            }
            base_prefix(vendor, server, format, &rest)?;
            if let Some(format) = format {
                extra.push(("FORMAT".to_owned(), format.to_owned()));
            }
            let mut prefix = "EXPLAIN".to_owned();
            if !extra.is_empty() {
                let items: Vec<String> = extra.iter().map(|(k, v)| format!("{k} {v}")).collect();
                prefix.push_str(&format!(" ({})", items.join(", ")));
            }
            Ok(prefix)
        }
        Vendor::MySql => {
            let mariadb = server.is_some_and(|s| s.mariadb);
            let tree = supported_formats(vendor, server).contains(&"TREE");
            let format = match format {
                Some(f) if f.eq_ignore_ascii_case("TEXT") => Some("TRADITIONAL"),
                Some(f) => Some(f),
                None if tree => Some("TREE"),
                None => None,
            };
            let analyze = options.iter().any(|(n, v)| *n == "analyze" && *v);
            let rest: Vec<String> = options
                .iter()
                .filter(|(n, _)| *n != "analyze")
                .map(|(n, _)| (*n).to_owned())
                .collect();
            base_prefix(vendor, server, format, &rest)?;
            let mut prefix = match (analyze, mariadb) {
                (true, true) => "ANALYZE".to_owned(),
                (true, false) => "EXPLAIN ANALYZE".to_owned(),
                (false, _) => "EXPLAIN".to_owned(),
            };
            // Only MariaDB takes a format with ANALYZE.
            if let Some(format) = format {
                if !analyze || mariadb {
                    prefix.push_str(&format!(" FORMAT={format}"));
                }
            }
            Ok(prefix)
        }
    }
}

/// Django's `EXPLAIN_OPTIONS_PATTERN` (`[\w\-]+`, and no `--`): option names are written
/// into SQL, so anything else is refused before they get there.
fn check_option_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        && !name.contains("--");
    if valid {
        Ok(())
    } else {
        Err(DbError::ValueError(format!(
            "Invalid option name: {}.",
            nuages_core::pyrepr::repr_str(name)
        )))
    }
}

impl DynQuerySet {
    /// `explain()`: the database's plan of the query, one line per row.
    pub async fn explain(&self) -> Result<String> {
        self.explain_with(None, &[]).await
    }

    /// Django's `explain(format=..., **options)` with boolean options
    /// (`explain_with(Some("json"), &[("analyze", true)])`): the formats and options of
    /// the backend (PostgreSQL: JSON, TEXT, XML, YAML and `ANALYZE`, `BUFFERS`, `COSTS`,
    /// `GENERIC_PLAN`, `MEMORY`, `SETTINGS`, `SUMMARY`, `TIMING`, `VERBOSE`, `WAL`;
    /// MySQL/MariaDB: JSON, TEXT, TRADITIONAL (TREE on MySQL 8.0.16+, its default) and
    /// `analyze`; SQLite: none), anything else being Django's ValueError. Rows are
    /// joined by newlines and their columns by spaces; with the JSON format every column
    /// is written as `json.dumps` writes it, as in Django. PostgreSQL's string-valued
    /// `serialize` option is not taken.
    pub async fn explain_with(&self, format: Option<&str>, options: &[(&str, bool)]) -> Result<String> {
        for (name, _) in options {
            check_option_name(name)?;
        }
        let vendor = connection::prepare(self.db()).await?;
        let server = connection::mysql_server(self.db());
        let prefix = explain_prefix(vendor, server, format, options)?;
        let Some(c) = self.sql(vendor)? else {
            return Err(DbError::DatabaseError(
                "EXPLAIN of a query that matches nothing".into(),
            ));
        };
        let rows = connection::fetch(self.db(), &format!("{prefix} {}", c.sql), &c.params).await?;
        let json = format.is_some_and(|f| f.eq_ignore_ascii_case("json"));
        let lines: Vec<String> = rows
            .into_iter()
            .map(|r| {
                r.into_values()
                    .into_iter()
                    .map(|v| match (json, v) {
                        (true, crate::Value::Json(j)) => crate::serializers::encode::dumps(&j, None),
                        (true, crate::Value::Text(s)) => {
                            crate::serializers::encode::dumps(&serde_json::Value::String(s), None)
                        }
                        (_, v) => super::lookups::py_str(&v),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        Ok(lines.join("\n"))
    }
}
