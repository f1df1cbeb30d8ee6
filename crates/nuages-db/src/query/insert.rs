//! `INSERT` statements (Django's `SQLInsertCompiler`): one row or many, returning the
//! generated primary keys where the backend can (`RETURNING` on PostgreSQL and SQLite,
//! `last_insert_id` on MySQL for single rows), with `ON CONFLICT` for `bulk_create`.

use sea_query::{Alias, OnConflict, Query as SQuery};

use crate::backends::Vendor;
use crate::connection;
use crate::error::{DbError, Result};
use crate::models::meta::{Field, ModelMeta};
use crate::value::Value;

use super::compiler::{CompiledSql, Compiler};
use super::lookups::prep_value;
use super::where_::column_type;

/// `bulk_create` conflict handling.
#[derive(Debug, Clone, Default)]
pub struct OnConflictOptions {
    /// `ignore_conflicts=True`.
    pub ignore: bool,
    /// `update_conflicts=True` with the fields to update and the unique fields.
    pub update_fields: Vec<String>,
    pub unique_fields: Vec<String>,
}

/// A value as `save()` writes it (`get_db_prep_save`).
pub(crate) fn prep_save(field: &'static Field, v: Value) -> Result<Value> {
    let v = prep_value(column_type(field), field.name, Some(field), v)?;
    match field.custom {
        Some(c) => c.prep(v),
        None => Ok(v),
    }
}

/// True for an auto-incremented primary key (which the database fills in).
pub(crate) fn is_auto_pk(f: &Field) -> bool {
    f.primary_key && f.field_type.is_auto()
}

fn column_of(meta: &'static ModelMeta, name: &str) -> Result<&'static Field> {
    let name = if name == "pk" { meta.pk().name } else { name };
    meta.field(name).filter(|f| f.is_concrete()).ok_or_else(|| {
        DbError::FieldDoesNotExist(format!("{} has no field named '{name}'", meta.object_name))
    })
}

/// Builds `INSERT INTO t (cols) VALUES (...), (...)`.
pub(crate) fn insert_sql(
    meta: &'static ModelMeta,
    vendor: Vendor,
    columns: &[&'static Field],
    rows: Vec<Vec<Value>>,
    returning: bool,
    conflict: &OnConflictOptions,
) -> Result<CompiledSql> {
    let mut c = Compiler::new(vendor);
    let mut stmt = SQuery::insert();
    stmt.into_table(Alias::new(meta.db_table));
    if columns.is_empty() {
        stmt.or_default_values_many(rows.len() as u32);
    } else {
        stmt.columns(columns.iter().map(|f| Alias::new(f.column)));
        for row in rows {
            let exprs: Vec<sea_query::Expr> = row.into_iter().map(|v| c.bind(v)).collect();
            stmt.values(exprs)
                .map_err(|e| DbError::ValueError(e.to_string()))?;
        }
    }
    if conflict.ignore {
        let pk = meta.pk().column;
        let mut oc = OnConflict::new();
        match vendor {
            Vendor::MySql => {
                oc.do_nothing_on([Alias::new(pk)]);
            }
            _ => {
                oc.do_nothing();
            }
        }
        stmt.on_conflict(oc);
    } else if !conflict.update_fields.is_empty() {
        let mut unique = Vec::new();
        for u in &conflict.unique_fields {
            unique.push(Alias::new(column_of(meta, u)?.column));
        }
        let mut oc = if vendor == Vendor::MySql {
            OnConflict::new()
        } else {
            OnConflict::columns(unique)
        };
        let mut update = Vec::new();
        for u in &conflict.update_fields {
            update.push(Alias::new(column_of(meta, u)?.column));
        }
        oc.update_columns(update);
        stmt.on_conflict(oc);
    }
    if returning && vendor != Vendor::MySql {
        stmt.returning_col(Alias::new(meta.pk().column));
    }
    Ok(c.finish(&stmt))
}

/// Inserts one row and returns the generated primary key (if the key is generated).
pub(crate) async fn insert_one(
    alias: &str,
    meta: &'static ModelMeta,
    columns: &[&'static Field],
    values: Vec<Value>,
) -> Result<Option<Value>> {
    let vendor = connection::vendor(alias)?;
    let wants_pk = !columns.iter().any(|f| f.primary_key);
    let sql = insert_sql(
        meta,
        vendor,
        columns,
        vec![values],
        wants_pk,
        &OnConflictOptions::default(),
    )?;
    if wants_pk && vendor != Vendor::MySql {
        let rows = connection::fetch(alias, &sql.sql, &sql.params).await?;
        return Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.into_values().into_iter().next()));
    }
    let res = connection::execute(alias, &sql.sql, &sql.params).await?;
    Ok(if wants_pk {
        res.last_insert_id.map(Value::Int)
    } else {
        None
    })
}
