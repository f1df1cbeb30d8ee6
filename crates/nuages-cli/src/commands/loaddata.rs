//! `loaddata`: installs fixtures (Django's `loaddata`): finds each label in the apps'
//! `fixtures` directories and the current directory (or reads stdin for `-`), saves
//! every object in one transaction with constraint checks deferred, checks the foreign
//! keys, then resets PostgreSQL's sequences.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches};
use nuages_db::backends::operations::{
    check_constraints, disable_constraint_checking, enable_constraint_checking, sequence_reset_sql,
};
use nuages_db::serializers::python::deserialize_object;
use nuages_db::serializers::{natural, parse_objects, FORMATS};
use nuages_db::{connection, transaction, DbError, ModelMeta};

use crate::command::{Command, CommandContext};
use crate::commands::fixture_support::{contains, fixture_model, parse_apps_and_model_labels};
use crate::commands::migration_support::{database_arg, ensure_connection};
use crate::error::{CommandError, Result};
use crate::progress::Progress;

/// Django's `loaddata` command.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadData;

/// The label that reads the fixture from standard input.
const READ_STDIN: &str = "-";

/// Django's `humanize(dirname)`.
fn humanize(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        "absolute path".to_owned()
    } else {
        format!("'{}'", dir.display())
    }
}

/// The same error class with Django's prefixed message (`e.args = (...,)`).
fn reword(e: CommandError, prefix: &str) -> CommandError {
    let CommandError::Db(db) = e else {
        return match e {
            CommandError::Io(io) => CommandError::Io(std::io::Error::new(io.kind(), format!("{prefix}{io}"))),
            CommandError::Lookup(m) => CommandError::Lookup(format!("{prefix}{m}")),
            other => other,
        };
    };
    let msg = format!("{prefix}{db}");
    CommandError::Db(match db {
        DbError::IntegrityError(_) => DbError::IntegrityError(msg),
        DbError::ValueError(_) => DbError::ValueError(msg),
        DbError::TypeError(_) => DbError::TypeError(msg),
        DbError::FieldDoesNotExist(_) => DbError::FieldDoesNotExist(msg),
        DbError::FieldError(_) => DbError::FieldError(msg),
        DbError::DeserializationError(_) => DbError::DeserializationError(msg),
        DbError::NotSupportedError(_) => DbError::NotSupportedError(msg),
        _ => DbError::DatabaseError(msg),
    })
}

/// One fixture file found for a label.
struct FixtureFile {
    path: PathBuf,
    dir: PathBuf,
    name: String,
    format: String,
}

struct Loader<'a> {
    ctx: &'a CommandContext,
    alias: &'a str,
    app_label: Option<&'a str>,
    format: Option<&'a str>,
    ignore: bool,
    excluded_models: Vec<&'static ModelMeta>,
    excluded_apps: Vec<String>,
    fixture_count: u64,
    loaded_object_count: u64,
    fixture_object_count: u64,
    models: Vec<&'static ModelMeta>,
}

impl Loader<'_> {
    /// Django's `parse_name`: name, serialization format (compression is not supported).
    fn parse_name(&self, label: &str) -> Result<(String, Option<String>)> {
        if label == READ_STDIN {
            let format = self
                .format
                .ok_or_else(|| CommandError::new("--format must be specified when reading from stdin."))?;
            return Ok((READ_STDIN.to_owned(), Some(format.to_owned())));
        }
        // Only the last dot-separated part can be a format (Django also takes a
        // compression suffix after it, which nuages does not read).
        let parts: Vec<&str> = label.rsplitn(2, '.').collect();
        match parts.as_slice() {
            [ext, name] => {
                if FORMATS.contains(ext) {
                    Ok(((*name).to_owned(), Some((*ext).to_owned())))
                } else {
                    Err(CommandError::new(format!(
                        "Problem installing fixture '{name}': {ext} is not a known serialization format."
                    )))
                }
            }
            _ => Ok((label.to_owned(), None)),
        }
    }

    /// Django's `fixture_dirs`: each app's `fixtures` directory, then the current one.
    fn fixture_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        for app in self.ctx.apps.get_app_configs() {
            if self.app_label.is_some_and(|l| l != app.label) {
                continue;
            }
            if let Some(path) = &app.path {
                let dir = path.join("fixtures");
                if dir.is_dir() {
                    dirs.push(dir);
                }
            }
        }
        dirs.push(PathBuf::from("."));
        dirs.into_iter()
            .map(|d| std::fs::canonicalize(&d).unwrap_or(d))
            .collect()
    }

    /// Django's `find_fixtures`.
    fn find_fixtures(&self, label: &str) -> Result<Vec<FixtureFile>> {
        let (name, format) = self.parse_name(label)?;
        if name == READ_STDIN {
            return Ok(vec![FixtureFile {
                path: PathBuf::from(READ_STDIN),
                dir: PathBuf::new(),
                name,
                format: format.unwrap_or_default(),
            }]);
        }
        if self.ctx.verbosity >= 2 {
            self.ctx.stdout.write(&format!("Loading '{name}' fixtures..."))?;
        }
        let as_path = Path::new(&name);
        let base = as_path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.clone());
        let parent = as_path.parent().filter(|p| !p.as_os_str().is_empty());
        let dirs: Vec<PathBuf> = if as_path.is_absolute() {
            vec![parent.map(Path::to_path_buf).unwrap_or_default()]
        } else {
            let dirs = self.fixture_dirs();
            match parent {
                Some(p) => dirs.into_iter().map(|d| d.join(p)).collect(),
                None => dirs,
            }
        };
        let formats: Vec<&str> = match &format {
            Some(f) => vec![f.as_str()],
            None => FORMATS.to_vec(),
        };
        let mut found = Vec::new();
        for dir in &dirs {
            if self.ctx.verbosity >= 2 {
                self.ctx
                    .stdout
                    .write(&format!("Checking {} for fixtures...", humanize(dir)))?;
            }
            let mut in_dir = Vec::new();
            for db in [Some(self.alias), None] {
                for f in &formats {
                    let file = match db {
                        Some(db) => format!("{base}.{db}.{f}"),
                        None => format!("{base}.{f}"),
                    };
                    let path = dir.join(&file);
                    if path.is_file() {
                        in_dir.push(FixtureFile {
                            path,
                            dir: dir.clone(),
                            name: base.clone(),
                            format: (*f).to_owned(),
                        });
                    }
                }
            }
            if self.ctx.verbosity >= 2 && in_dir.is_empty() {
                self.ctx
                    .stdout
                    .write(&format!("No fixture '{base}' in {}.", humanize(dir)))?;
            }
            if in_dir.len() > 1 {
                return Err(CommandError::new(format!(
                    "Multiple fixtures named '{base}' in {}. Aborting.",
                    humanize(dir)
                )));
            }
            found.extend(in_dir);
        }
        if found.is_empty() {
            return Err(CommandError::new(format!("No fixture named '{base}' found.")));
        }
        Ok(found)
    }

    /// Django's `load_label`.
    async fn load_label(&mut self, label: &str) -> Result<()> {
        let ctx = self.ctx;
        for fixture in self.find_fixtures(label)? {
            self.fixture_count += 1;
            if ctx.verbosity >= 2 {
                ctx.stdout.write(&format!(
                    "Installing {} fixture '{}' from {}.",
                    fixture.format,
                    fixture.name,
                    humanize(&fixture.dir)
                ))?;
            }
            let problem = format!("Problem installing fixture '{}': ", fixture.path.display());
            let (objects, loaded) = self.load_file(&fixture).await.map_err(|e| reword(e, &problem))?;
            self.loaded_object_count += loaded;
            self.fixture_object_count += objects;
            if objects == 0 {
                ctx.stderr.write(&format!(
                    "RuntimeWarning: No fixture data found for '{}'. (File format may be invalid.)",
                    fixture.name
                ))?;
            }
        }
        Ok(())
    }

    /// Reads and saves one fixture: (objects in it, objects saved).
    async fn load_file(&mut self, fixture: &FixtureFile) -> Result<(u64, u64)> {
        let ctx = self.ctx;
        let mut text = String::new();
        if fixture.path == Path::new(READ_STDIN) {
            std::io::stdin().read_to_string(&mut text)?;
        } else {
            text = std::fs::read_to_string(&fixture.path)?;
        }
        let apps = &ctx.apps;
        let lookup = |l: &str| fixture_model(apps, l);
        let objects = parse_objects(&fixture.format, &text)?;
        let total = objects.len() as u64;
        // A bar on a terminal; Django's "Processed N object(s)." at verbosity 3 otherwise.
        let terminal = ctx.stdout.is_terminal();
        let mut bar = (terminal && ctx.verbosity >= 1)
            .then(|| Progress::for_command(ctx, "Installing objects", Some(total)));
        let lines = !terminal && ctx.verbosity >= 3;
        let mut loaded = 0;
        for mut json in objects {
            // Natural keys are resolved object by object, after the earlier ones are
            // saved, as Django's lazy deserializer does.
            natural::resolve(self.alias, &mut json, &lookup).await?;
            let mut obj = deserialize_object(&json, &lookup, self.ignore)?;
            if self.excluded_apps.iter().any(|a| a == obj.meta.app_label)
                || contains(&self.excluded_models, obj.meta)
            {
                continue;
            }
            if !contains(&self.models, obj.meta) {
                self.models.push(obj.meta);
            }
            let shown_pk = obj.pk.clone();
            obj.save(self.alias).await.map_err(|e| {
                let pk = match &shown_pk {
                    nuages_db::Value::Null => "None".to_owned(),
                    nuages_db::Value::Int(i) => i.to_string(),
                    nuages_db::Value::Text(s) => s.clone(),
                    other => format!("{other:?}"),
                };
                reword(
                    CommandError::Db(e),
                    &format!("Could not load {}(pk={pk}): ", obj.label()),
                )
            })?;
            loaded += 1;
            if let Some(b) = bar.as_mut() {
                b.inc(1);
            }
            if lines {
                ctx.stdout
                    .write_raw(&format!("\rProcessed {loaded} object(s)."))?;
            }
        }
        if let Some(b) = bar {
            b.finish();
        }
        if lines && total > 0 {
            ctx.stdout.write("")?;
        }
        Ok((total, loaded))
    }

    /// Django's `loaddata()` body, inside the transaction.
    async fn load(&mut self, labels: &[String]) -> Result<()> {
        let disabled = disable_constraint_checking(self.alias).await?;
        let mut result = Ok(());
        for label in labels {
            result = self.load_label(label).await;
            if result.is_err() {
                break;
            }
        }
        // Re-enabled on failure too: the session setting outlives the transaction.
        enable_constraint_checking(self.alias, disabled).await?;
        result?;
        check_constraints(self.alias, &self.models)
            .await
            .map_err(|e| reword(CommandError::Db(e), "Problem installing fixtures: "))?;
        if self.loaded_object_count > 0 {
            let vendor = connection::vendor(self.alias)?;
            let sql = sequence_reset_sql(vendor, &self.models);
            if !sql.is_empty() {
                if self.ctx.verbosity >= 2 {
                    self.ctx.stdout.write("Resetting sequences")?;
                }
                for s in sql {
                    connection::fetch(self.alias, &s, &[]).await?;
                }
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Command for LoadData {
    fn name(&self) -> &str {
        "loaddata"
    }

    fn help(&self) -> &str {
        "Installs the named fixture(s) in the database."
    }

    fn arguments(&self, cmd: clap::Command) -> clap::Command {
        cmd.arg(
            Arg::new("fixture")
                .num_args(1..)
                .required(true)
                .help("Fixture labels."),
        )
        .arg(database_arg(
            "Nominates a specific database to load fixtures into. Defaults to the \"default\" database.",
        ))
        .arg(
            Arg::new("app_label")
                .long("app")
                .help("Only look for fixtures in the specified app."),
        )
        .arg(
            Arg::new("ignore")
                .short('i')
                .long("ignorenonexistent")
                .action(ArgAction::SetTrue)
                .help("Ignores entries in the serialized data for fields that do not currently exist on the model."),
        )
        .arg(
            Arg::new("exclude")
                .short('e')
                .long("exclude")
                .action(ArgAction::Append)
                .help("An app_label or app_label.ModelName to exclude. Can be used multiple times."),
        )
        .arg(
            Arg::new("format")
                .long("format")
                .help("Format of serialized data when reading from stdin."),
        )
    }

    async fn handle(&self, ctx: &CommandContext, args: &ArgMatches) -> Result<()> {
        let labels: Vec<String> = args
            .get_many::<String>("fixture")
            .map(|v| v.cloned().collect())
            .unwrap_or_default();
        let excludes: Vec<String> = args
            .get_many::<String>("exclude")
            .map(|v| v.cloned().collect())
            .unwrap_or_default();
        let alias = args
            .get_one::<String>("database")
            .map(String::as_str)
            .unwrap_or("default");
        let (excluded_models, excluded_apps) = parse_apps_and_model_labels(&ctx.apps, &excludes)?;
        let mut loader = Loader {
            ctx,
            alias,
            app_label: args.get_one::<String>("app_label").map(String::as_str),
            format: args.get_one::<String>("format").map(String::as_str),
            ignore: args.get_flag("ignore"),
            excluded_models,
            excluded_apps,
            fixture_count: 0,
            loaded_object_count: 0,
            fixture_object_count: 0,
            models: Vec::new(),
        };
        ensure_connection(ctx, alias)?;
        transaction::atomic_using(alias, || loader.load(&labels)).await?;
        if ctx.verbosity >= 1 {
            let line = if loader.fixture_object_count == loader.loaded_object_count {
                format!(
                    "Installed {} object(s) from {} fixture(s)",
                    loader.loaded_object_count, loader.fixture_count
                )
            } else {
                format!(
                    "Installed {} object(s) (of {}) from {} fixture(s)",
                    loader.loaded_object_count, loader.fixture_object_count, loader.fixture_count
                )
            };
            ctx.stdout.write(&line)?;
        }
        Ok(())
    }
}
