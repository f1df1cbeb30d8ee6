//! `showmigrations`: each app's migrations with `[X]`/`[ ]`, or the whole plan
//! (Django's `showmigrations`).

use std::collections::HashSet;

use clap::{Arg, ArgAction, ArgMatches};
use nuages_db::migrations::executor::MigrationExecutor;
use nuages_db::migrations::graph::Key;

use crate::command::{Command, CommandContext};
use crate::commands::migration_support::{applied_at, database_arg, ensure_connection};
use crate::error::{CommandError, Result};

/// Django's `showmigrations` command.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShowMigrations;

#[async_trait::async_trait]
impl Command for ShowMigrations {
    fn name(&self) -> &str {
        "showmigrations"
    }

    fn help(&self) -> &str {
        "Shows all available migrations for the current project"
    }

    fn arguments(&self, cmd: clap::Command) -> clap::Command {
        cmd.arg(
            Arg::new("app_label")
                .num_args(0..)
                .value_name("app_label")
                .help("App labels of applications to limit the output to."),
        )
        .arg(database_arg("Nominates a database to show migrations for. Defaults to the \"default\" database."))
        .arg(
            Arg::new("list")
                .long("list")
                .short('l')
                .action(ArgAction::SetTrue)
                .conflicts_with("plan")
                .help("Shows a list of all migrations and which are applied. With a verbosity level of 2 or above, the applied datetimes will be included."),
        )
        .arg(
            Arg::new("plan")
                .long("plan")
                .short('p')
                .action(ArgAction::SetTrue)
                .help("Shows all migrations in the order they will be applied. With a verbosity level of 2 or above all direct migration dependencies will be included."),
        )
    }

    async fn handle(&self, ctx: &CommandContext, args: &ArgMatches) -> Result<()> {
        let alias = args
            .get_one::<String>("database")
            .map(String::as_str)
            .unwrap_or("default");
        let app_names: Vec<String> = args
            .get_many::<String>("app_label")
            .map(|v| v.cloned().collect())
            .unwrap_or_default();
        let mut bad = false;
        for app in &app_names {
            if let Err(e) = ctx.apps.get_app_config(app) {
                ctx.stderr.write(&e.to_string())?;
                bad = true;
            }
        }
        if bad {
            return Err(CommandError::Exit(2));
        }
        let graph = ctx.apps.migration_graph()?;
        ensure_connection(ctx, alias)?;
        let executor = MigrationExecutor::new(alias, &graph);
        let recorded: HashSet<Key> = executor.recorded().await?;
        let graph = graph.with_applied(&recorded)?;
        let applied: HashSet<Key> = graph.applied_with_replacements(&recorded);
        let style = &ctx.style;
        if args.get_flag("plan") {
            let targets: Vec<Key> = graph
                .leaf_nodes(None)
                .into_iter()
                .filter(|k| app_names.is_empty() || app_names.contains(&k.0))
                .collect();
            let mut plan: Vec<Key> = Vec::new();
            for target in targets {
                for key in graph.forwards_plan(&target)? {
                    if !plan.contains(&key) {
                        plan.push(key);
                    }
                }
            }
            for key in &plan {
                let mut deps = String::new();
                if ctx.verbosity >= 2 {
                    if let Some(m) = graph.get(key) {
                        let mut parents: Vec<String> =
                            m.dependencies.iter().map(|(a, n)| format!("{a}.{n}")).collect();
                        parents.sort();
                        if !parents.is_empty() {
                            deps = format!(" ... ({})", parents.join(", "));
                        }
                    }
                }
                let mark = if applied.contains(key) { "[X]" } else { "[ ]" };
                ctx.stdout.write(&format!("{mark}  {}.{}{deps}", key.0, key.1))?;
            }
            if plan.is_empty() {
                ctx.stdout.write(&style.error("(no migrations)"))?;
            }
            return Ok(());
        }
        let app_names: Vec<String> = if app_names.is_empty() {
            ctx.apps.migrated_apps().into_iter().map(str::to_owned).collect()
        } else {
            app_names
        };
        let when = if ctx.verbosity >= 2 {
            applied_at(alias).await?
        } else {
            Default::default()
        };
        for app in &app_names {
            ctx.stdout.write(&style.migrate_label(app))?;
            let mut shown: Vec<Key> = Vec::new();
            for leaf in graph.leaf_nodes(Some(app)) {
                for key in graph.forwards_plan(&leaf)? {
                    if shown.contains(&key) || &key.0 != app {
                        continue;
                    }
                    let mut title = key.1.clone();
                    let replaces = graph.get(&key).map_or(0, |m| m.replaces.len());
                    if replaces > 0 {
                        title.push_str(&format!(" ({replaces} squashed migrations)"));
                    }
                    if applied.contains(&key) && !recorded.contains(&key) {
                        // Django's half-recorded squash: replaced ones applied, squashed not.
                        ctx.stdout.write(&format!(
                            " [-] {title} Run '{} migrate' to finish recording.",
                            ctx.prog_name
                        ))?;
                    } else if applied.contains(&key) {
                        let mut line = format!(" [X] {title}");
                        if let Some(at) = when.get(&key).filter(|w| !w.is_empty()) {
                            line.push_str(&format!(" (applied at {at})"));
                        }
                        ctx.stdout.write(&line)?;
                    } else {
                        ctx.stdout.write(&format!(" [ ] {title}"))?;
                    }
                    shown.push(key);
                }
            }
            if shown.is_empty() {
                ctx.stdout.write(&style.error(" (no migrations)"))?;
            }
        }
        Ok(())
    }
}
