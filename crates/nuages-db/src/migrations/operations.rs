//! Migration operations: Django's `django.db.migrations.operations`.
//!
//! Each operation knows three things, as in Django: how it changes the project state
//! (`state_forwards`), the DDL that makes the database follow (`database_forwards`), and
//! the DDL that undoes it (`database_backwards`, given the states after and before).
//! DDL goes through the pure [`SchemaEditor`], so `sqlmigrate` and `migrate` share it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::error::{DbError, Result};
use crate::migrations::state::{
    ConstraintState, FieldState, IndexState, ManagerState, ModelOptions, ModelState, ProjectState,
};
use crate::schema::SchemaEditor;

/// What a [`Operation::RunRust`] function receives: the alias it runs on and the
/// historical models at that point (Django's `apps` argument).
#[derive(Debug, Clone)]
pub struct RunRustContext {
    pub alias: String,
    pub state: ProjectState,
}

/// The future a data migration function returns.
pub type RunRustFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// A data migration function (Django's `RunPython` code).
pub type RunRustFn = fn(RunRustContext) -> RunRustFuture;

/// One schema or data change. Model names are class names (`"Book"`), matched
/// case-insensitively within the migration's app, as Django does.
#[derive(Clone)]
pub enum Operation {
    /// Creates a model (and its auto-created many-to-many tables).
    CreateModel(ModelState),
    DeleteModel {
        name: String,
    },
    RenameModel {
        old_name: String,
        new_name: String,
    },
    /// `table: None` goes back to Django's default `<app_label>_<model_name>`.
    AlterModelTable {
        name: String,
        table: Option<String>,
    },
    /// `Meta.db_table_comment` changes (Django's `AlterModelTableComment`); `None` removes
    /// the comment.
    AlterModelTableComment {
        name: String,
        table_comment: Option<String>,
    },
    /// Options without a schema effect (ordering, verbose names, permissions...).
    AlterModelOptions {
        name: String,
        options: ModelOptions,
    },
    /// The managers recorded for a model (Django's `AlterModelManagers`); no schema effect.
    AlterModelManagers {
        name: String,
        managers: Vec<ManagerState>,
    },
    /// `preserve_default: false` means the default was a one-off for existing rows.
    AddField {
        model_name: String,
        field: FieldState,
        preserve_default: bool,
    },
    RemoveField {
        model_name: String,
        name: String,
    },
    /// `preserve_default: false` means the default was a one-off, given to fill the NULLs
    /// of a column becoming NOT NULL.
    AlterField {
        model_name: String,
        field: FieldState,
        preserve_default: bool,
    },
    RenameField {
        model_name: String,
        old_name: String,
        new_name: String,
    },
    AddIndex {
        model_name: String,
        index: IndexState,
    },
    RemoveIndex {
        model_name: String,
        name: String,
    },
    RenameIndex {
        model_name: String,
        old_name: String,
        new_name: String,
    },
    AddConstraint {
        model_name: String,
        constraint: ConstraintState,
    },
    RemoveConstraint {
        model_name: String,
        name: String,
    },
    AlterUniqueTogether {
        name: String,
        unique_together: Vec<Vec<String>>,
    },
    /// Raw SQL; `reverse_sql: None` makes the migration irreversible.
    /// `elidable: true` lets `squashmigrations` drop it (Django's `elidable`).
    RunSQL {
        sql: Vec<String>,
        reverse_sql: Option<Vec<String>>,
        elidable: bool,
    },
    /// A data migration; `backward: None` makes the migration irreversible.
    /// `elidable: true` lets `squashmigrations` drop it (Django's `elidable`).
    RunRust {
        forward: RunRustFn,
        backward: Option<RunRustFn>,
        elidable: bool,
    },
    /// Database operations and state operations that differ.
    SeparateDatabaseAndState {
        database_operations: Vec<Operation>,
        state_operations: Vec<Operation>,
    },
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

fn key(app_label: &str, name: &str) -> String {
    format!("{app_label}.{name}").to_lowercase()
}

fn irreversible(op: &Operation) -> DbError {
    DbError::NotSupportedError(format!("Operation {} is not reversible", op.describe()))
}

fn model_field<'a>(
    state: &'a ProjectState,
    app_label: &str,
    model: &str,
    field: &str,
) -> Result<(&'a ModelState, &'a FieldState)> {
    let m = state.model(&key(app_label, model))?;
    Ok((m, m.get_field(field)?))
}

impl Operation {
    /// Django's `describe()`: the line `sqlmigrate` and `migrate` print.
    pub fn describe(&self) -> String {
        match self {
            Operation::CreateModel(m) => format!("Create model {}", m.name),
            Operation::DeleteModel { name } => format!("Delete model {name}"),
            Operation::RenameModel { old_name, new_name } => format!("Rename model {old_name} to {new_name}"),
            Operation::AlterModelTable { name, table } => {
                format!(
                    "Rename table for {name} to {}",
                    table.as_deref().unwrap_or("(default)")
                )
            }
            Operation::AlterModelTableComment { name, .. } => format!("Alter {name} table comment"),
            Operation::AlterModelOptions { name, .. } => format!("Change Meta options on {name}"),
            Operation::AlterModelManagers { name, .. } => format!("Change managers on {name}"),
            Operation::AddField {
                model_name, field, ..
            } => format!("Add field {} to {model_name}", field.name),
            Operation::RemoveField { model_name, name } => format!("Remove field {name} from {model_name}"),
            Operation::AlterField {
                model_name, field, ..
            } => {
                format!("Alter field {} on {model_name}", field.name)
            }
            Operation::RenameField {
                model_name,
                old_name,
                new_name,
            } => {
                format!("Rename field {old_name} on {model_name} to {new_name}")
            }
            Operation::AddIndex { model_name, index } => {
                format!(
                    "Create index {} on field(s) {} of model {model_name}",
                    index.name,
                    index.fields.join(", ")
                )
            }
            Operation::RemoveIndex { model_name, name } => format!("Remove index {name} from {model_name}"),
            Operation::RenameIndex {
                model_name,
                old_name,
                new_name,
            } => {
                format!("Rename index {old_name} on {model_name} to {new_name}")
            }
            Operation::AddConstraint {
                model_name,
                constraint,
            } => {
                format!("Create constraint {} on model {model_name}", constraint.name())
            }
            Operation::RemoveConstraint { model_name, name } => {
                format!("Remove constraint {name} from model {model_name}")
            }
            Operation::AlterUniqueTogether {
                name,
                unique_together,
            } => {
                format!(
                    "Alter unique_together for {name} ({} constraint(s))",
                    unique_together.len()
                )
            }
            Operation::RunSQL { .. } => "Raw SQL operation".into(),
            Operation::RunRust { .. } => "Raw Rust operation".into(),
            Operation::SeparateDatabaseAndState { .. } => "Custom state/database change combination".into(),
        }
    }

    /// Django's `migration_name_fragment` (used to name auto-generated migrations).
    pub fn migration_name_fragment(&self) -> Option<String> {
        let l = |s: &str| s.to_lowercase();
        Some(match self {
            Operation::CreateModel(m) => l(&m.name),
            Operation::DeleteModel { name } => format!("delete_{}", l(name)),
            Operation::RenameModel { old_name, new_name } => {
                format!("rename_{}_{}", l(old_name), l(new_name))
            }
            Operation::AlterModelTable { name, .. } => format!("alter_{}_table", l(name)),
            Operation::AlterModelTableComment { name, .. } => format!("alter_{}_table_comment", l(name)),
            Operation::AlterModelOptions { name, .. } => format!("alter_{}_options", l(name)),
            Operation::AlterModelManagers { name, .. } => format!("alter_{}_managers", l(name)),
            Operation::AddField {
                model_name, field, ..
            } => format!("{}_{}", l(model_name), l(&field.name)),
            Operation::RemoveField { model_name, name } => format!("remove_{}_{}", l(model_name), l(name)),
            Operation::AlterField {
                model_name, field, ..
            } => {
                format!("alter_{}_{}", l(model_name), l(&field.name))
            }
            Operation::RenameField {
                model_name,
                old_name,
                new_name,
            } => {
                format!("rename_{}_{}_{}", l(old_name), l(model_name), l(new_name))
            }
            Operation::AddIndex { model_name, index } => format!("{}_{}", l(model_name), l(&index.name)),
            Operation::RemoveIndex { model_name, name } => format!("remove_{}_{}", l(model_name), l(name)),
            Operation::RenameIndex {
                model_name: _,
                old_name,
                new_name,
            } => {
                format!("rename_{}_{}", l(old_name), l(new_name))
            }
            Operation::AddConstraint {
                model_name,
                constraint,
            } => {
                format!("{}_{}", l(model_name), l(constraint.name()))
            }
            Operation::RemoveConstraint { model_name, name } => {
                format!("remove_{}_{}", l(model_name), l(name))
            }
            Operation::AlterUniqueTogether { name, .. } => format!("alter_{}_unique_together", l(name)),
            Operation::RunSQL { .. }
            | Operation::RunRust { .. }
            | Operation::SeparateDatabaseAndState { .. } => return None,
        })
    }

    /// Django's `Operation.elidable`: a data operation that a squashed migration may drop
    /// (it only mattered for the rows of its time).
    pub fn elidable(&self) -> bool {
        matches!(
            self,
            Operation::RunSQL { elidable: true, .. } | Operation::RunRust { elidable: true, .. }
        )
    }

    /// Whether `database_backwards` can undo the operation.
    pub fn reversible(&self) -> bool {
        match self {
            Operation::RunSQL { reverse_sql, .. } => reverse_sql.is_some(),
            Operation::RunRust { backward, .. } => backward.is_some(),
            Operation::SeparateDatabaseAndState {
                database_operations, ..
            } => database_operations.iter().all(Operation::reversible),
            _ => true,
        }
    }

    /// Applies the operation to `state` (Django's `state_forwards`).
    pub fn state_forwards(&self, app_label: &str, state: &mut ProjectState) -> Result<()> {
        match self {
            Operation::CreateModel(m) => {
                let mut m = m.clone();
                m.app_label = app_label.to_owned();
                state.add_model(m);
            }
            Operation::DeleteModel { name } => {
                state
                    .remove_model(&key(app_label, name))
                    .ok_or_else(|| no_model(app_label, name))?;
            }
            Operation::RenameModel { old_name, new_name } => {
                let old_key = key(app_label, old_name);
                let new_key = key(app_label, new_name);
                let m = state.model_mut(&old_key)?;
                let default_table = format!("{}_{}", app_label, old_name.to_lowercase());
                m.name = new_name.clone();
                if m.db_table == default_table {
                    m.db_table = format!("{}_{}", app_label, new_name.to_lowercase());
                }
                // Repoint relations at the renamed model.
                for model in &mut state.models {
                    for f in &mut model.fields {
                        if let Some(r) = f.relation.as_mut() {
                            if r.to == old_key {
                                r.to = new_key.clone();
                            }
                            if r.through.as_deref() == Some(old_key.as_str()) {
                                r.through = Some(new_key.clone());
                            }
                        }
                    }
                }
            }
            Operation::AlterModelTable { name, table } => {
                let m = state.model_mut(&key(app_label, name))?;
                m.db_table = table
                    .clone()
                    .unwrap_or_else(|| format!("{}_{}", app_label, name.to_lowercase()));
            }
            Operation::AlterModelTableComment { name, table_comment } => {
                state.model_mut(&key(app_label, name))?.db_table_comment = table_comment.clone();
            }
            Operation::AlterModelOptions { name, options } => {
                state.model_mut(&key(app_label, name))?.options = options.clone();
            }
            Operation::AlterModelManagers { name, managers } => {
                state.model_mut(&key(app_label, name))?.managers = managers.clone();
            }
            Operation::AddField {
                model_name,
                field,
                preserve_default,
            } => {
                let m = state.model_mut(&key(app_label, model_name))?;
                if m.field(&field.name).is_some() {
                    return Err(DbError::FieldError(format!(
                        "{} already has a field named '{}'",
                        m.name, field.name
                    )));
                }
                let mut field = field.clone();
                if !preserve_default {
                    field.default = None;
                }
                m.fields.push(field);
            }
            Operation::RemoveField { model_name, name } => {
                let m = state.model_mut(&key(app_label, model_name))?;
                m.get_field(name)?;
                m.fields.retain(|f| f.name != *name);
                for ut in &mut m.unique_together {
                    ut.retain(|f| f != name);
                }
                m.unique_together.retain(|ut| !ut.is_empty());
            }
            Operation::AlterField {
                model_name,
                field,
                preserve_default,
            } => {
                let m = state.model_mut(&key(app_label, model_name))?;
                let slot = m
                    .fields
                    .iter_mut()
                    .find(|f| f.name == field.name)
                    .ok_or_else(|| {
                        DbError::FieldError(format!("{} has no field named '{}'", model_name, field.name))
                    })?;
                *slot = field.clone();
                if !preserve_default {
                    slot.default = None;
                }
            }
            Operation::RenameField {
                model_name,
                old_name,
                new_name,
            } => {
                let m = state.model_mut(&key(app_label, model_name))?;
                let f = m.fields.iter_mut().find(|f| f.name == *old_name).ok_or_else(|| {
                    DbError::FieldError(format!("{model_name} has no field named '{old_name}'"))
                })?;
                let default_column = if f.is_foreign_key() {
                    format!("{old_name}_id")
                } else {
                    old_name.clone()
                };
                if f.column == default_column {
                    f.column = if f.is_foreign_key() {
                        format!("{new_name}_id")
                    } else {
                        new_name.clone()
                    };
                }
                f.name = new_name.clone();
                let rename = |s: &mut String| {
                    if s == old_name {
                        *s = new_name.clone();
                    } else if s.strip_prefix('-') == Some(old_name.as_str()) {
                        *s = format!("-{new_name}");
                    }
                };
                m.unique_together.iter_mut().flatten().for_each(rename);
                m.indexes
                    .iter_mut()
                    .flat_map(|i| i.fields.iter_mut().chain(i.include.iter_mut()))
                    .for_each(rename);
                for c in &mut m.constraints {
                    if let ConstraintState::Unique { fields, .. } = c {
                        fields.iter_mut().for_each(rename);
                    }
                }
            }
            Operation::AddIndex { model_name, index } => {
                state
                    .model_mut(&key(app_label, model_name))?
                    .indexes
                    .push(index.clone());
            }
            Operation::RemoveIndex { model_name, name } => {
                let m = state.model_mut(&key(app_label, model_name))?;
                let before = m.indexes.len();
                m.indexes.retain(|i| i.name != *name);
                if m.indexes.len() == before {
                    return Err(DbError::ValueError(format!(
                        "No index named {name} on model {model_name}"
                    )));
                }
            }
            Operation::RenameIndex {
                model_name,
                old_name,
                new_name,
            } => {
                let m = state.model_mut(&key(app_label, model_name))?;
                let i = m
                    .indexes
                    .iter_mut()
                    .find(|i| i.name == *old_name)
                    .ok_or_else(|| {
                        DbError::ValueError(format!("No index named {old_name} on model {model_name}"))
                    })?;
                i.name = new_name.clone();
            }
            Operation::AddConstraint {
                model_name,
                constraint,
            } => {
                state
                    .model_mut(&key(app_label, model_name))?
                    .constraints
                    .push(constraint.clone());
            }
            Operation::RemoveConstraint { model_name, name } => {
                let m = state.model_mut(&key(app_label, model_name))?;
                let before = m.constraints.len();
                m.constraints.retain(|c| c.name() != name);
                if m.constraints.len() == before {
                    return Err(DbError::ValueError(format!(
                        "No constraint named {name} on model {model_name}"
                    )));
                }
            }
            Operation::AlterUniqueTogether {
                name,
                unique_together,
            } => {
                state.model_mut(&key(app_label, name))?.unique_together = unique_together.clone();
            }
            Operation::RunSQL { .. } | Operation::RunRust { .. } => {}
            Operation::SeparateDatabaseAndState { state_operations, .. } => {
                for op in state_operations {
                    op.state_forwards(app_label, state)?;
                }
            }
        }
        Ok(())
    }

    /// The DDL of the operation (Django's `database_forwards`): `from` is the state
    /// before it, `to` after. `RunRust` has no SQL; the executor runs it.
    pub fn database_forwards(
        &self,
        app_label: &str,
        editor: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        match self {
            Operation::CreateModel(m) => create_table(editor, to, app_label, &m.name)?,
            Operation::DeleteModel { name } => delete_table(editor, from, app_label, name)?,
            Operation::RenameModel { old_name, new_name } => {
                rename_model(editor, app_label, from, to, old_name, new_name)?;
            }
            Operation::AlterModelTable { name, .. } => {
                let old = from.model(&key(app_label, name))?;
                let new = to.model(&key(app_label, name))?;
                editor.alter_db_table(&old.db_table, &new.db_table);
                rename_m2m_tables(editor, from, to, old, new)?;
            }
            Operation::AlterModelTableComment { name, .. } => {
                let new = to.model(&key(app_label, name))?;
                if new.has_table() {
                    editor.alter_db_table_comment(new, new.db_table_comment.as_deref())?;
                }
            }
            Operation::AlterModelOptions { .. } | Operation::AlterModelManagers { .. } => {}
            Operation::AddField {
                model_name, field, ..
            } => {
                // The database gets the default even when the state does not keep it.
                let mut model = to.model(&key(app_label, model_name))?.clone();
                if let Some(f) = model.fields.iter_mut().find(|f| f.name == field.name) {
                    *f = field.clone();
                }
                editor.add_field(to, &model, field)?;
            }
            Operation::RemoveField { model_name, name } => {
                remove_field(editor, from, app_label, model_name, name)?;
            }
            Operation::AlterField {
                model_name,
                field,
                preserve_default,
            } => {
                let (old_model, old) = model_field(from, app_label, model_name, &field.name)?;
                let (new_model, new) = model_field(to, app_label, model_name, &field.name)?;
                if *preserve_default {
                    editor.alter_field(to, old_model, new_model, old, new)?;
                } else {
                    // A one-off default fills the existing NULLs (also in SQLite's
                    // rebuilt table), then leaves the state.
                    let mut new_model = new_model.clone();
                    if let Some(f) = new_model.fields.iter_mut().find(|f| f.name == field.name) {
                        *f = field.clone();
                    }
                    editor.alter_field(to, old_model, &new_model, old, field)?;
                }
            }
            Operation::RenameField {
                model_name,
                old_name,
                new_name,
            } => rename_field(editor, app_label, (from, old_name), (to, new_name), model_name)?,
            Operation::AddIndex { model_name, index } => {
                editor.add_index(to.model(&key(app_label, model_name))?, index)?;
            }
            Operation::RemoveIndex { model_name, name } => {
                let model = from.model(&key(app_label, model_name))?;
                editor.remove_index(model, find_index(model, name)?)?;
            }
            Operation::RenameIndex {
                model_name,
                old_name,
                new_name,
            } => rename_index(editor, app_label, (from, old_name), (to, new_name), model_name)?,
            Operation::AddConstraint {
                model_name,
                constraint,
            } => {
                editor.add_constraint(to, to.model(&key(app_label, model_name))?, constraint)?;
            }
            Operation::RemoveConstraint { model_name, name } => {
                let c = find_constraint(from.model(&key(app_label, model_name))?, name)?;
                editor.remove_constraint(to, to.model(&key(app_label, model_name))?, c)?;
            }
            Operation::AlterUniqueTogether { name, .. } => {
                let old = from.model(&key(app_label, name))?;
                let new = to.model(&key(app_label, name))?;
                editor.alter_unique_together(to, new, &old.unique_together, &new.unique_together)?;
            }
            Operation::RunSQL { sql, .. } => sql.iter().for_each(|s| editor.execute(s.clone())),
            Operation::RunRust { .. } => {}
            Operation::SeparateDatabaseAndState {
                database_operations, ..
            } => {
                let mut from = from.clone();
                for op in database_operations {
                    let mut to = from.clone();
                    op.state_forwards(app_label, &mut to)?;
                    op.database_forwards(app_label, editor, &from, &to)?;
                    from = to;
                }
            }
        }
        Ok(())
    }

    /// The DDL undoing the operation (Django's `database_backwards`): `from` is the state
    /// after the operation, `to` the state before it.
    pub fn database_backwards(
        &self,
        app_label: &str,
        editor: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        match self {
            Operation::CreateModel(m) => delete_table(editor, from, app_label, &m.name)?,
            Operation::DeleteModel { name } => create_table(editor, to, app_label, name)?,
            Operation::RenameModel { old_name, new_name } => {
                rename_model(editor, app_label, from, to, new_name, old_name)?;
            }
            Operation::AddField {
                model_name, field, ..
            } => remove_field(editor, from, app_label, model_name, &field.name)?,
            Operation::RemoveField { model_name, name } => {
                let (model, field) = model_field(to, app_label, model_name, name)?;
                editor.add_field(to, model, field)?;
            }
            Operation::RenameField {
                model_name,
                old_name,
                new_name,
            } => rename_field(editor, app_label, (from, new_name), (to, old_name), model_name)?,
            Operation::AddIndex { model_name, index } => {
                editor.remove_index(from.model(&key(app_label, model_name))?, index)?;
            }
            Operation::RemoveIndex { model_name, name } => {
                let model = to.model(&key(app_label, model_name))?;
                editor.add_index(model, find_index(model, name)?)?;
            }
            Operation::RenameIndex {
                model_name,
                old_name,
                new_name,
            } => rename_index(editor, app_label, (from, new_name), (to, old_name), model_name)?,
            Operation::AddConstraint {
                model_name,
                constraint,
            } => {
                editor.remove_constraint(to, to.model(&key(app_label, model_name))?, constraint)?;
            }
            Operation::RemoveConstraint { model_name, name } => {
                let model = to.model(&key(app_label, model_name))?;
                editor.add_constraint(to, model, find_constraint(model, name)?)?;
            }
            Operation::RunSQL { reverse_sql, .. } => match reverse_sql {
                Some(sql) => sql.iter().for_each(|s| editor.execute(s.clone())),
                None => return Err(irreversible(self)),
            },
            Operation::RunRust { backward, .. } => {
                if backward.is_none() {
                    return Err(irreversible(self));
                }
            }
            Operation::SeparateDatabaseAndState {
                database_operations, ..
            } => {
                // Replay forwards to get each step's states, then undo in reverse.
                let mut states = vec![to.clone()];
                for op in database_operations {
                    let mut next = states.last().cloned().unwrap_or_default();
                    op.state_forwards(app_label, &mut next)?;
                    states.push(next);
                }
                for (i, op) in database_operations.iter().enumerate().rev() {
                    op.database_backwards(app_label, editor, &states[i + 1], &states[i])?;
                }
            }
            // Symmetric operations: backwards is forwards from the later to the earlier state.
            Operation::AlterField {
                model_name, field, ..
            } => {
                let (old_model, old) = model_field(from, app_label, model_name, &field.name)?;
                let (new_model, new) = model_field(to, app_label, model_name, &field.name)?;
                editor.alter_field(to, old_model, new_model, old, new)?;
            }
            Operation::AlterModelTable { .. }
            | Operation::AlterModelTableComment { .. }
            | Operation::AlterModelOptions { .. }
            | Operation::AlterModelManagers { .. }
            | Operation::AlterUniqueTogether { .. } => self.database_forwards(app_label, editor, from, to)?,
        }
        Ok(())
    }
}

/// Creates the table of `app_label.name` as `state` has it, unless it has none (a proxy,
/// an unmanaged model).
fn create_table(editor: &mut SchemaEditor, state: &ProjectState, app_label: &str, name: &str) -> Result<()> {
    let model = state.model(&key(app_label, name))?;
    if model.has_table() {
        editor.create_model(state, model)?;
    }
    Ok(())
}

/// Drops the table of `app_label.name` as `state` has it, unless it has none.
fn delete_table(editor: &mut SchemaEditor, state: &ProjectState, app_label: &str, name: &str) -> Result<()> {
    let model = state.model(&key(app_label, name))?;
    if model.has_table() {
        editor.delete_model(state, model)?;
    }
    Ok(())
}

/// Drops the column of `model_name.name` as `state` has it.
fn remove_field(
    editor: &mut SchemaEditor,
    state: &ProjectState,
    app_label: &str,
    model_name: &str,
    name: &str,
) -> Result<()> {
    let (model, field) = model_field(state, app_label, model_name, name)?;
    editor.remove_field(state, model, field)
}

/// Renames a field: `old` names it in the state before, `new` in the state after (either
/// direction of `RenameField`).
fn rename_field(
    editor: &mut SchemaEditor,
    app_label: &str,
    (before, old): (&ProjectState, &str),
    (after, new): (&ProjectState, &str),
    model_name: &str,
) -> Result<()> {
    let (old_model, old) = model_field(before, app_label, model_name, old)?;
    let (new_model, new) = model_field(after, app_label, model_name, new)?;
    editor.alter_field(after, old_model, new_model, old, new)
}

/// Renames an index: `old` names it in the state before, `new` in the state after (either
/// direction of `RenameIndex`).
fn rename_index(
    editor: &mut SchemaEditor,
    app_label: &str,
    (before, old): (&ProjectState, &str),
    (after, new): (&ProjectState, &str),
    model_name: &str,
) -> Result<()> {
    let old = find_index(before.model(&key(app_label, model_name))?, old)?;
    let model = after.model(&key(app_label, model_name))?;
    editor.rename_index(model, old, find_index(model, new)?)
}

fn no_model(app_label: &str, name: &str) -> DbError {
    DbError::FieldError(format!("No installed model with label '{app_label}.{name}'."))
}

fn find_index<'a>(model: &'a ModelState, name: &str) -> Result<&'a IndexState> {
    model
        .indexes
        .iter()
        .find(|i| i.name == name)
        .ok_or_else(|| DbError::ValueError(format!("No index named {name} on model {}", model.name)))
}

fn find_constraint<'a>(model: &'a ModelState, name: &str) -> Result<&'a ConstraintState> {
    model
        .constraints
        .iter()
        .find(|c| c.name() == name)
        .ok_or_else(|| DbError::ValueError(format!("No constraint named {name} on model {}", model.name)))
}

/// `to` plus the model as it was before a rename, so relations written against the old
/// name still resolve (their constraint names use the old table).
fn mixed_state(to: &ProjectState, old: &ModelState) -> ProjectState {
    let mut mix = to.clone();
    if mix.get(&old.label_lower()).is_none() {
        mix.models.push(old.clone());
    }
    mix
}

/// Renames the table and the auto-created many-to-many tables, and re-points foreign
/// keys of other models (PostgreSQL/MySQL: their constraint is named after the target
/// table; SQLite rewrites references itself when a table is renamed).
fn rename_model(
    editor: &mut SchemaEditor,
    app_label: &str,
    from: &ProjectState,
    to: &ProjectState,
    old_name: &str,
    new_name: &str,
) -> Result<()> {
    let old = from.model(&key(app_label, old_name))?;
    let new = to.model(&key(app_label, new_name))?;
    editor.alter_db_table(&old.db_table, &new.db_table);
    rename_m2m_tables(editor, from, to, old, new)?;
    let mix = mixed_state(to, old);
    for model in &to.models {
        let old_model = if model.label_lower() == new.label_lower() {
            Some(old)
        } else {
            from.get(&model.label_lower())
        };
        let Some(old_model) = old_model else { continue };
        let mut old_model = old_model.clone();
        old_model.db_table = model.db_table.clone();
        for field in &model.fields {
            let Some(rel) = &field.relation else { continue };
            if rel.to != new.label_lower() {
                continue;
            }
            let Some(old_field) = old_model.field(&field.name).cloned() else {
                continue;
            };
            if field.is_concrete() {
                if editor.vendor() != crate::schema::Vendor::Sqlite && rel.db_constraint {
                    editor.alter_field(&mix, &old_model, model, &old_field, field)?;
                }
                continue;
            }
            // Other models' auto-created M2M tables: the column named after the target.
            if model.label_lower() == new.label_lower() {
                continue;
            }
            let (Some(t_old), Some(t_new)) = (
                editor.auto_m2m_model(from, &old_model, &old_field)?,
                editor.auto_m2m_model(to, model, field)?,
            ) else {
                continue;
            };
            alter_through_column(editor, &mix, &t_old, &t_new, 2)?;
        }
    }
    Ok(())
}

/// Renames the column at `index` of an auto-created through table when it changed.
fn alter_through_column(
    editor: &mut SchemaEditor,
    mix: &ProjectState,
    t_old: &ModelState,
    t_new: &ModelState,
    index: usize,
) -> Result<()> {
    let (Some(fo), Some(fnew)) = (t_old.fields.get(index), t_new.fields.get(index)) else {
        return Ok(());
    };
    if fo.column == fnew.column {
        return Ok(());
    }
    let mut through_old = t_old.clone();
    through_old.db_table = t_new.db_table.clone();
    let mut project = mix.clone();
    project.models.push(t_new.clone());
    editor.alter_field(&project, &through_old, t_new, fo, fnew)
}

fn rename_m2m_tables(
    editor: &mut SchemaEditor,
    from: &ProjectState,
    to: &ProjectState,
    old: &ModelState,
    new: &ModelState,
) -> Result<()> {
    let mix = mixed_state(to, old);
    for field in &old.fields {
        let Some(new_field) = new.field(&field.name) else {
            continue;
        };
        let (Some(t_old), Some(t_new)) = (
            editor.auto_m2m_model(from, old, field)?,
            editor.auto_m2m_model(to, new, new_field)?,
        ) else {
            continue;
        };
        editor.alter_db_table(&t_old.db_table, &t_new.db_table);
        // The column pointing back at the renamed model follows its name.
        alter_through_column(editor, &mix, &t_old, &t_new, 1)?;
    }
    Ok(())
}
