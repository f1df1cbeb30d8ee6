//! The migration writer: Django's `MigrationWriter`, emitting Rust source.
//!
//! Migrations are compiled into the binary (DESIGN.md §7), so a migration file is a
//! module with `pub fn migration() -> Migration` built from the same builders the rest of
//! the crate uses. Output is already laid out the way `rustfmt` would (one operation,
//! field and argument per line), so files stay readable and diff well.

use std::fmt::Write as _;

use crate::error::{DbError, Result};
use crate::migrations::graph::Migration;
use crate::migrations::operations::Operation;
use crate::migrations::state::{
    ConstraintState, FieldState, IndexState, Literal, ManagerState, ModelOptions, ModelState, OnDeleteState,
    QState,
};
use crate::models::indexes::IndexType;
use crate::models::meta::RelationKind;
use crate::value::Value;

/// Infallible constructors for default values in generated files.
pub mod values {
    use crate::value::Value;

    /// A date default; an impossible date gives `NULL` (the writer never writes one).
    pub fn date(year: i32, month: u32, day: u32) -> Value {
        chrono::NaiveDate::from_ymd_opt(year, month, day)
            .map(Value::Date)
            .unwrap_or(Value::Null)
    }

    /// A time default from seconds and nanoseconds after midnight.
    pub fn time(secs: u32, nanos: u32) -> Value {
        chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
            .map(Value::Time)
            .unwrap_or(Value::Null)
    }

    /// An aware datetime default from a Unix timestamp.
    pub fn datetime(secs: i64, nanos: u32) -> Value {
        chrono::DateTime::from_timestamp(secs, nanos)
            .map(Value::DateTime)
            .unwrap_or(Value::Null)
    }

    /// A duration default in microseconds.
    pub fn duration(micros: i64) -> Value {
        Value::Duration(chrono::TimeDelta::microseconds(micros))
    }

    /// A decimal default: `mantissa * 10^-scale`.
    pub fn decimal(mantissa: i128, scale: u32) -> Value {
        rust_decimal::Decimal::try_from_i128_with_scale(mantissa, scale)
            .map(Value::Decimal)
            .unwrap_or(Value::Null)
    }

    /// A UUID default.
    pub fn uuid(n: u128) -> Value {
        Value::Uuid(uuid::Uuid::from_u128(n))
    }

    /// A JSON default from its text; invalid JSON gives `NULL` (never written).
    pub fn json(text: &str) -> Value {
        serde_json::from_str(text).map(Value::Json).unwrap_or(Value::Null)
    }
}

/// The file name of a migration module: `m0002_book_rating.rs` (Rust modules cannot
/// start with a digit).
pub fn module_name(migration_name: &str) -> String {
    format!("m{migration_name}")
}

fn lit(s: &str) -> String {
    format!("{s:?}")
}

fn value_expr(v: &Value) -> Result<String> {
    Ok(match v {
        Value::Null => "Value::Null".into(),
        Value::Bool(b) => format!("Value::Bool({b})"),
        Value::Int(i) => format!("Value::Int({i})"),
        Value::Float(f) if f.is_finite() => format!("Value::Float({f:?})"),
        Value::Float(f) => {
            return Err(DbError::ValueError(format!(
                "Cannot serialize {f} in a migration."
            )))
        }
        Value::Decimal(d) => format!("decimal({}, {})", d.mantissa(), d.scale()),
        Value::Text(s) => format!("Value::Text({}.into())", lit(s)),
        Value::Bytes(b) => format!("Value::Bytes(vec!{b:?})"),
        Value::Date(d) => {
            use chrono::Datelike;
            format!("date({}, {}, {})", d.year(), d.month(), d.day())
        }
        Value::Time(t) => {
            use chrono::Timelike;
            format!("time({}, {})", t.num_seconds_from_midnight(), t.nanosecond())
        }
        Value::DateTime(dt) => format!("datetime({}, {})", dt.timestamp(), dt.timestamp_subsec_nanos()),
        Value::Duration(d) => match d.num_microseconds() {
            Some(us) => format!("duration({us})"),
            None => return Err(DbError::ValueError("Duration out of range.".into())),
        },
        Value::Uuid(u) => format!("uuid({:#x})", u.as_u128()),
        Value::Json(j) => format!("json({})", lit(&j.to_string())),
    })
}

fn field_expr(f: &FieldState) -> Result<String> {
    let mut s = format!("FieldState::new({}, FieldType::{:?})", lit(&f.name), f.field_type);
    if let Some(r) = &f.relation {
        s.push_str(&format!(".relation(RelationKind::{:?}, {})", r.kind, lit(&r.to)));
    }
    if f.primary_key {
        s.push_str(".primary_key()");
    }
    if let Some(b) = &f.base_field {
        s.push_str(&format!(".array_of({})", field_expr(b)?));
    }
    if let Some(n) = f.size {
        s.push_str(&format!(".size({n})"));
    }
    if let Some(n) = f.max_length {
        s.push_str(&format!(".max_length({n})"));
    }
    if let (Some(d), Some(p)) = (f.max_digits, f.decimal_places) {
        s.push_str(&format!(".decimal({d}, {p})"));
    }
    if f.null {
        s.push_str(".null()");
    }
    if f.blank {
        s.push_str(".blank()");
    }
    let implied_unique = f.primary_key
        || f.relation
            .as_ref()
            .is_some_and(|r| r.kind == RelationKind::OneToOne);
    if f.unique && !implied_unique {
        s.push_str(".unique()");
    }
    let implied_index = f.is_foreign_key();
    if f.db_index != implied_index {
        s.push_str(&format!(".db_index({})", f.db_index));
    }
    if let Some(d) = &f.default {
        s.push_str(&format!(".default({})", value_expr(d)?));
    }
    let default_column = if f.is_foreign_key() {
        format!("{}_id", f.name)
    } else {
        f.name.clone()
    };
    if f.column != default_column {
        s.push_str(&format!(".db_column({})", lit(&f.column)));
    }
    if let Some(r) = &f.relation {
        if r.on_delete != OnDeleteState::Cascade {
            s.push_str(&format!(".on_delete(OnDeleteState::{:?})", r.on_delete));
        }
        if let Some(t) = &r.to_field {
            s.push_str(&format!(".to_field({})", lit(t)));
        }
        if !r.db_constraint {
            s.push_str(".db_constraint(false)");
        }
        if let Some(t) = &r.through {
            s.push_str(&format!(".through({})", lit(t)));
        }
        if let Some(t) = &r.m2m_db_table {
            s.push_str(&format!(".m2m_db_table({})", lit(t)));
        }
        if let Some(t) = &r.related_name {
            s.push_str(&format!(".related_name({})", lit(t)));
        }
        if r.parent_link {
            s.push_str(".parent_link()");
        }
    }
    if let Some(c) = &f.db_comment {
        s.push_str(&format!(".db_comment({})", lit(c)));
    }
    Ok(s)
}

fn strings(v: &[String]) -> String {
    format!(
        "vec![{}]",
        v.iter()
            .map(|s| format!("{}.into()", lit(s)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn literal_expr(l: &Literal) -> String {
    match l {
        Literal::Null => "Literal::Null".into(),
        Literal::Bool(b) => format!("Literal::Bool({b})"),
        Literal::Int(i) => format!("Literal::Int({i})"),
        Literal::Float(f) => format!("Literal::Float({f:?})"),
        Literal::Str(s) => format!("Literal::Str({}.into())", lit(s)),
        Literal::F(s) => format!("Literal::F({}.into())", lit(s)),
    }
}

fn q_expr(q: &QState) -> String {
    match q {
        QState::Lookup(p, v) => format!("QState::Lookup({}.into(), {})", lit(p), literal_expr(v)),
        QState::And(c) => format!(
            "QState::And(vec![{}])",
            c.iter().map(q_expr).collect::<Vec<_>>().join(", ")
        ),
        QState::Or(c) => format!(
            "QState::Or(vec![{}])",
            c.iter().map(q_expr).collect::<Vec<_>>().join(", ")
        ),
        QState::Not(inner) => format!("QState::Not(Box::new({}))", q_expr(inner)),
    }
}

fn opt_q(q: &Option<QState>) -> String {
    match q {
        Some(q) => format!("Some({})", q_expr(q)),
        None => "None".into(),
    }
}

/// `["a", "b"]`: a list of names as the builders take it.
fn str_array(v: &[String]) -> String {
    format!("[{}]", v.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", "))
}

fn index_expr(i: &IndexState) -> String {
    let mut s = format!("IndexState::new({}, {})", lit(&i.name), str_array(&i.fields));
    if let Some(q) = &i.condition {
        s.push_str(&format!(".condition({})", q_expr(q)));
    }
    if !i.opclasses.is_empty() {
        s.push_str(&format!(".opclasses({})", str_array(&i.opclasses)));
    }
    if !i.include.is_empty() {
        s.push_str(&format!(".include({})", str_array(&i.include)));
    }
    if i.index_type != IndexType::Index {
        s.push_str(&format!(".index_type({})", i.index_type.rust_expr()));
    }
    s
}

fn constraint_expr(c: &ConstraintState) -> String {
    match c {
        ConstraintState::Unique {
            name,
            fields,
            condition,
        } => format!(
            "ConstraintState::Unique {{ name: {}.into(), fields: {}, condition: {} }}",
            lit(name),
            strings(fields),
            opt_q(condition)
        ),
        ConstraintState::Check { name, condition } => {
            format!(
                "ConstraintState::Check {{ name: {}.into(), condition: {} }}",
                lit(name),
                q_expr(condition)
            )
        }
    }
}

fn options_expr(o: &ModelOptions) -> String {
    let opt = |v: &Option<String>| match v {
        Some(s) => format!("Some({}.into())", lit(s)),
        None => "None".into(),
    };
    let perms = o
        .permissions
        .iter()
        .map(|(a, b)| format!("({}.into(), {}.into())", lit(a), lit(b)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "ModelOptions {{ ordering: {}, verbose_name: {}, verbose_name_plural: {}, permissions: vec![{perms}], \
         default_related_name: {}, get_latest_by: {} }}",
        strings(&o.ordering),
        opt(&o.verbose_name),
        opt(&o.verbose_name_plural),
        opt(&o.default_related_name),
        strings(&o.get_latest_by)
    )
}

fn managers_expr(managers: &[ManagerState]) -> String {
    let list = managers
        .iter()
        .map(|m| match &m.class {
            Some(class) => format!("ManagerState::new({}, {})", lit(&m.name), lit(class)),
            None => format!("ManagerState::plain({})", lit(&m.name)),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("vec![{list}]")
}

fn model_expr(m: &ModelState, indent: &str) -> Result<String> {
    let mut s = format!(
        "ModelState::new(\n{indent}    {},\n{indent}    {},\n{indent}    vec![\n",
        lit(&m.app_label),
        lit(&m.name)
    );
    for f in &m.fields {
        let _ = writeln!(s, "{indent}        {},", field_expr(f)?);
    }
    let _ = write!(s, "{indent}    ],\n{indent})");
    if m.db_table != format!("{}_{}", m.app_label, m.name_lower()) {
        let _ = write!(s, "\n{indent}.db_table({})", lit(&m.db_table));
    }
    if let Some(c) = &m.db_table_comment {
        let _ = write!(s, "\n{indent}.db_table_comment({})", lit(c));
    }
    if !m.unique_together.is_empty() {
        let sets = m
            .unique_together
            .iter()
            .map(|u| strings(u))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(s, "\n{indent}.unique_together(vec![{sets}])");
    }
    if !m.indexes.is_empty() {
        let v = m.indexes.iter().map(index_expr).collect::<Vec<_>>().join(", ");
        let _ = write!(s, "\n{indent}.indexes(vec![{v}])");
    }
    if !m.constraints.is_empty() {
        let v = m
            .constraints
            .iter()
            .map(constraint_expr)
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(s, "\n{indent}.constraints(vec![{v}])");
    }
    if !m.managed {
        let _ = write!(s, "\n{indent}.managed(false)");
    }
    if !m.bases.is_empty() {
        let _ = write!(s, "\n{indent}.bases({})", strings(&m.bases));
    }
    if m.proxy {
        let _ = write!(s, "\n{indent}.proxy()");
    }
    if m.options != ModelOptions::default() {
        let _ = write!(s, "\n{indent}.options({})", options_expr(&m.options));
    }
    if !m.managers.is_empty() {
        let _ = write!(s, "\n{indent}.managers({})", managers_expr(&m.managers));
    }
    Ok(s)
}

fn operation_expr(op: &Operation, indent: &str) -> Result<String> {
    let i2 = format!("{indent}    ");
    let fields = |pairs: Vec<(&str, String)>| {
        let mut s = String::new();
        for (k, v) in pairs {
            let _ = writeln!(s, "{i2}{k}: {v},");
        }
        s
    };
    let s = |x: &str| format!("{}.into()", lit(x));
    Ok(match op {
        Operation::CreateModel(m) => {
            format!("Operation::CreateModel(\n{i2}{},\n{indent})", model_expr(m, &i2)?)
        }
        Operation::DeleteModel { name } => format!(
            "Operation::DeleteModel {{\n{}{indent}}}",
            fields(vec![("name", s(name))])
        ),
        Operation::RenameModel { old_name, new_name } => format!(
            "Operation::RenameModel {{\n{}{indent}}}",
            fields(vec![("old_name", s(old_name)), ("new_name", s(new_name))])
        ),
        Operation::AlterModelTable { name, table } => format!(
            "Operation::AlterModelTable {{\n{}{indent}}}",
            fields(vec![
                ("name", s(name)),
                (
                    "table",
                    table
                        .as_ref()
                        .map(|t| format!("Some({})", s(t)))
                        .unwrap_or_else(|| "None".into())
                )
            ])
        ),
        Operation::AlterModelTableComment { name, table_comment } => format!(
            "Operation::AlterModelTableComment {{\n{}{indent}}}",
            fields(vec![
                ("name", s(name)),
                (
                    "table_comment",
                    table_comment
                        .as_ref()
                        .map(|t| format!("Some({})", s(t)))
                        .unwrap_or_else(|| "None".into())
                )
            ])
        ),
        Operation::AlterModelOptions { name, options } => format!(
            "Operation::AlterModelOptions {{\n{}{indent}}}",
            fields(vec![("name", s(name)), ("options", options_expr(options))])
        ),
        Operation::AlterModelManagers { name, managers } => format!(
            "Operation::AlterModelManagers {{\n{}{indent}}}",
            fields(vec![("name", s(name)), ("managers", managers_expr(managers))])
        ),
        Operation::AddField {
            model_name,
            field,
            preserve_default,
        } => format!(
            "Operation::AddField {{\n{}{indent}}}",
            fields(vec![
                ("model_name", s(model_name)),
                ("field", field_expr(field)?),
                ("preserve_default", preserve_default.to_string())
            ])
        ),
        Operation::RemoveField { model_name, name } => format!(
            "Operation::RemoveField {{\n{}{indent}}}",
            fields(vec![("model_name", s(model_name)), ("name", s(name))])
        ),
        Operation::AlterField {
            model_name,
            field,
            preserve_default,
        } => format!(
            "Operation::AlterField {{\n{}{indent}}}",
            fields(vec![
                ("model_name", s(model_name)),
                ("field", field_expr(field)?),
                ("preserve_default", preserve_default.to_string())
            ])
        ),
        Operation::RenameField {
            model_name,
            old_name,
            new_name,
        } => format!(
            "Operation::RenameField {{\n{}{indent}}}",
            fields(vec![
                ("model_name", s(model_name)),
                ("old_name", s(old_name)),
                ("new_name", s(new_name))
            ])
        ),
        Operation::AddIndex { model_name, index } => format!(
            "Operation::AddIndex {{\n{}{indent}}}",
            fields(vec![("model_name", s(model_name)), ("index", index_expr(index))])
        ),
        Operation::RemoveIndex { model_name, name } => format!(
            "Operation::RemoveIndex {{\n{}{indent}}}",
            fields(vec![("model_name", s(model_name)), ("name", s(name))])
        ),
        Operation::RenameIndex {
            model_name,
            old_name,
            new_name,
        } => format!(
            "Operation::RenameIndex {{\n{}{indent}}}",
            fields(vec![
                ("model_name", s(model_name)),
                ("old_name", s(old_name)),
                ("new_name", s(new_name))
            ])
        ),
        Operation::AddConstraint {
            model_name,
            constraint,
        } => format!(
            "Operation::AddConstraint {{\n{}{indent}}}",
            fields(vec![
                ("model_name", s(model_name)),
                ("constraint", constraint_expr(constraint))
            ])
        ),
        Operation::RemoveConstraint { model_name, name } => format!(
            "Operation::RemoveConstraint {{\n{}{indent}}}",
            fields(vec![("model_name", s(model_name)), ("name", s(name))])
        ),
        Operation::AlterUniqueTogether {
            name,
            unique_together,
        } => format!(
            "Operation::AlterUniqueTogether {{\n{}{indent}}}",
            fields(vec![
                ("name", s(name)),
                (
                    "unique_together",
                    format!(
                        "vec![{}]",
                        unique_together
                            .iter()
                            .map(|u| strings(u))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                )
            ])
        ),
        Operation::RunSQL {
            sql,
            reverse_sql,
            elidable,
        } => format!(
            "Operation::RunSQL {{\n{}{indent}}}",
            fields(vec![
                ("sql", strings(sql)),
                (
                    "reverse_sql",
                    reverse_sql
                        .as_ref()
                        .map(|r| format!("Some({})", strings(r)))
                        .unwrap_or_else(|| "None".into())
                ),
                ("elidable", elidable.to_string())
            ])
        ),
        Operation::RunRust { .. } => {
            return Err(DbError::ValueError(
                "RunRust operations are written by hand; the writer cannot serialize a function.".into(),
            ))
        }
        Operation::SeparateDatabaseAndState {
            database_operations,
            state_operations,
        } => {
            let list = |ops: &[Operation]| -> Result<String> {
                let mut s = "vec![\n".to_owned();
                for op in ops {
                    let _ = writeln!(s, "{i2}    {},", operation_expr(op, &format!("{i2}    "))?);
                }
                let _ = write!(s, "{i2}]");
                Ok(s)
            };
            format!(
                "Operation::SeparateDatabaseAndState {{\n{}{indent}}}",
                fields(vec![
                    ("database_operations", list(database_operations)?),
                    ("state_operations", list(state_operations)?)
                ])
            )
        }
    })
}

/// The Rust source of a migration file (Django's `MigrationWriter.as_string()`).
///
/// ```
/// use nuages_db::migrations::graph::Migration;
/// use nuages_db::migrations::operations::Operation;
/// use nuages_db::migrations::writer::migration_source;
/// let m = Migration::new("bookstore", "0002_delete_genre")
///     .depends_on("bookstore", "0001_initial")
///     .operations(vec![Operation::DeleteModel { name: "Genre".into() }]);
/// let src = migration_source(&m, "nuages_db").unwrap();
/// assert!(src.contains("Migration::new(\"bookstore\", \"0002_delete_genre\")"));
/// assert!(src.contains(".depends_on(\"bookstore\", \"0001_initial\")"));
/// ```
pub fn migration_source(migration: &Migration, crate_path: &str) -> Result<String> {
    render(migration, crate_path, &|_| None, true, &[])
}

/// Where a `RunRust` operation of a squashed migration comes from: the module of the
/// migration that has it (`m0003_populate`) and its index there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRustOrigin {
    pub app_label: String,
    pub migration: String,
    pub index: usize,
}

/// The source of a squashed migration (`squashmigrations`). A function pointer cannot be
/// written back as source, so each `RunRust` operation is taken from the migration it
/// came from (`super::m0003_populate::migration().operations.remove(2)`), with the
/// comment Django writes for `RunPython` functions that need manual copying before the
/// replaced migrations are deleted. `include_header: false` is `--no-header`.
///
/// ```
/// use nuages_db::migrations::graph::Migration;
/// use nuages_db::migrations::writer::squashed_migration_source;
/// let m = Migration::new("shop", "0001_squashed_0002_b")
///     .replaces("shop", "0001_initial")
///     .replaces("shop", "0002_b");
/// let src = squashed_migration_source(&m, "nuages_db", &|_| None, false).unwrap();
/// assert!(src.contains(".replaces(\"shop\", \"0002_b\")"));
/// assert!(!src.contains("Generated by"));
/// ```
pub fn squashed_migration_source(
    migration: &Migration,
    crate_path: &str,
    origin: &dyn Fn(&Operation) -> Option<RunRustOrigin>,
    include_header: bool,
) -> Result<String> {
    let mut manual: Vec<String> = Vec::new();
    for op in &migration.operations {
        if let Some(o) = origin(op) {
            let module = format!("{}::migrations::{}", o.app_label, module_name(&o.migration));
            if !manual.contains(&module) {
                manual.push(module);
            }
        }
    }
    render(migration, crate_path, origin, include_header, &manual)
}

fn render(
    migration: &Migration,
    crate_path: &str,
    origin: &dyn Fn(&Operation) -> Option<RunRustOrigin>,
    include_header: bool,
    manual: &[String],
) -> Result<String> {
    let mut s = String::new();
    if include_header {
        let _ = writeln!(
            s,
            "//! Generated by nuages on {}.",
            chrono::Utc::now().format("%Y-%m-%d %H:%M")
        );
        let _ = writeln!(s);
    }
    if !manual.is_empty() {
        let _ = writeln!(
            s,
            "// Functions from the following migrations need manual copying."
        );
        let _ = writeln!(
            s,
            "// Move them and any dependencies into this file, then update the"
        );
        let _ = writeln!(s, "// RunRust operations to refer to the local versions:");
        for m in manual {
            let _ = writeln!(s, "// {m}");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "#[allow(unused_imports)]");
    let _ = writeln!(s, "use {crate_path}::migrations::prelude::*;");
    let _ = writeln!(s);
    let _ = writeln!(s, "/// `{}.{}`.", migration.app_label, migration.name);
    let _ = writeln!(s, "pub fn migration() -> Migration {{");
    let _ = writeln!(
        s,
        "    Migration::new({}, {})",
        lit(&migration.app_label),
        lit(&migration.name)
    );
    if migration.initial {
        let _ = writeln!(s, "        .initial()");
    }
    if !migration.atomic {
        let _ = writeln!(s, "        .atomic(false)");
    }
    for (app, name) in &migration.replaces {
        let _ = writeln!(s, "        .replaces({}, {})", lit(app), lit(name));
    }
    for (app, name) in &migration.dependencies {
        let _ = writeln!(s, "        .depends_on({}, {})", lit(app), lit(name));
    }
    if migration.operations.is_empty() {
        let _ = writeln!(s, "        .operations(vec![])");
    } else {
        let _ = writeln!(s, "        .operations(vec![");
        for op in &migration.operations {
            match origin(op) {
                Some(o) => {
                    let _ = writeln!(
                        s,
                        "            // RunRust from {}.{}: copy its functions here before deleting that file.",
                        o.app_label, o.migration
                    );
                    let _ = writeln!(
                        s,
                        "            super::{}::migration().operations.remove({}),",
                        module_name(&o.migration),
                        o.index
                    );
                }
                None => {
                    let _ = writeln!(s, "            {},", operation_expr(op, "            ")?);
                }
            }
        }
        let _ = writeln!(s, "        ])");
    }
    let _ = writeln!(s, "}}");
    Ok(s)
}

/// The source of an app's `migrations/mod.rs`: one module per migration and
/// `pub fn migrations() -> Vec<Migration>` listing them in order.
pub fn modules_source(migration_names: &[String], crate_path: &str) -> String {
    let mut s = String::from("//! This app's migrations, in order. Maintained by `makemigrations`.\n\n");
    for n in migration_names {
        let _ = writeln!(s, "pub mod {};", module_name(n));
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "/// Every migration of the app.");
    let _ = writeln!(
        s,
        "pub fn migrations() -> Vec<{crate_path}::migrations::graph::Migration> {{"
    );
    let list = migration_names
        .iter()
        .map(|n| format!("{}::migration()", module_name(n)))
        .collect::<Vec<_>>();
    let _ = writeln!(s, "    vec![{}]", list.join(", "));
    let _ = writeln!(s, "}}");
    s
}
