//! `dumpdata`: writes the database's rows as a fixture (Django's `dumpdata`), through
//! `nuages_db::serializers`.

use std::io::Write;

use clap::{Arg, ArgAction, ArgMatches};
use nuages_db::serializers::dependencies::sort_dependencies;
use nuages_db::serializers::python::{dump_model, dump_queryset};
use nuages_db::serializers::{JsonSerializer, FORMATS};
use nuages_db::{DbError, ModelMeta};

use crate::command::{Command, CommandContext};
use crate::commands::fixture_support::{contains, parse_apps_and_model_labels};
use crate::commands::migration_support::{database_arg, ensure_connection};
use crate::error::{CommandError, Result};
use crate::progress::Progress;

/// Django's `dumpdata` command.
#[derive(Debug, Clone, Copy, Default)]
pub struct DumpData;

/// Where the fixture goes: the command's stdout, or a file (`-o`).
enum Sink<'a> {
    Stdout(&'a crate::output::Output),
    File(std::io::BufWriter<std::fs::File>),
}

impl Sink<'_> {
    fn write(&mut self, s: &str) -> std::io::Result<()> {
        match self {
            Sink::Stdout(out) => out.write_raw(s),
            Sink::File(f) => f.write_all(s.as_bytes()),
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(_) => Ok(()),
            Sink::File(mut f) => f.flush(),
        }
    }
}

/// The models to dump, in Django's order: apps as listed (or as installed), models in
/// registration order, `--exclude` applied.
fn selected_models(
    ctx: &CommandContext,
    labels: &[String],
    excludes: &[String],
    pks: bool,
) -> Result<Vec<&'static ModelMeta>> {
    let (excluded_models, excluded_apps) = parse_apps_and_model_labels(&ctx.apps, excludes)?;
    let one_model = || CommandError::new("You can only use --pks option with one model");
    // (app label, None for all its models or the listed ones)
    let mut app_list: Vec<(String, Option<Vec<&'static ModelMeta>>)> = Vec::new();
    if labels.is_empty() {
        if pks {
            return Err(one_model());
        }
        for app in ctx.apps.get_app_configs() {
            if !app.models.is_empty() && !excluded_apps.contains(&app.label) {
                app_list.push((app.label.clone(), None));
            }
        }
    } else {
        if labels.len() > 1 && pks {
            return Err(one_model());
        }
        for label in labels {
            let (app_label, model_label) = match label.split_once('.') {
                Some((a, m)) if !m.contains('.') => (a, Some(m)),
                _ => (label.as_str(), None),
            };
            if model_label.is_none() && pks {
                return Err(one_model());
            }
            let app = ctx
                .apps
                .get_app_config(app_label)
                .map_err(|e| CommandError::new(e.to_string()))?;
            if app.models.is_empty() || excluded_apps.contains(&app.label) {
                continue;
            }
            let pos = app_list.iter().position(|(l, _)| *l == app.label);
            match model_label {
                Some(m) => {
                    let meta = app
                        .get_model(m)
                        .map_err(|_| CommandError::new(format!("Unknown model: {app_label}.{m}")))?;
                    match pos {
                        Some(i) => {
                            if let Some(list) = &mut app_list[i].1 {
                                if !contains(list, meta) {
                                    list.push(meta);
                                }
                            }
                        }
                        None => app_list.push((app.label.clone(), Some(vec![meta]))),
                    }
                }
                None => match pos {
                    Some(i) => app_list[i].1 = None,
                    None => app_list.push((app.label.clone(), None)),
                },
            }
        }
    }
    let mut models = Vec::new();
    for (label, list) in app_list {
        let list = match list {
            Some(l) => l,
            None => ctx.apps.get_app_config(&label)?.models.clone(),
        };
        models.extend(list.into_iter().filter(|m| !contains(&excluded_models, m)));
    }
    Ok(models)
}

#[async_trait::async_trait]
impl Command for DumpData {
    fn name(&self) -> &str {
        "dumpdata"
    }

    fn help(&self) -> &str {
        "Output the contents of the database as a fixture of the given format."
    }

    fn arguments(&self, cmd: clap::Command) -> clap::Command {
        cmd.arg(
            Arg::new("app_label")
                .value_name("app_label[.ModelName]")
                .num_args(0..)
                .help("Restricts dumped data to the specified app_label or app_label.ModelName."),
        )
        .arg(
            Arg::new("format")
                .long("format")
                .default_value("json")
                .help("Specifies the output serialization format for fixtures."),
        )
        .arg(
            Arg::new("indent")
                .long("indent")
                .value_parser(clap::value_parser!(usize))
                .help("Specifies the indent level to use when pretty-printing output."),
        )
        .arg(database_arg(
            "Nominates a specific database to dump fixtures from. Defaults to the \"default\" database.",
        ))
        .arg(
            Arg::new("exclude")
                .short('e')
                .long("exclude")
                .action(ArgAction::Append)
                .help("An app_label or app_label.ModelName to exclude (use multiple --exclude to exclude multiple apps/models)."),
        )
        .arg(
            Arg::new("use_base_manager")
                .short('a')
                .long("all")
                .action(ArgAction::SetTrue)
                .help("Use Django's base manager to dump all models stored in the database, including those that would otherwise be filtered or modified by a custom manager."),
        )
        .arg(
            Arg::new("natural_foreign")
                .long("natural-foreign")
                .action(clap::ArgAction::SetTrue)
                .help("Use natural foreign keys if they are available."),
        )
        .arg(
            Arg::new("natural_primary")
                .long("natural-primary")
                .action(clap::ArgAction::SetTrue)
                .help("Use natural primary keys if they are available."),
        )
        .arg(
            Arg::new("primary_keys")
                .long("pks")
                .help("Only dump objects with given primary keys. Accepts a comma-separated list of keys. This option only works when you specify one model."),
        )
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .help("Specifies file to which the output is written."),
        )
    }

    async fn handle(&self, ctx: &CommandContext, args: &ArgMatches) -> Result<()> {
        let strings = |name: &str| -> Vec<String> {
            args.get_many::<String>(name)
                .map(|v| v.cloned().collect())
                .unwrap_or_default()
        };
        let format = args
            .get_one::<String>("format")
            .map(String::as_str)
            .unwrap_or("json");
        let indent = args.get_one::<usize>("indent").copied();
        let alias = args
            .get_one::<String>("database")
            .map(String::as_str)
            .unwrap_or("default");
        let pks: Option<Vec<String>> = args
            .get_one::<String>("primary_keys")
            .filter(|s| !s.is_empty())
            .map(|s| s.split(',').map(str::to_owned).collect());
        let output = args.get_one::<String>("output");
        let use_base_manager = args.get_flag("use_base_manager");
        let queryset = |meta: &'static ModelMeta| dump_queryset(meta, use_base_manager, pks.as_deref());
        let natural = nuages_db::serializers::natural::NaturalOptions {
            foreign: args.get_flag("natural_foreign"),
            primary: args.get_flag("natural_primary"),
        };
        let mut models = selected_models(ctx, &strings("app_label"), &strings("exclude"), pks.is_some())?;
        if natural.foreign {
            // Models referenced by natural key first, so the fixture loads in order.
            models = sort_dependencies(&models, true)?;
        }
        if !FORMATS.contains(&format) {
            return Err(CommandError::new(format!(
                "Unknown serialization format: {format}"
            )));
        }
        ensure_connection(ctx, alias)?;
        let unable =
            |e: &dyn std::fmt::Display| CommandError::new(format!("Unable to serialize database: {e}"));

        // Progress only when the fixture goes to a file: stdout carries the data.
        let mut progress = match output {
            Some(_) if ctx.verbosity > 0 => {
                let mut total = 0;
                for meta in &models {
                    total += queryset(meta)
                        .using(alias)
                        .count()
                        .await
                        .map_err(|e| unable(&e))?;
                }
                Some(Progress::for_command(ctx, "Dumping objects", Some(total)))
            }
            _ => None,
        };
        let mut sink = match output {
            Some(path) => Sink::File(std::io::BufWriter::new(
                std::fs::File::create(path).map_err(|e| unable(&e))?,
            )),
            None => Sink::Stdout(&ctx.stdout),
        };
        let mut ser = JsonSerializer::new(format, indent)?;
        sink.write(&ser.start()).map_err(|e| unable(&e))?;
        for meta in models {
            let mut chunk = String::new();
            let mut n = 0;
            dump_model(alias, meta, &queryset(meta), natural, |obj| {
                chunk.push_str(&ser.object(&obj));
                n += 1;
                Ok::<(), DbError>(())
            })
            .await
            .map_err(|e| unable(&e))?;
            sink.write(&chunk).map_err(|e| unable(&e))?;
            if let Some(p) = progress.as_mut() {
                p.inc(n);
            }
        }
        sink.write(&ser.end()).map_err(|e| unable(&e))?;
        sink.finish().map_err(|e| unable(&e))?;
        if let Some(p) = progress {
            p.finish();
        }
        Ok(())
    }
}
