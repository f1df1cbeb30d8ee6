//! `sqlmigrate`: prints the SQL a migration runs on the selected database's backend
//! (Django's `sqlmigrate`), wrapped in `BEGIN;`/`COMMIT;` when the migration is atomic
//! and the backend can roll DDL back.

use clap::{Arg, ArgAction, ArgMatches};
use nuages_db::migrations::executor::MigrationExecutor;
use nuages_db::schema::{dialect, Vendor};

use crate::command::{Command, CommandContext};
use crate::commands::migration_support::{database_arg, migration_by_prefix};
use crate::error::{CommandError, Result};

/// Django's `sqlmigrate` command.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqlMigrate;

#[async_trait::async_trait]
impl Command for SqlMigrate {
    fn name(&self) -> &str {
        "sqlmigrate"
    }

    fn help(&self) -> &str {
        "Prints the SQL statements for the named migration."
    }

    fn arguments(&self, cmd: clap::Command) -> clap::Command {
        cmd.arg(
            Arg::new("app_label")
                .required(true)
                .help("App label of the application containing the migration."),
        )
        .arg(
            Arg::new("migration_name")
                .required(true)
                .help("Migration name to print the SQL for."),
        )
        .arg(database_arg(
            "Nominates a database to create SQL for. Defaults to the \"default\" database.",
        ))
        .arg(
            Arg::new("backwards")
                .long("backwards")
                .action(ArgAction::SetTrue)
                .help("Creates SQL to unapply the migration, rather than to apply it"),
        )
    }

    async fn handle(&self, ctx: &CommandContext, args: &ArgMatches) -> Result<()> {
        let alias = args
            .get_one::<String>("database")
            .map(String::as_str)
            .unwrap_or("default");
        let app_label = args
            .get_one::<String>("app_label")
            .map(String::as_str)
            .unwrap_or_default();
        let name = args
            .get_one::<String>("migration_name")
            .map(String::as_str)
            .unwrap_or_default();
        ctx.apps
            .get_app_config(app_label)
            .map_err(|e| CommandError::new(e.to_string()))?;
        if !ctx.apps.migrated_apps().contains(&app_label) {
            return Err(CommandError::new(format!(
                "App '{app_label}' does not have migrations"
            )));
        }
        // Every migration as written, squashed and replaced ones alike (Django's
        // `replace_migrations=False`), unless replaced files were already deleted.
        let resolved = ctx.apps.migration_graph()?;
        let graph = resolved.unreplaced().unwrap_or(resolved);
        let key = migration_by_prefix(&graph, app_label, name, " Is it in INSTALLED_APPS?")?;
        // The SQL depends only on the backend, so no connection is opened.
        let vendor = Vendor::from_url(&ctx.settings.database(alias)?.url)?;
        let statements =
            MigrationExecutor::new(alias, &graph).sql_for(vendor, &key, args.get_flag("backwards"))?;
        let statements: Vec<String> = statements
            .into_iter()
            .map(|s| {
                if s.starts_with("--") || s.trim_end().ends_with(';') {
                    s
                } else {
                    format!("{s};")
                }
            })
            .collect();
        if statements.is_empty() {
            if ctx.verbosity >= 1 {
                ctx.stderr.write("No operations found.")?;
            }
            return Ok(());
        }
        // sqlmigrate never colours its output (Django forces no_color).
        let output = statements.join("\n");
        let atomic = graph.get(&key).is_some_and(|m| m.atomic);
        if atomic && dialect::can_rollback_ddl(vendor) {
            ctx.stdout.write(&format!("BEGIN;\n{output}\nCOMMIT;"))?;
        } else {
            ctx.stdout.write(&output)?;
        }
        Ok(())
    }
}
