//! Django's `MigrationOptimizer` (`django.db.migrations.optimizer`) and the operations'
//! `reduce()` rules, used by `squashmigrations`.
//!
//! Each operation is compared with every later one: `reduce` either merges the two
//! into a shorter list (`CreateModel` + `AddField` become one `CreateModel`,
//! `AddField` + `RemoveField` cancel), says the later one can be optimised across
//! (it does not touch the same model or field), or blocks. Passes repeat until nothing
//! changes, exactly as Django's `optimize_inner` loop does, so a squashed migration
//! has the operations Django's would.
//!
//! Merging into a `CreateModel` replays the other operation's `state_forwards` on the
//! model being created, so the merged model state is the one the two operations
//! produce (column renames, `unique_together` and index field renames included), and
//! the state after a squashed migration equals the state after the originals.

use crate::migrations::operations::Operation;
use crate::migrations::state::{FieldState, ProjectState};

/// What `reduce` says about a pair of operations (Django returns a list, `True` or
/// `False`).
#[derive(Debug, Clone)]
pub enum Reduction {
    /// The two operations are equivalent to these (possibly none).
    Replace(Vec<Operation>),
    /// The later operation does not interact with this one: optimising across it is safe.
    Through,
    /// Neither.
    Blocked,
}

impl Reduction {
    fn through_if(ok: bool) -> Reduction {
        if ok {
            Reduction::Through
        } else {
            Reduction::Blocked
        }
    }
}

/// Django's `MigrationOptimizer.optimize`: repeats [`optimize_inner`] until the list
/// stops changing.
///
/// ```
/// use nuages_db::migrations::optimizer::optimize;
/// use nuages_db::migrations::operations::Operation;
/// use nuages_db::migrations::state::{FieldState, ModelState};
/// use nuages_db::models::meta::FieldType;
///
/// let ops = vec![
///     Operation::CreateModel(ModelState::new(
///         "shop",
///         "Book",
///         vec![FieldState::new("id", FieldType::BigAutoField).primary_key()],
///     )),
///     Operation::AddField {
///         model_name: "Book".into(),
///         field: FieldState::new("title", FieldType::CharField).max_length(100),
///         preserve_default: true,
///     },
/// ];
/// let out = optimize(&ops, "shop");
/// assert_eq!(out.len(), 1);
/// let Operation::CreateModel(m) = &out[0] else { panic!() };
/// assert_eq!(m.fields.len(), 2);
/// ```
pub fn optimize(operations: &[Operation], app_label: &str) -> Vec<Operation> {
    let mut operations = operations.to_vec();
    loop {
        let result = optimize_inner(&operations, app_label);
        if same_list(&result, &operations) {
            return result;
        }
        operations = result;
    }
}

/// One pass of Django's `optimize_inner`: the first reduction found (right reduction,
/// or left reduction when every operation in between can be optimised across the later
/// one) is applied and the pass returns.
pub fn optimize_inner(operations: &[Operation], app_label: &str) -> Vec<Operation> {
    let mut new_operations: Vec<Operation> = Vec::new();
    'outer: for (i, operation) in operations.iter().enumerate() {
        let mut right = true;
        for (j, other) in operations[i + 1..].iter().enumerate() {
            match reduce(operation, other, app_label) {
                Reduction::Replace(result) => {
                    let in_between = &operations[i + 1..i + j + 1];
                    if right {
                        new_operations.extend(in_between.iter().cloned());
                        new_operations.extend(result);
                    } else if in_between
                        .iter()
                        .all(|op| matches!(reduce(op, other, app_label), Reduction::Through))
                    {
                        new_operations.extend(result);
                        new_operations.extend(in_between.iter().cloned());
                    } else {
                        new_operations.push(operation.clone());
                        continue 'outer;
                    }
                    new_operations.extend(operations[i + j + 2..].iter().cloned());
                    return new_operations;
                }
                Reduction::Through => {}
                Reduction::Blocked => right = false,
            }
        }
        new_operations.push(operation.clone());
    }
    new_operations
}

/// Structural equality of two operation lists (operations hold function pointers, so
/// they have no `PartialEq`; the descriptions and states are compared instead).
fn same_list(a: &[Operation], b: &[Operation]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_op(x, y))
}

fn same_op(a: &Operation, b: &Operation) -> bool {
    match (a, b) {
        (Operation::CreateModel(x), Operation::CreateModel(y)) => x == y,
        (Operation::AddField { field: x, .. }, Operation::AddField { field: y, .. })
        | (Operation::AlterField { field: x, .. }, Operation::AlterField { field: y, .. }) => {
            x == y && a.describe() == b.describe()
        }
        (
            Operation::AlterModelOptions { options: x, .. },
            Operation::AlterModelOptions { options: y, .. },
        ) => x == y && a.describe() == b.describe(),
        (
            Operation::AlterUniqueTogether {
                unique_together: x, ..
            },
            Operation::AlterUniqueTogether {
                unique_together: y, ..
            },
        ) => x == y && a.describe() == b.describe(),
        (Operation::AlterModelTable { table: x, .. }, Operation::AlterModelTable { table: y, .. })
        | (
            Operation::AlterModelTableComment { table_comment: x, .. },
            Operation::AlterModelTableComment { table_comment: y, .. },
        ) => x == y && a.describe() == b.describe(),
        (
            Operation::AlterModelManagers { managers: x, .. },
            Operation::AlterModelManagers { managers: y, .. },
        ) => x == y && a.describe() == b.describe(),
        _ => std::mem::discriminant(a) == std::mem::discriminant(b) && a.describe() == b.describe(),
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn label(app_label: &str, model: &str) -> String {
    format!("{app_label}.{model}").to_lowercase()
}

/// Django's `field_references`: whether `field` points at `model` (through its target
/// or its `through` model), and at `field_name` of it when given (a foreign key without
/// `to_field` may use any field of its target, as Django assumes).
fn field_references(field: &FieldState, app_label: &str, model: &str, field_name: Option<&str>) -> bool {
    let Some(rel) = &field.relation else {
        return false;
    };
    let target = label(app_label, model);
    if rel.to == target {
        match (field_name, &rel.to_field) {
            (None, _) | (_, None) => return true,
            (Some(n), Some(to)) if to == n => return true,
            _ => {}
        }
    }
    rel.through.as_deref() == Some(target.as_str())
}

/// Django's `Operation.references_model`: whether `op` may touch model `name`.
pub fn references_model(op: &Operation, name: &str, app_label: &str) -> bool {
    match op {
        Operation::CreateModel(m) => {
            eq(&m.name, name)
                || m.fields
                    .iter()
                    .any(|f| field_references(f, app_label, name, None))
        }
        // The deleted model could point at any model through its relations.
        Operation::DeleteModel { .. } => true,
        Operation::RenameModel { old_name, new_name } => eq(old_name, name) || eq(new_name, name),
        Operation::AlterModelTable { name: n, .. }
        | Operation::AlterModelTableComment { name: n, .. }
        | Operation::AlterModelOptions { name: n, .. }
        | Operation::AlterModelManagers { name: n, .. }
        | Operation::AlterUniqueTogether { name: n, .. } => eq(n, name),
        Operation::AddField {
            model_name, field, ..
        }
        | Operation::AlterField {
            model_name, field, ..
        } => eq(model_name, name) || field_references(field, app_label, name, None),
        Operation::RemoveField { model_name, .. } | Operation::RenameField { model_name, .. } => {
            eq(model_name, name)
        }
        // Index and constraint operations, raw SQL and Rust: Django's conservative default.
        _ => true,
    }
}

/// Django's `Operation.references_field`: whether `op` may touch field `name` of
/// `model_name`.
pub fn references_field(op: &Operation, model_name: &str, name: &str, app_label: &str) -> bool {
    match op {
        Operation::AddField {
            model_name: m, field, ..
        }
        | Operation::AlterField {
            model_name: m, field, ..
        } => {
            (eq(m, model_name) && field.name == name)
                || field_references(field, app_label, model_name, Some(name))
        }
        Operation::RemoveField {
            model_name: m,
            name: n,
        } => eq(m, model_name) && n == name,
        Operation::RenameField {
            model_name: m,
            old_name,
            new_name,
        } => eq(m, model_name) && (eq(name, old_name) || eq(name, new_name)),
        _ => references_model(op, model_name, app_label),
    }
}

/// The model `op` acts on, for the field, index and constraint operations.
fn op_model(op: &Operation) -> Option<&str> {
    match op {
        Operation::AddField { model_name, .. }
        | Operation::RemoveField { model_name, .. }
        | Operation::AlterField { model_name, .. }
        | Operation::RenameField { model_name, .. }
        | Operation::AddIndex { model_name, .. }
        | Operation::RemoveIndex { model_name, .. }
        | Operation::AddConstraint { model_name, .. }
        | Operation::RemoveConstraint { model_name, .. } => Some(model_name),
        Operation::AlterModelOptions { name, .. }
        | Operation::AlterModelManagers { name, .. }
        | Operation::AlterUniqueTogether { name, .. } => Some(name),
        _ => None,
    }
}

/// The field a field operation acts on (`old_name` for a rename).
fn op_field(op: &Operation) -> Option<&str> {
    match op {
        Operation::AddField { field, .. } | Operation::AlterField { field, .. } => Some(&field.name),
        Operation::RemoveField { name, .. } => Some(name),
        Operation::RenameField { old_name, .. } => Some(old_name),
        _ => None,
    }
}

/// `CreateModel` absorbing `other`: `other`'s state change applied to the new model.
fn fold_into_create(create: &Operation, other: &Operation, app_label: &str) -> Option<Operation> {
    let Operation::CreateModel(model) = create else {
        return None;
    };
    let mut model = model.clone();
    model.app_label = app_label.to_owned();
    let mut state = ProjectState::new();
    state.add_model(model);
    other.state_forwards(app_label, &mut state).ok()?;
    let mut merged = state.models.into_iter().next()?;
    if let Operation::AddField {
        field,
        preserve_default: false,
        ..
    } = other
    {
        // A one-off default only fills existing rows; a new table has none.
        if let Some(f) = merged.fields.iter_mut().find(|f| f.name == field.name) {
            f.default = None;
        }
    }
    Some(Operation::CreateModel(merged))
}

/// `field` renamed as `RenameField` renames it in the state (its column follows when it
/// was the default one).
fn renamed_field(field: &FieldState, new_name: &str) -> FieldState {
    let mut f = field.clone();
    let default_column = if f.is_foreign_key() {
        format!("{}_id", f.name)
    } else {
        f.name.clone()
    };
    if f.column == default_column {
        f.column = if f.is_foreign_key() {
            format!("{new_name}_id")
        } else {
            new_name.to_owned()
        };
    }
    f.name = new_name.to_owned();
    f
}

fn has_default_column(field: &FieldState) -> bool {
    let default_column = if field.is_foreign_key() {
        format!("{}_id", field.name)
    } else {
        field.name.clone()
    };
    field.column == default_column
}

/// Django's `operation.reduce(other, app_label)`: the operation's own reductions, then
/// the base `Operation.reduce` (an elidable operation gives way to the other one, an
/// elidable other operation is dropped), then whether optimising across is safe.
pub fn reduce(op: &Operation, other: &Operation, app_label: &str) -> Reduction {
    let own = reduce_operation(op, other, app_label);
    if matches!(own, Reduction::Replace(_)) {
        return own;
    }
    if op.elidable() {
        return Reduction::Replace(vec![other.clone()]);
    }
    if other.elidable() {
        return Reduction::Replace(vec![op.clone()]);
    }
    own
}

fn reduce_operation(op: &Operation, other: &Operation, app_label: &str) -> Reduction {
    use Operation as O;
    match op {
        O::CreateModel(m) => {
            let same = |n: &str| eq(&m.name, n);
            let folds = match other {
                O::DeleteModel { name } if same(name) => return Reduction::Replace(vec![]),
                O::RenameModel { old_name, .. } => same(old_name),
                O::AlterModelOptions { name, .. }
                | O::AlterModelManagers { name, .. }
                | O::AlterUniqueTogether { name, .. } => same(name),
                O::AddField { .. }
                | O::AlterField { .. }
                | O::RemoveField { .. }
                | O::RenameField { .. }
                | O::AddIndex { .. }
                | O::RemoveIndex { .. }
                | O::AddConstraint { .. }
                | O::RemoveConstraint { .. } => op_model(other).is_some_and(same),
                _ => false,
            };
            if folds {
                if let Some(merged) = fold_into_create(op, other, app_label) {
                    return Reduction::Replace(vec![merged]);
                }
            }
            Reduction::through_if(!references_model(other, &m.name, app_label))
        }
        O::DeleteModel { name } => Reduction::through_if(!references_model(other, name, app_label)),
        O::RenameModel { old_name, new_name } => {
            if let O::RenameModel {
                old_name: o2,
                new_name: n2,
            } = other
            {
                if eq(new_name, o2) {
                    return Reduction::Replace(vec![O::RenameModel {
                        old_name: old_name.clone(),
                        new_name: n2.clone(),
                    }]);
                }
            }
            Reduction::through_if(!references_model(other, new_name, app_label))
        }
        O::AlterModelTable { name, .. }
        | O::AlterModelTableComment { name, .. }
        | O::AlterModelOptions { name, .. }
        | O::AlterModelManagers { name, .. }
        | O::AlterUniqueTogether { name, .. } => {
            let same_class = std::mem::discriminant(op) == std::mem::discriminant(other);
            match other {
                O::DeleteModel { name: n } if eq(n, name) => return Reduction::Replace(vec![other.clone()]),
                O::AlterModelTable { name: n, .. }
                | O::AlterModelTableComment { name: n, .. }
                | O::AlterModelOptions { name: n, .. }
                | O::AlterModelManagers { name: n, .. }
                | O::AlterUniqueTogether { name: n, .. }
                    if same_class && eq(n, name) =>
                {
                    return Reduction::Replace(vec![other.clone()])
                }
                _ => {}
            }
            Reduction::through_if(!references_model(other, name, app_label))
        }
        O::AddField {
            model_name, field, ..
        } => {
            if same_field(other, model_name, &field.name) {
                match other {
                    O::AlterField { field: f2, .. } => {
                        return Reduction::Replace(vec![O::AddField {
                            model_name: model_name.clone(),
                            field: f2.clone(),
                            preserve_default: true,
                        }])
                    }
                    O::RemoveField { .. } => return Reduction::Replace(vec![]),
                    O::RenameField { new_name, .. } => {
                        return Reduction::Replace(vec![O::AddField {
                            model_name: model_name.clone(),
                            field: renamed_field(field, new_name),
                            preserve_default: true,
                        }])
                    }
                    _ => {}
                }
            }
            Reduction::through_if(!references_field(other, model_name, &field.name, app_label))
        }
        O::RemoveField { model_name, name } => {
            if let O::DeleteModel { name: n } = other {
                if eq(n, model_name) {
                    return Reduction::Replace(vec![other.clone()]);
                }
            }
            Reduction::through_if(!references_field(other, model_name, name, app_label))
        }
        O::AlterField {
            model_name,
            field,
            preserve_default,
        } => {
            if same_field(other, model_name, &field.name) {
                match other {
                    O::AlterField { .. } | O::RemoveField { .. } => {
                        return Reduction::Replace(vec![other.clone()])
                    }
                    O::RenameField { new_name, .. } if has_default_column(field) => {
                        return Reduction::Replace(vec![
                            other.clone(),
                            O::AlterField {
                                model_name: model_name.clone(),
                                field: renamed_field(field, new_name),
                                preserve_default: *preserve_default,
                            },
                        ])
                    }
                    _ => {}
                }
            }
            Reduction::through_if(!references_field(other, model_name, &field.name, app_label))
        }
        O::RenameField {
            model_name,
            old_name,
            new_name,
        } => {
            if let O::RenameField {
                model_name: m2,
                old_name: o2,
                new_name: n2,
            } = other
            {
                if eq(m2, model_name) && eq(new_name, o2) {
                    return Reduction::Replace(vec![O::RenameField {
                        model_name: model_name.clone(),
                        old_name: old_name.clone(),
                        new_name: n2.clone(),
                    }]);
                }
            }
            Reduction::through_if(
                !(references_field(other, model_name, old_name, app_label)
                    || references_field(other, model_name, new_name, app_label)),
            )
        }
        O::AddIndex { model_name, index } => match other {
            O::RemoveIndex { model_name: m2, name } if eq(m2, model_name) && *name == index.name => {
                Reduction::Replace(vec![])
            }
            O::RenameIndex {
                model_name: m2,
                old_name,
                new_name,
            } if eq(m2, model_name) && *old_name == index.name => {
                let mut index = index.clone();
                index.name = new_name.clone();
                Reduction::Replace(vec![O::AddIndex {
                    model_name: model_name.clone(),
                    index,
                }])
            }
            _ => Reduction::Blocked,
        },
        O::RenameIndex {
            model_name,
            old_name,
            new_name,
        } => match other {
            O::RenameIndex {
                model_name: m2,
                old_name: o2,
                new_name: n2,
            } if eq(m2, model_name) && eq(new_name, o2) => Reduction::Replace(vec![O::RenameIndex {
                model_name: model_name.clone(),
                old_name: old_name.clone(),
                new_name: n2.clone(),
            }]),
            _ => Reduction::Blocked,
        },
        O::AddConstraint {
            model_name,
            constraint,
        } => match other {
            O::RemoveConstraint { model_name: m2, name }
                if eq(m2, model_name) && name == constraint.name() =>
            {
                Reduction::Replace(vec![])
            }
            _ => Reduction::Blocked,
        },
        // RemoveIndex, RemoveConstraint, RunSQL, RunRust and SeparateDatabaseAndState
        // are not elidable and reduce with nothing.
        _ => Reduction::Blocked,
    }
}

/// Django's `is_same_field_operation`: `other` is a field operation on the same field.
fn same_field(other: &Operation, model_name: &str, field_name: &str) -> bool {
    let is_field_op = matches!(
        other,
        Operation::AddField { .. }
            | Operation::AlterField { .. }
            | Operation::RemoveField { .. }
            | Operation::RenameField { .. }
    );
    is_field_op
        && op_model(other).is_some_and(|m| eq(m, model_name))
        && op_field(other).is_some_and(|f| eq(f, field_name))
}

#[cfg(test)]
#[path = "optimizer_tests.rs"]
mod tests;
