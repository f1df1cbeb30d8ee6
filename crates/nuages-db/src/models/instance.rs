//! Saving, deleting and reloading model instances (Django's `Model.save`, `delete`,
//! `refresh_from_db`), as an extension trait implemented for every [`Model`].
//!
//! `save()` follows Django's `_save_table`: an instance whose primary key is set is
//! updated, and inserted when the update touched no row; one without a key is inserted and
//! receives the generated key. An auto-incremented key of `0` counts as unset (the
//! `Default` of an integer key), as `None` does in Django. `auto_now` fields are set on
//! every save, `auto_now_add` fields on insert.

use std::future::Future;

use crate::error::{DbError, Result};
use crate::models::meta::{Field, FieldType, ModelMeta};
use crate::models::model::Model;
use crate::models::signals;
use crate::query::{DynQuerySet, Expression, Q};
use crate::value::Value;

use crate::query::insert::{insert_one, is_auto_pk, prep_save};

/// Options of [`ModelInstance::save_with`] (Django's `save()` keyword arguments).
#[derive(Debug, Clone, Default)]
pub struct SaveOptions {
    /// `update_fields`: only these fields are written (an `UPDATE` only).
    pub update_fields: Option<Vec<String>>,
    /// `force_insert`: always an `INSERT` (an error if the row exists).
    pub force_insert: bool,
    /// `force_update`: always an `UPDATE` ("Forced update did not affect any rows." when
    /// no row matched).
    pub force_update: bool,
    /// `using`: the database alias (`"default"` when `None`).
    pub using: Option<String>,
}

impl SaveOptions {
    /// `save(using=alias)`, the other options at their defaults.
    pub fn using(alias: &str) -> SaveOptions {
        SaveOptions {
            using: Some(alias.to_owned()),
            ..SaveOptions::default()
        }
    }
}

/// True when the primary key counts as set.
pub(crate) fn pk_is_set(field: &Field, v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Int(0) if is_auto_pk(field) => false,
        _ => true,
    }
}

fn now_for(field: &Field) -> Value {
    let now = chrono::Utc::now();
    match field.field_type {
        FieldType::DateField => Value::Date(now.date_naive()),
        FieldType::TimeField => Value::Time(now.time()),
        _ => Value::DateTime(now),
    }
}

/// `save()`, `delete()` and `refresh_from_db()` for every model.
pub trait ModelInstance: Model {
    /// `obj.save()`.
    fn save(&mut self) -> impl Future<Output = Result<()>> + Send {
        self.save_with(SaveOptions::default())
    }

    /// `obj.save(update_fields=..., force_insert=..., force_update=..., using=...)`.
    fn save_with(&mut self, opts: SaveOptions) -> impl Future<Output = Result<()>> + Send {
        async move {
            let alias = opts.using.clone().unwrap_or_else(|| "default".to_owned());
            save_instance(self, opts).await?;
            // Django's `_state.db`: related managers of a saved instance use its database.
            if let Some(state) = self.state_mut() {
                state.set_db(&alias);
            }
            Ok(())
        }
    }

    /// `obj.delete()`: deletes the row and, through the deletion collector
    /// ([`crate::models::deletion`]), applies `on_delete` to the rows referring to it and
    /// sends the delete signals; returns Django's `(total, [(label, count)])`. Unlike
    /// Django, the object's primary key is left as it was.
    fn delete(&self) -> impl Future<Output = Result<(u64, Vec<(String, u64)>)>> + Send {
        self.delete_using("default")
    }

    /// `obj.delete(using=alias)`.
    fn delete_using(&self, alias: &str) -> impl Future<Output = Result<(u64, Vec<(String, u64)>)>> + Send {
        let alias = alias.to_owned();
        let meta = Self::meta();
        let pk_field = meta.pk();
        let pk = self.pk();
        let snapshot = signals::ModelSnapshot::of(self);
        async move {
            if !pk_is_set(pk_field, &pk) {
                return Err(DbError::ValueError(format!(
                    "{} object can't be deleted because its {} attribute is set to None.",
                    meta.object_name, pk_field.attname
                )));
            }
            crate::models::deletion::delete_object(&alias, snapshot).await
        }
    }

    /// `obj.refresh_from_db(fields=...)`: reloads the fields (all when `None`).
    fn refresh_from_db(&mut self, fields: Option<&[&str]>) -> impl Future<Output = Result<()>> + Send {
        self.refresh_from_db_using("default", fields)
    }

    /// `obj.refresh_from_db(using=alias, fields=...)`.
    fn refresh_from_db_using(
        &mut self,
        alias: &str,
        fields: Option<&[&str]>,
    ) -> impl Future<Output = Result<()>> + Send {
        let alias = alias.to_owned();
        let meta = Self::meta();
        let pk = self.pk();
        let names: Vec<String> = match fields {
            Some(f) => f.iter().map(|s| s.to_string()).collect(),
            None => meta.concrete_fields().map(|f| f.attname.to_owned()).collect(),
        };
        async move {
            for n in &names {
                if meta.field(n).filter(|f| f.is_concrete()).is_none() {
                    return Err(DbError::FieldDoesNotExist(format!(
                        "{} has no field named '{n}'",
                        meta.object_name
                    )));
                }
            }
            let row = DynQuerySet::new(meta)
                .using(&alias)
                .values(&names)
                .get(Q::lookup("pk", pk))
                .await?;
            for (name, v) in row.columns().to_vec().iter().zip(row.into_values()) {
                self.set_field(name, v)?;
            }
            Ok(())
        }
    }
}

impl<M: Model> ModelInstance for M {}

async fn save_instance<M: Model>(obj: &mut M, opts: SaveOptions) -> Result<()> {
    let meta = M::meta();
    let alias = opts.using.clone().unwrap_or_else(|| "default".to_owned());
    if opts.force_insert && (opts.force_update || opts.update_fields.is_some()) {
        return Err(DbError::ValueError(
            "Cannot force both insert and updating in model saving.".into(),
        ));
    }
    let update_fields: Option<Vec<&'static Field>> = match &opts.update_fields {
        None => None,
        Some(names) if names.is_empty() => return Ok(()),
        Some(names) => {
            let mut out = Vec::new();
            let mut bad = Vec::new();
            for n in names {
                // Django 5.2's `_non_pk_concrete_field_names`: the key is not updatable.
                match meta.field(n).filter(|f| f.is_concrete() && !f.primary_key) {
                    Some(f) => out.push(f),
                    None => bad.push(n.as_str()),
                }
            }
            if !bad.is_empty() {
                return Err(DbError::ValueError(format!(
                    "The following fields do not exist in this model, are m2m fields, primary keys, or are non-concrete fields: {}",
                    bad.join(", ")
                )));
            }
            Some(out)
        }
    };
    let signal_fields = opts.update_fields.clone();
    signals::send_pre_save(obj, false, signal_fields.clone(), &alias).await?;
    // A proxy writes its concrete model's table.
    let table = meta.concrete_model();
    let created = if table.parent.is_none() {
        save_table(
            obj,
            table,
            &opts,
            &alias,
            update_fields.as_deref(),
            opts.force_insert,
        )
        .await?
    } else if crate::transaction::in_atomic_block(&alias) {
        // Django's `atomic(savepoint=False)` around a multi-table save.
        let result = save_with_parents(obj, table, &opts, &alias, update_fields.as_deref()).await;
        if result.is_err() {
            let _ = crate::transaction::set_rollback(&alias, true);
        }
        result?
    } else {
        let update = update_fields.as_deref();
        let (o, a) = (&opts, alias.as_str());
        crate::transaction::atomic_using(a, || save_with_parents(obj, table, o, a, update)).await?
    };
    signals::send_post_save(obj, created, signal_fields, &alias).await
}

/// Django's `_save_parents` then `_save_table` for a multi-table child: each parent's
/// table first (the row it inserts gives the child its key), then the child's own.
async fn save_with_parents<M: Model>(
    obj: &mut M,
    table: &'static ModelMeta,
    opts: &SaveOptions,
    alias: &str,
    update_fields: Option<&[&'static Field]>,
) -> Result<bool> {
    let parent_inserted = save_parents(obj, table, opts, alias, update_fields).await?;
    save_table(
        obj,
        table,
        opts,
        alias,
        update_fields,
        opts.force_insert || parent_inserted,
    )
    .await
}

/// Django's `_save_parents`: true when a parent row was inserted.
fn save_parents<'a, M: Model>(
    obj: &'a mut M,
    table: &'static ModelMeta,
    opts: &'a SaveOptions,
    alias: &'a str,
    update_fields: Option<&'a [&'static Field]>,
) -> std::pin::Pin<Box<dyn Future<Output = Result<bool>> + Send + 'a>> {
    Box::pin(async move {
        let Some(parent) = table.parent_meta() else {
            return Ok(false);
        };
        let grand_inserted = save_parents(obj, parent, opts, alias, update_fields).await?;
        let inserted = save_table(
            obj,
            parent,
            opts,
            alias,
            update_fields,
            opts.force_insert || grand_inserted,
        )
        .await?;
        Ok(inserted)
    })
}

/// Django's `_save_table` for the table of `meta` (the model's, or one of its
/// multi-table parents'): writes the row; true when it was inserted.
async fn save_table<M: Model>(
    obj: &mut M,
    meta: &'static ModelMeta,
    opts: &SaveOptions,
    alias: &str,
    update_fields: Option<&[&'static Field]>,
    force_insert: bool,
) -> Result<bool> {
    let pk_field = meta.pk();
    let pk = obj.get_field(pk_field.attname).unwrap_or(Value::Null);
    let pk_set = pk_is_set(pk_field, &pk);
    // pre_save: auto_now on every save.
    for f in meta.local_concrete_fields().filter(|f| f.auto_now) {
        obj.set_field(f.attname, now_for(f))?;
    }

    if pk_set && !force_insert {
        let fields: Vec<&'static Field> = match update_fields {
            Some(f) => meta
                .local_concrete_fields()
                .filter(|l| !l.primary_key && f.iter().any(|u| u.name == l.name))
                .collect(),
            None => meta.local_concrete_fields().filter(|f| !f.primary_key).collect(),
        };
        let mut values = Vec::with_capacity(fields.len());
        for f in &fields {
            let v = obj.get_field(f.attname).unwrap_or(Value::Null);
            values.push((f.name.to_owned(), Expression::Value(prep_save(f, v)?)));
        }
        let updated = if values.is_empty() && update_fields.is_some() {
            // Django's `_do_update`: nothing of this table to write counts as updated.
            1
        } else if values.is_empty() {
            u64::from(
                DynQuerySet::new(meta)
                    .using(alias)
                    .filter(Q::lookup("pk", pk.clone()))
                    .exists()
                    .await?,
            )
        } else {
            DynQuerySet::new(meta)
                .using(alias)
                .filter(Q::lookup("pk", pk.clone()))
                .update(values)
                .await?
        };
        if updated > 0 {
            return Ok(false);
        }
        if opts.force_update {
            return Err(DbError::DatabaseError(
                "Forced update did not affect any rows.".into(),
            ));
        }
        if update_fields.is_some() {
            return Err(DbError::DatabaseError(
                "Save with update_fields did not affect any rows.".into(),
            ));
        }
    } else if opts.force_update || update_fields.is_some() {
        return Err(DbError::ValueError(
            "Cannot force an update in save() with no primary key.".into(),
        ));
    }

    // Insert.
    for f in meta.local_concrete_fields().filter(|f| f.auto_now_add) {
        obj.set_field(f.attname, now_for(f))?;
    }
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for f in meta.local_concrete_fields() {
        if f.primary_key && !pk_set {
            continue;
        }
        columns.push(f);
        values.push(prep_save(f, obj.get_field(f.attname).unwrap_or(Value::Null))?);
    }
    if let Some(id) = insert_one(alias, meta, &columns, values).await? {
        obj.set_field(pk_field.attname, id)?;
    }
    Ok(true)
}
