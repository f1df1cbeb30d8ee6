//! Django's `connection.ops` and `connection.introspection` pieces that `flush`,
//! `sqlflush` and `loaddata` need: the statements that empty tables and reset their
//! sequences per backend, the sequence reset after rows were inserted with explicit
//! keys, and the foreign-key check run after constraint checks were disabled.
//!
//! ```
//! use nuages_db::backends::operations::sql_flush;
//! use nuages_db::Vendor;
//! let tables = ["shop_author".to_owned(), "shop_book".to_owned()];
//! assert_eq!(
//!     sql_flush(Vendor::Postgres, &tables, true, false),
//!     vec!["TRUNCATE \"shop_author\", \"shop_book\" RESTART IDENTITY;".to_owned()]
//! );
//! ```

use crate::backends::Vendor;
use crate::connection;
use crate::error::{DbError, Result};
use crate::models::meta::{FieldType, ModelMeta, RelationKind};
use crate::query::names::m2m_through;
use crate::schema::dialect::{quote_name, quote_str};
use crate::transaction;
use crate::value::Value;

/// Django's `introspection.django_table_names()` before the existence filter: the
/// tables of the managed models and of their auto-created many-to-many tables, in
/// model order, each once.
pub fn model_tables(models: &[&'static ModelMeta]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    for meta in models.iter().filter(|m| m.managed && !m.is_proxy()) {
        push(meta.db_table.to_owned());
        for f in meta.local_fields() {
            if let Some(rel) = f
                .relation
                .filter(|r| r.kind == RelationKind::ManyToMany && r.through.is_none())
            {
                push(m2m_through(meta, f, rel).table);
            }
        }
    }
    out
}

/// Django's `ops.sql_flush(style, tables, reset_sequences=..., allow_cascade=...)`:
/// PostgreSQL's single `TRUNCATE ... [RESTART IDENTITY] [CASCADE]`, SQLite's `DELETE
/// FROM` per table (and the `sqlite_sequence` reset), MySQL's `TRUNCATE` (or `DELETE`)
/// between `SET FOREIGN_KEY_CHECKS` statements.
pub fn sql_flush(
    vendor: Vendor,
    tables: &[String],
    reset_sequences: bool,
    allow_cascade: bool,
) -> Vec<String> {
    if tables.is_empty() {
        return Vec::new();
    }
    let q = |t: &String| quote_name(vendor, t);
    match vendor {
        Vendor::Postgres => {
            let mut sql = format!("TRUNCATE {}", tables.iter().map(q).collect::<Vec<_>>().join(", "));
            if reset_sequences {
                sql.push_str(" RESTART IDENTITY");
            }
            if allow_cascade {
                sql.push_str(" CASCADE");
            }
            sql.push(';');
            vec![sql]
        }
        Vendor::Sqlite => {
            let mut out: Vec<String> = tables.iter().map(|t| format!("DELETE FROM {};", q(t))).collect();
            if reset_sequences {
                out.push(format!(
                    "UPDATE \"sqlite_sequence\" SET \"seq\" = 0 WHERE \"name\" IN ({});",
                    tables
                        .iter()
                        .map(|t| quote_str(vendor, t))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            out
        }
        Vendor::MySql => {
            let mut out = vec!["SET FOREIGN_KEY_CHECKS = 0;".to_owned()];
            for t in tables {
                out.push(if reset_sequences {
                    format!("TRUNCATE {};", q(t))
                } else {
                    format!("DELETE FROM {};", q(t))
                });
            }
            out.push("SET FOREIGN_KEY_CHECKS = 1;".to_owned());
            out
        }
    }
}

/// Django's `ops.execute_sql_flush()`: the statements in one transaction (a savepoint
/// only where DDL can be rolled back).
pub async fn execute_sql_flush(alias: &str, sql: &[String]) -> Result<()> {
    let sql = sql.to_vec();
    transaction::atomic_using(alias, || async move {
        for s in &sql {
            connection::execute(alias, s, &[]).await?;
        }
        Ok::<(), DbError>(())
    })
    .await
}

/// Django's `ops.sequence_reset_sql(style, models)`: on PostgreSQL, moves each
/// auto-incremented key's sequence past the largest key in the table (`loaddata`
/// inserts explicit keys). Other backends need nothing.
pub fn sequence_reset_sql(vendor: Vendor, models: &[&'static ModelMeta]) -> Vec<String> {
    if vendor != Vendor::Postgres {
        return Vec::new();
    }
    let mut out = Vec::new();
    for meta in models {
        if let Some(f) = meta.local_concrete_fields().find(|f| f.field_type.is_auto()) {
            let table = quote_name(vendor, meta.db_table);
            let col = quote_name(vendor, f.column);
            out.push(format!(
                "SELECT setval(pg_get_serial_sequence({}, {}), coalesce(max({col}), 1), max({col}) IS NOT null) FROM {table};",
                quote_str(vendor, &table),
                quote_str(vendor, f.column),
            ));
        }
    }
    out
}

/// Django's `disable_constraint_checking()`: MySQL's `SET foreign_key_checks=0` on the
/// current connection (foreign keys of the other backends are deferred to the commit).
/// Returns whether checks were disabled, to pass to [`enable_constraint_checking`].
pub async fn disable_constraint_checking(alias: &str) -> Result<bool> {
    if connection::vendor(alias)? != Vendor::MySql {
        return Ok(false);
    }
    connection::execute(alias, "SET foreign_key_checks=0", &[]).await?;
    Ok(true)
}

/// Django's `enable_constraint_checking()`, undoing [`disable_constraint_checking`].
pub async fn enable_constraint_checking(alias: &str, disabled: bool) -> Result<()> {
    if disabled {
        connection::execute(alias, "SET foreign_key_checks=1", &[]).await?;
    }
    Ok(())
}

fn display(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Null => "None".into(),
        other => format!("{other:?}"),
    }
}

/// Django's `connection.check_constraints(table_names)`: every foreign key of the given
/// models must point at an existing row, else `IntegrityError` with Django's message
/// ("The row in table 'x' with primary key '1' has an invalid foreign key: ...").
pub async fn check_constraints(alias: &str, models: &[&'static ModelMeta]) -> Result<()> {
    let vendor = connection::vendor(alias)?;
    let q = |s: &str| quote_name(vendor, s);
    for meta in models {
        for f in meta.local_concrete_fields().filter(|f| f.is_foreign_key()) {
            let Some(rel) = f.relation.filter(|r| r.db_constraint) else {
                continue;
            };
            let to = (rel.to)();
            let target = rel.to_field.and_then(|n| to.field(n)).unwrap_or_else(|| to.pk());
            let sql = format!(
                "SELECT t.{pk}, t.{fk} FROM {table} t LEFT JOIN {ref_table} r ON t.{fk} = r.{ref_col} \
                 WHERE t.{fk} IS NOT NULL AND r.{ref_col} IS NULL",
                pk = q(meta.pk().column),
                fk = q(f.column),
                table = q(meta.db_table),
                ref_table = q(to.db_table),
                ref_col = q(target.column),
            );
            if let Some(row) = connection::fetch(alias, &sql, &[]).await?.into_iter().next() {
                let vals = row.values();
                return Err(DbError::IntegrityError(format!(
                    "The row in table '{table}' with primary key '{pk}' has an invalid foreign key: \
                     {table}.{col} contains a value '{value}' that does not have a corresponding value in {ref_table}.{ref_col}.",
                    table = meta.db_table,
                    pk = vals.first().map(display).unwrap_or_default(),
                    col = f.column,
                    value = vals.get(1).map(display).unwrap_or_default(),
                    ref_table = to.db_table,
                    ref_col = target.column,
                )));
            }
        }
    }
    Ok(())
}

/// `BaseDatabaseOperations.integer_field_ranges`: the values an integer column of each
/// field class holds (PostgreSQL's, and the defaults the validators use).
pub fn base_integer_field_range(field_type: FieldType) -> Option<(i128, i128)> {
    use FieldType::*;
    const SMALL: (i128, i128) = (i16::MIN as i128, i16::MAX as i128);
    const INT: (i128, i128) = (i32::MIN as i128, i32::MAX as i128);
    const BIG: (i128, i128) = (i64::MIN as i128, i64::MAX as i128);
    Some(match field_type {
        SmallIntegerField | SmallAutoField => SMALL,
        IntegerField | AutoField => INT,
        BigIntegerField | BigAutoField => BIG,
        PositiveSmallIntegerField => (0, SMALL.1),
        PositiveIntegerField => (0, INT.1),
        PositiveBigIntegerField => (0, BIG.1),
        _ => return None,
    })
}

/// `connection.ops.integer_field_range(internal_type)`: SQLite stores any 64-bit
/// integer in every integer column, MySQL's positive fields are `UNSIGNED`, PostgreSQL
/// has the base ranges. `None` for a non-integer field type.
///
/// Django's integer lookups use it so that a value no column can hold matches nothing
/// (`exact`, `gt`, `gte` above the maximum) or everything (`lt`, `lte` above it)
/// instead of failing in the driver.
///
/// ```
/// use nuages_db::backends::operations::integer_field_range;
/// use nuages_db::{FieldType, Vendor};
/// assert_eq!(integer_field_range(Vendor::Postgres, FieldType::IntegerField), Some((-2147483648, 2147483647)));
/// assert_eq!(integer_field_range(Vendor::MySql, FieldType::PositiveIntegerField), Some((0, 4294967295)));
/// assert_eq!(integer_field_range(Vendor::Sqlite, FieldType::SmallIntegerField), Some((i64::MIN as i128, i64::MAX as i128)));
/// assert_eq!(integer_field_range(Vendor::Sqlite, FieldType::CharField), None);
/// ```
pub fn integer_field_range(vendor: Vendor, field_type: FieldType) -> Option<(i128, i128)> {
    use FieldType::*;
    let base = base_integer_field_range(field_type)?;
    let positive = matches!(
        field_type,
        PositiveSmallIntegerField | PositiveIntegerField | PositiveBigIntegerField
    );
    Some(match vendor {
        Vendor::Postgres => base,
        Vendor::Sqlite if positive => (0, i64::MAX as i128),
        Vendor::Sqlite => (i64::MIN as i128, i64::MAX as i128),
        Vendor::MySql => match field_type {
            PositiveSmallIntegerField => (0, u16::MAX as i128),
            PositiveIntegerField => (0, u32::MAX as i128),
            PositiveBigIntegerField => (0, u64::MAX as i128),
            _ => base,
        },
    })
}
