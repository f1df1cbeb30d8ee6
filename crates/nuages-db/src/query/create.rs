//! Creating rows from a queryset: `create`, `get_or_create`, `update_or_create`,
//! `bulk_create` and `bulk_update`, with Django's option checks and messages.

use crate::backends::Vendor;
use crate::connection;
use crate::error::{DbError, Result};
use crate::models::instance::{pk_is_set, ModelInstance, SaveOptions};
use crate::models::meta::Field;
use crate::models::model::Model;
use crate::transaction;
use crate::value::Value;

use super::expressions::{Expression, Rhs};
use super::insert::{insert_sql, is_auto_pk, prep_save, OnConflictOptions};
use super::model_qs::QuerySet;
use super::q::{Connector, QChild, Q};

/// `bulk_create()` options (Django's keyword arguments).
#[derive(Debug, Clone, Default)]
pub struct BulkCreateOptions {
    pub batch_size: Option<usize>,
    pub ignore_conflicts: bool,
    pub update_conflicts: bool,
    pub update_fields: Vec<String>,
    pub unique_fields: Vec<String>,
}

/// The `field=value` pairs of a `Q` of plain exact lookups (what `get_or_create` copies
/// into the new object).
fn exact_values(q: &Q) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if q.negated || (q.connector != Connector::And && q.children.len() > 1) {
        return out;
    }
    for child in &q.children {
        match child {
            QChild::Lookup(path, Rhs::Expr(Expression::Value(v))) => {
                let name = path.strip_suffix("__exact").unwrap_or(path);
                if !name.contains("__") {
                    out.push((name.to_owned(), v.clone()));
                }
            }
            QChild::Q(inner) => out.extend(exact_values(inner)),
            _ => {}
        }
    }
    out
}

fn default_batch(vendor: Vendor, ncols: usize) -> usize {
    let max_params = match vendor {
        Vendor::Sqlite => 999,
        Vendor::Postgres => 65535,
        Vendor::MySql => 65535,
    };
    (max_params / ncols.max(1)).max(1)
}

impl<M: Model> QuerySet<M> {
    fn db_alias(&self) -> String {
        self.as_dyn().db().to_owned()
    }

    /// `create(obj)`: inserts the instance (a forced insert) and returns it with its key.
    pub async fn create(&self, mut obj: M) -> Result<M> {
        obj.save_with(SaveOptions {
            force_insert: true,
            using: Some(self.db_alias()),
            ..Default::default()
        })
        .await?;
        Ok(obj)
    }

    /// `get_or_create(**lookups, defaults=...)`: `(object, created)`. A new object gets the
    /// exact lookups and the defaults; a concurrent insert is resolved by getting again.
    pub async fn get_or_create(&self, q: Q, defaults: Vec<(String, Value)>) -> Result<(M, bool)>
    where
        M: Default,
    {
        match self.clone().filter(q.clone()).get(Q::new()).await {
            Ok(obj) => return Ok((obj, false)),
            Err(DbError::DoesNotExist { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut obj = M::default();
        for (name, v) in exact_values(&q).into_iter().chain(defaults) {
            obj.set_field(&name, v)?;
        }
        let alias = self.db_alias();
        let created = transaction::atomic_using(&alias, || async {
            let mut o = obj;
            o.save_with(SaveOptions {
                force_insert: true,
                using: Some(alias.clone()),
                ..Default::default()
            })
            .await?;
            Ok::<M, DbError>(o)
        })
        .await;
        match created {
            Ok(o) => Ok((o, true)),
            Err(DbError::IntegrityError(msg)) => match self.clone().filter(q).get(Q::new()).await {
                Ok(o) => Ok((o, false)),
                Err(_) => Err(DbError::IntegrityError(msg)),
            },
            Err(e) => Err(e),
        }
    }

    /// `update_or_create(**lookups, defaults=...)`: `(object, created)`.
    pub async fn update_or_create(&self, q: Q, defaults: Vec<(String, Value)>) -> Result<(M, bool)>
    where
        M: Default,
    {
        let alias = self.db_alias();
        let this = self.clone();
        transaction::atomic_using(&alias, || async {
            let locked = this
                .clone()
                .select_for_update(false, false, &[], false)
                .filter(q.clone());
            match locked.get(Q::new()).await {
                Ok(mut obj) => {
                    let mut names = Vec::new();
                    for (name, v) in &defaults {
                        obj.set_field(name, v.clone())?;
                        names.push(name.clone());
                    }
                    obj.save_with(SaveOptions {
                        update_fields: if names.is_empty() { None } else { Some(names) },
                        using: Some(alias.clone()),
                        ..Default::default()
                    })
                    .await?;
                    Ok((obj, false))
                }
                Err(DbError::DoesNotExist { .. }) => this.get_or_create(q.clone(), defaults.clone()).await,
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// `bulk_create(objs, batch_size=, ignore_conflicts=, update_conflicts=, update_fields=,
    /// unique_fields=)`: inserts in batches and sets the primary keys where the backend
    /// returns them (PostgreSQL, SQLite).
    pub async fn bulk_create(&self, mut objs: Vec<M>, opts: BulkCreateOptions) -> Result<Vec<M>> {
        let meta = M::meta();
        let alias = self.db_alias();
        let vendor = connection::vendor(&alias)?;
        let features = vendor.features();
        if opts.batch_size == Some(0) {
            return Err(DbError::ValueError(
                "Batch size must be a positive integer.".into(),
            ));
        }
        // Django refuses: the parent rows' keys would be needed first, row by row.
        if meta.parent.is_some() {
            return Err(DbError::ValueError(
                "Can't bulk create a multi-table inherited model".into(),
            ));
        }
        // Django's `get_field` of every name before any option check (an unknown one
        // is `FieldDoesNotExist`).
        // (`unique_fields` may say "pk"; `update_fields` may not.)
        let field = |name: &str| {
            meta.field(name).ok_or_else(|| {
                DbError::FieldDoesNotExist(format!("{} has no field named '{name}'", meta.object_name))
            })
        };
        let update_fields = opts
            .update_fields
            .iter()
            .map(|n| field(n))
            .collect::<Result<Vec<_>>>()?;
        let unique_fields = opts
            .unique_fields
            .iter()
            .map(|n| field(if n == "pk" { meta.pk().name } else { n }))
            .collect::<Result<Vec<_>>>()?;
        if opts.ignore_conflicts && opts.update_conflicts {
            return Err(DbError::ValueError(
                "ignore_conflicts and update_conflicts are mutually exclusive.".into(),
            ));
        }
        if opts.ignore_conflicts && !features.supports_ignore_conflicts {
            return Err(DbError::NotSupportedError(
                "This database backend does not support ignoring conflicts.".into(),
            ));
        }
        if opts.update_conflicts {
            if !features.supports_update_conflicts {
                return Err(DbError::NotSupportedError(
                    "This database backend does not support updating conflicts.".into(),
                ));
            }
            if opts.update_fields.is_empty() {
                return Err(DbError::ValueError(
                    "Fields that will be updated when a row insertion fails on conflicts must be provided."
                        .into(),
                ));
            }
            if !opts.unique_fields.is_empty() && !features.supports_update_conflicts_with_target {
                return Err(DbError::NotSupportedError(
                    "This database backend does not support updating conflicts with specifying unique fields that can trigger the upsert."
                        .into(),
                ));
            }
            if opts.unique_fields.is_empty() && features.supports_update_conflicts_with_target {
                return Err(DbError::ValueError(
                    "Unique fields that can trigger the upsert must be provided.".into(),
                ));
            }
            if update_fields.iter().any(|f| !f.is_concrete()) {
                return Err(DbError::ValueError(
                    "bulk_create() can only be used with concrete fields in update_fields.".into(),
                ));
            }
            if update_fields.iter().any(|f| f.primary_key) {
                return Err(DbError::ValueError(
                    "bulk_create() cannot be used with primary keys in update_fields.".into(),
                ));
            }
            if unique_fields.iter().any(|f| !f.is_concrete()) {
                return Err(DbError::ValueError(
                    "bulk_create() can only be used with concrete fields in unique_fields.".into(),
                ));
            }
        }
        if objs.is_empty() {
            return Ok(objs);
        }
        let conflict = OnConflictOptions {
            ignore: opts.ignore_conflicts,
            update_fields: if opts.update_conflicts {
                opts.update_fields.clone()
            } else {
                Vec::new()
            },
            unique_fields: opts
                .unique_fields
                .iter()
                .map(|n| {
                    if n == "pk" {
                        meta.pk().name.to_owned()
                    } else {
                        n.clone()
                    }
                })
                .collect(),
        };
        let pk_field = meta.pk();
        let now = chrono::Utc::now();
        for obj in objs.iter_mut() {
            for f in meta.concrete_fields().filter(|f| f.auto_now || f.auto_now_add) {
                obj.set_field(f.attname, Value::DateTime(now))?;
            }
        }
        let (with_pk, without_pk): (Vec<usize>, Vec<usize>) =
            (0..objs.len()).partition(|&i| pk_is_set(pk_field, &objs[i].pk()));
        let returns = features.can_return_rows_from_bulk_insert && !opts.ignore_conflicts;
        let all_cols: Vec<&'static Field> = meta.concrete_fields().collect();
        let no_pk_cols: Vec<&'static Field> = meta.concrete_fields().filter(|f| !is_auto_pk(f)).collect();
        // Run the batches in one transaction, as Django does.
        let pk_updates = transaction::atomic_using(&alias, || async {
            let mut updates: Vec<(usize, Value)> = Vec::new();
            for (group, cols, set_pk) in [
                (&with_pk, &all_cols, false),
                (
                    &without_pk,
                    if is_auto_pk(pk_field) {
                        &no_pk_cols
                    } else {
                        &all_cols
                    },
                    true,
                ),
            ] {
                let batch = opts
                    .batch_size
                    .unwrap_or_else(|| default_batch(vendor, cols.len()));
                for chunk in group.chunks(batch) {
                    let mut rows = Vec::with_capacity(chunk.len());
                    for &i in chunk {
                        let mut row = Vec::with_capacity(cols.len());
                        for f in cols.iter() {
                            row.push(prep_save(f, objs[i].get_field(f.attname).unwrap_or(Value::Null))?);
                        }
                        rows.push(row);
                    }
                    let want = set_pk && returns && is_auto_pk(pk_field);
                    let sql = insert_sql(meta, vendor, cols, rows, want, &conflict)?;
                    if want {
                        let ids = connection::fetch(&alias, &sql.sql, &sql.params).await?;
                        for (&i, r) in chunk.iter().zip(ids) {
                            if let Some(id) = r.into_values().into_iter().next() {
                                updates.push((i, id));
                            }
                        }
                    } else {
                        connection::execute(&alias, &sql.sql, &sql.params).await?;
                    }
                }
            }
            Ok::<_, DbError>(updates)
        })
        .await?;
        for (i, id) in pk_updates {
            objs[i].set_field(pk_field.attname, id)?;
        }
        Ok(objs)
    }

    /// `bulk_update(objs, fields, batch_size=)`: writes `fields` of every object, returning
    /// the number of rows matched. As in Django, each batch is one
    /// `UPDATE ... SET f = CASE WHEN pk = .. THEN .. END ... WHERE pk IN (...)` (the
    /// `CASE` cast to the field's type on PostgreSQL), batches sized by the backend
    /// (SQLite: 999 parameters; PostgreSQL and MySQL: every object, within the
    /// protocol's 65,535 parameters) and run in one transaction.
    pub async fn bulk_update(&self, objs: &[M], fields: &[&str], batch_size: Option<usize>) -> Result<u64> {
        let meta = M::meta();
        if batch_size == Some(0) {
            return Err(DbError::ValueError(
                "Batch size must be a positive integer.".into(),
            ));
        }
        if fields.is_empty() {
            return Err(DbError::ValueError(
                "Field names must be given to bulk_update().".into(),
            ));
        }
        let pk = meta.pk();
        if objs.iter().any(|o| !pk_is_set(pk, &o.pk())) {
            return Err(DbError::ValueError(
                "All bulk_update() objects must have a primary key set.".into(),
            ));
        }
        let mut cols: Vec<&'static Field> = Vec::with_capacity(fields.len());
        let mut concrete = true;
        for n in fields {
            match meta.field(n) {
                Some(f) if f.is_concrete() => cols.push(f),
                Some(_) => concrete = false,
                None if super::names::get_field(meta, n).is_some() => concrete = false,
                None => {
                    return Err(DbError::FieldDoesNotExist(format!(
                        "{} has no field named '{n}'",
                        meta.object_name
                    )))
                }
            }
        }
        if !concrete {
            return Err(DbError::ValueError(
                "bulk_update() can only be used with concrete fields.".into(),
            ));
        }
        if cols.iter().any(|f| f.primary_key) {
            return Err(DbError::ValueError(
                "bulk_update() cannot be used with primary key fields.".into(),
            ));
        }
        if objs.is_empty() {
            return Ok(0);
        }
        let alias = self.db_alias();
        let vendor = connection::vendor(&alias)?;
        let batch = super::bulk_update::batch_size(vendor, cols.len(), objs.len(), batch_size);
        let mut statements = Vec::with_capacity(objs.len().div_ceil(batch));
        for chunk in objs.chunks(batch) {
            let mut rows = Vec::with_capacity(chunk.len());
            for obj in chunk {
                let mut values = Vec::with_capacity(cols.len());
                for f in &cols {
                    values.push(prep_save(f, obj.get_field(f.attname).unwrap_or(Value::Null))?);
                }
                rows.push((prep_save(pk, obj.pk())?, values));
            }
            statements.push(super::bulk_update::bulk_update_sql(meta, vendor, &cols, &rows)?);
        }
        transaction::atomic_using(&alias, || async {
            let mut total = 0;
            for sql in &statements {
                total += connection::execute(&alias, &sql.sql, &sql.params)
                    .await?
                    .rows_affected;
            }
            Ok::<u64, DbError>(total)
        })
        .await
    }
}
