//! The autodetector: Django's `MigrationAutodetector`, diffing two project states into
//! operations, grouped into one new migration per app with Django's automatic names.
//!
//! Renames are never guessed: a removed and an added model (or field) that look alike
//! become a rename only when the [`Questioner`] says so, and the non-interactive
//! questioner always says no, as Django's `--no-input` does.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{DbError, Result};
use crate::migrations::graph::{Key, Migration};
use crate::migrations::operations::Operation;
use crate::migrations::state::{FieldState, ModelState, ProjectState};
use crate::models::meta::{FieldType, RelationKind};
use crate::value::Value;

/// Answers the autodetector's questions (Django's `MigrationQuestioner`).
pub trait Questioner {
    /// "Was the model Book renamed to Novel? [y/N]"
    fn ask_rename_model(&mut self, old: &ModelState, new: &ModelState) -> bool;
    /// "Was Book.name renamed to Book.title (a CharField)? [y/N]"
    fn ask_rename(&mut self, model_name: &str, old: &FieldState, new: &FieldState) -> bool;
    /// A one-off default for a non-nullable field added without one; `None` aborts.
    fn ask_not_null_addition(&mut self, field_name: &str, model_name: &str) -> Option<Value>;
    /// A nullable field becomes non-nullable without a default (Django's
    /// `ask_not_null_alteration`): what to do with the rows holding NULL.
    fn ask_not_null_alteration(&mut self, field_name: &str, model_name: &str) -> NotNullAlteration;
}

/// The answers to [`Questioner::ask_not_null_alteration`].
#[derive(Debug, Clone, PartialEq)]
pub enum NotNullAlteration {
    /// A one-off default set on the existing NULL rows (`preserve_default=False`).
    Default(Value),
    /// Django's `NOT_PROVIDED`: the `AlterField` is written as is and existing NULLs
    /// must be handled by hand (a `RunRust` or `RunSQL` operation).
    Ignore,
    /// Stop without writing anything.
    Quit,
}

/// Django's `NonInteractiveMigrationQuestioner` (`--no-input`): never renames, never
/// invents a default.
#[derive(Debug, Clone, Copy, Default)]
pub struct NonInteractiveQuestioner;

impl Questioner for NonInteractiveQuestioner {
    fn ask_rename_model(&mut self, _: &ModelState, _: &ModelState) -> bool {
        false
    }
    fn ask_rename(&mut self, _: &str, _: &FieldState, _: &FieldState) -> bool {
        false
    }
    fn ask_not_null_addition(&mut self, _: &str, _: &str) -> Option<Value> {
        None
    }
    fn ask_not_null_alteration(&mut self, _: &str, _: &str) -> NotNullAlteration {
        NotNullAlteration::Ignore
    }
}

/// Django's `Migration.suggest_name()` (without the number): `initial`, the joined
/// operation fragments cut with `_and_more` past 52 characters, or `auto_<timestamp>`.
pub fn suggest_name(operations: &[Operation], initial: bool) -> String {
    if initial {
        return "initial".into();
    }
    let fragments: Vec<String> = operations
        .iter()
        .filter_map(Operation::migration_name_fragment)
        .map(|f| {
            let mut out = String::new();
            for c in f.chars() {
                if c.is_alphanumeric() || c == '_' {
                    out.push(c);
                } else if !out.ends_with('_') {
                    out.push('_');
                }
            }
            out
        })
        .collect();
    if fragments.is_empty() || fragments.len() != operations.len() {
        return format!("auto_{}", chrono::Utc::now().format("%Y%m%d_%H%M"));
    }
    let mut name = fragments[0].clone();
    for f in &fragments[1..] {
        let candidate = format!("{name}_{f}");
        if candidate.len() > 52 {
            name.push_str("_and_more");
            break;
        }
        name = candidate;
    }
    name
}

/// A field compared without its name and column (for rename detection).
fn deconstruct_without_name(f: &FieldState) -> FieldState {
    let mut f = f.clone();
    f.name = String::new();
    f.column = String::new();
    f
}

fn models_of<'a>(state: &'a ProjectState, app: &str) -> BTreeMap<String, &'a ModelState> {
    state
        .models
        .iter()
        .filter(|m| m.app_label == app && !m.auto_created)
        .map(|m| (m.name_lower(), m))
        .collect()
}

/// Model labels a model's relation fields point at.
fn related_labels(m: &ModelState) -> Vec<String> {
    m.fields
        .iter()
        .filter_map(|f| f.relation.as_ref())
        .flat_map(|r| std::iter::once(r.to.clone()).chain(r.through.clone()))
        .chain(m.bases.iter().cloned())
        .collect()
}

/// Django's `CreateModel` field order after optimisation: plain fields in declaration
/// order, then foreign keys by name, then many-to-many fields by name.
fn creation_order(m: &ModelState) -> ModelState {
    let mut m = m.clone();
    let mut plain: Vec<FieldState> = Vec::new();
    let mut fks: Vec<FieldState> = Vec::new();
    let mut m2m: Vec<FieldState> = Vec::new();
    for f in m.fields.drain(..) {
        match f.relation.as_ref().map(|r| r.kind) {
            Some(RelationKind::ManyToMany) => m2m.push(f),
            Some(_) if !f.primary_key => fks.push(f),
            _ => plain.push(f),
        }
    }
    fks.sort_by(|a, b| a.name.cmp(&b.name));
    m2m.sort_by(|a, b| a.name.cmp(&b.name));
    m.fields = plain.into_iter().chain(fks).chain(m2m).collect();
    m
}

/// Diffs `from` (replayed migrations) against `to` (the compiled models) and returns the
/// new migrations per app. `leaves` gives each app's current last migration (for the
/// number and the dependency); apps without migrations start at `0001_initial`.
pub fn changes(
    from: &ProjectState,
    to: &ProjectState,
    leaves: &BTreeMap<String, Key>,
    questioner: &mut dyn Questioner,
) -> Result<BTreeMap<String, Migration>> {
    let apps: BTreeSet<String> = to
        .models
        .iter()
        .chain(&from.models)
        .map(|m| m.app_label.clone())
        .collect();
    let mut ops_by_app: BTreeMap<String, (Vec<Operation>, BTreeSet<String>)> = BTreeMap::new();
    for app in &apps {
        let (ops, external) = app_changes(app, from, to, questioner)?;
        if !ops.is_empty() {
            ops_by_app.insert(app.clone(), (ops, external));
        }
    }
    // Names first, so cross-app dependencies can point at the new migrations.
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (app, (ops, _)) in &ops_by_app {
        let number = match leaves.get(app) {
            Some((_, name)) => name.get(..4).and_then(|n| n.parse::<u32>().ok()).unwrap_or(0) + 1,
            None => 1,
        };
        let initial = leaves.get(app).is_none();
        names.insert(app.clone(), format!("{number:04}_{}", suggest_name(ops, initial)));
    }
    let mut out = BTreeMap::new();
    for (app, (ops, external)) in ops_by_app {
        let name = names.get(&app).cloned().unwrap_or_default();
        let mut m = Migration::new(app.clone(), name);
        m.initial = leaves.get(&app).is_none();
        if let Some(leaf) = leaves.get(&app) {
            m.dependencies.push(leaf.clone());
        }
        for other in external {
            if let Some(n) = names.get(&other) {
                m.dependencies.push((other.clone(), n.clone()));
            } else if let Some(leaf) = leaves.get(&other) {
                m.dependencies.push(leaf.clone());
            }
        }
        m.operations = ops;
        out.insert(app, m);
    }
    Ok(out)
}

fn app_changes(
    app: &str,
    from: &ProjectState,
    to: &ProjectState,
    questioner: &mut dyn Questioner,
) -> Result<(Vec<Operation>, BTreeSet<String>)> {
    let old_models = models_of(from, app);
    let new_models = models_of(to, app);
    let mut ops = Vec::new();
    let mut external = BTreeSet::new();
    let mut added: Vec<&ModelState> = new_models
        .iter()
        .filter(|(k, _)| !old_models.contains_key(*k))
        .map(|(_, m)| *m)
        .collect();
    let mut removed: Vec<&ModelState> = old_models
        .iter()
        .filter(|(k, _)| !new_models.contains_key(*k))
        .map(|(_, m)| *m)
        .collect();
    // Pairs (old, new) of models present on both sides, renamed ones included.
    let mut kept: Vec<(&ModelState, &ModelState)> = new_models
        .iter()
        .filter_map(|(k, m)| old_models.get(k).map(|o| (*o, *m)))
        .collect();

    // 1. Renamed models.
    let mut renamed_models: Vec<(String, String)> = Vec::new();
    for new in added.clone() {
        let candidate = removed.iter().copied().find(|old| {
            old.fields.len() == new.fields.len()
                && old.fields.iter().zip(&new.fields).all(|(a, b)| {
                    let (mut a, mut b) = (a.clone(), b.clone());
                    for r in [a.relation.as_mut(), b.relation.as_mut()].into_iter().flatten() {
                        if r.to == old.label_lower() || r.to == new.label_lower() {
                            r.to = String::new();
                        }
                    }
                    a == b
                })
        });
        if let Some(old) = candidate {
            if questioner.ask_rename_model(old, new) {
                ops.push(Operation::RenameModel {
                    old_name: old.name.clone(),
                    new_name: new.name.clone(),
                });
                renamed_models.push((old.label_lower(), new.label_lower()));
                added.retain(|m| m.label_lower() != new.label_lower());
                removed.retain(|m| m.label_lower() != old.label_lower());
                kept.push((old, new));
            }
        }
    }

    // 2. Deleted models.
    for old in &removed {
        ops.push(Operation::DeleteModel {
            name: old.name.clone(),
        });
    }

    // 3. Created models, dependencies first (stable, by name otherwise).
    let mut pending: Vec<ModelState> = added.iter().map(|m| creation_order(m)).collect();
    pending.sort_by_key(|m| m.name_lower());
    let mut created: Vec<String> = Vec::new();
    while !pending.is_empty() {
        let pos = pending
            .iter()
            .position(|m| {
                related_labels(m).iter().all(|l| {
                    *l == m.label_lower()
                        || created.contains(l)
                        || !pending.iter().any(|p| p.label_lower() == *l)
                })
            })
            .unwrap_or(0);
        let m = pending.remove(pos);
        created.push(m.label_lower());
        for l in related_labels(&m) {
            note_external(app, &l, &mut external);
        }
        ops.push(Operation::CreateModel(m));
    }

    let renamed_to = |label: &str| -> String {
        renamed_models
            .iter()
            .find(|(o, _)| o == label)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| label.to_owned())
    };

    let mut removed_constraints = Vec::new();
    let mut removed_indexes = Vec::new();
    let mut renamed_fields = Vec::new();
    let mut renamed_indexes = Vec::new();
    let mut removed_fields = Vec::new();
    let mut added_fields = Vec::new();
    let mut altered_fields = Vec::new();
    let mut altered_unique = Vec::new();
    let mut added_indexes = Vec::new();
    let mut added_constraints = Vec::new();
    let mut altered_options = Vec::new();
    let mut altered_managers = Vec::new();
    let mut altered_table_comments = Vec::new();
    let mut altered_tables = Vec::new();

    kept.sort_by_key(|(_, n)| n.name_lower());
    for (old, new) in &kept {
        // Django names a kept model by its lower-cased key in every operation it
        // generates for it (`AddField(model_name='book', ...)`); only CreateModel,
        // DeleteModel and RenameModel carry the class name.
        let name = new.name_lower();
        // Relations pointing at renamed models compare as pointing at the new name.
        let mut old = (*old).clone();
        for f in &mut old.fields {
            if let Some(r) = f.relation.as_mut() {
                r.to = renamed_to(&r.to);
            }
        }
        let was_renamed = renamed_models.iter().any(|(_, n)| *n == new.label_lower());
        if old.options != new.options {
            altered_options.push(Operation::AlterModelOptions {
                name: name.clone(),
                options: new.options.clone(),
            });
        }
        if old.managers != new.managers {
            altered_managers.push(Operation::AlterModelManagers {
                name: name.clone(),
                managers: new.managers.clone(),
            });
        }
        // Django's `generate_altered_db_table_comment`.
        if old.db_table_comment != new.db_table_comment {
            altered_table_comments.push(Operation::AlterModelTableComment {
                name: name.clone(),
                table_comment: new.db_table_comment.clone(),
            });
        }
        let old_default_table = format!("{}_{}", old.app_label, old.name_lower());
        let table_follows_rename = was_renamed && old.db_table == old_default_table;
        if old.db_table != new.db_table && !table_follows_rename {
            let default = format!("{}_{}", new.app_label, new.name_lower());
            let table = (new.db_table != default).then(|| new.db_table.clone());
            altered_tables.push(Operation::AlterModelTable {
                name: name.clone(),
                table,
            });
        }
        // Fields, by name: Django walks `sorted(self.old_field_keys - self.new_field_keys)`
        // (removed), `sorted(new - old)` (added, and rename candidates against the sorted
        // removed ones) and `sorted(old & new)` (altered), keys `(app, model, field)`.
        let mut old_only: Vec<FieldState> = old
            .fields
            .iter()
            .filter(|f| new.field(&f.name).is_none())
            .cloned()
            .collect();
        old_only.sort_by(|a, b| a.name.cmp(&b.name));
        let mut new_only: Vec<FieldState> = new
            .fields
            .iter()
            .filter(|f| old.field(&f.name).is_none())
            .cloned()
            .collect();
        new_only.sort_by(|a, b| a.name.cmp(&b.name));
        let mut renames: Vec<(String, String)> = Vec::new();
        for nf in new_only.clone() {
            let candidate = old_only.iter().find(|of| {
                let mut a = deconstruct_without_name(of);
                let b = deconstruct_without_name(&nf);
                // A db_column that stays the same still matches.
                a.column = b.column.clone();
                a == b
            });
            if let Some(of) = candidate.cloned() {
                if questioner.ask_rename(&name, &of, &nf) {
                    renamed_fields.push(Operation::RenameField {
                        model_name: name.clone(),
                        old_name: of.name.clone(),
                        new_name: nf.name.clone(),
                    });
                    renames.push((of.name.clone(), nf.name.clone()));
                    old_only.retain(|f| f.name != of.name);
                    new_only.retain(|f| f.name != nf.name);
                }
            }
        }
        for f in &old_only {
            removed_fields.push(Operation::RemoveField {
                model_name: name.clone(),
                name: f.name.clone(),
            });
        }
        for f in new_only {
            if let Some(r) = &f.relation {
                note_external(app, &r.to, &mut external);
            }
            // Django's `preserve_default` test: null, a default, or blank text need no answer.
            let empty_strings_allowed = matches!(
                f.field_type,
                FieldType::CharField
                    | FieldType::TextField
                    | FieldType::EmailField
                    | FieldType::SlugField
                    | FieldType::URLField
                    | FieldType::BinaryField
            );
            let needs_default = f.is_concrete()
                && !f.null
                && f.default.is_none()
                && (!f.blank || !empty_strings_allowed)
                && !f.primary_key
                && !f.field_type.is_auto();
            if needs_default {
                match questioner.ask_not_null_addition(&f.name, &new.name_lower()) {
                    Some(v) => {
                        let mut f = f.clone();
                        f.default = Some(v);
                        added_fields.push(Operation::AddField { model_name: name.clone(), field: f, preserve_default: false });
                    }
                    None => {
                        return Err(DbError::ValueError(format!(
                            "It is impossible to add a non-nullable field '{}' to {} without specifying a default. \
                             This is because the database needs something to populate existing rows.",
                            f.name,
                            new.name_lower()
                        )))
                    }
                }
            } else {
                added_fields.push(Operation::AddField {
                    model_name: name.clone(),
                    field: f,
                    preserve_default: true,
                });
            }
        }
        let mut kept_fields: Vec<&FieldState> = new.fields.iter().collect();
        kept_fields.sort_by(|a, b| a.name.cmp(&b.name));
        for nf in kept_fields {
            let old_name = renames
                .iter()
                .find(|(_, n)| *n == nf.name)
                .map(|(o, _)| o.as_str())
                .unwrap_or(&nf.name);
            let Some(of) = old.field(old_name) else { continue };
            let mut of = of.clone();
            if old_name != nf.name {
                of.name = nf.name.clone();
                if of.column == old_name || of.column == format!("{old_name}_id") {
                    of.column = nf.column.clone();
                }
            }
            if of != *nf {
                altered_fields.push(alter_field(questioner, &name, &new.name_lower(), &of, nf)?);
            }
        }
        // unique_together (field renames applied to the old sets).
        let old_ut: Vec<Vec<String>> = old
            .unique_together
            .iter()
            .map(|ut| {
                ut.iter()
                    .map(|f| {
                        renames
                            .iter()
                            .find(|(o, _)| o == f)
                            .map(|(_, n)| n.clone())
                            .unwrap_or_else(|| f.clone())
                    })
                    .collect()
            })
            .collect();
        if old_ut != new.unique_together {
            altered_unique.push(Operation::AlterUniqueTogether {
                name: name.clone(),
                unique_together: new.unique_together.clone(),
            });
        }
        // Indexes: same definition under another name is a rename.
        let mut old_idx: Vec<_> = old
            .indexes
            .iter()
            .filter(|i| !new.indexes.contains(i))
            .cloned()
            .collect();
        let new_idx: Vec<_> = new
            .indexes
            .iter()
            .filter(|i| !old.indexes.contains(i))
            .cloned()
            .collect();
        for ni in new_idx {
            let same = old_idx.iter().position(|oi| oi.same_definition(&ni));
            match same {
                Some(p) if old_idx[p].name != ni.name => {
                    let oi = old_idx.remove(p);
                    renamed_indexes.push(Operation::RenameIndex {
                        model_name: name.clone(),
                        old_name: oi.name,
                        new_name: ni.name.clone(),
                    });
                }
                _ => added_indexes.push(Operation::AddIndex {
                    model_name: name.clone(),
                    index: ni,
                }),
            }
        }
        for oi in old_idx {
            removed_indexes.push(Operation::RemoveIndex {
                model_name: name.clone(),
                name: oi.name,
            });
        }
        for oc in old.constraints.iter().filter(|c| !new.constraints.contains(c)) {
            removed_constraints.push(Operation::RemoveConstraint {
                model_name: name.clone(),
                name: oc.name().to_owned(),
            });
        }
        for nc in new.constraints.iter().filter(|c| !old.constraints.contains(c)) {
            added_constraints.push(Operation::AddConstraint {
                model_name: name.clone(),
                constraint: nc.clone(),
            });
        }
    }
    ops.extend(altered_options);
    ops.extend(altered_managers);
    ops.extend(altered_table_comments);
    ops.extend(removed_constraints);
    ops.extend(removed_indexes);
    ops.extend(renamed_fields);
    ops.extend(renamed_indexes);
    ops.extend(removed_fields);
    ops.extend(added_fields);
    ops.extend(altered_fields);
    ops.extend(altered_unique);
    ops.extend(added_indexes);
    ops.extend(added_constraints);
    ops.extend(altered_tables);
    Ok((ops, external))
}

/// Django's `generate_altered_fields` for one field: a nullable field becoming NOT NULL
/// without a default asks the questioner for a one-off default.
fn alter_field(
    questioner: &mut dyn Questioner,
    name: &str,
    model_lower: &str,
    old: &FieldState,
    new: &FieldState,
) -> Result<Operation> {
    let mut field = new.clone();
    let mut preserve_default = true;
    if old.null && !new.null && new.default.is_none() && new.is_concrete() {
        match questioner.ask_not_null_alteration(&new.name, model_lower) {
            NotNullAlteration::Default(v) => {
                field.default = Some(v);
                preserve_default = false;
            }
            NotNullAlteration::Ignore => {}
            NotNullAlteration::Quit => {
                return Err(DbError::ValueError(format!(
                "It is impossible to change a nullable field '{}' on {model_lower} to non-nullable without \
                     providing a default.",
                new.name
            )))
            }
        }
    }
    Ok(Operation::AlterField {
        model_name: name.to_owned(),
        field,
        preserve_default,
    })
}

fn note_external(app: &str, label: &str, external: &mut BTreeSet<String>) {
    if let Some((other, _)) = label.split_once('.') {
        if other != app {
            external.insert(other.to_owned());
        }
    }
}
